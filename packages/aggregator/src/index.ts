/**
 * @pinhole/aggregator: collection plans (makePlan) and the release engine (plan + what the server
 * received → Release). The engine (src/engine) is pure and free of I/O; the server that wraps it
 * with HTTP, storage and rounds lives in its own module.
 */
export {
  type MakePlanOptions,
  type CollectionPlanOptions,
  type LdpOptions,
  type SecaggOptions,
  type CentralOptions,
  MEAN_MAX_GRID,
  MEAN_MU_CAP,
  DEFAULT_PERIOD_START,
  DEFAULT_PERIOD_SECONDS,
  DEFAULT_K,
} from './plan-options.js';
export { makePlan } from './make-plan.js';
export { makeCollectionPlan } from './collection-plan.js';
export { bestNumericMechanism } from './ldp-plan.js';
export { type Prio3Options, PRIO3_MEAN_GRID, prio3PrivacyLoss, prio3Sensitivity, prio3Sigma } from './prio3-plan.js';
export { type ReleaseEngine, type Round, type DecodedReport, type EngineOptions, makeReleaseEngine } from './engine/engine.js';
export { type CollectionEngine, type CollectionEstimate, type EstimateOptions } from './engine/collection.js';
export { type CollectionTally, type DecodedEntry, type Prio3Noise } from './engine/tally.js';
export {
  type CollectionRelease,
  type RoundRelease,
  type ReleasedGroup,
  type InsightRelease,
  type StatisticValue,
  type ThreatModel,
  type ThreatModelKind,
  RELEASE_FORMAT,
  RELEASE_VERSION,
} from './engine/release.js';
export { type HistogramGroupEstimate, type MeanGroupEstimate, histogramQuantile, histogramStatistic, histogramInsight, meanInsight, worstGroups, normalise, bucketShare } from './engine/statistics.js';
export { threatModelOf, treatsAsPublic } from './engine/threat-model.js';
