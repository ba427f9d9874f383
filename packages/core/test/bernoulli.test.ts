import { describe, expect, it } from 'vitest';
import { bernoulliExact } from '../src/samplers.js';
import { clopperPearson } from '../src/stats.js';
import { scriptedRng } from '../src/testing.js';
import { seededRng } from '../src/testing/seeded.js';

describe('bernoulliExact', () => {
  it('decides U < p exactly word by word (scripted words)', () => {
    const p = 0.75; // first word 0xC0000000, then zero bits
    expect(bernoulliExact(p, scriptedRng([0xbfffffff]))).toBe(true);
    expect(bernoulliExact(p, scriptedRng([0xc0000001]))).toBe(false);
    // equal first word and p's bits exhausted: U >= p
    expect(bernoulliExact(p, scriptedRng([0xc0000000]))).toBe(false);
    // p = 2^-60 (far below float64()'s 2^-53 grid): word 1 = 0, word 2 = 2^4
    const tiny = 2 ** -60;
    expect(bernoulliExact(tiny, scriptedRng([0, 15]))).toBe(true);
    expect(bernoulliExact(tiny, scriptedRng([0, 16]))).toBe(false);
    expect(bernoulliExact(tiny, scriptedRng([1]))).toBe(false);
    // p = 1 - 2^-53: only the all-ones-then-tail draws lose
    const high = 1 - 2 ** -53;
    expect(bernoulliExact(high, scriptedRng([0xffffffff, 0xfffff7ff]))).toBe(true);
    expect(bernoulliExact(high, scriptedRng([0xffffffff, 0xfffff800]))).toBe(false);
  });

  it('p = 0 is never and p = 1 is always', () => {
    const rng = seededRng('bern-edge');
    for (let i = 0; i < 1000; i++) {
      expect(bernoulliExact(0, rng)).toBe(false);
      expect(bernoulliExact(1, rng)).toBe(true);
    }
  });

  // Each frequency check: p must lie in the Clopper-Pearson interval at level 1 - 1e-5,
  // so a correct sampler fails each case with probability <= 1e-5.
  it.each([0.5, 1 / 3, 0.001, 0.999, 0.1234567])('frequency matches p = %f (N = 200000)', (p) => {
    const rng = seededRng(`bern-${p}`);
    const n = 200_000;
    let hits = 0;
    for (let i = 0; i < n; i++) if (bernoulliExact(p, rng)) hits++;
    const { lower, upper } = clopperPearson(hits, n, 1e-5, 'two_sided');
    expect(p).toBeGreaterThanOrEqual(lower);
    expect(p).toBeLessThanOrEqual(upper);
  });
});
