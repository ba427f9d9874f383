/**
 * Noisy-threshold DP bucket selection (Korolova, Kenthapadi, Mishra, Ntoulas, WWW 2009; Wilson et
 * al., PoPETs 2020; the Laplace and Gaussian baselines of Desfontaines et al., PoPETs 2022): add
 * integer noise Z to each bucket's distinct-contributor count n and release the bucket when
 * n + Z >= T. The noise makes the counts of buckets present with and without a contributor
 * (epsilon, delta_noise)-close; the threshold T is calibrated so a bucket that exists only because
 * of that contributor (n = 1) passes with probability <= delta_threshold / l0, so the <= l0 such
 * buckets add delta_threshold. The noisy count of a released bucket may be published as is.
 * - Laplace: discrete Laplace of scale l0/epsilon (L1 sensitivity l0), pure epsilon, delta = delta_threshold.
 * - Gaussian: discrete Gaussian with rho = l0 / (2 sigma^2) (L2 sensitivity sqrt(l0)), converted to
 *   (epsilon, delta_noise) with core's zCDP conversion; delta = delta_noise + delta_threshold.
 * - External: counts noised elsewhere (e.g. distributed noise through secure aggregation) with a
 *   described distribution and a stated privacy loss; the gate only thresholds.
 * Proof: noisy-threshold.proof.md.
 */
import {
  type PrivacyLoss,
  type Rng,
  type ZcdpLoss,
  checkInteger,
  checkNumber,
  checkObject,
  invalid,
  laplacePrivacy,
  roundUpSignificant,
  SAMPLER_MAX_SCALE,
  zcdpDelta,
  zcdpToEpsilon,
} from '@pinhole/core';
import { GAUSSIAN_TAIL_MAX_SIGMA, type NoiseDistribution, calibrateThreshold, discreteGaussianNoise, discreteLaplaceNoise } from './noise.js';

export interface ThresholdSelection {
  readonly kind: 'laplace_threshold' | 'gaussian_threshold' | 'noisy_count_threshold';
  readonly private: true;
  readonly noise: NoiseDistribution;
  /** release when the noisy count is >= threshold */
  readonly threshold: number;
  readonly l0: number;
  /** the delta spent by the threshold (buckets created by one contributor) */
  readonly thresholdDelta: number;
  /** the total (epsilon, delta) of one selection (noise + threshold) */
  readonly privacyLoss: PrivacyLoss;
  /** rho of the noise when it is zCDP (Gaussian), else null; the threshold's delta comes on top */
  readonly zcdp: ZcdpLoss | null;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly suppressionMessage: string;
  /** P[n + Z >= threshold], from the noise's tail */
  releaseProbability(contributors: number): number;
  /** n + Z (hot path; only when the gate samples the noise itself) */
  noisyCount(contributors: number, rng: Rng): number;
  passes(noisyCount: number): boolean;
  select(contributors: number, rng: Rng): boolean;
}

function readL0(value: unknown): number {
  return value === undefined ? 1 : checkInteger('l0', value, { ge: 1, le: 1 << 20 });
}

function build(
  kind: ThresholdSelection['kind'],
  noise: NoiseDistribution,
  threshold: number,
  l0: number,
  thresholdDelta: number,
  privacyLoss: PrivacyLoss,
  zcdp: ZcdpLoss | null,
  extra: Record<string, string | number | boolean>,
): ThresholdSelection {
  const sample = noise.sample;
  const noisyCount = (n: number, rng: Rng): number => {
    if (!sample) throw invalid('noise', 'a distribution with a sampler (this gate only thresholds counts noised elsewhere)', noise);
    return n + sample(rng);
  };
  return Object.freeze({
    kind,
    private: true as const,
    noise,
    threshold,
    l0,
    thresholdDelta,
    privacyLoss: Object.freeze({ ...privacyLoss }),
    zcdp: zcdp ? Object.freeze({ ...zcdp }) : null,
    parameters: Object.freeze({
      mode: kind,
      noise: noise.name,
      scale: noise.scale,
      threshold,
      l0,
      epsilon: privacyLoss.epsilon,
      delta: privacyLoss.delta,
      thresholdDelta,
      ...(zcdp ? { rho: zcdp.rho } : {}),
      ...extra,
    }),
    suppressionMessage: `not selected by DP bucket selection: noisy contributor count (${noise.name}, scale ${noise.scale}) below the threshold ${threshold}`,
    releaseProbability: (n: number) => noise.tail(threshold - checkInteger('contributors', n, { ge: 0 })),
    noisyCount,
    passes: (x: number) => x >= threshold,
    select: (n: number, rng: Rng) => noisyCount(n, rng) >= threshold,
  });
}

