/**
 * Duchi et al.'s one-dimensional mechanism: report +C with probability 1/2 + t(e^ε - 1)/(2(e^ε + 1)),
 * else -C, with C = (e^ε + 1)/(e^ε - 1); E[report] = t. Duchi, Jordan, Wainwright, "Minimax optimal
 * procedures for locally private estimation", JASA 2018; as stated in Wang et al., ICDE 2019, §III-A.
 * The draw is rng.float64() < P(t) on the 2^-53 grid; P1 = P[+C | t = 1] is chosen exactly as the
 * largest multiple of 2^-53 with P1/(1-P1) <= e^ε. Proof: duchi.proof.md.
 */
import { type Rng } from '@pinhole/core';
import { invalidPrivate } from '@pinhole/core/validate';
import { TWO_53, expLower, type PrivacyProfile, requireWithinEpsilon, withProfile } from './exact.js';
import { type DeviceNumericMechanism, type NumericMechanism, numericPerturb, unbiasedNumericParts } from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkMinEpsilon, checkParams } from './params.js';
import { decodeFailed, decodeReportPayload, encodeReportPayload } from './wire.js';

export interface DuchiMechanism extends NumericMechanism {
  /** the magnitude of every report */
  readonly c: number;
}

/**
 * Below this the 2^-53 grid of rng.float64() holds P[+C | t = 1] - 1/2 ≈ ε/4 to worse than 1%
 * (it cannot exceed 1/2 at all below about 4.4e-16, where C would reach 2^52).
 */
export const DUCHI_MIN_EPSILON = 1e-13;

/** P1 = floor(2^53·L/(L+1))/2^53 with L <= e^ε: the largest grid value with P1/(1-P1) <= e^ε. */
function duchiPlus(epsilon: number): bigint {
  const l = expLower(epsilon);
  return (TWO_53 * l.num) / (l.num + l.den);
}

/** The Duchi randomizer's pieces, shared with Hybrid. */
export function duchiCore(epsilon: number, what: string) {
  const plusAt = (p1: number) => (t: number) => Math.min(p1, Math.max(1 - p1, 0.5 + t * (p1 - 0.5)));
  const design = (e: number): Extract<PrivacyProfile, { kind: 'duchi' }> => {
    const plus = duchiPlus(e);
    const at = plusAt(Number(plus) / 2 ** 53);
    // float64() < P draws +C for the ceil(P·2^53) grid values below P: P·2^53 is exact
    return { kind: 'duchi', plus, plusAt: (t: number) => BigInt(Math.ceil(at(t) * 2 ** 53)) };
  };
  const profile = requireWithinEpsilon(what, epsilon, design, 'the 2^-53 grid of rng.float64()');
  const p1 = Number(profile.plus) / 2 ** 53; // exact: an integer below 2^53 over 2^53
  const probability = plusAt(p1); // in [1 - P1, P1], both on the grid
  const c = 1 / (2 * p1 - 1);
  return {
    c,
    profile,
    sample: (t: number, rng: Rng): number => (rng.float64() < probability(t) ? c : -c),
    variance: (t: number) => c * c - t * t,
  };
}

/** Duchi's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function duchiParts(params: BaseParams) {
  const o = checkParams(params, ['epsilon', 'allowInsecureRng']);
  const epsilon = checkMinEpsilon(checkEpsilonParam(o), DUCHI_MIN_EPSILON, 'duchi');
  const allowInsecureRng = checkAllowInsecure(o);
  const core = duchiCore(epsilon, 'duchi');
  const c = core.c;
  const check = (r: unknown, param: string): number => {
    if (r !== c && r !== -c) throw invalidPrivate(param, `${c} or ${-c}`, r);
    return r;
  };
  const device = {
    name: 'duchi' as const,
    epsilon,
    c,
    outputRange: Object.freeze([-c, c] as const),
    perturb: numericPerturb(allowInsecureRng, core.sample),
    encodeReport(report: number): Uint8Array {
      check(report, 'report');
      return encodeReportPayload('duchi', report > 0 ? 1 : -1);
    },
  };
  return { device, core, check };
}

/** Duchi's mechanism as a device runs it (DeviceNumericMechanism, with the report magnitude c). */
export function makeDuchiDevice(params: BaseParams): DeviceNumericMechanism & { readonly c: number } {
  const { device, core } = duchiParts(params);
  return withProfile(Object.freeze(device), core.profile);
}

export function makeDuchi(params: BaseParams): DuchiMechanism {
  const { device, core, check } = duchiParts(params);
  const { epsilon, c } = device;
  const key = `duchi/${epsilon}`;
  const mechanism = Object.freeze({
    ...device,
    ...unbiasedNumericParts({ name: 'duchi', epsilon, key, check, variance: core.variance, worst: [0] }),
    decodeReport(bytes: Uint8Array): number {
      const p = decodeReportPayload('duchi', bytes);
      if (p !== 1 && p !== -1) throw decodeFailed('1 or -1', p);
      return p * c;
    },
  });
  return withProfile(mechanism, core.profile);
}
