/**
 * The release engine for one collection of a plan: tally → estimate → post-process → gate.
 * - estimate: the oracle's unbiased counts (local DP), the mean of each public group's unbiased
 *   reports (local DP means), exact counts plus discrete Gaussian noise (central), or the decoded
 *   modular sum settled for its survivors, topped up when the plan says so (secure aggregation);
 * - post-process: counts clipped at 0, means clamped to the bounds (no privacy cost);
 * - gate: a group is released when its estimated contributors reach k (post-processing of the
 *   private estimate over the public domain; local DP means: the public exact count).
 * Construction builds the collection's mechanism (collection-mechanisms.ts), which refuses a plan
 * made by another version instead of silently estimating it with other parameters.
 */
import {
  type InsightDefinition,
  type Plan,
  type PlanCollection,
  type PlanSecagg,
  type PrivacyLoss,
  type ReportEntry,
  type Rng,
  COLLECTIONS,
  INSIGHTS,
  PinholeError,
  cryptoRng,
  requireSecureRng,
} from '@pinhole/core';
import { checkObject } from '@pinhole/core/validate';
import { decodeExactBucket, decodeExactValue } from '@pinhole/core/wire';
import { makeDiscreteGaussianSampler, discreteGaussianVariance } from '@pinhole/core/samplers';
import { type DistributedNoisePlan, type SuppressionReason, decideMinCohort } from '@pinhole/gate';
import type { AnyFrequencyOracle, NumericMechanism, NumericTally } from '@pinhole/ldp';
import { decodePrio3Entry } from '@pinhole/prio3';
import { type Prio3Mechanism, collectionMechanisms, planInvalid } from './collection-mechanisms.js';
import { type CollectionRelease, type InsightRelease, type ReleasedGroup, freezeDeep } from './release.js';
import { type HistogramGroupEstimate, type MeanGroupEstimate, histogramInsight, meanInsight } from './statistics.js';
import { type DecodedEntry, CollectionTally, TALLY_STATE } from './tally.js';
import { neighboursOf, threatModelOf, treatsAsPublic } from './threat-model.js';

export interface EstimateOptions {
  /** noise of central releases and secure-aggregation top-ups; default cryptoRng() (seeded only with the engine's allowInsecureRng) */
  readonly rng?: Rng;
}

/**
 * The estimates before post-processing and the gate. Internal to the aggregator: it holds the
 * estimates of groups the gate will withhold, so a server never persists or serves it.
 */
export interface CollectionEstimate {
  readonly collection: string;
  readonly cohort: number;
  readonly refusal: { readonly reason: SuppressionReason; readonly message: string } | null;
  /** histogram: raw count per bucket (groups × buckets); mean: raw mean per group (NaN: no contributor); null when refused */
  readonly values: Float64Array | null;
  /** per group: the estimated contributors the gate compares with k; null when refused */
  readonly contributors: Float64Array | null;
  /** central histogram: the discrete Gaussian's variance per count; secure aggregation: the noise variance per coordinate; else null */
  readonly noiseVariance: number | null;
  readonly privacyLoss: { readonly release: PrivacyLoss; readonly aggregator: PrivacyLoss | null };
  /** secure aggregation: how the survivors settled; else null */
  readonly settlement: 'as_planned' | 'topped_up' | 'refused' | null;
  readonly notes: readonly string[];
}

