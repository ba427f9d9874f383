/**
 * Making a plan: the period budget split into rounds and over the collections the insights need,
 * each collection resolved by `makeCollectionPlan` (its mechanism, noise and grids, chosen with the
 * ldp, gate and secagg packages), and the document validated by core's `checkPlan`. The bench's
 * pipelines are made with the same functions, so what the bench measured is what a generated plan ships.
 */
import { type Plan, type PrivacyLoss, COLLECTIONS, INSIGHTS, PLAN_FORMAT, PLAN_VERSION, checkPlan } from '@pinhole/core';
import { PLAN_LONGITUDINAL, splitPrivacyLoss } from '@pinhole/core/plan';
import { NEIGHBOUR_RELATION } from '@pinhole/core/privacy';
import { checkInteger, checkNumber, checkObject, checkOneOf, invalid } from '@pinhole/core/validate';
import { makeCollectionPlan } from './collection-plan.js';
import { type MakePlanOptions, DEFAULT_PERIOD_SECONDS, DEFAULT_PERIOD_START, only } from './plan-options.js';

/**
 * A complete, validated plan: the period budget split exactly into rounds, each round's budget
 * split equally over the collections the insights need, every collection resolved for `mode`.
 */
export function makePlan(options: MakePlanOptions): Plan {
  const o = checkObject('options', options);
  only('options', o, ['id', 'revision', 'description', 'insights', 'domains', 'budget', 'schedule', 'mode', 'expectedDevices', 'k', 'minCohort', 'ldp', 'secagg', 'central', 'prio3']);
  if (!Array.isArray(o.insights) || o.insights.length === 0) throw invalid('insights', 'a non-empty array of insight ids', o.insights);
  const insights = (o.insights as unknown[]).map((x, i) =>
    checkOneOf(
      `insights[${i}]`,
      x,
      INSIGHTS.map((d) => d.id),
    ),
  );
  const needed = new Set(insights.map((id) => INSIGHTS.find((d) => d.id === id)?.collection));
  const collections = COLLECTIONS.filter((c) => needed.has(c.id)).map((c) => c.id);
  const b = checkObject('budget', o.budget);
  only('budget', b, ['epsilon', 'delta', 'periodSeconds', 'periodStart']);
  const s = o.schedule === undefined ? {} : checkObject('schedule', o.schedule);
  only('schedule', s, ['roundsPerPeriod', 'roundSeconds', 'closeAtReports']);
  const periodSeconds = b.periodSeconds === undefined ? DEFAULT_PERIOD_SECONDS : checkInteger('budget.periodSeconds', b.periodSeconds, { ge: 1 });
  const roundsPerPeriod = s.roundsPerPeriod === undefined ? 1 : checkInteger('schedule.roundsPerPeriod', s.roundsPerPeriod, { ge: 1 });
  const periodBudget: PrivacyLoss = { epsilon: checkNumber('budget.epsilon', b.epsilon, { gt: 0 }), delta: checkNumber('budget.delta', b.delta, { ge: 0, lt: 1 }) };
  const perCollection = splitPrivacyLoss(splitPrivacyLoss(periodBudget, roundsPerPeriod), collections.length);
  const devicesFor = (id: string): number => {
    const e = o.expectedDevices;
    if (typeof e === 'number') return e;
    const map = checkObject('expectedDevices', e);
    if (map[id] === undefined) throw invalid(`expectedDevices.${id}`, 'the devices expected for this collection', map[id]);
    return map[id] as number;
  };
  const plan = {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    id: o.id,
    revision: o.revision ?? 1,
    ...(o.description === undefined ? {} : { description: o.description }),
    privacyUnit: 'device',
    neighbours: NEIGHBOUR_RELATION,
    longitudinal: PLAN_LONGITUDINAL,
    budget: { epsilon: periodBudget.epsilon, delta: periodBudget.delta, periodSeconds, periodStart: b.periodStart ?? DEFAULT_PERIOD_START },
    schedule: {
      roundsPerPeriod,
      roundSeconds: s.roundSeconds === undefined ? Math.floor(periodSeconds / roundsPerPeriod) : s.roundSeconds,
      closeAtReports: s.closeAtReports === undefined ? null : s.closeAtReports,
    },
    domains: options.domains,
    insights,
    collections: collections.map((id) =>
      makeCollectionPlan({
        collection: id,
        mode: options.mode,
        budget: perCollection,
        domains: options.domains,
        expectedDevices: devicesFor(id),
        ...(options.k === undefined ? {} : { k: options.k }),
        ...(options.minCohort === undefined ? {} : { minCohort: options.minCohort }),
        ...(options.ldp === undefined ? {} : { ldp: options.ldp }),
        ...(options.secagg === undefined ? {} : { secagg: options.secagg }),
        ...(options.central === undefined ? {} : { central: options.central }),
        ...(options.prio3 === undefined ? {} : { prio3: options.prio3 }),
      }),
    ),
  };
  return checkPlan(JSON.parse(JSON.stringify(plan)));
}
