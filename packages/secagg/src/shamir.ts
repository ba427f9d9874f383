/**
 * t-of-n Shamir secret sharing (Shamir, CACM 1979) of 32-byte secrets over the prime field
 * GF(p), p = 2^26 - 5. A secret is cut into 11 chunks of at most 24 bits and each chunk is shared
 * with its own random polynomial, so every product of two field elements stays below 2^52 and is
 * exact in a double: no bigint on the hot path. Share x-coordinates are participant ids 1..n < p,
 * so cohorts of up to 2^20 fit (a GF(2^8) scheme would cap them at 255).
 * Proof and failure formulas: secagg.proof.md.
 */
import type { Rng } from '@pinhole/core';

/** The field modulus: the largest prime below 2^26. */
export const SHAMIR_PRIME = 67108859;
/** Field elements per 32-byte secret: ten 3-byte chunks and one 2-byte chunk. */
export const SHARE_CHUNKS = 11;
export const SECRET_BYTES = 32;

const P = SHAMIR_PRIME;

/** (a * b) mod p for a, b in [0, p): the product is below 2^52, exact in a double. */
function mulmod(a: number, b: number): number {
  return (a * b) % P;
}

/** The inverse of a nonzero a mod p (extended Euclid). */
export function invmod(a: number): number {
  let r0 = P;
  let r1 = ((a % P) + P) % P;
  let s0 = 0;
  let s1 = 1;
  while (r1 !== 0) {
    const q = Math.floor(r0 / r1);
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return ((s0 % P) + P) % P;
}

function chunksOf(secret: Uint8Array): number[] {
  const out: number[] = [];
  for (let c = 0; c < SHARE_CHUNKS; c++) {
    const i = 3 * c;
    out.push((secret[i] ?? 0) | ((secret[i + 1] ?? 0) << 8) | ((secret[i + 2] ?? 0) << 16));
  }
  return out;
}

function secretOf(chunks: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(SECRET_BYTES);
  for (let c = 0; c < SHARE_CHUNKS; c++) {
    const v = chunks[c] as number;
    for (let j = 0; j < 3; j++) if (3 * c + j < SECRET_BYTES) out[3 * c + j] = (v >>> (8 * j)) & 0xff;
  }
  return out;
}

/**
 * Shares of a 32-byte secret at the x-coordinates `xs` (distinct integers in [1, p)), any
 * `threshold` of which reconstruct it. Coefficients come from `rng`, which must be a CSPRNG
 * outside tests. Each share is SHARE_CHUNKS field elements.
 */
export function shamirSplit(secret: Uint8Array, xs: readonly number[], threshold: number, rng: Rng): Uint32Array[] {
  const chunks = chunksOf(secret);
  // coeffs[c * threshold + d]: coefficient of x^d of chunk c's polynomial; degree 0 is the chunk.
  const coeffs = new Float64Array(SHARE_CHUNKS * threshold);
  for (let c = 0; c < SHARE_CHUNKS; c++) {
    coeffs[c * threshold] = chunks[c] as number;
    for (let d = 1; d < threshold; d++) coeffs[c * threshold + d] = rng.int(P);
  }
  return xs.map((x) => {
    const share = new Uint32Array(SHARE_CHUNKS);
    for (let c = 0; c < SHARE_CHUNKS; c++) {
      const base = c * threshold;
      let acc = 0;
      for (let d = threshold - 1; d >= 0; d--) acc = (acc * x + (coeffs[base + d] as number)) % P;
      share[c] = acc;
    }
    return share;
  });
}

/** Lagrange coefficients at 0 for the distinct x-coordinates `xs`. */
export function lagrangeAtZero(xs: readonly number[]): Float64Array {
  const out = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const xi = xs[i] as number;
    let num = 1;
    let den = 1;
    for (let j = 0; j < xs.length; j++) {
      if (j === i) continue;
      const xj = xs[j] as number;
      num = mulmod(num, xj);
      den = mulmod(den, (xj - xi + P) % P);
    }
    out[i] = mulmod(num, invmod(den));
  }
  return out;
}

/**
 * The secret from shares at `xs`, all of which are used (the caller passes exactly `threshold`
 * of them); `coefficients` may be passed when many secrets share one set of x-coordinates.
 */
export function shamirCombine(xs: readonly number[], shares: readonly Uint32Array[], coefficients = lagrangeAtZero(xs)): Uint8Array {
  const chunks = new Float64Array(SHARE_CHUNKS);
  for (let i = 0; i < shares.length; i++) {
    const l = coefficients[i] as number;
    const s = shares[i] as Uint32Array;
    for (let c = 0; c < SHARE_CHUNKS; c++) chunks[c] = ((chunks[c] as number) + mulmod(l, s[c] as number)) % P;
  }
  return secretOf(chunks);
}
