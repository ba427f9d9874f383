/**
 * The Laplace mechanism for one bounded real: report t + Lap(2/ε) for t in [-1, 1] (sensitivity 2).
 * Dwork, McSherry, Nissim, Smith, TCC 2006; as the numeric baseline of Wang et al., ICDE 2019, §II.
 * The noise is core's exact discrete Laplace on a power-of-two grid (makeSecureLaplace), never a
 * floating-point inverse CDF; its scale b is checked in exact arithmetic to satisfy b·ε >= 2 (the
 * double 2/ε can round below the real 2/ε). Proof: laplace-numeric.proof.md.
 */
import { makeSecureLaplace } from '@pinhole/core/samplers';
import { toFraction } from '@pinhole/core/exact';
import { requireWithinEpsilon, withProfile } from './exact.js';
import { type DeviceNumericMechanism, type NumericMechanism, checkReportNumber, decodeNumber, numericPerturb, unbiasedNumericParts } from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkMinEpsilon, checkParams } from './params.js';
import { decodeReportPayload, encodeReportPayload } from './wire.js';

export interface LaplaceNumericMechanism extends NumericMechanism {
  /** the noise scale actually used (>= 2/ε exactly, 20 significant bits) */
  readonly scale: number;
  /** every report is a multiple of this power of two */
  readonly granularity: number;
}

/** Below this (about 2^-56) the noise scale 2/ε nears the 2^60 that core's exact sampler supports. */
export const LAPLACE_NUMERIC_MIN_EPSILON = 1e-17;

/** 2/ε rounded up: the smallest double s with s·ε >= 2 exactly (fl(2/ε) or the next double). */
function twoOver(epsilon: number): number {
  const s = 2 / epsilon;
  const f = toFraction(s);
  const e = toFraction(epsilon);
  return f.num * e.num >= 2n * f.den * e.den ? s : s + s * 2 ** -52; // one or two ulps up
}

/** The Laplace mechanism's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function laplaceParts(params: BaseParams) {
  const o = checkParams(params, ['epsilon', 'allowInsecureRng']);
  const epsilon = checkMinEpsilon(checkEpsilonParam(o), LAPLACE_NUMERIC_MIN_EPSILON, 'laplace');
  const allowInsecureRng = checkAllowInsecure(o);
  const noise = makeSecureLaplace(twoOver(epsilon));
  // inputs snap to round(t/γ): t in [-1, 1] lands at most round(1/γ) - round(-1/γ) grid steps apart
  const shift = Math.round(1 / noise.granularity) - Math.round(-1 / noise.granularity);
  const profile = requireWithinEpsilon('laplace', epsilon, () => ({ kind: 'laplace' as const, scale: noise.scale, granularity: noise.granularity, shift }), 'the noise scale');
  // |noise| > 2000 scales has probability e^-2000: a report beyond that is malformed, not noise.
  const bound = 1 + 2000 * noise.scale;
  const check = (r: unknown, param: string) => checkReportNumber(r, param, -bound, bound, noise.granularity);
  const device = {
    name: 'laplace' as const,
    epsilon,
    scale: noise.scale,
    granularity: noise.granularity,
    outputRange: Object.freeze([-bound, bound] as const),
    perturb: numericPerturb(allowInsecureRng, (t, rng) => noise.sample(t, rng)),
    encodeReport(report: number): Uint8Array {
      return encodeReportPayload('laplace', check(report, 'report'));
    },
  };
  return { device, profile, check, noise, bound };
}

/** The Laplace mechanism as a device runs it (DeviceNumericMechanism, with its scale and grid). */
export function makeLaplaceNumericDevice(params: BaseParams): DeviceNumericMechanism & { readonly scale: number; readonly granularity: number } {
  const { device, profile } = laplaceParts(params);
  return withProfile(Object.freeze(device), profile);
}

export function makeLaplaceNumeric(params: BaseParams): LaplaceNumericMechanism {
  const { device, profile, check, noise, bound } = laplaceParts(params);
  const epsilon = device.epsilon;
  const key = `laplace/${epsilon}`;
  const mechanism = Object.freeze({
    ...device,
    ...unbiasedNumericParts({ name: 'laplace', epsilon, key, check, variance: () => noise.variance, worst: [0] }),
    decodeReport(bytes: Uint8Array): number {
      return decodeNumber(decodeReportPayload('laplace', bytes), -bound, bound, noise.granularity);
    },
  });
  return withProfile(mechanism, profile);
}
