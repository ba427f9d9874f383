/**
 * Statistics for tests, audits and simulation: normal and chi-square quantiles, the regularized
 * incomplete beta and Clopper–Pearson bounds (one- or two-sided). Public as `@pinhole/core/stats`,
 * so every package derives its tolerances the same way.
 */
import { checkInteger, checkNumber, checkOneOf } from './validate.js';

/**
 * The standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9), with
 * -Infinity at 0 and Infinity at 1 (the ends of a CDF the synthetic generator inverts).
 */
export function normalQuantile(p: number): number {
  checkNumber('p', p, { ge: 0, le: 1 });
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  const poly = (coef: number[], x: number) => coef.reduce((acc, k) => acc * x + k, 0);
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - lo) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}

/**
 * The z such that a two-sided normal test |Z| > z fails with probability `falseFailureRate`
 * (4.42 for 1e-5).
 */
export function twoSidedZ(falseFailureRate: number): number {
  checkNumber('falseFailureRate', falseFailureRate, { gt: 0, lt: 1 });
  return normalQuantile(1 - falseFailureRate / 2);
}

/** The regularized upper incomplete gamma Q(a, x) (series and continued fraction, Numerical Recipes §6.2). */
export function upperIncompleteGamma(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnFront = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 100_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-16) break;
    }
    return 1 - sum * Math.exp(lnFront);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 100_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) break;
  }
  return Math.exp(lnFront) * h;
}

/** The upper `alpha` quantile of chi-square with `df` degrees of freedom (bisection on Q(df/2, x/2)). */
export function chiSquareCritical(df: number, alpha: number): number {
  checkInteger('df', df, { ge: 1 });
  checkNumber('alpha', alpha, { gt: 0, lt: 1 });
  let lo = 0;
  let hi = df + 10 * Math.sqrt(2 * df) + 100;
  while (upperIncompleteGamma(df / 2, hi / 2) > alpha) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (upperIncompleteGamma(df / 2, mid / 2) > alpha) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Pearson's statistic of observed counts against expected counts (same length). */
export function chiSquareStatistic(observed: ArrayLike<number>, expected: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < observed.length; i++) {
    const e = expected[i] as number;
    const d = (observed[i] as number) - e;
    s += (d * d) / e;
  }
  return s;
}

/**
 * Bins a pmf so that every bin expects at least `minExpected` of `n` draws: returns the bin edges
 * (inclusive lower bounds) and expected counts. `pmf(k)` is evaluated on [lo, hi]; the tails
 * beyond go to the outer bins.
 */
export function binPmf(pmf: (k: number) => number, lo: number, hi: number, n: number, minExpected = 20): { starts: number[]; expected: number[] } {
  const starts: number[] = [];
  const expected: number[] = [];
  let acc = 0;
  let start = lo;
  let total = 0;
  for (let k = lo; k <= hi; k++) total += pmf(k);
  for (let k = lo; k <= hi; k++) {
    acc += (pmf(k) / total) * n;
    if (acc >= minExpected) {
      starts.push(start);
      expected.push(acc);
      acc = 0;
      start = k + 1;
    }
  }
  if (acc > 0) {
    if (expected.length === 0) {
      starts.push(start);
      expected.push(acc);
    } else expected[expected.length - 1] = (expected[expected.length - 1] as number) + acc;
  }
  return { starts, expected };
}

/** Counts draws into bins given by their inclusive lower starts (values below the first go to bin 0). */
export function binCounts(values: ArrayLike<number>, starts: readonly number[]): number[] {
  const counts = new Array<number>(starts.length).fill(0);
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    let a = 0;
    let b = starts.length - 1;
    while (a < b) {
      const mid = (a + b + 1) >> 1;
      if ((starts[mid] as number) <= v) a = mid;
      else b = mid - 1;
    }
    counts[a] = (counts[a] as number) + 1;
  }
  return counts;
}

/** log Γ(x) (Lanczos, g = 7, n = 9: ~15 significant digits). */
export function logGamma(x: number): number {
  const g = [0.9999999999998099, 676.5203681218851, -1259.1392167224028, 771.3234287776531, -176.6150291621406, 12.507343278686905, -0.13857109526572012, 9.984369578019572e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = g[0] as number;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += (g[i] as number) / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized incomplete beta I_x(a, b) (continued fraction, Numerical Recipes §6.4). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  const cf = (xx: number, aa: number, bb: number) => {
    const tiny = 1e-300;
    let c = 1;
    let d = 1 - ((aa + bb) * xx) / (aa + 1);
    if (Math.abs(d) < tiny) d = tiny;
    d = 1 / d;
    let h = d;
    for (let m = 1; m <= 10_000; m++) {
      const m2 = 2 * m;
      let num = (m * (bb - m) * xx) / ((aa + m2 - 1) * (aa + m2));
      d = 1 + num * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      h *= d * c;
      num = (-(aa + m) * (aa + bb + m) * xx) / ((aa + m2) * (aa + m2 + 1));
      d = 1 + num * d;
      if (Math.abs(d) < tiny) d = tiny;
      c = 1 + num / c;
      if (Math.abs(c) < tiny) c = tiny;
      d = 1 / d;
      const del = d * c;
      h *= del;
      if (Math.abs(del - 1) < 1e-15) break;
    }
    return h;
  };
  if (x < (a + 1) / (a + b + 2)) return (front * cf(x, a, b)) / a;
  return 1 - (front * cf(1 - x, b, a)) / b;
}

/** The p-quantile of Beta(a, b), by bisection on the regularized incomplete beta. */
export function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (incompleteBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * The p-quantile of Student's t with `df` degrees of freedom, through the beta quantile:
 * P(|T| > t) = I_{df/(df+t²)}(df/2, 1/2).
 */
export function studentTQuantile(p: number, df: number): number {
  checkNumber('p', p, { gt: 0, lt: 1 });
  checkNumber('df', df, { gt: 0 });
  if (p === 0.5) return 0;
  const x = betaQuantile(2 * Math.min(p, 1 - p), df / 2, 0.5);
  const t = Math.sqrt(df * (1 / x - 1));
  return p > 0.5 ? t : -t;
}

export type ConfidenceSides = 'two_sided' | 'one_sided';

/**
 * Exact (Clopper–Pearson) bounds for a binomial proportion from `successes` in `trials`.
 * 'two_sided': P[lower <= p <= upper] >= 1 - alpha (alpha/2 on each side); 'one_sided': each bound
 * holds on its own at level 1 - alpha (P[p < lower] <= alpha and P[p > upper] <= alpha).
 */
export function clopperPearson(successes: number, trials: number, alpha: number, sides: ConfidenceSides): { lower: number; upper: number } {
  const n = checkInteger('trials', trials, { ge: 1 });
  const k = checkInteger('successes', successes, { ge: 0, le: n });
  const side = checkOneOf('sides', sides, ['two_sided', 'one_sided'] as const);
  // a one-sided level beyond 1/2 would put the lower bound above the upper one
  checkNumber('alpha', alpha, side === 'two_sided' ? { gt: 0, lt: 1 } : { gt: 0, lt: 0.5 });
  const tail = side === 'two_sided' ? alpha / 2 : alpha;
  return {
    lower: k === 0 ? 0 : betaQuantile(tail, k, n - k + 1),
    upper: k === n ? 1 : betaQuantile(1 - tail, k + 1, n - k),
  };
}
