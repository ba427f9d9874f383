/** The simulation-only binomial and uniform multinomial samplers (bench tallies of millions of devices). */
import { describe, expect, it } from 'vitest';
import { binomialPmf, sampleBinomial, sampleUniformMultinomial } from '../src/binomial.js';
import { seededRng } from '../src/testing/seeded.js';
import { expectPinholeError } from '@pinhole/core/testing';

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
      sampleUniformMultinomial(m, 10, rng, (i, c) => (cells[i]! += c));
      expect(cells.reduce((a, b) => a + b, 0)).toBe(m);
      // each cell is Binomial(m, 1/10): within 4.42 sd (Bonferroni not needed at 1e-5 · 10)
      for (const c of cells) expect(Math.abs(c - m / 10)).toBeLessThanOrEqual(4.42 * Math.sqrt(m * 0.09) + 1);
    }
  });
});

describe('binomial sampler inputs', () => {
  const rng = () => seededRng('bad-input');
  it('sampleBinomial and sampleUniformMultinomial refuse bad input', () => {
    expectPinholeError(() => sampleBinomial(-1, 0.5, rng()), 'invalid_argument', 'n');
    expectPinholeError(() => sampleBinomial(5, 1.5, rng()), 'invalid_argument', 'p');
    expectPinholeError(() => sampleBinomial(5, 0.5, null as never), 'invalid_argument', 'rng');
    expectPinholeError(() => sampleUniformMultinomial(5, 0, rng(), () => {}), 'invalid_argument', 'k');
    expectPinholeError(() => sampleUniformMultinomial(-5, 2, rng(), () => {}), 'invalid_argument', 'm');
    expectPinholeError(() => sampleUniformMultinomial(5, 2, rng(), null as never), 'invalid_argument', 'add');
  });
});
