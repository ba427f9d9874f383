/**
 * @pinhole/secagg: secure aggregation (Bonawitz et al., CCS 2017, with the signed advertisements
 * and consistency check of its active model) with the sparse SecAgg+ graph (Bell et al., CCS
 * 2020). The server learns the sum of the surviving clients' vectors mod 2^b and nothing else,
 * even when clients drop out mid-round; with a key directory, even when it deviates from the
 * protocol (secagg.proof.md states exactly what is covered). Node servers: '@pinhole/secagg/node'.
 */
export { SecAggClient, type SecAggClientOptions, type SecAggClientMinimums, type ClientPhase } from './client.js';
export { SecAggServer, type SecAggServerOptions, type SecAggResult, type ServerPhase, type AdvertiseKeysOutcome } from './server.js';
export {
  makeRoundConfig,
  encodeRoundConfig,
  decodeRoundConfig,
  configDigest,
  MAX_VECTOR_LENGTH,
  THREAT_MODELS,
  type SecAggRoundConfig,
  type RoundConfigParams,
  type SecAggAssumptions,
  type SecAggGraphSpec,
  type ThreatModel,
} from './config.js';
export { type SecAggCrypto, webCryptoProvider } from './crypto.js';
export { nobleProvider } from './noble.js';
export { generateSigningKey, signingKeyFromSecret, type SigningKeyPair } from './identity.js';
export { type KeyDirectory, type DirectoryEntry, type HttpKeyDirectoryOptions, pinnedKeyDirectory, httpKeyDirectory, DIRECTORY_LOOKUP_MAX } from './directory.js';
export { MAX_COHORT, secAggPlusParameters, secAggSecurityBits, chooseModulusBits, type SecAggPlusParams, type SecAggPlusChoice, type SecAggSecurityParams } from './parameters.js';
export { MSG as SECAGG_MESSAGE_TYPES, IDENTITY_PATTERN } from './messages.js';
export { simulateRound, SIMULATION_PHASES, type SimulationParams, type SimulationReport, type SimulationPhase } from './simulate.js';
