/**
 * The Hybrid Mechanism (HM): with probability α run the Piecewise Mechanism, else Duchi's, where
 * α = 1 - e^{-ε/2} for ε > ε* = 0.61 and α = 0 otherwise. Both parts are unbiased and ε-LDP, and
 * the mixing coin does not depend on the input, so HM is ε-LDP with Var = α·Var_PM + (1-α)·Var_Duchi.
 * Wang et al., ICDE 2019, §III-C, Lemma 3 and Eq. (6). Proof: hybrid.proof.md.
 */
import { invalidPrivate } from '@pinhole/core/validate';
import { DUCHI_MIN_EPSILON, duchiCore } from './duchi.js';
import { type PrivacyProfile, withProfile } from './exact.js';
import { type DeviceNumericMechanism, type NumericMechanism, numericPerturb, unbiasedNumericParts } from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkMinEpsilon, checkParams } from './params.js';
import { piecewiseCore } from './piecewise.js';
import { decodeFailed, decodeReportPayload, encodeReportPayload } from './wire.js';

export const HYBRID_EPSILON_STAR = 0.61;

/** Hybrid is Duchi's mechanism below ε*, so it shares Duchi's minimum. */
export const HYBRID_MIN_EPSILON = DUCHI_MIN_EPSILON;

export interface HybridMechanism extends NumericMechanism {
  /** probability of using the Piecewise Mechanism (on the 2^-53 grid of the coin) */
  readonly alpha: number;
}

/** The Hybrid Mechanism's device part: the checked parameters, the exact profiles, perturb and encodeReport. */
function hybridParts(params: BaseParams) {
  const o = checkParams(params, ['epsilon', 'allowInsecureRng']);
  const epsilon = checkMinEpsilon(checkEpsilonParam(o), HYBRID_MIN_EPSILON, 'hybrid');
  const allowInsecureRng = checkAllowInsecure(o);
  const du = duchiCore(epsilon, 'hybrid (its Duchi part)');
  const pm = epsilon > HYBRID_EPSILON_STAR ? piecewiseCore(epsilon, 'hybrid (its Piecewise part)') : undefined;
  // the coin float64() < α takes α rounded up to its 2^-53 grid: the variance uses that value
  const alpha = pm ? Math.ceil(-Math.expm1(-epsilon / 2) * 2 ** 53) / 2 ** 53 : 0;
  const hi = Math.max(pm?.c ?? 0, du.c);
  const valid = (r: unknown): r is number => r === du.c || r === -du.c || (pm !== undefined && pm.isReport(r));
  const rule = `${-du.c} or ${du.c}${pm ? ' or a Piecewise report' : ''}`;
  const check = (r: unknown, param: string): number => {
    if (!valid(r)) throw invalidPrivate(param, rule, r);
    return r;
  };
  const device = {
    name: 'hybrid' as const,
    epsilon,
    alpha,
    outputRange: Object.freeze([-hi, hi] as const),
    perturb: numericPerturb(allowInsecureRng, (t, rng) => (pm && rng.float64() < alpha ? pm.sample(t, rng) : du.sample(t, rng))),
    encodeReport(report: number): Uint8Array {
      return encodeReportPayload('hybrid', check(report, 'report'));
    },
  };
  const profile: PrivacyProfile = pm ? { kind: 'mixture', parts: [pm.profile, du.profile] } : { kind: 'mixture', parts: [du.profile] };
  return { device, profile, du, pm, valid, rule, check };
}

/** The Hybrid Mechanism as a device runs it (DeviceNumericMechanism, with α). */
export function makeHybridDevice(params: BaseParams): DeviceNumericMechanism & { readonly alpha: number } {
  const { device, profile } = hybridParts(params);
  return withProfile(Object.freeze(device), profile);
}

export function makeHybrid(params: BaseParams): HybridMechanism {
  const { device, profile, du, pm, valid, rule, check } = hybridParts(params);
  const { epsilon, alpha } = device;
  const key = `hybrid/${epsilon}`;
  const variance = (t: number) => (pm ? alpha * pm.variance(t) : 0) + (1 - alpha) * du.variance(t);
  const mechanism = Object.freeze({
    ...device,
    ...unbiasedNumericParts({ name: 'hybrid', epsilon, key, check, variance, worst: [-1, 0, 1] }),
    decodeReport(bytes: Uint8Array): number {
      const p = decodeReportPayload('hybrid', bytes);
      if (!valid(p)) throw decodeFailed(rule, p);
      return p;
    },
  });
  return withProfile(mechanism, profile);
}
