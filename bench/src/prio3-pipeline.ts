/**
 * `prio3-dp`: two aggregators with Prio3 validity proofs (draft-irtf-cfrg-vdaf-20) and central
 * discrete Gaussian noise split between them, configured as a prio3 plan of the aggregator's engine
 * (`mode: 'prio3'`, which calibrates each aggregator's N_Z(0, sigma^2) for the two-party sum and
 * states the one-aggregator loss). This file simulates what the engine receives: the combined sum of
 * the valid reports plus both aggregators' noise.
 * - histogram: Prio3Histogram, one-hot of the device's bucket (replace-one L2 = √2);
 * - mean: Prio3SumVec, per group the slots [r, grid - r] with r the device's value on the grid by
 *   unbiased randomized rounding (replace-one L2 <= 2 · grid).
 * Modes: `aggregate` adds two noise vectors (each aggregator's, from the engine's sampler) to the
 * true sums; `device` runs the VDAF itself for every device — shard, both aggregators'
 * verify-init, the verifier message, verify-next, aggregate, each aggregator's noise on its share,
 * unshard — so it measures the code that ships (slow: about a millisecond per device). Rejected
 * reports are what the poisoning experiment exercises; honest devices' reports are always valid.
 */
import type { CollectionEngine } from '@pinhole/aggregator';
import { type Rng } from '@pinhole/core';
import { discreteGaussianVariance } from '@pinhole/core/samplers';
import { HELPER_ID, LEADER_ID, type Prio3, addNoiseToAggShare, combineAggShares, prio3Context, prio3Measurement, prio3Vdaf } from '@pinhole/prio3';
import { type EngineConfig, type HistogramOutput, type MeanOutput, type Pipeline, type PipelineInput, engineFor, publishHistogram, rawValues, releasedFlags } from './pipeline.js';
import type { HistogramData, MeanData } from './prepare.js';

const CONFIG: EngineConfig = { mode: 'prio3' };
/** the verification key of the simulated aggregators (a bench key: the bench's noise is seeded anyway) */
const BENCH_VERIFY_KEY = new Uint8Array(32).fill(7);

/** Every measurement through the real VDAF; returns the combined noisy sum (both aggregators' noise added to their shares). */
function vdafSum(c: CollectionEngine, measurements: readonly (number | number[])[], rng: Rng): Float64Array {
  const vdaf = prio3Vdaf(c.plan);
  const ctx = prio3Context({ id: 'pinhole-bench', revision: 1 }, c.id);
  // either VDAF, its measurement type widened; shard is called on it (it reads the VDAF's fields)
  const sharder: Prio3<unknown, unknown> = vdaf;
  let leader = vdaf.aggInit();
  let helper = vdaf.aggInit();
  for (const m of measurements) {
    const nonce = rng.bytes(16);
    const s = sharder.shard(ctx, m, nonce, rng.bytes(vdaf.randSize));
    const l = vdaf.verifyInit(BENCH_VERIFY_KEY, ctx, LEADER_ID, nonce, s.publicShare, s.inputShares[LEADER_ID] as Uint8Array);
    const h = vdaf.verifyInit(BENCH_VERIFY_KEY, ctx, HELPER_ID, nonce, s.publicShare, s.inputShares[HELPER_ID] as Uint8Array);
    const message = vdaf.verifierSharesToMessage(ctx, [l.verifierShare, h.verifierShare]);
    leader = vdaf.aggUpdate(leader, vdaf.verifyNext(ctx, l.state, message));
    helper = vdaf.aggUpdate(helper, vdaf.verifyNext(ctx, h.state, message));
  }
  const noise = c.prio3 as NonNullable<CollectionEngine['prio3']>;
  leader = addNoiseToAggShare(vdaf, leader, noise.noise(rng));
  helper = addNoiseToAggShare(vdaf, helper, noise.noise(rng));
  return combineAggShares(vdaf, [leader, helper]);
}

