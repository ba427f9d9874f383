import { describe, expect, it } from 'vitest';
import { type Rng, cryptoRng } from '@pinhole/core';
import {
  makeDiscreteGaussianSampler,
  discreteGaussianVariance,
  makeDiscreteLaplaceSampler,
  discreteLaplaceVariance,
  sampleBernoulliExp,
  sampleDiscreteGaussian,
  sampleDiscreteLaplace,
  samplePoisson,
  sampleSkellam,
  makeSkellamSampler,
  makeSecureGaussian,
  makeSecureLaplace,
  secureGaussian,
  secureLaplace,
} from '@pinhole/core/samplers';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { twoSidedZ } from '@pinhole/core/stats';
import { checkDistribution, discreteGaussianPmf, discreteLaplacePmf, moments, poissonPmf, skellamPmf } from './distributions.js';

// Tolerances: see checkDistribution in distributions.ts (each check fails a correct sampler w.p. ~1e-5).
const Z = twoSidedZ(1e-5);
const N = 100_000;

describe('discrete Gaussian (CKS Alg. 3)', () => {
  it.each([0.5, 1, 10, 1000])('sigma = %f matches the exact pmf', (sigma) => {
    checkDistribution(makeDiscreteGaussianSampler(sigma), discreteGaussianPmf(sigma), N, `dg-${sigma}`);
  });

  it('a sigma with a long mantissa takes the bigint path and stays exact', () => {
    checkDistribution(makeDiscreteGaussianSampler(3.7), discreteGaussianPmf(3.7), 30_000, 'dg-3.7');
  });

  it('variance helper agrees with the pmf', () => {
    for (const s of [0.3, 1, 10]) expect(discreteGaussianVariance(s)).toBeCloseTo(moments(discreteGaussianPmf(s)).variance, 10);
  });
});

describe('discrete Laplace (CKS Alg. 2)', () => {
  it.each([0.5, 1, 10, 1000])('scale = %f matches the exact pmf', (scale) => {
    checkDistribution(makeDiscreteLaplaceSampler(scale), discreteLaplacePmf(scale), N, `dl-${scale}`);
  });

  it('a non-dyadic scale (0.1) is still exact', () => {
    checkDistribution(makeDiscreteLaplaceSampler(0.1), discreteLaplacePmf(0.1), 30_000, 'dl-0.1');
  });

  it('variance helper agrees with the pmf', () => {
    for (const s of [0.5, 3, 100]) expect(discreteLaplaceVariance(s) / moments(discreteLaplacePmf(s)).variance).toBeCloseTo(1, 8);
  });
});

describe('Poisson and Skellam', () => {
  it.each([0.3, 1, 4.5, 30])('Poisson(%f) matches the exact pmf', (mu) => {
    checkDistribution((r) => samplePoisson(mu, r), poissonPmf(mu), 50_000, `pois-${mu}`);
  });

  it.each([0.25, 1, 7.5, 40])('Skellam(%f) matches the exact pmf, variance 2 mu', (mu) => {
    checkDistribution(makeSkellamSampler(mu), skellamPmf(mu), 40_000, `sk-${mu}`);
    expect(moments(skellamPmf(mu)).variance).toBeCloseTo(2 * mu, 6);
  });
});

describe('Bernoulli(exp(-gamma))', () => {
  it.each([0, 0.3, 1, 2.5, 7.25])('gamma = %f has success rate exp(-gamma)', (gamma) => {
    const rng = seededRng(`bexp-${gamma}`);
    const n = 100_000;
    let hits = 0;
    for (let i = 0; i < n; i++) if (sampleBernoulliExp(gamma, rng)) hits++;
    const p = Math.exp(-gamma);
    // Binomial: sd sqrt(p(1-p)/n); 4.42 sd fails a correct sampler w.p. 1e-5.
    expect(Math.abs(hits / n - p)).toBeLessThanOrEqual(Z * Math.sqrt((p * (1 - p)) / n));
  });
});

