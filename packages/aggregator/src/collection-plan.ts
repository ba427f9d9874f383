/**
 * One collection of a plan: its options checked, its shape read from the domains, and the
 * mechanism built by its mode's module (ldp, central, secagg or prio3).
 */
import { type PlanCollection, type PrivacyLoss } from '@pinhole/core';
import { checkInteger, checkNumber, checkObject, checkOneOf, checkString } from '@pinhole/core/validate';
import { centralCollection } from './central-plan.js';
import { ldpCollection } from './ldp-plan.js';
import { type CollectionPlanOptions, DEFAULT_K, layoutOf, only } from './plan-options.js';
import { prio3Collection } from './prio3-plan.js';
import { secaggCollection } from './secagg-plan.js';

/**
 * One collection of a plan, resolved: the mechanism for its mode, its noise, and what devices are
 * charged (`budget`). Throws `invalid_argument` when the mode cannot serve this collection (e.g.
 * an oracle that does not support the domain size).
 */
export function makeCollectionPlan(options: CollectionPlanOptions): PlanCollection {
  const o = checkObject('options', options);
  only('options', o, ['collection', 'mode', 'budget', 'domains', 'expectedDevices', 'k', 'minCohort', 'ldp', 'secagg', 'central', 'prio3']);
  const mode = checkOneOf('mode', o.mode, ['ldp', 'secagg', 'central', 'prio3'] as const);
  const layout = layoutOf(checkString('collection', o.collection), options.domains);
  const b = checkObject('budget', o.budget);
  const budget: PrivacyLoss = { epsilon: checkNumber('budget.epsilon', b.epsilon, { gt: 0 }), delta: checkNumber('budget.delta', b.delta, { ge: 0, lt: 1 }) };
  const n = checkInteger('expectedDevices', o.expectedDevices, { ge: 1, le: 2 ** 30 });
  const k = o.k === undefined ? DEFAULT_K : checkInteger('k', o.k, { ge: 1 });
  const minCohort = o.minCohort === undefined ? undefined : checkInteger('minCohort', o.minCohort, { ge: 1 });
  const groups = layout.groups;
  const domainSize = groups * layout.buckets;
  const collection = options.collection;
  const base = { groups, domainSize, k, minCohort };

  if (mode === 'ldp') return ldpCollection(collection, layout, budget, n, options.ldp, base);
  if (mode === 'central') return centralCollection(collection, layout, budget, options.central, base);
  if (mode === 'prio3') return prio3Collection(collection, layout, budget, options.prio3 ?? {}, base);
  return secaggCollection(collection, layout, budget, n, options.secagg ?? {}, base);
}
