/** `@pinhole/core/samplers`: exact noise samplers on integers (discrete Laplace and Gaussian, Skellam, binomial) and granular real-valued noise. */
export {
  sampleBernoulliExp,
  sampleDiscreteLaplace,
  sampleDiscreteGaussian,
  samplePoisson,
  sampleSkellam,
  makeDiscreteLaplaceSampler,
  makeDiscreteGaussianSampler,
  makeSkellamSampler,
  discreteLaplaceVariance,
  discreteGaussianVariance,
  SAMPLER_MIN_SCALE,
  SAMPLER_MAX_SCALE,
  SKELLAM_MIN_MU,
  SKELLAM_MAX_MU,
  addSkellamVector,
  bernoulliExact,
} from '../samplers.js';
export { sampleBinomial, sampleUniformMultinomial, sampleBinomialUnchecked, sampleUniformMultinomialUnchecked, binomialPmf } from '../binomial.js';
export { secureLaplace, secureGaussian, makeSecureLaplace, makeSecureGaussian, type GranularNoise } from '../secure-noise.js';
