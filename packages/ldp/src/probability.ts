/**
 * Bernoulli draws on whole 32-bit words. A probability is an integer threshold T over 2^64, and a
 * draw compares a uniform 64-bit word V with it lexicographically: the first 32-bit word decides
 * unless it equals T's high word, and only then (probability 2^-32) is a second word drawn for the
 * low half. The probability actually used is exactly T / 2^64. Every mechanism chooses T in exact
 * arithmetic so that the likelihood ratio stays within e^ε in both directions (exact.ts), and
 * computes its estimator and variance from the achieved probabilities.
 */
import type { Rng } from '@pinhole/core';

export const TWO_32 = 4294967296;
export const TWO_64 = 1n << 64n;

export interface Threshold {
  /** T in [0, 2^64]: the probability is T / 2^64 exactly */
  readonly value: bigint;
  /** floor(T / 2^32), in [0, 2^32] */
  readonly hi: number;
  /** T mod 2^32 */
  readonly lo: number;
  /** T / 2^64 as a double (for estimators and variances only) */
  readonly p: number;
}

export function threshold(value: bigint): Threshold {
  if (value < 0n || value > TWO_64) throw new RangeError('threshold out of [0, 2^64]');
  const hi = Number(value >> 32n);
  const lo = Number(value & 0xffffffffn);
  return Object.freeze({ value, hi, lo, p: Number(value) / 2 ** 64 });
}

/** One Bernoulli(T / 2^64) draw: true with probability exactly T / 2^64. */
export function bernoulli(t: Threshold, rng: Rng): boolean {
  const x = rng.u32();
  return x < t.hi || (x === t.hi && t.lo !== 0 && rng.u32() < t.lo);
}
