import { expect } from 'vitest';
import type { Rng } from '@pinhole/core';
import { clopperPearson } from '@pinhole/core/stats';

/**
 * Asserts that `hits` successes in `n` trials are consistent with probability `p`: p must lie in
 * the exact Clopper-Pearson interval at level 1 - alpha, so a correct implementation fails with
 * probability at most alpha (two-sided).
 */
export function expectBinomial(hits: number, n: number, p: number, alpha: number, what = ''): void {
  const { lower, upper } = clopperPearson(hits, n, alpha, 'two_sided');
  expect(p, `${what}: ${hits}/${n} vs p = ${p}, interval [${lower}, ${upper}]`).toBeGreaterThanOrEqual(lower);
  expect(p, `${what}: ${hits}/${n} vs p = ${p}, interval [${lower}, ${upper}]`).toBeLessThanOrEqual(upper);
}

/** An Rng that counts u32 draws (to prove nothing was drawn). */
export function countingRng(inner: Rng): Rng & { draws: () => number } {
  let draws = 0;
  return {
    insecure: inner.insecure,
    u32: () => {
      draws++;
      return inner.u32();
    },
    float64: () => {
      draws++;
      return inner.float64();
    },
    int: (n: number) => {
      draws++;
      return inner.int(n);
    },
    bytes: (n: number) => {
      draws++;
      return inner.bytes(n);
    },
    draws: () => draws,
  };
}