/** The true sums plus both aggregators' noise vectors (what the VDAF path gives, without running it). */
function noisySum(c: CollectionEngine, truth: ArrayLike<number>, rng: Rng): Float64Array {
  const noise = c.prio3 as NonNullable<CollectionEngine['prio3']>;
  const a = noise.noise(rng);
  const b = noise.noise(rng);
  return Float64Array.from(truth, (x, i) => x + (a[i] as number) + (b[i] as number));
}

async function histogram(input: PipelineInput<HistogramData>): Promise<HistogramOutput> {
  const { data, epsilon, delta, k, rng, mode } = input;
  const D = data.sampledCounts.length;
  const G = data.groups.length;
  const n = data.n;
  if (n === 0) return { counts: new Float64Array(D), released: new Uint8Array(G), frequencyVariance: null, insights: [], release: null };
  const c = engineFor(CONFIG, data, epsilon, delta, k);
  const sum = mode === 'device' && data.items.length > 0 ? vdafSum(c, Array.from(data.items), rng) : noisySum(c, data.sampledCounts, rng);
  const tally = c.makeTally();
  tally.setPrio3Sum(sum, n);
  return publishHistogram(c, tally, rng, D, G, n);
}

async function mean(input: PipelineInput<MeanData>): Promise<MeanOutput> {
  const { data, epsilon, delta, k, rng, mode } = input;
  const G = data.groups.length;
  const n = data.n;
  const nan = (): MeanOutput => ({ means: new Float64Array(G).fill(NaN), released: new Uint8Array(G), variance: null, insights: [], release: null });
  if (n === 0) return nan();
  const c = engineFor(CONFIG, data, epsilon, delta, k);
  const m = c.plan.mechanism as { grid: number; sigma: number };
  const grid = m.grid;
  const [lo, hi] = data.collection.bounds;
  const width = hi - lo;
  const roundingVar = new Float64Array(G);
  const truth = new Float64Array(2 * G);
  const measurements: number[][] = [];
  for (let i = 0; i < n; i++) {
    const g = data.groupOf[i] as number;
    const t = (((data.values[i] as number) - lo) / width) * grid;
    const f = t - Math.floor(t);
    roundingVar[g]! += f * (1 - f);
    // the device's own measurement: the same rounding the client does
    const v = prio3Measurement(c.plan, { group: g, value: data.values[i] as number }, rng) as number[];
    if (mode === 'device') measurements.push(v);
    else {
      truth[2 * g]! += v[2 * g] as number;
      truth[2 * g + 1]! += v[2 * g + 1] as number;
    }
  }
  const sum = mode === 'device' ? vdafSum(c, measurements, rng) : noisySum(c, truth, rng);
  const tally = c.makeTally();
  tally.setPrio3Sum(sum, n);
  const est = c.estimate(tally, { rng });
  const release = c.publish(est);
  if (est.refusal) return { ...nan(), release };
  // delta method for S / (S + S'): S' = n grid - S before noise, each slot's noise variance V, so
  // Var(S/C) ≈ (V (1 - 2u + 2u^2) + rounding) / (n grid)^2 with u the mean on [0, 1]
  const V = 2 * discreteGaussianVariance(m.sigma);
  const variance = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const dn = data.devices[g] as number;
    const u = dn > 0 ? ((data.truth[g] as number) - lo) / width : 0;
    variance[g] = dn > 0 ? ((V * (1 - 2 * u + 2 * u * u) + (roundingVar[g] as number)) / (dn * grid) ** 2) * width * width : NaN;
  }
  return { means: rawValues(est, G, NaN), released: releasedFlags(release, G), variance, insights: release.insights, release };
}

export const prio3Dp: Pipeline = {
  id: 'prio3-dp',
  description:
    'two aggregators with Prio3 validity proofs: each device splits its report between a leader and a helper, out-of-range reports are rejected, and each aggregator adds half the discrete Gaussian noise; releases groups whose noisy total reaches k. Against carriers both noises count; one aggregator colluding with carriers faces only the other half (a larger epsilon, stated in the release)',
  private: true,
  config: CONFIG,
  histogram,
  mean,
};
