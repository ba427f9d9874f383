/**
 * Collection plans: the versioned JSON document that the device, the aggregator and the bench all
 * read. A plan is resolved: every parameter both sides must agree on (mechanism, epsilon, domain
 * sizes, noise parameters, secure-aggregation floors, gate, minimum cohort) is written in it, so
 * neither side re-derives anything. Core validates the document's structure and does its budget
 * arithmetic in exact decimals; choosing mechanisms and resolving noise (which needs the ldp and
 * gate packages) is `makePlan` in @pinhole/aggregator, and the deep checks of the resolved noise
 * against the libraries are the aggregator's engine's. Phone-safe: no node:, no tfjs.
 * The parts, one concept each:
 * - plan-schema.ts: the document's constants and types;
 * - plan-budget.ts: exact budget arithmetic, periods, plan changes;
 * - plan-check.ts: the checks every mode shares and the local-DP and central rules (what a device
 *   applies, through checkPlanWith);
 * - plan-modes.ts: the secure-aggregation and Prio3 rules and the server's checkPlan.
 */
export * from './plan-schema.js';
export {
  type LongitudinalGuarantee,
  type PlanChange,
  splitPrivacyLoss,
  addPrivacyLosses,
  planRoundLoss,
  planPeriodLoss,
  longitudinalGuarantee,
  roundsLeftInPeriod,
  planPeriod,
  planCollection,
  planChange,
  lossFits,
} from './plan-budget.js';
export { checkPlanWith, ldpCollectionRule, centralCollectionRule } from './plan-check.js';
export * from './plan-modes.js';
