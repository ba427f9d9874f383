import { describe, expect, it } from 'vitest';
import { PrivacyAccountant } from '@pinhole/core';
import { discreteGaussianSigma, discreteGaussianSwapDelta, discreteGaussianSwapSigma, zcdpToEpsilon } from '@pinhole/core/privacy';
import { discreteGaussianVariance, discreteLaplaceVariance } from '@pinhole/core/samplers';
import { makeNoisyValues } from '@pinhole/gate';
import { expectPinholeError, referenceDiscreteGaussianDelta } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { twoSidedZ } from '@pinhole/core/stats';
import { countingRng } from './helpers.js';

const Z = twoSidedZ(1e-5); // each mean/variance check fails a correct sampler w.p. ~1e-5

/** Mean and variance of N noisy draws of `value` checked against 0 and variance(). */
function checkMoments(m: ReturnType<typeof makeNoisyValues>, seed: string): void {
  const rng = seededRng(seed);
  const N = 100_000;
  const value = 1_000_000; // far from 0: no clamping
  let s = 0;
  let s2 = 0;
  let s4 = 0;
  for (let i = 0; i < N; i++) {
    const d = m.noisy(value, rng).raw - value;
    s += d;
    s2 += d * d;
    s4 += d ** 4;
  }
  const v = m.variance();
  // mean: sd of the sample mean is sqrt(v / N)
  expect(Math.abs(s / N)).toBeLessThanOrEqual(Z * Math.sqrt(v / N));
  // variance (mean is 0 exactly): the sd of mean(d^2) is sqrt((E d^4 - v^2) / N), E d^4 estimated
  const varOfSq = s4 / N - v * v;
  expect(Math.abs(s2 / N - v)).toBeLessThanOrEqual(Z * Math.sqrt(varOfSq / N));
}

