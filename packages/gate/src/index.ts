/**
 * @pinhole/gate: the release decision per bucket. k-anonymity thresholds (not private on their
 * own), differentially private bucket selection (optimal partition selection, Laplace and Gaussian
 * noisy thresholds, thresholds on counts noised elsewhere), the minimum cohort rule, noisy values
 * for released buckets, and the `Release` that says what was published and why. Tuning constants
 * (table sizes, share widths, sampler limits) stay inside the package; DEFAULT_WRAP_PROBABILITY is
 * public as the documented default of a plan parameter.
 */
export {
  type Release,
  type ReleasedBucket,
  type ReleasedValue,
  type SuppressedBucket,
  type SuppressionReason,
  type SuppressedListing,
  type ReleaseSpend,
  type GateMode,
  SUPPRESSION_REASONS,
  findReleased,
} from './release.js';
export { type BucketValues, type ContributorIds, type CountContributorsOptions, countContributors } from './input.js';
export { type KAnonymity, type KAnonymityParams, makeKAnonymity } from './k-anonymity.js';
export { type OptimalSelection, type OptimalSelectionParams, makeOptimalSelection, optimalReleaseProbabilityClosedForm } from './optimal-selection.js';
export { type NoiseDistribution, makeDiscreteLaplaceNoise, makeDiscreteGaussianNoise, makeSkellamNoise, skellamTailBound, discreteGaussianSumTailBound, calibrateThreshold } from './noise.js';
export {
  type ThresholdSelection,
  type LaplaceThresholdParams,
  type GaussianThresholdParams,
  type NoisyCountThresholdParams,
  makeLaplaceThresholdSelection,
  makeGaussianThresholdSelection,
  makeNoisyCountThreshold,
} from './noisy-threshold.js';
export { type MinCohortRule, type MinCohortDecision, makeMinCohortRule, decideMinCohort, requireMinCohort } from './min-cohort.js';
export { type SelectionNeighbours } from './neighbours.js';
export { type NoisyValues, type NoisyValuesParams, type ApplyOptions, makeNoisyValues } from './noisy-values.js';
export { type Gate, type GateParams, type DecideOptions, makeGate } from './gate.js';
export type { Selection } from './selection-rules.js';
export {
  type DistributedMechanism,
  type ShortfallPolicy,
  type DistributedNoiseParams,
  type DistributedNoisePlan,
  type DistributedNoiseSettlement,
  type SettlementStatus,
  type FinishOptions,
  type FinishedSum,
  makeDistributedNoisePlan,
  distributedNoisePlanOf,
} from './distributed-noise.js';
export { DEFAULT_WRAP_PROBABILITY } from './distributed-noise-calibration.js';
export { type DistributedNoiseShare, distributedNoiseShareOf } from './distributed-noise-share.js';
export { boundCounts, countSensitivity, clipL1, clipL2, clipLinf, randomizedRound, roundedSensitivity } from './contribution-bounding.js';
