/**
 * The Piecewise Mechanism (PM): with h = e^{ε/2}, C = (h + 1)/(h - 1), l(t) = (C + 1)t/2 - (C - 1)/2
 * and r(t) = l(t) + C - 1, report a uniform point of [l, r] with probability h/(h + 1), else a
 * uniform point of [-C, l) ∪ (r, C]. The density is e^ε times higher on [l, r] than outside;
 * E[report] = t and Var = t²/(h - 1) + (h + 3)/(3(h - 1)²).
 * Wang, Xiao, Yang, Zhao, Hui, Shin, Shin, Yu, "Collecting and Analyzing Multidimensional Data
 * with Local Differential Privacy", ICDE 2019, §III-B, Algorithm 2 and Lemma 1.
 * Here on an integer grid (window.ts): W = 2^20 points for [l, r] and M = round(W·h) for the rest,
 * so that the ratio is checked exactly; report (2j - (N-1))/(κM) is unbiased and travels as that number. Proof: piecewise.proof.md.
 */
import { type Rng } from '@pinhole/core';
import { invalidPrivate } from '@pinhole/core/validate';
import { withProfile } from './exact.js';
import { type DeviceNumericMechanism, type NumericMechanism, numericPerturb, unbiasedNumericParts } from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkMinEpsilon, checkParams } from './params.js';
import { decodeFailed, decodeReportPayload, encodeReportPayload } from './wire.js';
import { makeWindow } from './window.js';

export interface PiecewiseMechanism extends NumericMechanism {
  /** reports lie in [-c, c]: (N-1)/(κM), the achieved C */
  readonly c: number;
}

/**
 * Below this the 2^-64 centre probability holds π - 1/2 ≈ ε/4 to worse than 1% (it cannot keep a
 * ratio above 1 at all below about 2.2e-19).
 */
export const PIECEWISE_MIN_EPSILON = 1e-16;

/** Points in the window [l, r]: its resolution relative to the window's width. */
const WINDOW_POINTS = 2 ** 20;

/** The PM randomizer's pieces, shared with Hybrid. */
export function piecewiseCore(epsilon: number, what: string) {
  const h = Math.exp(epsilon / 2);
  // outside/window lengths (C+1)/(C-1) = h; rounding M only changes the shape, π keeps the ratio exact
  const win = makeWindow(what, epsilon, WINDOW_POINTS, Math.max(WINDOW_POINTS, Math.round(WINDOW_POINTS * h)));
  const { N, M } = win;
  const sigma = 1 / (win.kappa * M);
  const c = (N - 1) * sigma;
  const valueOf = (j: number) => (2 * j - (N - 1)) * sigma;
  /** The lattice index of a report, or -1 when it is not a report. */
  const indexOf = (x: unknown): number => {
    if (typeof x !== 'number' || !Number.isFinite(x)) return -1;
    const k = Math.round(x / sigma);
    if (!(k >= -(N - 1) && k <= N - 1) || (k + N - 1) % 2 !== 0) return -1;
    const j = (k + N - 1) / 2;
    return valueOf(j) === x ? j : -1;
  };
  return {
    c,
    window: win,
    profile: win.profile,
    isReport: (x: unknown) => indexOf(x) >= 0,
    indexOf,
    valueOf,
    sample: (t: number, rng: Rng): number => valueOf(win.sample((t + 1) / 2, rng)),
    variance: (t: number) => 4 * sigma * sigma * win.varianceY((t + 1) / 2),
  };
}

/** The Piecewise Mechanism's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function piecewiseParts(params: BaseParams) {
  const o = checkParams(params, ['epsilon', 'allowInsecureRng']);
  const epsilon = checkMinEpsilon(checkEpsilonParam(o), PIECEWISE_MIN_EPSILON, 'piecewise');
  const allowInsecureRng = checkAllowInsecure(o);
  const core = piecewiseCore(epsilon, 'piecewise');
  const rule = `a Piecewise report: (2j - ${core.window.N - 1})·${1 / (core.window.kappa * core.window.M)} for an integer j in [0, ${core.window.N})`;
  const check = (r: unknown, param: string): number => {
    if (!core.isReport(r)) throw invalidPrivate(param, rule, r);
    return r as number;
  };
  const device = {
    name: 'piecewise' as const,
    epsilon,
    c: core.c,
    outputRange: Object.freeze([-core.c, core.c] as const),
    perturb: numericPerturb(allowInsecureRng, core.sample),
    encodeReport(report: number): Uint8Array {
      return encodeReportPayload('piecewise', check(report, 'report'));
    },
  };
  return { device, core, check, rule };
}

/** The Piecewise Mechanism as a device runs it (DeviceNumericMechanism, with the achieved C). */
export function makePiecewiseDevice(params: BaseParams): DeviceNumericMechanism & { readonly c: number } {
  const { device, core } = piecewiseParts(params);
  return withProfile(Object.freeze(device), core.profile);
}

export function makePiecewise(params: BaseParams): PiecewiseMechanism {
  const { device, core, check, rule } = piecewiseParts(params);
  const epsilon = device.epsilon;
  const key = `piecewise/${epsilon}`;
  const mechanism = Object.freeze({
    ...device,
    ...unbiasedNumericParts({ name: 'piecewise', epsilon, key, check, variance: core.variance, worst: [-1, 1] }),
    decodeReport(bytes: Uint8Array): number {
      const x = decodeReportPayload('piecewise', bytes);
      if (!core.isReport(x)) throw decodeFailed(rule, x);
      return x as number;
    },
  });
  return withProfile(mechanism, core.profile);
}
