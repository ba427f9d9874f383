import { describe, expect, it } from 'vitest';
import { cryptoRng, requireSecureRng, type Rng } from '@pinhole/core';
import { expectPinholeError } from '@pinhole/core/testing';
import { chiSquareCritical, chiSquareStatistic, twoSidedZ } from '@pinhole/core/stats';
import { rngFromU32, seededRng } from '@pinhole/core/seeded';

// Every statistical check below fails a correct generator with probability at most 1e-5
// (chi-square upper quantile at 1e-5, or a two-sided z of 4.42).
const ALPHA = 1e-5;

function chiSquareUniform(rng: Rng, n: number, draws: number): { stat: number; crit: number } {
  const counts = new Array<number>(n).fill(0);
  for (let i = 0; i < draws; i++) {
    const k = rng.int(n);
    counts[k] = (counts[k] as number) + 1;
  }
  const expected = new Array<number>(n).fill(draws / n);
  return { stat: chiSquareStatistic(counts, expected), crit: chiSquareCritical(n - 1, ALPHA) };
}

describe('cryptoRng', () => {
  const rng = cryptoRng();

  it('is marked secure and produces words, doubles and bytes in range', () => {
    expect(rng.insecure).toBe(false);
    for (let i = 0; i < 10_000; i++) {
      const w = rng.u32();
      expect(Number.isInteger(w) && w >= 0 && w < 2 ** 32).toBe(true);
      const f = rng.float64();
      expect(f >= 0 && f < 1).toBe(true);
    }
    expect(rng.bytes(100_000)).toHaveLength(100_000);
    expect(rng.bytes(0)).toHaveLength(0);
  });

  it.each([3, 1000])('int(%i) is uniform (chi-square, false-failure rate 1e-5)', (n) => {
    const { stat, crit } = chiSquareUniform(rng, n, 300_000);
    expect(stat).toBeLessThan(crit);
  });

  it.each([2 ** 31 + 1, 3 * 2 ** 30])('int(%i) puts the right share below n/3', (n) => {
    // Unbiased draws land below n/3 with probability 1/3 (sd sqrt(2/9 / draws)); the tolerance is
    // twoSidedZ(1e-5) · sd. For n = 3·2^30, reducing a 32-bit word modulo n gives 1/2 instead.
    const draws = 200_000;
    const share = (r: () => number) => {
      let below = 0;
      for (let i = 0; i < draws; i++) if (r() < n / 3) below++;
      return below / draws;
    };
    const tol = twoSidedZ(ALPHA) * Math.sqrt(2 / 9 / draws);
    expect(Math.abs(share(() => rng.int(n)) - 1 / 3)).toBeLessThan(tol);
    if (n === 3 * 2 ** 30) {
      // The same statistic catches the naive reduction, so the check has teeth.
      expect(Math.abs(share(() => rng.u32() % n) - 1 / 3)).toBeGreaterThan(tol);
    }
  });

  it('int(n) above 2^32 stays in range and is centred', () => {
    const n = 2 ** 40 + 3;
    const draws = 100_000;
    let sum = 0;
    for (let i = 0; i < draws; i++) {
      const x = rng.int(n);
      expect(x >= 0 && x < n && Number.isInteger(x)).toBe(true);
      sum += x / n;
    }
    // Uniform on [0,1) has variance 1/12.
    expect(Math.abs(sum / draws - 0.5)).toBeLessThan(twoSidedZ(ALPHA) * Math.sqrt(1 / 12 / draws));
  });

  it('pooled small byte requests are uniform and never repeat the pool', () => {
    const counts = new Array<number>(256).fill(0);
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const b = rng.bytes(1 + (i % 200));
      for (const x of b) counts[x] = (counts[x] as number) + 1;
      if (b.length >= 16) {
        const key = Array.from(b.subarray(0, 16)).join(',');
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
    }
    const total = counts.reduce((a, b) => a + b, 0);
    // Chi-square over 256 byte values, false-failure rate 1e-5.
    expect(chiSquareStatistic(counts, new Array<number>(256).fill(total / 256))).toBeLessThan(chiSquareCritical(255, ALPHA));
  });

  it('float64 uses 53 bits (low bits are not constant)', () => {
    let orLow = 0;
    for (let i = 0; i < 1000; i++) orLow |= (rng.float64() * 2 ** 53) & 0xff;
    expect(orLow).toBe(0xff);
  });

  it('rejects bad n', () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 53 + 2, '3']) expectPinholeError(() => rng.int(bad as number), 'invalid_argument', 'n');
    for (const bad of [-1, 1.5, NaN]) expectPinholeError(() => rng.bytes(bad), 'invalid_argument', 'n');
  });
});

describe('seededRng', () => {
  it('is reproducible, marked insecure, and has independent labelled streams', () => {
    const a = seededRng(42);
    const b = seededRng(42);
    expect(a.insecure).toBe(true);
    const xs = Array.from({ length: 5 }, () => a.u32());
    expect(Array.from({ length: 5 }, () => b.u32())).toEqual(xs);
    const s1 = seededRng(42).stream('noise');
    const s2 = seededRng(42).stream('noise');
    const s3 = seededRng(42).stream('other');
    const v1 = Array.from({ length: 5 }, () => s1.u32());
    expect(Array.from({ length: 5 }, () => s2.u32())).toEqual(v1);
    expect(Array.from({ length: 5 }, () => s3.u32())).not.toEqual(v1);
    expect(v1).not.toEqual(xs);
  });

  it('int(n) is uniform for a seeded generator too', () => {
    const { stat, crit } = chiSquareUniform(seededRng('int'), 1000, 200_000);
    expect(stat).toBeLessThan(crit);
  });

  it('rejects bad seeds and labels', () => {
    for (const bad of ['', 1.5, NaN, null, undefined, {}]) expectPinholeError(() => seededRng(bad as string), 'invalid_argument', 'seed');
    expectPinholeError(() => seededRng(1).stream(NaN), 'invalid_argument', 'label');
  });
});

describe('requireSecureRng', () => {
  it('refuses a seeded generator unless allowed', () => {
    expectPinholeError(() => requireSecureRng(seededRng(1), undefined), 'insecure_rng', 'rng');
    expectPinholeError(() => requireSecureRng(seededRng(1), false, 'noiseRng'), 'insecure_rng', 'noiseRng');
    expect(requireSecureRng(seededRng(1), true).insecure).toBe(true);
    expect(requireSecureRng(cryptoRng(), undefined).insecure).toBe(false);
    expectPinholeError(() => requireSecureRng({} as Rng, true), 'invalid_argument', 'rng');
  });

  it('rngFromU32 derives the same methods for any word source', () => {
    let i = 0;
    const r = rngFromU32(() => (i++ * 2654435761) >>> 0);
    expect(r.insecure).toBe(true);
    expect(r.bytes(5)).toHaveLength(5);
    expect(r.int(1)).toBe(0);
  });
});
