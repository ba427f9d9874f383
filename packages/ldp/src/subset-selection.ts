/**
 * k-subset selection: the device reports a set S of exactly k buckets. With probability
 * p_in = k e^ε / (k e^ε + d - k) S holds the true bucket and k - 1 others drawn uniformly, else k
 * buckets drawn uniformly from the other d - 1. k = max(1, min(d - 1, round(d / (e^ε + 1)))).
 * Ye and Barg, "Optimal schemes for discrete distribution estimation under locally differential
 * privacy", IEEE Trans. Inf. Theory 2018 (also Wang et al., "Mutual information optimally local
 * private discrete distribution estimation", 2016). Proof: subset-selection.proof.md.
 */
import { type Rng, requireSecureRng } from '@pinhole/core';
import { invalidPrivate } from '@pinhole/core/validate';
import { expLower, requireWithinEpsilon, splitThreshold, withProfile } from './exact.js';
import { accumulatePacked, decodePacked, isPacked, packedLength, packedToVector, popcountPacked } from './bits.js';
import { type DeviceOracle, type FrequencyOracle, type OracleTally, type TallySpec, oracleCommon, simulatePerBucket } from './oracle.js';
import { type OracleParams, checkAllowInsecure, checkBucketValue, checkDomainSize, checkEpsilonParam, checkParams } from './params.js';
import { bernoulli, threshold } from './probability.js';
import { decodeFailed, decodeReportPayload, encodeReportPayload } from './wire.js';

/** A subset-selection report: the subset as d packed bits with exactly k set. */
export type SubsetReport = Uint8Array;

export interface SubsetSelectionOracle extends FrequencyOracle<SubsetReport> {
  /** the subset size */
  readonly k: number;
}

export const SUBSET_MAX_DOMAIN = 2 ** 24;

/** Subset selection's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function subsetParts(params: OracleParams) {
  const o = checkParams(params, ['epsilon', 'domainSize', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const d = checkDomainSize(o, SUBSET_MAX_DOMAIN);
  const allowInsecureRng = checkAllowInsecure(o);
  const e = Math.exp(epsilon);
  const k = Math.max(1, Math.min(d - 1, Math.round(d / (e + 1))));
  // p_in = T/2^64, the largest with p_in/(1-p_in) · (d-k)/k <= e^ε: T = floor(2^64 kL/(kL + d - k)), L <= e^ε.
  const design = (eps: number) => {
    const l = expLower(eps);
    return { kind: 'subset' as const, keep: splitThreshold(BigInt(k) * l.num, l.den, BigInt(d - k), 1n), domainSize: d, k };
  };
  const profile = requireWithinEpsilon(`subset-selection with domainSize ${d} (k = ${k})`, epsilon, design, 'the 2^-64 probability grid');
  const keep = threshold(profile.keep);
  const pStar = keep.p;
  const qStar = (pStar * (k - 1)) / (d - 1) + ((1 - pStar) * k) / (d - 1);
  const nb = packedLength(d);
  const valid = (r: unknown): r is Uint8Array => isPacked(r, d) && popcountPacked(r) === k;
  const checkReport = (report: unknown, param: string): void => {
    if (!valid(report)) throw invalidPrivate(param, `a Uint8Array of ${nb} bytes with exactly ${k} of the ${d} bucket bits set`, report);
  };
  const device = {
    name: 'subset-selection' as const,
    epsilon,
    domainSize: d,
    k,
    pStar,
    qStar,
    reportBits: d,
    vectorLength: d,
    simulation: 'marginal' as const,
    perturb(value: number, rng: Rng): SubsetReport {
      checkBucketValue(value, d);
      requireSecureRng(rng, allowInsecureRng);
      const out = new Uint8Array(nb);
      const include = bernoulli(keep, rng);
      const m = include ? k - 1 : k;
      // Floyd's algorithm: m distinct indices of [0, d-1), mapped past the true bucket.
      const N = d - 1;
      for (let j = N - m; j < N; j++) {
        let t = rng.int(j + 1);
        let b = t >= value ? t + 1 : t;
        if (((out[b >>> 3] as number) >>> (b & 7)) & 1) {
          t = j;
          b = t >= value ? t + 1 : t;
        }
        out[b >>> 3]! |= 1 << (b & 7);
      }
      if (include) out[value >>> 3]! |= 1 << (value & 7);
      return out;
    },
    encodeReport(report: SubsetReport): Uint8Array {
      checkReport(report, 'report');
      return encodeReportPayload('subset-selection', report);
    },
  };
  return { device, profile, checkReport };
}

/** Subset selection as a device runs it (DeviceOracle, with the subset size k). */
export function makeSubsetSelectionDevice(params: OracleParams): DeviceOracle<SubsetReport> & { readonly k: number } {
  const { device, profile } = subsetParts(params);
  return withProfile(Object.freeze(device), profile);
}

export function makeSubsetSelection(params: OracleParams): SubsetSelectionOracle {
  const { device, profile, checkReport } = subsetParts(params);
  const { epsilon, domainSize: d, k, pStar, qStar } = device;
  const key = `subset-selection/${epsilon}/${d}`;
  const spec: TallySpec<SubsetReport> = {
    oracle: 'subset-selection',
    key,
    domainSize: d,
    vectorLength: d,
    signed: false,
    checkReport,
    accumulate: (acc, reports) => accumulatePacked(acc, reports, d),
    support: (acc) => acc.slice(),
  };
  const common = oracleCommon(spec, epsilon, pStar, qStar);
  const oracle = Object.freeze({
    ...device,
    decodeReport(bytes: Uint8Array): SubsetReport {
      const r = decodePacked(decodeReportPayload('subset-selection', bytes), d);
      if (popcountPacked(r) !== k) throw decodeFailed(`a subset of exactly ${k} buckets`, r);
      return r;
    },
    toVector(report: SubsetReport): Int32Array {
      checkReport(report, 'report');
      return packedToVector(report, d);
    },
    ...common,
    simulateTally: (trueCounts: Int32Array | readonly number[], rng: Rng): OracleTally<SubsetReport> => simulatePerBucket(spec, trueCounts, pStar, qStar, rng),
  });
  return withProfile(oracle, profile);
}
