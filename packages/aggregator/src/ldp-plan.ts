/**
 * A local-DP collection: each device perturbs its own report, so the plan names the frequency
 * oracle (histograms) or numeric mechanism (means) at the collection's epsilon, with delta 0.
 */
import { type PlanCollection, type PrivacyLoss } from '@pinhole/core';
import { PLAN_MEMO } from '@pinhole/core/plan';
import { checkObject, checkOneOf } from '@pinhole/core/validate';
import { NUMERIC_MECHANISMS, NUMERIC_NAMES, ORACLES, ORACLE_NAMES, type NumericName, recommendOracle } from '@pinhole/ldp';
import { type CollectionBase, type CollectionLayout, type LdpOptions, only } from './plan-options.js';

/** The numeric mechanism with the smallest worst-case report variance at this epsilon. */
export function bestNumericMechanism(epsilon: number): NumericName {
  let best: NumericName = 'hybrid';
  let bestVar = Infinity;
  for (const name of NUMERIC_NAMES) {
    const m = NUMERIC_MECHANISMS[name]({ epsilon });
    let worst = 0;
    for (const t of [-1, -0.5, 0, 0.5, 1]) worst = Math.max(worst, m.reportVariance(t));
    if (worst < bestVar) {
      bestVar = worst;
      best = name;
    }
  }
  return best;
}

/** An ldp collection's oracle or numeric mechanism ('auto' chooses), refused here if it cannot serve the domain or epsilon. */
export function ldpCollection(collection: string, layout: CollectionLayout, budget: PrivacyLoss, n: number, opts: LdpOptions | undefined, base: CollectionBase): PlanCollection {
  const { groups, domainSize, k, minCohort } = base;
  const gate = { mode: 'estimate_threshold' as const, k };
  const l = opts === undefined ? {} : checkObject('ldp', opts);
  only('ldp', l, ['oracle', 'numeric', 'memo']);
  if (layout.kind === 'histogram') {
    const choice = l.oracle === undefined || l.oracle === 'auto' ? recommendOracle({ domainSize, epsilon: budget.epsilon, n }).oracle : checkOneOf('ldp.oracle', l.oracle, ORACLE_NAMES);
    // constructing it refuses what the oracle cannot do (domain size, epsilon)
    ORACLES[choice]({ epsilon: budget.epsilon, domainSize });
    return {
      id: collection,
      kind: 'histogram',
      groups,
      buckets: layout.buckets,
      domainSize,
      mode: 'ldp',
      privacyLoss: { epsilon: budget.epsilon, delta: 0 },
      gate,
      minCohort: minCohort ?? k,
      mechanism: { kind: 'oracle', name: choice, epsilon: budget.epsilon, domainSize },
      memo: l.memo === undefined ? 'per_value' : checkOneOf('ldp.memo', l.memo, PLAN_MEMO),
    };
  }
  const choice = l.numeric === undefined || l.numeric === 'auto' ? bestNumericMechanism(budget.epsilon) : checkOneOf('ldp.numeric', l.numeric, NUMERIC_NAMES);
  NUMERIC_MECHANISMS[choice]({ epsilon: budget.epsilon });
  return {
    id: collection,
    kind: 'mean',
    groups,
    domainSize,
    mode: 'ldp',
    privacyLoss: { epsilon: budget.epsilon, delta: 0 },
    gate,
    minCohort: minCohort ?? k,
    mechanism: { kind: 'numeric', name: choice, epsilon: budget.epsilon, bounds: layout.bounds as [number, number] },
    publicGroup: true,
  };
}
