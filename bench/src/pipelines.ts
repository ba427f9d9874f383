/**
 * The pipelines the bench compares. `raw` is the truth and `kanon-only` publishes exact counts of
 * groups with k contributors (not private, shown so its lack of privacy is visible): references
 * outside the engine. Every private pipeline is a configuration of @pinhole/aggregator's release
 * engine plus a simulation of its input: `central-dp` (a trusted curator: exact counts in, the
 * engine adds the noise), `secagg-ddp` (ddp-pipeline.ts), `prio3-dp` (prio3-pipeline.ts), `ldp-<mechanism>` and `ldp-auto` (the
 * oracle's tally sampled from its law in aggregate mode, every device perturbed in device mode).
 */
import {
  type AnyDeviceOracle,
  type AnyFrequencyOracle,
  type DeviceNumericMechanism,
  type NumericMechanism,
  type NumericName,
  type NumericTally,
  type OracleName,
  NUMERIC_NAMES,
  ORACLE_NAMES,
} from '@pinhole/ldp';
import { histogramInsight, meanInsight } from '@pinhole/aggregator';
import { deviceMechanism, toUnitInterval } from '@pinhole/client';
import { INSIGHTS } from '@pinhole/core';
import { makeKAnonymity } from '@pinhole/gate';
import { secaggDdp } from './ddp-pipeline.js';
import { prio3Dp } from './prio3-pipeline.js';
import { type EngineConfig, type HistogramOutput, type MeanOutput, type Pipeline, type PipelineInput, engineFor, rawValues, releasedFlags } from './pipeline.js';
import type { HistogramData, MeanData } from './prepare.js';
import { perturbAll } from './simulate.js';

export { type SimulationMode, type Pipeline, SkipPipeline } from './pipeline.js';

const raw: Pipeline = {
  id: 'raw',
  description: 'the truth (device-weighted, every measurement): no privacy, the reference',
  private: false,
  async histogram({ data }) {
    const counts = Float64Array.from(data.truth);
    const released = new Uint8Array(data.groups.length).fill(1);
    return { counts, released, frequencyVariance: 0, insights: histogramInsights(data, counts, released), release: null };
  },
  async mean({ data }) {
    const released = new Uint8Array(data.groups.length).fill(1);
    return { means: Float64Array.from(data.truth), released, variance: new Float64Array(data.groups.length), insights: meanInsights(data, data.truth, released, data.devices), release: null };
  },
};

const kanonOnly: Pipeline = {
  id: 'kanon-only',
  description: 'exact counts of each group with at least k contributors (k-anonymity threshold, no noise): NOT private',
  private: false,
  async histogram({ data, k }) {
    const gate = makeKAnonymity({ k });
    const G = data.groups.length;
    const B = data.buckets.length;
    const released = new Uint8Array(G);
    for (let g = 0; g < G; g++) {
      let t = 0;
      for (let b = 0; b < B; b++) t += data.sampledCounts[g * B + b] as number;
      released[g] = gate.select(t) ? 1 : 0;
    }
    const counts = Float64Array.from(data.sampledCounts);
    return { counts, released, frequencyVariance: 0, insights: histogramInsights(data, counts, released), release: null };
  },
  async mean({ data, k }) {
    const gate = makeKAnonymity({ k });
    const G = data.groups.length;
    const sums = new Float64Array(G);
    for (let i = 0; i < data.n; i++) sums[data.groupOf[i] as number]! += data.values[i] as number;
    const released = new Uint8Array(G);
    const means = new Float64Array(G).fill(NaN);
    for (let g = 0; g < G; g++) {
      const n = data.devices[g] as number;
      released[g] = gate.select(n) ? 1 : 0;
      if (n > 0) means[g] = (sums[g] as number) / n;
    }
    return { means, released, variance: new Float64Array(G), insights: meanInsights(data, means, released, data.devices), release: null };
  },
};

/** The engine's statistics over a reference pipeline's counts (post-processing: clipped at 0). */
function histogramInsights(data: HistogramData, counts: Float64Array, released: Uint8Array) {
  const B = data.buckets.length;
  const groups = data.groups.map((key, g) => ({ key, released: released[g] === 1, counts: counts.slice(g * B, (g + 1) * B).map((x) => (x < 0 ? 0 : x)) }));
  return insightsOf(data).map((ins) => histogramInsight(ins, groups, B));
}

