/** recommendOracle picks the smallest closed-form variance and says why. */
import { describe, expect, it } from 'vitest';
import { ORACLES, recommendOracle } from '../src/index.js';

describe('recommendOracle', () => {
  it('GRR for a small domain at high epsilon (d < 3e^epsilon + 2)', () => {
    const r = recommendOracle({ domainSize: 8, epsilon: 4, n: 10_000 });
    expect(r.oracle).toBe('grr');
    expect(r.reason).toContain('grr');
    expect(r.expectedVariance).toBeCloseTo(ORACLES.grr({ epsilon: 4, domainSize: 8 }).variance(10_000, 1 / 8), 15);
  });
  it('a unary, hashing or Hadamard oracle for a large domain at low epsilon, never GRR', () => {
    const r = recommendOracle({ domainSize: 1024, epsilon: 1, n: 100_000 });
    expect(r.oracle).not.toBe('grr');
    expect(r.reason).toMatch(/grr would be [0-9.]+x worse/);
  });
  it('the winner has the smallest variance within 1%, candidates are sorted and complete', () => {
    for (const [domainSize, epsilon] of [
      [16, 0.5],
      [1024, 2],
      [65536, 4],
      [100_000, 1],
    ] as const) {
      const r = recommendOracle({ domainSize, epsilon, n: 1000 });
      const min = Math.min(...r.candidates.map((c) => c.expectedVariance));
      expect(r.expectedVariance).toBeLessThanOrEqual(min * 1.01);
      expect(r.candidates[0]!.oracle).toBe(r.oracle);
      // local hashing is only offered up to 2^16 buckets
      expect(r.candidates.some((c) => c.oracle === 'olh')).toBe(domainSize <= 65536);
    }
  });
});