export interface CollectionEngine {
  readonly id: string;
  readonly plan: PlanCollection;
  readonly kind: 'histogram' | 'mean';
  readonly mode: PlanCollection['mode'];
  /** the public group labels, in domain order */
  readonly groups: readonly string[];
  /** histogram: the bucket labels of a group */
  readonly buckets: readonly string[] | null;
  readonly insights: readonly InsightDefinition[];
  /** local DP histogram: the oracle reports are decoded and tallied with */
  readonly oracle: AnyFrequencyOracle | null;
  /** local DP mean: the numeric mechanism */
  readonly numeric: NumericMechanism | null;
  /** secure aggregation: the gate's distributed-noise plan (devices' shares, encoding, settlement) */
  readonly noisePlan: DistributedNoisePlan | null;
  /** prio3: the VDAF and each aggregator's noise (N_Z(0, sigma^2) per coordinate, from the CSPRNG unless the engine allows seeded ones) */
  readonly prio3: Prio3Mechanism | null;
  makeTally(): CollectionTally;
  /** decodes one report entry against the mechanism; malformed is `decode_failed`, misplaced `invalid_argument`, both naming `param` */
  decodeEntry(entry: ReportEntry, param?: string): DecodedEntry;
  estimate(tally: CollectionTally, options?: EstimateOptions): CollectionEstimate;
  /** post-processing, the gate and the insight statistics */
  publish(estimate: CollectionEstimate): CollectionRelease;
  release(tally: CollectionTally, options?: EstimateOptions): CollectionRelease;
  /** a refused release (used for a round that failed its minimum cohort) */
  refused(reason: SuppressionReason, message: string, cohort: number): CollectionRelease;
  /**
   * The guard before unmasking a secure-aggregation sum (or closing any round): throws
   * `invalid_state` (param `cohort`) when the cohort is below the collection's minCohort.
   */
  checkCohort(cohort: number): void;
}

function rewrap(err: unknown, param: string): never {
  if (err instanceof PinholeError) throw new PinholeError(err.code, param, `"${param}": ${err.message}`, { cause: err });
  throw err;
}

