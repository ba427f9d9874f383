import { expect } from 'vitest';
import type { Rng } from '@pinhole/core';
import { binCounts, binPmf, chiSquareCritical, chiSquareStatistic, twoSidedZ } from '@pinhole/core/stats';
import { seededRng } from '@pinhole/core/seeded';

/** Exact pmfs of the samplers' target distributions, computed independently of the samplers. */

export interface Pmf {
  lo: number;
  hi: number;
  p: (k: number) => number;
}

export function discreteGaussianPmf(sigma: number): Pmf {
  const r = Math.ceil(14 * sigma) + 5;
  let z = 0;
  for (let y = -r; y <= r; y++) z += Math.exp((-y * y) / (2 * sigma * sigma));
  return { lo: -r, hi: r, p: (k) => Math.exp((-k * k) / (2 * sigma * sigma)) / z };
}

export function discreteLaplacePmf(scale: number): Pmf {
  const r = Math.ceil(40 * scale) + 5;
  const q = Math.exp(-1 / scale);
  const c = (1 - q) / (1 + q);
  return { lo: -r, hi: r, p: (k) => c * Math.exp(-Math.abs(k) / scale) };
}

function logPoisson(k: number, mu: number): number {
  let lf = 0;
  for (let i = 2; i <= k; i++) lf += Math.log(i);
  return -mu + k * Math.log(mu) - lf;
}

export function poissonPmf(mu: number): Pmf {
  const hi = Math.ceil(mu + 12 * Math.sqrt(mu) + 15);
  return { lo: 0, hi, p: (k) => Math.exp(logPoisson(k, mu)) };
}

export function skellamPmf(mu: number): Pmf {
  const hi = Math.ceil(12 * Math.sqrt(2 * mu) + 15);
  const pois = poissonPmf(mu);
  const table: number[] = [];
  for (let j = 0; j <= pois.hi + hi; j++) table.push(j <= pois.hi + hi ? Math.exp(logPoisson(j, mu)) : 0);
  return {
    lo: -hi,
    hi,
    p: (k) => {
      const a = Math.abs(k);
      let s = 0;
      for (let j = 0; j + a < table.length; j++) s += (table[j + a] as number) * (table[j] as number);
      return s;
    },
  };
}

export function moments(pmf: Pmf): { mean: number; variance: number; mu4: number } {
  let m = 0;
  let total = 0;
  for (let k = pmf.lo; k <= pmf.hi; k++) {
    total += pmf.p(k);
    m += k * pmf.p(k);
  }
  m /= total;
  let v = 0;
  let m4 = 0;
  for (let k = pmf.lo; k <= pmf.hi; k++) {
    const d = k - m;
    v += (d * d * pmf.p(k)) / total;
    m4 += (d * d * d * d * pmf.p(k)) / total;
  }
  return { mean: m, variance: v, mu4: m4 };
}

/**
 * Each distribution check makes three tests, each failing a correct sampler with probability
 * about 1e-5 (so a whole run of this file falsely fails with probability < 1e-3):
 * - mean:     |mean - mu| < z · sqrt(var / n), z = twoSidedZ(1e-5) = 4.42;
 * - variance: |s^2 - var| < z · sqrt((mu4 - var^2) / n), the CLT for the sample variance;
 * - shape:    Pearson chi-square over bins expecting >= 20 draws each, below its 1e-5 upper quantile.
 */
const ALPHA = 1e-5;
const Z = twoSidedZ(ALPHA);

export function checkDistribution(draw: (rng: Rng) => number, pmf: Pmf, n: number, seed: string): void {
  const rng = seededRng(seed);
  const xs = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = draw(rng);
    xs[i] = x;
    sum += x;
  }
  const { mean, variance, mu4 } = moments(pmf);
  const m = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((xs[i] as number) - m) ** 2;
  const s2 = ss / (n - 1);
  expect(Math.abs(m - mean), `mean ${m} vs ${mean}`).toBeLessThan(Z * Math.sqrt(variance / n));
  expect(Math.abs(s2 - variance), `variance ${s2} vs ${variance}`).toBeLessThan(Z * Math.sqrt((mu4 - variance * variance) / n));
  const { starts, expected } = binPmf(pmf.p, pmf.lo, pmf.hi, n, 20);
  const observed = binCounts(xs, starts);
  const stat = chiSquareStatistic(observed, expected);
  expect(stat, `chi-square over ${starts.length} bins`).toBeLessThan(chiSquareCritical(Math.max(1, starts.length - 1), ALPHA));
}
