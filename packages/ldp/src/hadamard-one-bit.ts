/**
 * One-bit Hadamard (Hadamard randomized response): with K the smallest power of two >= d, the
 * device draws a row j uniform in [0, K) and reports j and the bit H[j][x] (±1) kept with
 * probability e^ε / (e^ε + 1), else flipped. A report (j, s) supports every v with H[j][v] = s.
 * Bassily and Smith, STOC 2015 (one-bit randomizer over a Hadamard code); Cormode, Kulkarni,
 * Srivastava, "Marginal release under local differential privacy", SIGMOD 2018, §4 (HRR); the
 * one-bit scheme in Acharya, Sun, Zhang, AISTATS 2019. Support counts from one fast Walsh–Hadamard
 * transform of the per-row signed sums S: C(v) = (n + (H S)[v]) / 2. Proof: hadamard-one-bit.proof.md.
 */
import { type Rng, requireSecureRng } from '@pinhole/core';
import { invalidPrivate } from '@pinhole/core/validate';
import { sampleBinomialUnchecked, sampleUniformMultinomialUnchecked } from '@pinhole/core/samplers';
import { fwht, hadamardEntry, nextPowerOfTwo, parity } from './hadamard.js';
import type { HadamardOracle } from './hadamard-response.js';
import { type DeviceOracle, type TallySpec, checkTrueCounts, oracleCommon, tallyFromAggregate, type OracleTally } from './oracle.js';
import { checkAllowInsecure, checkBucketValue, checkDomainSize, checkEpsilonParam, checkParams, type OracleParams } from './params.js';
import { bernoulli, threshold } from './probability.js';
import { randomizedResponse, requireWithinEpsilon, withProfile } from './exact.js';
import { decodeIndex, decodeReportPayload, encodeReportPayload } from './wire.js';

/** A one-bit Hadamard report: 2·j + bit, with bit 1 for +1 and 0 for -1. */
export type HadamardOneBitReport = number;

export const HADAMARD_ONE_BIT_MAX_DOMAIN = 2 ** 22;

/** One-bit Hadamard's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function hadamardOneBitParts(params: OracleParams) {
  const o = checkParams(params, ['epsilon', 'domainSize', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const d = checkDomainSize(o, HADAMARD_ONE_BIT_MAX_DOMAIN);
  const allowInsecureRng = checkAllowInsecure(o);
  const K = nextPowerOfTwo(d);
  // inside/outside the own half (kept/flipped bit): randomized response over two outcomes
  const profile = requireWithinEpsilon(`hadamard-one-bit with domainSize ${d}`, epsilon, (e) => randomizedResponse(e, 2), 'the 2^-64 probability grid');
  const keep = threshold(profile.keep);
  const limit = 2 * K;
  const checkReport = (report: unknown, param: string): void => {
    if (typeof report !== 'number' || !Number.isInteger(report) || report < 0 || report >= limit || Object.is(report, -0)) {
      throw invalidPrivate(param, `an integer >= 0 and < ${limit} (2·row + bit)`, report);
    }
  };
  const device = {
    name: 'hadamard-one-bit' as const,
    epsilon,
    domainSize: d,
    order: K,
    pStar: keep.p,
    qStar: 0.5, // columns x ≠ v agree on exactly K/2 rows
    reportBits: Math.log2(K) + 1,
    vectorLength: K,
    simulation: 'exact' as const,
    perturb(value: number, rng: Rng): HadamardOneBitReport {
      checkBucketValue(value, d);
      requireSecureRng(rng, allowInsecureRng);
      const j = rng.int(K);
      let bit = parity(j & value) === 0 ? 1 : 0;
      if (!bernoulli(keep, rng)) bit ^= 1;
      return 2 * j + bit;
    },
    encodeReport(report: HadamardOneBitReport): Uint8Array {
      checkReport(report, 'report');
      return encodeReportPayload('hadamard-one-bit', report);
    },
  };
  return { device, profile, checkReport };
}

/** One-bit Hadamard as a device runs it (DeviceOracle, with the Hadamard order). */
export function makeHadamardOneBitDevice(params: OracleParams): DeviceOracle<HadamardOneBitReport> & { readonly order: number } {
  const { device, profile } = hadamardOneBitParts(params);
  return withProfile(Object.freeze(device), profile);
}

export function makeHadamardOneBit(params: OracleParams): HadamardOracle<HadamardOneBitReport> {
  const { device, profile, checkReport } = hadamardOneBitParts(params);
  const { epsilon, domainSize: d, order: K, pStar, qStar } = device;
  const key = `hadamard-one-bit/${epsilon}/${d}`;
  const limit = 2 * K;
  const spec: TallySpec<HadamardOneBitReport> = {
    oracle: 'hadamard-one-bit',
    key,
    domainSize: d,
    vectorLength: K,
    signed: true,
    checkReport,
    accumulate(acc, reports) {
      for (let i = 0; i < reports.length; i++) {
        const r = reports[i] as number;
        acc[r >>> 1]! += (r & 1) === 1 ? 1 : -1;
      }
    },
    support(acc, n) {
      const w = fwht(acc.slice());
      const out = new Float64Array(d);
      for (let v = 0; v < d; v++) out[v] = (n + (w[v] as number)) / 2;
      return out;
    },
  };
  const common = oracleCommon(spec, epsilon, pStar, qStar);
  const oracle = Object.freeze({
    ...device,
    decodeReport(bytes: Uint8Array): HadamardOneBitReport {
      return decodeIndex(decodeReportPayload('hadamard-one-bit', bytes), limit);
    },
    toVector(report: HadamardOneBitReport): Int32Array {
      checkReport(report, 'report');
      const out = new Int32Array(K);
      out[report >>> 1] = (report & 1) === 1 ? 1 : -1;
      return out;
    },
    ...common,
    simulateTally(trueCounts: Int32Array | readonly number[], rng: Rng): OracleTally<HadamardOneBitReport> {
      const { counts, n } = checkTrueCounts(trueCounts, d);
      const acc = new Float64Array(K);
      for (let v = 0; v < d; v++) {
        const c = counts[v] as number;
        if (c === 0) continue;
        // rows uniform; kept reports add H[j][v], flipped ones subtract it
        const kept = sampleBinomialUnchecked(c, pStar, rng);
        sampleUniformMultinomialUnchecked(kept, K, rng, (j, m) => {
          acc[j]! += m * hadamardEntry(j, v);
        });
        sampleUniformMultinomialUnchecked(c - kept, K, rng, (j, m) => {
          acc[j]! -= m * hadamardEntry(j, v);
        });
      }
      return tallyFromAggregate(spec, acc, n);
    },
  });
  return withProfile(oracle, profile);
}
