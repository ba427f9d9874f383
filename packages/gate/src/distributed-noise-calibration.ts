/**
 * Calibration of distributed noise: reads a noise plan's parameters, sizes one client's share so
 * that minSurvivors shares meet the target (epsilon, delta) for replace-one neighbours, and picks
 * the modulus bits for the stated wrap-around probability. The full plan (distributed-noise.ts)
 * and a device's share (distributed-noise-share.ts) both run it: a device recomputes the share
 * parameter and the modulus a collection plan states instead of trusting them. The privacy maps
 * are core's; the tails of summed shares are noise.ts. Proof: distributed-noise.proof.md.
 */
import { type PrivacyLoss, PinholeError } from '@pinhole/core';
import { type DistributedNoiseMechanism } from '@pinhole/core/plan';
import { replaceOneSensitivity, ddgPrivacy, skellamPrivacy } from '@pinhole/core/privacy';
import { checkBoolean, checkInteger, checkNumber, checkObject, checkOneOf, invalid } from '@pinhole/core/validate';
import { discreteGaussianVariance, SKELLAM_MAX_MU, SKELLAM_MIN_MU } from '@pinhole/core/samplers';
import { roundUpSignificant } from '@pinhole/core/exact';
import type { DistributedMechanism, DistributedNoiseParams, ShortfallPolicy } from './distributed-noise.js';
import { discreteGaussianSumTailBound, skellamTailBound } from './noise.js';

/** Default target for the probability that some coordinate of the noisy sum wraps mod 2^b. */
export const DEFAULT_WRAP_PROBABILITY = 2 ** -40;
/** Skellam shares keep 20 significant bits, so count · vectorLength · share stays an exact double. */
const SKELLAM_SHARE_BITS = 20;
/** The discrete Gaussian share must have sigma >= 1/2 (precondition of KLS 2021, Thm. 1 / Prop. 14). */
const DDG_MIN_SIGMA = 0.5;
/** Largest Poisson parameter (vectorLength · total mu) a plan samples: the exact sampler costs O(mu). */
const MAX_NOISE_MASS = 2 ** 32;

/** A noise plan's parameters, checked, with the shares and the modulus they resolve to. */
export interface SizedNoise {
  readonly mechanism: DistributedMechanism;
  /** the target epsilon (promised.epsilon is what the shares achieve, <= it) */
  readonly epsilon: number;
  readonly delta: number;
  /** the per-client norms */
  readonly l2: number;
  readonly l1: number;
  /** the sum's sensitivity for replace-one neighbours */
  readonly l2n: number;
  readonly l1n: number;
  /** vectorLength */
  readonly d: number;
  /** expectedClients */
  readonly n: number;
  /** minSurvivors */
  readonly m: number;
  readonly onShortfall: ShortfallPolicy;
  readonly bounds: readonly [number, number];
  readonly wrapTarget: number;
  readonly allowInsecure: boolean;
  readonly shareParameter: number;
  readonly shareVariance: number;
  /** the loss of the sum of m shares */
  readonly promised: PrivacyLoss;
  /** b of Z/2^b */
  readonly bits: number;
  readonly wrapBound: number;
}

/** The parameters a collection plan's resolved `distributed_noise` mechanism states. */
export function distributedNoiseParamsOf(m: DistributedNoiseMechanism, options: { readonly allowInsecureRng?: boolean }): DistributedNoiseParams {
  return {
    mechanism: m.noise,
    epsilon: m.epsilon,
    delta: m.delta,
    l2Sensitivity: m.l2Sensitivity,
    l1Sensitivity: m.l1Sensitivity,
    vectorLength: m.vectorLength,
    expectedClients: m.expectedClients,
    minSurvivors: m.minSurvivors,
    onShortfall: m.onShortfall,
    clientValueBounds: [m.clientValueBounds[0], m.clientValueBounds[1]],
    wrapProbability: m.wrapProbability,
    allowInsecureRng: options.allowInsecureRng ?? false,
  };
}

