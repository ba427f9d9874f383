/**
 * Duchi et al.'s one-dimensional mechanism: report +C with probability 1/2 + t(e^ε - 1)/(2(e^ε + 1)),
 * else -C, with C = (e^ε + 1)/(e^ε - 1); E[report] = t. Duchi, Jordan, Wainwright, "Minimax optimal
 * procedures for locally private estimation", JASA 2018; as stated in Wang et al., ICDE 2019, §III-A.
 * Proof: duchi.proof.md.
 */
import { type Rng, } from '@pinhole/core';
import {
  type NumericMechanism,
  dyadic53,
  unbiasedNumericParts,
} from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkParams } from './params.js';
import { decodeFailed, decodeReportPayload, encodeReportPayload } from './wire.js';
import { invalid } from '@pinhole/core';

export interface DuchiMechanism extends NumericMechanism {
  /** the magnitude of every report */
  readonly c: number;
}

/** The Duchi randomizer's pieces, shared with Hybrid. */
export function duchiCore(epsilon: number) {
  const e = Math.exp(epsilon);
  // P[+C | t = 1] on the 2^-53 grid of rng.float64(), rounded down: the ratio P1/(1-P1) stays <= e^ε.
  const p1 = dyadic53(e / (e + 1));
  const c = 1 / (2 * p1 - 1);
  return {
    c,
    sample(t: number, rng: Rng): number {
      const p = Math.min(p1, Math.max(1 - p1, 0.5 + t * (p1 - 0.5)));
      return rng.float64() < p ? c : -c;
    },
    variance: (t: number) => c * c - t * t,
  };
}

export function makeDuchi(params: BaseParams): DuchiMechanism {
  const o = checkParams(params, ['epsilon', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const allowInsecureRng = checkAllowInsecure(o);
  const core = duchiCore(epsilon);
  const c = core.c;
  const key = `duchi/${epsilon}`;
  const check = (r: unknown, param: string): number => {
    if (r !== c && r !== -c) throw invalid(param, `${c} or ${-c}`, r);
    return r as number;
  };
  return Object.freeze({
    name: 'duchi' as const,
    epsilon,
    c,
    outputRange: Object.freeze([-c, c] as const),
    ...unbiasedNumericParts({ name: 'duchi', epsilon, key, allowInsecureRng, check, sample: (t, rng) => core.sample(t, rng), variance: core.variance, worst: [0] }),
    encodeReport(report: number): Uint8Array {
      check(report, 'report');
      return encodeReportPayload('duchi', report > 0 ? 1 : -1);
    },
    decodeReport(bytes: Uint8Array): number {
      const p = decodeReportPayload('duchi', bytes);
      if (p !== 1 && p !== -1) throw decodeFailed('1 or -1', p);
      return p * c;
    },
  });
}
