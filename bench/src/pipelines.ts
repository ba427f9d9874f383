/**
 * The pipelines the bench compares. Each turns one collection's data into estimates the way a
 * deployment would: `raw` is the truth; `kanon-only` publishes exact counts of groups with k
 * contributors (not private, shown so its lack of privacy is visible); `central-dp` is a trusted
 * curator adding exact discrete Gaussian noise; `ldp-<mechanism>` perturbs on the device.
 * Group selection by noisy counts is post-processing over the public domain, so it costs nothing.
 */
import { type Rng, discreteGaussianSampler } from '@pinhole/core';
import { makeKAnonymity } from '@pinhole/gate';
import { type AnyFrequencyOracle, NUMERIC_MECHANISMS, NUMERIC_NAMES, ORACLES, ORACLE_NAMES, type NumericName, type OracleName, recommendOracle } from '@pinhole/ldp';
import { gaussianSigmaFor, rhoFor } from './calibrate.js';
import { secaggDdp } from './ddp-pipeline.js';
import { perturbAll, releaseByTotals } from './simulate.js';
import type { HistogramData, MeanData } from './prepare.js';
import type { WorkerPool } from './workers.js';

export type SimulationMode = 'aggregate' | 'device';

export interface PipelineInput<D> {
  readonly data: D;
  /** this collection's share of the round's budget */
  readonly epsilon: number;
  readonly delta: number;
  readonly k: number;
  readonly rng: Rng;
  readonly mode: SimulationMode;
  readonly pool?: WorkerPool;
}

export interface HistogramOutput {
  readonly counts: Float64Array;
  readonly released: Uint8Array;
  /** closed-form mean per-bucket variance of the frequency estimate (counts / n), when known */
  readonly frequencyVariance: number | null;
}

export interface MeanOutput {
  readonly means: Float64Array;
  readonly released: Uint8Array;
  /** closed-form variance of each group's mean estimate, when known */
  readonly variance: Float64Array | null;
}

export interface Pipeline {
  readonly id: string;
  readonly description: string;
  readonly private: boolean;
  histogram?(input: PipelineInput<HistogramData>): Promise<HistogramOutput>;
  mean?(input: PipelineInput<MeanData>): Promise<MeanOutput>;
}


const raw: Pipeline = {
  id: 'raw',
  description: 'the truth (device-weighted, every measurement): no privacy, the reference',
  private: false,
  async histogram({ data }) {
    return { counts: Float64Array.from(data.truth), released: new Uint8Array(data.groups.length).fill(1), frequencyVariance: 0 };
  },
  async mean({ data }) {
    return { means: Float64Array.from(data.truth), released: new Uint8Array(data.groups.length).fill(1), variance: new Float64Array(data.groups.length) };
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
    return { counts: Float64Array.from(data.sampledCounts), released, frequencyVariance: 0 };
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
    return { means, released, variance: new Float64Array(G) };
  },
};

/** Integer grid for central sums of bounded values: values map onto [0, MEAN_GRID]. */
const MEAN_GRID = 1024;

const centralDp: Pipeline = {
  id: 'central-dp',
  description: 'a trusted curator adds exact discrete Gaussian noise to every count (tight CKS calibration) and releases groups whose noisy total reaches k',
  private: true,
  async histogram({ data, epsilon, delta, k, rng }) {
    const sigma = gaussianSigmaFor(epsilon, delta);
    const draw = discreteGaussianSampler(sigma);
    const counts = new Float64Array(data.sampledCounts.length);
    for (let v = 0; v < counts.length; v++) counts[v] = (data.sampledCounts[v] as number) + draw(rng);
    return { counts, released: releaseByTotals(counts, data.groups.length, data.buckets.length, k), frequencyVariance: (sigma * sigma) / (data.n * data.n) };
  },
  async mean({ data, epsilon, delta, k, rng }) {
    // Per group a noisy sum of values on the grid [0, MEAN_GRID] and a noisy count; one device moves
    // one group's sum by <= MEAN_GRID and its count by 1. zCDP splits rho equally between the two.
    const rho = rhoFor(epsilon, delta);
    const sigmaSum = MEAN_GRID / Math.sqrt(rho);
    const sigmaCount = 1 / Math.sqrt(rho);
    const drawSum = discreteGaussianSampler(sigmaSum);
    const drawCount = discreteGaussianSampler(sigmaCount);
    const [lo, hi] = data.collection.bounds;
    const G = data.groups.length;
    const sums = new Float64Array(G);
    for (let i = 0; i < data.n; i++) sums[data.groupOf[i] as number]! += Math.round((((data.values[i] as number) - lo) / (hi - lo)) * MEAN_GRID);
    const means = new Float64Array(G).fill(NaN);
    const released = new Uint8Array(G);
    const variance = new Float64Array(G);
    for (let g = 0; g < G; g++) {
      const s = (sums[g] as number) + drawSum(rng);
      const c = (data.devices[g] as number) + drawCount(rng);
      released[g] = c >= k && c > 0 ? 1 : 0;
      if (c > 0) means[g] = lo + ((s / c) / MEAN_GRID) * (hi - lo);
      const n = data.devices[g] as number;
      // Delta method, dominated by the sum's noise: Var(mean) ≈ (σ_S² + m²σ_C²)/n² on the grid.
      const m = n > 0 ? (sums[g] as number) / n : 0;
      variance[g] = n > 0 ? ((sigmaSum * sigmaSum + m * m * sigmaCount * sigmaCount) / (n * n)) * ((hi - lo) / MEAN_GRID) ** 2 : NaN;
    }
    return { means, released, variance };
  },
};

