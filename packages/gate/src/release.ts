/**
 * The `Release`: what a carrier receives for one round and why. Released buckets carry their
 * values (the raw noisy value and the post-processed one), suppressed buckets carry a reason code
 * and a human message, and the release carries the privacy loss it spent and every parameter used.
 */
import type { PrivacyLoss } from '@pinhole/core';
import type { ZcdpLoss } from '@pinhole/core/privacy';

/** Why a bucket (or a whole release) was not published. */
export type SuppressionReason =
  /** k-anonymity: fewer than k distinct contributors */
  | 'below_k'
  /** not selected by a differentially private bucket selection */
  | 'dp_selection'
  /** the round's cohort was below the minimum cohort size: nothing was unmasked or released */
  | 'min_cohort'
  /** the noise actually in the sum is below what the plan promised (e.g. too many dropouts) */
  | 'noise_below_plan'
  /** the secure-aggregation protocol of the round aborted before any sum was unmasked (a corrupt share, too few devices left for the threshold, a server restart it could not survive) */
  | 'round_aborted';

export const SUPPRESSION_REASONS: readonly SuppressionReason[] = Object.freeze(['below_k', 'dp_selection', 'min_cohort', 'noise_below_plan', 'round_aborted']);

/** The mechanism that made the release decision. */
export type GateMode = 'k_anonymity' | 'optimal_selection' | 'laplace_threshold' | 'gaussian_threshold' | 'noisy_count_threshold';

export interface ReleasedValue {
  /** the value with its noise, before post-processing (for k-anonymity: the exact value) */
  readonly raw: number;
  /** the published value after post-processing (e.g. clamped at 0) */
  readonly value: number;
  /** the noise added: 'none' (k-anonymity), 'discrete_laplace', 'discrete_gaussian', or an external name */
  readonly noise: string;
  /** the noise scale (Laplace scale, Gaussian sigma, ...); 0 without noise */
  readonly scale: number;
  /** the noise variance; 0 without noise */
  readonly variance: number;
}

export interface ReleasedBucket {
  readonly key: string;
  /** by value name, e.g. `contributors` (the noisy distinct-contributor count) or `count` */
  readonly values: Readonly<Record<string, ReleasedValue>>;
}

export interface SuppressedBucket {
  readonly key: string;
  readonly reason: SuppressionReason;
  /** for people; never contains the bucket's true count */
  readonly message: string;
}

/** One privacy cost inside a release (the selection, each noisy value). */
export interface ReleaseSpend {
  readonly label: string;
  readonly privacyLoss: PrivacyLoss;
  /** rho when the component is zero-concentrated DP (Gaussian noise), else null */
  readonly zcdp: ZcdpLoss | null;
}

/**
 * Which suppressed buckets are listed:
 * - 'domain': every key of the public domain that was not released is listed;
 * - 'input': every input key not released is listed (k-anonymity without a domain; listing a key
 *   reveals that it occurred in the data, one of the reasons k-anonymity is not private);
 * - 'withheld': DP selection without a public domain: the keys themselves are data, so suppressed
 *   keys (and their number) are not published.
 */
export type SuppressedListing = 'domain' | 'input' | 'withheld';

export interface Release {
  readonly mode: GateMode;
  /** false for k-anonymity alone: the release is NOT differentially private */
  readonly private: boolean;
  /** 'refused' when the whole release was withheld (min cohort, noise below plan) */
  readonly status: 'released' | 'refused';
  /** the reason for a refused release, else null */
  readonly refusal: { readonly reason: SuppressionReason; readonly message: string } | null;
  /** in domain order with a domain, else sorted by key (input order is data) */
  readonly released: readonly ReleasedBucket[];
  /** in domain order with a domain, else (k-anonymity) in input order */
  readonly suppressed: readonly SuppressedBucket[];
  readonly suppressedListing: SuppressedListing;
  /** the total privacy loss this release spent (sequential composition of `spends`); null if not private */
  readonly privacyLoss: PrivacyLoss | null;
  /**
   * the summed rho of the zCDP components (Gaussian noise), null if none; their non-zCDP parts
   * (a threshold's delta, Laplace noise) are only in `privacyLoss`
   */
  readonly zcdp: ZcdpLoss | null;
  readonly spends: readonly ReleaseSpend[];
  /** every parameter of the decision (selection, noise, thresholds, cohort rule) */
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** the cohort size the decision was told about, or null */
  readonly cohortSize: number | null;
  /** plain-language caveats (e.g. "k-anonymity alone is not differentially private") */
  readonly notes: readonly string[];
}

/** Deep-freezes a release so a carrier-facing object cannot be altered after the decision. */
export function freezeRelease(r: Release): Release {
  for (const b of r.released) {
    for (const v of Object.values(b.values)) Object.freeze(v);
    Object.freeze(b.values);
    Object.freeze(b);
  }
  for (const s of r.suppressed) Object.freeze(s);
  for (const s of r.spends) Object.freeze(s);
  Object.freeze(r.released);
  Object.freeze(r.suppressed);
  Object.freeze(r.spends);
  Object.freeze(r.parameters);
  Object.freeze(r.notes);
  if (r.refusal) Object.freeze(r.refusal);
  return Object.freeze(r);
}

/** The released bucket with the given key, or null (a convenience for carriers and tests). */
export function findReleased(release: Release, key: string): ReleasedBucket | null {
  for (const b of release.released) if (b.key === key) return b;
  return null;
}
