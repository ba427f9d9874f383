import { describe, expect, it } from 'vitest';
import { type Plan, PinholeError, checkPlan, checkPlanChange } from '@pinhole/core';
import { addPrivacyLosses, longitudinalGuarantee, planCollection, planPeriod, planPeriodLoss, planRoundLoss, roundsLeftInPeriod, splitPrivacyLoss } from '@pinhole/core/plan';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';

/** A small valid plan: 2 rounds a period, each round 0.2 + 0.2 + 0.1 = 0.5 of epsilon 1. */
function fixture(): Record<string, any> {
  return {
    format: 'pinhole-plan',
    version: 1,
    id: 'carrier-test',
    revision: 3,
    description: 'a test plan',
    privacyUnit: 'device',
    budget: { epsilon: 1, delta: 1e-6, periodSeconds: 86400, periodStart: '2025-01-06T00:00:00Z' },
    schedule: { roundsPerPeriod: 2, roundSeconds: 43200, closeAtReports: null },
    domains: { operators: ['op-a', 'op-b'], regions: ['r1', 'r2', 'r3'], cells: ['c1', 'c2', 'c3', 'c4'], cellRegions: ['r1', 'r1', 'r2', 'r3'] },
    insights: ['network-type-share', 'rtt-mean', 'poor-share'],
    collections: [
      {
        id: 'network-type-by-region',
        kind: 'histogram',
        mode: 'ldp',
        groups: 3,
        buckets: 6,
        domainSize: 18,
        privacyLoss: { epsilon: 0.2, delta: 0 },
        gate: { mode: 'estimate_threshold', k: 20 },
        minCohort: 20,
        mechanism: { kind: 'oracle', name: 'oue', epsilon: 0.2, domainSize: 18 },
      },
      {
        id: 'poor-by-operator-region',
        kind: 'histogram',
        mode: 'central',
        groups: 6,
        buckets: 2,
        domainSize: 12,
        privacyLoss: { epsilon: 0.2, delta: 5e-7 },
        gate: { mode: 'estimate_threshold', k: 20 },
        minCohort: 20,
        mechanism: { kind: 'discrete_gaussian', epsilon: 0.2, delta: 5e-7, sigma: 25 },
      },
      {
        id: 'rtt-by-operator',
        kind: 'mean',
        mode: 'ldp',
        groups: 2,
        domainSize: 2,
        publicGroup: true,
        privacyLoss: { epsilon: 0.1, delta: 0 },
        gate: { mode: 'estimate_threshold', k: 20 },
        minCohort: 20,
        mechanism: { kind: 'numeric', name: 'duchi', epsilon: 0.1, bounds: [0, 500] },
      },
    ],
  };
}

/** Sets a field by path ("collections[0].mechanism.epsilon") in a copy of the fixture. */
function withField(path: string, value: unknown, base: Record<string, any> = fixture()): Record<string, any> {
  const parts = path.replace(/\[(\d+)\]/g, '.$1').split('.');
  let o: any = base;
  for (const p of parts.slice(0, -1)) o = o[p];
  const last = parts[parts.length - 1] as string;
  if (value === DELETE) delete o[last];
  else o[last] = value;
  return base;
}
const DELETE = Symbol('delete');

