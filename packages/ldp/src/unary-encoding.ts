/**
 * Unary encoding: the value v becomes the one-hot vector e_v of d bits and every bit is reported
 * through randomized response, 1 kept as 1 with probability p, 0 turned into 1 with probability q.
 *  - SUE (symmetric, basic one-time RAPPOR; Erlingsson, Pihur, Korolova, CCS 2014):
 *    p = e^{ε/2} / (e^{ε/2} + 1), q = 1 - p.
 *  - OUE (optimized; Wang et al., USENIX Security 2017, §4.3): p = 1/2, q = 1 / (e^ε + 1).
 * Proofs and variance: unary-encoding.proof.md.
 */
import { type Rng, requireSecureRng } from '@pinhole/core';
import { accumulatePacked, checkPacked, decodePacked, packedLength, packedToVector } from './bits.js';
import { type FrequencyOracle, type OracleTally, type TallySpec, oracleCommon, simulatePerBucket } from './oracle.js';
import { type OracleParams, checkAllowInsecure, checkBucketValue, checkDomainSize, checkEpsilonParam, checkParams } from './params.js';
import { TWO_32, thresholdDown, thresholdUp } from './probability.js';
import { decodeReportPayload, encodeReportPayload } from './wire.js';

/** A unary-encoding report: d bits, packed (bucket v is bit v & 7 of byte v >> 3). */
export type UnaryReport = Uint8Array;

export const UNARY_MAX_DOMAIN = 2 ** 24;

/** n uniform 16-bit words from rng.bytes. */
export function randomHalfWords(rng: Rng, n: number): Uint16Array {
  const bytes = rng.bytes(2 * n);
  if (bytes.byteOffset % 2 === 0 && bytes.length === 2 * n) return new Uint16Array(bytes.buffer, bytes.byteOffset, n);
  return new Uint16Array(bytes.slice().buffer, 0, n);
}

/** n uniform 32-bit words from rng.bytes (little-endian words; any byte order gives uniform words). */
export function randomWords(rng: Rng, n: number): Uint32Array {
  const bytes = rng.bytes(4 * n);
  if (bytes.byteOffset % 4 === 0 && bytes.length === 4 * n) return new Uint32Array(bytes.buffer, bytes.byteOffset, n);
  return new Uint32Array(bytes.slice().buffer, 0, n);
}

function makeUnary(name: 'sue' | 'oue', params: OracleParams): FrequencyOracle<UnaryReport> {
  const o = checkParams(params, ['epsilon', 'domainSize', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const d = checkDomainSize(o, UNARY_MAX_DOMAIN);
  const allowInsecureRng = checkAllowInsecure(o);
  let tp: number;
  let q: number;
  if (name === 'sue') {
    const h = Math.exp(epsilon / 2);
    // p rounded down and q >= 1 - p: the achieved ratio p(1-q)/(q(1-p)) stays <= e^ε.
    tp = thresholdDown(h / (h + 1));
    q = 1 - tp / TWO_32;
  } else {
    // p = 1/2 exactly; q rounded up: p(1-q)/(q(1-p)) = (1-q)/q stays <= e^ε.
    tp = TWO_32 / 2;
    q = 1 / (Math.exp(epsilon) + 1);
  }
  // The d - 1 "other" bits are the bulk of the randomness: 16-bit draws (q rounded up to 2^-16)
  // halve it while q >= 2^-8 (ε up to about 5.5, a relative change of q below 0.4%); 32-bit beyond.
  const wide = Math.ceil(q * 65536) < 256;
  const tq = wide ? thresholdUp(q) : Math.ceil(q * 65536);
  const pStar = tp / TWO_32;
  const qStar = wide ? tq / TWO_32 : tq / 65536;
  const nb = packedLength(d);
  const key = `${name}/${epsilon}/${d}`;
  const spec: TallySpec<UnaryReport> = {
    oracle: name,
    key,
    domainSize: d,
    vectorLength: d,
    signed: false,
    checkReport: (report, param) => checkPacked(report, d, param),
    accumulate: (acc, reports) => accumulatePacked(acc, reports, d),
    support: (acc) => acc.slice(),
  };
  const common = oracleCommon(spec, epsilon, pStar, qStar);
  return Object.freeze({
    name,
    epsilon,
    domainSize: d,
    pStar,
    qStar,
    reportBits: d,
    vectorLength: d,
    simulation: 'exact' as const,
    perturb(value: number, rng: Rng): UnaryReport {
      checkBucketValue(value, d);
      requireSecureRng(rng, allowInsecureRng);
      const out = new Uint8Array(nb);
      // One uniform 16- or 32-bit word per bucket, fetched in one call (a CSPRNG call per word costs more than the test).
      const words = wide ? randomWords(rng, d) : randomHalfWords(rng, d);
      let w = 0;
      for (let k = 0; k < nb; k++) {
        const lim = Math.min(8, d - (k << 3));
        let byte = 0;
        for (let j = 0; j < lim; j++) if ((words[w++] as number) < tq) byte |= 1 << j;
        out[k] = byte;
      }
      // The true bucket's bit is redrawn with p (its q-draw above is discarded).
      const mask = 1 << (value & 7);
      const at = value >>> 3;
      out[at] = rng.u32() < tp ? (out[at] as number) | mask : (out[at] as number) & ~mask;
      return out;
    },
    encodeReport(report: UnaryReport): Uint8Array {
      checkPacked(report, d, 'report');
      return encodeReportPayload(name, report);
    },
    decodeReport(bytes: Uint8Array): UnaryReport {
      return decodePacked(decodeReportPayload(name, bytes), d);
    },
    toVector(report: UnaryReport): Int32Array {
      checkPacked(report, d, 'report');
      return packedToVector(report, d);
    },
    ...common,
    simulateTally: (trueCounts: Int32Array | readonly number[], rng: Rng): OracleTally<UnaryReport> => simulatePerBucket(spec, trueCounts, pStar, qStar, rng),
  });
}

/** Symmetric unary encoding (basic one-time RAPPOR). */
export function makeSue(params: OracleParams): FrequencyOracle<UnaryReport> {
  return makeUnary('sue', params);
}

/** Optimized unary encoding. */
export function makeOue(params: OracleParams): FrequencyOracle<UnaryReport> {
  return makeUnary('oue', params);
}
