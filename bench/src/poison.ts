/**
 * Poisoning: a fraction of malicious devices (each one device, one report: the contribution bound
 * the server enforces; Sybil devices are how an attacker gets many) send the reports that move one
 * chosen group's figure the most, and the release engine of each pipeline publishes. Two figures:
 * the share of poor measurements of one operator × region ("poor-by-operator-region", pushed up)
 * and the mean RTT of one operator ("rtt-by-operator", pushed up).
 *
 * The attacks are the maximal-gain attacks of Cao, Jia and Gong ("Data Poisoning Attacks to Local
 * Differential Privacy Protocols", USENIX Security 2021), restricted to what gets through the
 * aggregator's input validation: every crafted local-DP report and every exact report is decoded
 * by the engine (`decodeEntry`), and a report it refuses is not used.
 * - local DP oracles: the report that supports the target bucket and not the group's other bucket
 *   (GRR: the target; unary encodings: its bit alone; subset selection: its bit plus k - 1 others
 *   outside the group, as decoding demands exactly k; local hashing: a seed found so that only the
 *   target hashes to y; Hadamard: an output in C_target and not in C_other). Each counts as
 *   (1 - q*)/(p* - q*) devices in the target bucket: local DP amplifies poisoning.
 * - local DP means: the largest report that decodes (the top of the mechanism's output lattice).
 * - central-dp and kanon-only: one exact bucket, or an exact value that the engine clamps.
 * - secagg-ddp: a masked vector is never validated, so the attackers add +A to the target
 *   coordinate and -A to the other (A = 2^(b-2), no wrap): the published share goes to 100 % and
 *   the mean to the top of its bounds, whatever their number.
 * - prio3-dp: the attackers' out-of-range report (1000 in the target bucket; a non-bit in the
 *   target group's value slot) with a proof made for it is run through the VDAF here and rejected
 *   at verification, so it is not counted; what remains is the best valid report: the one-hot
 *   target bucket (one count), or the slots [grid, 0] in the target group (an honest device at the
 *   top of the bounds).
 * Attackers join the honest devices: with fraction f of all reporting devices, m = round(f·N/(1-f))
 * attackers join N honest ones, and every plan is made for N + m devices.
 */
import { type CollectionEngine, type CollectionRelease, type ReleasedGroup } from '@pinhole/aggregator';
import { deviceMechanism } from '@pinhole/client';
import { type WireValue, encodeEnvelope, encodeExactBucket, encodeExactValue } from '@pinhole/core';
import { seededRng } from '@pinhole/core/testing';
import type { DistributedNoisePlan } from '@pinhole/gate';
import type { AnyFrequencyOracle, DeviceNumericMechanism, NumericMechanism, NumericTally } from '@pinhole/ldp';
import { type Prio3CollectionVdaf, LEADER_ID, HELPER_ID, Prio3, prio3Context, prio3Vdaf } from '@pinhole/prio3';
import { supports } from './audit-mechanisms.js';
import { makeSecaggDdpPipeline } from './ddp-pipeline.js';
import { type ErrorSummary, summarise } from './output.js';
import { type EngineConfig, SkipPipeline, engineFor } from './pipeline.js';
import { allPipelines } from './pipelines.js';
import type { HistogramData, MeanData } from './prepare.js';

export type PoisonCollection = 'poor-by-operator-region' | 'rtt-by-operator';

/** The pipelines of the experiment, in report order (`planned`: listed, not run yet, with why). */
export const POISON_PIPELINES: readonly { id: string; planned?: string }[] = [
  { id: 'kanon-only' },
  { id: 'central-dp' },
  { id: 'secagg-ddp' },
  { id: 'prio3-dp' },
  ...allPipelines()
    .filter((p) => p.id.startsWith('ldp-'))
    .map((p) => ({ id: p.id })),
];

export interface PoisonPoint {
  readonly pipeline: string;
  readonly collection: PoisonCollection;
  readonly epsilon: number;
  /** attackers as a share of all reporting devices */
  readonly fraction: number;
  readonly attackers: number;
  readonly honest: number;
  /** honest devices in the target group */
  readonly targetDevices: number;
  /** the honest figure (poor share in percentage points, or mean RTT in ms) */
  readonly truth: number;
  /** published figure minus the honest figure, over trials (NaN where the group was withheld) */
  readonly shift: ErrorSummary;
  /** trials in which the target group was published */
  readonly released: number;
  /** the largest expected shift the pipeline's contribution bounds and input validation allow (null: unbounded) */
  readonly bound: number | null;
}

