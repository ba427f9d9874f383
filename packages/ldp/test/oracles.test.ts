/**
 * Every oracle through its real client path at one grid point each (the full grid is in
 * oracles.slow.test.ts), plus the invariants of the tallies and the estimator.
 */
import { seededRng } from '@pinhole/core/testing';
import { describe, expect, it } from 'vitest';
import { ORACLES, ORACLE_NAMES } from '../src/index.js';
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
      const a = oracle.createTally();
      for (const r of reports) a.add(r);
      const b = oracle.createTally();
      b.addBatch(reports.slice(0, 100));
      const c = oracle.createTally();
      c.addBatch(reports.slice(100));
      b.merge(c);
      const v = oracle.createTally();
      const sum = new Float64Array(oracle.vectorLength);
      for (const r of reports) oracle.toVector(r).forEach((x, i) => (sum[i]! += x));
      v.addAggregate(sum, reports.length);
      const w = oracle.createTally();
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
    const t = oracle.createTally();
    t.addAggregate([10, 0, 5, 5], 20);
    const est = oracle.estimate(t);
    const { pStar: p, qStar: q } = oracle;
    expect(est[0]).toBeCloseTo((10 - 20 * q) / (20 * (p - q)), 12);
    expect(est[1]).toBeCloseTo((0 - 20 * q) / (20 * (p - q)), 12);
  });

  it('achieved probabilities keep p*/q* within e^epsilon for GRR and the local-hashing GRR step', () => {
    for (const epsilon of [0.1, 1, 4, 10, 30]) {
      const grr = ORACLES.grr({ epsilon, domainSize: 8 });
      expect(grr.pStar / grr.qStar).toBeLessThanOrEqual(Math.exp(epsilon));
      // 2^-32 thresholds: the achieved loss is the nominal one to 1e-6 up to epsilon = 10, and only lower beyond
      if (epsilon <= 10) expect(grr.pStar / grr.qStar).toBeGreaterThan(Math.exp(epsilon) * (1 - 1e-6));
      const oue = ORACLES.oue({ epsilon, domainSize: 8 });
      expect((oue.pStar * (1 - oue.qStar)) / (oue.qStar * (1 - oue.pStar))).toBeLessThanOrEqual(Math.exp(epsilon));
      const sue = ORACLES.sue({ epsilon, domainSize: 8 });
      expect((sue.pStar * (1 - sue.qStar)) / (sue.qStar * (1 - sue.pStar))).toBeLessThanOrEqual(Math.exp(epsilon));
    }
  });
});