function makeOracle(name: OracleName, epsilon: number, domainSize: number): AnyFrequencyOracle | null {
  try {
    return ORACLES[name]({ epsilon, domainSize, allowInsecureRng: true });
  } catch {
    return null; // this oracle does not support this domain size or epsilon
  }
}

function meanFrequencyVariance(oracle: AnyFrequencyOracle, data: HistogramData): number {
  let s = 0;
  for (let v = 0; v < data.sampledCounts.length; v++) s += oracle.variance(data.n, (data.sampledCounts[v] as number) / data.n);
  return s / data.sampledCounts.length;
}

async function runOracle(oracle: AnyFrequencyOracle, input: PipelineInput<HistogramData>): Promise<HistogramOutput> {
  const { data, rng, mode, pool, k } = input;
  let counts: Float64Array;
  if (mode === 'aggregate' || data.items.length === 0) {
    counts = oracle.estimateCounts(oracle.simulateTally(data.sampledCounts, rng));
  } else if (pool) {
    const vector = await pool.perturbAll(oracle.name, oracle.epsilon, oracle.domainSize, data.items, rng.u32());
    const tally = oracle.createTally();
    tally.addAggregate(vector, data.items.length);
    counts = oracle.estimateCounts(tally);
  } else {
    counts = oracle.estimateCounts(perturbAll(oracle, data.items, rng));
  }
  return { counts, released: releaseByTotals(counts, data.groups.length, data.buckets.length, k), frequencyVariance: meanFrequencyVariance(oracle, data) };
}

function ldpOracle(name: OracleName): Pipeline {
  return {
    id: `ldp-${name}`,
    description: `local DP: each device perturbs its report with ${name}; the server decodes the unbiased counts`,
    private: true,
    async histogram(input) {
      const oracle = makeOracle(name, input.epsilon, input.data.sampledCounts.length);
      if (!oracle) throw new SkipPipeline(`${name} does not support domain size ${input.data.sampledCounts.length}`);
      return runOracle(oracle, input);
    },
  };
}

async function runNumeric(name: NumericName, input: PipelineInput<MeanData>): Promise<MeanOutput> {
  const { data, epsilon, k, rng } = input;
  const mech = NUMERIC_MECHANISMS[name]({ epsilon, allowInsecureRng: true });
  const [lo, hi] = data.collection.bounds;
  const half = (hi - lo) / 2;
  const G = data.groups.length;
  const sums = new Float64Array(G);
  const varSums = new Float64Array(G);
  for (let i = 0; i < data.n; i++) {
    const t = ((data.values[i] as number) - lo) / half - 1;
    const g = data.groupOf[i] as number;
    sums[g]! += mech.unbias(mech.perturb(t, rng));
    varSums[g]! += mech.reportVariance(t);
  }
  const means = new Float64Array(G).fill(NaN);
  const released = new Uint8Array(G);
  const variance = new Float64Array(G);
  for (let g = 0; g < G; g++) {
    const n = data.devices[g] as number;
    released[g] = n >= k ? 1 : 0;
    if (n > 0) means[g] = lo + ((sums[g] as number) / n + 1) * half;
    variance[g] = n > 0 ? ((varSums[g] as number) / (n * n)) * half * half : NaN;
  }
  return { means, released, variance };
}

function ldpNumeric(name: NumericName): Pipeline {
  return {
    id: `ldp-${name}`,
    description: `local DP: each device perturbs its own mean with the ${name} mechanism; the operator is public`,
    private: true,
    mean: (input) => runNumeric(name, input),
  };
}

/** The numeric mechanism with the smallest worst-case report variance at this epsilon. */
export function bestNumeric(epsilon: number): NumericName {
  let best: NumericName = 'hybrid';
  let bestVar = Infinity;
  for (const name of NUMERIC_NAMES) {
    const m = NUMERIC_MECHANISMS[name]({ epsilon });
    let worst = 0;
    for (const t of [-1, -0.5, 0, 0.5, 1]) worst = Math.max(worst, m.reportVariance(t));
    if (worst < bestVar) {
      bestVar = worst;
      best = name;
    }
  }
  return best;
}

const ldpAuto: Pipeline = {
  id: 'ldp-auto',
  description: 'local DP with the oracle recommendOracle() picks for the domain size, epsilon and n (numeric: the mechanism of least worst-case variance)',
  private: true,
  async histogram(input) {
    const rec = recommendOracle({ domainSize: input.data.sampledCounts.length, epsilon: input.epsilon, n: Math.max(1, input.data.n) });
    const oracle = makeOracle(rec.oracle, input.epsilon, input.data.sampledCounts.length) as AnyFrequencyOracle;
    return runOracle(oracle, input);
  },
  mean: (input) => runNumeric(bestNumeric(input.epsilon), input),
};

export class SkipPipeline extends Error {}

export function allPipelines(): Pipeline[] {
  return [raw, kanonOnly, centralDp, secaggDdp, ...ORACLE_NAMES.map(ldpOracle), ...NUMERIC_NAMES.map(ldpNumeric), ldpAuto];
}

export const PIPELINE_IDS: readonly string[] = allPipelines().map((p) => p.id);
