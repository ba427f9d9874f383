/**
 * Sylvester–Hadamard helpers: H[i][j] = (-1)^popcount(i & j) for a power-of-two order K, and the
 * in-place fast Walsh–Hadamard transform (unnormalised, O(K log K)) that turns per-output tallies
 * into per-bucket support counts for the Hadamard oracles.
 */

/** The smallest power of two >= n (n >= 1). */
export function nextPowerOfTwo(n: number): number {
  let k = 1;
  while (k < n) k *= 2;
  return k;
}

/** Parity of the set bits of a non-negative 32-bit integer: 0 or 1. */
export function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** H[i][j] as ±1. */
export function hadamardEntry(i: number, j: number): number {
  return parity(i & j) === 0 ? 1 : -1;
}

/** In place: a ← H a, for a of power-of-two length. Exact on integers below 2^53 / K. */
export function fwht(a: Float64Array): Float64Array {
  const n = a.length;
  for (let h = 1; h < n; h *= 2) {
    for (let i = 0; i < n; i += 2 * h) {
      for (let j = i; j < i + h; j++) {
        const x = a[j] as number;
        const y = a[j + h] as number;
        a[j] = x + y;
        a[j + h] = x - y;
      }
    }
  }
  return a;
}
