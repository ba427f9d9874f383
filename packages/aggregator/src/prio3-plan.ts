/**
 * Calibrating a prio3 collection: two aggregators each add discrete Gaussian noise N_Z(0, sigma^2)
 * to their aggregate share, so the release carries the sum of two such draws.
 * - Against carriers (both aggregators honest), the release is the two-party distributed discrete
 *   Gaussian of Kairouz, Liu, Steinke (ICML 2021): core's `ddgPrivacy` with 2 summands; sigma
 *   is the smallest (on 20 significant bits) that meets the collection's (epsilon, delta).
 * - Against one aggregator, or one colluding with carriers: it knows its own noise, so only the
 *   other's N_Z(0, sigma^2) protects the sum: `discreteGaussianPrivacy` (zCDP, CKS 2020) at the
 *   same delta, written into the plan as `aggregatorEpsilon`.
 * Sensitivity is for replace-one neighbours (the cohort size is public): a histogram device moves
 * one unit between two buckets (L2 = √2); a mean device moves its [r, grid - r] pair between two
 * groups (L2 <= 2 · grid).
 */
import { type PlanCollection, type PrivacyLoss } from '@pinhole/core';
import { checkInteger, checkObject, invalid } from '@pinhole/core/validate';
import { ddgPrivacy, discreteGaussianPrivacy } from '@pinhole/core/privacy';
import { roundUpSignificant } from '@pinhole/core/exact';

export interface Prio3Options {
  /** the integer grid of mean values (a SumVec entry is in [0, grid]); default 1024 */
  readonly meanGrid?: number;
  /** the FLP's chunk length; default about the square root of the encoded length */
  readonly chunkLength?: number;
}

export const PRIO3_MEAN_GRID = 1024;

/** Replace-one L2 sensitivity of a prio3 collection's summed vector. */
export function prio3Sensitivity(kind: 'histogram' | 'mean', grid: number): number {
  return kind === 'histogram' ? Math.SQRT2 : 2 * grid;
}

/** The release's loss with both aggregators' noise, and the loss against one aggregator. */
export function prio3PrivacyLoss(params: { sigma: number; l2Sensitivity: number; dimension: number }, delta: number): { release: PrivacyLoss; aggregator: PrivacyLoss } {
  return {
    release: ddgPrivacy({ sigma: params.sigma, summands: 2, l2Sensitivity: params.l2Sensitivity, dimension: params.dimension }, delta),
    aggregator: discreteGaussianPrivacy({ sigma: params.sigma, l2Sensitivity: params.l2Sensitivity }, delta),
  };
}

/** The smallest sigma (20 significant bits) whose two-party release meets (epsilon, delta). */
export function prio3Sigma(epsilon: number, delta: number, l2Sensitivity: number, dimension: number): number {
  const meets = (s: number) => prio3PrivacyLoss({ sigma: s, l2Sensitivity, dimension }, delta).release.epsilon <= epsilon;
  let lo = 2 ** -4;
  let hi = 1;
  while (!meets(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 2 ** 36) throw invalid('budget.epsilon', `an epsilon two aggregators' discrete Gaussian noise can reach with sigma <= 2^36 at delta ${delta}`, epsilon);
  }
  while (hi - lo > 1e-6 * hi) {
    const mid = (lo + hi) / 2;
    if (meets(mid)) hi = mid;
    else lo = mid;
  }
  let sigma = roundUpSignificant(hi, 20);
  while (!meets(sigma)) sigma = roundUpSignificant(sigma * (1 + 2 ** -20), 20);
  return sigma;
}

export function prio3Collection(
  collection: string,
  layout: { kind: 'histogram' | 'mean'; buckets: number; bounds: readonly [number, number] | null },
  budget: PrivacyLoss,
  options: Prio3Options,
  base: { groups: number; domainSize: number; k: number; minCohort: number | undefined },
): PlanCollection {
  const o = checkObject('prio3', options);
  for (const key of Object.keys(o)) if (!['meanGrid', 'chunkLength'].includes(key)) throw invalid(`prio3.${key}`, 'no such option (known: meanGrid, chunkLength)', o[key]);
  if (!(budget.delta > 0)) throw invalid('budget.delta', 'a delta > 0 (discrete Gaussian noise is approximate DP)', budget.delta);
  const isMean = layout.kind === 'mean';
  const grid = isMean ? (o.meanGrid === undefined ? PRIO3_MEAN_GRID : checkInteger('prio3.meanGrid', o.meanGrid, { ge: 1, le: 2 ** 20 })) : 1;
  const length = isMean ? 2 * base.groups : base.domainSize;
  const bitsLength = isMean ? length * Math.ceil(Math.log2(grid + 1)) : length;
  const chunkLength = o.chunkLength === undefined ? Math.max(1, Math.round(Math.sqrt(bitsLength))) : checkInteger('prio3.chunkLength', o.chunkLength, { ge: 1, le: bitsLength });
  const l2Sensitivity = prio3Sensitivity(layout.kind, grid);
  const sigma = prio3Sigma(budget.epsilon, budget.delta, l2Sensitivity, length);
  const loss = prio3PrivacyLoss({ sigma, l2Sensitivity, dimension: length }, budget.delta);
  const mechanism = {
    kind: 'prio3' as const,
    vdaf: isMean ? ('Prio3SumVec' as const) : ('Prio3Histogram' as const),
    length,
    maxMeasurement: grid,
    chunkLength,
    noise: 'discrete_gaussian' as const,
    sigma,
    epsilon: budget.epsilon,
    delta: budget.delta,
    l2Sensitivity,
    aggregatorEpsilon: Math.max(budget.epsilon, roundUpSignificant(loss.aggregator.epsilon, 20)),
    ...(isMean ? { bounds: layout.bounds as [number, number], grid } : {}),
  };
  const common = {
    id: collection,
    groups: base.groups,
    domainSize: base.domainSize,
    privacyLoss: budget,
    gate: { mode: 'estimate_threshold' as const, k: base.k },
    minCohort: base.minCohort ?? base.k,
  };
  return isMean ? { ...common, kind: 'mean', mode: 'prio3', mechanism } : { ...common, kind: 'histogram', buckets: layout.buckets, mode: 'prio3', mechanism };
}
