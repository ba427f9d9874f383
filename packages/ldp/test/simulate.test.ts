/**
 * simulateTally: the aggregate simulation (core's binomial and multinomial samplers) must agree in
 * distribution with per-device simulation (the bench simulates 10 million devices with it).
 */
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { ORACLES, ORACLE_NAMES } from '../src/index.js';
import { valuesOf } from './helpers.js';

/** Two-sample Kolmogorov–Smirnov statistic of integer-valued samples. */
function ksStatistic(a: number[], b: number[]): number {
  const xs = [...new Set([...a, ...b])].sort((p, q) => p - q);
  const sa = [...a].sort((p, q) => p - q);
  const sb = [...b].sort((p, q) => p - q);
  let i = 0;
  let j = 0;
  let dmax = 0;
  for (const x of xs) {
    while (i < sa.length && (sa[i] as number) <= x) i++;
    while (j < sb.length && (sb[j] as number) <= x) j++;
    dmax = Math.max(dmax, Math.abs(i / sa.length - j / sb.length));
  }
  return dmax;
}

describe('simulateTally agrees with per-device simulation', () => {
  // d = 5 buckets, 300 devices with counts [150, 80, 40, 20, 10]; R = 600 tallies each way.
  // For bucket 0 and bucket 3 support counts: (a) both means within 4.42 sd/√R of the exact mean
  // n_v p* + (n - n_v) q* (false failure 1e-5 each); (b) two-sample KS distance below
  // c(α)·sqrt(2/R) with c = sqrt(ln(2/α)/2) for α = 1e-5 (conservative for discrete laws).
  const counts = [150, 80, 40, 20, 10];
  const n = 300;
  const R = 600;
  const cKs = Math.sqrt(Math.log(2 / 1e-5) / 2) * Math.sqrt(2 / R);
  for (const name of ORACLE_NAMES) {
    it(`${name} (${ORACLES[name]({ epsilon: 1, domainSize: 5 }).simulation} law)`, () => {
      const o = ORACLES[name]({ epsilon: 1, domainSize: 5, allowInsecureRng: true });
      const values = valuesOf(Int32Array.from(counts));
      const rngA = seededRng(`sim/aggregate/${name}`);
      const rngD = seededRng(`sim/device/${name}`);
      for (const v of [0, 3]) {
        const agg: number[] = [];
        const dev: number[] = [];
        for (let r = 0; r < R; r++) {
          agg.push(o.simulateTally(counts, rngA).support()[v] as number);
          const t = o.makeTally();
          t.addBatch(Array.from(values, (x) => o.perturb(x, rngD)));
          dev.push(t.support()[v] as number);
        }
        const nv = counts[v] as number;
        const mean = nv * o.pStar + (n - nv) * o.qStar;
        const sd = Math.sqrt(nv * o.pStar * (1 - o.pStar) + (n - nv) * o.qStar * (1 - o.qStar));
        const tol = (4.42 * sd) / Math.sqrt(R);
        expect(Math.abs(agg.reduce((a, b) => a + b, 0) / R - mean)).toBeLessThanOrEqual(tol);
        expect(Math.abs(dev.reduce((a, b) => a + b, 0) / R - mean)).toBeLessThanOrEqual(tol);
        expect(ksStatistic(agg, dev)).toBeLessThanOrEqual(cKs);
      }
    });
  }

  it('simulates 10 million devices at d = 1024 in one call and stays unbiased', () => {
    const d = 1024;
    const counts = new Int32Array(d).fill(Math.floor(10_000_000 / d));
    counts[0]! += 10_000_000 - counts.reduce((a, b) => a + b, 0);
    const o = ORACLES.oue({ epsilon: 1, domainSize: d });
    const t = o.simulateTally(counts, seededRng('ten-million'));
    expect(t.n).toBe(10_000_000);
    const est = o.estimate(t);
    // sum of estimates: Var(Σ f̂) <= d · max Var (buckets independent for OUE); 4.42 sd
    const sum = est.reduce((a, b) => a + b, 0);
    expect(Math.abs(sum - 1)).toBeLessThanOrEqual(4.42 * Math.sqrt(d * o.variance(10_000_000, 1 / d)));
  });
});
