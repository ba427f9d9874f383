/**
 * The neighbour relation a DP bucket selection is calibrated for. Default: core's
 * NEIGHBOUR_RELATION, replace-one contributor, the relation a release that publishes its cohort
 * size can hold for (a contributor leaves up to l0 buckets and joins up to l0 others, so up to
 * 2·l0 buckets differ). 'add_remove' (up to l0 buckets differ) only holds while nothing publishes
 * how many contributors there were: a gate refuses it with a cohort size.
 */
import { type PrivacyLoss } from '@pinhole/core';
import { type NeighbourRelation, type ZcdpLoss, NEIGHBOUR_RELATION, discreteGaussianSigma, discreteGaussianSwapSigma, zcdpRhoFor, zcdpToEpsilon } from '@pinhole/core/privacy';
import { checkOneOf, invalid } from '@pinhole/core/validate';
import { roundUpSignificant } from '@pinhole/core/exact';

export type SelectionNeighbours = NeighbourRelation | 'add_remove';

export function readNeighbours(value: unknown): SelectionNeighbours {
  return value === undefined ? NEIGHBOUR_RELATION : checkOneOf('neighbours', value, [NEIGHBOUR_RELATION, 'add_remove'] as const);
}

/** The most buckets whose counts differ between neighbouring inputs, each by one. */
export function bucketsChanged(l0: number, neighbours: SelectionNeighbours): number {
  return neighbours === 'add_remove' ? l0 : 2 * l0;
}

export interface GaussianCalibration {
  readonly sigma: number;
  readonly privacyLoss: PrivacyLoss;
  /** rho when calibrated through zCDP (several values per contributor), else null */
  readonly zcdp: ZcdpLoss | null;
}

/**
 * The discrete-Gaussian sigma per value for (epsilon, delta)-DP when a contributor changes each of
 * up to l0 integer values by at most `sensitivity` (add/remove) or leaves l0 values and joins l0
 * others (replace-one). One value per contributor (l0 = 1) is calibrated on core's exact curves:
 * the pair of counts for replace-one (`discreteGaussianSwapSigma`, the sigma central plans use) or
 * the one count for add/remove (`discreteGaussianSigma`). Several values per contributor go
 * through zCDP (L2 = sensitivity·sqrt(values changed), `zcdpRhoFor`), sigma rounded up to 10 bits.
 * Sigmas above `maxSigma` are refused (param 'epsilon'): the exact curves cost O(sigma) per point.
 */
export function calibrateGaussian(
  epsilon: number,
  delta: number,
  shape: { readonly sensitivity: number; readonly l0: number; readonly neighbours: SelectionNeighbours },
  maxSigma: number,
): GaussianCalibration {
  const { sensitivity, l0, neighbours } = shape;
  const changed = bucketsChanged(l0, neighbours);
  const rho = zcdpRhoFor(epsilon, delta);
  if (!(rho > 0)) throw invalid('epsilon', 'an epsilon large enough for Gaussian noise at this delta', epsilon);
  // the zCDP sigma is an upper bound on the exact one, so it bounds the search's cost
  const zcdpSigma = roundUpSignificant((sensitivity * Math.sqrt(changed)) / Math.sqrt(2 * rho), 10);
  if (!(zcdpSigma <= 2 * maxSigma)) {
    throw invalid('epsilon', `an epsilon large enough that sigma <= ${maxSigma} (got sigma about ${zcdpSigma})`, epsilon);
  }
  if (l0 > 1) {
    if (!(zcdpSigma <= maxSigma)) throw invalid('epsilon', `an epsilon large enough that sigma <= ${maxSigma} (got sigma ${zcdpSigma})`, epsilon);
    const r = (sensitivity * sensitivity * changed) / (2 * zcdpSigma * zcdpSigma);
    return { sigma: zcdpSigma, privacyLoss: { epsilon: zcdpToEpsilon(r, delta), delta }, zcdp: { rho: r } };
  }
  const sigma = neighbours === 'add_remove' ? discreteGaussianSigma(epsilon, delta, sensitivity) : discreteGaussianSwapSigma(epsilon, delta, sensitivity);
  if (!(sigma <= maxSigma)) throw invalid('epsilon', `an epsilon large enough that sigma <= ${maxSigma} (got sigma ${sigma})`, epsilon);
  return { sigma, privacyLoss: { epsilon, delta }, zcdp: null };
}
