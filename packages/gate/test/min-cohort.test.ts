import { describe, expect, it } from 'vitest';
import { decideMinCohort, makeMinCohortRule, requireMinCohort } from '@pinhole/gate';
import { expectPinholeError } from '@pinhole/core/testing';

describe('minimum cohort rule (DAP min_batch_size)', () => {
  const rule = makeMinCohortRule({ minCohortSize: 100 });

  it('passes at and above the minimum, refuses below with reason min_cohort', () => {
    expect(decideMinCohort(100, rule)).toEqual({ ok: true });
    expect(decideMinCohort(10_000, rule)).toEqual({ ok: true });
    const d = decideMinCohort(99, rule);
    expect(d.ok).toBe(false);
    if (!d.ok) {
      expect(d.reason).toBe('min_cohort');
      expect(d.message).toMatch(/99 reports is below the minimum cohort size 100/);
    }
    expect(decideMinCohort(0, rule).ok).toBe(false);
  });

  it('the unmasking guard throws invalid_state on cohortSize below the minimum', () => {
    expect(() => requireMinCohort(100, rule)).not.toThrow();
    expectPinholeError(() => requireMinCohort(99, rule), 'invalid_state', 'cohortSize');
  });

  it('rejects bad sizes and rules', () => {
    for (const bad of [-1, 1.5, NaN, Infinity, -0, '3', null]) {
      expectPinholeError(() => decideMinCohort(bad as number, rule), 'invalid_argument', 'cohortSize');
      expectPinholeError(() => requireMinCohort(bad as number, rule), 'invalid_argument', 'cohortSize');
    }
    for (const bad of [0, -1, 1.5, NaN, Infinity, -0, '3', null, undefined]) {
      expectPinholeError(() => makeMinCohortRule({ minCohortSize: bad as number }), 'invalid_argument', 'minCohortSize');
      expectPinholeError(() => decideMinCohort(5, { minCohortSize: bad as number }), 'invalid_argument', 'rule.minCohortSize');
    }
    expectPinholeError(() => makeMinCohortRule(null as never), 'invalid_argument', 'params');
    expectPinholeError(() => decideMinCohort(5, null as never), 'invalid_argument', 'rule');
  });
});
