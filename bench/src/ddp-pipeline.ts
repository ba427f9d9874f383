/**
 * `secagg-ddp`: secure aggregation with distributed Skellam noise (Agarwal, Kairouz, Liu, NeurIPS
 * 2021), configured as a secure-aggregation plan of the aggregator's engine (which settles the
 * survivors, tops up or refuses, decodes and releases). This file simulates what the engine
 * receives: the survivors' modular sum.
 * - histogram: one-hot of the device's reported bucket (norms L1 = L2 = 1; replace-one moves two
 *   counts: L2 sqrt(2), L1 2, the relation the plan's noise is calibrated for);
 * - mean: per group two coordinates, the value on the grid [0, G] by unbiased randomized rounding
 *   and the count scaled to G (norms L2 G·sqrt(2), L1 2G; replace-one doubles them in two groups); the plan picks G (<= 1024) so that the
 *   Skellam mass stays below MEAN_MU_CAP; rounding adds at most n_g/4 grid units^2 of variance.
 * Modes: `aggregate` draws the clients' noise in the sum directly as Sk(s·mu_c) per coordinate
 * (exact by Poisson additivity) on top of the true counts; `device` sums every surviving device's
 * own share mod 2^b. The secure-aggregation masks cancel exactly, so they are not simulated here
 * (test/secagg-ddp.e2e.test.ts runs the real protocol).
 */
import { type Rng } from '@pinhole/core';
import { type DistributedNoiseMechanism } from '@pinhole/core/plan';
import { checkNumber, checkObject, checkOneOf } from '@pinhole/core/validate';
import { type DistributedNoisePlan, randomizedRound } from '@pinhole/gate';
import { type EngineConfig, type HistogramOutput, type MeanOutput, type Pipeline, type PipelineInput, engineFor, publishHistogram, rawValues, releasedFlags } from './pipeline.js';
import type { HistogramData, MeanData } from './prepare.js';

export interface SecaggDdpOptions {
  /** probability that a device drops out of the round (independently); default 0 */
  readonly dropoutRate?: number;
  /** shares are sized for ceil(n · minSurvivorFraction) survivors; default 1 - dropoutRate */
  readonly minSurvivorFraction?: number;
  /** default 'top_up' */
  readonly onShortfall?: 'refuse' | 'top_up';
}

/** Bernoulli(1 - dropoutRate) survival per device (exact for rates that are multiples of 2^-32). */
function survives(rate: number, rng: Rng): boolean {
  return rate === 0 || rng.float64() >= rate;
}

/** Sums encoded vectors mod 2^b into acc. */
function addModular(acc: Uint32Array, y: Uint32Array, modulus: number): void {
  for (let j = 0; j < acc.length; j++) {
    const s = (acc[j] as number) + (y[j] as number);
    acc[j] = s >= modulus ? s - modulus : s;
  }
}

