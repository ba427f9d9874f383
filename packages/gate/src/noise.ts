/**
 * Integer noise distributions the gate thresholds against: their exact samplers come from
 * @pinhole/core (Canonne, Kamath, Steinke, NeurIPS 2020), their tails P[Z >= k] are computed here
 * so thresholds can be calibrated and release probabilities stated (exactly, or as upper bounds for
 * sums of distributed-noise shares beyond the exact range). Another package (distributed
 * noise through secure aggregation) can describe its own summed noise with the same interface and
 * hand the gate counts it noised itself.
 */
import { type Rng, PinholeError } from '@pinhole/core';
import {
  addSkellamVector,
  SAMPLER_MAX_SCALE,
  SAMPLER_MIN_SCALE,
  makeDiscreteGaussianSampler,
  discreteGaussianVariance,
  makeDiscreteLaplaceSampler,
  discreteLaplaceVariance,
  SKELLAM_MAX_MU,
  SKELLAM_MIN_MU,
  makeSkellamSampler,
} from '@pinhole/core/samplers';
import { checkNumber } from '@pinhole/core/validate';

/** A symmetric distribution on the integers. */
export interface NoiseDistribution {
  /** e.g. 'discrete_laplace', 'discrete_gaussian', or a caller's name ('skellam', ...) */
  readonly name: string;
  /** the scale reported in releases (Laplace scale, Gaussian sigma, ...) */
  readonly scale: number;
  readonly variance: number;
  /** P[Z >= k] for an integer k */
  tail(k: number): number;
  /** one exact draw, when the gate can add this noise itself */
  readonly sample?: (rng: Rng) => number;
}

/** Discrete Laplace: P[Z = z] ∝ exp(-|z| / scale). Tail q^k / (1 + q) for k >= 1, q = e^(-1/scale). */
export function makeDiscreteLaplaceNoise(scale: number): NoiseDistribution {
  checkNumber('scale', scale, { ge: SAMPLER_MIN_SCALE, le: SAMPLER_MAX_SCALE });
  const logQ = -1 / scale;
  const log1pQ = Math.log1p(Math.exp(logQ));
  const upper = (k: number) => Math.exp(k * logQ - log1pQ); // k >= 1
  const draw = makeDiscreteLaplaceSampler(scale);
  return Object.freeze({
    name: 'discrete_laplace',
    scale,
    variance: discreteLaplaceVariance(scale),
    tail: (k: number) => (k >= 1 ? upper(k) : 1 - upper(1 - k)),
    sample: draw,
  });
}

/**
 * Discrete Gaussian N_Z(0, sigma^2). The normaliser is summed from the pmf for sigma < 4 and is
 * sigma·sqrt(2 pi) from sigma >= 4 on (Poisson summation: the correction 2 e^(-2 pi^2 sigma^2) is
 * below 1e-130). Each tail is summed from k until the terms stop mattering (1e-18 of the running
 * sum): O(sigma) work, so thresholds are calibrated only for sigma <= GAUSSIAN_TAIL_MAX_SIGMA.
 */
export function makeDiscreteGaussianNoise(sigma: number): NoiseDistribution {
  checkNumber('sigma', sigma, { ge: SAMPLER_MIN_SCALE, le: SAMPLER_MAX_SCALE });
  const twoS2 = 2 * sigma * sigma;
  const w = (y: number) => Math.exp((-y * y) / twoS2);
  let z = 1;
  if (sigma >= 4) z = sigma * Math.sqrt(2 * Math.PI);
  else {
    for (let y = 1; ; y++) {
      const t = w(y);
      z += 2 * t;
      if (t === 0 || t < z * 1e-18) break;
    }
  }
  const upper = (k: number): number => {
    // k >= 1: terms decrease, stop when they no longer change the sum
    let s = 0;
    for (let y = k; ; y++) {
      const t = w(y);
      s += t;
      if (t === 0 || t < s * 1e-18) break;
    }
    return s / z;
  };
  return Object.freeze({
    name: 'discrete_gaussian',
    scale: sigma,
    // from sigma >= 8 the variance equals sigma^2 to double precision (same Poisson-summation bound)
    variance: sigma >= 8 ? sigma * sigma : discreteGaussianVariance(sigma),
    tail: (k: number) => (k >= 1 ? upper(k) : 1 - upper(1 - k)),
    sample: makeDiscreteGaussianSampler(sigma),
  });
}

/** The largest sigma for which the gate calibrates a threshold (tails cost O(sigma)). */
export const GAUSSIAN_TAIL_MAX_SIGMA = 2 ** 16;

/**
 * Symmetric Skellam Sk(mu, mu) = Poisson(mu) - Poisson(mu) (Agarwal, Kairouz, Liu, NeurIPS 2021):
 * P[Z = k] = e^(-2 mu) I_|k|(2 mu). A sum of independent Skellam shares is Skellam with the summed
 * mu, so this describes the total noise of distributed Skellam through secure aggregation.
 * The pmf comes from Miller's backward recurrence I_(k-1) = (2k/x) I_k + I_(k+1) (stable
 * downward), normalised by I_0 + 2 sum I_k = e^x, started at x + 40 sqrt(x) + 60, beyond which the
 * mass is below 1e-150 (far below the smallest delta the gate accepts, 1e-100 / 2^20) and is taken
 * as 0; tails are suffix sums (small terms first).
 */
