/**
 * @pinhole/ldp — local differential privacy for phones: frequency oracles, numeric mechanisms,
 * their estimators, closed-form variances and post-processing. This entry runs on a device: it
 * imports no tfjs and no `node:` module. Server-only parts (tfjs Square Wave EM, backend selection,
 * reference decoders) are in `@pinhole/ldp/server`.
 */
export type { OracleName, FrequencyOracle, OracleTally } from './oracle.js';
export type { OracleParams, BaseParams } from './params.js';
export { MAX_EPSILON } from './params.js';
export { makeGrr, type GrrReport, GRR_MAX_DOMAIN } from './grr.js';
export { makeSue, makeOue, type UnaryReport, UNARY_MAX_DOMAIN } from './unary-encoding.js';
export { makeBlh, makeOlh, type LocalHashReport, type LocalHashOracle } from './local-hashing.js';
export { HASH_DOMAIN_LIMIT } from './hash.js';
export { makeSubsetSelection, type SubsetReport, type SubsetSelectionOracle, SUBSET_MAX_DOMAIN } from './subset-selection.js';
export { makeHadamardResponse, type HadamardResponseReport, type HadamardOracle, HADAMARD_MAX_DOMAIN } from './hadamard-response.js';
export { makeHadamardOneBit, type HadamardOneBitReport, HADAMARD_ONE_BIT_MAX_DOMAIN } from './hadamard-one-bit.js';
export type { NumericName, NumericMechanism, NumericTally } from './numeric.js';
export { makeLaplaceNumeric, type LaplaceNumericMechanism, LAPLACE_NUMERIC_MIN_EPSILON } from './laplace-numeric.js';
export { makeDuchi, type DuchiMechanism, DUCHI_MIN_EPSILON } from './duchi.js';
export { makePiecewise, type PiecewiseMechanism, PIECEWISE_MIN_EPSILON } from './piecewise.js';
export { makeHybrid, type HybridMechanism, HYBRID_EPSILON_STAR, HYBRID_MIN_EPSILON } from './hybrid.js';
export { makeSquareWave, type SquareWaveMechanism, type SquareWaveParams, type SquareWaveTally, SQUARE_WAVE_MIN_EPSILON } from './square-wave.js';
export { ORACLES, ORACLE_NAMES, NUMERIC_MECHANISMS, NUMERIC_NAMES, type AnyFrequencyOracle } from './registry.js';
export type { DeviceOracle } from './oracle.js';
export type { DeviceNumericMechanism } from './numeric.js';
export { DEVICE_ORACLES, DEVICE_NUMERIC_MECHANISMS, type AnyDeviceOracle } from './device.js';
export { normSub, clampAndNormalize, hierarchyConsistency, type HierarchyOptions } from './post-process.js';
export { recommendOracle, type OracleCandidate, type OracleRecommendation } from './recommend.js';
export { auditLikelihoodRatio, type AuditCounts, type AuditResult } from './audit.js';
