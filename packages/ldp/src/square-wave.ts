/**
 * Square Wave (SW): for v = (t + 1)/2 in [0, 1], report a point of [-b, 1 + b] with density
 * p = e^ε/(2b e^ε + 1) on [v - b, v + b] and q = 1/(2b e^ε + 1) elsewhere, where
 * b = (ε e^ε - e^ε + 1) / (2 e^ε (e^ε - 1 - ε)) maximises the mutual information bound.
 * Li, Wang, Lopuhaä-Zwakenberg, Li, Škorić, Li, "Estimating Numerical Distributions under Local
 * Differential Privacy", SIGMOD 2020, §4 (Eq. 4-5); reconstruction by EM/EMS (§5) lives on the
 * server entry (square-wave-em.ts). The report is also debiased into an unbiased mean estimate:
 * E[x | v] = q(1 + 2b)/2 + 2b(p - q)·v. Here on an integer grid (window.ts): M = 2^20 shifts of a
 * window of W = round(2b·M) points, reports at the points' centres (2j + 1 - W)/2^21, and b, p, q,
 * the moments and the EM transition matrix are those of that grid. Proof: square-wave.proof.md.
 */
import { type Rng, requireSecureRng } from '@pinhole/core';
import { checkInteger, invalidPrivate } from '@pinhole/core/validate';
import { withProfile } from './exact.js';
import { type DeviceNumericMechanism, type NumericMechanism, type NumericTally, SumTally, checkNumericTally, checkTrueValue, checkUnitValue, checkVarianceArgs } from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkMinEpsilon, checkParams } from './params.js';
import { decodeFailed, decodeReportPayload, encodeReportPayload } from './wire.js';
import { makeWindow } from './window.js';

export interface SquareWaveParams extends BaseParams {
  /** number of input bins of the reconstructed distribution over [0, 1] (default 64) */
  readonly bins?: number;
}

export interface SquareWaveTally extends NumericTally {
  /** counts of reports per output bin (outputBins equal bins over [-b, 1 + b]) */
  histogram(): Float64Array;
}

export interface SquareWaveMechanism extends NumericMechanism {
  /** the window's half-width W/(2M) as achieved on the grid */
  readonly b: number;
  /** density on [v - b, v + b] (as achieved: π·M/W) */
  readonly pHigh: number;
  /** density elsewhere (as achieved: 1 - π) */
  readonly pLow: number;
  readonly bins: number;
  readonly outputBins: number;
  makeTally(): SquareWaveTally;
  /** E[report | t] and Var[report | t] (before debiasing) */
  reportMoments(t: number): { mean: number; variance: number };
  /** The EM transition matrix, row-major outputBins × bins: P[report in out-bin j | v = centre of in-bin i]. */
  transitionMatrix(): Float64Array;
}

/** Below this b's closed form loses precision (cancellation in ε e^ε - e^ε + 1). */
export const SQUARE_WAVE_MIN_EPSILON = 0.01;

/** Window shifts: the grid step of the reports is 1/(2M) = 2^-21. */
const SHIFTS = 2 ** 20;

export function squareWaveB(epsilon: number): number {
  const e = Math.exp(epsilon);
  return (epsilon * e - e + 1) / (2 * e * (Math.expm1(epsilon) - epsilon));
}

/** Square Wave's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function squareWaveParts(params: SquareWaveParams) {
  const o = checkParams(params, ['epsilon', 'bins', 'allowInsecureRng']);
  const epsilon = checkMinEpsilon(checkEpsilonParam(o), SQUARE_WAVE_MIN_EPSILON, 'square-wave');
  const bins = o.bins === undefined ? 64 : checkInteger('bins', o.bins, { ge: 2, le: 4096 });
  const allowInsecureRng = checkAllowInsecure(o);
  const M = SHIFTS;
  const win = makeWindow('square-wave', epsilon, Math.max(1, Math.round(2 * squareWaveB(epsilon) * M)), M);
  const { W, N } = win;
  const valueOf = (j: number) => (2 * j + 1 - W) / (2 * M); // exact: integers over a power of two
  const indexOf = (x: unknown): number => {
    if (typeof x !== 'number' || !Number.isFinite(x)) return -1;
    const k = x * 2 * M + W - 1; // 2j, exactly when x is a report
    return Number.isInteger(k) && k % 2 === 0 && k >= 0 && k <= 2 * (N - 1) ? k / 2 : -1;
  };
  const rule = `a Square Wave report: (2j + 1 - ${W})/${2 * M} for an integer j in [0, ${N})`;
  const check = (r: unknown, param: string): number => {
    if (indexOf(r) < 0) throw invalidPrivate(param, rule, r);
    return r as number;
  };
  const device = {
    name: 'square-wave' as const,
    epsilon,
    b: W / (2 * M),
    pHigh: (win.pi * M) / W,
    pLow: 1 - win.pi,
    bins,
    outputBins: Math.ceil((N * bins) / M), // (1 + 2b)·bins
    outputRange: Object.freeze([valueOf(0), valueOf(N - 1)] as const),
    perturb(value: number, rng: Rng): number {
      const v = (checkUnitValue(value) + 1) / 2;
      requireSecureRng(rng, allowInsecureRng);
      return valueOf(win.sample(v, rng));
    },
    encodeReport(report: number): Uint8Array {
      return encodeReportPayload('square-wave', check(report, 'report'));
    },
  };
  return { device, win, indexOf, rule, check };
}

/** Square Wave as a device runs it (DeviceNumericMechanism, with its grid's b, densities and bins). */
export function makeSquareWaveDevice(
  params: SquareWaveParams,
): DeviceNumericMechanism & { readonly b: number; readonly pHigh: number; readonly pLow: number; readonly bins: number; readonly outputBins: number } {
  const { device, win } = squareWaveParts(params);
  return withProfile(Object.freeze(device), win.profile);
}