export function makeSkellamNoise(mu: number): NoiseDistribution {
  checkNumber('mu', mu, { ge: SKELLAM_MIN_MU, le: SKELLAM_MAX_MU });
  const x = 2 * mu;
  const top = Math.ceil(x + 40 * Math.sqrt(x) + 60);
  const j = new Float64Array(top + 2);
  j[top] = 1e-300;
  for (let k = top; k >= 1; k--) {
    j[k - 1] = ((2 * k) / x) * (j[k] as number) + (j[k + 1] as number);
    if ((j[k - 1] as number) > 1e250) for (let i = k - 1; i <= top; i++) j[i] = (j[i] as number) * 1e-250;
  }
  let norm = j[0] as number;
  for (let k = 1; k <= top; k++) norm += 2 * (j[k] as number);
  // suffix[k] = P[Z >= k] for k >= 1, summed from the far tail inwards
  const suffix = new Float64Array(top + 2);
  for (let k = top; k >= 1; k--) suffix[k] = (suffix[k + 1] as number) + (j[k] as number) / norm;
  const upper = (k: number) => (k > top ? 0 : (suffix[k] as number));
  return Object.freeze({
    name: 'skellam',
    scale: mu,
    variance: 2 * mu,
    tail: (k: number) => (k >= 1 ? upper(k) : 1 - upper(1 - k)),
    sample: makeSkellamSampler(mu),
  });
}

/**
 * The smallest integer threshold T such that a bucket with one contributor passes (1 + Z >= T)
 * with probability at most `deltaPerBucket`: P[Z >= T - 1] <= deltaPerBucket. The float tail is
 * required to clear the target by a relative 1e-9, far above its rounding error.
 */
export function calibrateThreshold(noise: NoiseDistribution, deltaPerBucket: number): number {
  checkNumber('deltaPerBucket', deltaPerBucket, { gt: 0, lt: 1 });
  const ok = (t: number) => noise.tail(t - 1) * (1 + 1e-9) <= deltaPerBucket;
  // exponential search then bisection on the monotone tail
  let hi = 2;
  while (!ok(hi)) {
    hi *= 2;
    if (hi > 2 ** 50) {
      throw new PinholeError('invalid_argument', 'noise', `"noise" expected a distribution whose tail falls below ${deltaPerBucket}`);
    }
  }
  let lo = 1; // not ok: P[Z >= 0] >= 1/2 > deltaPerBucket would need deltaPerBucket >= 1/2
  if (ok(lo)) return lo;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (ok(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

// ---------------------------------------------------------------------------------------------
// Sums of distributed-noise shares: tail bounds and noise descriptions

/** Chernoff bound on P[Z >= k] for Z ~ Sk(mu, mu): exp(-(k asinh(k/2mu) - 2mu(sqrt(1+(k/2mu)^2) - 1))). */
export function skellamTailBound(mu: number, k: number): number {
  if (k <= 0) return 1;
  const r = k / (2 * mu);
  const exponent = k * Math.asinh(r) - 2 * mu * (Math.sqrt(1 + r * r) - 1);
  return Math.min(1, Math.exp(-exponent));
}

/** Sub-Gaussian bound on P[Z >= k] for a sum of `count` independent N_Z(0, sigma^2): exp(-k^2 / (2 count sigma^2)). */
export function discreteGaussianSumTailBound(sigma: number, count: number, k: number): number {
  if (k <= 0) return 1;
  return Math.min(1, Math.exp((-k * k) / (2 * count * sigma * sigma)));
}

/** Sk(mu): the gate's exact description up to core's SKELLAM_MAX_MU, beyond it tails are the Chernoff bound. */
export function skellamDistribution(mu: number): NoiseDistribution {
  if (mu <= SKELLAM_MAX_MU) return makeSkellamNoise(mu);
  return Object.freeze({
    name: 'skellam',
    scale: mu,
    variance: 2 * mu,
    // an upper bound for k >= 1 (what threshold calibration needs)
    tail: (k: number) => (k >= 1 ? skellamTailBound(mu, k) : 1 - skellamTailBound(mu, 1 - k)),
    sample: (rng: Rng) => {
      const out = new Int32Array(1);
      addSkellamVector(out, mu, rng);
      return out[0] as number;
    },
  });
}

/** The sum of `count` independent N_Z(0, sigma^2): variance exact, tails the sub-Gaussian upper bound. */
export function discreteGaussianSumDistribution(sigma: number, count: number): NoiseDistribution {
  const draw = makeDiscreteGaussianSampler(sigma);
  return Object.freeze({
    name: 'distributed_discrete_gaussian',
    scale: sigma * Math.sqrt(count),
    variance: count * discreteGaussianVariance(sigma),
    tail: (k: number) => (k >= 1 ? discreteGaussianSumTailBound(sigma, count, k) : 1 - discreteGaussianSumTailBound(sigma, count, 1 - k)),
    sample: (rng: Rng) => {
      let z = 0;
      for (let i = 0; i < count; i++) z += draw(rng);
      return z;
    },
  });
}
