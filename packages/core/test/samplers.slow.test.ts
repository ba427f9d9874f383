import { describe, it } from 'vitest';
import { makeDiscreteGaussianSampler, makeDiscreteLaplaceSampler, makeSkellamSampler } from '@pinhole/core/samplers';
import { checkDistribution, discreteGaussianPmf, discreteLaplacePmf, skellamPmf } from './distributions.js';

// The fast suite's checks with 20x the draws and more scales: each test still fails a correct
// sampler with probability about 3e-5 (three checks at 1e-5 each), see samplers.test.ts.
const N = 2_000_000;

describe('samplers, large n', () => {
  it.each([0.3, 0.5, 0.9, 1, 1.5, 3, 10, 100, 1000])('discrete Gaussian sigma = %f', (sigma) => {
    checkDistribution(makeDiscreteGaussianSampler(sigma), discreteGaussianPmf(sigma), N, `slow-dg-${sigma}`);
  });
  it.each([0.3, 1, 10, 1000])('discrete Laplace scale = %f', (scale) => {
    checkDistribution(makeDiscreteLaplaceSampler(scale), discreteLaplacePmf(scale), N, `slow-dl-${scale}`);
  });
  it.each([0.5, 3, 20])('Skellam mu = %f', (mu) => {
    checkDistribution(makeSkellamSampler(mu), skellamPmf(mu), 400_000, `slow-sk-${mu}`);
  });
});
