import { describe, expect, it } from 'vitest';
import { type Plan, type PlanCollection, checkPlan } from '@pinhole/core';
import { PLAN_NUMERIC_MECHANISMS, PLAN_ORACLES, lossFits, planPeriodLoss } from '@pinhole/core/plan';
import { discreteGaussianSwapDelta, discreteGaussianSwapSigma, skellamPrivacy, zcdpDelta } from '@pinhole/core/privacy';
import { makeDistributedNoisePlan } from '@pinhole/gate';
import { NUMERIC_NAMES, ORACLE_NAMES, recommendOracle } from '@pinhole/ldp';
import { secAggPlusParameters } from '@pinhole/secagg';
import { bestNumericMechanism, makeCollectionPlan, makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';

export const DOMAINS = { operators: ['op-a', 'op-b'], regions: ['r1', 'r2', 'r3'], cells: ['c1', 'c2', 'c3', 'c4'] };
const INSIGHTS = ['network-type-share', 'poor-share', 'downlink-median', 'rtt-mean', 'device-class-share'];

const plan = (over: Partial<Parameters<typeof makePlan>[0]> = {}): Plan =>
  makePlan({ id: 'test', insights: INSIGHTS, domains: DOMAINS, budget: { epsilon: 2, delta: 1e-6 }, mode: 'ldp', expectedDevices: 10_000, ...over });

function mutate(p: Plan, index: number, f: (c: any) => void): unknown {
  const copy = JSON.parse(JSON.stringify(p));
  f(copy.collections[index]);
  return copy;
}

describe('makePlan', () => {
  it('names exactly the mechanisms @pinhole/ldp has (core keeps the list for phones)', () => {
    expect([...PLAN_ORACLES].sort()).toEqual([...ORACLE_NAMES].sort());
    expect([...PLAN_NUMERIC_MECHANISMS].sort()).toEqual([...NUMERIC_NAMES].sort());
  });

  it('splits the period budget exactly over rounds and collections', () => {
    const p = plan({ schedule: { roundsPerPeriod: 3 } });
    expect(p.collections.map((c) => c.id)).toEqual(['network-type-by-region', 'poor-by-operator-region', 'downlink-by-region', 'rtt-by-operator', 'device-class']);
    expect(lossFits(planPeriodLoss(p), p.budget)).toBe(true);
    for (const c of p.collections) {
      expect(c.privacyLoss.epsilon).toBeCloseTo(2 / 3 / 5, 14);
      expect(c.privacyLoss.delta).toBe(0); // local DP is pure
    }
    expect(p.schedule).toEqual({ roundsPerPeriod: 3, roundSeconds: Math.floor(604800 / 3), closeAtReports: null });
    // the document is JSON: what is written is what the device and the server read
    expect(checkPlan(JSON.parse(JSON.stringify(p)))).toEqual(p);
  });

  it('local DP: the oracle asked for, or the one recommendOracle picks, and the least-variance numeric mechanism', () => {
    const auto = plan();
    const h = auto.collections[0] as Extract<PlanCollection, { mode: 'ldp'; kind: 'histogram' }>;
    expect(h.mechanism.name).toBe(recommendOracle({ domainSize: 18, epsilon: h.mechanism.epsilon, n: 10_000 }).oracle);
    const m = auto.collections[3] as Extract<PlanCollection, { mode: 'ldp'; kind: 'mean' }>;
    expect(m.mechanism.name).toBe(bestNumericMechanism(m.mechanism.epsilon));
    expect(m.publicGroup).toBe(true);
    expect(m.mechanism.bounds).toEqual([0, 500]);
    const grr = plan({ ldp: { oracle: 'grr', numeric: 'piecewise' } });
    expect(grr.collections.filter((c) => c.kind === 'histogram').every((c) => (c.mechanism as { name: string }).name === 'grr')).toBe(true);
    expect((grr.collections[3]!.mechanism as { name: string }).name).toBe('piecewise');
    // histograms memoise per value unless the plan says otherwise; means have no memo
    expect(auto.collections.filter((c) => c.kind === 'histogram').every((c) => (c as { memo?: string }).memo === 'per_value')).toBe(true);
    expect('memo' in m).toBe(false);
    const fresh = plan({ ldp: { memo: 'none' } });
    expect(fresh.collections.filter((c) => c.kind === 'histogram').every((c) => (c as { memo?: string }).memo === 'none')).toBe(true);
    expectPinholeError(() => plan({ ldp: { memo: 'always' as never } }), 'invalid_argument', 'ldp.memo');
    // a configuration the mechanism cannot serve is refused, with its reason
    expectPinholeError(
      () => makeCollectionPlan({ collection: 'device-class', mode: 'ldp', budget: { epsilon: 40, delta: 0 }, domains: DOMAINS, expectedDevices: 10, ldp: { oracle: 'oue' } }),
      'invalid_argument',
      'epsilon',
    );
  });

  it('central: the tight discrete-Gaussian sigma for counts, rounded-up sigmas for a mean’s sum and count (replace-one)', () => {
    const p = plan({ mode: 'central' });
    const c = p.collections[0] as Extract<PlanCollection, { mode: 'central'; kind: 'histogram' }>;
    // a device moving to another bucket changes two counts by 1
    expect(c.mechanism.sigma).toBe(discreteGaussianSwapSigma(c.privacyLoss.epsilon, c.privacyLoss.delta));
    const m = p.collections[3] as Extract<PlanCollection, { mode: 'central'; kind: 'mean' }>;
    expect(m.mechanism.grid).toBe(1024);
    // a device moving to another group changes two sums by <= 1024 (L2 1024·sqrt(2)) and two counts by 1 (L2 sqrt(2))
    const rho = (2 * 1024 * 1024) / (2 * m.mechanism.sigmaSum ** 2) + 2 / (2 * m.mechanism.sigmaCount ** 2);
    expect(zcdpDelta(rho, m.privacyLoss.epsilon)).toBeLessThanOrEqual(m.privacyLoss.delta);
    expectPinholeError(() => plan({ mode: 'central', budget: { epsilon: 1, delta: 0 } }), 'invalid_argument', 'budget.delta');
  });

  it('secure aggregation: the gate’s shares and the secagg floors, resolved and written', () => {
    const p = plan({ mode: 'secagg', secagg: { dropoutRate: 0.1 } });
    const c = p.collections[0] as Extract<PlanCollection, { mode: 'secagg' }>;
    const m = c.mechanism;
    const gate = makeDistributedNoisePlan({ ...m, mechanism: m.noise, clientValueBounds: [0, 1] } as never);
    expect(m.shareParameter).toBe(gate.shareParameter);
    expect(m.modulusBits).toBe(gate.modulusBits);
    expect(m.minSurvivors).toBe(9000); // shares sized for 1 - dropoutRate of the cohort
    expect(c.minCohort).toBe(9000); // refuse (the default): never unmask fewer
    const s = secAggPlusParameters({ n: 10_000, dropoutRate: 0.1, corruptFraction: 0.05, sigma: 40, eta: 30 });
    expect(c.secagg).toEqual({
      cohort: 10_000,
      dropoutRate: 0.1,
      corruptFraction: 0.05,
      securityBits: 40,
      correctnessBits: 30,
      threatModel: 'honest_but_curious',
      graph: s.graph,
      degree: s.degree,
      threshold: s.threshold,
    });
    // means: the grid keeps the Skellam mass under the cap; vector = value and count slot per group
    const mean = p.collections[3] as Extract<PlanCollection, { mode: 'secagg' }>;
    expect(mean.mechanism.vectorLength).toBe(4);
    expect(mean.mechanism.grid! * Math.SQRT2).toBe(mean.mechanism.l2Sensitivity);
    expect(mean.mechanism.minSurvivors * mean.mechanism.shareParameter).toBeLessThanOrEqual(2 ** 17);
  });

  it('secure aggregation with top-up charges devices for what the aggregator sees at the floor (issue 16, 6b)', () => {
    const refuse = plan({ mode: 'secagg', secagg: { dropoutRate: 0.1, minSurvivorFraction: 1, onShortfall: 'refuse' } }).collections[0] as Extract<PlanCollection, { mode: 'secagg' }>;
    const topUp = plan({ mode: 'secagg', secagg: { dropoutRate: 0.1, minSurvivorFraction: 1, onShortfall: 'top_up', minCohortFraction: 0.85 } }).collections[0] as Extract<
      PlanCollection,
      { mode: 'secagg' }
    >;
    expect(refuse.minCohort).toBe(10_000);
    expect(topUp.minCohort).toBe(8500);
    expect(topUp.mechanism.minSurvivors).toBe(10_000);
    // the release's promise is calibrated below the charge so that 8,500 shares fit the charge
    expect(topUp.mechanism.epsilon).toBeLessThan(topUp.privacyLoss.epsilon);
    // replace-one: a device's one-hot vector replaced by another (L2 sqrt(2), L1 2)
    const atFloor = skellamPrivacy({ mu: 8500 * topUp.mechanism.shareParameter, l2Sensitivity: Math.SQRT2, l1Sensitivity: 2 }, topUp.privacyLoss.delta);
    expect(atFloor.epsilon).toBeLessThanOrEqual(topUp.privacyLoss.epsilon);
    // and not needlessly far below it (bisection to 1e-4 relative on the target)
    expect(atFloor.epsilon).toBeGreaterThan(topUp.privacyLoss.epsilon * 0.99);
    expect(topUp.mechanism.shareParameter).toBeGreaterThan(refuse.mechanism.shareParameter);
  });

  it('refuses bad options, naming them', () => {
    for (const bad of BAD_NUMBERS) {
      expectPinholeError(() => plan({ budget: { epsilon: bad as number, delta: 1e-6 } }), 'invalid_argument', 'budget.epsilon');
      expectPinholeError(() => plan({ expectedDevices: bad as number }), 'invalid_argument', /^expectedDevices/);
    }
    expectPinholeError(() => plan({ insights: [] }), 'invalid_argument', 'insights');
    expectPinholeError(() => plan({ insights: ['nope'] }), 'invalid_argument', 'insights[0]');
    expectPinholeError(() => plan({ mode: 'federated' as never }), 'invalid_argument', 'mode');
    expectPinholeError(() => plan({ extra: 1 } as never), 'invalid_argument', 'options.extra');
    expectPinholeError(() => plan({ ldp: { oracle: 'rappor' as never } }), 'invalid_argument', 'ldp.oracle');
    expectPinholeError(() => plan({ mode: 'secagg', secagg: { dropoutRate: 1 } }), 'invalid_argument', 'secagg.dropoutRate');
    expectPinholeError(() => plan({ mode: 'secagg', secagg: { minCohortFraction: 0.5 } }), 'invalid_argument', 'secagg.minCohortFraction');
    expectPinholeError(() => plan({ mode: 'secagg', expectedDevices: 1 }), 'invalid_argument', 'expectedDevices');
    expectPinholeError(() => plan({ domains: { ...DOMAINS, cells: [] } }), 'invalid_argument', 'plan.domains.cells');
    // the budget is per period; a plan whose schedule overspends cannot be made
    expectPinholeError(() => plan({ schedule: { roundsPerPeriod: 2, roundSeconds: 400_000 } }), 'invalid_argument', 'plan.schedule.roundSeconds');
  });
});

describe('the engine checks a plan’s resolved parameters against the libraries', () => {
  it('accepts what makePlan resolved, in every mode', () => {
    for (const mode of ['ldp', 'central', 'secagg'] as const) expect(makeReleaseEngine(plan({ mode })).collections).toHaveLength(5);
  });

  it('refuses shares, moduli or noise other than the libraries resolve', () => {
    const s = plan({ mode: 'secagg' });
    expectPinholeError(() => makeReleaseEngine(mutate(s, 0, (c) => (c.mechanism.shareParameter *= 0.99))), 'invalid_state', 'plan.collections[0].mechanism.shareParameter');
    expectPinholeError(() => makeReleaseEngine(mutate(s, 0, (c) => (c.mechanism.modulusBits += 1))), 'invalid_state', 'plan.collections[0].mechanism.modulusBits');
    const c = plan({ mode: 'central' });
    const sigma = (c.collections[0]!.mechanism as { sigma: number }).sigma;
    // a sigma 1 % short of the calibration breaks (epsilon, delta) on the exact curve
    expect(discreteGaussianSwapDelta(sigma * 0.99, c.collections[0]!.privacyLoss.epsilon, 1)).toBeGreaterThan(c.collections[0]!.privacyLoss.delta);
    expectPinholeError(() => makeReleaseEngine(mutate(c, 0, (x) => (x.mechanism.sigma = sigma * 0.99))), 'invalid_state', 'plan.collections[0].mechanism.sigma');
    expectPinholeError(() => makeReleaseEngine(mutate(c, 3, (x) => (x.mechanism.sigmaSum *= 0.9))), 'invalid_state', 'plan.collections[3].mechanism');
  });

  it('refuses a top-up plan whose charge does not cover the aggregator at the floor', () => {
    const p = plan({ mode: 'secagg', secagg: { dropoutRate: 0.1, minSurvivorFraction: 1, onShortfall: 'top_up', minCohortFraction: 0.85 } });
    // same shares, but a lower floor: the aggregator may unmask a sum of fewer shares than devices were charged for
    expectPinholeError(() => makeReleaseEngine(mutate(p, 0, (c) => (c.minCohort = 5000))), 'budget_exceeded', 'plan.collections[0].privacyLoss');
  });
});