describe('checkPlan', () => {
  it('accepts a valid plan, typed, copied and frozen', () => {
    const raw = fixture();
    const plan = checkPlan(raw);
    expect(plan.collections).toHaveLength(3);
    expect(Object.isFrozen(plan)).toBe(true);
    expect(Object.isFrozen(plan.collections[0]!.mechanism)).toBe(true);
    raw.budget.epsilon = 100; // the checked plan is a copy
    expect(plan.budget.epsilon).toBe(1);
    expect(planCollection(plan, 'rtt-by-operator').mode).toBe('ldp');
    expectPinholeError(() => planCollection(plan, 'nope'), 'invalid_argument', 'collection');
    // JSON round trip: the document is plain data
    expect(checkPlan(JSON.parse(JSON.stringify(plan)))).toEqual(plan);
  });

  it('sweeps every numeric field with bad values, naming the field', () => {
    const numeric = [
      'revision',
      'budget.epsilon',
      'budget.delta',
      'budget.periodSeconds',
      'schedule.roundsPerPeriod',
      'schedule.roundSeconds',
      'schedule.closeAtReports',
      'collections[0].groups',
      'collections[0].buckets',
      'collections[0].domainSize',
      'collections[0].privacyLoss.epsilon',
      'collections[0].privacyLoss.delta',
      'collections[0].gate.k',
      'collections[0].minCohort',
      'collections[0].mechanism.epsilon',
      'collections[0].mechanism.domainSize',
      'collections[1].mechanism.sigma',
      'collections[1].mechanism.delta',
      'collections[2].mechanism.bounds[0]',
      'collections[2].mechanism.bounds[1]',
    ];
    for (const field of numeric) {
      for (const bad of BAD_NUMBERS) {
        // null is a valid "not set" for the two optional schedule fields; both null is refused below
        if (bad === null && field.startsWith('schedule.') && field !== 'schedule.roundsPerPeriod') continue;
        expectPinholeError(() => checkPlan(withField(field, bad)), 'invalid_argument', `plan.${field}`);
      }
    }
  });

  it('refuses out-of-range values', () => {
    const cases: [string, unknown][] = [
      ['budget.epsilon', 0],
      ['budget.epsilon', -1],
      ['budget.delta', 1],
      ['budget.delta', -1e-9],
      ['budget.periodSeconds', 0],
      ['budget.periodSeconds', 1.5],
      ['revision', 0],
      ['collections[0].gate.k', 0],
      ['collections[0].minCohort', 0],
      ['collections[0].mechanism.epsilon', 31],
      ['collections[1].mechanism.sigma', 0],
      ['collections[2].mechanism.bounds[1]', 0],
    ];
    for (const [field, value] of cases) {
      expectPinholeError(() => checkPlan(withField(field, value)), 'invalid_argument', `plan.${field}`);
    }
  });

  it('refuses wrong types, unknown fields, versions and mechanisms', () => {
    for (const bad of [null, undefined, 1, 'plan', [], true]) expectPinholeError(() => checkPlan(bad), 'invalid_argument', 'plan');
    expectPinholeError(() => checkPlan(withField('format', 'other')), 'invalid_argument', 'plan.format');
    expectPinholeError(() => checkPlan(withField('version', 2)), 'unsupported', 'plan.version');
    expectPinholeError(() => checkPlan(withField('extra', 1)), 'invalid_argument', 'plan.extra');
    expectPinholeError(() => checkPlan(withField('collections[0].mechanism.p', 0.5)), 'invalid_argument', 'plan.collections[0].mechanism.p');
    expectPinholeError(() => checkPlan(withField('id', 'has space')), 'invalid_argument', 'plan.id');
    expectPinholeError(() => checkPlan(withField('id', 7)), 'invalid_argument', 'plan.id');
    expectPinholeError(() => checkPlan(withField('privacyUnit', 'user')), 'invalid_argument', 'plan.privacyUnit');
    expectPinholeError(() => checkPlan(withField('collections[0].mechanism.name', 'rappor')), 'invalid_argument', 'plan.collections[0].mechanism.name');
    expectPinholeError(() => checkPlan(withField('collections[2].mechanism.name', 'oue')), 'invalid_argument', 'plan.collections[2].mechanism.name');
    expectPinholeError(() => checkPlan(withField('collections[0].mechanism.kind', 'numeric')), 'invalid_argument', 'plan.collections[0].mechanism.kind');
    expectPinholeError(() => checkPlan(withField('collections[0].mode', 'federated')), 'invalid_argument', 'plan.collections[0].mode');
    expectPinholeError(() => checkPlan(withField('collections[0].id', 'no-such-collection')), 'invalid_argument', 'plan.collections[0].id');
    expectPinholeError(() => checkPlan(withField('collections[0].kind', 'mean')), 'invalid_argument', 'plan.collections[0].kind');
    expectPinholeError(() => checkPlan(withField('collections[0].gate.mode', 'k_anonymity')), 'invalid_argument', 'plan.collections[0].gate.mode');
    expectPinholeError(() => checkPlan(withField('budget.periodStart', '2025-01-06')), 'invalid_argument', 'plan.budget.periodStart');
    expectPinholeError(() => checkPlan(withField('budget.periodStart', '2025-13-45T00:00:00Z')), 'invalid_argument', 'plan.budget.periodStart');
  });

  it('refuses inconsistent domain sizes', () => {
    expectPinholeError(() => checkPlan(withField('collections[0].groups', 4)), 'invalid_argument', 'plan.collections[0].groups');
    expectPinholeError(() => checkPlan(withField('collections[0].buckets', 5)), 'invalid_argument', 'plan.collections[0].buckets');
    expectPinholeError(() => checkPlan(withField('collections[0].domainSize', 19)), 'invalid_argument', 'plan.collections[0].domainSize');
    expectPinholeError(() => checkPlan(withField('collections[0].mechanism.domainSize', 17)), 'invalid_argument', 'plan.collections[0].mechanism.domainSize');
    // a region added to the domains changes the layout the collections were resolved for
    const more = withField('domains.regions', ['r1', 'r2', 'r3', 'r4']);
    expectPinholeError(() => checkPlan(more), 'invalid_argument', 'plan.collections[0].groups');
    expectPinholeError(() => checkPlan(withField('domains.regions', ['r1', 'r1', 'r3'])), 'invalid_argument', 'plan.domains.regions[1]');
    expectPinholeError(() => checkPlan(withField('domains.cells', [])), 'invalid_argument', 'plan.domains.cells');
    expectPinholeError(() => checkPlan(withField('domains.cellRegions', ['r1', 'r1', 'r2'])), 'invalid_argument', 'plan.domains.cellRegions');
    expectPinholeError(() => checkPlan(withField('domains.cellRegions', ['r1', 'r1', 'r2', 'r9'])), 'invalid_argument', 'plan.domains.cellRegions[3]');
  });

  it('refuses collections and insights that do not match', () => {
    expectPinholeError(() => checkPlan(withField('insights', ['network-type-share', 'rtt-mean'])), 'invalid_argument', 'plan.collections[1].id');
    expectPinholeError(() => checkPlan(withField('insights', ['network-type-share', 'rtt-mean', 'poor-share', 'worst-cells'])), 'invalid_argument', 'plan.insights[3]');
    expectPinholeError(() => checkPlan(withField('insights', ['network-type-share', 'network-type-share', 'rtt-mean', 'poor-share'])), 'invalid_argument', 'plan.insights[1]');
    const dup = fixture();
    dup.collections.push({ ...dup.collections[0] });
    expectPinholeError(() => checkPlan(dup), 'invalid_argument', 'plan.collections[3].id');
    // a local-DP mean must declare its group public
    expectPinholeError(() => checkPlan(withField('collections[2].publicGroup', DELETE)), 'invalid_argument', 'plan.collections[2].publicGroup');
  });

  it('refuses over-budget schedules and mechanisms, exactly', () => {
    // 3 rounds of 0.5 > 1
    expectPinholeError(() => checkPlan(withField('schedule.roundsPerPeriod', 3, withField('schedule.roundSeconds', 3600))), 'budget_exceeded', 'plan.budget');
    // 0.2 + 0.2 + 0.1 + 1e-16 per round is over by a hair that floats would round away
    expectPinholeError(() => checkPlan(withField('collections[2].privacyLoss.epsilon', 0.1000000000000001)), 'budget_exceeded', 'plan.budget');
    // delta: 2 rounds of 5e-7 fit 1e-6 exactly, 5.000001e-7 does not
    expectPinholeError(() => checkPlan(withField('collections[1].privacyLoss.delta', 5.000001e-7)), 'budget_exceeded', 'plan.budget');
    // a mechanism spending more than its collection is charged
    expectPinholeError(() => checkPlan(withField('collections[0].mechanism.epsilon', 0.25)), 'budget_exceeded', 'plan.collections[0].mechanism.epsilon');
    expectPinholeError(() => checkPlan(withField('collections[1].mechanism.delta', 6e-7)), 'budget_exceeded', 'plan.collections[1].mechanism.epsilon');
    // rounds that do not fit the period
    expectPinholeError(() => checkPlan(withField('schedule.roundSeconds', 43201)), 'invalid_argument', 'plan.schedule.roundSeconds');
    expectPinholeError(() => checkPlan(withField('schedule.roundSeconds', null)), 'invalid_argument', 'plan.schedule.roundSeconds');
    expect(checkPlan(withField('schedule.roundSeconds', null, withField('schedule.closeAtReports', 1000))).schedule.closeAtReports).toBe(1000);
  });

  it('checks the secure-aggregation sections', () => {
    const secagg = {
      id: 'device-class',
      kind: 'histogram',
      mode: 'secagg',
      groups: 1,
      buckets: 5,
      domainSize: 5,
      privacyLoss: { epsilon: 0.5, delta: 5e-7 },
      gate: { mode: 'estimate_threshold', k: 20 },
      minCohort: 900,
      mechanism: {
        kind: 'distributed_noise',
        noise: 'skellam',
        epsilon: 0.5,
        delta: 5e-7,
        l2Sensitivity: 1,
        l1Sensitivity: 1,
        vectorLength: 5,
        expectedClients: 1000,
        minSurvivors: 900,
        onShortfall: 'refuse',
        clientValueBounds: [0, 1],
        wrapProbability: 2 ** -40,
        shareParameter: 0.05,
        modulusBits: 16,
      },
      secagg: { cohort: 1000, dropoutRate: 0.1, corruptFraction: 0.05, securityBits: 40, correctnessBits: 30, threatModel: 'honest_but_curious', graph: 'harary', degree: 98, threshold: 63 },
    };
    const base = () => {
      const f = fixture();
      f.schedule.roundsPerPeriod = 1;
      f.insights.push('device-class-share');
      f.collections.push(JSON.parse(JSON.stringify(secagg)));
      return f;
    };
    expect(checkPlan(base()).collections[3]!.mode).toBe('secagg');
    const at = 'collections[3]';
    expectPinholeError(() => checkPlan(withField(`${at}.mechanism.vectorLength`, 6, base())), 'invalid_argument', `plan.${at}.mechanism.vectorLength`);
    expectPinholeError(() => checkPlan(withField(`${at}.mechanism.l2Sensitivity`, 0.5, base())), 'invalid_argument', `plan.${at}.mechanism.l2Sensitivity`);
    expectPinholeError(() => checkPlan(withField(`${at}.mechanism.clientValueBounds`, [-1, 1], base())), 'invalid_argument', `plan.${at}.mechanism.clientValueBounds`);
    expectPinholeError(() => checkPlan(withField(`${at}.mechanism.minSurvivors`, 1001, base())), 'invalid_argument', `plan.${at}.mechanism.minSurvivors`);
    expectPinholeError(() => checkPlan(withField(`${at}.mechanism.noise`, 'gaussian', base())), 'invalid_argument', `plan.${at}.mechanism.noise`);
    // refuse: never unmask fewer than the planned survivors
    expectPinholeError(() => checkPlan(withField(`${at}.minCohort`, 899, base())), 'invalid_argument', `plan.${at}.minCohort`);
    // top_up: the floor lies below the planned survivors
    const topUp = withField(`${at}.mechanism.onShortfall`, 'top_up', base());
    expectPinholeError(() => checkPlan(withField(`${at}.minCohort`, 901, topUp)), 'invalid_argument', `plan.${at}.minCohort`);
    expect(checkPlan(withField(`${at}.minCohort`, 800, topUp)).collections[3]!.minCohort).toBe(800);
    expectPinholeError(() => checkPlan(withField(`${at}.secagg.cohort`, 999, base())), 'invalid_argument', `plan.${at}.secagg.cohort`);
    expectPinholeError(() => checkPlan(withField(`${at}.secagg.degree`, 97, base())), 'invalid_argument', `plan.${at}.secagg.degree`);
    expectPinholeError(() => checkPlan(withField(`${at}.secagg.threshold`, 49, base())), 'invalid_argument', `plan.${at}.secagg.threshold`);
    expectPinholeError(() => checkPlan(withField(`${at}.secagg.threatModel`, 'malicious', base())), 'invalid_argument', `plan.${at}.secagg.threatModel`);
    expectPinholeError(() => checkPlan(withField(`${at}.secagg`, DELETE, base())), 'invalid_argument', `plan.${at}.secagg`);
    // a secagg section on a local-DP collection is an unknown field
    expectPinholeError(() => checkPlan(withField('collections[0].secagg', secagg.secagg, base())), 'invalid_argument', 'plan.collections[0].secagg');
  });

  it('states the longitudinal guarantee: memo per value on local-DP histograms only, charged every round', () => {
    const plan = checkPlan(fixture());
    // written whether or not the document says it
    expect(plan.longitudinal).toEqual({ charge: 'every_round', memoScope: 'plan_revision' });
    const ldp = plan.collections[0]!;
    expect(ldp.mode === 'ldp' && ldp.kind === 'histogram' && ldp.memo).toBe('per_value');
    expect('memo' in plan.collections[1]!).toBe(false);
    const none = checkPlan(withField('collections[0].memo', 'none', fixture()));
    expect(longitudinalGuarantee(none).memoised).toEqual([]);
    expect(longitudinalGuarantee(plan)).toEqual({
      charge: 'every_round',
      perRound: planRoundLoss(plan),
      perPeriod: { epsilon: 1, delta: 1e-6 },
      periodSeconds: 86400,
      memoScope: 'plan_revision',
      memoised: [{ collection: 'network-type-by-region', perValue: { epsilon: 0.2, delta: 0 } }],
    });
    expectPinholeError(() => checkPlan(withField('collections[0].memo', 'forever', fixture())), 'invalid_argument', 'plan.collections[0].memo');
    // a central or numeric collection is perturbed (or noised) afresh every round: memo is not its field
    expectPinholeError(() => checkPlan(withField('collections[1].memo', 'per_value', fixture())), 'invalid_argument', 'plan.collections[1].memo');
    expectPinholeError(() => checkPlan(withField('collections[2].memo', 'none', fixture())), 'invalid_argument', 'plan.collections[2].memo');
    expectPinholeError(() => checkPlan(withField('longitudinal', { charge: 'once', memoScope: 'plan_revision' }, fixture())), 'invalid_argument', 'plan.longitudinal.charge');
    expectPinholeError(() => checkPlan(withField('longitudinal', { charge: 'every_round', memoScope: 'forever' }, fixture())), 'invalid_argument', 'plan.longitudinal.memoScope');
    expectPinholeError(() => checkPlan(withField('longitudinal', { charge: 'every_round', memoScope: 'plan_revision', x: 1 }, fixture())), 'invalid_argument', /plan\.longitudinal/);
  });
});