describe('parameter ranges and bad input', () => {
  it('each sampler rejects values outside its exact range', () => {
    const rng = seededRng('bad');
    for (const bad of [...BAD_NUMBERS, 0, -1, 2 ** -21, 2 ** 41]) {
      expectPinholeError(() => sampleDiscreteGaussian(bad as number, rng), 'invalid_argument', 'sigma');
      expectPinholeError(() => sampleDiscreteLaplace(bad as number, rng), 'invalid_argument', 'scale');
      expectPinholeError(() => makeDiscreteGaussianSampler(bad as number), 'invalid_argument', 'sigma');
      expectPinholeError(() => makeDiscreteLaplaceSampler(bad as number), 'invalid_argument', 'scale');
    }
    for (const bad of [...BAD_NUMBERS, 0, -1, 2 ** 17]) {
      expectPinholeError(() => sampleSkellam(bad as number, rng), 'invalid_argument', 'mu');
      expectPinholeError(() => samplePoisson(bad as number, rng), 'invalid_argument', 'mu');
      expectPinholeError(() => makeSkellamSampler(bad as number), 'invalid_argument', 'mu');
    }
    for (const bad of [...BAD_NUMBERS, -1]) expectPinholeError(() => sampleBernoulliExp(bad as number, rng), 'invalid_argument', 'gamma');
    for (const bad of [null, {}, 3, Math]) {
      expectPinholeError(() => sampleDiscreteGaussian(1, bad as unknown as Rng), 'invalid_argument', 'rng');
      expectPinholeError(() => sampleDiscreteLaplace(1, bad as unknown as Rng), 'invalid_argument', 'rng');
      expectPinholeError(() => sampleSkellam(1, bad as unknown as Rng), 'invalid_argument', 'rng');
    }
  });

  it('accepts the ends of the documented ranges', () => {
    const rng = seededRng('ends');
    expect(Number.isInteger(sampleDiscreteGaussian(2 ** -20, rng))).toBe(true);
    expect(Number.isInteger(sampleDiscreteGaussian(2 ** 40, rng))).toBe(true);
    expect(Number.isInteger(sampleDiscreteLaplace(2 ** -20, rng))).toBe(true);
    expect(Number.isInteger(sampleDiscreteLaplace(2 ** 40, rng))).toBe(true);
    expect(Number.isInteger(sampleSkellam(2 ** -20, rng))).toBe(true);
  });
});

describe('granular secure noise', () => {
  it('Laplace: outputs sit on the grid, the scale is never lowered, mean and variance match', () => {
    const noise = makeSecureLaplace(2.3);
    expect(noise.scale).toBeGreaterThanOrEqual(2.3);
    expect(noise.scale / 2.3 - 1).toBeLessThan(2 ** -19);
    const rng = seededRng('slap');
    const n = 100_000;
    let sum = 0;
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const y = noise.sample(10.123456789, rng);
      expect(Number.isInteger(y / noise.granularity)).toBe(true);
      sum += y - 10.123456789;
      ss += (y - 10.123456789) ** 2;
    }
    // Laplace variance 2b^2; fourth moment 24 b^4: Var((Y-x)^2) = 20 b^4. The snapping shifts the
    // mean by at most granularity/2, far below the tolerance.
    const v = 2 * noise.scale ** 2;
    expect(Math.abs(sum / n)).toBeLessThan(Z * Math.sqrt(v / n) + noise.granularity);
    expect(Math.abs(ss / n - v)).toBeLessThan(Z * Math.sqrt((20 * noise.scale ** 4) / n));
    expect(noise.variance / v).toBeCloseTo(1, 6);
  });

  it('Gaussian: outputs sit on the grid and the variance is sigma^2', () => {
    const noise = makeSecureGaussian(0.7);
    expect(noise.scale).toBeGreaterThanOrEqual(0.7);
    const rng = seededRng('sgau');
    const n = 100_000;
    let ss = 0;
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const y = noise.sample(-3.25, rng) + 3.25;
      expect(Number.isInteger((y - 3.25) / noise.granularity) || Number.isInteger(y / noise.granularity)).toBe(true);
      sum += y;
      ss += y * y;
    }
    const v = noise.scale ** 2;
    // Gaussian fourth moment 3 sigma^4: Var(Y^2) = 2 sigma^4.
    expect(Math.abs(sum / n)).toBeLessThan(Z * Math.sqrt(v / n) + noise.granularity);
    expect(Math.abs(ss / n - v)).toBeLessThan(Z * Math.sqrt((2 * v * v) / n) + noise.granularity);
  });

  it('the one-shot helpers default to the CSPRNG path and validate', () => {
    const rng = cryptoRng();
    expect(Number.isFinite(secureLaplace(1, 1, rng))).toBe(true);
    expect(Number.isFinite(secureGaussian(-0, 1, rng))).toBe(true);
    for (const bad of [NaN, Infinity, '1', null]) {
      expectPinholeError(() => secureLaplace(bad as number, 1, rng), 'invalid_argument', 'value');
      expectPinholeError(() => secureGaussian(bad as number, 1, rng), 'invalid_argument', 'value');
    }
    for (const bad of [...BAD_NUMBERS, 0, -2, 2 ** 61]) {
      expectPinholeError(() => makeSecureLaplace(bad as number), 'invalid_argument', 'scale');
      expectPinholeError(() => makeSecureGaussian(bad as number), 'invalid_argument', 'sigma');
    }
  });
});
