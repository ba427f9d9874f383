/**
 * Real-valued releases without floating-point noise: snap the value to a power-of-two granularity
 * and add exact discrete noise in units of that granularity (Google, "Secure Noise Generation",
 * differential-privacy library; Mironov, CCS 2012, for the attack on textbook float Laplace).
 * The noise scale is rounded *up* to a short mantissa first, which only adds privacy.
 */
import { type Rng, checkRng } from './rng.js';
import { roundUpSignificant } from './rational.js';
import { makeDiscreteGaussianSampler, makeDiscreteLaplaceSampler } from './samplers.js';
import { checkFinite, checkNumber } from './validate.js';

export interface GranularNoise {
  /** the noise scale actually used (>= the one asked for) */
  readonly scale: number;
  /** the power of two every output is a multiple of */
  readonly granularity: number;
  /** the noise variance, including the snapping (uniform on ±granularity/2 at worst) */
  readonly variance: number;
  sample(value: number, rng: Rng): number;
}

const SCALE_RANGE = { ge: 2 ** -60, le: 2 ** 60 };

function snap(value: number, granularity: number): number {
  // value / granularity is exact (power of two); beyond 2^53 granules the value already is a multiple.
  return Math.round(value / granularity);
}

/** Laplace(scale) on the grid 2^(floor(log2 scale) - 30): the scale keeps 20 significant bits. */
export function makeSecureLaplace(scale: number): GranularNoise {
  checkNumber('scale', scale, SCALE_RANGE);
  const b = roundUpSignificant(scale, 20);
  const granularity = 2 ** (Math.floor(Math.log2(b)) - 30);
  const draw = makeDiscreteLaplaceSampler(b / granularity);
  const r = Math.exp(-granularity / b);
  return {
    scale: b,
    granularity,
    variance: ((2 * r) / ((1 - r) * (1 - r))) * granularity * granularity,
    sample(value, rng) {
      return (snap(value, granularity) + draw(rng)) * granularity;
    },
  };
}

/** Gaussian(sigma) on the grid 2^(floor(log2 sigma) - 10): sigma keeps 10 significant bits. */
export function makeSecureGaussian(sigma: number): GranularNoise {
  checkNumber('sigma', sigma, SCALE_RANGE);
  const s = roundUpSignificant(sigma, 10);
  const granularity = 2 ** (Math.floor(Math.log2(s)) - 10);
  const draw = makeDiscreteGaussianSampler(s / granularity);
  return {
    scale: s,
    granularity,
    variance: s * s,
    sample(value, rng) {
      return (snap(value, granularity) + draw(rng)) * granularity;
    },
  };
}

/** value + Laplace(scale) noise, drawn exactly on a power-of-two grid. */
export function secureLaplace(value: number, scale: number, rng: Rng): number {
  checkFinite('value', value);
  checkRng('rng', rng);
  return makeSecureLaplace(scale).sample(value, rng);
}

/** value + Gaussian(sigma) noise, drawn exactly on a power-of-two grid. */
export function secureGaussian(value: number, sigma: number, rng: Rng): number {
  checkFinite('value', value);
  checkRng('rng', rng);
  return makeSecureGaussian(sigma).sample(value, rng);
}
