/**
 * Square Wave (SW): for v = (t + 1)/2 in [0, 1], report a point of [-b, 1 + b] with density
 * p = e^ε/(2b e^ε + 1) on [v - b, v + b] and q = 1/(2b e^ε + 1) elsewhere, where
 * b = (ε e^ε - e^ε + 1) / (2 e^ε (e^ε - 1 - ε)) maximises the mutual information bound.
 * Li, Wang, Lopuhaä-Zwakenberg, Li, Škorić, Li, "Estimating Numerical Distributions under Local
 * Differential Privacy", SIGMOD 2020, §4 (Eq. 4-5); reconstruction by EM/EMS (§5) lives on the
 * server entry (square-wave-em.ts). The report is also debiased into an unbiased mean estimate:
 * E[x | v] = q(1 + 2b)/2 + 2b(p - q)·v. Outputs are snapped to NUMERIC_GRID. Proof: square-wave.proof.md.
 */
import { type Rng, checkInteger, invalid, requireSecureRng } from '@pinhole/core';
import {
  NUMERIC_GRID,
  type NumericMechanism,
  type NumericTally,
  SumTally,
  checkNumericTally,
  checkReportNumber,
  checkUnitValue,
  checkVarianceArgs,
  decodeNumber,
  snap,
} from './numeric.js';
import { type BaseParams, checkAllowInsecure, checkEpsilonParam, checkParams } from './params.js';
import { decodeReportPayload, encodeReportPayload } from './wire.js';

export interface SquareWaveParams extends BaseParams {
  /** number of input bins of the reconstructed distribution over [0, 1] (default 64) */
  readonly bins?: number;
}

export interface SquareWaveTally extends NumericTally {
  /** counts of reports per output bin (outputBins equal bins over [-b, 1 + b]) */
  histogram(): Float64Array;
}

export interface SquareWaveMechanism extends NumericMechanism {
  readonly b: number;
  /** density on [v - b, v + b] */
  readonly pHigh: number;
  /** density elsewhere */
  readonly pLow: number;
  readonly bins: number;
  readonly outputBins: number;
  createTally(): SquareWaveTally;
  /** E[report | t] and Var[report | t] (before debiasing) */
  reportMoments(t: number): { mean: number; variance: number };
  /** The EM transition matrix, row-major outputBins × bins: P[report in out-bin j | v = centre of in-bin i]. */
  transitionMatrix(): Float64Array;
}

export const SQUARE_WAVE_MIN_EPSILON = 0.01;

export function squareWaveB(epsilon: number): number {
  const e = Math.exp(epsilon);
  return (epsilon * e - e + 1) / (2 * e * (Math.expm1(epsilon) - epsilon));
}

export function makeSquareWave(params: SquareWaveParams): SquareWaveMechanism {
  const o = checkParams(params, ['epsilon', 'bins', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  if (epsilon < SQUARE_WAVE_MIN_EPSILON) throw invalid('epsilon', `a finite number >= ${SQUARE_WAVE_MIN_EPSILON} (b loses precision below)`, epsilon);
  const bins = o.bins === undefined ? 64 : checkInteger('bins', o.bins, { ge: 2, le: 4096 });
  const allowInsecureRng = checkAllowInsecure(o);
  const e = Math.exp(epsilon);
  const b = squareWaveB(epsilon);
  const pHigh = e / (2 * b * e + 1);
  const pLow = 1 / (2 * b * e + 1);
  const pCenter = 2 * b * pHigh;
  const A = (pLow * (1 + 2 * b)) / 2;
  const B = 2 * b * (pHigh - pLow);
  const outputBins = Math.ceil((1 + 2 * b) * bins);
  const lo = -b - NUMERIC_GRID;
  const hi = 1 + b + NUMERIC_GRID;
  const key = `square-wave/${epsilon}/${bins}`;
  const check = (r: unknown, param: string) => checkReportNumber(r, param, lo, hi);
  const unbias = (x: number) => 2 * ((x - A) / B) - 1;
  const moments = (t: number) => {
    const v = (t + 1) / 2;
    const mean = A + B * v;
    const m2 = (pLow * ((1 + b) ** 3 + b ** 3)) / 3 + ((pHigh - pLow) * (6 * v * v * b + 2 * b ** 3)) / 3;
    return { mean, variance: m2 - mean * mean };
  };
  const reportVariance = (t: number) => (4 * moments(t).variance) / (B * B);
  const binOf = (x: number) => Math.min(outputBins - 1, Math.max(0, Math.floor(((x + b) / (1 + 2 * b)) * outputBins)));

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

  return Object.freeze({
    name: 'square-wave' as const,
    epsilon,
    b,
    pHigh,
    pLow,
    bins,
    outputBins,
    outputRange: Object.freeze([lo, hi] as const),
    perturb(value: number, rng: Rng): number {
      const v = (checkUnitValue(value) + 1) / 2;
      requireSecureRng(rng, allowInsecureRng);
      let x: number;
      if (rng.float64() < pCenter) x = v - b + rng.float64() * 2 * b;
      else {
        const z = -b + rng.float64(); // the outside has total length 1
        x = z < v - b ? z : z + 2 * b;
      }
      return snap(x);
    },
    unbias: (report: number) => unbias(check(report, 'report')),
    encodeReport(report: number): Uint8Array {
      check(report, 'report');
      return encodeReportPayload('square-wave', report);
    },
    decodeReport(bytes: Uint8Array): number {
      return decodeNumber(decodeReportPayload('square-wave', bytes), lo, hi, NUMERIC_GRID);
    },
    createTally: () => new Tally(),
    estimate(tally: NumericTally): number {
      const t = checkNumericTally(tally, key);
      return t.sum / t.n;
    },
    reportMoments: (t: number) => moments(checkUnitValue(t, 'trueValue')),
    reportVariance: (t: number) => reportVariance(checkUnitValue(t, 'trueValue')),
    variance(n: number, trueValue?: number): number {
      const a = checkVarianceArgs(n, trueValue);
      if (a.t !== undefined) return reportVariance(a.t) / a.n;
      return Math.max(reportVariance(-1), reportVariance(0), reportVariance(1)) / a.n;
    },
    transitionMatrix(): Float64Array {
      const m = new Float64Array(outputBins * bins);
      const w = (1 + 2 * b) / outputBins;
      for (let i = 0; i < bins; i++) {
        const c = (i + 0.5) / bins;
        for (let j = 0; j < outputBins; j++) {
          const x0 = -b + j * w;
          const x1 = x0 + w;
          const overlap = Math.max(0, Math.min(x1, c + b) - Math.max(x0, c - b));
          m[j * bins + i] = pLow * w + (pHigh - pLow) * overlap;
        }
      }
      return m;
    },
    privacyMap: () => Object.freeze({ epsilon, delta: 0 }),
  });
}
