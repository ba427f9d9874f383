/**
 * Optimal DP partition (bucket) selection: Desfontaines, Voss, Gipson, Mandayam, "Differentially
 * private partition selection", PoPETs 2022 (arXiv 2006.03684), Thm. 1. A bucket with n
 * contributors is released with probability pi(n), the largest function with pi(0) = 0 that
 * satisfies both (epsilon, delta)-DP constraints between n - 1 and n:
 *   pi(n) = min( e^eps pi(n-1) + delta,  1 - e^-eps (1 - pi(n-1) - delta),  1 ).
 * A contributor touching up to l0 buckets: each bucket uses (epsilon/c, delta/c) and basic
 * composition over the c buckets whose counts differ gives (epsilon, delta) (paper, Sec. 5), with
 * c = 2·l0 for replace-one neighbours (the default: the contributor leaves up to l0 buckets and
 * joins up to l0 others; each bucket's constraint holds between any n and n ± 1) and c = l0 for add/remove.
 *
 * The table is computed exactly: e^eps is replaced by a double r <= e^eps, every step is evaluated
 * in exact rational arithmetic on the previous stored double and rounded toward release
 * probability 0, so the stored probabilities satisfy both constraints exactly for (eps, delta), and
 * each draw is an exact Bernoulli of the stored double. Proof: optimal-selection.proof.md.
 */
import { type Rng, PinholeError } from '@pinhole/core';
import { bernoulliExact } from '@pinhole/core/samplers';
import { checkInteger, checkNumber, checkObject } from '@pinhole/core/validate';
import { toFraction } from '@pinhole/core/exact';
import { type SelectionNeighbours, bucketsChanged, readNeighbours } from './neighbours.js';

export interface OptimalSelectionParams {
  /** total epsilon for the selection, over all buckets a contributor touches */
  readonly epsilon: number;
  /** total delta for the selection, >= 1e-100 and < 1 */
  readonly delta: number;
  /** the most buckets one contributor is counted in (after contribution bounding), default 1 */
  readonly l0?: number;
  /** default 'replace_one' (the cohort size may be published); 'add_remove' only if nothing publishes it */
  readonly neighbours?: SelectionNeighbours;
}

export interface OptimalSelection {
  readonly kind: 'optimal_selection';
  readonly private: true;
  readonly epsilon: number;
  readonly delta: number;
  readonly l0: number;
  readonly neighbours: SelectionNeighbours;
  /** the per-bucket budget epsilon / c and delta / c, c the buckets neighbours differ in (2·l0 for replace-one, l0 for add/remove) */
  readonly epsilonPerBucket: number;
  readonly deltaPerBucket: number;
  /** the smallest n with pi(n) = 1 */
  readonly alwaysReleasedFrom: number;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly suppressionMessage: string;
  /** pi(n): the exact probability (to double rounding of the report) that a bucket with n contributors is released */
  releaseProbability(contributors: number): number;
  /** 1 - pi(n), exact as stored (no cancellation near 1) */
  suppressionProbability(contributors: number): number;
  /** one decision (hot path: n a non-negative integer, not validated) */
  select(contributors: number, rng: Rng): boolean;
}

/** Largest number of table entries (contributors until pi(n) = 1). */
export const OPTIMAL_SELECTION_MAX_TABLE = 1 << 18;

interface Frac {
  n: bigint;
  d: bigint;
}

function frac(x: number): Frac {
  if (x === 0) return { n: 0n, d: 1n };
  const f = toFraction(x);
  return { n: f.num, d: f.den };
}

