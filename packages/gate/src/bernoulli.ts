/**
 * An exact Bernoulli(p) draw for any double p in [0, 1]. A double is a dyadic rational, so
 * "U < p" for a uniform U in [0, 1) is decided exactly by comparing U's binary expansion with p's,
 * 32 bits at a time, drawing more words only while the prefixes are equal (probability 2^-32 per
 * word). Unlike `rng.float64() < p`, which rounds p to a multiple of 2^-53 (and turns every
 * p < 2^-53 into 0 or 2^-53), the draw has probability exactly p.
 */
import type { Rng } from '@pinhole/core';

const TWO_32 = 4294967296;

/** true with probability exactly p (p a double in [0, 1]; not validated: hot path). */
export function bernoulliExact(p: number, rng: Rng): boolean {
  // x holds the not-yet-compared bits of p, shifted so the next word is its integer part. Each
  // product and difference is exact: multiplying by 2^32 only moves the exponent, and w <= x.
  let x = p;
  for (;;) {
    x *= TWO_32;
    const w = Math.floor(x);
    const u = rng.u32();
    if (u < w) return true; // U < prefix + 2^-32k <= p
    if (u > w) return false; // U >= prefix(w + 1) > p
    x -= w;
    if (x === 0) return false; // p's bits are exhausted: U >= p
  }
}
