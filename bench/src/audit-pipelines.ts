/**
 * Whole pipelines for the auditor: the bench's private pipelines (their engine configurations, made
 * into plans with `makePlan`) from the audited device's perturbation to the published release of
 * @pinhole/aggregator's engine. In every run the audited device goes the way a real one goes: its
 * entry (`deviceEntry`) in a report envelope (`encodeRoundReport`) added to a round by bytes, or
 * for secure aggregation its vector (`deviceVector`) plus its noise share (`addShare`) encoded mod
 * 2^b into the sum the engine unmasks. The other devices of the round (fixed values, fresh
 * randomness each run) enter through the engine's own inputs: their perturbed reports tallied
 * (local DP), exact counts or values (central), or their vectors' sum with their shares' noise
 * drawn in one go (secure aggregation, exact by Skellam additivity). The output is the released
 * group: what a carrier reads.
 *
 * Collections: "device-class" (one group, five buckets) for histogram pipelines and
 * "rtt-by-operator" (one operator) for mean pipelines. Neighbours: local DP pipelines change the
 * audited device's value (bucket 0 vs 1; RTT 0 vs 60,000 ms, the ends of the schema's range);
 * central and secure-aggregation pipelines add or remove the audited device (bucket 0, or RTT
 * 60,000 ms): one of the two steps of the replace-one relation their noise is calibrated for (a
 * one-step audit, the looser one). The cohort size is public in every
 * release's threat model, so the features read only the group's released values and its gate
 * decision.
 */
