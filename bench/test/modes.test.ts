import { afterAll, describe, expect, it } from 'vitest';
import { COLLECTIONS } from '@pinhole/core';
import { type HistogramCollection } from '@pinhole/core/insights';
import { seededRng } from '@pinhole/core/seeded';
import { ORACLES, type OracleName } from '@pinhole/ldp';
import { allPipelines } from '../src/pipelines.js';
import type { HistogramData } from '../src/prepare.js';
import { WorkerPool } from '../src/workers.js';

/** A small histogram collection: 6 buckets in one group, devices spread unevenly. */
function smallData(n: number): HistogramData {
  const counts = [0.4, 0.25, 0.15, 0.1, 0.07, 0.03].map((f) => Math.round(f * n));
  const items: number[] = [];
  counts.forEach((c, v) => {
    for (let i = 0; i < c; i++) items.push(v);
  });
  const collection = COLLECTIONS.find((c) => c.id === 'network-type-by-region') as HistogramCollection;
  return {
    kind: 'histogram',
    collection,
    // one region: network-type-by-region lays out the 6 network types of one group
    domains: { operators: ['o'], regions: ['all'], cells: ['c'] },
    groups: ['all'],
    buckets: ['a', 'b', 'c', 'd', 'e', 'f'],
    truth: Float64Array.from(counts),
    sampledCounts: Int32Array.from(counts),
    items: Int32Array.from(items),
    n: items.length,
  };
}

/** Two-sample Kolmogorov–Smirnov: sup |F1 - F2|. */
function ks(a: number[], b: number[]): number {
  const xs = [...a].sort((x, y) => x - y);
  const ys = [...b].sort((x, y) => x - y);
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < xs.length && j < ys.length) {
    const v = Math.min(xs[i] as number, ys[j] as number);
    while (i < xs.length && (xs[i] as number) <= v) i++;
    while (j < ys.length && (ys[j] as number) <= v) j++;
    d = Math.max(d, Math.abs(i / xs.length - j / ys.length));
  }
  return d;
}

const pool = new WorkerPool(2);
afterAll(() => pool.close());

describe('aggregate simulation agrees with per-device simulation', () => {
  // R replications of each mode; the estimate of bucket 0 and of bucket 5 are compared with a
  // two-sample KS test. Its critical value c(α)·sqrt(2/R) with c(α) = sqrt(-ln(α/2)/2) fails two
  // samples of one law with probability α = 1e-5 (c = 2.47), for each of the 2 × 4 comparisons.
  const R = 300;
  const crit = Math.sqrt(-Math.log(1e-5 / 2) / 2) * Math.sqrt(2 / R);
  const data = smallData(2000);

  it.each(['grr', 'oue', 'olh', 'hadamard-response'] as OracleName[])('%s', async (name) => {
    const pipeline = allPipelines().find((p) => p.id === `ldp-${name}`)!;
    const agg: number[][] = [[], []];
    const dev: number[][] = [[], []];
    for (let r = 0; r < R; r++) {
      const base = { data, epsilon: 1, delta: 1e-6, k: 1 };
      const a = await pipeline.histogram!({ ...base, rng: seededRng(`agg-${name}`).stream(r), mode: 'aggregate' });
      const d = await pipeline.histogram!({ ...base, rng: seededRng(`dev-${name}`).stream(r), mode: 'device' });
      agg[0]!.push(a.counts[0] as number);
      agg[1]!.push(a.counts[5] as number);
      dev[0]!.push(d.counts[0] as number);
      dev[1]!.push(d.counts[5] as number);
    }
    expect(ks(agg[0]!, dev[0]!)).toBeLessThan(crit);
    expect(ks(agg[1]!, dev[1]!)).toBeLessThan(crit);
  });

  it('the KS check has teeth: a tally simulated at another epsilon is told apart', async () => {
    const a: number[] = [];
    const b: number[] = [];
    const o1 = ORACLES.oue({ epsilon: 1, domainSize: 6, allowInsecureRng: true });
    const o2 = ORACLES.oue({ epsilon: 0.4, domainSize: 6, allowInsecureRng: true });
    for (let r = 0; r < R; r++) {
      a.push(o1.estimateCounts(o1.simulateTally(data.sampledCounts, seededRng('t1').stream(r)))[0] as number);
      b.push(o2.estimateCounts(o2.simulateTally(data.sampledCounts, seededRng('t2').stream(r)))[0] as number);
    }
    // Same mean (both unbiased), different spread: the test still sees it.
    expect(ks(a, b)).toBeGreaterThan(crit);
  });

  it('the worker pool gives the same law as one thread (per-device, all cores)', async () => {
    const o = ORACLES.grr({ epsilon: 1, domainSize: 6, allowInsecureRng: true });
    const inPool: number[] = [];
    const single: number[] = [];
    for (let r = 0; r < 100; r++) {
      const vec = await pool.perturbAll('grr', 1, 6, data.items.slice(), r);
      const t = o.makeTally();
      t.addAggregate(vec, data.n);
      inPool.push(o.estimateCounts(t)[0] as number);
      const d = await allPipelines().find((p) => p.id === 'ldp-grr')!.histogram!({ data, epsilon: 1, delta: 1e-6, k: 1, rng: seededRng('single').stream(r), mode: 'device' });
      single.push(d.counts[0] as number);
    }
    // Same KS construction with R = 100 per side.
    expect(ks(inPool, single)).toBeLessThan(Math.sqrt(-Math.log(1e-5 / 2) / 2) * Math.sqrt(2 / 100));
    // Deterministic for a seed and worker count.
    const v1 = await pool.perturbAll('grr', 1, 6, data.items.slice(), 42);
    const v2 = await pool.perturbAll('grr', 1, 6, data.items.slice(), 42);
    expect(Array.from(v1)).toEqual(Array.from(v2));
  });
});