function bitLen(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

const TINY = 2 ** -1000;

/**
 * The double nearest num/den (num >= 0, den > 0) rounded down (up = false) or up. Results below
 * 2^-1000 become 0 (down) or 2^-1000 (up): both keep the rounding direction.
 */
function roundFrac(num: bigint, den: bigint, up: boolean): number {
  if (num === 0n) return 0;
  let s = 53 - (bitLen(num) - bitLen(den)); // num·2^s/den lies in [2^52, 2^54)
  const N = s >= 0 ? num << BigInt(s) : num;
  const D = s >= 0 ? den : den << BigInt(-s);
  let m = N / D;
  let exact = m * D === N;
  if (m >= 1n << 53n) {
    exact = exact && (m & 1n) === 0n;
    m >>= 1n;
    s -= 1;
  }
  if (up && !exact) m += 1n;
  if (s > 1000 + 53) return up ? TINY : 0;
  const v = Number(m) * 2 ** -Math.ceil(s / 2) * 2 ** -Math.floor(s / 2);
  if (v < TINY) return up ? TINY : 0;
  return v;
}

/** a/b <= c/e for positive denominators */
function le(an: bigint, ad: bigint, cn: bigint, cd: bigint): boolean {
  return an * cd <= cn * ad;
}

interface Table {
  values: Float64Array;
  /** entries from this index on hold 1 - pi(n); before it, pi(n) */
  complementFrom: number;
}

/** The exact table for per-bucket (epsilon, delta), with r <= e^epsilon a double. */
function buildTable(r: number, delta: number): Table {
  const R = frac(r);
  const Dl = frac(delta);
  const values: number[] = [0];
  let p = 0;
  let complementFrom = -1;
  // p-mode: store pi(n) rounded down.
  while (complementFrom < 0) {
    if (values.length >= OPTIMAL_SELECTION_MAX_TABLE) throw tooLong();
    const P = frac(p);
    // c1 = r p + delta
    let bn = R.n * P.n * Dl.d + Dl.n * R.d * P.d;
    let bd = R.d * P.d * Dl.d;
    // c2 = 1 - (1 - p - delta) / r, only binding while 1 - p - delta > 0
    const restN = P.d * Dl.d - P.n * Dl.d - Dl.n * P.d;
    if (restN > 0n) {
      const c2n = R.n * P.d * Dl.d - R.d * restN;
      const c2d = R.n * P.d * Dl.d;
      if (le(c2n, c2d, bn, bd)) {
        bn = c2n;
        bd = c2d;
      }
    }
    if (bn >= bd) {
      // pi(n) = 1: the table ends here
      complementFrom = values.length;
      return { values: Float64Array.from(values), complementFrom };
    }
    const next = roundFrac(bn, bd, false);
    if (next >= 0.5) {
      complementFrom = values.length;
      values.push(1 - next); // exact (Sterbenz): next is in [1/2, 1)
    } else {
      values.push(next);
      p = next;
    }
  }
  // q-mode: store 1 - pi(n) rounded up (pi rounded down).
  let q = values[values.length - 1] as number;
  for (;;) {
    if (values.length >= OPTIMAL_SELECTION_MAX_TABLE) throw tooLong();
    const Q = frac(q);
    // d2 = (q - delta) / r ; d1 = 1 - r (1 - q) - delta ; 1 - pi(n) = max(d1, d2, 0)
    const d2n = R.d * (Q.n * Dl.d - Dl.n * Q.d);
    const d2d = R.n * Q.d * Dl.d;
    const d1n = R.d * Q.d * Dl.d - R.n * (Q.d - Q.n) * Dl.d - Dl.n * R.d * Q.d;
    const d1d = R.d * Q.d * Dl.d;
    let bn = d2n;
    let bd = d2d;
    if (!le(d1n, d1d, bn, bd)) {
      bn = d1n;
      bd = d1d;
    }
    if (bn <= 0n) return { values: Float64Array.from(values), complementFrom };
    q = roundFrac(bn, bd, true);
    values.push(q);
  }
}

function tooLong(): PinholeError {
  return new PinholeError(
    'invalid_argument',
    'epsilon',
    `"epsilon" expected epsilon/l0 and delta/l0 large enough that the release probability reaches 1 within ${OPTIMAL_SELECTION_MAX_TABLE} contributors`,
  );
}

/**
 * The paper's closed form (Thm. 1) for per-bucket (epsilon, delta), in floating point: used to
 * cross-check the exact table, never to sample.
 */
export function optimalReleaseProbabilityClosedForm(contributors: number, epsilon: number, delta: number): number {
  const n = checkInteger('contributors', contributors, { ge: 0 });
  checkNumber('epsilon', epsilon, { gt: 0 });
  checkNumber('delta', delta, { gt: 0, lt: 1 });
  const n1 = 1 + Math.floor(Math.log1p(Math.tanh(epsilon / 2) * (1 / delta - 1)) / epsilon);
  const first = (m: number) => (Math.expm1(m * epsilon) / Math.expm1(epsilon)) * delta;
  if (n <= n1) return Math.min(1, first(n));
  const p1 = first(n1);
  const n2 = n1 + Math.floor(Math.log1p((Math.expm1(epsilon) / delta) * (1 - p1)) / epsilon);
  if (n > n2) return 1;
  return p1 - (1 - p1 + delta / Math.expm1(epsilon)) * Math.expm1(-(n - n1) * epsilon);
}

export function makeOptimalSelection(params: OptimalSelectionParams): OptimalSelection {
  checkObject('params', params);
  const epsilon = checkNumber('epsilon', params.epsilon, { gt: 0, le: 100 });
  const delta = checkNumber('delta', params.delta, { ge: 1e-100, lt: 1 });
  const l0 = params.l0 === undefined ? 1 : checkInteger('l0', params.l0, { ge: 1, le: 1 << 20 });
  const neighbours = readNeighbours(params.neighbours);
  const changed = bucketsChanged(l0, neighbours);
  // Per-bucket budget, rounded down so that the changed buckets never exceed the total.
  const epsilonPerBucket = (epsilon / changed) * (1 - 2 ** -50);
  const deltaPerBucket = (delta / changed) * (1 - 2 ** -50);
  if (!(epsilonPerBucket >= 2 ** -30)) {
    throw new PinholeError('invalid_argument', 'epsilon', `"epsilon" expected epsilon/${changed} >= 2^-30 (${changed} buckets differ between ${neighbours} neighbours), got ${epsilon}`);
  }
  // Estimated table length (paper's crossovers n1 + (n2 - n1)), to refuse huge tables up front.
  const estimate = Math.log1p(Math.tanh(epsilonPerBucket / 2) * (1 / deltaPerBucket)) / epsilonPerBucket + Math.log1p(Math.expm1(epsilonPerBucket) / deltaPerBucket) / epsilonPerBucket;
  if (!(estimate < OPTIMAL_SELECTION_MAX_TABLE - 8)) throw tooLong();
  // exp has < 1 ulp error; shrinking by 2^-40 makes r <= e^(epsilon/l0) certain.
  const r = Math.exp(epsilonPerBucket) * (1 - 2 ** -40);
  const { values, complementFrom } = buildTable(r, deltaPerBucket);
  const length = values.length;
  const suppressionProbability = (n: number): number => {
    checkInteger('contributors', n, { ge: 0 });
    if (n >= length) return 0;
    return n >= complementFrom ? (values[n] as number) : 1 - (values[n] as number);
  };
  const releaseProbability = (n: number): number => {
    checkInteger('contributors', n, { ge: 0 });
    if (n >= length) return 1;
    return n >= complementFrom ? 1 - (values[n] as number) : (values[n] as number);
  };
  const select = (n: number, rng: Rng): boolean => {
    if (n >= length) return true;
    const v = values[n] as number;
    return n >= complementFrom ? !bernoulliExact(v, rng) : bernoulliExact(v, rng);
  };
  return Object.freeze({
    kind: 'optimal_selection' as const,
    private: true as const,
    epsilon,
    delta,
    l0,
    neighbours,
    epsilonPerBucket,
    deltaPerBucket,
    alwaysReleasedFrom: length,
    parameters: Object.freeze({ mode: 'optimal_selection', epsilon, delta, l0, neighbours, epsilonPerBucket, deltaPerBucket, alwaysReleasedFrom: length }),
    suppressionMessage: `not selected by DP bucket selection (optimal partition selection, epsilon=${epsilon}, delta=${delta}, l0=${l0}, ${neighbours}); buckets with fewer contributors are released with lower probability, and from ${length} contributors always`,
    releaseProbability,
    suppressionProbability,
    select,
  });
}