export interface PoisonAttackInfo {
  readonly pipeline: string;
  readonly collection: PoisonCollection;
  readonly epsilon: number;
  /** the crafted report, in words */
  readonly report: string;
  /** what one attacker adds at most, in words */
  readonly limit: string;
  /** devices one attacker counts as in the target bucket or sum (null: unbounded) */
  readonly amplification: number | null;
}

export interface PoisonTarget {
  readonly collection: PoisonCollection;
  readonly group: number;
  readonly label: string;
  readonly devices: number;
  readonly truth: number;
}

/** The group with the median number of devices among those with at least 100 (a typical group, not the largest). */
export function pickTargetGroup(data: HistogramData | MeanData): number {
  const sizes: [number, number][] = [];
  if (data.kind === 'histogram') {
    const B = data.buckets.length;
    for (let g = 0; g < data.groups.length; g++) {
      let s = 0;
      for (let b = 0; b < B; b++) s += data.sampledCounts[g * B + b] as number;
      sizes.push([g, s]);
    }
  } else data.devices.forEach((n, g) => sizes.push([g, n]));
  const big = sizes.filter(([, s]) => s >= 100).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
  const pick = big.length ? big : sizes.sort((a, b) => b[1] - a[1]);
  return (pick[Math.floor((pick.length - 1) / 2)] as [number, number])[0];
}

export function poisonTarget(data: HistogramData | MeanData, group: number): PoisonTarget {
  if (data.kind === 'histogram') {
    const ok = data.sampledCounts[group * 2] as number;
    const poor = data.sampledCounts[group * 2 + 1] as number;
    return { collection: 'poor-by-operator-region', group, label: data.groups[group] as string, devices: ok + poor, truth: (100 * poor) / (ok + poor) };
  }
  let s = 0;
  let n = 0;
  for (let i = 0; i < data.n; i++) if (data.groupOf[i] === group) {
    s += data.values[i] as number;
    n++;
  }
  return { collection: 'rtt-by-operator', group, label: data.groups[group] as string, devices: n, truth: s / n };
}

/**
 * Largest Skellam mass per coordinate of a secure-aggregation mean here (the bench's default is
 * 2^17): exact Poisson draws cost O(mu) per trial; the attack does not depend on the grid.
 */
const SECAGG_MEAN_NOISE_CAP = 2 ** 12;

/** Whether the bench's pipeline serves this kind of collection (ldp oracles histograms only, numeric mechanisms means only). */
export function serves(id: string, kind: 'histogram' | 'mean'): boolean {
  const p = allPipelines().find((x) => x.id === id);
  return p !== undefined && (kind === 'histogram' ? p.histogram !== undefined : p.mean !== undefined);
}

function configOf(id: string): EngineConfig | null {
  if (id === 'kanon-only') return null;
  if (id === 'secagg-ddp') {
    const config = makeSecaggDdpPipeline().config as EngineConfig;
    return { ...config, secagg: { ...config.secagg, meanNoiseCap: SECAGG_MEAN_NOISE_CAP } };
  }
  const p = allPipelines().find((x) => x.id === id);
  if (!p?.config) throw new Error(`no engine configuration for pipeline ${id}`);
  return p.config;
}

/** The attackers' report entry bytes, decoded by the engine (null when the engine refuses them). */
function accepted(c: CollectionEngine, bytes: Uint8Array, group?: number): unknown {
  try {
    return c.decodeEntry(group === undefined ? { collection: c.id, bytes } : { collection: c.id, group, bytes }).report;
  } catch {
    return null;
  }
}

function packed(d: number, bits: readonly number[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(d / 8));
  for (const b of bits) out[b >>> 3] = (out[b >>> 3] as number) | (1 << (b & 7));
  return out;
}

/**
 * The oracle report that moves bucket `target` up against `other` the most, among candidates that
 * the engine decodes: gain = supports(target) - supports(other).
 */
