/**
 * What the numeric mechanisms share. Inputs are reals in [-1, 1] (core's BoundedReal.toUnit maps a
 * measurement there); each report is an unbiased estimate of its input, so the mean of the reports
 * is an unbiased estimate of the mean input. Every report is a point of a fixed lattice drawn with
 * integer arithmetic (±C, a discrete Laplace grid, or a window grid: window.ts), so no
 * floating-point rounding shapes the output distribution (Mironov, CCS 2012) and the ratio is exact.
 */
import { type PrivacyLoss, type Rng, PinholeError, requireSecureRng } from '@pinhole/core';
import { checkInteger, checkNumber, invalid, invalidPrivate } from '@pinhole/core/validate';
import { decodeFailed } from './wire.js';

export type NumericName = 'laplace' | 'duchi' | 'piecewise' | 'hybrid' | 'square-wave';

export interface NumericTally {
  readonly mechanism: NumericName;
  readonly n: number;
  /** sum of the reports' unbiased values */
  readonly sum: number;
  add(report: number): void;
  addBatch(reports: readonly number[] | Float64Array): void;
  merge(other: NumericTally): void;
}

export interface NumericMechanism {
  readonly name: NumericName;
  readonly epsilon: number;
  /** the range every report lies in */
  readonly outputRange: readonly [number, number];
  /** value in [-1, 1] → report */
  perturb(value: number, rng: Rng): number;
  /** the report's unbiased estimate of its input (identity except for Square Wave) */
  unbias(report: number): number;
  encodeReport(report: number): Uint8Array;
  decodeReport(bytes: Uint8Array): number;
  makeTally(): NumericTally;
  /** unbiased mean of the inputs */
  estimate(tally: NumericTally): number;
  /** Var of unbias(report) for one report of input t */
  reportVariance(t: number): number;
  /** Var of the mean estimate of n reports whose inputs all equal t (default: the worst t) */
  variance(n: number, trueValue?: number): number;
  privacyMap(): PrivacyLoss;
}

/**
 * What a device runs of a numeric mechanism (`makeXDevice`): its parameters, the randomized step and
 * the report's wire form, with the same parameter and exact-profile checks as the full mechanism.
 */
export type DeviceNumericMechanism = Pick<NumericMechanism, 'name' | 'epsilon' | 'outputRange' | 'perturb' | 'encodeReport'>;

/** The private input of perturb: a finite number in [-1, 1]. Errors do not echo it. */
export function checkUnitValue(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < -1 || value > 1) {
    throw invalidPrivate('value', 'a finite number >= -1 and <= 1', value);
  }
  return value;
}

/** An analyst's input for a variance: a public parameter in [-1, 1]. */
export function checkTrueValue(value: unknown): number {
  return checkNumber('trueValue', value, { ge: -1, le: 1 });
}

export class SumTally implements NumericTally {
  readonly mechanism: NumericName;
  readonly #key: string;
  readonly #check: (report: unknown, param: string) => number;
  #n = 0;
  #sum = 0;
  #comp = 0; // Kahan–Neumaier compensation: millions of reports keep full precision

  constructor(mechanism: NumericName, key: string, check: (report: unknown, param: string) => number) {
    this.mechanism = mechanism;
    this.#key = key;
    this.#check = check;
  }
  get key(): string {
    return this.#key;
  }
  get n(): number {
    return this.#n;
  }
  get sum(): number {
    return this.#sum + this.#comp;
  }
  #addValue(x: number): void {
    const t = this.#sum + x;
    this.#comp += Math.abs(this.#sum) >= Math.abs(x) ? this.#sum - t + x : x - t + this.#sum;
    this.#sum = t;
  }
  add(report: number): void {
    const x = this.#check(report, 'report');
    this.#addValue(x);
    this.#n += 1;
  }
  addBatch(reports: readonly number[] | Float64Array): void {
    if (!(Array.isArray(reports) || reports instanceof Float64Array)) throw invalidPrivate('reports', 'an array or Float64Array of reports', reports);
    const values = new Float64Array(reports.length);
    for (let i = 0; i < reports.length; i++) values[i] = this.#check(reports[i], `reports[${i}]`);
    for (let i = 0; i < values.length; i++) this.#addValue(values[i] as number);
    this.#n += values.length;
  }
  merge(other: NumericTally): void {
    if (!(other instanceof SumTally) || other.key !== this.#key) throw invalid('other', `a tally of the same mechanism (${this.#key})`, other);
    this.#addValue(other.sum);
    this.#n += other.n;
  }
}

