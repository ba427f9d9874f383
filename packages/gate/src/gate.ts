/**
 * The gate: one release decision per bucket, turned into a `Release` a carrier can read. Order of
 * checks: validate everything (nothing is drawn or spent on bad input) -> minimum cohort ->
 * planned noise level (counts noised elsewhere: the settlement) -> one privacy spend -> per-bucket
 * selection -> noisy values for released buckets. Without a public domain a key with no
 * contributor does not exist: DP selections skip zero counts, so the keys one contributor creates
 * are at most its l0 kept buckets, as their delta assumes.
 */
import { PinholeError, type PrivacyAccountant, type PrivacyLoss, type Rng, cryptoRng, requireSecureRng } from '@pinhole/core';
import { checkInteger, checkObject, checkRng, checkString, invalid } from '@pinhole/core/validate';
import { composeSequential } from '@pinhole/core/privacy';
import { type BucketValues, type ContributorIds, checkKey, countContributors, readBucketIntegers } from './input.js';
import { decideMinCohort } from './min-cohort.js';
import type { NoisyValues } from './noisy-values.js';
import { isNoisyCountThreshold } from './noisy-threshold.js';
import { type GateMode, type Release, type ReleasedBucket, type ReleaseSpend, type SuppressedBucket, type SuppressedListing, type SuppressionReason, freezeRelease } from './release.js';
import { type Selection, selectionRule } from './selection-rules.js';

export interface GateParams {
  /** made by makeKAnonymity, makeOptimalSelection, make{Laplace,Gaussian}ThresholdSelection or makeNoisyCountThreshold (which needs a domain) */
  readonly selection: Selection;
  /** refuse the whole release below this many reports in the round (DAP min_batch_size) */
  readonly minCohortSize?: number;
  /**
   * The public set of bucket keys. With it, every domain key that is not released is listed as
   * suppressed with its reason; without it, DP modes withhold suppressed keys (they are data).
   */
  readonly domain?: readonly string[];
  /** noisy values published for released buckets, by value name (e.g. { count: makeNoisyValues(...) }) */
  readonly values?: Readonly<Record<string, NoisyValues>>;
}

export interface DecideOptions {
  /** default cryptoRng(); a seeded rng needs allowInsecureRng */
  readonly rng?: Rng;
  readonly allowInsecureRng?: boolean;
  /** records the release's total (epsilon, delta) as one spend; budget_exceeded refuses before anything is drawn */
  readonly accountant?: PrivacyAccountant;
  readonly label?: string;
  /** reports in the round; required when the gate has minCohortSize */
  readonly cohortSize?: number;
  /** per value name, per bucket integers (missing buckets count as 0) */
  readonly values?: Readonly<Record<string, BucketValues>>;
}

export interface Gate {
  readonly selection: Selection;
  readonly mode: GateMode;
  readonly private: boolean;
  /** the (epsilon, delta) one decide() spends (selection and values), null for k-anonymity */
  readonly privacyLoss: PrivacyLoss | null;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** the probability that a bucket with n contributors is released */
  releaseProbability(contributors: number): number;
  /**
   * Decides every bucket. `counts` are distinct-contributor counts per bucket, or, for a
   * noisy-count threshold, the already noisy counts of its settlement's round. Without a domain,
   * DP selections skip keys with count 0 (a key with no contributor does not exist).
   */
  decide(counts: BucketValues, options?: DecideOptions): Release;
  /**
   * Decides from contributor ids per bucket: counts distinct contributors, bounding each to the
   * selection's l0 buckets (chosen at random with the same rng) for DP modes, then `decide`.
   */
  decideContributors(ids: ContributorIds, options?: DecideOptions): Release;
}

const NOTE_K_ANON = 'k-anonymity alone is not differentially private: two releases that differ by one device can reveal that device’s bucket and value';
const NOTE_WITHHELD = 'suppressed buckets are not listed: without a public domain their keys (and their number) are data';
const NOTE_NOISY_COUNT = 'published contributor counts are the noisy counts that passed the threshold, so they are biased upward';

