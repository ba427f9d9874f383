/**
 * Contribution bounding for distributed noise: count bounding, clipping in L1, L2 and L∞, and
 * unbiased randomized rounding onto an integer grid, each with the sensitivity bound it gives
 * (Kairouz, Liu, Steinke, ICML 2021, Sec. 4, for the rounding). Proof: distributed-noise.proof.md,
 * "Contribution bounding".
 */
import { type Rng, cryptoRng } from '@pinhole/core';
import { checkInteger, checkNumber, checkObject, invalid } from '@pinhole/core/validate';

/**
 * Bounds an integer count vector (entries >= 0): each entry capped at maxPerBucket, then, if the
 * total exceeds maxTotal, a uniformly random maxTotal of its units kept (sequential hypergeometric
 * draws, exact). The result has L1 <= maxTotal and L∞ <= maxPerBucket; see countSensitivity.
 */
export function boundCounts(counts: ArrayLike<number>, params: { maxTotal: number; maxPerBucket: number }, rng: Rng = cryptoRng()): Int32Array {
  checkObject('params', params);
  const maxTotal = checkInteger('maxTotal', params.maxTotal, { ge: 1, le: 2 ** 30 });
  const maxPerBucket = checkInteger('maxPerBucket', params.maxPerBucket, { ge: 1, le: 2 ** 30 });
  const x = readIntegers('counts', counts, 0, 2 ** 31 - 1);
  for (let i = 0; i < x.length; i++) if ((x[i] as number) > maxPerBucket) x[i] = maxPerBucket;
  let total = 0;
  for (let i = 0; i < x.length; i++) total += x[i] as number;
  if (total <= maxTotal) return x;
  // keep maxTotal of the total units uniformly: walk the buckets, drawing how many of each survive
  let keep = maxTotal;
  let left = total;
  for (let i = 0; i < x.length; i++) {
    const c = x[i] as number;
    let kept = 0;
    for (let u = 0; u < c; u++) {
      // unit survives with probability keep / left (exact, uniform integers)
      if (keep > 0 && rng.int(left) < keep) {
        kept++;
        keep--;
      }
      left--;
    }
    x[i] = kept;
  }
  return x;
}

/** The sensitivities of a count vector bounded by boundCounts: L1 = T, L2 = sqrt(floor(T/M)·M^2 + (T mod M)^2), M = min(maxPerBucket, T). */
export function countSensitivity(params: { maxTotal: number; maxPerBucket: number }): { l1Sensitivity: number; l2Sensitivity: number } {
  checkObject('params', params);
  const t = checkInteger('maxTotal', params.maxTotal, { ge: 1, le: 2 ** 30 });
  const m = Math.min(t, checkInteger('maxPerBucket', params.maxPerBucket, { ge: 1, le: 2 ** 30 }));
  const q = Math.floor(t / m);
  const r = t - q * m;
  return { l1Sensitivity: t, l2Sensitivity: Math.sqrt(q * m * m + r * r) };
}

function readReals(param: string, values: unknown): Float64Array {
  if (!(Array.isArray(values) || ArrayBuffer.isView(values)) || (values as ArrayLike<unknown>).length === 0) {
    throw invalid(param, 'a non-empty array of finite numbers', values);
  }
  const v = values as ArrayLike<unknown>;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw invalid(`${param}[${i}]`, 'a finite number', x);
    out[i] = x;
  }
  return out;
}

/** Scales a real vector down to L2 norm <= bound (unchanged when already within). */
export function clipL2(values: ArrayLike<number>, bound: number): Float64Array {
  const c = checkNumber('bound', bound, { gt: 0 });
  const x = readReals('values', values);
  let s = 0;
  for (const v of x) s += v * v;
  const norm = Math.sqrt(s);
  if (norm > c) for (let i = 0; i < x.length; i++) x[i] = ((x[i] as number) * c) / norm;
  return x;
}

/** Scales a real vector down to L1 norm <= bound. */
export function clipL1(values: ArrayLike<number>, bound: number): Float64Array {
  const c = checkNumber('bound', bound, { gt: 0 });
  const x = readReals('values', values);
  let s = 0;
  for (const v of x) s += Math.abs(v);
  if (s > c) for (let i = 0; i < x.length; i++) x[i] = ((x[i] as number) * c) / s;
  return x;
}

/** Clamps every coordinate into [-bound, bound]. */
export function clipLinf(values: ArrayLike<number>, bound: number): Float64Array {
  const c = checkNumber('bound', bound, { gt: 0 });
  const x = readReals('values', values);
  for (let i = 0; i < x.length; i++) x[i] = Math.min(c, Math.max(-c, x[i] as number));
  return x;
}

/**
 * Unbiased randomized rounding onto the integer grid of step `granularity` (gamma): x/gamma =
 * f + r with f = floor(x/gamma), r in [0, 1); returns f + 1 with probability r, else f. E = x/gamma.
 * The Bernoulli(r) compares r with a 53-bit uniform (rng.float64()): exact up to 2^-53.
 */
export function randomizedRound(values: ArrayLike<number>, granularity: number, rng: Rng = cryptoRng()): Int32Array {
  const g = checkNumber('granularity', granularity, { gt: 0 });
  const x = readReals('values', values);
  const out = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const y = (x[i] as number) / g;
    if (!(Math.abs(y) < 2 ** 31 - 1)) throw invalid(`values[${i}]`, `a value with |value / granularity| < 2^31 - 1`, x[i]);
    const f = Math.floor(y);
    const r = y - f;
    out[i] = r > 0 && rng.float64() < r ? f + 1 : f;
  }
  return out;
}

/**
 * The simple sensitivity bound after randomized rounding (KLS 2021, Sec. 4): each coordinate moves
 * by less than one grid step, so an input with L2 norm <= l2Clip and L1 norm <= l1Clip becomes an
 * integer vector with L2 < l2Clip/gamma + sqrt(d) and L1 < l1Clip/gamma + d. (Conditional
 * randomized rounding, which retries until the norm is small, is tighter but biased: not used.)
 */
export function roundedSensitivity(params: { l2Clip: number; l1Clip?: number; granularity: number; vectorLength: number }): { l2Sensitivity: number; l1Sensitivity: number } {
  checkObject('params', params);
  const l2 = checkNumber('l2Clip', params.l2Clip, { gt: 0 });
  const g = checkNumber('granularity', params.granularity, { gt: 0 });
  const d = checkInteger('vectorLength', params.vectorLength, { ge: 1, le: 2 ** 24 });
  const l1 = params.l1Clip === undefined ? Math.sqrt(d) * l2 : checkNumber('l1Clip', params.l1Clip, { gt: 0 });
  return { l2Sensitivity: l2 / g + Math.sqrt(d), l1Sensitivity: l1 / g + d };
}

/** Integers in [lo, hi] (data, not a parameter: -0 is read as 0), optionally of a given length. */
export function readIntegers(param: string, values: unknown, lo: number, hi: number, length?: number): Int32Array {
  if (!(Array.isArray(values) || ArrayBuffer.isView(values)) || (length !== undefined && (values as ArrayLike<unknown>).length !== length)) {
    throw invalid(param, length === undefined ? 'an array of integers' : `an array of ${length} integers`, values);
  }
  const v = values as ArrayLike<unknown>;
  const out = new Int32Array(v.length);
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    // data, not a parameter: -0 is read as 0
    if (typeof x !== 'number' || !Number.isInteger(x) || x < lo || x > hi) throw invalid(`${param}[${i}]`, `an integer in [${lo}, ${hi}]`, x);
    out[i] = x;
  }
  return out;
}
