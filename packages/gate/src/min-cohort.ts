/**
 * The minimum cohort size, enforced before anything is unmasked (the DAP `min_batch_size` rule,
 * draft-ietf-ppm-dap, "Collection"): an aggregate over fewer reports than the minimum is never
 * computed or released. The aggregator calls `requireMinCohort` before unmasking a secure
 * aggregation sum; the gate checks the same rule and refuses the whole release with reason
 * 'min_cohort' when it is broken. The rule is on the number of reports in the round, which the
 * server sees anyway; it protects small batches, it is not differential privacy.
 */
import { PinholeError } from '@pinhole/core';
import { checkInteger, checkObject } from '@pinhole/core/validate';

export interface MinCohortRule {
  readonly minCohortSize: number;
}

export type MinCohortDecision = { readonly ok: true } | { readonly ok: false; readonly reason: 'min_cohort'; readonly message: string };

export function makeMinCohortRule(params: MinCohortRule): MinCohortRule {
  checkObject('params', params);
  return Object.freeze({ minCohortSize: checkInteger('minCohortSize', params.minCohortSize, { ge: 1 }) });
}

function message(cohortSize: number, min: number): string {
  return `cohort of ${cohortSize} reports is below the minimum cohort size ${min}: nothing is unmasked or released`;
}

/** The decision for a cohort of `cohortSize` reports. */
export function decideMinCohort(cohortSize: number, rule: MinCohortRule): MinCohortDecision {
  checkInteger('cohortSize', cohortSize, { ge: 0 });
  checkObject('rule', rule);
  const min = checkInteger('rule.minCohortSize', rule.minCohortSize, { ge: 1 });
  if (cohortSize >= min) return { ok: true };
  return { ok: false, reason: 'min_cohort', message: message(cohortSize, min) };
}

/**
 * The guard before unmasking: throws `invalid_state` (param `cohortSize`) when the cohort is too
 * small, so a sum over too few reports is never computed.
 */
export function requireMinCohort(cohortSize: number, rule: MinCohortRule): void {
  const d = decideMinCohort(cohortSize, rule);
  if (!d.ok) throw new PinholeError('invalid_state', 'cohortSize', `"cohortSize" expected at least ${rule.minCohortSize} reports before unmasking, got ${cohortSize}`);
}
