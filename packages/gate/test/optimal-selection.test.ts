import { describe, expect, it } from 'vitest';
import { makeOptimalSelection, optimalReleaseProbabilityClosedForm } from '@pinhole/gate';
import { seededRng } from '@pinhole/core/seeded';
import vectors from './vectors/gate-vectors.json' with { type: 'json' };
import { expectBinomial } from './helpers.js';

/**
 * Buckets whose counts differ between neighbours: replace-one (the default) moves a contributor out
 * of up to l0 buckets and into up to l0 others, so 2·l0 buckets share the budget.
 */
const changed = (l0: number) => 2 * l0;

const PARAMS = [
  { epsilon: 1, delta: 1e-5, l0: 1 },
  { epsilon: 0.5, delta: 1e-8, l0: 2 },
  { epsilon: 3, delta: 1e-10, l0: 3 },
  { epsilon: 0.1, delta: 1e-6, l0: 1 },
];

describe('optimal partition selection (Desfontaines et al., PoPETs 2022)', () => {
  it.each(PARAMS)('the table satisfies both DP constraints between n-1 and n: %o', (p) => {
    const s = makeOptimalSelection(p);
    const eps = p.epsilon / changed(p.l0);
    const delta = p.delta / changed(p.l0);
    expect(s.releaseProbability(0)).toBe(0);
    // The construction makes these hold exactly; in float we allow 1e-12 relative for the check's own rounding.
    for (let n = 1; n <= s.alwaysReleasedFrom + 1; n++) {
      const prev = s.releaseProbability(n - 1);
      const cur = s.releaseProbability(n);
      expect(cur).toBeGreaterThanOrEqual(prev);
      expect(cur).toBeLessThanOrEqual((Math.exp(eps) * prev + delta) * (1 + 1e-12));
      // 1 - pi(n-1) <= e^eps (1 - pi(n)) + delta, with 1 - pi from the exact complement
      expect(s.suppressionProbability(n - 1)).toBeLessThanOrEqual((Math.exp(eps) * s.suppressionProbability(n) + delta) * (1 + 1e-12));
    }
    expect(s.releaseProbability(s.alwaysReleasedFrom)).toBe(1);
    expect(s.releaseProbability(s.alwaysReleasedFrom - 1)).toBeLessThan(1);
    // pi(1) = delta/(2 l0), less the 2^-50 safety shrink
    expect(Math.abs(s.releaseProbability(1) - delta)).toBeLessThanOrEqual(delta * 2 ** -48);
    expect(s.releaseProbability(1)).toBeLessThanOrEqual(delta);
  });

  it.each(PARAMS)('matches the paper’s closed form (Thm. 1) to 1e-8 relative: %o', (p) => {
    const s = makeOptimalSelection(p);
    for (let n = 0; n <= s.alwaysReleasedFrom + 3; n++) {
      const closed = optimalReleaseProbabilityClosedForm(n, p.epsilon / changed(p.l0), p.delta / changed(p.l0));
      // The table uses e^eps shrunk by 2^-40 and rounds toward 0; the closed form is float: both far below 1e-8.
      expect(Math.abs(s.releaseProbability(n) - closed)).toBeLessThanOrEqual(1e-8 * closed + 1e-300);
    }
  });

  it('matches golden vectors computed with mpmath at 60 digits (test/vectors/generate.py)', () => {
    // the vectors give each of l0 buckets (epsilon/l0, delta/l0): add/remove neighbours
    for (const v of vectors.optimal) {
      const s = makeOptimalSelection({ epsilon: v.epsilon, delta: v.delta, l0: v.l0, neighbours: 'add_remove' });
      expect(s.alwaysReleasedFrom).toBe(v.releaseProbability.length - 1);
      v.releaseProbability.forEach((want, n) => {
        const got = s.releaseProbability(n);
        // never above the exact value (rounded toward suppression), and within 1e-9 relative of it
        expect(got).toBeLessThanOrEqual(want * (1 + 1e-15));
        expect(got).toBeGreaterThanOrEqual(want * (1 - 1e-9));
      });
    }
  });

  it('is optimal: raising any pi(n) by 1e-6 relative breaks a DP constraint', () => {
    const p = PARAMS[0] as (typeof PARAMS)[number];
    const s = makeOptimalSelection(p);
    const eps = p.epsilon / changed(p.l0);
    const delta = p.delta / changed(p.l0);
    for (let n = 1; n < s.alwaysReleasedFrom; n++) {
      const up = s.releaseProbability(n) * (1 + 1e-6);
      const c1 = Math.exp(eps) * s.releaseProbability(n - 1) + delta;
      const c2 = 1 - Math.exp(-eps) * (1 - s.releaseProbability(n - 1) - delta);
      expect(up > c1 || up > c2 || up > 1).toBe(true);
    }
  });

  // Empirical release rates: each case checks that releaseProbability(n) lies in the exact
  // Clopper-Pearson interval of the observed rate at level 1 - 1e-5 (false-failure rate <= 1e-5
  // per case, 8 cases: <= 8e-5 for the test).
  it.each([1, 3, 8, 10, 11, 12, 15, 40])('empirical release rate of a bucket with n = %i contributors matches pi(n) (epsilon 1, delta 1e-3, N = 100000)', (n) => {
    const s = makeOptimalSelection({ epsilon: 1, delta: 1e-3 });
    const rng = seededRng(`opt-rate-${n}`);
    const N = 100_000;
    let hits = 0;
    for (let i = 0; i < N; i++) if (s.select(n, rng)) hits++;
    expectBinomial(hits, N, s.releaseProbability(n), 1e-5, `n=${n}`);
  });

  it('uses the per-bucket budget epsilon/(2 l0), delta/(2 l0) for replace-one and epsilon/l0, delta/l0 for add/remove, and reports it', () => {
    const s = makeOptimalSelection({ epsilon: 2, delta: 1e-6, l0: 4 });
    expect(s.neighbours).toBe('replace_one');
    expect(s.epsilonPerBucket).toBeLessThanOrEqual(0.25);
    expect(s.epsilonPerBucket).toBeGreaterThan(0.25 * (1 - 1e-12));
    expect(s.deltaPerBucket).toBeLessThanOrEqual(1.25e-7);
    expect(s.parameters).toMatchObject({ mode: 'optimal_selection', epsilon: 2, delta: 1e-6, l0: 4, neighbours: 'replace_one' });
    const one = makeOptimalSelection({ epsilon: 0.25, delta: 1.25e-7, neighbours: 'add_remove' });
    for (let n = 0; n < 60; n++) expect(s.releaseProbability(n)).toBeCloseTo(one.releaseProbability(n), 12);
    // replace-one with l0 is add/remove with 2·l0, exactly
    const addRemove = makeOptimalSelection({ epsilon: 2, delta: 1e-6, l0: 8, neighbours: 'add_remove' });
    expect(addRemove.epsilonPerBucket).toBe(s.epsilonPerBucket);
    for (let n = 0; n < 60; n++) expect(addRemove.releaseProbability(n)).toBe(s.releaseProbability(n));
  });
});
