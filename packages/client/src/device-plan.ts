/**
 * Which plans a device follows: the structural check (the server's rules for the modes this device
 * runs) and the device's own rules on top (no exact values without trustAggregator, no mixed
 * secure-aggregation plans, the app's budget ceiling, and the server's plan-change rule).
 */
import { type Plan, type PlanCollection, PinholeError, planChange } from '@pinhole/core';
import { type PlanModeRules, centralCollectionRule, checkPlanWith, ldpCollectionRule } from '@pinhole/core/plan';
import type { SecureAggregation } from './plugin.js';

/**
 * The check a client applies to a served plan: the server's rules (checkPlan) for the modes this
 * device takes part in (local DP, central, and secure aggregation with the plug-in); a collection
 * of another mode is refused before any of its fields is used. A plain function of the plug-in, so
 * an app's bundle carries only the rules of the modes it can run.
 */
export function checkDevicePlan(json: unknown, secureAggregation?: SecureAggregation): Plan {
  const rules: PlanModeRules = {
    ldp: ldpCollectionRule,
    central: centralCollectionRule,
    secagg:
      secureAggregation?.planRule ??
      (({ param, base }) => {
        throw new PinholeError('unsupported', `${param}.mode`, `collection "${base.id}" is collected by secure aggregation: pass secureAggregation() from @pinhole/client/secagg to createClient`);
      }),
    prio3: ({ param, base }) => {
      throw new PinholeError('unsupported', `${param}.mode`, `collection "${base.id}" is collected by two aggregators: report it with prio3Report from @pinhole/client/prio3`);
    },
  };
  return checkPlanWith(json, rules);
}

/** The plan a device follows now and since when (ms since the epoch, the ledger's time). */
export interface FollowedPlan {
  readonly plan: Plan;
  readonly effectiveFrom: number;
}

/**
 * The device's own rules for a checked plan that differs from the one it follows: refusals are
 * PinholeErrors. Returns when the new plan takes effect.
 */
export function devicePlanRules(
  plan: Plan,
  previous: FollowedPlan | null,
  now: number,
  rules: { readonly trustAggregator: boolean; readonly secagg: SecureAggregation | undefined; readonly maxBudget: { readonly epsilon: number; readonly delta: number } | null },
): number {
  const { trustAggregator, secagg, maxBudget } = rules;
  plan.collections.forEach((c: PlanCollection, i) => {
    if (c.mode === 'central' && !trustAggregator) {
      throw new PinholeError('protocol_violation', `plan.collections[${i}].mode`, `collection "${c.id}" is "central": the device would send exact values; refused unless the app sets trustAggregator`);
    }
  });
  if (plan.collections.some((c) => c.mode === 'secagg') && plan.collections.some((c) => c.mode !== 'secagg')) {
    throw new PinholeError('unsupported', 'plan.collections', 'a plan that mixes secure aggregation with report collections is not supported by this client');
  }
  if (secagg !== undefined && plan.collections.some((c) => c.mode === 'secagg')) secagg.checkPlan(plan);
  if (maxBudget && (plan.budget.epsilon > maxBudget.epsilon || plan.budget.delta > maxBudget.delta)) {
    throw new PinholeError(
      'budget_exceeded',
      'plan.budget',
      `the plan's period budget (epsilon ${plan.budget.epsilon}, delta ${plan.budget.delta}) exceeds this app's ceiling (epsilon ${maxBudget.epsilon}, delta ${maxBudget.delta})`,
    );
  }
  if (previous === null) return now;
  const prev = previous.plan;
  if (prev.id === plan.id && prev.revision === plan.revision) {
    throw new PinholeError('protocol_violation', 'plan.revision', `the server changed plan "${plan.id}" revision ${plan.revision} without a new revision`);
  }
  // the server's own rule, enforced by the device: no change lets a period's spend grow
  return Math.max(planChange(prev, plan, now).effectiveFromMs, previous.effectiveFrom);
}