describe('budget arithmetic', () => {
  it('sums losses exactly and splits them without ever exceeding the total', () => {
    const plan = checkPlan(fixture());
    expect(planRoundLoss(plan)).toEqual({ epsilon: 0.5, delta: 5e-7 });
    expect(planPeriodLoss(plan)).toEqual({ epsilon: 1, delta: 1e-6 });
    for (const [total, parts] of [
      [1, 3],
      [1, 6],
      [0.7, 3],
      [2, 7],
      [16, 6],
      [0.5, 7],
      [1e-6, 6],
      [0.3, 10],
      [100, 9],
    ] as const) {
      const share = splitPrivacyLoss({ epsilon: total, delta: total / 1e7 }, parts);
      expect(share.epsilon).toBeLessThanOrEqual(total / parts);
      expect(share.epsilon).toBeGreaterThan((total / parts) * (1 - 1e-15));
      // `parts` rounds of one share fit the total in exact decimal arithmetic (checkPlan's own check)
      const f = fixture();
      f.budget = { ...f.budget, epsilon: total, delta: total / 1e7 };
      f.schedule = { roundsPerPeriod: parts, roundSeconds: 1, closeAtReports: null };
      f.insights = ['network-type-share'];
      f.collections = [{ ...f.collections[0], privacyLoss: { epsilon: share.epsilon, delta: share.delta }, mechanism: { ...f.collections[0].mechanism, epsilon: share.epsilon } }];
      expect(() => checkPlan(f), `${total} / ${parts}`).not.toThrow();
    }
    expectPinholeError(() => splitPrivacyLoss({ epsilon: 1, delta: 0 }, 0), 'invalid_argument', 'parts');
    expectPinholeError(() => splitPrivacyLoss({ epsilon: NaN, delta: 0 }, 2), 'invalid_argument', 'loss.epsilon');
  });

  it('counts the rounds left in a period from what it already spent, under any revision', () => {
    const plan = checkPlan(fixture());
    expect(roundsLeftInPeriod(plan, { spent: { epsilon: 0, delta: 0 }, rounds: 0 })).toBe(2);
    expect(roundsLeftInPeriod(plan, { spent: { epsilon: 0.5, delta: 5e-7 }, rounds: 1 })).toBe(1);
    // a previous revision spent 0.75 in one round: only 0.25 is left, less than one round of 0.5
    expect(roundsLeftInPeriod(plan, { spent: { epsilon: 0.75, delta: 0 }, rounds: 1 })).toBe(0);
    expect(roundsLeftInPeriod(plan, { spent: { epsilon: 0, delta: 6e-7 }, rounds: 0 })).toBe(0);
    expect(roundsLeftInPeriod(plan, { spent: { epsilon: 0, delta: 0 }, rounds: 2 })).toBe(0);
    expectPinholeError(() => roundsLeftInPeriod(plan, { spent: { epsilon: -1, delta: 0 }, rounds: 0 }), 'invalid_argument', 'used.spent.epsilon');
    expectPinholeError(() => roundsLeftInPeriod(plan, { spent: { epsilon: 0, delta: 0 }, rounds: 0.5 }), 'invalid_argument', 'used.rounds');
  });

  it('adds a ledger’s losses exactly, never below their decimal sum', () => {
    expect(addPrivacyLosses([])).toEqual({ epsilon: 0, delta: 0 });
    expect(
      addPrivacyLosses([
        { epsilon: 0.1, delta: 0 },
        { epsilon: 0.2, delta: 1e-7 },
      ]),
    ).toEqual({ epsilon: 0.3, delta: 1e-7 });
    expect(addPrivacyLosses(Array.from({ length: 10 }, () => ({ epsilon: 0.1, delta: 1e-7 })))).toEqual({ epsilon: 1, delta: 1e-6 });
    // a sum with no double of its decimal reading comes back one ulp above, never below
    const s = addPrivacyLosses([
      { epsilon: 0.1, delta: 0 },
      { epsilon: 1e-17, delta: 0 },
    ]);
    expect(s.epsilon).toBeGreaterThan(0.1);
    const plan = checkPlan(fixture());
    // what a server's ledger does: two rounds' spend summed, then the rounds left
    expect(roundsLeftInPeriod(plan, { spent: addPrivacyLosses([planRoundLoss(plan)]), rounds: 1 })).toBe(1);
    expect(roundsLeftInPeriod(plan, { spent: addPrivacyLosses([planRoundLoss(plan), planRoundLoss(plan)]), rounds: 2 })).toBe(0);
    expect(
      roundsLeftInPeriod(plan, {
        spent: addPrivacyLosses([
          { epsilon: 0.25, delta: 0 },
          { epsilon: 0.25, delta: 5e-7 },
        ]),
        rounds: 0,
      }),
    ).toBe(1);
    expectPinholeError(() => addPrivacyLosses([{ epsilon: NaN, delta: 0 }]), 'invalid_argument', 'losses[0].epsilon');
    expectPinholeError(() => addPrivacyLosses('x' as never), 'invalid_argument', 'losses');
  });

  it('finds the period of a time', () => {
    const plan = checkPlan(fixture());
    const start = Date.parse('2025-01-06T00:00:00Z');
    expect(planPeriod(plan, start)).toEqual({ index: 0, startMs: start, endMs: start + 86400_000 });
    expect(planPeriod(plan, start + 86400_000 * 10 + 5).index).toBe(10);
    expectPinholeError(() => planPeriod(plan, start - 1), 'invalid_state', 'timeMs');
  });
});

