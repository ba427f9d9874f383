/**
 * @pinhole/secagg: secure aggregation (Bonawitz et al., CCS 2017) with the sparse SecAgg+ graph
 * (Bell et al., CCS 2020). The server learns the sum of the surviving clients' vectors mod 2^b and
 * nothing else, even when clients drop out mid-round. Node servers: '@pinhole/secagg/node'.
 */
export { SecAggClient, type SecAggClientOptions, type ClientPhase } from './client.js';
export { SecAggServer, type SecAggServerOptions, type SecAggResult, type ServerPhase } from './server.js';
export { makeRoundConfig, encodeRoundConfig, decodeRoundConfig, MAX_COHORT, MAX_VECTOR_LENGTH, type SecAggRoundConfig, type RoundConfigParams } from './config.js';
export { type SecAggGraph } from './graph.js';
export { type SecAggCrypto, webCryptoProvider, nobleProvider } from './crypto.js';
export { secAggPlusParameters, chooseModulusBits, type SecAggPlusParams, type SecAggPlusChoice } from './parameters.js';
export { MSG as SECAGG_MESSAGE_TYPES } from './messages.js';
export { simulateRound, SIMULATION_PHASES, type SimulationParams, type SimulationReport, type SimulationPhase } from './simulate.js';
