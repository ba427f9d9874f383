/**
 * The Hybrid Mechanism (HM): with probability α run the Piecewise Mechanism, else Duchi's, where
 * α = 1 - e^{-ε/2} for ε > ε* = 0.61 and α = 0 otherwise. Both parts are unbiased and ε-LDP, and
 * the mixing coin does not depend on the input, so HM is ε-LDP with Var = α·Var_PM + (1-α)·Var_Duchi.
 * Wang et al., ICDE 2019, §III-C, Lemma 3 and Eq. (6). Proof: hybrid.proof.md.
 */
import { invalid } from '@pinhole/core';
import { duchiCore } from './duchi.js';
import {
  NUMERIC_GRID,
  type NumericMechanism,
  decodeNumber,
  unbiasedNumericParts,
} from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkParams } from './params.js';
import { piecewiseCore } from './piecewise.js';
import { decodeFailed, decodeReportPayload, encodeReportPayload } from './wire.js';

export const HYBRID_EPSILON_STAR = 0.61;

export interface HybridMechanism extends NumericMechanism {
  /** probability of using the Piecewise Mechanism */
  readonly alpha: number;
}

export function makeHybrid(params: BaseParams): HybridMechanism {
  const o = checkParams(params, ['epsilon', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const allowInsecureRng = checkAllowInsecure(o);
  const pm = piecewiseCore(epsilon);
  const du = duchiCore(epsilon);
  const alpha = epsilon > HYBRID_EPSILON_STAR ? 1 - Math.exp(-epsilon / 2) : 0;
  const key = `hybrid/${epsilon}`;
  const hi = Math.max(pm.hi, du.c);
  const valid = (r: unknown): r is number =>
    typeof r === 'number' &&
    (r === du.c || r === -du.c || (alpha > 0 && Number.isFinite(r) && r >= -pm.hi && r <= pm.hi && Number.isInteger(r / NUMERIC_GRID)));
  const check = (r: unknown, param: string): number => {
    if (!valid(r)) throw invalid(param, `${-du.c}, ${du.c}${alpha > 0 ? ` or a multiple of ${NUMERIC_GRID} in [${-pm.hi}, ${pm.hi}]` : ''}`, r);
    return r;
  };
  const variance = (t: number) => alpha * pm.variance(t) + (1 - alpha) * du.variance(t);
  return Object.freeze({
    name: 'hybrid' as const,
    epsilon,
    alpha,
    outputRange: Object.freeze([-hi, hi] as const),
    ...unbiasedNumericParts({ name: 'hybrid', epsilon, key, allowInsecureRng, check, sample: (t, rng) => (alpha > 0 && rng.float64() < alpha ? pm.sample(t, rng) : du.sample(t, rng)), variance: variance, worst: [0, 1] }),
    encodeReport(report: number): Uint8Array {
      check(report, 'report');
      return encodeReportPayload('hybrid', report);
    },
    decodeReport(bytes: Uint8Array): number {
      const p = decodeReportPayload('hybrid', bytes);
      if (p === du.c || p === -du.c) return p;
      if (alpha === 0) throw decodeFailed(`${-du.c} or ${du.c}`, p);
      return decodeNumber(p, -pm.hi, pm.hi, NUMERIC_GRID);
    },
  });
}
