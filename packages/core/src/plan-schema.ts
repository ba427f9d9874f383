/**
 * The collection plan document: its format constants and types, and the shape of a mode's rule.
 * The checks are in plan-check.ts (what a device applies: the shared fields, local DP and central)
 * and plan-modes.ts (secure aggregation, Prio3 and the server's checkPlan); the budget arithmetic
 * in plan-budget.ts. plan.ts gathers them.
 */
import type { PrivacyLoss } from './privacy-maps.js';
import type { Collection, InsightDomains } from './insights.js';
import type { NeighbourRelation } from './neighbours.js';

export const PLAN_FORMAT = 'pinhole-plan';
export const PLAN_VERSION = 1;
export const SUPPORTED_PLAN_VERSIONS: readonly number[] = Object.freeze([1]);

/**
 * Where the noise comes from: on the device, in the sum of secure aggregation, at a trusted
 * curator, or split between two non-colluding aggregators that verify Prio3 reports (prio3).
 */
export const PLAN_MODES = Object.freeze(['ldp', 'secagg', 'central', 'prio3'] as const);
export type PlanMode = (typeof PLAN_MODES)[number];

/** The frequency oracles and numeric mechanisms of @pinhole/ldp a plan may name (a test keeps them in step). */
export const PLAN_ORACLES = Object.freeze(['grr', 'sue', 'oue', 'blh', 'olh', 'subset-selection', 'hadamard-response', 'hadamard-one-bit'] as const);
export type PlanOracleName = (typeof PLAN_ORACLES)[number];
export const PLAN_NUMERIC_MECHANISMS = Object.freeze(['laplace', 'duchi', 'piecewise', 'hybrid', 'square-wave'] as const);
export type PlanNumericName = (typeof PLAN_NUMERIC_MECHANISMS)[number];
export const PLAN_DISTRIBUTED_NOISE = Object.freeze(['skellam', 'discrete_gaussian'] as const);
export const PLAN_SHORTFALL_POLICIES = Object.freeze(['refuse', 'top_up'] as const);
/** honest_but_curious: the server follows the protocol; key_directory: clients check peers' keys with a directory the server cannot forge. */
export const SECAGG_THREAT_MODELS = Object.freeze(['honest_but_curious', 'key_directory'] as const);
export type SecaggThreatModel = (typeof SECAGG_THREAT_MODELS)[number];
/**
 * estimate_threshold: a group is released when its estimated number of contributors (the noisy or
 * unbiased total of the release itself) reaches k. Over a public domain that is post-processing of
 * the private estimates and costs no budget.
 */
export const PLAN_GATE_MODES = Object.freeze(['estimate_threshold'] as const);

/**
 * How a local-DP histogram collection behaves across rounds: `per_value` (the default) draws one
 * report per true bucket and reuses it for every round of the memo's scope (RAPPOR's permanent
 * randomized response), so averaging rounds learns no more about an unchanged value than one report
 * does; `none` perturbs afresh every round. Either way every round is charged to the device's ledger.
 */
export const PLAN_MEMO = Object.freeze(['per_value', 'none'] as const);
export type PlanMemo = (typeof PLAN_MEMO)[number];

/**
 * The plan's longitudinal statement. `charge: every_round`: each round charges every device its
 * round loss, so a device spends at most `budget` per period (over k periods, k times that);
 * `memoScope: plan_revision`: a memoised report lives as long as the plan id and revision.
 */
export interface PlanLongitudinal {
  readonly charge: 'every_round';
  readonly memoScope: 'plan_revision';
}
export const PLAN_LONGITUDINAL: PlanLongitudinal = Object.freeze({ charge: 'every_round', memoScope: 'plan_revision' });

export interface PlanBudget {
  /** per device, per period: the most any device spends in one period */
  readonly epsilon: number;
  readonly delta: number;
  readonly periodSeconds: number;
  /** ISO 8601 UTC; periods are [start + i·length, start + (i+1)·length) */
  readonly periodStart: string;
}

export interface PlanSchedule {
  /** at most this many rounds in one period */
  readonly roundsPerPeriod: number;
  /** a round closes this long after it opens (null: only by report count) */
  readonly roundSeconds: number | null;
  /** a round closes once this many reports arrived (null: only by time) */
  readonly closeAtReports: number | null;
}