export function makeSecaggDdpPipeline(options: SecaggDdpOptions = {}): Pipeline {
  checkObject('options', options);
  const dropoutRate = options.dropoutRate === undefined ? 0 : checkNumber('dropoutRate', options.dropoutRate, { ge: 0, lt: 1 });
  const minSurvivorFraction = options.minSurvivorFraction === undefined ? 1 - dropoutRate : checkNumber('minSurvivorFraction', options.minSurvivorFraction, { gt: 0, le: 1 });
  const onShortfall = options.onShortfall === undefined ? 'top_up' : checkOneOf('onShortfall', options.onShortfall, ['refuse', 'top_up'] as const);
  const config: EngineConfig = { mode: 'secagg', secagg: { noise: 'skellam', dropoutRate, minSurvivorFraction, onShortfall } };

  async function histogram(input: PipelineInput<HistogramData>): Promise<HistogramOutput> {
    const { data, epsilon, delta, k, rng, mode } = input;
    const D = data.sampledCounts.length;
    const G = data.groups.length;
    const n = data.n;
    if (n === 0) return { counts: new Float64Array(D), released: new Uint8Array(G), frequencyVariance: null, insights: [], release: null };
    const c = engineFor(config, data, epsilon, delta, k);
    const plan = c.noisePlan as DistributedNoisePlan;
    const modulus = 2 ** plan.modulusBits;
    let sum: Uint32Array;
    let s = 0;
    if (mode === 'aggregate' || data.items.length === 0) {
      // the survivors' true counts, then their noise Sk(s·mu_c) in one draw per coordinate
      const truth = new Int32Array(D);
      for (let v = 0; v < D; v++) {
        const count = data.sampledCounts[v] as number;
        let kept = count;
        if (dropoutRate > 0) {
          kept = 0;
          for (let i = 0; i < count; i++) if (survives(dropoutRate, rng)) kept++;
        }
        truth[v] = kept;
        s += kept;
      }
      const noise = plan.simulateSumNoise(s, rng);
      for (let v = 0; v < D; v++) truth[v] = (truth[v] as number) + (noise[v] as number);
      sum = plan.toRing(truth);
    } else {
      sum = new Uint32Array(D);
      const share = new Int32Array(D);
      for (let i = 0; i < data.items.length; i++) {
        if (!survives(dropoutRate, rng)) continue;
        s++;
        plan.clientShare(rng, share);
        const b = data.items[i] as number;
        share[b] = (share[b] as number) + 1;
        addModular(sum, plan.toRing(share), modulus);
      }
    }
    const tally = c.makeTally();
    tally.setSecureSum(sum, s);
    return publishHistogram(c, tally, rng, D, G, n);
  }

  async function mean(input: PipelineInput<MeanData>): Promise<MeanOutput> {
    const { data, epsilon, delta, k, rng, mode } = input;
    const groups = data.groups.length;
    const D = 2 * groups;
    const n = data.n;
    const nan = (): MeanOutput => ({ means: new Float64Array(groups).fill(NaN), released: new Uint8Array(groups), variance: null, insights: [], release: null });
    if (n === 0) return nan();
    const c = engineFor(config, data, epsilon, delta, k);
    const plan = c.noisePlan as DistributedNoisePlan;
    const grid = (c.plan.mechanism as DistributedNoiseMechanism).clientValueBounds[1];
    const modulus = 2 ** plan.modulusBits;
    const [vlo, vhi] = data.collection.bounds;
    const width = vhi - vlo;
    // each device's grid value by randomized rounding (also in aggregate mode: the rounding is the device's)
    const gridSums = new Float64Array(groups);
    const devices = new Float64Array(groups);
    const roundingVar = new Float64Array(groups);
    let s = 0;
    let sum: Uint32Array = new Uint32Array(D);
    const vec = new Int32Array(D);
    const share = new Int32Array(D);
    for (let i = 0; i < n; i++) {
      if (!survives(dropoutRate, rng)) continue;
      s++;
      const g = data.groupOf[i] as number;
      const t = (((data.values[i] as number) - vlo) / width) * grid;
      const r = randomizedRound([t], 1, rng)[0] as number;
      const f = t - Math.floor(t);
      roundingVar[g]! += f * (1 - f);
      if (mode === 'aggregate') {
        gridSums[g]! += r;
        devices[g]! += 1;
      } else {
        vec.fill(0);
        plan.clientShare(rng, share);
        vec[2 * g] = r;
        vec[2 * g + 1] = grid;
        for (let j = 0; j < D; j++) vec[j] = (vec[j] as number) + (share[j] as number);
        addModular(sum, plan.toRing(vec), modulus);
        devices[g]! += 1;
      }
    }
    if (mode === 'aggregate') {
      const noise = plan.simulateSumNoise(s, rng);
      const total = new Int32Array(D);
      for (let g = 0; g < groups; g++) {
        total[2 * g] = (gridSums[g] as number) + (noise[2 * g] as number);
        total[2 * g + 1] = (devices[g] as number) * grid + (noise[2 * g + 1] as number);
      }
      sum = plan.toRing(total);
    }
    const tally = c.makeTally();
    tally.setSecureSum(sum, s);
    const est = c.estimate(tally, { rng });
    const release = c.publish(est);
    if (est.refusal) return { ...nan(), release };
    const noiseVariance = est.noiseVariance as number;
    const variance = new Float64Array(groups);
    for (let g = 0; g < groups; g++) {
      const m = data.devices[g] as number;
      // delta method as central-dp: Var(S/C) ≈ (Var S + t^2 Var C) / (m G)^2, t = the mean on [0, 1]
      const tm = m > 0 ? ((data.truth[g] as number) - vlo) / width : 0;
      variance[g] = m > 0 ? ((noiseVariance + (roundingVar[g] as number) + tm * tm * noiseVariance) / (m * grid) ** 2) * width * width : NaN;
    }
    return { means: rawValues(est, groups, NaN), released: releasedFlags(release, groups), variance, insights: release.insights, release };
  }

  return {
    id: 'secagg-ddp',
    description:
      'secure aggregation with distributed Skellam noise calibrated for replace-one (the server counts the survivors): every device adds its share before masking, the server unmasks only the noisy sum (no trusted curator) and releases groups whose noisy total reaches k',
    private: true,
    config,
    histogram,
    mean,
  };
}

/** The bench's secagg-ddp: no dropouts, shortfalls (none occur) topped up. */
export const secaggDdp: Pipeline = makeSecaggDdpPipeline();