function meanInsights(data: MeanData, means: ArrayLike<number>, released: Uint8Array, weights: ArrayLike<number>) {
  const [lo, hi] = data.collection.bounds;
  const groups = data.groups.map((key, g) => {
    const m = means[g] as number;
    return { key, released: released[g] === 1, mean: Number.isFinite(m) ? Math.min(hi, Math.max(lo, m)) : NaN, contributors: weights[g] as number };
  });
  return insightsOf(data).map((ins) => meanInsight(ins, groups));
}

function insightsOf(data: HistogramData | MeanData) {
  return INSIGHTS.filter((i) => i.collection === data.collection.id);
}

const empty = (data: HistogramData): HistogramOutput => ({
  counts: new Float64Array(data.sampledCounts.length),
  released: new Uint8Array(data.groups.length),
  frequencyVariance: null,
  insights: [],
  release: null,
});
const emptyMean = (data: MeanData): MeanOutput => ({
  means: new Float64Array(data.groups.length).fill(NaN),
  released: new Uint8Array(data.groups.length),
  variance: null,
  insights: [],
  release: null,
});

/** The grid sum of one device's value, as the central curator's tally computes it (for the closed form). */
function gridValue(v: number, bounds: readonly [number, number], grid: number): number {
  const [lo, hi] = bounds;
  const x = v < lo ? lo : v > hi ? hi : v;
  return Math.round(((x - lo) / (hi - lo)) * grid);
}

const CENTRAL: EngineConfig = { mode: 'central' };

const centralDp: Pipeline = {
  id: 'central-dp',
  description:
    'a trusted curator adds exact discrete Gaussian noise to every count (tight calibration for replace-one: a device moving between two counts; the cohort size is public) and releases groups whose noisy total reaches k',
  private: true,
  config: CENTRAL,
  async histogram({ data, epsilon, delta, k, rng }) {
    if (data.n === 0) return empty(data);
    const c = engineFor(CENTRAL, data, epsilon, delta, k);
    const tally = c.makeTally();
    tally.addExactCounts(data.sampledCounts);
    const est = c.estimate(tally, { rng });
    const release = c.publish(est);
    const sigma = (c.plan.mechanism as { sigma: number }).sigma;
    return {
      counts: rawValues(est, data.sampledCounts.length),
      released: releasedFlags(release, data.groups.length),
      frequencyVariance: (sigma * sigma) / (data.n * data.n),
      insights: release.insights,
      release,
    };
  },
  async mean({ data, epsilon, delta, k, rng }) {
    if (data.n === 0) return emptyMean(data);
    const c = engineFor(CENTRAL, data, epsilon, delta, k);
    const tally = c.makeTally();
    tally.addExactValues(data.groupOf, data.values);
    const est = c.estimate(tally, { rng });
    const release = c.publish(est);
    // Delta method, dominated by the sum's noise: Var(mean) ≈ (σ_S² + m²σ_C²)/n² on the grid.
    const m = c.plan.mechanism as { sigmaSum: number; sigmaCount: number; grid: number; bounds: readonly [number, number] };
    const G = data.groups.length;
    const sums = new Float64Array(G);
    for (let i = 0; i < data.n; i++) sums[data.groupOf[i] as number]! += gridValue(data.values[i] as number, m.bounds, m.grid);
    const variance = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      const n = data.devices[g] as number;
      const mean = n > 0 ? (sums[g] as number) / n : 0;
      variance[g] = n > 0 ? ((m.sigmaSum ** 2 + mean * mean * m.sigmaCount ** 2) / (n * n)) * ((m.bounds[1] - m.bounds[0]) / m.grid) ** 2 : NaN;
    }
    return { means: rawValues(est, G, NaN), released: releasedFlags(release, G), variance, insights: release.insights, release };
  },
};

function meanFrequencyVariance(oracle: AnyFrequencyOracle, data: HistogramData): number {
  let s = 0;
  for (let v = 0; v < data.sampledCounts.length; v++) s += oracle.variance(data.n, (data.sampledCounts[v] as number) / data.n);
  return s / data.sampledCounts.length;
}