/** The public domains, declared (never interned from the data), plus each cell's region when the plan knows it. */
export interface PlanDomains extends InsightDomains {
  readonly cellRegions?: readonly string[];
}

export interface PlanGate {
  readonly mode: 'estimate_threshold';
  readonly k: number;
}

export interface OracleMechanism {
  readonly kind: 'oracle';
  readonly name: PlanOracleName;
  readonly epsilon: number;
  readonly domainSize: number;
}

export interface NumericMechanismSpec {
  readonly kind: 'numeric';
  readonly name: PlanNumericName;
  readonly epsilon: number;
  /** a device clamps its mean into [lo, hi] and maps it onto [-1, 1] */
  readonly bounds: readonly [number, number];
}

export interface CentralHistogramMechanism {
  readonly kind: 'discrete_gaussian';
  readonly epsilon: number;
  readonly delta: number;
  /** per count; a device moving to another bucket changes two counts by one (discreteGaussianSwapSigma) */
  readonly sigma: number;
}

export interface CentralMeanMechanism {
  readonly kind: 'discrete_gaussian';
  readonly epsilon: number;
  readonly delta: number;
  readonly bounds: readonly [number, number];
  /** values map onto the integers [0, grid]; a device moving to another group changes two sums by <= grid and two counts by 1 (centralMeanSensitivity) */
  readonly grid: number;
  readonly sigmaSum: number;
  readonly sigmaCount: number;
}

/**
 * The inputs of @pinhole/gate's makeDistributedNoisePlan, plus what it resolved (shareParameter,
 * modulusBits) so both sides can check that they computed the same shares.
 */
export interface DistributedNoiseMechanism {
  readonly kind: 'distributed_noise';
  readonly noise: (typeof PLAN_DISTRIBUTED_NOISE)[number];
  /** the promised loss of the released sum with at least minSurvivors shares */
  readonly epsilon: number;
  readonly delta: number;
  /** the largest norms of one device's vector; the noise is calibrated for replace-one from them (replaceOneSensitivity) */
  readonly l2Sensitivity: number;
  readonly l1Sensitivity: number;
  readonly vectorLength: number;
  readonly expectedClients: number;
  readonly minSurvivors: number;
  readonly onShortfall: (typeof PLAN_SHORTFALL_POLICIES)[number];
  readonly clientValueBounds: readonly [number, number];
  readonly wrapProbability: number;
  readonly shareParameter: number;
  readonly modulusBits: number;
  /** mean collections: the value range and the integer grid [0, grid] */
  readonly bounds?: readonly [number, number];
  readonly grid?: number;
}

/** The Prio3 VDAFs (draft-irtf-cfrg-vdaf-20) a plan may name. */
export const PLAN_PRIO3_VDAFS = Object.freeze(['Prio3Histogram', 'Prio3SumVec'] as const);

/**
 * Two aggregators (a leader and a helper) verify each device's Prio3 report and sum the valid
 * ones; each adds discrete Gaussian noise N_Z(0, sigma^2) to its aggregate share before the
 * leader combines them. Histograms: Prio3Histogram over the domain (a report is provably one-hot);
 * means: Prio3SumVec of length 2 · groups with entries in [0, grid], the device's value on the
 * grid r and grid - r in its group's two slots (each entry provably within [0, grid]).
 */
export interface Prio3Mechanism {
  readonly kind: 'prio3';
  readonly vdaf: (typeof PLAN_PRIO3_VDAFS)[number];
  /** the measurement's length: domainSize (histograms) or 2 · groups (means) */
  readonly length: number;
  /** means: the largest entry (= grid); histograms: 1 */
  readonly maxMeasurement: number;
  readonly chunkLength: number;
  readonly noise: 'discrete_gaussian';
  /** each aggregator's noise parameter: both add N_Z(0, sigma^2) per coordinate */
  readonly sigma: number;
  /** the release's loss against carriers, with both aggregators' noise (two-party distributed discrete Gaussian) */
  readonly epsilon: number;
  readonly delta: number;
  /** one device's largest change of the summed vector in L2 (replace-one) */
  readonly l2Sensitivity: number;
  /** the loss against one aggregator (or one colluding with carriers): only the other's noise protects the sum */
  readonly aggregatorEpsilon: number;
  readonly bounds?: readonly [number, number];
  readonly grid?: number;
}

