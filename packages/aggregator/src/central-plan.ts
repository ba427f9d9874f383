/**
 * A central-DP collection: the aggregator sees the true sums and adds discrete Gaussian noise
 * before release (approximate DP, so delta > 0).
 */
import { type PlanCollection, type PrivacyLoss } from '@pinhole/core';
import { centralMeanSensitivity, discreteGaussianSwapSigma, zcdpRhoFor } from '@pinhole/core/privacy';
import { checkInteger, checkObject, invalid } from '@pinhole/core/validate';
import { roundUpSignificant } from '@pinhole/core/exact';
import { type CentralOptions, type CollectionBase, type CollectionLayout, MEAN_MAX_GRID, only } from './plan-options.js';

/** A central collection's discrete Gaussian: one sigma for histogram counts, a sum and a count sigma for means. */
export function centralCollection(collection: string, layout: CollectionLayout, budget: PrivacyLoss, opts: CentralOptions | undefined, base: CollectionBase): PlanCollection {
  const { groups, domainSize, k, minCohort } = base;
  const gate = { mode: 'estimate_threshold' as const, k };
  if (!(budget.delta > 0)) throw invalid('budget.delta', 'a delta > 0 (the discrete Gaussian is approximate DP)', budget.delta);
  const c = opts === undefined ? {} : checkObject('central', opts);
  only('central', c, ['meanGrid']);
  if (layout.kind === 'histogram') {
    return {
      id: collection,
      kind: 'histogram',
      groups,
      buckets: layout.buckets,
      domainSize,
      mode: 'central',
      privacyLoss: budget,
      gate,
      minCohort: minCohort ?? k,
      // one-hot counts: a device moving to another bucket changes two counts by 1 (the exact curve)
      mechanism: { kind: 'discrete_gaussian', epsilon: budget.epsilon, delta: budget.delta, sigma: discreteGaussianSwapSigma(budget.epsilon, budget.delta, 1) },
    };
  }
  const grid = c.meanGrid === undefined ? MEAN_MAX_GRID : checkInteger('central.meanGrid', c.meanGrid, { ge: 1, le: 2 ** 20 });
  // zCDP split equally between the sums and the counts; a device moving to another group changes
  // two sums by <= grid and two counts by 1 (replace-one); sigmas rounded up
  const rho = zcdpRhoFor(budget.epsilon, budget.delta);
  const sum = centralMeanSensitivity(grid);
  return {
    id: collection,
    kind: 'mean',
    groups,
    domainSize,
    mode: 'central',
    privacyLoss: budget,
    gate,
    minCohort: minCohort ?? k,
    mechanism: {
      kind: 'discrete_gaussian',
      epsilon: budget.epsilon,
      delta: budget.delta,
      bounds: layout.bounds as [number, number],
      grid,
      sigmaSum: roundUpSignificant(sum.sum / Math.sqrt(rho)),
      sigmaCount: roundUpSignificant(sum.count / Math.sqrt(rho)),
    },
  };
}