export function craftOracleReport(c: CollectionEngine, target: number, other: number): { report: unknown; words: string } {
  const oracle = c.oracle as AnyFrequencyOracle;
  const d = oracle.domainSize;
  const type = `ldp/${oracle.name}`;
  const candidates: WireValue[] = [];
  switch (oracle.name) {
    case 'grr':
      candidates.push(target);
      break;
    case 'hadamard-response':
    case 'hadamard-one-bit':
      for (let y = 0; y < oracle.vectorLength * (oracle.name === 'hadamard-one-bit' ? 2 : 1); y++) candidates.push(y);
      break;
    case 'sue':
    case 'oue':
      candidates.push(packed(d, [target]));
      break;
    case 'subset-selection': {
      const k = (oracle as unknown as { k: number }).k;
      const extra: number[] = [];
      for (let v = 0; v < d && extra.length < k - 1; v++) if (v !== target && v !== other) extra.push(v);
      candidates.push(packed(d, [target, ...extra]));
      break;
    }
    case 'blh':
    case 'olh': {
      const g = (oracle as unknown as { g: number }).g;
      const rng = seededRng('poison/seed-search');
      for (let i = 0; i < 4096; i++) {
        const a = rng.u32();
        const b = rng.u32();
        const h = ((Math.imul(a, target) + b) >>> 0) >>> 16;
        candidates.push([a, b, (h * g) >>> 16]);
      }
      break;
    }
  }
  let best: unknown = null;
  let bestGain = -Infinity;
  for (const p of candidates) {
    const r = accepted(c, encodeEnvelope(type, p));
    if (r === null) continue;
    const gain = (supports(oracle, r, target) ? 1 : 0) - (supports(oracle, r, other) ? 1 : 0);
    if (gain > bestGain) {
      bestGain = gain;
      best = r;
      if (gain === 1) break;
    }
  }
  if (best === null) throw new Error(`no crafted ${oracle.name} report decodes`);
  const words: Record<string, string> = {
    grr: 'the target bucket',
    'hadamard-response': 'an output in C_target outside C_other',
    'hadamard-one-bit': 'a row where the target and the other bucket differ, with the target\'s bit',
    sue: 'the target bit alone',
    oue: 'the target bit alone',
    'subset-selection': 'the target bit and k - 1 bits outside the group (decoding demands exactly k)',
    blh: 'a hash seed under which only the target hashes to y',
    olh: 'a hash seed under which only the target hashes to y',
  };
  return { report: best, words: `${words[oracle.name]}${bestGain < 1 ? ' (the best that decodes supports the other bucket too)' : ''}` };
}

/**
 * The numeric report with the largest unbiased value that the engine decodes: the top of the
 * output range, serialised by the mechanism's own encoder (its wire payload differs from the value
 * for Duchi), else the largest lattice point of many honest reports of t = 1.
 */
export function craftNumericReport(c: CollectionEngine, group: number): { report: number; value: number; words: string } {
  const m = c.numeric as NumericMechanism;
  const tryValue = (x: number): number | null => {
    let bytes: Uint8Array;
    try {
      bytes = m.encodeReport(x);
    } catch {
      return null;
    }
    const r = accepted(c, bytes, group);
    return typeof r === 'number' ? r : null;
  };
  const top = tryValue(m.outputRange[1]);
  if (top !== null) return { report: top, value: m.unbias(top), words: `the top of the output range (${top.toPrecision(4)})` };
  const rng = seededRng('poison/numeric');
  const device = deviceMechanism(c.plan, { allowInsecureRng: true }) as DeviceNumericMechanism;
  let best = -Infinity;
  for (let i = 0; i < 20_000; i++) best = Math.max(best, device.perturb(1, rng));
  const r = tryValue(best);
  if (r === null) throw new Error(`no crafted ${m.name} report decodes`);
  return { report: r, value: m.unbias(r), words: `the largest lattice point seen from t = 1 (${r.toPrecision(4)}; the range top ${m.outputRange[1].toPrecision(4)} is not a report)` };
}

/**
 * Whether the VDAF rejects a report whose encoded measurement was tampered with after encoding and
 * whose proof was made for the tampered encoding (what a malicious phone can send): the report is
 * sharded with a copy of the circuit whose `encode` tampers, then verified by both aggregators.
 */