/** The secure-aggregation public parameters a client recomputes its floors from (secAggPlusParameters). */
export interface PlanSecagg {
  readonly cohort: number;
  readonly dropoutRate: number;
  readonly corruptFraction: number;
  readonly securityBits: number;
  readonly correctnessBits: number;
  readonly threatModel: SecaggThreatModel;
  /**
   * key_directory only: the base URL of the key directory the plan's devices are expected to use.
   * A device checks keys with the directory its app trusts and refuses a plan naming another one;
   * the server may pre-check advertisements with it.
   */
  readonly keyDirectory?: string;
  readonly graph: 'harary' | 'complete';
  readonly degree: number;
  readonly threshold: number;
}

interface CollectionCommon {
  /** a collection of the catalogue (COLLECTIONS) */
  readonly id: string;
  readonly groups: number;
  readonly domainSize: number;
  /** what every device of a round is charged for this collection */
  readonly privacyLoss: PrivacyLoss;
  readonly gate: PlanGate;
  /** a round with fewer reports (secagg: survivors) for this collection is refused whole */
  readonly minCohort: number;
}

export type PlanCollection =
  | (CollectionCommon & { readonly kind: 'histogram'; readonly buckets: number; readonly mode: 'ldp'; readonly mechanism: OracleMechanism; readonly memo: PlanMemo })
  | (CollectionCommon & { readonly kind: 'mean'; readonly mode: 'ldp'; readonly mechanism: NumericMechanismSpec; readonly publicGroup: true })
  | (CollectionCommon & { readonly kind: 'histogram'; readonly buckets: number; readonly mode: 'central'; readonly mechanism: CentralHistogramMechanism })
  | (CollectionCommon & { readonly kind: 'mean'; readonly mode: 'central'; readonly mechanism: CentralMeanMechanism })
  | (CollectionCommon & { readonly kind: 'histogram'; readonly buckets: number; readonly mode: 'secagg'; readonly mechanism: DistributedNoiseMechanism; readonly secagg: PlanSecagg })
  | (CollectionCommon & { readonly kind: 'mean'; readonly mode: 'secagg'; readonly mechanism: DistributedNoiseMechanism; readonly secagg: PlanSecagg })
  | (CollectionCommon & { readonly kind: 'histogram'; readonly buckets: number; readonly mode: 'prio3'; readonly mechanism: Prio3Mechanism })
  | (CollectionCommon & { readonly kind: 'mean'; readonly mode: 'prio3'; readonly mechanism: Prio3Mechanism });

export interface Plan {
  readonly format: typeof PLAN_FORMAT;
  readonly version: number;
  readonly id: string;
  readonly revision: number;
  readonly description?: string;
  readonly privacyUnit: 'device';
  /**
   * the neighbour relation every collection's loss holds for: replace-one device (the cohort size
   * is public); optional in a document, always written
   */
  readonly neighbours: NeighbourRelation;
  /** how losses add up across rounds and what memoised reports cover; optional in a document, always written */
  readonly longitudinal: PlanLongitudinal;
  readonly budget: PlanBudget;
  readonly schedule: PlanSchedule;
  readonly domains: PlanDomains;
  readonly insights: readonly string[];
  readonly collections: readonly PlanCollection[];
}

/** A collection's fields every mode shares, checked; what a mode's rule checks its mechanism against. */
export interface CollectionFields {
  readonly param: string;
  /** the collection document and its mechanism document */
  readonly o: Readonly<Record<string, unknown>>;
  readonly mechanism: Readonly<Record<string, unknown>>;
  readonly catalogue: Collection;
  readonly kind: 'histogram' | 'mean';
  readonly groups: number;
  readonly buckets: number;
  readonly domainSize: number;
  readonly charged: PrivacyLoss;
  readonly minCohort: number;
  readonly base: { readonly id: string; readonly groups: number; readonly domainSize: number; readonly privacyLoss: PrivacyLoss; readonly gate: PlanGate; readonly minCohort: number };
}

/** Checks the mechanism (and the fields) of one collection mode; refuses by throwing. */
export type PlanModeRule = (c: CollectionFields) => PlanCollection;
export type PlanModeRules = Readonly<Partial<Record<PlanMode, PlanModeRule>>>;
