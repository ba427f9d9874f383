import { describe, expect, it } from 'vitest';
import {
  NEIGHBOUR_RELATION,
  NEIGHBOUR_STATEMENT,
  centralMeanSensitivity,
  discreteGaussianDelta,
  discreteGaussianSigma,
  discreteGaussianSwapDelta,
  discreteGaussianSwapSigma,
  replaceOneSensitivity,
} from '@pinhole/core/privacy';
import { gridStep } from './helpers.js';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';

/**
 * delta(epsilon) of N_Z(0, sigma^2) on two counts whose neighbours move d from one to the other,
 * by brute force over the convolution of the two noises: the loss of an output is
 * (d^2 + d(z1 + z2)) / sigma^2, delta = E[(1 - e^(epsilon - loss))_+]. Independent of the code
 * under test (which sums tails instead of the convolution).
 */
function bruteForce(sigma: number, epsilon: number, d: number): number {
  const K = Math.ceil(40 * sigma) + 2;
  const p = new Float64Array(2 * K + 1);
  let norm = 0;
  for (let z = -K; z <= K; z++) norm += p[z + K] = Math.exp((-z * z) / (2 * sigma * sigma));
  let delta = 0;
  for (let s = -2 * K; s <= 2 * K; s++) {
    const loss = (d * d + d * s) / (sigma * sigma);
    if (loss <= epsilon) continue;
    let mass = 0;
    for (let z1 = Math.max(-K, s - K); z1 <= Math.min(K, s + K); z1++) mass += (p[z1 + K] as number) * (p[s - z1 + K] as number);
    delta += (mass / (norm * norm)) * -Math.expm1(epsilon - loss);
  }
  return delta;
}

describe('the neighbour relation', () => {
  it('is replace-one, stated with the public cohort size', () => {
    expect(NEIGHBOUR_RELATION).toBe('replace_one');
    expect(NEIGHBOUR_STATEMENT).toMatch(/^replace-one device .*the cohort size is public$/);
  });

  it('replace-one sensitivities: sqrt(2)·L2 and 2·L1 for non-negative vectors, 2·L2 for signed ones', () => {
    expect(replaceOneSensitivity({ l1: 1, l2: 1 })).toEqual({ l1Sensitivity: 2, l2Sensitivity: Math.SQRT2 });
    // a secure-aggregation mean's [value, grid] slots: 2·grid in L2 (up to rounding), 4·grid in L1
    const mean = replaceOneSensitivity({ l1: 2048, l2: 1024 * Math.SQRT2 });
    expect(mean.l1Sensitivity).toBe(4096);
    expect(mean.l2Sensitivity).toBeCloseTo(2048, 10);
    expect(replaceOneSensitivity({ l1: 3, l2: 2, nonNegative: false })).toEqual({ l1Sensitivity: 6, l2Sensitivity: 4 });
    // the bound is reached: one-hot e_0 replaced by e_1
    const diff = [1, -1];
    expect(Math.hypot(...diff)).toBe(replaceOneSensitivity({ l1: 1, l2: 1 }).l2Sensitivity);
    expect(centralMeanSensitivity(1024)).toEqual({ sum: 1024 * Math.SQRT2, count: Math.SQRT2 });
  });

  it('refuses bad norms, naming them', () => {
    for (const bad of [...BAD_NUMBERS, 0, -1]) {
      expectPinholeError(() => replaceOneSensitivity({ l1: bad as number, l2: 1 }), 'invalid_argument', 'perDevice.l1');
      expectPinholeError(() => replaceOneSensitivity({ l1: 4, l2: bad as number }), 'invalid_argument', 'perDevice.l2');
    }
    expectPinholeError(() => replaceOneSensitivity({ l1: 1, l2: 2 }), 'invalid_argument', 'perDevice.l2'); // L2 <= L1 always
    expectPinholeError(() => replaceOneSensitivity({ l1: 1, l2: 1, nonNegative: 'yes' as never }), 'invalid_argument', 'perDevice.nonNegative');
    expectPinholeError(() => replaceOneSensitivity(null as never), 'invalid_argument', 'perDevice');
  });
});

describe('the discrete Gaussian on a device moving between two counts', () => {
  it('agrees with the brute-force convolution (relative 1e-9)', () => {
    for (const [sigma, epsilon, d] of [
      [0.5, 0.1, 1],
      [1, 1, 1],
      [3.3, 0.5, 1],
      [5, 2, 2],
      [2, 4, 3],
      [10, 0.3, 1],
      [4.2, 0, 1],
    ] as const) {
      const want = bruteForce(sigma, epsilon, d);
      expect(discreteGaussianSwapDelta(sigma, epsilon, d) / want, `sigma ${sigma}, epsilon ${epsilon}, d ${d}`).toBeCloseTo(1, 9);
    }
  });

  it('costs more than one count moved by one, and about as much as a move of sqrt(2) for large sigma', () => {
    for (const sigma of [1, 4, 16]) expect(discreteGaussianSwapDelta(sigma, 0.5)).toBeGreaterThan(discreteGaussianDelta(sigma, 0.5, 1));
    for (const [epsilon, delta] of [
      [0.5, 1e-6],
      [0.0625, 1.25e-7],
    ] as const) {
      // the continuous Gaussian's curve depends on sensitivity/sigma only: the ratio tends to sqrt(2)
      expect(discreteGaussianSwapSigma(epsilon, delta) / discreteGaussianSigma(epsilon, delta)).toBeCloseTo(Math.SQRT2, 2);
    }
  });

  it('the sigma meets delta, and one step of its 12-bit grid less does not', () => {
    for (const [epsilon, delta] of [
      [0.1, 1e-8],
      [1, 1e-6],
      [4, 1e-7],
      [8, 1e-5],
    ] as const) {
      const sigma = discreteGaussianSwapSigma(epsilon, delta);
      expect(discreteGaussianSwapDelta(sigma, epsilon)).toBeLessThanOrEqual(delta);
      expect(discreteGaussianSwapDelta(sigma - gridStep(sigma), epsilon)).toBeGreaterThan(delta);
    }
  });

  it('refuses bad parameters, naming them', () => {
    for (const bad of [...BAD_NUMBERS, 0, -1]) {
      expectPinholeError(() => discreteGaussianSwapDelta(bad as number, 1), 'invalid_argument', 'sigma');
      expectPinholeError(() => discreteGaussianSwapSigma(bad as number, 1e-6), 'invalid_argument', 'epsilon');
      expectPinholeError(() => discreteGaussianSwapSigma(1, bad as number), 'invalid_argument', 'delta');
    }
    expectPinholeError(() => discreteGaussianSwapDelta(1, -1), 'invalid_argument', 'epsilon');
    expectPinholeError(() => discreteGaussianSwapDelta(1, 1, 1.5), 'invalid_argument', 'sensitivity');
    expectPinholeError(() => discreteGaussianSwapSigma(1, 1e-6, 0), 'invalid_argument', 'sensitivity');
  });
});
