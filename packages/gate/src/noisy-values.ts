/**
 * Noisy values for released buckets: exact discrete Laplace or discrete Gaussian noise (samplers of
 * @pinhole/core, Canonne-Kamath-Steinke 2020) added to integer counts or integer (fixed-point) sums
 * whose sensitivity over all buckets the caller states:
 * - discrete Laplace of scale l1Sensitivity / epsilon: epsilon-DP (pure);
 * - discrete Gaussian on core's exact (epsilon, delta) curve when a contributor changes one value
 *   by at most `sensitivity` (add/remove) or moves it to another value (replace-one, the default):
 *   the sigma central plans use for the same (epsilon, delta, sensitivity); with several values
 *   per contributor (l0 > 1), through zCDP (CKS 2020, Thm. 14 and Prop. 12).
 * Each noised set of values is recorded in a PrivacyAccountant when one is passed (zCDP spends as
 * their rho, so they compose tightly). Proof: noisy-values.proof.md.
 */
import { type PrivacyAccountant, type PrivacyLoss, type Rng, cryptoRng, requireSecureRng } from '@pinhole/core';
import { type ZcdpLoss, laplacePrivacy } from '@pinhole/core/privacy';
import { checkBoolean, checkNumber, checkObject, checkOneOf, checkString, checkInteger, invalid } from '@pinhole/core/validate';
import { roundUpSignificant } from '@pinhole/core/exact';
import { SAMPLER_MAX_SCALE } from '@pinhole/core/samplers';
import { type BucketValues, readBucketIntegers } from './input.js';
import { type SelectionNeighbours, calibrateGaussian, readNeighbours } from './neighbours.js';
import { GAUSSIAN_TAIL_MAX_SIGMA, type NoiseDistribution, makeDiscreteGaussianNoise, makeDiscreteLaplaceNoise } from './noise.js';
import type { ReleasedValue } from './release.js';

export type NoisyValuesParams =
  | {
      readonly noise: 'discrete_laplace';
      readonly epsilon: number;
      /** the most one contributor changes the values, summed over all buckets (L1) */
      readonly l1Sensitivity: number;
      /** clamp published values at 0 (counts); default true */
      readonly nonNegative?: boolean;
    }
  | {
      readonly noise: 'discrete_gaussian';
      readonly epsilon: number;
      readonly delta: number;
      /** the most one contributor adds to one value (an integer; 1 for counts) */
      readonly sensitivity: number;
      /** the most values one contributor adds to; default 1 (the exact curves need 1) */
      readonly l0?: number;
      /** default 'replace_one' (a contributor moves to other values); 'add_remove' only if nothing publishes the cohort size */
      readonly neighbours?: SelectionNeighbours;
      readonly nonNegative?: boolean;
    };

export interface NoisyValues {
  readonly noise: NoiseDistribution;
  readonly privacyLoss: PrivacyLoss;
  readonly zcdp: ZcdpLoss | null;
  readonly nonNegative: boolean;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** the noise variance of each value (the formula of noisy-values.proof.md) */
  variance(): number;
  /** raw + post-processed value for one integer (hot path: not validated) */
  noisy(value: number, rng: Rng): ReleasedValue;
  /** noises every value, after validating all of them, and records one spend in `accountant` */
  apply(values: BucketValues, options?: ApplyOptions): Map<string, ReleasedValue>;
}

export interface ApplyOptions {
  readonly rng?: Rng;
  readonly allowInsecureRng?: boolean;
  readonly accountant?: PrivacyAccountant;
  readonly label?: string;
}

export function makeNoisyValues(params: NoisyValuesParams): NoisyValues {
  const p = checkObject('params', params);
  const kind = checkOneOf('noise', p.noise, ['discrete_laplace', 'discrete_gaussian'] as const);
  const epsilon = checkNumber('epsilon', p.epsilon, { gt: 0, le: 100 });
  const nonNegative = p.nonNegative === undefined ? true : checkBoolean('nonNegative', p.nonNegative);
  let noise: NoiseDistribution;
  let privacyLoss: PrivacyLoss;
  let zcdp: ZcdpLoss | null = null;
  let sensitivity: number;
  let extra: Record<string, string | number> = {};
  if (kind === 'discrete_laplace') {
    sensitivity = checkNumber('l1Sensitivity', p.l1Sensitivity, { gt: 0, le: 2 ** 30 });
    const scale = roundUpSignificant(sensitivity / epsilon, 20);
    if (!(scale <= SAMPLER_MAX_SCALE)) throw invalid('epsilon', "an epsilon >= l1Sensitivity / 2^40 (the exact sampler's largest scale)", epsilon);
    noise = makeDiscreteLaplaceNoise(scale);
    privacyLoss = laplacePrivacy({ scale, l1Sensitivity: sensitivity });
  } else {
    const delta = checkNumber('delta', p.delta, { ge: 1e-100, lt: 1 });
    sensitivity = checkInteger('sensitivity', p.sensitivity, { ge: 1, le: 2 ** 20 });
    const l0 = p.l0 === undefined ? 1 : checkInteger('l0', p.l0, { ge: 1, le: 1 << 20 });
    const neighbours = readNeighbours(p.neighbours);
    const calibration = calibrateGaussian(epsilon, delta, { sensitivity, l0, neighbours }, GAUSSIAN_TAIL_MAX_SIGMA);
    noise = makeDiscreteGaussianNoise(calibration.sigma);
    zcdp = calibration.zcdp ? Object.freeze({ ...calibration.zcdp }) : null;
    privacyLoss = calibration.privacyLoss;
    extra = { l0, neighbours };
  }
  privacyLoss = Object.freeze({ ...privacyLoss });
  const sample = noise.sample as (rng: Rng) => number;
  const variance = noise.variance;
  const noisy = (value: number, rng: Rng): ReleasedValue => {
    const raw = value + sample(rng);
    return { raw, value: nonNegative && raw < 0 ? 0 : raw, noise: noise.name, scale: noise.scale, variance };
  };
  const spend = zcdp ?? privacyLoss;
  return Object.freeze({
    noise,
    privacyLoss,
    zcdp,
    nonNegative,
    parameters: Object.freeze({
      noise: noise.name,
      scale: noise.scale,
      sensitivity,
      ...extra,
      epsilon: privacyLoss.epsilon,
      delta: privacyLoss.delta,
      ...(zcdp ? { rho: zcdp.rho } : {}),
      nonNegative,
    }),
    variance: () => variance,
    noisy,
    apply(values: BucketValues, options: ApplyOptions = {}): Map<string, ReleasedValue> {
      checkObject('options', options);
      const data = readBucketIntegers('values', values);
      const rng = requireSecureRng(options.rng ?? cryptoRng(), options.allowInsecureRng);
      const label = options.label === undefined ? 'gate noisy values' : checkString('label', options.label, { maxLength: 200 });
      if (options.accountant !== undefined) {
        const acc = options.accountant as unknown as { spend?: unknown };
        if (typeof acc !== 'object' || acc === null || typeof acc.spend !== 'function') {
          throw invalid('accountant', 'a PrivacyAccountant', options.accountant);
        }
        options.accountant.spend(spend, label); // throws budget_exceeded before any noise is drawn
      }
      const out = new Map<string, ReleasedValue>();
      for (const [k, v] of data) out.set(k, Object.freeze(noisy(v, rng)));
      return out;
    },
  });
}
