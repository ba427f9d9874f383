/**
 * Simulation samplers (binomial, multinomial) and simulateTally: the aggregate simulation must
 * agree in distribution with per-device simulation (the bench simulates 10 million devices with it).
 */
import { seededRng } from '@pinhole/core/testing';
import { describe, expect, it } from 'vitest';
import { ORACLES, ORACLE_NAMES, sampleBinomial, uniformMultinomial } from '../src/index.js';
import { binomialPmf } from '../src/simulate.js';
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

describe('binomial sampler', () => {
  for (const [n, p] of [
    [30, 0.2],
    [1000, 0.3],
    [1_000_000, 0.7],
    [20, 0.999],
  ] as const) {
    it(`Binomial(${n}, ${p}) matches its pmf (chi-square)`, () => {
      // chi-square over cells holding >= 5 expected draws (tails pooled); 20,000 draws; the 1 - 1e-5
      // quantile of chi-square(k) by Wilson–Hilferty: k (1 - 2/(9k) + 4.265 sqrt(2/(9k)))^3.
      const rng = seededRng(`binomial/${n}/${p}`);
      const draws = 20_000;
      const hist = new Map<number, number>();
      let sum = 0;
      for (let i = 0; i < draws; i++) {
        const x = sampleBinomial(n, p, rng);
        expect(Number.isInteger(x) && x >= 0 && x <= n).toBe(true);
        hist.set(x, (hist.get(x) ?? 0) + 1);
        sum += x;
      }
      const sd = Math.sqrt(n * p * (1 - p));
      expect(Math.abs(sum / draws - n * p)).toBeLessThanOrEqual((4.42 * sd) / Math.sqrt(draws));
      const mean = n * p;
      const lo = Math.max(0, Math.floor(mean - 8 * sd - 1));
      const hi = Math.min(n, Math.ceil(mean + 8 * sd + 1));
      let chi = 0;
      let cells = 0;
      let pooledE = 0;
      let pooledO = 0;
      for (let x = lo; x <= hi; x++) {
        const e = draws * binomialPmf(x, n, p);
        const o = hist.get(x) ?? 0;
        if (e < 5) {
          pooledE += e;
          pooledO += o;
          continue;
        }
        chi += (o - e) ** 2 / e;
        cells++;
      }
      if (pooledE >= 5) {
        chi += (pooledO - pooledE) ** 2 / pooledE;
        cells++;
      }
      const k = cells - 1;
      expect(chi).toBeLessThanOrEqual(k * (1 - 2 / (9 * k) + 4.265 * Math.sqrt(2 / (9 * k))) ** 3);
    });
  }

  it('the pmf sums to 1 and matches direct computation', () => {
    let s = 0;
    for (let x = 0; x <= 50; x++) s += binomialPmf(x, 50, 0.3);
    expect(s).toBeCloseTo(1, 12);
    expect(binomialPmf(3, 10, 0.5)).toBeCloseTo(120 / 1024, 14);
  });

  it('uniform multinomial keeps the total and spreads evenly', () => {
    const rng = seededRng('multinomial');
    for (const m of [7, 100_000]) {
      const cells = new Float64Array(10);
      uniformMultinomial(m, 10, rng, (i, c) => (cells[i]! += c));
      expect(cells.reduce((a, b) => a + b, 0)).toBe(m);
      // each cell is Binomial(m, 1/10): within 4.42 sd (Bonferroni not needed at 1e-5 · 10)
      for (const c of cells) expect(Math.abs(c - m / 10)).toBeLessThanOrEqual(4.42 * Math.sqrt(m * 0.09) + 1);
    }
  });
});

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
          const t = o.createTally();
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
