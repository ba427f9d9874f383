/**
 * @pinhole/prio3: the Prio3 VDAF of draft-irtf-cfrg-vdaf-20 (Count, Sum, SumVec, Histogram):
 * a client splits a measurement and a validity proof among aggregators; the aggregators reject
 * malformed reports without ever seeing a measurement. Runs unchanged on phones, in browsers and
 * in Node (WebCrypto randomness, no `node:` imports).
 */
export { Field64, Field128, type Field } from './field.js';
export { Xof, SEED_SIZE } from './xof.js';
export { Prio3, FieldVector, generateVerifyKey, NONCE_SIZE, VERIFY_KEY_SIZE, VDAF_VERSION, type AggShare, type OutShare, type Report, type Shards, type VerifyState } from './prio3.js';
export {
  makePrio3Count,
  makePrio3Sum,
  makePrio3SumVec,
  makePrio3Histogram,
  defaultChunkLength,
  MAX_LENGTH,
  PRIO3_COUNT_ID,
  PRIO3_SUM_ID,
  PRIO3_SUMVEC_ID,
  PRIO3_HISTOGRAM_ID,
  type Prio3Count,
  type Prio3Sum,
  type Prio3SumVec,
  type Prio3Histogram,
} from './instances.js';
export {
  prio3Vdaf,
  prio3Context,
  prio3Nonce,
  prio3Measurement,
  encodePrio3Entry,
  decodePrio3Entry,
  prio3PublicShareSize,
  prio3InputShareSize,
  addNoiseToAggShare,
  combineAggShares,
  LEADER_ID,
  HELPER_ID,
  type Prio3CollectionVdaf,
} from './collection.js';
