/**
 * `@pinhole/core/testing`: helpers for Pinhole's own tests: a scripted word source and slow,
 * obviously-correct reference computations the fast code is checked against. Never imported by
 * production code; seeded generators are in `@pinhole/core/seeded`, statistics in `@pinhole/core/stats`.
 */
import { type Rng } from './rng.js';
import { PinholeError } from './errors.js';
import { invalid } from './validate.js';

export { BAD_INTEGERS, BAD_NUMBERS, expectPinholeError, expectPinholeRejection } from './testing/expect.js';

/** An Rng replaying fixed u32 words (for exact, non-statistical checks). */
export function scriptedRng(words: readonly number[]): Rng {
  let i = 0;
  const u32 = () => {
    if (i >= words.length) throw new PinholeError('invalid_state', 'rng', `"rng" replayed all ${words.length} scripted words`);
    return words[i++] as number;
  };
  return { insecure: true, u32, float64: () => u32() / 2 ** 32, int: (n: number) => u32() % n, bytes: () => new Uint8Array(0) };
}

/**
 * A reference for tests, independent of privacy-maps.ts: the exact delta(epsilon) of independent
 * N_Z(0, sigma^2) noise on counts that neighbours shift by `shifts` (one integer per changed
 * count, at most two), by direct summation of the hockey-stick divergence
 * sum_z max(0, P(z) - e^epsilon P(z - shift)) over the product pmf on [-K, K]^d, K = 14 sigma + 2 + max shift
 * (the mass left out is below e^-98). The pmf is normalised by summing it. Cost (2K + 1)^d.
 */
export function referenceDiscreteGaussianDelta(sigma: number, epsilon: number, shifts: readonly number[]): number {
  if (shifts.length < 1 || shifts.length > 2) throw invalid('shifts', 'one or two integer shifts', shifts);
  const top = Math.max(...shifts.map(Math.abs));
  const K = Math.ceil(14 * sigma) + 2 + top;
  const pmf = new Float64Array(2 * K + 1);
  let total = 0;
  for (let z = -K; z <= K; z++) total += pmf[z + K] = Math.exp(-(z * z) / (2 * sigma * sigma));
  for (let i = 0; i < pmf.length; i++) pmf[i] = (pmf[i] as number) / total;
  const p = (z: number): number => (z < -K || z > K ? 0 : (pmf[z + K] as number));
  const e = Math.exp(epsilon);
  const [s1, s2] = [shifts[0] as number, shifts[1] ?? 0];
  let delta = 0;
  if (shifts.length === 1) {
    for (let z = -K; z <= K; z++) delta += Math.max(0, p(z) - e * p(z - s1));
    return delta;
  }
  for (let z1 = -K; z1 <= K; z1++) {
    const a = p(z1);
    const b = e * p(z1 - s1);
    for (let z2 = -K; z2 <= K; z2++) {
      const d = a * (pmf[z2 + K] as number) - b * p(z2 - s2);
      if (d > 0) delta += d;
    }
  }
  return delta;
}

/** P[Z >= k] for Z ~ N_Z(0, sigma^2), by direct summation of the pmf on [-14 sigma - 2, 14 sigma + 2 + |k|] (a test reference). */
export function referenceDiscreteGaussianTail(sigma: number, k: number): number {
  const K = Math.ceil(14 * sigma) + 2 + Math.abs(k);
  let total = 0;
  let tail = 0;
  for (let z = -K; z <= K; z++) {
    const w = Math.exp(-(z * z) / (2 * sigma * sigma));
    total += w;
    if (z >= k) tail += w;
  }
  return tail / total;
}

/** The smallest sigma (to 1e-7 relative) whose `referenceDiscreteGaussianDelta` is at most delta. */
export function referenceDiscreteGaussianSigma(epsilon: number, delta: number, shifts: readonly number[]): number {
  let lo = 0.05;
  let hi = 1;
  while (referenceDiscreteGaussianDelta(hi, epsilon, shifts) > delta) [lo, hi] = [hi, hi * 2];
  while (hi - lo > 1e-7 * hi) {
    const mid = (lo + hi) / 2;
    if (referenceDiscreteGaussianDelta(mid, epsilon, shifts) <= delta) hi = mid;
    else lo = mid;
  }
  return hi;
}
