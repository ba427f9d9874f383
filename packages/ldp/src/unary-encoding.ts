/**
 * Unary encoding: the value v becomes the one-hot vector e_v of d bits and every bit is reported
 * through randomized response, 1 kept as 1 with probability p, 0 turned into 1 with probability q.
 *  - SUE (symmetric, basic one-time RAPPOR; Erlingsson, Pihur, Korolova, CCS 2014):
 *    p = e^{ε/2} / (e^{ε/2} + 1), q = 1 - p.
 *  - OUE (optimized; Wang et al., USENIX Security 2017, §4.3): p = 1/2, q = 1 / (e^ε + 1).
 * Proofs and variance: unary-encoding.proof.md.
 */
import { type Rng, requireSecureRng } from '@pinhole/core';
import { type Fraction } from '@pinhole/core/exact';
import { accumulatePacked, checkPacked, decodePacked, packedLength, packedToVector } from './bits.js';
import { type DeviceOracle, type FrequencyOracle, type OracleTally, type TallySpec, oracleCommon, simulatePerBucket } from './oracle.js';
import { type OracleParams, checkAllowInsecure, checkBucketValue, checkDomainSize, checkEpsilonParam, checkParams } from './params.js';
import { expLower, half, profileProblems, requireWithinEpsilon, splitThreshold, withProfile, type PrivacyProfile } from './exact.js';
import { TWO_64, bernoulli, threshold } from './probability.js';
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

/**
 * The bit probabilities over 2^64 for ε, and the words the q-draws use. SUE: p = floor(2^64·L/(L+1))
 * with L <= e^{ε/2} and q = 1 - p, so p(1-q)/(q(1-p)) = (p/(1-p))² <= L² <= e^ε. OUE: p = 1/2 and
 * q = ceil(2^64/(L+1)) with L <= e^ε, so (1-q)/q <= L. q is then rounded up to 16 bits (half the
 * randomness) when that still passes the exact check, q >= 2^-8, and the rounding costs under 1% of
 * the signal p - q; otherwise the d - 1 draws compare 32-bit words with the 64-bit threshold.
 */
function unaryDesign(name: 'sue' | 'oue', epsilon: number): Extract<PrivacyProfile, { kind: 'unary' }> {
  let p: Fraction;
  let q: Fraction;
  if (name === 'sue') {
    const l = expLower(half(epsilon));
    const t = splitThreshold(l.num, l.den, 1n, 1n);
    p = { num: t, den: TWO_64 };
    q = { num: TWO_64 - t, den: TWO_64 };
  } else {
    const l = expLower(epsilon);
    p = { num: TWO_64 / 2n, den: TWO_64 };
    q = { num: (TWO_64 * l.den + l.num + l.den - 1n) / (l.num + l.den), den: TWO_64 };
  }
  const fine = { kind: 'unary' as const, p, q };
  const q16 = (q.num + (1n << 48n) - 1n) >> 48n;
  const cost = (q16 << 48n) - q.num; // how much the 16-bit rounding raises q (over 2^64)
  const coarse = { kind: 'unary' as const, p, q: { num: q16, den: 65536n } };
  if (q16 >= 256n && 100n * cost < p.num - q.num && profileProblems(coarse, epsilon).length === 0) return coarse;
  return fine;
}

/** Unary encoding's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function unaryParts(name: 'sue' | 'oue', params: OracleParams) {
  const o = checkParams(params, ['epsilon', 'domainSize', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const d = checkDomainSize(o, UNARY_MAX_DOMAIN);
  const allowInsecureRng = checkAllowInsecure(o);
  const profile = requireWithinEpsilon(`${name} with domainSize ${d}`, epsilon, (e) => unaryDesign(name, e), 'the 2^-64 probability grid');
  const tp = threshold(profile.p.num);
  const wide = profile.q.den === TWO_64;
  // 32-bit words compared with a 64-bit threshold (a tie asks for a second word), or 16-bit words
  const tq = threshold(wide ? profile.q.num : profile.q.num << 48n);
  const tq16 = wide ? 0 : Number(profile.q.num);
  const nb = packedLength(d);
  const device = {
    name,
    epsilon,
    domainSize: d,
    pStar: tp.p,
    qStar: tq.p,
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
      const qHi = tq.hi;
      const qLo = tq.lo;
      for (let k = 0; k < nb; k++) {
        const lim = Math.min(8, d - (k << 3));
        let byte = 0;
        if (wide) {
          for (let j = 0; j < lim; j++) {
            const x = words[w++] as number;
            if (x < qHi || (x === qHi && qLo !== 0 && rng.u32() < qLo)) byte |= 1 << j;
          }
        } else {
          for (let j = 0; j < lim; j++) if ((words[w++] as number) < tq16) byte |= 1 << j;
        }
        out[k] = byte;
      }
      // The true bucket's bit is redrawn with p (its q-draw above is discarded).
      const mask = 1 << (value & 7);
      const at = value >>> 3;
      out[at] = bernoulli(tp, rng) ? (out[at] as number) | mask : (out[at] as number) & ~mask;
      return out;
    },
    encodeReport(report: UnaryReport): Uint8Array {
      checkPacked(report, d, 'report');
      return encodeReportPayload(name, report);
    },
  };
  return { device, profile };
}

function makeUnaryDevice(name: 'sue' | 'oue', params: OracleParams): DeviceOracle<UnaryReport> {
  const { device, profile } = unaryParts(name, params);
  return withProfile(Object.freeze(device), profile);
}

function makeUnary(name: 'sue' | 'oue', params: OracleParams): FrequencyOracle<UnaryReport> {
  const { device, profile } = unaryParts(name, params);
  const { epsilon, domainSize: d, pStar, qStar } = device;
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
  const oracle = Object.freeze({
    ...device,
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
  return withProfile(oracle, profile);
}

/** Symmetric unary encoding (basic one-time RAPPOR). */
export function makeSue(params: OracleParams): FrequencyOracle<UnaryReport> {
  return makeUnary('sue', params);
}

/** Optimized unary encoding. */
export function makeOue(params: OracleParams): FrequencyOracle<UnaryReport> {
  return makeUnary('oue', params);
}

/** SUE as a device runs it (DeviceOracle). */
export function makeSueDevice(params: OracleParams): DeviceOracle<UnaryReport> {
  return makeUnaryDevice('sue', params);
}

/** OUE as a device runs it (DeviceOracle). */
export function makeOueDevice(params: OracleParams): DeviceOracle<UnaryReport> {
  return makeUnaryDevice('oue', params);
}