export interface LaplaceThresholdParams {
  readonly epsilon: number;
  /** the threshold's delta: a bucket with one contributor is released with probability <= delta / l0 */
  readonly delta: number;
  readonly l0?: number;
}

export function makeLaplaceThresholdSelection(params: LaplaceThresholdParams): ThresholdSelection {
  checkObject('params', params);
  const epsilon = checkNumber('epsilon', params.epsilon, { gt: 0, le: 100 });
  const delta = checkNumber('delta', params.delta, { ge: 1e-100, lt: 1 });
  const l0 = readL0(params.l0);
  // A scale rounded up to 20 significant bits: never less noise, and a fast exact sampler.
  const scale = roundUpSignificant(l0 / epsilon, 20);
  if (!(scale <= SAMPLER_MAX_SCALE)) throw invalid('epsilon', `an epsilon >= l0 / 2^40 (the exact sampler's largest scale)`, epsilon);
  const noise = discreteLaplaceNoise(scale);
  const threshold = calibrateThreshold(noise, (delta / l0) * (1 - 2 ** -50));
  const loss = laplacePrivacy({ scale, l1Sensitivity: l0 });
  return build('laplace_threshold', noise, threshold, l0, delta, { epsilon: loss.epsilon, delta }, null, {});
}

export interface GaussianThresholdParams {
  readonly epsilon: number;
  /** total delta: a share goes to the threshold, the rest to the Gaussian noise */
  readonly delta: number;
  readonly l0?: number;
  /** the share of delta given to the threshold, in (0, 1); default 0.5 */
  readonly thresholdDeltaShare?: number;
}

/** The largest rho whose CKS conversion gives (epsilon, delta)-DP (bisection on the monotone zcdpDelta). */
function maxRho(epsilon: number, delta: number): number {
  let lo = 0;
  let hi = epsilon; // zcdpDelta(epsilon, epsilon) > 1/2 > delta for every epsilon in range
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (zcdpDelta(mid, epsilon) <= delta) lo = mid;
    else hi = mid;
  }
  return lo;
}

export function makeGaussianThresholdSelection(params: GaussianThresholdParams): ThresholdSelection {
  checkObject('params', params);
  const epsilon = checkNumber('epsilon', params.epsilon, { gt: 0, le: 100 });
  const delta = checkNumber('delta', params.delta, { ge: 1e-100, lt: 1 });
  const l0 = readL0(params.l0);
  const share = params.thresholdDeltaShare === undefined ? 0.5 : checkNumber('thresholdDeltaShare', params.thresholdDeltaShare, { gt: 0, lt: 1 });
  const thresholdDelta = delta * share;
  const noiseDelta = delta - thresholdDelta;
  const rhoMax = maxRho(epsilon, noiseDelta);
  if (!(rhoMax > 0)) throw invalid('epsilon', 'an epsilon large enough for Gaussian noise at this delta', epsilon);
  // sigma rounded up to 10 significant bits: more noise only, and the sampler's fast path.
  const sigma = roundUpSignificant(Math.sqrt(l0 / (2 * rhoMax)), 10);
  if (!(sigma <= GAUSSIAN_TAIL_MAX_SIGMA)) {
    throw invalid('epsilon', `an epsilon large enough that sigma <= ${GAUSSIAN_TAIL_MAX_SIGMA} (got sigma ${sigma})`, epsilon);
  }
  const noise = discreteGaussianNoise(sigma);
  const rho = l0 / (2 * sigma * sigma); // CKS Thm. 14 with L2 sensitivity sqrt(l0)
  const noiseEpsilon = zcdpToEpsilon(rho, noiseDelta);
  const threshold = calibrateThreshold(noise, (thresholdDelta / l0) * (1 - 2 ** -50));
  return build('gaussian_threshold', noise, threshold, l0, thresholdDelta, { epsilon: noiseEpsilon, delta }, { rho }, { noiseDelta });
}

