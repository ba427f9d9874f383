/**
 * What the engine publishes. A `CollectionRelease` is what a carrier reads for one collection of
 * one round: every group of the public domain, released with its post-processed estimates or
 * suppressed with a reason, the insight statistics computed from those estimates, what each device
 * was charged, the loss actually achieved against the carriers and against the aggregator, the
 * threat model and what the release treats as public. `RoundRelease` bundles a round.
 */
import type { PlanMode, PrivacyLoss } from '@pinhole/core';
import type { LongitudinalGuarantee } from '@pinhole/core/plan';
import type { NeighbourRelation } from '@pinhole/core/privacy';
import type { SuppressionReason } from '@pinhole/gate';

export const RELEASE_FORMAT = 'pinhole-release';
export const RELEASE_VERSION = 1;

export type ThreatModelKind = 'local_dp' | 'secure_aggregation' | 'central_curator' | 'two_aggregators';

export interface ThreatModel {
  readonly kind: ThreatModelKind;
  /** secure aggregation: 'honest_but_curious' or 'key_directory'; otherwise null */
  readonly variant: 'honest_but_curious' | 'key_directory' | null;
  /** who must be trusted, and with what */
  readonly trusted: string;
  readonly description: string;
}

export interface ReleasedGroup {
  /** the group's label in the public domain (e.g. "460-00|region-07") */
  readonly key: string;
  readonly released: boolean;
  /** why it was withheld; null when released */
  readonly reason: SuppressionReason | null;
  readonly message: string | null;
  /** released only: the estimated number of contributors the gate compared with k */
  readonly contributors: number | null;
  /** released histogram groups: post-processed counts per bucket (clipped at 0) */
  readonly counts: readonly number[] | null;
  /** released histogram groups: the unbiased (or noisy) counts before post-processing; may be negative */
  readonly rawCounts: readonly number[] | null;
  /** released mean groups: the mean clamped to the collection's bounds, null if not estimable */
  readonly mean: number | null;
  /** released mean groups: the estimate before clamping */
  readonly rawMean: number | null;
}

export type StatisticValue = number | readonly number[] | null;

export interface InsightRelease {
  readonly insight: string;
  readonly title: string;
  readonly statistic: 'distribution' | 'share' | 'quantile' | 'mean' | 'worst';
  /** per released group, in domain order; null where the estimate says nothing (e.g. all counts clipped to 0) */
  readonly groups: readonly { readonly key: string; readonly value: StatisticValue }[];
  /** the statistic over every released group pooled (counts added; means weighted by their contributors) */
  readonly overall: StatisticValue;
  /** worst-k insights: the released groups with at least minDevices estimated contributors, highest share first */
  readonly top: readonly { readonly key: string; readonly value: number }[] | null;
}

export interface CollectionRelease {
  readonly collection: string;
  readonly kind: 'histogram' | 'mean';
  readonly mode: PlanMode;
  readonly status: 'released' | 'refused';
  readonly refusal: { readonly reason: SuppressionReason; readonly message: string } | null;
  readonly privacyUnit: 'device';
  /** the neighbour relation the loss holds for, in words (central and secure aggregation: replace-one device, the cohort size public) */
  readonly neighbours: string;
  /** what every device of the round was charged for this collection (the plan's figure; charged when it reported) */
  readonly spent: PrivacyLoss;
  /**
   * the loss achieved in this round: against anyone who reads the release, and against the
   * aggregator itself (local DP: the reports' epsilon; secure aggregation: the unmasked sum before
   * any top-up; central: null, the curator sees everything)
   */
  readonly privacyLoss: { readonly release: PrivacyLoss; readonly aggregator: PrivacyLoss | null };
  readonly threatModel: ThreatModel;
  readonly treatsAsPublic: readonly string[];
  /** every parameter of the mechanism and the gate */
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** reports counted (secure aggregation: surviving devices) */
  readonly cohort: number;
  /** histogram: the bucket labels within a group; mean: null */
  readonly buckets: readonly string[] | null;
  /** mean: the unit of the values */
  readonly unit: string | null;
  /** central and secure aggregation: the variance of the noise in each count (or sum slot); local DP: null */
  readonly noiseVariance: number | null;
  /** every group of the public domain, in domain order (empty when refused) */
  readonly groups: readonly ReleasedGroup[];
  readonly insights: readonly InsightRelease[];
  readonly notes: readonly string[];
}

export interface RoundRelease {
  readonly format: typeof RELEASE_FORMAT;
  readonly version: number;
  readonly plan: { readonly id: string; readonly revision: number };
  readonly round: string;
  /** 'refused' when the round failed its minimum cohort: nothing of it is published */
  readonly status: 'released' | 'refused';
  readonly refusal: { readonly reason: SuppressionReason; readonly message: string } | null;
  readonly privacyUnit: 'device';
  /** the plan's neighbour relation: replace-one device, the cohort size (reports) public */
  readonly neighbours: NeighbourRelation;
  /** the plan's guarantee across rounds and periods: per round, per period, and per value for memoised collections */
  readonly longitudinal: LongitudinalGuarantee;
  /** what each device of the round was charged (all collections), whether or not the round was released */
  readonly spent: PrivacyLoss;
  /** reports accepted in the round (duplicates not counted) */
  readonly reports: number;
  readonly collections: readonly CollectionRelease[];
}

/** Deep-freezes a release object. */
export function freezeDeep<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x) && !ArrayBuffer.isView(x)) {
    for (const v of Object.values(x)) freezeDeep(v);
    Object.freeze(x);
  }
  return x;
}