async function ldpHistogram(config: EngineConfig, input: PipelineInput<HistogramData>): Promise<HistogramOutput> {
  const { data, epsilon, delta, k, rng, mode, pool } = input;
  if (data.n === 0) return empty(data);
  const c = engineFor(config, data, epsilon, delta, k);
  const oracle = c.oracle as AnyFrequencyOracle;
  const tally = c.makeTally();
  if (mode === 'aggregate' || data.items.length === 0) {
    tally.addOracleTally(oracle.simulateTally(data.sampledCounts, rng));
  } else if (pool) {
    tally.addAggregate(await pool.perturbAll(oracle.name, oracle.epsilon, oracle.domainSize, data.items, rng.u32()), data.items.length);
  } else {
    tally.addOracleTally(perturbAll(oracle, data.items, rng, deviceMechanism(c.plan, { allowInsecureRng: true }) as AnyDeviceOracle));
  }
  const est = c.estimate(tally);
  const release = c.publish(est);
  return {
    counts: rawValues(est, data.sampledCounts.length),
    released: releasedFlags(release, data.groups.length),
    frequencyVariance: meanFrequencyVariance(oracle, data),
    insights: release.insights,
    release,
  };
}

/** Every device perturbs its own (clamped) mean on [-1, 1]; reports are tallied per public group. */
async function ldpMean(config: EngineConfig, input: PipelineInput<MeanData>): Promise<MeanOutput> {
  const { data, epsilon, delta, k, rng } = input;
  if (data.n === 0) return emptyMean(data);
  const c = engineFor(config, data, epsilon, delta, k);
  const device = deviceMechanism(c.plan, { allowInsecureRng: true }) as DeviceNumericMechanism;
  const mech = c.numeric as NumericMechanism;
  const bounds = data.collection.bounds;
  const half = (bounds[1] - bounds[0]) / 2;
  const G = data.groups.length;
  const tallies: NumericTally[] = Array.from({ length: G }, () => mech.makeTally());
  const varSums = new Float64Array(G);
  for (let i = 0; i < data.n; i++) {
    const t = toUnitInterval(bounds, data.values[i] as number);
    const g = data.groupOf[i] as number;
    (tallies[g] as NumericTally).add(device.perturb(t, rng));
    varSums[g]! += mech.reportVariance(t);
  }
  const tally = c.makeTally();
  tallies.forEach((t, g) => tally.addNumericTally(g, t));
  const est = c.estimate(tally);
  const release = c.publish(est);
  const variance = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const n = data.devices[g] as number;
    variance[g] = n > 0 ? ((varSums[g] as number) / (n * n)) * half * half : NaN;
  }
  return { means: rawValues(est, G, NaN), released: releasedFlags(release, G), variance, insights: release.insights, release };
}

function ldpOracle(name: OracleName): Pipeline {
  const config: EngineConfig = { mode: 'ldp', ldp: { oracle: name } };
  return {
    id: `ldp-${name}`,
    description: `local DP: each device perturbs its report with ${name}; the server decodes the unbiased counts`,
    private: true,
    config,
    histogram: (input) => ldpHistogram(config, input),
  };
}

function ldpNumeric(name: NumericName): Pipeline {
  const config: EngineConfig = { mode: 'ldp', ldp: { numeric: name } };
  return {
    id: `ldp-${name}`,
    description: `local DP: each device perturbs its own mean with the ${name} mechanism; its operator travels in the clear (public)`,
    private: true,
    config,
    mean: (input) => ldpMean(config, input),
  };
}

const AUTO: EngineConfig = { mode: 'ldp', ldp: { oracle: 'auto', numeric: 'auto' } };

const ldpAuto: Pipeline = {
  id: 'ldp-auto',
  description: 'local DP with the oracle recommendOracle() picks for the domain size, epsilon and n (numeric: the mechanism of least worst-case variance)',
  private: true,
  config: AUTO,
  histogram: (input) => ldpHistogram(AUTO, input),
  mean: (input) => ldpMean(AUTO, input),
};

export function allPipelines(): Pipeline[] {
  return [raw, kanonOnly, centralDp, secaggDdp, prio3Dp, ...ORACLE_NAMES.map(ldpOracle), ...NUMERIC_NAMES.map(ldpNumeric), ldpAuto];
}

export const PIPELINE_IDS: readonly string[] = allPipelines().map((p) => p.id);
