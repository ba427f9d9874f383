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
 * The crafted reports are in poison-reports.ts, the two experiments in poison-histogram.ts and
 * poison-mean.ts; this file holds what they share.
 * Attackers join the honest devices: with fraction f of all reporting devices, m = round(f·N/(1-f))
 * attackers join N honest ones, and every plan is made for N + m devices.
 */
import { type CollectionEngine, type CollectionRelease, type ReleasedGroup } from '@pinhole/aggregator';
import { makeSecaggDdpPipeline } from './ddp-pipeline.js';
import { type ErrorSummary } from './output.js';
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
  for (let i = 0; i < data.n; i++)
    if (data.groupOf[i] === group) {
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

export function configOf(id: string): EngineConfig | null {
  if (id === 'kanon-only') return null;
  if (id === 'secagg-ddp') {
    const config = makeSecaggDdpPipeline().config as EngineConfig;
    return { ...config, secagg: { ...config.secagg, meanNoiseCap: SECAGG_MEAN_NOISE_CAP } };
  }
  const p = allPipelines().find((x) => x.id === id);
  if (!p?.config) throw new Error(`no engine configuration for pipeline ${id}`);
  return p.config;
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

/** The target group as published, or null when the release or the group was withheld. */
export function groupOf(release: CollectionRelease | null, group: number): ReleasedGroup | null {
  if (!release || release.status !== 'released') return null;
  const g = release.groups[group];
  return g && g.released ? g : null;
}

/** The pipeline's release engine for `devices` devices: null for kanon-only (no engine), 'skip' when the pipeline does not run at these settings. */
export function poisonEngine(config: EngineConfig | null, data: HistogramData | MeanData, o: PoisonRunOptions, devices: number): CollectionEngine | null | 'skip' {
  if (!config) return null;
  try {
    return engineFor(config, data, o.epsilon, o.delta, o.k, devices);
  } catch (err) {
    if (err instanceof SkipPipeline) return 'skip';
    throw err;
  }
}
