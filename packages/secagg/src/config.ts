/**
 * The public parameters of one round, fixed by the server before AdvertiseKeys and known to every
 * client: round id, cohort size n (clients are numbered 1..n), threshold t, modulus bits b,
 * vector length, the neighbour graph's kind and degree (never its seed: that is derived from the
 * signed advertisements), the threat model, the assumptions the degree and threshold were chosen
 * for, and the fewest contributors a client will unmask a sum for. Validated once here; every
 * signature of the round covers its digest (`configDigest`), so two clients shown different
 * configurations cannot complete a round together.
 */
import { PinholeError } from '@pinhole/core';
import { SECAGG_THREAT_MODELS, type SecaggThreatModel } from '@pinhole/core/plan';
import { checkInteger, checkNumber, checkObject, checkOneOf, checkString, invalid } from '@pinhole/core/validate';
import { decodeEnvelope, encodeEnvelope } from '@pinhole/core/wire';
import { sha256Bytes } from './crypto.js';
import { MAX_COHORT, secAggSecurityBits } from './parameters.js';
import { SHAMIR_PRIME } from './shamir.js';

/** At most 2^24 entries (64 MiB of masks per client). */
export const MAX_VECTOR_LENGTH = 2 ** 24;

/**
 * `key_directory`: every signing key is vouched for by a `KeyDirectory` run by a party other than
 * the aggregator (malicious-server model). `honest_but_curious`: no directory, so a server that
 * substitutes keys reads every input; only a server that follows the protocol is covered. The
 * same names as a collection plan's `secagg.threatModel` (core), so a plan's value passes as is.
 */
export type ThreatModel = SecaggThreatModel;
export const THREAT_MODELS: readonly ThreatModel[] = SECAGG_THREAT_MODELS;

export type SecAggGraphSpec = { readonly kind: 'complete' } | { readonly kind: 'harary'; readonly degree: number };

/** What the degree and threshold were chosen for (secAggPlusParameters); public, signed over. */
export interface SecAggAssumptions {
  /** per-client dropout probability in [0, 1) */
  readonly dropoutRate: number;
  /** fraction of clients that may collude with the server, in [0, 1) */
  readonly corruptFraction: number;
  /** the security failure bound the (degree, threshold) must reach: 2^-securityBits */
  readonly securityBits: number;
}

export interface SecAggRoundConfig {
  readonly roundId: string;
  readonly cohortSize: number;
  readonly threshold: number;
  readonly bits: number;
  readonly vectorLength: number;
  readonly graph: SecAggGraphSpec;
  readonly threatModel: ThreatModel;
  readonly assumptions: SecAggAssumptions;
  /** a client does not unmask a sum of fewer contributors (the plan's minimum cohort) */
  readonly minContributors: number;
}

export interface RoundConfigParams {
  roundId: string;
  cohortSize: number;
  threshold: number;
  /** each entry and the sum live in Z/2^bits; see chooseModulusBits */
  bits: number;
  vectorLength: number;
  /** default complete; a degree >= cohortSize - 1 is the complete graph */
  graph?: { kind: 'complete' } | { kind: 'harary'; degree: number };
  threatModel: ThreatModel;
  /** default { dropoutRate: 0, corruptFraction: 0, securityBits: 40 } */
  assumptions?: Partial<SecAggAssumptions>;
  /** default the threshold */
  minContributors?: number;
}

/**
 * Validates and freezes a round configuration. The threshold must exceed half the share holders
 * of a client (its neighbours and itself): then no two disjoint sets of honest holders can hand
 * the server t shares of both secrets of one client (secagg.proof.md, Claim 2). The degree and
 * threshold must reach 2^-securityBits under the stated assumptions (Claim 4).
 */
export function makeRoundConfig(params: RoundConfigParams): SecAggRoundConfig {
  checkObject('params', params);
  const roundId = checkString('roundId', params.roundId, { nonEmpty: true, maxLength: 128 });
  const n = checkInteger('cohortSize', params.cohortSize, { ge: 2, le: MAX_COHORT });
  const bits = checkInteger('bits', params.bits, { ge: 1, le: 32 });
  const vectorLength = checkInteger('vectorLength', params.vectorLength, { ge: 1, le: MAX_VECTOR_LENGTH });
  const threatModel = checkOneOf('threatModel', params.threatModel, THREAT_MODELS);
  let graph: SecAggGraphSpec = { kind: 'complete' };
  if (params.graph !== undefined) {
    const g = checkObject('graph', params.graph);
    const kind = checkOneOf('graph.kind', g.kind, ['complete', 'harary'] as const);
    if (kind === 'harary') {
      if (g.seed !== undefined) {
        throw invalid('graph.seed', 'no seed: the graph seed is derived from the hash of all signed advertisements, never chosen by the server', g.seed);
      }
      const degree = checkInteger('graph.degree', g.degree, { ge: 2 });
      if (degree % 2 !== 0) throw invalid('graph.degree', 'an even integer', degree);
      graph = degree >= n - 1 ? { kind: 'complete' } : { kind: 'harary', degree };
    }
  }
  const holders = graph.kind === 'complete' ? n : graph.degree + 1;
  const threshold = checkInteger('threshold', params.threshold, { gt: holders / 2, le: holders });
  if (threshold < 2) throw invalid('threshold', 'an integer >= 2', threshold);
  if (n >= SHAMIR_PRIME) throw new PinholeError('invalid_argument', 'cohortSize', 'cohort too large for the share field');
  const a = params.assumptions === undefined ? {} : checkObject('assumptions', params.assumptions);
  const assumptions: SecAggAssumptions = Object.freeze({
    dropoutRate: checkNumber('assumptions.dropoutRate', a.dropoutRate === undefined ? 0 : a.dropoutRate, { ge: 0, lt: 1 }),
    corruptFraction: checkNumber('assumptions.corruptFraction', a.corruptFraction === undefined ? 0 : a.corruptFraction, { ge: 0, lt: 1 }),
    securityBits: checkNumber('assumptions.securityBits', a.securityBits === undefined ? 40 : a.securityBits, { gt: 0, le: 1000 }),
  });
  const minContributors = checkInteger('minContributors', params.minContributors === undefined ? threshold : params.minContributors, { ge: 2, le: n });
  const config: SecAggRoundConfig = Object.freeze({ roundId, cohortSize: n, threshold, bits, vectorLength, graph: Object.freeze(graph), threatModel, assumptions, minContributors });
  const floor = checkFloors(config, assumptions);
  if (floor !== null) throw new PinholeError('invalid_argument', floor.param, floor.message);
  return config;
}