/** Smallest total mu (to 1e-6 relative, rounded up) with skellamPrivacy(mu).epsilon <= epsilon. */
function calibrateSkellam(epsilon: number, delta: number, l2: number, l1: number): number {
  const eps = (mu: number) => skellamPrivacy({ mu, l2Sensitivity: l2, l1Sensitivity: l1 }, delta).epsilon;
  let hi = 1;
  while (eps(hi) > epsilon) {
    hi *= 2;
    if (hi > 2 ** 60) throw invalid('epsilon', 'an epsilon Skellam noise can reach at this delta', epsilon);
  }
  let lo = hi / 2;
  while (lo > 2 ** -40 && eps(lo) <= epsilon) lo /= 2;
  while (hi - lo > 1e-6 * hi) {
    const mid = (lo + hi) / 2;
    if (eps(mid) <= epsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Smallest per-client sigma >= 1/2 (to 1e-6 relative) whose KLS bound for s summands meets epsilon. */
function calibrateDdg(epsilon: number, delta: number, l2: number, s: number, d: number): number {
  const eps = (sigma: number) => ddgPrivacy({ sigma, summands: s, l2Sensitivity: l2, dimension: d }, delta).epsilon;
  if (eps(DDG_MIN_SIGMA) <= epsilon) return DDG_MIN_SIGMA;
  let lo = DDG_MIN_SIGMA;
  let hi = 1;
  while (eps(hi) > epsilon) {
    lo = hi;
    hi *= 2;
    if (hi > 2 ** 30) throw invalid('epsilon', 'an epsilon the distributed discrete Gaussian can reach at this delta', epsilon);
  }
  while (hi - lo > 1e-6 * hi) {
    const mid = (lo + hi) / 2;
    if (eps(mid) <= epsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Checks a noise plan's parameters and resolves its shares and modulus (throws what makeDistributedNoisePlan throws). */
export function sizeDistributedNoise(params: DistributedNoiseParams): SizedNoise {
  checkObject('params', params);
  const mechanism = checkOneOf('mechanism', params.mechanism, ['skellam', 'discrete_gaussian'] as const);
  const epsilon = checkNumber('epsilon', params.epsilon, { gt: 0, le: 100 });
  const delta = checkNumber('delta', params.delta, { ge: 1e-100, lt: 1 });
  const l2 = checkNumber('l2Sensitivity', params.l2Sensitivity, { gt: 0, le: 2 ** 30 });
  const l1 = params.l1Sensitivity === undefined ? Math.max(l2, l2 * l2) : checkNumber('l1Sensitivity', params.l1Sensitivity, { ge: l2, le: 2 ** 40 });
  const d = checkInteger('vectorLength', params.vectorLength, { ge: 1, le: 2 ** 24 });
  const n = checkInteger('expectedClients', params.expectedClients, { ge: 1, le: 2 ** 30 });
  const m = params.minSurvivors === undefined ? n : checkInteger('minSurvivors', params.minSurvivors, { ge: 1, le: n });
  const onShortfall = checkOneOf('onShortfall', params.onShortfall, ['refuse', 'top_up'] as const);
  let bounds: [number, number];
  if (params.clientValueBounds === undefined) {
    const b = Math.floor(l2);
    bounds = [b === 0 ? 0 : -b, b];
  } else {
    const cb = params.clientValueBounds as unknown;
    if (!Array.isArray(cb) || cb.length !== 2) throw invalid('clientValueBounds', 'a pair [min, max] of integers with min <= 0 <= max', cb);
    const lo = checkInteger('clientValueBounds[0]', cb[0], { le: 0, ge: -(2 ** 31) });
    const hi = checkInteger('clientValueBounds[1]', cb[1], { ge: 0, le: 2 ** 31 - 1 });
    bounds = [lo === 0 ? 0 : lo, hi];
  }
  // the sum's sensitivity: one client's vector replaced by another within the same norms and bounds
  const { l2Sensitivity: l2n, l1Sensitivity: l1n } = replaceOneSensitivity({ l1, l2, nonNegative: bounds[0] >= 0 });
  const wrapTarget = params.wrapProbability === undefined ? DEFAULT_WRAP_PROBABILITY : checkNumber('wrapProbability', params.wrapProbability, { ge: 1e-300, lt: 1 });
  const allowInsecure = params.allowInsecureRng === undefined ? false : checkBoolean('allowInsecureRng', params.allowInsecureRng);

  // Shares: sized so that m of them carry the target noise.
  let shareParameter: number;
  let shareVariance: number;
  let promised: PrivacyLoss;
  let calibrated: number;
  if (mechanism === 'skellam') {
    calibrated = calibrateSkellam(epsilon, delta, l2n, l1n);
    // 20 significant bits, rounded up: never below the target, and sums of shares stay exact doubles
    shareParameter = roundUpSignificant(calibrated / m, SKELLAM_SHARE_BITS);
    shareVariance = 2 * shareParameter;
    if (!(n * d < 2 ** 33)) throw invalid('expectedClients', `a cohort with expectedClients · vectorLength < 2^33`, n);
    if (!(shareParameter * n * d <= MAX_NOISE_MASS)) {
      throw invalid('epsilon', `a target whose noise can be sampled (vectorLength · expectedClients · mu per share <= 2^32, got ${shareParameter * n * d})`, epsilon);
    }
    if (!(shareParameter * d >= SKELLAM_MIN_MU)) {
      throw invalid('expectedClients', `a cohort whose per-client share can be sampled exactly (vectorLength · mu per share >= 2^-20, got ${shareParameter * d})`, n);
    }
    promised = skellamPrivacy({ mu: m * shareParameter, l2Sensitivity: l2n, l1Sensitivity: l1n }, delta);
  } else {
    calibrated = calibrateDdg(epsilon, delta, l2n, m, d);
    // 10 significant bits, rounded up: more noise only, and the exact sampler's fast path
    shareParameter = roundUpSignificant(calibrated, 10);
    shareVariance = discreteGaussianVariance(shareParameter);
    promised = ddgPrivacy({ sigma: shareParameter, summands: m, l2Sensitivity: l2n, dimension: d }, delta);
  }
  if (!(promised.epsilon <= epsilon)) throw new PinholeError('invalid_state', 'epsilon', `calibration missed the target epsilon ${epsilon} (got ${promised.epsilon})`);
  // The plan describes the planned noise exactly (noise.ts, makeSkellamNoise) up to SKELLAM_MAX_MU,
  // which needs mu >= SKELLAM_MIN_MU: checked here, with that check's error, so a device's share
  // refuses what the plan refuses without building the description.
  const plannedMu = m * shareParameter;
  if (mechanism === 'skellam' && plannedMu <= SKELLAM_MAX_MU) checkNumber('mu', plannedMu, { ge: SKELLAM_MIN_MU, le: SKELLAM_MAX_MU });

  // Modulus bits: the true sum of s <= n clients lies in [n·lo, n·hi] (lo <= 0 <= hi), the noise of
  // s <= n shares has tails below those of n shares (Chernoff bounds grow with the count).
  const tailAll = (k: number) => (mechanism === 'skellam' ? skellamTailBound(n * shareParameter, k) : discreteGaussianSumTailBound(shareParameter, n, k));
  const vmax = n * bounds[1];
  const vmin = n * bounds[0];
  const wrapAt = (b: number): number => {
    const half = 2 ** (b - 1);
    return Math.min(1, d * (tailAll(half - vmax) + tailAll(half + 1 + vmin)));
  };
  let bits = 0;
  for (let b = 2; b <= 32; b++) {
    if (half(b) - 1 >= vmax && -half(b) <= vmin && wrapAt(b) <= wrapTarget) {
      bits = b;
      break;
    }
  }
  if (bits === 0) {
    throw invalid('expectedClients', `a cohort whose noisy sum fits in 32 bits with wrap probability <= ${wrapTarget}`, n);
  }
  const wrapBound = wrapAt(bits);
  return { mechanism, epsilon, delta, l2, l1, l2n, l1n, d, n, m, onShortfall, bounds, wrapTarget, allowInsecure, shareParameter, shareVariance, promised, bits, wrapBound };
}

function half(b: number): number {
  return 2 ** (b - 1);
}
