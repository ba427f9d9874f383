/**
 * Every oracle through its real client path at one grid point each (the full grid is in
 * oracles.slow.test.ts), plus the invariants of the tallies and the estimator.
 */
import type { Fraction } from '@pinhole/core/exact';
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { ORACLES, ORACLE_NAMES } from '../src/index.js';
import { privacyProfile } from '../src/exact.js';
import { checkOracleStatistics } from './oracle-stats.js';

describe('frequency oracles: MSE equals the closed-form variance, estimates are unbiased', () => {
  for (const name of ORACLE_NAMES) {
    it(`${name} at epsilon=1, d=16 (n=2000, 300 runs)`, () => {
      checkOracleStatistics(name, 1, 16, 2000, 300, 'fast');
    });
  }
  // one large-domain point for the oracles whose decoding differs there (hashing, transforms, bit packing)
  for (const name of ['oue', 'olh', 'hadamard-response'] as const) {
    it(`${name} at epsilon=2, d=1024 (n=2000, 30 runs)`, () => {
      checkOracleStatistics(name, 2, 1024, 2000, 30, 'fast-large');
    });
  }
});

describe('tallies', () => {
  for (const name of ORACLE_NAMES) {
    it(`${name}: add, addBatch, addAggregate(toVector) and merge agree; wire round trip is lossless`, () => {
      const oracle = ORACLES[name]({ epsilon: 1.5, domainSize: 37, allowInsecureRng: true });
      const rng = seededRng(`tally/${name}`);
      const reports = Array.from({ length: 300 }, (_, i) => oracle.perturb((i * 7) % 37, rng));
      const a = oracle.makeTally();
      for (const r of reports) a.add(r);
      const b = oracle.makeTally();
      b.addBatch(reports.slice(0, 100));
      const c = oracle.makeTally();
      c.addBatch(reports.slice(100));
      b.merge(c);
      const v = oracle.makeTally();
      const sum = new Float64Array(oracle.vectorLength);
      for (const r of reports) oracle.toVector(r).forEach((x, i) => (sum[i]! += x));
      v.addAggregate(sum, reports.length);
      const w = oracle.makeTally();
      w.addBatch(reports.map((r) => oracle.decodeReport(oracle.encodeReport(r))));
      for (const t of [b, v, w]) {
        expect(t.n).toBe(300);
        expect(Array.from(t.support())).toEqual(Array.from(a.support()));
        expect(Array.from(oracle.estimate(t))).toEqual(Array.from(oracle.estimate(a)));
      }
      const counts = oracle.estimateCounts(a);
      const freq = oracle.estimate(a);
      counts.forEach((x, i) => expect(x).toBeCloseTo((freq[i] as number) * 300, 9));
      expect(oracle.privacyMap()).toEqual({ epsilon: 1.5, delta: 0 });
    });
  }

  it('the estimator is the pure-protocol formula (C - n q*) / (n (p* - q*))', () => {
    const oracle = ORACLES.grr({ epsilon: 1, domainSize: 4, allowInsecureRng: true });
    const t = oracle.makeTally();
    t.addAggregate([10, 0, 5, 5], 20);
    const est = oracle.estimate(t);
    const { pStar: p, qStar: q } = oracle;
    expect(est[0]).toBeCloseTo((10 - 20 * q) / (20 * (p - q)), 12);
    expect(est[1]).toBeCloseTo((0 - 20 * q) / (20 * (p - q)), 12);
  });

  it('the rounded thresholds lose almost nothing: the achieved ratio is e^ε to within 1e-6 (its upper bound is exact-profile.test.ts)', () => {
    // the ratio from the exact 2^-64 thresholds (doubles would lose it to cancellation in 1 - p* near ε = 30)
    const ratio = (num: bigint, den: bigint) => Number((num * 10n ** 18n) / den) / 1e18;
    for (const epsilon of [0.1, 1, 4, 10, 30]) {
      const grr = privacyProfile(ORACLES.grr({ epsilon, domainSize: 8 })) as { keep: bigint };
      expect(ratio(grr.keep * 7n, 2n ** 64n - grr.keep) / Math.exp(epsilon)).toBeGreaterThan(1 - 1e-6);
      for (const name of ['sue', 'oue'] as const) {
        const u = privacyProfile(ORACLES[name]({ epsilon, domainSize: 8 })) as { p: Fraction; q: Fraction };
        const r = ratio(u.p.num * (u.q.den - u.q.num), u.q.num * (u.p.den - u.p.num));
        // 16-bit q words cost up to 1% of the signal by design (unary-encoding.ts); 64-bit ones nothing
        expect(r / Math.exp(epsilon), `${name} ε = ${epsilon}`).toBeGreaterThan(u.q.den === 65536n ? 0.99 : 1 - 1e-6);
      }
    }
  });
});