export function makeSquareWave(params: SquareWaveParams): SquareWaveMechanism {
  const { device, win, indexOf, rule, check } = squareWaveParts(params);
  const { epsilon, bins, outputBins } = device;
  const M = SHIFTS;
  const { W, N, kappa, pi } = win;
  // E[x | v] = A + B v with x = y/M + 1/2 and E[y | v] = κ(vM - M/2)
  const A = (1 - kappa) / 2;
  const B = kappa;
  const key = `square-wave/${epsilon}/${bins}`;
  const unbias = (x: number) => 2 * ((x - A) / B) - 1;
  const moments = (t: number) => {
    const v = (t + 1) / 2;
    return { mean: A + B * v, variance: win.varianceY(v) / (M * M) };
  };
  const reportVariance = (t: number) => (4 * moments(t).variance) / (B * B);
  // out-bin of a (checked) report x_j: its centre (j + 1/2)/N of the way across [-b, 1 + b], with 2j + 1 = 2M·x + W
  const binOf = (x: number) => Math.floor(((x * 2 * M + W) * outputBins) / (2 * N));

  class Tally extends SumTally implements SquareWaveTally {
    readonly #hist = new Float64Array(outputBins);
    constructor() {
      super('square-wave', key, (r, param) => unbias(check(r, param)));
    }
    override add(report: number): void {
      super.add(report);
      this.#hist[binOf(report)]! += 1;
    }
    override addBatch(reports: readonly number[] | Float64Array): void {
      super.addBatch(reports); // checks every report first
      for (let i = 0; i < reports.length; i++) this.#hist[binOf(reports[i] as number)]! += 1;
    }
    override merge(other: NumericTally): void {
      super.merge(other);
      const h = (other as Tally).histogram();
      for (let j = 0; j < outputBins; j++) this.#hist[j]! += h[j] as number;
    }
    histogram(): Float64Array {
      return this.#hist.slice();
    }
  }

  const mechanism = Object.freeze({
    ...device,
    unbias: (report: number) => unbias(check(report, 'report')),
    decodeReport(bytes: Uint8Array): number {
      const x = decodeReportPayload('square-wave', bytes);
      if (indexOf(x) < 0) throw decodeFailed(rule, x);
      return x as number;
    },
    makeTally: () => new Tally(),
    estimate(tally: NumericTally): number {
      const t = checkNumericTally(tally, key);
      return t.sum / t.n;
    },
    reportMoments: (t: number) => moments(checkTrueValue(t)),
    reportVariance: (t: number) => reportVariance(checkTrueValue(t)),
    variance(n: number, trueValue?: number): number {
      const a = checkVarianceArgs(n, trueValue);
      if (a.t !== undefined) return reportVariance(a.t) / a.n;
      return Math.max(reportVariance(-1), reportVariance(0), reportVariance(1)) / a.n;
    },
    transitionMatrix(): Float64Array {
      // out-bin J holds the points [first(J), first(J+1)); a point has mass a in the window, bOut outside,
      // and the randomized window start makes the expected overlap linear in s = vM
      const a = pi / W;
      const bOut = (1 - pi) / M;
      const first = new Float64Array(outputBins + 1);
      for (let J = 0; J < outputBins; J++) first[J] = Math.max(0, Math.ceil((2 * N * J - outputBins) / (2 * outputBins)));
      first[outputBins] = N;
      const m = new Float64Array(outputBins * bins);
      for (let i = 0; i < bins; i++) {
        const s = ((i + 0.5) / bins) * M;
        for (let J = 0; J < outputBins; J++) {
          const p0 = first[J] as number;
          const p1 = first[J + 1] as number;
          const overlap = Math.max(0, Math.min(s + W, p1) - Math.max(s, p0));
          m[J * bins + i] = bOut * (p1 - p0) + (a - bOut) * overlap;
        }
      }
      return m;
    },
    privacyMap: () => Object.freeze({ epsilon, delta: 0 }),
  });
  return withProfile(mechanism, win.profile);
}
