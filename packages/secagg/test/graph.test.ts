/** Neighbour graphs: the seeded relabelling is a permutation, Harary neighbourhoods are symmetric and k-regular. */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/testing';
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
    for (const [n, k] of [[7, 2], [30, 10], [101, 20], [5000, 26]] as const) {
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
