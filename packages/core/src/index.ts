/**
 * @pinhole/core: what an integrator needs: errors, the secure Rng, the privacy ledger, the
 * measurement a phone reports, the insight catalogue, collection plans and the round report.
 * The rest is in named entries: `/validate` (argument checks), `/samplers` (exact noise),
 * `/privacy` (privacy maps and sensitivities), `/exact` (rational arithmetic), `/plan` (plan
 * rules and budget arithmetic), `/schema` (domains and measurement fields), `/insights` (the
 * catalogue's details), `/wire` (the codec and report encodings), `/stats`, `/perf`,
 * `/seeded` (INSECURE seeded generators) and `/testing` (helpers for Pinhole's own tests).
 */
export { PinholeError, PINHOLE_ERROR_CODES, isPinholeError, type PinholeErrorCode } from './errors.js';
export { type Rng, cryptoRng, isSecureRng, requireSecureRng } from './rng.js';
export { type PrivacyLoss } from './privacy-maps.js';
export { type LedgerEntry, type AccountantOptions, PrivacyAccountant } from './accounting.js';
export { type NetworkSample, type NetworkType, type DeviceClass, type StreamingContext, type Activity, NETWORK_TYPES, DEVICE_CLASSES, ACTIVITIES, validateNetworkSample } from './network-sample.js';
export { type InsightRow, type InsightDefinition, type Collection, INSIGHTS, COLLECTIONS, getInsight, getCollection } from './insights.js';
export {
  type Plan,
  type PlanMode,
  type PlanCollection,
  type PlanBudget,
  type PlanSchedule,
  type PlanGate,
  type PlanSecagg,
  type PlanDomains,
  type PlanChange,
  PLAN_FORMAT,
  PLAN_VERSION,
  SUPPORTED_PLAN_VERSIONS,
  PLAN_MODES,
  checkPlan,
  checkPlanChange,
  planChange,
} from './plan.js';
export { type RoundReport, type ReportEntry, type HmacSha256, encodeRoundReport, decodeRoundReport, makeReportId, makeContributorSecret, contributorToken, contributorTokenAsync } from './report.js';