import { type CollectionEngine, type ReleaseEngine, type ReleasedGroup, makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import { deviceEntry, deviceMechanism, toUnitInterval } from '@pinhole/client';
import { deviceVector } from '@pinhole/client/secagg';
import { type PrivacyLoss, type Rng, encodeRoundReport, makeReportId } from '@pinhole/core';
import { NUMERIC_FIELDS } from '@pinhole/core/schema';
import type { DistributedNoisePlan } from '@pinhole/gate';
import type { AnyDeviceOracle, AnyFrequencyOracle, DeviceNumericMechanism, NumericMechanism } from '@pinhole/ldp';
import { prio3Measurement } from '@pinhole/prio3';
import type { AuditFeature, AuditTarget } from './audit.js';
import { makeSecaggDdpPipeline } from './ddp-pipeline.js';
import type { EngineConfig } from './pipeline.js';
import { allPipelines } from './pipelines.js';

/**
 * Other devices in an audited round. Local DP: k, the fewest the engine releases (every other
 * device's report adds noise to the audited one's, so fewer is a sharper audit). Central and
 * secure aggregation: 2k, so the group's noisy total clears k in almost every run (the noise does
 * not depend on the cohort).
 */
export const AUDIT_OTHERS_LDP = 20;
export const AUDIT_OTHERS = 40;
const K = 20;
const DOMAINS = { operators: ['001-01'], regions: ['audit'], cells: ['audit/cell'] };
/** The secure-aggregation pipeline as the bench configures it with --dropout-rate 0.05: a round without the audited device still has its planned survivors. */
const SECAGG_DROPOUT = 0.05;
const RTT_MAX = NUMERIC_FIELDS.rttMs.max;

export type PipelineCollection = 'device-class' | 'rtt-by-operator';

/** The pipelines the auditor covers, with the collections each serves. */
export function auditablePipelines(): { id: string; collections: PipelineCollection[] }[] {
  return allPipelines()
    .filter((p) => p.private && p.config)
    .map((p) => ({ id: p.id, collections: [...(p.histogram ? ['device-class' as const] : []), ...(p.mean ? ['rtt-by-operator' as const] : [])] }));
}

/**
 * Largest Skellam mass per coordinate of a secure-aggregation mean in the audit (the bench's default
 * is 2^17): exact Poisson draws cost O(mu) per run, so the audit's grid is coarser (3 to 24 points
 * instead of 40 to 278); the mechanism and its privacy argument are the same for every grid.
 */
const SECAGG_MEAN_NOISE_CAP = 2 ** 10;

function configOf(id: string): EngineConfig {
  if (id === 'secagg-ddp') {
    const config = makeSecaggDdpPipeline({ dropoutRate: SECAGG_DROPOUT }).config as EngineConfig;
    return { ...config, secagg: { ...config.secagg, meanNoiseCap: SECAGG_MEAN_NOISE_CAP } };
  }
  const p = allPipelines().find((x) => x.id === id);
  if (!p?.config) throw new Error(`no engine configuration for pipeline ${id}`);
  return p.config;
}

function othersOf(config: EngineConfig): number {
  return config.mode === 'ldp' ? AUDIT_OTHERS_LDP : AUDIT_OTHERS;
}

function engineOf(id: string, collection: PipelineCollection, epsilon: number, delta: number): ReleaseEngine {
  const plan = makePlan({
    id: 'pinhole-audit',
    insights: [collection === 'device-class' ? 'device-class-share' : 'rtt-mean'],
    domains: DOMAINS,
    budget: { epsilon, delta },
    expectedDevices: othersOf(configOf(id)) + 1,
    k: K,
    ...configOf(id),
  });
  return makeReleaseEngine(plan, { allowInsecureRng: true });
}

function groupFeatures(kind: 'histogram' | 'mean', replace: boolean): AuditFeature<ReleasedGroup>[] {
  const withheld = (g: ReleasedGroup) => !g.released;
  const out: AuditFeature<ReleasedGroup>[] = [
    { name: 'released', kind: 'categorical', key: (g) => (g.released ? 'released' : 'withheld') },
    { name: 'estimated contributors (-Infinity: withheld)', kind: 'ordered', value: (g) => (withheld(g) ? -Infinity : (g.contributors as number)) },
  ];
  if (kind === 'mean') {
    out.push({ name: 'raw mean (-Infinity: withheld)', kind: 'ordered', value: (g) => (withheld(g) || g.rawMean === null ? -Infinity : g.rawMean) });
    return out;
  }
  out.push({ name: 'raw count of bucket 0 (-Infinity: withheld)', kind: 'ordered', value: (g) => (withheld(g) ? -Infinity : (g.rawCounts?.[0] as number)) });
  if (replace) {
    out.push({ name: 'raw count of bucket 1 (-Infinity: withheld)', kind: 'ordered', value: (g) => (withheld(g) ? -Infinity : (g.rawCounts?.[1] as number)) });
    out.push({
      name: 'raw count of bucket 0 - bucket 1 (-Infinity: withheld)',
      kind: 'ordered',
      value: (g) => (withheld(g) ? -Infinity : (g.rawCounts?.[0] as number) - (g.rawCounts?.[1] as number)),
    });
  }
  return out;
}

let round = 0;

/** One round of the engine: the audited device's report bytes (if any) and the others' input, released. */
function releaseGroup(
  engine: ReleaseEngine,
  rng: Rng,
  own: ((c: CollectionEngine) => Uint8Array | null) | null,
  others: (c: CollectionEngine, r: ReturnType<ReleaseEngine['openRound']>) => void,
): ReleasedGroup {
  const c = engine.collections[0] as CollectionEngine;
  const roundId = `audit-${round++}`;
  const r = engine.openRound({ roundId });
  if (own) {
    const bytes = own(c);
    if (bytes) {
      r.add(encodeRoundReport({ planId: engine.plan.id, planRevision: engine.plan.revision, roundId, reportId: makeReportId(rng, { allowInsecureRng: true }), entries: [deviceEntryBytes(bytes, c)] }));
    }
  }
  others(c, r);
  const release = r.release({ rng });
  const col = release.collections[0];
  if (!col || col.status !== 'released') throw new Error(`audited round refused: ${col?.refusal?.message ?? 'no collection'}`);
  return col.groups[0] as ReleasedGroup;
}

/** The entry of the audited device: its mechanism bytes under the collection (group 0 for means). */
function deviceEntryBytes(bytes: Uint8Array, c: CollectionEngine) {
  return c.kind === 'mean' ? { collection: c.id, group: 0, bytes } : { collection: c.id, bytes };
}

/** Adds `modular` (mod 2^b) into `acc`. */
function addModular(acc: Uint32Array, y: ArrayLike<number>, modulus: number): void {
  for (let j = 0; j < acc.length; j++) acc[j] = ((acc[j] as number) + (y[j] as number)) % modulus;
}

export interface PipelineTargetOptions {
  /** a deliberately broken device: the secure-aggregation device does not clamp its value (and skips addShare's bounds check) */
  readonly brokenNoClamp?: boolean;
}

/** The audit target of one bench pipeline on one collection at one epsilon (delta 1e-6 where the mode needs one). */
export function pipelineTarget(id: string, collection: PipelineCollection, epsilon: number, delta = 1e-6, options: PipelineTargetOptions = {}): AuditTarget<ReleasedGroup> {
  const engine = engineOf(id, collection, epsilon, delta);
  const c = engine.collections[0] as CollectionEngine;
  const kind = c.kind;
  const mode = c.mode;
  // local DP and prio3 are audited as replace-one neighbours (the cohort size public); central and secagg as add/remove
  const replace = mode === 'ldp' || mode === 'prio3';
  let run: (input: 0 | 1, rng: Rng) => ReleasedGroup;
  let neighbours: string;

  if (mode === 'ldp' && kind === 'histogram') {
    const oracle = deviceMechanism(c.plan, { allowInsecureRng: true }) as AnyDeviceOracle;
    const server = c.oracle as AnyFrequencyOracle;
    const othersBucket = 2;
    neighbours = `the audited device in bucket 0 vs bucket 1, ${AUDIT_OTHERS_LDP} others in bucket ${othersBucket}`;
    run = (input, rng) =>
      releaseGroup(
        engine,
        rng,
        (col) => deviceEntry(col.plan, { bucket: input }, rng, { mechanism: oracle, allowInsecureRng: true }).bytes,
        (col, r) => {
          const t = server.makeTally();
          for (let i = 0; i < AUDIT_OTHERS_LDP; i++) t.add(oracle.perturb(othersBucket, rng));
          r.tally(col.id).addOracleTally(t);
        },
      );
  } else if (mode === 'ldp') {
    const mech = deviceMechanism(c.plan, { allowInsecureRng: true }) as DeviceNumericMechanism;
    const server = c.numeric as NumericMechanism;
    const bounds = c.plan.mechanism.kind === 'numeric' ? c.plan.mechanism.bounds : ([0, 500] as const);
    const othersValue = 50;
    neighbours = `the audited device's RTT 0 ms vs ${RTT_MAX} ms, ${AUDIT_OTHERS_LDP} others at ${othersValue} ms (one operator, public)`;
    run = (input, rng) =>
      releaseGroup(
        engine,
        rng,
        (col) => deviceEntry(col.plan, { group: 0, value: input === 0 ? 0 : RTT_MAX }, rng, { mechanism: mech, allowInsecureRng: true }).bytes,
        (col, r) => {
          const t = server.makeTally();
          const unit = toUnitInterval(bounds, othersValue);
          for (let i = 0; i < AUDIT_OTHERS_LDP; i++) t.add(mech.perturb(unit, rng));
          r.tally(col.id).addNumericTally(0, t);
        },
      );
  } else if (mode === 'central') {
    neighbours =
      kind === 'histogram'
        ? `the audited device in bucket 0 present vs absent, ${AUDIT_OTHERS} others in bucket 2`
        : `the audited device (RTT ${RTT_MAX} ms) present vs absent, ${AUDIT_OTHERS} others at 50 ms`;
    const counts = new Array<number>(c.plan.domainSize).fill(0);
    counts[2] = AUDIT_OTHERS;
    const groups = new Array<number>(AUDIT_OTHERS).fill(0);
    const values = new Array<number>(AUDIT_OTHERS).fill(50);
    run = (input, rng) =>
      releaseGroup(engine, rng, input === 1 ? null : (col) => deviceEntry(col.plan, kind === 'histogram' ? { bucket: 0 } : { group: 0, value: RTT_MAX }, rng).bytes, (col, r) => {
        if (kind === 'histogram') r.tally(col.id).addExactCounts(counts);
        else r.tally(col.id).addExactValues(groups, values);
      });
  } else if (mode === 'prio3') {
    // the sum of the valid reports (the audited device's own measurement, as the client encodes it)
    // plus each aggregator's N_Z(0, sigma^2), as the leader combines it
    const noise = c.prio3 as NonNullable<CollectionEngine['prio3']>;
    const D = (c.plan.mechanism as { length: number }).length;
    const othersSum = new Array<number>(D).fill(0);
    const grid = (c.plan.mechanism as { grid?: number }).grid ?? 1;
    if (kind === 'histogram') othersSum[2] = AUDIT_OTHERS;
    else othersSum[1] = AUDIT_OTHERS * grid; // others at RTT 0 ms: slots [0, grid]
    neighbours =
      kind === 'histogram'
        ? `the audited device in bucket 0 vs bucket 1, ${AUDIT_OTHERS} others in bucket 2 (replace-one, the cohort public)`
        : `the audited device's RTT 0 ms vs ${RTT_MAX} ms, ${AUDIT_OTHERS} others at 0 ms (replace-one, the cohort public)`;
    run = (input, rng) =>
      releaseGroup(engine, rng, null, (col, r) => {
        const own = prio3Measurement(col.plan, kind === 'histogram' ? { bucket: input } : { group: 0, value: input === 0 ? 0 : RTT_MAX }, rng);
        const a = noise.noise(rng);
        const b = noise.noise(rng);
        const sum = othersSum.map((x, j) => x + (a[j] as number) + (b[j] as number) + (typeof own === 'number' ? (own === j ? 1 : 0) : (own[j] as number)));
        r.tally(col.id).setPrio3Sum(sum, AUDIT_OTHERS + 1);
      });
  } else {
    const plan = c.noisePlan as DistributedNoisePlan;
    const modulus = 2 ** plan.modulusBits;
    const D = plan.vectorLength;
    const mech = c.plan.mechanism as { grid?: number; bounds?: readonly [number, number] };
    const grid = mech.grid ?? 1;
    // the others' vectors summed: histogram: all in bucket 2; mean: RTT 0 ms (grid value 0) and the count slot
    const othersSum = new Array<number>(D).fill(0);
    if (kind === 'histogram') othersSum[2] = AUDIT_OTHERS;
    else othersSum[1] = AUDIT_OTHERS * grid;
    neighbours =
      kind === 'histogram'
        ? `the audited device in bucket 0 present vs absent (with its noise share), ${AUDIT_OTHERS} others in bucket 2`
        : `the audited device (RTT ${RTT_MAX} ms) present vs absent (with its noise share), ${AUDIT_OTHERS} others at 0 ms`;
    const ownVector = (rng: Rng): Int32Array => {
      if (!options.brokenNoClamp) return plan.addShare(deviceVector(c.plan, kind === 'histogram' ? { bucket: 0 } : { group: 0, value: RTT_MAX }, rng, { allowInsecureRng: true }), rng);
      // broken: the value mapped onto the grid without the clamp, the share added by hand (no bounds check)
      const [lo, hi] = mech.bounds as readonly [number, number];
      const v = new Int32Array(D);
      v[0] = Math.round(((RTT_MAX - lo) / (hi - lo)) * grid);
      v[1] = grid;
      const share = plan.clientShare(rng);
      for (let j = 0; j < D; j++) v[j] = (v[j] as number) + (share[j] as number);
      return v;
    };
    run = (input, rng) =>
      releaseGroup(engine, rng, null, (col, r) => {
        const noise = plan.simulateSumNoise(AUDIT_OTHERS, rng);
        const total = new Int32Array(D);
        for (let j = 0; j < D; j++) total[j] = (othersSum[j] as number) + (noise[j] as number);
        const sum = plan.toRing(total);
        if (input === 0) addModular(sum, plan.toRing(ownVector(rng)), modulus);
        r.tally(col.id).setSecureSum(sum, AUDIT_OTHERS + (input === 0 ? 1 : 0));
      });
  }

  // what the release states (local DP: the mechanism's epsilon; central: the plan's (epsilon, delta); secure
  // aggregation: the loss promised for any round with at least the planned survivors)
  const claimed: PrivacyLoss =
    mode === 'ldp'
      ? ((c.oracle ?? c.numeric) as { privacyMap(): PrivacyLoss }).privacyMap()
      : mode === 'central' || mode === 'prio3'
        ? { epsilon: (c.plan.mechanism as { epsilon: number }).epsilon, delta: (c.plan.mechanism as { delta: number }).delta }
        : (c.noisePlan as DistributedNoisePlan).privacyLoss;
  const name = options.brokenNoClamp ? `broken/${id}-no-clamp` : `pipeline/${id}/${collection}`;
  return {
    id: name,
    family: 'pipeline',
    description: `${id} on ${collection}: ${c.plan.mechanism.kind === 'oracle' || c.plan.mechanism.kind === 'numeric' ? `${c.plan.mechanism.name}, ` : ''}the audited device through the release engine to the published group`,
    ...(options.brokenNoClamp ? { broken: "the device maps its RTT onto the grid without clamping it to the plan's bounds (and adds its share by hand, skipping addShare's bounds check)" } : {}),
    epsilon,
    claimed,
    neighbours,
    run,
    features: groupFeatures(kind, replace),
    // a broken variant gets more runs: a violation can only be proven up to about ln(runs / ln(2m/alpha))
    cost: options.brokenNoClamp ? 20 : mode === 'secagg' && kind === 'mean' ? 80 : 40,
  };
}
