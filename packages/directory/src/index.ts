/**
 * @pinhole/directory: the key directory of secure aggregation's malicious-server model, run by a
 * party other than the aggregator. Node only. The command is `pinhole-directory`; clients reach it
 * with `httpKeyDirectory` from @pinhole/secagg.
 */
export { buildDirectoryServer, enrolmentMessage, enrolmentProof, type DirectoryServerOptions } from './server.js';
export { KeyStore, type KeyRecord, type KeyStatus } from './store.js';
