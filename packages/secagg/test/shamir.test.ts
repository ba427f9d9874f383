/** Shamir sharing over GF(2^26 - 5): any t shares reconstruct, t - 1 do not. */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/seeded';
import { SHAMIR_PRIME, SHARE_CHUNKS, invmod, lagrangeAtZero, shamirCombine, shamirSplit } from '../src/shamir.js';
import { toHex } from '../src/crypto.js';

describe('field', () => {
  it('the modulus is prime and products stay exact in doubles', () => {
    for (let d = 2; d * d <= SHAMIR_PRIME; d++) expect(SHAMIR_PRIME % d, `divisor ${d}`).not.toBe(0);
    expect((SHAMIR_PRIME - 1) ** 2 + SHAMIR_PRIME).toBeLessThan(2 ** 53);
  });
  it('invmod is the inverse', () => {
    const rng = seededRng('inv');
    for (let i = 0; i < 1000; i++) {
      const a = 1 + rng.int(SHAMIR_PRIME - 1);
      expect(Number((BigInt(a) * BigInt(invmod(a))) % BigInt(SHAMIR_PRIME))).toBe(1);
    }
  });
});

describe('split and combine', () => {
  it('every random t-subset reconstructs the secret; shares are field elements', () => {
    const rng = seededRng('shamir');
    for (const [n, t] of [
      [2, 2],
      [3, 2],
      [5, 3],
      [20, 11],
      [200, 101],
    ] as const) {
      const secret = rng.bytes(32);
      const xs = Array.from({ length: n }, (_, i) => i + 1);
      const shares = shamirSplit(secret, xs, t, rng);
      expect(shares.every((s) => s.length === SHARE_CHUNKS && s.every((v) => v < SHAMIR_PRIME))).toBe(true);
      for (let trial = 0; trial < 5; trial++) {
        const pick = [...xs];
        for (let i = pick.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [pick[i], pick[j]] = [pick[j] as number, pick[i] as number];
        }
        const sub = pick.slice(0, t);
        expect(
          toHex(
            shamirCombine(
              sub,
              sub.map((x) => shares[x - 1] as Uint32Array),
            ),
          ),
        ).toBe(toHex(secret));
        const fewer = sub.slice(0, t - 1);
        if (t > 1)
          expect(
            toHex(
              shamirCombine(
                fewer,
                fewer.map((x) => shares[x - 1] as Uint32Array),
              ),
            ),
          ).not.toBe(toHex(secret));
      }
    }
  });
  it('large x-coordinates (cohorts of 10,000 and more) work', () => {
    const rng = seededRng('large-x');
    const secret = rng.bytes(32);
    const xs = [9_999, 10_000, 500_000, 1_048_575, 77];
    const shares = shamirSplit(secret, xs, 3, rng);
    expect(toHex(shamirCombine(xs.slice(2), shares.slice(2)))).toBe(toHex(secret));
    expect(toHex(shamirCombine(xs.slice(0, 3), shares.slice(0, 3), lagrangeAtZero(xs.slice(0, 3))))).toBe(toHex(secret));
  });
  it('t - 1 shares of a chunk are uniform whatever the secret (chi-square, 16 bins)', () => {
    // The share at x = 1 of a degree-1 polynomial is chunk + r (mod p), r uniform: its top 4 bits
    // are uniform up to (2^26 - p)/p ~ 1e-7. 16 bins, 4,000 draws: chi-square, df 15, critical
    // 57.3 for alpha ~ 1e-6 (Wilson-Hilferty: 15 * (1 - 2/135 + 4.753 * sqrt(2/135))^3), per secret.
    for (const fill of [0, 255]) {
      const rng = seededRng(`uniform-${fill}`);
      const secret = new Uint8Array(32).fill(fill);
      const h = new Array<number>(16).fill(0);
      for (let i = 0; i < 4000; i++) {
        const [s] = shamirSplit(secret, [1, 2], 2, rng);
        const bin = Math.floor(((s as Uint32Array)[0] as number) / (SHAMIR_PRIME / 16));
        h[bin] = (h[bin] as number) + 1;
      }
      const stat = h.reduce((a, o) => a + (o - 250) ** 2 / 250, 0);
      expect(stat).toBeLessThan(57.3);
    }
  });
});