export function checkNumericTally(tally: unknown, key: string): SumTally {
  if (!(tally instanceof SumTally) || tally.key !== key) throw invalid('tally', `a tally created by this mechanism (${key})`, tally);
  if (tally.n === 0) throw new PinholeError('invalid_state', 'tally', '"tally" expected at least one report, got an empty tally');
  return tally;
}

export function checkVarianceArgs(n: unknown, t: unknown): { n: number; t: number | undefined } {
  const nn = checkInteger('n', n, { ge: 1 });
  return { n: nn, t: t === undefined ? undefined : checkTrueValue(t) };
}

/** A numeric report payload: a finite number in [lo, hi] on the snapping grid (when `grid`). */
export function decodeNumber(payload: unknown, lo: number, hi: number, grid: number): number {
  if (typeof payload !== 'number' || !Number.isFinite(payload) || payload < lo || payload > hi || (grid > 0 && !Number.isInteger(payload / grid))) {
    throw decodeFailed(`a number in [${lo}, ${hi}]${grid > 0 ? ` that is a multiple of ${grid}` : ''}`, payload);
  }
  return payload;
}

/** A report in [lo, hi] on multiples of `grid`. A report may be a raw value passed by mistake: errors do not echo it. */
export function checkReportNumber(report: unknown, param: string, lo: number, hi: number, grid: number): number {
  if (typeof report !== 'number' || !Number.isFinite(report) || report < lo || report > hi || !Number.isInteger(report / grid)) {
    throw invalidPrivate(param, `a finite multiple of ${grid} >= ${lo} and <= ${hi}`, report);
  }
  return report;
}

/** perturb with its checks: the input in [-1, 1] and a secure rng (unless allowed otherwise). */
export function numericPerturb(allowInsecureRng: boolean, sample: (t: number, rng: Rng) => number): (value: number, rng: Rng) => number {
  return (value: number, rng: Rng): number => {
    checkUnitValue(value);
    requireSecureRng(rng, allowInsecureRng);
    return sample(value, rng);
  };
}

/**
 * The parts every mechanism whose report is its own unbiased estimate shares after perturb:
 * tally, mean estimate, the variances and the privacy map. `worst` lists the inputs where the
 * report variance peaks (it is a quadratic in t for all of them).
 */
export function unbiasedNumericParts(o: {
  readonly name: NumericName;
  readonly epsilon: number;
  readonly key: string;
  readonly check: (report: unknown, param: string) => number;
  readonly variance: (t: number) => number;
  readonly worst: readonly number[];
}): Pick<NumericMechanism, 'unbias' | 'makeTally' | 'estimate' | 'reportVariance' | 'variance' | 'privacyMap'> {
  return {
    unbias: (report: number) => o.check(report, 'report'),
    makeTally: () => new SumTally(o.name, o.key, o.check),
    estimate(tally: NumericTally): number {
      const t = checkNumericTally(tally, o.key);
      return t.sum / t.n;
    },
    reportVariance: (t: number) => o.variance(checkTrueValue(t)),
    variance(n: number, trueValue?: number): number {
      const a = checkVarianceArgs(n, trueValue);
      return (a.t !== undefined ? o.variance(a.t) : Math.max(...o.worst.map(o.variance))) / a.n;
    },
    privacyMap: () => Object.freeze({ epsilon: o.epsilon, delta: 0 }),
  };
}
