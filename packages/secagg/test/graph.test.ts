/** Neighbour graphs: the seeded relabelling is a permutation, Harary neighbourhoods are symmetric and k-regular. */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/seeded';
import { readFileSync } from 'node:fs';
import { ctr } from '@noble/ciphers/aes.js';
import { Neighbourhoods, seededPermutation } from '../src/graph.js';

describe('graphs', () => {
  it('seededPermutation is a reproducible permutation, also beyond one keystream block (n = 10,000)', () => {
    const seed = seededRng('perm').bytes(32);
    const p = seededPermutation(10_000, seed);
    expect(new Set(p).size).toBe(10_000);
    expect(Math.min(...p)).toBe(1);
    expect(Math.max(...p)).toBe(10_000);
    expect(Array.from(seededPermutation(10_000, seed))).toEqual(Array.from(p));
    expect(Array.from(seededPermutation(10_000, seededRng('other').bytes(32)))).not.toEqual(Array.from(p));
  });
  it('Harary neighbourhoods are symmetric, k-regular and exclude self', () => {
    for (const [n, k] of [
      [7, 2],
      [30, 10],
      [101, 20],
      [5000, 26],
    ] as const) {
      const g = new Neighbourhoods(n, { kind: 'harary', degree: k, seed: seededRng(`h${n}`).bytes(32) });
      expect(g.holders).toBe(k + 1);
      for (let u = 1; u <= Math.min(n, 300); u++) {
        const nb = g.of(u);
        expect(nb.length).toBe(k);
        expect(new Set(nb).size).toBe(k);
        expect(nb).not.toContain(u);
        for (const v of nb) {
          expect(g.isNeighbour(u, v)).toBe(true);
          expect(g.of(v)).toContain(u);
        }
      }
    }
  });
  it('the complete graph lists everyone else', () => {
    const g = new Neighbourhoods(5, { kind: 'complete' });
    expect(g.of(3)).toEqual([1, 2, 4, 5]);
    expect(g.holders).toBe(5);
    expect(g.isNeighbour(3, 3)).toBe(false);
  });
});

describe('fixed byte order', () => {
  const v = JSON.parse(readFileSync(new URL('./vectors/graph.json', import.meta.url), 'utf8')) as { seed: string; keystream16: string; firstWords: number[]; n: number; permutation: number[] };
  const seed = Uint8Array.from(Buffer.from(v.seed, 'hex'));
  it('reads the AES-CTR keystream as little-endian words and matches the vector', () => {
    const ks = ctr(seed, new Uint8Array(16)).encrypt(new Uint8Array(16));
    expect(Buffer.from(ks).toString('hex')).toBe(v.keystream16);
    // assembled byte by byte, independent of the platform's typed-array byte order
    const words = [0, 4, 8, 12].map((i) => ((ks[i] as number) | ((ks[i + 1] as number) << 8) | ((ks[i + 2] as number) << 16) | ((ks[i + 3] as number) << 24)) >>> 0);
    expect(words).toEqual(v.firstWords);
    expect(Array.from(seededPermutation(v.n, seed))).toEqual(v.permutation);
  });
  it('the vector is what an independent Fisher–Yates over those words gives', () => {
    const ks = ctr(seed, new Uint8Array(16)).encrypt(new Uint8Array(4096 * 4));
    let pos = 0;
    const next = (): number => {
      const w = ((ks[pos] as number) | ((ks[pos + 1] as number) << 8) | ((ks[pos + 2] as number) << 16) | ((ks[pos + 3] as number) << 24)) >>> 0;
      pos += 4;
      return w;
    };
    const perm = Array.from({ length: v.n }, (_, i) => i + 1);
    for (let i = v.n - 1; i > 0; i--) {
      const m = i + 1;
      let r = next();
      while (r >= 2 ** 32 - (2 ** 32 % m)) r = next();
      const j = r % m;
      [perm[i], perm[j]] = [perm[j] as number, perm[i] as number];
    }
    expect(perm).toEqual(v.permutation);
  });
});
