/**
 * Numeric mechanisms: one report's mean and variance against the closed forms for
 * t in {-1, -0.3, 0, 0.7, 1} (tolerances derived in numeric-stats.ts), and the tallies' mean estimate.
 */
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { NUMERIC_MECHANISMS, NUMERIC_NAMES } from '../src/index.js';
import { checkNumericMoments } from './numeric-stats.js';

describe('numeric mechanisms: one report matches the closed-form mean and variance', () => {
  for (const name of NUMERIC_NAMES) {
    for (const t of [-1, -0.3, 0, 0.7, 1]) {
      it(`${name} epsilon=1 t=${t} (N=60,000)`, () => checkNumericMoments(name, 1, t, 60_000, 'fast'));
    }
  }
});

describe('numeric mechanisms: closed forms and tallies', () => {
  it('Laplace variance is the discrete Laplace variance on the grid (≈ 8/epsilon²)', () => {
    const m = NUMERIC_MECHANISMS.laplace({ epsilon: 1 });
    expect(Math.abs(m.reportVariance(0) - 8)).toBeLessThan(8e-6);
  });
  it('Duchi, Piecewise, Hybrid follow Wang et al. ICDE 2019 (Eq. 1, Lemma 1, Eq. 6)', () => {
    const e = Math.exp(1);
    const duchi = NUMERIC_MECHANISMS.duchi({ epsilon: 1 });
    const c = (e + 1) / (e - 1);
    expect(duchi.reportVariance(0.5)).toBeCloseTo(c * c - 0.25, 9);
    const h = Math.exp(0.5);
    const pm = NUMERIC_MECHANISMS.piecewise({ epsilon: 1 });
    // On its grid (W = 2^20 window points, M = round(W·h)) PM's variance is Lemma 1's up to the
    // rounding of M/W = h, a relative 1/(2W·h) ≈ 3e-7 at ε = 1, and O(1/W²) terms.
    const lemma1 = 0.25 / (h - 1) + (h + 3) / (3 * (h - 1) ** 2);
    expect(Math.abs(pm.reportVariance(0.5) / lemma1 - 1)).toBeLessThan(1e-6);
    const hm = NUMERIC_MECHANISMS.hybrid({ epsilon: 1 });
    const alpha = 1 - Math.exp(-0.5);
    expect(hm.reportVariance(0.5)).toBeCloseTo(alpha * pm.reportVariance(0.5) + (1 - alpha) * duchi.reportVariance(0.5), 9);
    expect(NUMERIC_MECHANISMS.hybrid({ epsilon: 0.5 }).reportVariance(0.3)).toBeCloseTo(NUMERIC_MECHANISMS.duchi({ epsilon: 0.5 }).reportVariance(0.3), 9);
  });
  for (const name of NUMERIC_NAMES) {
    it(`${name}: tally mean, batch, merge and wire round trip`, () => {
      const m = NUMERIC_MECHANISMS[name]({ epsilon: 2, allowInsecureRng: true });
      const rng = seededRng(`numeric-tally/${name}`);
      const reports = Array.from({ length: 400 }, (_, i) => m.perturb(((i % 21) - 10) / 10, rng));
      const a = m.makeTally();
      for (const r of reports) a.add(r);
      const b = m.makeTally();
      b.addBatch(reports.slice(0, 150));
      const c = m.makeTally();
      c.addBatch(Float64Array.from(reports.slice(150)));
      b.merge(c);
      const w = m.makeTally();
      w.addBatch(reports.map((r) => m.decodeReport(m.encodeReport(r))));
      expect(b.n).toBe(400);
      expect(m.estimate(b)).toBeCloseTo(m.estimate(a), 12);
      expect(m.estimate(w)).toBe(m.estimate(a));
      const direct = reports.reduce((s, r) => s + m.unbias(r), 0) / 400;
      expect(m.estimate(a)).toBeCloseTo(direct, 12);
      for (const r of reports) {
        expect(r).toBeGreaterThanOrEqual(m.outputRange[0]);
        expect(r).toBeLessThanOrEqual(m.outputRange[1]);
      }
    });
  }
});
