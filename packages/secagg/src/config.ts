/**
 * The public parameters of one round, fixed by the server before AdvertiseKeys and known to every
 * client: round id, cohort size n (clients are numbered 1..n), threshold t, modulus bits b,
 * vector length and the neighbour graph. Validated once here; the state machines trust it.
 */
import { PinholeError, checkInteger, checkObject, checkOneOf, checkString, checkUint8Array, decodeEnvelope, encodeEnvelope, invalid } from '@pinhole/core';
import { type SecAggGraph } from './graph.js';
import { SHAMIR_PRIME } from './shamir.js';

/** Cohorts up to 2^20: ids are Shamir x-coordinates (< p) and travel as 32-bit words. */
export const MAX_COHORT = 2 ** 20;
/** At most 2^24 entries (64 MiB of masks per client). */
export const MAX_VECTOR_LENGTH = 2 ** 24;

export interface SecAggRoundConfig {
  readonly roundId: string;
  readonly cohortSize: number;
  readonly threshold: number;
  readonly bits: number;
  readonly vectorLength: number;
  readonly graph: SecAggGraph;
}

export interface RoundConfigParams {
  roundId: string;
  cohortSize: number;
  threshold: number;
  /** each entry and the sum live in Z/2^bits; see chooseModulusBits */
  bits: number;
  vectorLength: number;
  /** default complete; a degree >= cohortSize - 1 is the complete graph */
  graph?: { kind: 'complete' } | { kind: 'harary'; degree: number; seed: Uint8Array };
}

/**
 * Validates and freezes a round configuration. The threshold must exceed half the share holders
 * of a client (its neighbours and itself): then no two disjoint sets of honest holders can hand
 * the server t shares of both secrets of one client (secagg.proof.md, Claim 2).
 */
export function makeRoundConfig(params: RoundConfigParams): SecAggRoundConfig {
  checkObject('params', params);
  const roundId = checkString('roundId', params.roundId, { nonEmpty: true, maxLength: 128 });
  const n = checkInteger('cohortSize', params.cohortSize, { ge: 2, le: MAX_COHORT });
  const bits = checkInteger('bits', params.bits, { ge: 1, le: 32 });
  const vectorLength = checkInteger('vectorLength', params.vectorLength, { ge: 1, le: MAX_VECTOR_LENGTH });
  let graph: SecAggGraph = { kind: 'complete' };
  if (params.graph !== undefined) {
    const g = checkObject('graph', params.graph);
    const kind = checkOneOf('graph.kind', g.kind, ['complete', 'harary'] as const);
    if (kind === 'harary') {
      const degree = checkInteger('graph.degree', g.degree, { ge: 2 });
      if (degree % 2 !== 0) throw invalid('graph.degree', 'an even integer', degree);
      const seed = Uint8Array.from(checkUint8Array('graph.seed', g.seed, 32));
      graph = degree >= n - 1 ? { kind: 'complete' } : Object.freeze({ kind: 'harary', degree, seed });
    }
  }
  const holders = graph.kind === 'complete' ? n : graph.degree + 1;
  const threshold = checkInteger('threshold', params.threshold, { gt: holders / 2, le: holders });
  if (threshold < 2) throw invalid('threshold', 'an integer >= 2', threshold);
  if (n >= SHAMIR_PRIME) throw new PinholeError('invalid_argument', 'cohortSize', 'cohort too large for the share field');
  return Object.freeze({ roundId, cohortSize: n, threshold, bits, vectorLength, graph: Object.freeze(graph) });
}

export const CONFIG_TYPE = 'secagg/config';

/** The configuration as wire bytes, for the server to send with the round's invitation. */
export function encodeRoundConfig(config: SecAggRoundConfig): Uint8Array {
  const c = makeRoundConfig(config as RoundConfigParams);
  const graph = c.graph.kind === 'complete' ? { kind: 'complete' } : { kind: 'harary', degree: c.graph.degree, seed: c.graph.seed };
  return encodeEnvelope(CONFIG_TYPE, { roundId: c.roundId, cohortSize: c.cohortSize, threshold: c.threshold, bits: c.bits, vectorLength: c.vectorLength, graph });
}

/** Decodes and validates a configuration: anything malformed is `decode_failed` or `invalid_argument`. */
export function decodeRoundConfig(bytes: Uint8Array): SecAggRoundConfig {
  const { payload } = decodeEnvelope(bytes, { type: CONFIG_TYPE });
  return makeRoundConfig(checkObject('config', payload) as unknown as RoundConfigParams);
}