/**
 * The security check a client repeats itself: the configuration's degree and threshold must reach
 * 2^-securityBits under the given assumptions, by the same formula secAggPlusParameters
 * minimises. Returns the failed rule, or null.
 */
export function checkFloors(config: SecAggRoundConfig, assumptions: SecAggAssumptions): { param: string; message: string } | null {
  const n = config.cohortSize;
  const degree = config.graph.kind === 'complete' ? n - 1 : config.graph.degree;
  const bits = secAggSecurityBits({ n, degree, threshold: config.threshold, dropoutRate: assumptions.dropoutRate, corruptFraction: assumptions.corruptFraction });
  if (bits >= assumptions.securityBits) return null;
  return {
    param: config.graph.kind === 'complete' ? 'threshold' : 'graph.degree',
    message:
      `degree ${degree} and threshold ${config.threshold} at n = ${n} give security 2^-${bits.toFixed(1)}, weaker than 2^-${assumptions.securityBits} ` +
      `for dropoutRate ${assumptions.dropoutRate} and corruptFraction ${assumptions.corruptFraction} (secAggPlusParameters gives the smallest that reach it)`,
  };
}

const encoder = new TextEncoder();

/**
 * SHA-256 of a fixed byte layout of the configuration (not of its msgpack form, so another
 * implementation can recompute it): every signature of the round covers it.
 */
export function configDigest(config: SecAggRoundConfig): Uint8Array {
  const id = encoder.encode(config.roundId);
  const head = encoder.encode('pinhole/secagg/v2/config\u0000');
  const out = new Uint8Array(head.length + 2 + id.length + 4 * 4 + 1 + 1 + 4 + 1 + 3 * 8);
  const view = new DataView(out.buffer);
  let o = 0;
  out.set(head, o);
  o += head.length;
  view.setUint16(o, id.length, true);
  out.set(id, o + 2);
  o += 2 + id.length;
  for (const v of [config.cohortSize, config.threshold, config.vectorLength, config.minContributors]) {
    view.setUint32(o, v, true);
    o += 4;
  }
  view.setUint8(o++, config.bits);
  view.setUint8(o++, config.graph.kind === 'complete' ? 0 : 1);
  view.setUint32(o, config.graph.kind === 'complete' ? config.cohortSize - 1 : config.graph.degree, true);
  o += 4;
  view.setUint8(o++, config.threatModel === 'key_directory' ? 1 : 0);
  for (const v of [config.assumptions.dropoutRate, config.assumptions.corruptFraction, config.assumptions.securityBits]) {
    view.setFloat64(o, v, true);
    o += 8;
  }
  return sha256Bytes(out);
}

export const CONFIG_TYPE = 'secagg/config';

/** The configuration as wire bytes, for the server to send with the round's invitation. */
export function encodeRoundConfig(config: SecAggRoundConfig): Uint8Array {
  const c = makeRoundConfig(config);
  const graph = c.graph.kind === 'complete' ? { kind: 'complete' } : { kind: 'harary', degree: c.graph.degree };
  return encodeEnvelope(CONFIG_TYPE, {
    roundId: c.roundId,
    cohortSize: c.cohortSize,
    threshold: c.threshold,
    bits: c.bits,
    vectorLength: c.vectorLength,
    graph,
    threatModel: c.threatModel,
    assumptions: { ...c.assumptions },
    minContributors: c.minContributors,
  });
}

/** Decodes and validates a configuration: anything malformed is `decode_failed` or `invalid_argument`. */
export function decodeRoundConfig(bytes: Uint8Array): SecAggRoundConfig {
  const { payload } = decodeEnvelope(bytes, { type: CONFIG_TYPE });
  return makeRoundConfig(checkObject('config', payload) as unknown as RoundConfigParams);
}
