/** Noise calibration for the central pipelines: the smallest noise meeting a target (epsilon, delta). */
import { discreteGaussianDelta } from '@pinhole/core';

/**
 * The smallest sigma (to 0.1 %) for which discrete Gaussian noise on a sensitivity-1 count is
 * (epsilon, delta)-DP, by the exact curve of CKS 2020 Thm. 7. One device changes one count by one
 * (add/remove), so the vector's privacy loss is this one-dimensional one.
 */
export function gaussianSigmaFor(epsilon: number, delta: number): number {
  // Every trial and collection of a run asks for the same few (epsilon, delta): bisect once each.
  const key = `${epsilon}/${delta}`;
  const cached = sigmaCache.get(key);
  if (cached !== undefined) return cached;
  const sigma = bisectSigma(epsilon, delta);
  sigmaCache.set(key, sigma);
  return sigma;
}

const sigmaCache = new Map<string, number>();

function bisectSigma(epsilon: number, delta: number): number {
  let lo = 1e-3;
  let hi = 1;
  while (discreteGaussianDelta(hi, epsilon, 1) > delta) hi *= 2;
  while (hi / lo > 1.001) {
    const mid = Math.sqrt(lo * hi);
    if (discreteGaussianDelta(mid, epsilon, 1) > delta) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The largest rho whose CKS conversion meets (epsilon, delta). */
export { zcdpRhoFor as rhoFor } from '@pinhole/core';
