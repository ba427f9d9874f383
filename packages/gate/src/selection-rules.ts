/**
 * What the gate does differently for each kind of selection, one rule per kind: what a release
 * spends on it, how one bucket is decided, which buckets are kept and what is said about them. The
 * gate itself (gate.ts) validates, refuses whole releases and assembles the `Release`.
 */
import type { Rng } from '@pinhole/core';
import type { KAnonymity } from './k-anonymity.js';
import type { OptimalSelection } from './optimal-selection.js';
import type { ThresholdSelection } from './noisy-threshold.js';
import type { ReleasedValue, ReleaseSpend, SuppressionReason } from './release.js';

export type Selection = KAnonymity | OptimalSelection | ThresholdSelection;

export interface SelectionRule {
  /** what one release spends on the selection; null for k-anonymity */
  readonly spend: ReleaseSpend | null;
  /** the reason given for a withheld bucket */
  readonly reason: SuppressionReason;
  /** calibrated for add/remove neighbours: a release must not state its cohort size */
  readonly addRemove: boolean;
  /** contributors per device to keep when deciding from ids (at random, with the release's rng); null keeps all */
  readonly l0: number | null;
  /** the counts it takes are noisy already (drawn elsewhere): it needs a domain and refuses contributor ids */
  readonly noisyCounts: boolean;
  /** why the counts' noise is below the plan (a noisy-count threshold's settlement); null when it is not */
  readonly refusal: string | null;
  /** without a domain, keys with count 0 do not exist (a DP selection must not create them) */
  readonly skipZero: boolean;
  /** it draws from the rng per bucket */
  readonly needsRng: boolean;
  /** the published contributor counts are noisy ones that passed a threshold */
  readonly publishesNoisyCounts: boolean;
  /**
   * One bucket with `n` contributors (`present`: its key was in the counts): its released values,
   * or null when it is withheld. `rng` is set when `needsRng`.
   */
  decide(n: number, present: boolean, rng: Rng | null): Record<string, ReleasedValue> | null;
}

export function selectionRule(selection: Selection): SelectionRule {
  switch (selection.kind) {
    case 'k_anonymity':
      return kAnonymityRule(selection);
    case 'optimal_selection':
      return optimalSelectionRule(selection);
    case 'noisy_count_threshold':
      return noisyCountRule(selection);
    default:
      return thresholdRule(selection);
  }
}

/** Exact counts at least k are released as they are; nothing is spent and nothing is private. */
function kAnonymityRule(s: KAnonymity): SelectionRule {
  return {
    spend: null,
    reason: 'below_k',
    addRemove: false,
    l0: null,
    noisyCounts: false,
    refusal: null,
    skipZero: false,
    needsRng: false,
    publishesNoisyCounts: false,
    decide: (n) => (s.select(n) ? { contributors: { raw: n, value: n, noise: 'none', scale: 0, variance: 0 } } : null),
  };
}

/** A bucket is released with the optimal probability for its exact count; no count is published. */
function optimalSelectionRule(s: OptimalSelection): SelectionRule {
  return {
    spend: { label: `selection (${s.kind})`, privacyLoss: Object.freeze({ epsilon: s.epsilon, delta: s.delta }), zcdp: null },
    reason: 'dp_selection',
    addRemove: s.neighbours === 'add_remove',
    l0: s.l0,
    noisyCounts: false,
    refusal: null,
    skipZero: true,
    needsRng: true,
    publishesNoisyCounts: false,
    decide: (n, _present, rng) => (s.select(n, rng as Rng) ? {} : null),
  };
}

/** Laplace or Gaussian threshold: the exact count is noised here, and the noisy count published when it passes. */
function thresholdRule(s: ThresholdSelection): SelectionRule {
  return {
    spend: { label: `selection (${s.kind})`, privacyLoss: s.privacyLoss, zcdp: s.zcdp },
    reason: 'dp_selection',
    addRemove: s.neighbours === 'add_remove',
    l0: s.l0,
    noisyCounts: false,
    refusal: null,
    skipZero: true,
    needsRng: true,
    publishesNoisyCounts: true,
    decide(n, _present, rng) {
      const z = s.noisyCount(n, rng as Rng);
      return s.passes(z) ? { contributors: contributorValue(z, s) } : null;
    },
  };
}

/** Counts noised elsewhere (a settlement's round) are thresholded as they are; a domain key without a count is never released. */
function noisyCountRule(s: ThresholdSelection): SelectionRule {
  return {
    ...thresholdRule(s),
    noisyCounts: true,
    refusal: s.refusal,
    needsRng: false,
    decide: (n, present) => (present && s.passes(n) ? { contributors: contributorValue(n, s) } : null),
  };
}

function contributorValue(z: number, s: ThresholdSelection): ReleasedValue {
  return { raw: z, value: z < 0 ? 0 : z, noise: s.noise.name, scale: s.noise.scale, variance: s.noise.variance };
}
