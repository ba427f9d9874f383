/**
 * The Laplace mechanism for one bounded real: report t + Lap(2/ε) for t in [-1, 1] (sensitivity 2).
 * Dwork, McSherry, Nissim, Smith, TCC 2006; as the numeric baseline of Wang et al., ICDE 2019, §II.
 * The noise is core's exact discrete Laplace on a power-of-two grid (makeSecureLaplace), never a
 * floating-point inverse CDF. Proof: laplace-numeric.proof.md.
 */
import { makeSecureLaplace, } from '@pinhole/core';
import {
  type NumericMechanism,
  checkReportNumber,
  decodeNumber,
  unbiasedNumericParts,
} from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkParams } from './params.js';
import { decodeReportPayload, encodeReportPayload } from './wire.js';

export interface LaplaceNumericMechanism extends NumericMechanism {
  /** the noise scale actually used (2/ε rounded up to 20 significant bits) */
  readonly scale: number;
  /** every report is a multiple of this power of two */
  readonly granularity: number;
}

export function makeLaplaceNumeric(params: BaseParams): LaplaceNumericMechanism {
  const o = checkParams(params, ['epsilon', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const allowInsecureRng = checkAllowInsecure(o);
  const noise = makeSecureLaplace(2 / epsilon);
  const key = `laplace/${epsilon}`;
  // |noise| > 2000 scales has probability e^-2000: a report beyond that is malformed, not noise.
  const bound = 1 + 2000 * noise.scale;
  const check = (r: unknown, param: string) => checkReportNumber(r, param, -bound, bound);
  return Object.freeze({
    name: 'laplace' as const,
    epsilon,
    scale: noise.scale,
    granularity: noise.granularity,
    outputRange: Object.freeze([-bound, bound] as const),
    ...unbiasedNumericParts({ name: 'laplace', epsilon, key, allowInsecureRng, check, sample: (t, rng) => noise.sample(t, rng), variance: () => noise.variance, worst: [0] }),
    encodeReport(report: number): Uint8Array {
      check(report, 'report');
      return encodeReportPayload('laplace', report);
    },
    decodeReport(bytes: Uint8Array): number {
      return decodeNumber(decodeReportPayload('laplace', bytes), -bound, bound, noise.granularity);
    },
  });
}