export function makeCollectionEngine(plan: Plan, index: number, options: { readonly allowInsecureRng: boolean; readonly prio3AggregatorId?: number }): CollectionEngine {
  const c = plan.collections[index] as PlanCollection;
  const param = `plan.collections[${index}]`;
  const cat = COLLECTIONS.find((x) => x.id === c.id);
  if (!cat) throw planInvalid(`${param}.id`, 'is not in the catalogue');
  const groups = cat.kind === 'histogram' ? cat.layout(plan.domains).groups : cat.groups(plan.domains);
  const buckets = cat.kind === 'histogram' ? cat.layout(plan.domains).buckets : null;
  const insights = plan.insights.map((id) => INSIGHTS.find((d) => d.id === id) as InsightDefinition).filter((d) => d.collection === c.id);
  const k = c.gate.k;
  const allowInsecure = options.allowInsecureRng;
  const rngOf = (rng: Rng | undefined): Rng => requireSecureRng(rng ?? cryptoRng(), allowInsecure);
  const prio3AggregatorId = options.prio3AggregatorId ?? 0;

  const { oracle, numeric, noisePlan, prio3, notes } = collectionMechanisms(c, param, { allowInsecureRng: allowInsecure, rngOf });

  const threatModel = threatModelOf(c);
  const publicList = treatsAsPublic(c);
  const neighbours = neighboursOf(c);
  const parameters: Record<string, string | number | boolean> = {
    mode: c.mode,
    ...Object.fromEntries(Object.entries(c.mechanism).map(([key, v]) => [`mechanism.${key}`, Array.isArray(v) ? v.join(',') : (v as string | number | boolean)])),
  };
  parameters['gate.mode'] = c.gate.mode;
  parameters['gate.k'] = k;
  parameters.minCohort = c.minCohort;
  if (c.mode === 'secagg') {
    for (const key of Object.keys(c.secagg) as (keyof PlanSecagg)[]) {
      const v = c.secagg[key];
      if (v !== undefined) parameters[`secagg.${key}`] = v;
    }
  }
  Object.freeze(parameters);
  const unit = cat.kind === 'mean' ? cat.unit : null;
  const localLoss: PrivacyLoss | null = oracle ? oracle.privacyMap() : numeric ? numeric.privacyMap() : null;

  const ctx = { plan: c, oracle, numeric, modulusBits: c.mode === 'secagg' ? c.mechanism.modulusBits : 0 };
  const aggregatorLoss: PrivacyLoss | null = c.mode === 'prio3' ? { epsilon: c.mechanism.aggregatorEpsilon, delta: c.mechanism.delta } : null;

  function checkTally(tally: unknown): CollectionTally {
    if (!(tally instanceof CollectionTally) || tally.collection !== c.id) {
      throw new PinholeError('invalid_argument', 'tally', `"tally" expected a tally made by makeTally() of collection "${c.id}"`);
    }
    return tally;
  }

  function decodeEntry(entry: ReportEntry, p = 'entry'): DecodedEntry {
    const e = checkObject(p, entry) as unknown as ReportEntry;
    const needsGroup = c.kind === 'mean' && c.mode !== 'secagg' && c.mode !== 'prio3';
    if (c.mode === 'secagg') {
      throw new PinholeError('invalid_argument', `${p}.collection`, `"${p}.collection" "${c.id}" is collected by secure aggregation: its input arrives as the unmasked sum, not as report entries`);
    }
    if (needsGroup) {
      if (typeof e.group !== 'number' || !Number.isSafeInteger(e.group) || e.group < 0 || e.group >= c.groups) {
        throw new PinholeError('decode_failed', `${p}.group`, `"${p}.group" expected the device's group index, an integer >= 0 and < ${c.groups}`);
      }
    } else if (e.group !== undefined) {
      throw new PinholeError('decode_failed', `${p}.group`, `"${p}.group" expected no group: collection "${c.id}" keeps the group inside the private report`);
    }
    let report: unknown;
    try {
      if (prio3) report = decodePrio3Entry(prio3.vdaf, prio3AggregatorId, e.bytes, 'bytes');
      else if (oracle) report = oracle.decodeReport(e.bytes);
      else if (numeric) report = numeric.decodeReport(e.bytes);
      else if (c.kind === 'histogram') report = decodeExactBucket(e.bytes, c.domainSize);
      else report = decodeExactValue(e.bytes);
    } catch (err) {
      rewrap(err, `${p}.bytes`);
    }
    return { collection: c.id, group: needsGroup ? (e.group as number) : null, report };
  }

  const refusedEstimate = (cohort: number, reason: SuppressionReason, message: string, aggregator: PrivacyLoss | null, extra: Partial<CollectionEstimate> = {}): CollectionEstimate =>
    freezeDeep({
      collection: c.id,
      cohort,
      refusal: { reason, message },
      values: null,
      contributors: null,
      noiseVariance: null,
      privacyLoss: { release: { epsilon: 0, delta: 0 }, aggregator },
      settlement: null,
      notes: [...notes],
      ...extra,
    });

  function estimate(tallyInput: CollectionTally, options: EstimateOptions = {}): CollectionEstimate {
    const tally = checkTally(tallyInput);
    checkObject('options', options);
    const s = tally[TALLY_STATE];
    const cohort = tally.cohort;
    const cohortDecision = decideMinCohort(cohort, { minCohortSize: c.minCohort });
    if (!cohortDecision.ok) {
      // local DP reports were already seen by the aggregator; nothing else should have been unmasked
      if (s.type === 'secagg' && s.sum !== null && s.survivors > 0) {
        const seen = (noisePlan as DistributedNoisePlan).settle({ survivors: s.survivors }).serverPrivacyLoss;
        return refusedEstimate(cohort, 'min_cohort', cohortDecision.message, seen, {
          notes: [
            ...notes,
            `the sum of ${s.survivors} devices was unmasked below the minimum cohort of ${c.minCohort}: the aggregator saw more than devices were charged for; check the cohort before unmasking (CollectionEngine.checkCohort)`,
          ],
        });
      }
      return refusedEstimate(cohort, 'min_cohort', cohortDecision.message, localLoss);
    }
    const G = c.groups;
    const contributors = new Float64Array(G);
    const base = { collection: c.id, cohort, refusal: null, notes: [...notes] };
    switch (s.type) {
      case 'ldp-histogram': {
        const values = (oracle as AnyFrequencyOracle).estimateCounts(s.tally);
        totals(values, contributors);
        return freezeDeep({ ...base, values, contributors, noiseVariance: null, privacyLoss: { release: localLoss as PrivacyLoss, aggregator: localLoss }, settlement: null });
      }
      case 'ldp-mean': {
        const m = c.mechanism as { bounds: readonly [number, number] };
        const [lo, hi] = m.bounds;
        const half = (hi - lo) / 2;
        const values = new Float64Array(G).fill(NaN);
        s.tallies.forEach((t: NumericTally, g) => {
          contributors[g] = t.n;
          if (t.n > 0) values[g] = lo + ((numeric as NumericMechanism).estimate(t) + 1) * half;
        });
        return freezeDeep({ ...base, values, contributors, noiseVariance: null, privacyLoss: { release: localLoss as PrivacyLoss, aggregator: localLoss }, settlement: null });
      }
      case 'central-histogram': {
        const m = c.mechanism as { sigma: number; epsilon: number; delta: number };
        const rng = rngOf(options.rng);
        const draw = makeDiscreteGaussianSampler(m.sigma);
        const values = new Float64Array(s.counts.length);
        for (let v = 0; v < values.length; v++) values[v] = (s.counts[v] as number) + draw(rng);
        totals(values, contributors);
        return freezeDeep({
          ...base,
          values,
          contributors,
          noiseVariance: discreteGaussianVariance(m.sigma),
          privacyLoss: { release: { epsilon: m.epsilon, delta: m.delta }, aggregator: null },
          settlement: null,
        });
      }
      case 'central-mean': {
        const m = c.mechanism as { sigmaSum: number; sigmaCount: number; grid: number; bounds: readonly [number, number]; epsilon: number; delta: number };
        const rng = rngOf(options.rng);
        const drawSum = makeDiscreteGaussianSampler(m.sigmaSum);
        const drawCount = makeDiscreteGaussianSampler(m.sigmaCount);
        const [lo, hi] = m.bounds;
        const values = new Float64Array(G).fill(NaN);
        for (let g = 0; g < G; g++) {
          const sum = (s.sums[g] as number) + drawSum(rng);
          const count = (s.counts[g] as number) + drawCount(rng);
          contributors[g] = count;
          if (count > 0) values[g] = lo + (sum / count / m.grid) * (hi - lo);
        }
        return freezeDeep({ ...base, values, contributors, noiseVariance: null, privacyLoss: { release: { epsilon: m.epsilon, delta: m.delta }, aggregator: null }, settlement: null });
      }
      case 'prio3': {
        const m = c.mechanism as { sigma: number; epsilon: number; delta: number; grid?: number; bounds?: readonly [number, number] };
        if (s.sum === null) throw new PinholeError('invalid_state', 'tally', `collection "${c.id}" has no prio3 sum for this round (setPrio3Sum)`);
        let values: Float64Array;
        if (c.kind === 'histogram') {
          values = Float64Array.from(s.sum);
          totals(values, contributors);
        } else {
          // slots [r, grid - r] per device: the count is both slots' sum over the grid
          values = slotMeans(s.sum, 'complement', m.grid as number, m.bounds as readonly [number, number], contributors);
        }
        const insecure = s.noise === 'none_insecure_test';
        return freezeDeep({
          ...base,
          values,
          contributors,
          noiseVariance: insecure ? 0 : 2 * discreteGaussianVariance(m.sigma),
          privacyLoss: insecure
            ? { release: { epsilon: Infinity, delta: 1 }, aggregator: { epsilon: Infinity, delta: 1 } }
            : { release: { epsilon: m.epsilon, delta: m.delta }, aggregator: aggregatorLoss },
          settlement: null,
          notes: [
            ...notes,
            `${s.received} shares received, ${cohort} reports verified valid by both aggregators; invalid reports are not counted`,
            ...(insecure ? ['INSECURE TEST MODE: the aggregators added no noise; this release is not differentially private'] : []),
          ],
        });
      }
      case 'secagg': {
        const np = noisePlan as DistributedNoisePlan;
        if (s.sum === null) throw new PinholeError('invalid_state', 'tally', `collection "${c.id}" has no secure-aggregation sum for this round (setSecureSum)`);
        const settlement = np.settle({ survivors: s.survivors });
        if (settlement.status === 'refused') {
          return refusedEstimate(cohort, 'noise_below_plan', settlement.message, settlement.serverPrivacyLoss, { settlement: 'refused', notes: [...notes, ...settlement.notes] });
        }
        const finished = np.finish(s.sum, settlement, { rng: rngOf(options.rng) });
        const raw = finished.values;
        let values: Float64Array;
        if (c.kind === 'histogram') {
          values = raw;
          totals(values, contributors);
        } else {
          // slots [sum, count] per group, both on the grid
          const m = c.mechanism as { grid: number; bounds: readonly [number, number] };
          values = slotMeans(raw, 'count', m.grid, m.bounds, contributors);
        }
        return freezeDeep({
          ...base,
          values,
          contributors,
          noiseVariance: settlement.noiseVariance,
          privacyLoss: { release: settlement.privacyLoss, aggregator: settlement.serverPrivacyLoss },
          settlement: settlement.status,
          notes: [...notes, ...settlement.notes],
        });
      }
    }
  }

  function totals(values: Float64Array, out: Float64Array): void {
    const B = (buckets as readonly string[]).length;
    for (let g = 0; g < c.groups; g++) {
      let t = 0;
      for (let b = 0; b < B; b++) t += values[g * B + b] as number;
      out[g] = t;
    }
  }

  const common = () => ({
    collection: c.id,
    kind: c.kind,
    mode: c.mode,
    privacyUnit: 'device' as const,
    neighbours,
    spent: c.privacyLoss,
    threatModel,
    treatsAsPublic: publicList,
    parameters,
    buckets,
    unit,
  });

  function refused(reason: SuppressionReason, message: string, cohort: number, aggregator: PrivacyLoss | null = null, extraNotes: readonly string[] = notes): CollectionRelease {
    return freezeDeep({
      ...common(),
      status: 'refused' as const,
      refusal: { reason, message },
      privacyLoss: { release: { epsilon: 0, delta: 0 }, aggregator },
      cohort,
      noiseVariance: null,
      groups: [],
      insights: [],
      notes: [...extraNotes],
    });
  }

  const belowK =
    c.mode === 'ldp' && c.kind === 'mean'
      ? `fewer than k = ${k} devices reported for this group (the group is public for this collection)`
      : `estimated contributors below k = ${k} (a threshold on the private estimate: post-processing, no privacy cost)`;

  function publish(est: CollectionEstimate): CollectionRelease {
    if (typeof est !== 'object' || est === null || est.collection !== c.id) {
      throw new PinholeError('invalid_argument', 'estimate', `"estimate" expected an estimate of collection "${c.id}"`);
    }
    if (est.refusal) return refused(est.refusal.reason, est.refusal.message, est.cohort, est.privacyLoss.aggregator, est.notes);
    const values = est.values as Float64Array;
    const contributors = est.contributors as Float64Array;
    const released: ReleasedGroup[] = [];
    let insightList: InsightRelease[];
    if (c.kind === 'histogram') {
      const B = (buckets as readonly string[]).length;
      const estimates: HistogramGroupEstimate[] = [];
      for (let g = 0; g < c.groups; g++) {
        const raw = values.subarray(g * B, (g + 1) * B);
        const clipped = raw.map((x) => (x < 0 ? 0 : x));
        const ok = (contributors[g] as number) >= k;
        estimates.push({ key: groups[g] as string, released: ok, counts: clipped });
        released.push(
          ok
            ? {
                key: groups[g] as string,
                released: true,
                reason: null,
                message: null,
                contributors: contributors[g] as number,
                counts: Array.from(clipped),
                rawCounts: Array.from(raw),
                mean: null,
                rawMean: null,
              }
            : suppressed(groups[g] as string),
        );
      }
      insightList = insights.map((ins) => histogramInsight(ins, estimates, B));
    } else {
      const [lo, hi] = (c.mechanism as { bounds: readonly [number, number] }).bounds;
      const estimates: MeanGroupEstimate[] = [];
      for (let g = 0; g < c.groups; g++) {
        const raw = values[g] as number;
        const ok = (contributors[g] as number) >= k;
        const mean = Number.isFinite(raw) ? Math.min(hi, Math.max(lo, raw)) : NaN;
        estimates.push({ key: groups[g] as string, released: ok, mean, contributors: contributors[g] as number });
        released.push(
          ok
            ? {
                key: groups[g] as string,
                released: true,
                reason: null,
                message: null,
                contributors: contributors[g] as number,
                counts: null,
                rawCounts: null,
                mean: Number.isFinite(mean) ? mean : null,
                rawMean: Number.isFinite(raw) ? raw : null,
              }
            : suppressed(groups[g] as string),
        );
      }
      insightList = insights.map((ins) => meanInsight(ins, estimates));
    }
    return freezeDeep({
      ...common(),
      status: 'released' as const,
      refusal: null,
      privacyLoss: est.privacyLoss,
      cohort: est.cohort,
      noiseVariance: est.noiseVariance,
      groups: released,
      insights: insightList,
      notes: [...est.notes],
    });
  }

  function suppressed(key: string): ReleasedGroup {
    return { key, released: false, reason: 'below_k', message: belowK, contributors: null, counts: null, rawCounts: null, mean: null, rawMean: null };
  }

  return Object.freeze({
    id: c.id,
    plan: c,
    kind: c.kind,
    mode: c.mode,
    groups: Object.freeze(groups.slice()),
    buckets: buckets ? Object.freeze(buckets.slice()) : null,
    insights: Object.freeze(insights),
    oracle,
    numeric,
    noisePlan,
    prio3,
    makeTally: () => new CollectionTally(ctx),
    decodeEntry,
    estimate,
    publish,
    release: (tally: CollectionTally, opts?: EstimateOptions) => publish(estimate(tally, opts)),
    refused: (reason: SuppressionReason, message: string, cohort: number) => refused(reason, message, cohort, localLoss),
    checkCohort(cohort: number): void {
      const d = decideMinCohort(cohort, { minCohortSize: c.minCohort });
      if (!d.ok) throw new PinholeError('invalid_state', 'cohort', `"cohort" expected at least ${c.minCohort} devices for collection "${c.id}" before unmasking or release: ${d.message}`);
    },
  });
}

/**
 * The mean of each group from a summed vector of slot pairs [S, second] on the grid: `second` is the
 * count (secure aggregation) or the complement grid − r of each device's value (prio3, whose count
 * is S + second). Writes each group's contributors; NaN for a group nobody reported to.
 */
function slotMeans(sum: ArrayLike<number>, second: 'count' | 'complement', grid: number, bounds: readonly [number, number], contributors: Float64Array): Float64Array {
  const [lo, hi] = bounds;
  const values = new Float64Array(contributors.length).fill(NaN);
  for (let g = 0; g < contributors.length; g++) {
    const S = sum[2 * g] as number;
    const C = second === 'count' ? (sum[2 * g + 1] as number) : S + (sum[2 * g + 1] as number);
    contributors[g] = C / grid;
    if (C > 0) values[g] = lo + (S / C) * (hi - lo);
  }
  return values;
}