export function prio3Rejects(c: CollectionEngine, measurement: unknown, tamper: (encoded: Uint32Array, vdaf: Prio3CollectionVdaf) => void): boolean {
  const vdaf = prio3Vdaf(c.plan);
  const circuit = Object.create(vdaf.circuit) as typeof vdaf.circuit;
  (circuit as { encode(m: unknown): Uint32Array }).encode = (m: unknown) => {
    const v = (vdaf.circuit.encode as (x: unknown) => Uint32Array).call(vdaf.circuit, m);
    tamper(v, vdaf);
    return v;
  };
  const evil = new Prio3(vdaf.id, vdaf.name, 2, circuit as never) as unknown as Prio3<unknown, unknown>;
  const ctx = prio3Context({ id: 'pinhole-bench', revision: 1 }, c.id);
  const rng = seededRng('poison/prio3');
  const nonce = rng.bytes(16);
  const key = rng.bytes(32);
  const s = evil.shard(ctx, measurement, nonce, rng.bytes(vdaf.randSize));
  try {
    const l = vdaf.verifyInit(key, ctx, LEADER_ID, nonce, s.publicShare, s.inputShares[LEADER_ID] as Uint8Array);
    const h = vdaf.verifyInit(key, ctx, HELPER_ID, nonce, s.publicShare, s.inputShares[HELPER_ID] as Uint8Array);
    const msg = vdaf.verifierSharesToMessage(ctx, [l.verifierShare, h.verifierShare]);
    vdaf.verifyNext(ctx, l.state, msg);
    vdaf.verifyNext(ctx, h.state, msg);
    return false;
  } catch {
    return true;
  }
}

export interface PoisonRunOptions {
  readonly epsilon: number;
  readonly delta: number;
  readonly k: number;
  readonly fractions: readonly number[];
  readonly trials: number;
  readonly seed: string;
}

export function attackersFor(fraction: number, honest: number): number {
  return fraction <= 0 ? 0 : Math.round((fraction * honest) / (1 - fraction));
}

function groupOf(release: CollectionRelease | null, group: number): ReleasedGroup | null {
  if (!release || release.status !== 'released') return null;
  const g = release.groups[group];
  return g && g.released ? g : null;
}

function shareOf(g: ReleasedGroup | null): number {
  if (!g || !g.counts) return NaN;
  const ok = g.counts[0] as number;
  const poor = g.counts[1] as number;
  return ok + poor > 0 ? (100 * poor) / (ok + poor) : NaN;
}