describe('checkPlanChange', () => {
  const now = Date.parse('2025-03-05T12:00:00Z');
  const prev = (): Plan => checkPlan(fixture());

  it('accepts a new revision that keeps the periods and does not raise the budget', () => {
    const next = fixture();
    next.revision = 4;
    next.collections[0].gate.k = 50;
    expect(checkPlanChange(prev(), checkPlan(next), { now })).toEqual({ samePeriods: true, effectiveFromMs: now });
    const lower = fixture();
    lower.revision = 4;
    lower.budget.epsilon = 0.9;
    lower.schedule.roundsPerPeriod = 1;
    expect(checkPlanChange(prev(), checkPlan(lower), { now }).samePeriods).toBe(true);
  });

  it('refuses a budget increase within the same periods: a revision cannot reset spend', () => {
    const next = fixture();
    next.revision = 4;
    next.budget.epsilon = 2;
    next.budget.delta = 2e-6;
    next.schedule.roundsPerPeriod = 4;
    next.schedule.roundSeconds = 3600;
    expectPinholeError(() => checkPlanChange(prev(), checkPlan(next), { now }), 'budget_exceeded', 'next.budget');
    const delta = fixture();
    delta.revision = 4;
    delta.budget.delta = 1.0000001e-6;
    expectPinholeError(() => checkPlanChange(prev(), checkPlan(delta), { now }), 'budget_exceeded', 'next.budget');
  });

  it('lets new periods (or a larger budget) start only after the current period ends', () => {
    const early = fixture();
    early.revision = 4;
    early.budget.epsilon = 2;
    early.budget.periodStart = '2025-03-05T18:00:00Z'; // inside the current day of the old plan
    expectPinholeError(() => checkPlanChange(prev(), checkPlan(early), { now }), 'budget_exceeded', 'next.budget.periodStart');
    const later = fixture();
    later.revision = 4;
    later.budget.epsilon = 2;
    later.budget.periodStart = '2025-03-06T00:00:00Z';
    expect(checkPlanChange(prev(), checkPlan(later), { now })).toEqual({ samePeriods: false, effectiveFromMs: Date.parse('2025-03-06T00:00:00Z') });
    // a shorter period starting at the old anchor would open a fresh budget mid-period
    const shorter = fixture();
    shorter.revision = 4;
    shorter.budget.periodSeconds = 43200;
    shorter.schedule.roundSeconds = 21600;
    expectPinholeError(() => checkPlanChange(prev(), checkPlan(shorter), { now }), 'budget_exceeded', 'next.budget.periodStart');
  });

  it('needs a higher revision of the same plan, and valid plans', () => {
    const same = fixture();
    expectPinholeError(() => checkPlanChange(prev(), checkPlan(same), { now }), 'invalid_argument', 'next.revision');
    expectPinholeError(() => checkPlanChange(prev(), { ...fixture(), version: 9 } as unknown as Plan, { now }), 'unsupported', 'plan.version');
    expectPinholeError(() => checkPlanChange(prev(), checkPlan(fixture()), { now: NaN }), 'invalid_argument', 'options.now');
    expect(() => checkPlanChange(prev(), checkPlan({ ...fixture(), revision: 4 }))).not.toThrow(PinholeError);
  });
});
