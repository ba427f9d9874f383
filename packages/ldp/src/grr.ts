/**
 * Generalized randomized response (GRR, "direct encoding"): keep the true bucket with probability
 * p = e^ε / (e^ε + d - 1), else report one of the other d - 1 buckets uniformly.
 * Wang, Blocki, Li, Jha, "Locally Differentially Private Protocols for Frequency Estimation",
 * USENIX Security 2017, §4.1. Proof and variance: grr.proof.md.
 */
import { type Rng, requireSecureRng } from '@pinhole/core';
import { invalidPrivate } from '@pinhole/core/validate';
import { sampleBinomialUnchecked, sampleUniformMultinomialUnchecked } from '@pinhole/core/samplers';
import { randomizedResponse, requireWithinEpsilon, withProfile } from './exact.js';
import { type DeviceOracle, type FrequencyOracle, type OracleTally, type TallySpec, checkTrueCounts, oracleCommon, tallyFromAggregate } from './oracle.js';
import { type OracleParams, checkAllowInsecure, checkBucketValue, checkDomainSize, checkEpsilonParam, checkParams } from './params.js';
import { bernoulli, threshold } from './probability.js';
import { indexDecodeParts, indexEncoder } from './wire.js';

/** A GRR report: the reported bucket. */
export type GrrReport = number;

export const GRR_MAX_DOMAIN = 2 ** 31;

/** GRR's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function grrParts(params: OracleParams) {
  const o = checkParams(params, ['epsilon', 'domainSize', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const d = checkDomainSize(o, GRR_MAX_DOMAIN);
  const allowInsecureRng = checkAllowInsecure(o);
  // Keep threshold over 2^64, the largest with T(d-1)/(2^64-T) <= e^ε; the inverse ratio and
  // p* > q* are checked too (at large d and small ε they are what fails).
  const profile = requireWithinEpsilon(`grr with domainSize ${d}`, epsilon, (e) => randomizedResponse(e, d), 'the 2^-64 probability grid');
  const keep = threshold(profile.keep);
  const pStar = keep.p;
  const qStar = (1 - pStar) / (d - 1);
  const checkReport = (report: unknown, param: string): void => {
    if (typeof report !== 'number' || !Number.isInteger(report) || report < 0 || report >= d) {
      throw invalidPrivate(param, `an integer >= 0 and < ${d}`, report);
    }
  };
  const device = {
    name: 'grr' as const,
    epsilon,
    domainSize: d,
    pStar,
    qStar,
    reportBits: Math.ceil(Math.log2(d)),
    vectorLength: d,
    simulation: 'exact' as const,
    perturb(value: number, rng: Rng): GrrReport {
      checkBucketValue(value, d);
      requireSecureRng(rng, allowInsecureRng);
      if (bernoulli(keep, rng)) return value;
      const r = rng.int(d - 1);
      return r >= value ? r + 1 : r;
    },
    encodeReport: indexEncoder('grr', checkReport),
  };
  return { device, profile, checkReport };
}

/** GRR as a device runs it (DeviceOracle): makeGrr's checks and perturb, without decoding or tallies. */
export function makeGrrDevice(params: OracleParams): DeviceOracle<GrrReport> {
  const { device, profile } = grrParts(params);
  return withProfile(Object.freeze(device), profile);
}

export function makeGrr(params: OracleParams): FrequencyOracle<GrrReport> {
  const { device, profile, checkReport } = grrParts(params);
  const { epsilon, domainSize: d, pStar, qStar } = device;
  const key = `grr/${epsilon}/${d}`;
  const spec: TallySpec<GrrReport> = {
    oracle: 'grr',
    key,
    domainSize: d,
    vectorLength: d,
    signed: false,
    checkReport,
    accumulate(acc, reports) {
      for (let i = 0; i < reports.length; i++) acc[reports[i] as number]! += 1;
    },
    support(acc) {
      return acc.slice();
    },
  };
  const common = oracleCommon(spec, epsilon, pStar, qStar);
  const oracle = Object.freeze({
    ...device,
    ...indexDecodeParts('grr', d, checkReport),
    ...common,
    simulateTally(trueCounts: Int32Array | readonly number[], rng: Rng): OracleTally<GrrReport> {
      const { counts, n } = checkTrueCounts(trueCounts, d);
      const acc = new Float64Array(d);
      for (let v = 0; v < d; v++) {
        const c = counts[v] as number;
        if (c === 0) continue;
        // Binomial(c, p*) keep v; the rest spread uniformly over the other d - 1 buckets.
        const kept = sampleBinomialUnchecked(c, pStar, rng);
        acc[v]! += kept;
        sampleUniformMultinomialUnchecked(c - kept, d - 1, rng, (cell, k) => {
          acc[cell >= v ? cell + 1 : cell]! += k;
        });
      }
      return tallyFromAggregate(spec, acc, n);
    },
  });
  return withProfile(oracle, profile);
}
