/**
 * The Piecewise Mechanism (PM): with h = e^{ε/2}, C = (h + 1)/(h - 1), l(t) = (C + 1)t/2 - (C - 1)/2
 * and r(t) = l(t) + C - 1, report a uniform point of [l, r] with probability h/(h + 1), else a
 * uniform point of [-C, l) ∪ (r, C]. The density is e^ε times higher on [l, r] than outside;
 * E[report] = t and Var = t²/(h - 1) + (h + 3)/(3(h - 1)²).
 * Wang, Xiao, Yang, Zhao, Hui, Shin, Shin, Yu, "Collecting and Analyzing Multidimensional Data
 * with Local Differential Privacy", ICDE 2019, §III-B, Algorithm 2 and Lemma 1.
 * Outputs are snapped to NUMERIC_GRID (numeric.ts). Proof: piecewise.proof.md.
 */
import { type Rng, } from '@pinhole/core';
import {
  NUMERIC_GRID,
  type NumericMechanism,
  checkReportNumber,
  decodeNumber,
  snap,
  unbiasedNumericParts,
} from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkParams } from './params.js';
import { decodeReportPayload, encodeReportPayload } from './wire.js';

export interface PiecewiseMechanism extends NumericMechanism {
  /** reports lie in [-c, c] (up to the snapping grid) */
  readonly c: number;
}

/** The PM randomizer's pieces, shared with Hybrid. */
export function piecewiseCore(epsilon: number) {
  const h = Math.exp(epsilon / 2);
  const c = (h + 1) / (h - 1);
  const pCenter = h / (h + 1);
  const hi = c + NUMERIC_GRID; // the snapped range
  return {
    c,
    hi,
    sample(t: number, rng: Rng): number {
      const l = ((c + 1) / 2) * t - (c - 1) / 2;
      let x: number;
      if (rng.float64() < pCenter) x = l + rng.float64() * (c - 1);
      else {
        const z = -c + rng.float64() * (c + 1); // the outside has total length (c + 1)
        x = z < l ? z : z + (c - 1);
      }
      return snap(x);
    },
    variance: (t: number) => (t * t) / (h - 1) + (h + 3) / (3 * (h - 1) * (h - 1)),
  };
}

export function makePiecewise(params: BaseParams): PiecewiseMechanism {
  const o = checkParams(params, ['epsilon', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const allowInsecureRng = checkAllowInsecure(o);
  const core = piecewiseCore(epsilon);
  const key = `piecewise/${epsilon}`;
  const check = (r: unknown, param: string) => checkReportNumber(r, param, -core.hi, core.hi);
  return Object.freeze({
    name: 'piecewise' as const,
    epsilon,
    c: core.c,
    outputRange: Object.freeze([-core.hi, core.hi] as const),
    ...unbiasedNumericParts({ name: 'piecewise', epsilon, key, allowInsecureRng, check, sample: (t, rng) => core.sample(t, rng), variance: core.variance, worst: [1] }),
    encodeReport(report: number): Uint8Array {
      check(report, 'report');
      return encodeReportPayload('piecewise', report);
    },
    decodeReport(bytes: Uint8Array): number {
      return decodeNumber(decodeReportPayload('piecewise', bytes), -core.hi, core.hi, NUMERIC_GRID);
    },
  });
}
