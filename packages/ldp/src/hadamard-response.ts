/**
 * Hadamard response: with K the smallest power of two > d, bucket x owns the K/2 outputs
 * C_x = { y in [0, K) : H[x+1][y] = +1 }. The device reports y uniform in C_x with probability
 * e^ε / (e^ε + 1), else uniform outside C_x. A report supports every bucket v with y in C_v.
 * Acharya, Sun, Zhang, "Hadamard Response: Estimating Distributions Privately, Efficiently, and
 * with Little Communication", AISTATS 2019, §3 (the construction for the high-privacy regime; the
 * blocked variant for large ε is not implemented). Support counts of all buckets come from one
 * fast Walsh–Hadamard transform of the output histogram: C(v) = (n + (H T)[v+1]) / 2.
 * Proof: hadamard-response.proof.md.
 */
import { type Rng, requireSecureRng } from '@pinhole/core';
import { invalidPrivate } from '@pinhole/core/validate';
import { sampleBinomialUnchecked, sampleUniformMultinomialUnchecked } from '@pinhole/core/samplers';
import { fwht, nextPowerOfTwo, parity } from './hadamard.js';
import { type DeviceOracle, type FrequencyOracle, type OracleTally, type TallySpec, checkTrueCounts, oracleCommon, tallyFromAggregate } from './oracle.js';
import { type OracleParams, checkAllowInsecure, checkBucketValue, checkDomainSize, checkEpsilonParam, checkParams } from './params.js';
import { bernoulli, threshold } from './probability.js';
import { randomizedResponse, requireWithinEpsilon, withProfile } from './exact.js';
import { indexDecodeParts, indexEncoder } from './wire.js';

/** A Hadamard-response report: the output index y in [0, K). */
export type HadamardResponseReport = number;

export interface HadamardOracle<R> extends FrequencyOracle<R> {
  /** the Hadamard order K (a power of two) */
  readonly order: number;
}

export const HADAMARD_MAX_DOMAIN = 2 ** 22;

/** The i-th element (i in [0, K/2)) of { y : parity(row & y) = want }: insert the bit at row's lowest set bit. */
export function hadamardSetElement(row: number, i: number, want: number): number {
  const low = row & -row;
  const y = ((i & ~(low - 1)) << 1) | (i & (low - 1));
  return parity(row & y) === want ? y : y | low;
}

/** Hadamard response's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function hadamardResponseParts(params: OracleParams) {
  const o = checkParams(params, ['epsilon', 'domainSize', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const d = checkDomainSize(o, HADAMARD_MAX_DOMAIN);
  const allowInsecureRng = checkAllowInsecure(o);
  const K = nextPowerOfTwo(d + 1);
  // inside/outside the own half (kept/flipped bit): randomized response over two outcomes
  const profile = requireWithinEpsilon(`hadamard-response with domainSize ${d}`, epsilon, (e) => randomizedResponse(e, 2), 'the 2^-64 probability grid');
  const keep = threshold(profile.keep);
  const checkReport = (report: unknown, param: string): void => {
    if (typeof report !== 'number' || !Number.isInteger(report) || report < 0 || report >= K || Object.is(report, -0)) {
      throw invalidPrivate(param, `an integer >= 0 and < ${K}`, report);
    }
  };
  const device = {
    name: 'hadamard-response' as const,
    epsilon,
    domainSize: d,
    order: K,
    pStar: keep.p,
    qStar: 0.5, // |C_x ∩ C_v| = K/4 for x ≠ v
    reportBits: Math.log2(K),
    vectorLength: K,
    simulation: 'exact' as const,
    perturb(value: number, rng: Rng): HadamardResponseReport {
      checkBucketValue(value, d);
      requireSecureRng(rng, allowInsecureRng);
      const row = value + 1;
      const want = bernoulli(keep, rng) ? 0 : 1; // 0: inside C_x (H = +1)
      let y = rng.int(K);
      if (parity(row & y) !== want) y ^= row & -row; // flipping row's lowest bit flips the parity
      return y;
    },
    encodeReport: indexEncoder('hadamard-response', checkReport),
  };
  return { device, profile, checkReport };
}

/** Hadamard response as a device runs it (DeviceOracle, with the Hadamard order). */
export function makeHadamardResponseDevice(params: OracleParams): DeviceOracle<HadamardResponseReport> & { readonly order: number } {
  const { device, profile } = hadamardResponseParts(params);
  return withProfile(Object.freeze(device), profile);
}

export function makeHadamardResponse(params: OracleParams): HadamardOracle<HadamardResponseReport> {
  const { device, profile, checkReport } = hadamardResponseParts(params);
  const { epsilon, domainSize: d, order: K, pStar, qStar } = device;
  const key = `hadamard-response/${epsilon}/${d}`;
  const spec: TallySpec<HadamardResponseReport> = {
    oracle: 'hadamard-response',
    key,
    domainSize: d,
    vectorLength: K,
    signed: false,
    checkReport,
    accumulate(acc, reports) {
      for (let i = 0; i < reports.length; i++) acc[reports[i] as number]! += 1;
    },
    support(acc, n) {
      const w = fwht(acc.slice());
      const out = new Float64Array(d);
      for (let v = 0; v < d; v++) out[v] = (n + (w[v + 1] as number)) / 2;
      return out;
    },
  };
  const common = oracleCommon(spec, epsilon, pStar, qStar);
  const oracle = Object.freeze({
    ...device,
    ...indexDecodeParts('hadamard-response', K, checkReport),
    ...common,
    simulateTally(trueCounts: Int32Array | readonly number[], rng: Rng): OracleTally<HadamardResponseReport> {
      const { counts, n } = checkTrueCounts(trueCounts, d);
      const acc = new Float64Array(K);
      for (let v = 0; v < d; v++) {
        const c = counts[v] as number;
        if (c === 0) continue;
        const row = v + 1;
        const inside = sampleBinomialUnchecked(c, pStar, rng);
        sampleUniformMultinomialUnchecked(inside, K / 2, rng, (i, m) => {
          acc[hadamardSetElement(row, i, 0)]! += m;
        });
        sampleUniformMultinomialUnchecked(c - inside, K / 2, rng, (i, m) => {
          acc[hadamardSetElement(row, i, 1)]! += m;
        });
      }
      return tallyFromAggregate(spec, acc, n);
    },
  });
  return withProfile(oracle, profile);
}