export interface NoisyCountThresholdParams {
  /** the distribution of the noise already in the counts (as planned) */
  readonly noise: NoiseDistribution;
  /** the privacy loss of the noisy counts themselves (their accounting, e.g. distributed noise) */
  readonly noisePrivacyLoss: PrivacyLoss;
  /** rho of the noisy counts when zCDP, for the record */
  readonly noiseZcdp?: ZcdpLoss;
  readonly l0?: number;
  /** calibrate the threshold for this delta (a one-contributor bucket passes w.p. <= thresholdDelta / l0) ... */
  readonly thresholdDelta?: number;
  /** ... or use this integer threshold and report the delta it implies */
  readonly threshold?: number;
}

/** A threshold on counts noised elsewhere; the gate adds no noise. */
export function makeNoisyCountThreshold(params: NoisyCountThresholdParams): ThresholdSelection {
  checkObject('params', params);
  const noise = checkNoise(params.noise);
  const np = checkObject('noisePrivacyLoss', params.noisePrivacyLoss);
  const noiseEpsilon = checkNumber('noisePrivacyLoss.epsilon', np.epsilon, { ge: 0 });
  const noiseDelta = checkNumber('noisePrivacyLoss.delta', np.delta, { ge: 0, lt: 1 });
  let zcdp: ZcdpLoss | null = null;
  if (params.noiseZcdp !== undefined) {
    const z = checkObject('noiseZcdp', params.noiseZcdp);
    zcdp = { rho: checkNumber('noiseZcdp.rho', z.rho, { ge: 0 }) };
  }
  const l0 = readL0(params.l0);
  if ((params.thresholdDelta === undefined) === (params.threshold === undefined)) {
    throw invalid('thresholdDelta', 'exactly one of thresholdDelta and threshold', params.thresholdDelta);
  }
  let threshold: number;
  let thresholdDelta: number;
  if (params.threshold !== undefined) {
    threshold = checkInteger('threshold', params.threshold, { ge: 1 });
    thresholdDelta = Math.min(1, l0 * noise.tail(threshold - 1) * (1 + 1e-9));
    if (!(thresholdDelta < 1)) throw invalid('threshold', 'a threshold a one-contributor bucket passes with probability < 1/l0', threshold);
  } else {
    thresholdDelta = checkNumber('thresholdDelta', params.thresholdDelta, { ge: 1e-100, lt: 1 });
    threshold = calibrateThreshold(noise, (thresholdDelta / l0) * (1 - 2 ** -50));
  }
  const delta = noiseDelta + thresholdDelta;
  if (!(delta < 1)) throw invalid('thresholdDelta', 'a delta that keeps the total delta below 1', thresholdDelta);
  return build('noisy_count_threshold', noise, threshold, l0, thresholdDelta, { epsilon: noiseEpsilon, delta }, zcdp, { noiseDelta });
}

function checkNoise(value: unknown): NoiseDistribution {
  const o = checkObject('noise', value);
  if (typeof o.name !== 'string' || o.name.length === 0) throw invalid('noise.name', 'a non-empty string', o.name);
  checkNumber('noise.scale', o.scale, { gt: 0 });
  checkNumber('noise.variance', o.variance, { gt: 0 });
  if (typeof o.tail !== 'function') throw invalid('noise.tail', 'a function k -> P[Z >= k]', o.tail);
  if (o.sample !== undefined && typeof o.sample !== 'function') throw invalid('noise.sample', 'a function of an Rng', o.sample);
  return o as unknown as NoiseDistribution;
}
