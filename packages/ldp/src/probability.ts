/**
 * Bernoulli draws on whole 32-bit words. A probability becomes an integer threshold T and a draw is
 * `rng.u32() < T`, so the probability actually used is exactly T / 2^32. Every mechanism rounds its
 * thresholds in the direction that can only lower the privacy loss, and computes its estimator and
 * variance from the achieved probabilities, so both stay exact.
 */
export const TWO_32 = 4294967296;

/** floor(p · 2^32), the threshold of a probability rounded down. */
export function thresholdDown(p: number): number {
  return Math.min(TWO_32, Math.max(0, Math.floor(p * TWO_32)));
}

/** ceil(p · 2^32), the threshold of a probability rounded up. */
export function thresholdUp(p: number): number {
  return Math.min(TWO_32, Math.max(0, Math.ceil(p * TWO_32)));
}