/** One pipeline on the histogram collection: the points over the fractions, and what an attacker can do. */
export function poisonHistogram(pipeline: string, data: HistogramData, target: PoisonTarget, o: PoisonRunOptions): { points: PoisonPoint[]; attack: PoisonAttackInfo } | null {
  if (!serves(pipeline, 'histogram')) return null;
  const config = configOf(pipeline);
  const t = target.group * 2 + 1;
  const other = target.group * 2;
  const N = data.n;
  const honestT = data.sampledCounts[t] as number;
  const honestO = data.sampledCounts[other] as number;
  const exactBound = (m: number) => (100 * (honestT + m)) / (honestT + honestO + m) - target.truth;
  const points: PoisonPoint[] = [];
  let attack: PoisonAttackInfo | null = null;
  for (const fraction of o.fractions) {
    const m = attackersFor(fraction, N);
    const shifts: number[] = [];
    let released = 0;
    let bound: number | null = exactBound(m);
    let c: CollectionEngine | null = null;
    if (config) {
      try {
        c = engineFor(config, data, o.epsilon, o.delta, o.k, N + m);
      } catch (err) {
        if (err instanceof SkipPipeline) return null;
        throw err;
      }
    }
    // the attackers' entry, decoded by the engine, and what it does
    let attackVector: Float64Array | null = null;
    if (c && c.mode === 'ldp') {
      const oracle = c.oracle as AnyFrequencyOracle;
      const crafted = craftOracleReport(c, t, other);
      attackVector = Float64Array.from((oracle as { toVector(r: unknown): Int32Array }).toVector(crafted.report));
      const a = (1 - oracle.qStar) / (oracle.pStar - oracle.qStar);
      const b = oracle.qStar / (oracle.pStar - oracle.qStar);
      bound = Math.min(100, (100 * (honestT + m * a)) / Math.max(1e-9, honestT + honestO + m * (a - b))) - target.truth;
      attack ??= { pipeline, collection: target.collection, epsilon: o.epsilon, report: `${oracle.name}: ${crafted.words}`, limit: `any report that decodes; one counts as up to (1 - q*)/(p* - q*) = ${a.toPrecision(3)} devices in its target bucket`, amplification: a };
    } else if (c && c.mode === 'central') {
      if (accepted(c, encodeExactBucket(t)) !== t) throw new Error('the central engine refused a valid bucket');
      attack ??= { pipeline, collection: target.collection, epsilon: o.epsilon, report: 'the exact target bucket', limit: 'one bucket index in the domain per device (decodeExactBucket): one count', amplification: 1 };
    } else if (c && c.mode === 'prio3') {
      if (!attack) {
        // the out-of-range report a malicious phone would send, through the real VDAF: rejected
        const inflated = prio3Rejects(c, t, (v, vdaf) => vdaf.field.set(v, t, 1000n));
        if (!inflated) throw new Error('prio3 accepted an out-of-range histogram report');
        // and an honest one-hot of the target bucket passes the same path
        if (prio3Rejects(c, t, () => undefined)) throw new Error('prio3 rejected a valid one-hot report');
      }
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: 'tried: 1000 in the target bucket with a proof made for it — rejected at verification (run through the VDAF here), not counted; sent instead: the one-hot target bucket',
        limit: 'one valid one-hot per device (the validity proof): one count',
        amplification: 1,
      };
    } else if (c && c.mode === 'secagg') {
      bound = null;
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: `+A in the target coordinate and -A in the other, A = 2^(b-2) = ${2 ** ((c.noisePlan as DistributedNoisePlan).modulusBits - 2)}`,
        limit: 'nothing: the server sees only the masked sum, no device vector is validated (validity proofs would be needed)',
        amplification: null,
      };
    } else {
      attack ??= { pipeline, collection: target.collection, epsilon: o.epsilon, report: 'the exact target bucket', limit: 'one exact report per device: one count', amplification: 1 };
    }
    for (let trial = 0; trial < o.trials; trial++) {
      const rng = seededRng(o.seed).stream(`poison/${pipeline}/${target.collection}/${o.epsilon}/${fraction}/${trial}`);
      let g: ReleasedGroup | null;
      if (!c) {
        // kanon-only: exact counts, released with at least k contributors
        const ok = honestO;
        const poor = honestT + m;
        g = ok + poor >= o.k ? ({ released: true, counts: [ok, poor] } as unknown as ReleasedGroup) : null;
      } else if (c.mode === 'ldp') {
        const tally = c.createTally();
        tally.addOracleTally((c.oracle as AnyFrequencyOracle).simulateTally(data.sampledCounts, rng));
        if (m > 0) tally.addAggregate(Array.from(attackVector as Float64Array, (x) => x * m), m);
        g = groupOf(c.publish(c.estimate(tally)), target.group);
      } else if (c.mode === 'central') {
        const counts = Int32Array.from(data.sampledCounts);
        counts[t] = (counts[t] as number) + m;
        const tally = c.createTally();
        tally.addExactCounts(counts);
        g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
      } else if (c.mode === 'prio3') {
        // valid reports only: the honest counts, the attackers' one-hot target, both aggregators' noise
        const noise = c.prio3 as NonNullable<CollectionEngine['prio3']>;
        const a = noise.noise(rng);
        const b = noise.noise(rng);
        const sum = Array.from(data.sampledCounts, (x, v) => x + (v === t ? m : 0) + (a[v] as number) + (b[v] as number));
        const tally = c.createTally();
        tally.setPrio3Sum(sum, N + m);
        g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
      } else {
        const plan = c.noisePlan as DistributedNoisePlan;
        const noise = plan.simulateSumNoise(N, rng);
        const total = new Int32Array(data.sampledCounts.length);
        for (let v = 0; v < total.length; v++) total[v] = (data.sampledCounts[v] as number) + (noise[v] as number);
        if (m > 0) {
          const A = 2 ** (plan.modulusBits - 2);
          total[t] = (total[t] as number) + A;
          total[other] = (total[other] as number) - A;
        }
        const tally = c.createTally();
        tally.setSecureSum(plan.encode(total), N + m);
        g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
      }
      if (g) released++;
      shifts.push(shareOf(g) - target.truth);
    }
    points.push({ pipeline, collection: target.collection, epsilon: o.epsilon, fraction, attackers: m, honest: N, targetDevices: target.devices, truth: target.truth, shift: summarise(shifts, { signed: true }), released: released / o.trials, bound });
  }
  return { points, attack: attack as PoisonAttackInfo };
}