describe('noisy values', () => {
  it('discrete Laplace: scale l1/epsilon (rounded up), pure epsilon, variance from core', () => {
    const m = makeNoisyValues({ noise: 'discrete_laplace', epsilon: 0.7, l1Sensitivity: 3 });
    expect(m.noise.scale).toBeGreaterThanOrEqual(3 / 0.7);
    expect(m.privacyLoss.epsilon).toBeLessThanOrEqual(0.7);
    expect(m.privacyLoss.delta).toBe(0);
    expect(m.zcdp).toBeNull();
    expect(m.variance()).toBe(discreteLaplaceVariance(m.noise.scale));
    checkMoments(m, 'nv-lap');
  });

  it('discrete Gaussian, one value per contributor: the exact replace-one curve, the sigma central plans use', () => {
    const m = makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1, delta: 1e-6, sensitivity: 5 });
    expect(m.noise.scale).toBe(discreteGaussianSwapSigma(1, 1e-6, 5));
    expect(discreteGaussianSwapDelta(m.noise.scale, 1, 5)).toBeLessThanOrEqual(1e-6);
    expect(m.privacyLoss).toEqual({ epsilon: 1, delta: 1e-6 });
    expect(m.zcdp).toBeNull();
    const addRemove = makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1, delta: 1e-6, sensitivity: 5, neighbours: 'add_remove' });
    expect(addRemove.noise.scale).toBe(discreteGaussianSigma(1, 1e-6, 5));
    expect(m.noise.scale).toBeGreaterThan(8);
    expect(m.variance()).toBe(m.noise.scale ** 2); // sigma >= 8: exact to double precision
    expect(m.variance()).toBeCloseTo(discreteGaussianVariance(m.noise.scale), 9); // core's pmf sum
    checkMoments(m, 'nv-gauss');
  });

  it('replace-one with sums: smaller moves than (Δ, -Δ) cost no more (exact sums, Δ = 3)', () => {
    // a contributor's value leaves one sum (-a) and joins another (+b), 0 <= a, b <= 3
    const sigma = discreteGaussianSwapSigma(1, 1e-6, 3);
    // (3, 3) is (3, -3) mirrored: equal up to the order of summation, hence the 1e-12 slack
    const worst = referenceDiscreteGaussianDelta(sigma, 1, [3, -3]) * (1 + 1e-12);
    expect(worst).toBeLessThanOrEqual(1e-6);
    for (let a = 0; a <= 3; a++)
      for (let b = 0; b <= 3; b++) {
        if (a + b === 0) continue;
        expect(referenceDiscreteGaussianDelta(sigma, 1, [b, -a]), `(${b}, ${-a})`).toBeLessThanOrEqual(worst);
        expect(referenceDiscreteGaussianDelta(sigma, 1, [b, a]), `(${b}, ${a})`).toBeLessThanOrEqual(worst);
      }
  });

  it('discrete Gaussian, several values per contributor: rho = sensitivity^2 · 2 l0 / (2 sigma^2), epsilon from core’s zCDP conversion', () => {
    const m = makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1, delta: 1e-6, sensitivity: 5, l0: 3 });
    const rho = m.zcdp?.rho as number;
    expect(rho).toBeCloseTo((25 * 6) / (2 * m.noise.scale ** 2), 15);
    expect(m.privacyLoss.epsilon).toBeCloseTo(zcdpToEpsilon(rho, 1e-6), 12);
    expect(m.privacyLoss.epsilon).toBeLessThanOrEqual(1);
  });

  it('clamps published counts at 0 unless told not to, keeping the raw value', () => {
    const clamp = makeNoisyValues({ noise: 'discrete_laplace', epsilon: 0.1, l1Sensitivity: 1 });
    const keep = makeNoisyValues({ noise: 'discrete_laplace', epsilon: 0.1, l1Sensitivity: 1, nonNegative: false });
    const rng = seededRng('clamp');
    let sawNegative = false;
    for (let i = 0; i < 200; i++) {
      const a = clamp.noisy(0, rng);
      expect(a.value).toBe(Math.max(0, a.raw));
      if (a.raw < 0) sawNegative = true;
      const b = keep.noisy(0, rng);
      expect(b.value).toBe(b.raw);
    }
    expect(sawNegative).toBe(true); // P[no negative in 200 draws] = (~0.55)^200
  });

  it('apply() records one spend (rho for zCDP Gaussian, epsilon for Laplace) and refuses over budget without drawing', () => {
    const acc = new PrivacyAccountant({ budget: { epsilon: 2, delta: 1e-5 } });
    const g = makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1, delta: 1e-6, sensitivity: 1, l0: 2 });
    const out = g.apply({ a: 10, b: 20 }, { rng: seededRng('apply'), allowInsecureRng: true, accountant: acc, label: 'sums' });
    expect([...out.keys()]).toEqual(['a', 'b']);
    expect(acc.entries()[0]?.loss).toEqual({ rho: g.zcdp?.rho });
    const l = makeNoisyValues({ noise: 'discrete_laplace', epsilon: 1.9, l1Sensitivity: 1 });
    const rng = countingRng(seededRng('apply2'));
    expectPinholeError(() => l.apply({ a: 1 }, { rng, allowInsecureRng: true, accountant: acc }), 'budget_exceeded', 'loss');
    expect(rng.draws()).toBe(0);
    expect(acc.entries()).toHaveLength(1);
  });

  it('apply() refuses a seeded rng unless allowed, and validates every value before noising', () => {
    const l = makeNoisyValues({ noise: 'discrete_laplace', epsilon: 1, l1Sensitivity: 1 });
    expectPinholeError(() => l.apply({ a: 1 }, { rng: seededRng('x') }), 'insecure_rng', 'rng');
    expectPinholeError(() => l.apply({ a: 1, b: 1.5 }, { rng: seededRng('x'), allowInsecureRng: true }), 'invalid_argument', 'values["b"]');
    expect(l.apply({ a: 1 }).get('a')?.noise).toBe('discrete_laplace'); // default cryptoRng()
  });
});
