/**
 * @pinhole/core: errors, validators, randomness, exact noise samplers, privacy accounting,
 * measurement schema and the wire codec. Seeded (insecure) randomness: `@pinhole/core/testing`.
 */
export { PinholeError, PINHOLE_ERROR_CODES, isPinholeError, type PinholeErrorCode } from './errors.js';
export {
  checkBoolean,
  checkDelta,
  checkEpsilon,
  checkFinite,
  checkIncreasing,
  checkInteger,
  checkNumber,
  checkObject,
  checkOneOf,
  checkPositive,
  checkProbability,
  checkString,
  checkUint8Array,
  describeValue,
  invalid,
  type NumberBounds,
} from './validate.js';
export { type Rng, cryptoRng, rngFromU32, isRng, checkRng, requireSecureRng } from './rng.js';
export { roundUpSignificant, toDyadic, toFraction, type Dyadic, type Fraction } from './rational.js';
export {
  sampleBernoulliExp,
  sampleDiscreteLaplace,
  sampleDiscreteGaussian,
  samplePoisson,
  sampleSkellam,
  discreteLaplaceSampler,
  discreteGaussianSampler,
  skellamSampler,
  discreteLaplaceVariance,
  discreteGaussianVariance,
  SAMPLER_MIN_SCALE,
  SAMPLER_MAX_SCALE,
  SKELLAM_MIN_MU,
  SKELLAM_MAX_MU,
} from './samplers.js';
export { secureLaplace, secureGaussian, makeSecureLaplace, makeSecureGaussian, type GranularNoise } from './secure-noise.js';
export {
  type PrivacyLoss,
  type ZcdpLoss,
  type LedgerEntry,
  type AccountantOptions,
  type SensitivityParams,
  privacyLoss,
  composeSequential,
  pureToZcdp,
  zcdpDelta,
  zcdpToEpsilon,
  zcdpToEpsilonClassic,
  rdpToEpsilon,
  discreteGaussianZcdp,
  discreteGaussianDelta,
  discreteGaussianPrivacy,
  skellamRdp,
  skellamPrivacy,
  laplacePrivacy,
  PrivacyAccountant,
} from './accounting.js';
export {
  type CategoricalDomain,
  type BucketedDomain,
  type BoundedReal,
  type Domain,
  type OutOfRange,
  categoricalDomain,
  bucketedDomain,
  boundedReal,
} from './schema.js';
export {
  type NetworkSample,
  type NetworkType,
  type DeviceClass,
  type NumericField,
  type NumericFieldSpec,
  NETWORK_TYPES,
  DEVICE_CLASSES,
  NUMERIC_FIELDS,
  NUMERIC_FIELD_NAMES,
  networkTypeDomain,
  deviceClassDomain,
  defaultBucketing,
  validateNetworkSample,
} from './network-sample.js';
export {
  type WireValue,
  type DecodedEnvelope,
  WIRE_VERSION,
  SUPPORTED_WIRE_VERSIONS,
  DEFAULT_MAX_WIRE_BYTES,
  encodeEnvelope,
  decodeEnvelope,
} from './codec.js';
export { type PerfRow, type PerfOptions, type PerfSuite } from './perf.js';