function checkDomain(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid('domain', 'a non-empty array of distinct bucket keys', value);
  const seen = new Set<string>();
  value.forEach((k, i) => {
    checkKey(`domain[${i}]`, k);
    if (seen.has(k as string)) throw invalid(`domain[${i}]`, 'a key not already in the domain', k);
    seen.add(k as string);
  });
  return value.slice() as string[];
}

function checkSelection(value: unknown): Selection {
  const o = checkObject('selection', value);
  const kinds = ['k_anonymity', 'optimal_selection', 'laplace_threshold', 'gaussian_threshold', 'noisy_count_threshold'];
  if (!kinds.includes(o.kind as string) || typeof o.select !== 'function' || typeof o.releaseProbability !== 'function') {
    throw invalid('selection', 'a selection made by makeKAnonymity, makeOptimalSelection or a make*Threshold function', value);
  }
  // the noise in the counts is taken from a settlement, never described by the caller
  if (o.kind === 'noisy_count_threshold' && !isNoisyCountThreshold(o)) {
    throw invalid('selection', 'a noisy-count threshold made by makeNoisyCountThreshold (or a settlement’s selection())', value);
  }
  return value as Selection;
}

function checkNoisyValues(name: string, value: unknown): NoisyValues {
  const o = checkObject(`values.${name}`, value);
  if (typeof o.noisy !== 'function' || typeof o.privacyLoss !== 'object') {
    throw invalid(`values.${name}`, 'a NoisyValues made by makeNoisyValues', value);
  }
  return value as NoisyValues;
}