/** One pipeline on the mean collection. */
export function poisonMean(pipeline: string, data: MeanData, target: PoisonTarget, o: PoisonRunOptions): { points: PoisonPoint[]; attack: PoisonAttackInfo } | null {
  if (!serves(pipeline, 'mean')) return null;
  const config = configOf(pipeline);
  const [lo, hi] = data.collection.bounds;
  const N = data.n;
  const G = data.groups.length;
  const n = target.devices;
  const honestSum = target.truth * n;
  const toMs = (unit: number) => Math.min(hi, Math.max(lo, lo + ((unit + 1) / 2) * (hi - lo)));
  const points: PoisonPoint[] = [];
  let attack: PoisonAttackInfo | null = null;
  for (const fraction of o.fractions) {
    const m = attackersFor(fraction, N);
    const shifts: number[] = [];
    let released = 0;
    // exact and clamped: each attacker adds at most hi to the sum
    let bound: number | null = (honestSum + m * hi) / (n + m) - target.truth;
    let c: CollectionEngine | null = null;
    if (config) {
      try {
        c = engineFor(config, data, o.epsilon, o.delta, o.k, N + m);
      } catch (err) {
        if (err instanceof SkipPipeline) return null;
        throw err;
      }
    }
    let attackValue = 0;
    if (c && c.mode === 'ldp') {
      const crafted = craftNumericReport(c, target.group);
      attackValue = crafted.report;
      // honest unit values average to the truth's; an attacker's unbiased value is crafted.value
      const honestUnit = ((target.truth - lo) / (hi - lo)) * 2 - 1;
      bound = toMs((honestUnit * n + m * crafted.value) / (n + m)) - target.truth;
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: `${(c.numeric as NumericMechanism).name}: ${crafted.words}`,
        limit: `any report that decodes; its unbiased value is at most ${crafted.value.toPrecision(3)} on [-1, 1] (an honest device's at most 1)`,
        amplification: (crafted.value + 1) / 2,
      };
    } else if (c && c.mode === 'central') {
      attackValue = accepted(c, encodeExactValue(Number.MAX_VALUE), target.group) as number;
      attack ??= { pipeline, collection: target.collection, epsilon: o.epsilon, report: `an exact value of ${Number.MAX_VALUE.toPrecision(3)} ms (decoded: any finite number)`, limit: `the engine clamps every value to [${lo}, ${hi}]: the group's sum moves by at most ${hi - lo}`, amplification: 1 };
    } else if (c && c.mode === 'prio3') {
      const grid = (c.plan.mechanism as { grid: number }).grid;
      const slot = 2 * target.group;
      if (!attack) {
        // a non-bit (5) in the first bit of the target group's value slot, proof made for it: rejected
        const bits = Math.ceil(Math.log2(grid + 1));
        const honest = new Array<number>(2 * G).fill(0);
        honest[slot] = grid;
        if (!prio3Rejects(c, honest, (v, vdaf) => vdaf.field.set(v, slot * bits, 5n))) throw new Error('prio3 accepted an out-of-range mean report');
        if (prio3Rejects(c, honest, () => undefined)) throw new Error('prio3 rejected a valid mean report');
      }
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: `tried: a value slot beyond [0, ${grid}] with a proof made for it — rejected at verification (run through the VDAF here), not counted; sent instead: the slots [${grid}, 0] in the target group`,
        limit: `every slot proven within [0, ${grid}]: an honest device at ${hi} ms, at most`,
        amplification: 1,
      };
    } else if (c && c.mode === 'secagg') {
      bound = null;
      attack ??= { pipeline, collection: target.collection, epsilon: o.epsilon, report: '+A in the group\'s value slot, A = 2^(b-2)', limit: 'nothing: the masked vectors are not validated (the published mean is clamped to the bounds)', amplification: null };
    } else {
      attack ??= { pipeline, collection: target.collection, epsilon: o.epsilon, report: `an RTT of ${hi} ms or more, clamped`, limit: `one value per device, clamped to [${lo}, ${hi}]`, amplification: 1 };
    }
    for (let trial = 0; trial < o.trials; trial++) {
      const rng = seededRng(o.seed).stream(`poison/${pipeline}/${target.collection}/${o.epsilon}/${fraction}/${trial}`);
      let mean = NaN;
      let ok = false;
      if (!c) {
        ok = n + m >= o.k;
        mean = (honestSum + m * hi) / (n + m);
      } else if (c.mode === 'ldp') {
        const device = deviceMechanism(c.plan, { allowInsecureRng: true }) as DeviceNumericMechanism;
        const mech = c.numeric as NumericMechanism;
        const tallies: NumericTally[] = Array.from({ length: G }, () => mech.createTally());
        for (let i = 0; i < N; i++) (tallies[data.groupOf[i] as number] as NumericTally).add(device.perturb(((data.values[i] as number) - lo) / (hi - lo) * 2 - 1, rng));
        for (let i = 0; i < m; i++) (tallies[target.group] as NumericTally).add(attackValue);
        const tally = c.createTally();
        tallies.forEach((tt, g) => tally.addNumericTally(g, tt));
        const g = groupOf(c.publish(c.estimate(tally)), target.group);
        ok = g !== null;
        mean = g?.mean ?? NaN;
      } else if (c.mode === 'prio3') {
        const grid = (c.plan.mechanism as { grid: number }).grid;
        const noise = c.prio3 as NonNullable<CollectionEngine['prio3']>;
        const total = new Array<number>(2 * G).fill(0);
        for (let i = 0; i < N; i++) {
          const g = data.groupOf[i] as number;
          const x = (((data.values[i] as number) - lo) / (hi - lo)) * grid;
          const f = Math.floor(x);
          const r = Math.min(grid, f + (rng.float64() < x - f ? 1 : 0));
          total[2 * g] = (total[2 * g] as number) + r;
          total[2 * g + 1] = (total[2 * g + 1] as number) + grid - r;
        }
        total[2 * target.group] = (total[2 * target.group] as number) + m * grid;
        const a = noise.noise(rng);
        const b = noise.noise(rng);
        const tally = c.createTally();
        tally.setPrio3Sum(total.map((x, j) => x + (a[j] as number) + (b[j] as number)), N + m);
        const g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
        ok = g !== null;
        mean = g?.mean ?? NaN;
      } else if (c.mode === 'central') {
        const groups = Int32Array.from({ length: N + m }, (_, i) => (i < N ? (data.groupOf[i] as number) : target.group));
        const values = Float64Array.from({ length: N + m }, (_, i) => (i < N ? (data.values[i] as number) : attackValue));
        const tally = c.createTally();
        tally.addExactValues(groups, values);
        const g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
        ok = g !== null;
        mean = g?.mean ?? NaN;
      } else {
        const plan = c.noisePlan as DistributedNoisePlan;
        const grid = (c.plan.mechanism as { grid: number }).grid;
        const noise = plan.simulateSumNoise(N, rng);
        const total = new Int32Array(2 * G);
        for (let i = 0; i < N; i++) {
          const g = data.groupOf[i] as number;
          const x = (((data.values[i] as number) - lo) / (hi - lo)) * grid;
          const f = Math.floor(x);
          total[2 * g] = (total[2 * g] as number) + f + (rng.float64() < x - f ? 1 : 0);
          total[2 * g + 1] = (total[2 * g + 1] as number) + grid;
        }
        for (let j = 0; j < 2 * G; j++) total[j] = (total[j] as number) + (noise[j] as number);
        if (m > 0) total[2 * target.group] = (total[2 * target.group] as number) + 2 ** (plan.modulusBits - 2);
        const tally = c.createTally();
        tally.setSecureSum(plan.encode(total), N + m);
        const g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
        ok = g !== null;
        mean = g?.mean ?? NaN;
      }
      if (ok) released++;
      shifts.push(mean - target.truth);
    }
    points.push({ pipeline, collection: target.collection, epsilon: o.epsilon, fraction, attackers: m, honest: N, targetDevices: n, truth: target.truth, shift: summarise(shifts, { signed: true }), released: released / o.trials, bound });
  }
  return { points, attack: attack as PoisonAttackInfo };
}