export function makeGate(params: GateParams): Gate {
  checkObject('params', params);
  const selection = checkSelection(params.selection);
  const rule = selectionRule(selection);
  const minCohortSize = params.minCohortSize === undefined ? undefined : checkInteger('minCohortSize', params.minCohortSize, { ge: 1 });
  // a release that states its cohort size holds only for replace-one neighbours
  const selectionAddRemove = rule.addRemove;
  if (selectionAddRemove && minCohortSize !== undefined) {
    throw invalid(
      'minCohortSize',
      'undefined with a selection calibrated for add/remove neighbours (the release would state its cohort size; calibrate with neighbours: "replace_one")',
      minCohortSize,
    );
  }
  const domain = params.domain === undefined ? undefined : checkDomain(params.domain);
  if (rule.noisyCounts && !domain) {
    // the noisy counts carry no contributor counts: keys taken from the data could be any number
    // of buckets one device made exist, which no threshold delta bounds
    throw invalid('domain', 'the public bucket keys of the noised vector (a noisy-count threshold needs a domain)', params.domain);
  }
  const domainSet = domain ? new Set(domain) : undefined;
  const valueMechs: [string, NoisyValues][] = [];
  if (params.values !== undefined) {
    const v = checkObject('values', params.values);
    for (const [name, mech] of Object.entries(v)) {
      checkKey('values name', name);
      if (name === 'contributors') throw invalid('values name', 'a name other than "contributors" (reserved for the contributor count)', name);
      valueMechs.push([name, checkNoisyValues(name, mech)]);
    }
  }
  // values calibrated for add/remove hold, like such a selection, only while the cohort size is unstated
  const addRemove = selectionAddRemove || valueMechs.some(([, m]) => m.parameters.neighbours === 'add_remove');
  if (addRemove && minCohortSize !== undefined) {
    throw invalid('minCohortSize', 'undefined with values calibrated for add/remove neighbours (the release would state its cohort size)', minCohortSize);
  }
  const isPrivate = selection.private;
  const spends: ReleaseSpend[] = [];
  if (rule.spend) spends.push(rule.spend);
  for (const [name, m] of valueMechs) spends.push({ label: `values.${name} (${m.noise.name})`, privacyLoss: m.privacyLoss, zcdp: m.zcdp });
  // Shared by every release of this gate, hence frozen.
  const total: PrivacyLoss | null = spends.length ? Object.freeze(composeSequential(spends.map((s) => s.privacyLoss))) : null;
  const rhos = spends.filter((s) => s.zcdp !== null).map((s) => (s.zcdp as { rho: number }).rho);
  const totalZcdp = rhos.length ? Object.freeze({ rho: rhos.reduce((a, b) => a + b, 0) }) : null;
  const ZERO_LOSS: PrivacyLoss = Object.freeze({ epsilon: 0, delta: 0 });

  const parameters: Record<string, string | number | boolean> = { ...selection.parameters };
  if (minCohortSize !== undefined) parameters.minCohortSize = minCohortSize;
  if (domain) parameters.domainSize = domain.length;
  for (const [name, m] of valueMechs) for (const [k, v] of Object.entries(m.parameters)) parameters[`values.${name}.${k}`] = v;
  Object.freeze(parameters);

  // k-anonymity lists the suppressed keys of its input: they are public for a non-private release
  const listing: SuppressedListing = domain ? 'domain' : !isPrivate ? 'input' : 'withheld';
  const baseNotes: string[] = [];
  if (!isPrivate) baseNotes.push(NOTE_K_ANON);
  if (listing === 'withheld') baseNotes.push(NOTE_WITHHELD);
  if (rule.publishesNoisyCounts) baseNotes.push(NOTE_NOISY_COUNT);
  const mode: GateMode = selection.kind;

  function release(cohortSize: number | null, released: ReleasedBucket[], suppressed: SuppressedBucket[], refusal: { reason: SuppressionReason; message: string } | null, spent: boolean): Release {
    return freezeRelease({
      mode,
      private: isPrivate,
      status: refusal ? 'refused' : 'released',
      refusal,
      released,
      suppressed,
      suppressedListing: listing,
      privacyLoss: spent && isPrivate ? total : refusal ? ZERO_LOSS : null,
      zcdp: spent ? totalZcdp : null,
      spends: spent ? spends.map((s) => ({ ...s })) : [],
      parameters,
      cohortSize,
      notes: refusal ? baseNotes.filter((n) => n !== NOTE_NOISY_COUNT) : baseNotes.slice(),
    });
  }

  function refuse(keys: Iterable<string>, cohortSize: number | null, why: SuppressionReason, message: string): Release {
    const suppressed: SuppressedBucket[] = [];
    if (listing !== 'withheld') for (const key of keys) suppressed.push({ key, reason: why, message });
    return release(cohortSize, [], suppressed, { reason: why, message }, false);
  }

  const gate: Gate = Object.freeze({
    selection,
    mode,
    private: isPrivate,
    privacyLoss: isPrivate ? total : null,
    parameters,
    releaseProbability: (n: number) => selection.releaseProbability(n),
    decideContributors(ids: ContributorIds, options: DecideOptions = {}): Release {
      checkObject('options', options);
      if (rule.noisyCounts) {
        // exact counts must never be thresholded as if they were noisy
        throw new PinholeError('unsupported', 'ids', '"ids" cannot be used with a noisy-count threshold: it takes counts noised elsewhere');
      }
      const l0 = rule.l0;
      if (l0 === null) return gate.decide(countContributors(ids), options);
      const rng = requireSecureRng(options.rng ?? cryptoRng(), options.allowInsecureRng);
      return gate.decide(countContributors(ids, { l0, rng }), { ...options, rng });
    },
    decide(countsInput: BucketValues, options: DecideOptions = {}): Release {
      checkObject('options', options);
      if (options.rng !== undefined) checkRng('rng', options.rng);
      const counts = readBucketIntegers('counts', countsInput, rule.noisyCounts ? undefined : 0);
      if (domainSet) {
        for (const key of counts.keys()) {
          if (!domainSet.has(key)) throw invalid('counts key', 'a key of the gate’s domain', key);
        }
      }
      const label = options.label === undefined ? 'gate release' : checkString('label', options.label, { maxLength: 200 });
      let cohortSize: number | null = null;
      if (options.cohortSize !== undefined) cohortSize = checkInteger('cohortSize', options.cohortSize, { ge: 0 });
      if (addRemove && cohortSize !== null) {
        throw invalid(
          'cohortSize',
          'undefined with a selection calibrated for add/remove neighbours (the release would state its cohort size; calibrate with neighbours: "replace_one")',
          options.cohortSize,
        );
      }
      if (minCohortSize !== undefined && cohortSize === null) {
        throw invalid('cohortSize', 'the number of reports in the round (the gate has a minimum cohort size)', options.cohortSize);
      }
      const legacy = (options as { noiseVariance?: unknown }).noiseVariance;
      if (legacy !== undefined) {
        throw invalid('noiseVariance', 'undefined: a noisy-count threshold reads the noise from its settlement (makeNoisyCountThreshold({ settlement }))', legacy);
      }
      const valueData = new Map<string, ReadonlyMap<string, number>>();
      const givenValues = options.values === undefined ? {} : checkObject('options.values', options.values);
      for (const name of Object.keys(givenValues)) {
        if (!valueMechs.some(([n]) => n === name)) throw invalid('options.values', `only the gate's value names (${valueMechs.map(([n]) => JSON.stringify(n)).join(', ') || 'none'})`, name);
      }
      for (const [name] of valueMechs) {
        const data = givenValues[name];
        if (data === undefined) throw invalid(`options.values.${name}`, 'per-bucket integers for this value', data);
        valueData.set(name, readBucketIntegers(`options.values.${name}`, data));
      }
      const needRng = rule.needsRng || valueMechs.length > 0;
      const rng = needRng ? requireSecureRng(options.rng ?? cryptoRng(), options.allowInsecureRng) : null;
      const accountant = options.accountant;
      if (accountant !== undefined) {
        const acc = accountant as unknown as { spend?: unknown; canSpend?: unknown } | null;
        if (typeof acc !== 'object' || acc === null || typeof acc.spend !== 'function') throw invalid('accountant', 'a PrivacyAccountant', accountant);
      }
      const keys = (): Iterable<string> => domain ?? counts.keys();

      // Whole-release refusals: nothing is unmasked, drawn or spent.
      if (minCohortSize !== undefined && cohortSize !== null) {
        const d = decideMinCohort(cohortSize, { minCohortSize });
        if (!d.ok) return refuse(keys(), cohortSize, 'min_cohort', d.message);
      }
      if (rule.refusal !== null) {
        return refuse(keys(), cohortSize, 'noise_below_plan', `${rule.refusal}: releasing would exceed the promised privacy loss`);
      }

      if (accountant && total) accountant.spend(total, label);

      const released: ReleasedBucket[] = [];
      const suppressed: SuppressedBucket[] = [];
      const listSuppressed = listing !== 'withheld';
      const message = selection.suppressionMessage;
      const one = (key: string, n: number, present: boolean): void => {
        const values = rule.decide(n, present, rng);
        if (values) {
          for (const [name, m] of valueMechs) values[name] = m.noisy(valueData.get(name)?.get(key) ?? 0, rng as Rng);
          released.push({ key, values });
        } else if (listSuppressed) {
          suppressed.push({ key, reason: rule.reason, message });
        }
      };
      if (domain) {
        for (const key of domain) {
          const n = counts.get(key);
          one(key, n ?? 0, n !== undefined);
        }
      } else {
        counts.forEach((n, key) => {
          if (n !== 0 || !rule.skipZero) one(key, n, true);
        });
        // Input order is data (e.g. order of first report): publish released keys sorted instead.
        released.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      }
      return release(cohortSize, released, suppressed, null, true);
    },
  });
  return gate;
}
