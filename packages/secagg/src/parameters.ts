/**
 * Parameter choice. `secAggPlusParameters` picks the SecAgg+ neighbour degree k and threshold t
 * (Bell et al., CCS 2020, §3.2 and Thm 3.6 in spirit) for a cohort of n clients, each dropping
 * out independently with probability `dropoutRate`, of which at most a `corruptFraction` collude
 * with the server; it computes (never hard-codes) the resulting failure probabilities:
 *   security    ≤ n·P[Hyp(n-1, C, k) ≥ 2t-(k+1)] + n·ρ^{k/2},  ρ = γ + δ - γδ
 *   correctness ≤ n·P[Bin(k+1, 1-δ) < t]
 * (secagg.proof.md, Claims 2–4). `chooseModulusBits` sizes Z/2^b so a sum never wraps.
 */
import { PinholeError } from '@pinhole/core';
import { checkInteger, checkNumber, checkObject } from '@pinhole/core/validate';

/** Cohorts up to 2^20: ids are Shamir x-coordinates (< p) and travel as 32-bit words. */
export const MAX_COHORT = 2 ** 20;

const LOG2E = Math.LOG2E;
let logFact = new Float64Array([0, 0]);

/** ln(m!) from a table grown on demand (m ≤ 2^20 here). */
function lnFactorial(m: number): number {
  if (m >= logFact.length) {
    const next = new Float64Array(Math.max(m + 1, 2 * logFact.length));
    next.set(logFact);
    for (let i = logFact.length; i < next.length; i++) next[i] = (next[i - 1] as number) + Math.log(i);
    logFact = next;
  }
  return logFact[m] as number;
}

function lnChoose(n: number, k: number): number {
  return k < 0 || k > n ? -Infinity : lnFactorial(n) - lnFactorial(k) - lnFactorial(n - k);
}

/** ln(Σ exp(a_i)) without overflow. */
function lnSumExp(terms: number[]): number {
  const m = Math.max(...terms);
  if (m === -Infinity) return -Infinity;
  let s = 0;
  for (const a of terms) s += Math.exp(a - m);
  return m + Math.log(s);
}

/** ln P[Bin(n, p) < t]. */
export function lnBinomialLowerTail(n: number, p: number, t: number): number {
  if (t <= 0) return -Infinity;
  if (t > n) return 0;
  if (p >= 1) return -Infinity;
  if (p <= 0) return 0;
  const terms: number[] = [];
  for (let x = 0; x < t; x++) terms.push(lnChoose(n, x) + x * Math.log(p) + (n - x) * Math.log1p(-p));
  return Math.min(0, lnSumExp(terms));
}

/** ln P[Bin(n, p) < t] for every t in [0, n], in O(n). */
function lnBinomialLowerTails(n: number, p: number): Float64Array {
  const out = new Float64Array(n + 1);
  out[0] = -Infinity;
  let acc = -Infinity;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  for (let x = 0; x < n; x++) {
    const term = p >= 1 ? (x === n ? 0 : -Infinity) : p <= 0 ? (x === 0 ? 0 : -Infinity) : lnChoose(n, x) + x * lp + (n - x) * lq;
    acc = acc === -Infinity ? term : lnAdd(acc, term);
    out[x + 1] = Math.min(0, acc);
  }
  return out;
}

/** ln P[X ≥ m] for X ~ Hypergeometric(population N, K marked, d draws). */
export function lnHypergeometricUpperTail(N: number, K: number, d: number, m: number): number {
  const lo = Math.max(m, 0, d - (N - K));
  const hi = Math.min(d, K);
  if (lo > hi) return m <= Math.max(0, d - (N - K)) ? 0 : -Infinity;
  const total = lnChoose(N, d);
  const terms: number[] = [];
  for (let x = lo; x <= hi; x++) terms.push(lnChoose(K, x) + lnChoose(N - K, d - x) - total);
  return Math.min(0, lnSumExp(terms));
}

export interface SecAggPlusParams {
  /** cohort size */
  n: number;
  /** probability that a client drops out during a round, independently of the others, in [0, 1) */
  dropoutRate: number;
  /** fraction of clients that may collude with the server, in [0, 1) */
  corruptFraction: number;
  /** security: failure probability at most 2^-sigma (default 40) */
  sigma?: number;
  /** correctness: failure probability at most 2^-eta (default 30) */
  eta?: number;
}

export interface SecAggPlusChoice {
  readonly graph: 'harary' | 'complete';
  /** neighbours per client (n - 1 for the complete graph) */
  readonly degree: number;
  readonly threshold: number;
  /** upper bound on the probability that some honest input is exposed or the sum splits */
  readonly securityFailure: number;
  /** upper bound on the probability that the round cannot unmask */
  readonly correctnessFailure: number;
  /** -log2 of the two bounds */
  readonly securityBits: number;
  readonly correctnessBits: number;
}

function lnAdd(a: number, b: number): number {
  return lnSumExp([a, b]);
}

/** ln of the security failure bound of Claim 4 for one (degree, threshold); 0 means no guarantee. */
function lnSecurityFailure(n: number, degree: number, threshold: number, delta: number, gamma: number): number {
  const corrupt = Math.floor(gamma * n);
  if (degree >= n - 1) return corrupt < 2 * threshold - n ? -Infinity : 0;
  const rho = gamma + delta - gamma * delta;
  const lnDisconnect = Math.log(n) + (degree / 2) * Math.log(rho);
  return Math.min(0, lnAdd(Math.log(n) + lnHypergeometricUpperTail(n - 1, corrupt, degree, 2 * threshold - (degree + 1)), lnDisconnect));
}

export interface SecAggSecurityParams {
  n: number;
  /** neighbours per client; n - 1 (or more) is the complete graph */
  degree: number;
  threshold: number;
  dropoutRate: number;
  corruptFraction: number;
}

/**
 * -log2 of the security failure bound (secagg.proof.md, Claim 4) of a given degree and threshold:
 * the same formula `secAggPlusParameters` minimises, so a client can check the configuration a
 * server sends against the assumptions it accepts. Infinity when the bound is 0.
 */
export function secAggSecurityBits(params: SecAggSecurityParams): number {
  checkObject('params', params);
  const n = checkInteger('n', params.n, { ge: 2, le: MAX_COHORT });
  const degree = checkInteger('degree', params.degree, { ge: 1 });
  const threshold = checkInteger('threshold', params.threshold, { ge: 1 });
  const delta = checkNumber('dropoutRate', params.dropoutRate, { ge: 0, lt: 1 });
  const gamma = checkNumber('corruptFraction', params.corruptFraction, { ge: 0, lt: 1 });
  return -lnSecurityFailure(n, Math.min(degree, n - 1), threshold, delta, gamma) * LOG2E;
}

/**
 * The smallest even degree k (and, for it, the largest threshold t > (k+1)/2 that still meets
 * correctness) with security failure ≤ 2^-sigma and correctness failure ≤ 2^-eta; the complete
 * graph when no k < n-1 suffices. Throws invalid_argument when not even the complete graph does.
 */
export function secAggPlusParameters(params: SecAggPlusParams): SecAggPlusChoice {
  checkObject('params', params);
  const n = checkInteger('n', params.n, { ge: 2, le: MAX_COHORT });
  const delta = checkNumber('dropoutRate', params.dropoutRate, { ge: 0, lt: 1 });
  const gamma = checkNumber('corruptFraction', params.corruptFraction, { ge: 0, lt: 1 });
  const sigma = checkNumber('sigma', params.sigma ?? 40, { gt: 0, le: 1000 });
  const eta = checkNumber('eta', params.eta ?? 30, { gt: 0, le: 1000 });
  const lnSec = -sigma / LOG2E;
  const lnCor = -eta / LOG2E;
  const lnN = Math.log(n);
  const corrupt = Math.floor(gamma * n);
  const rho = gamma + delta - gamma * delta;
  const make = (graph: 'harary' | 'complete', degree: number, threshold: number, lnS: number, lnC: number): SecAggPlusChoice =>
    Object.freeze({
      graph,
      degree,
      threshold,
      securityFailure: Math.exp(lnS),
      correctnessFailure: Math.exp(lnC),
      securityBits: -lnS * LOG2E,
      correctnessBits: -lnC * LOG2E,
    });
  for (let k = 2; k < n - 1; k += 2) {
    const H = k + 1;
    const lnDisconnect = lnN + (k / 2) * Math.log(rho);
    if (lnDisconnect > lnSec) continue;
    // Largest t meeting correctness (the lower tail grows with t), then security there
    // (which only improves with t).
    const lower = lnBinomialLowerTails(H, 1 - delta);
    let t = H;
    while (t > H / 2 && Math.min(0, lnN + (lower[t] as number)) > lnCor) t--;
    if (!(t > H / 2)) continue;
    const lnC = Math.min(0, lnN + (lower[t] as number));
    const lnS = lnSecurityFailure(n, k, t, delta, gamma);
    if (lnS <= lnSec) return make('harary', k, t, lnS, lnC);
  }
  // Complete graph: one holder set for everyone, exactly `corrupt` of them corrupt.
  const lower = lnBinomialLowerTails(n, 1 - delta);
  let t = n;
  while (t > n / 2 && Math.min(0, lower[t] as number) > lnCor) t--;
  if (t > n / 2 && t >= 2 && corrupt < 2 * t - n) return make('complete', n - 1, t, -Infinity, Math.min(0, lower[t] as number));
  throw new PinholeError(
    'invalid_argument',
    'n',
    `no degree and threshold for n = ${n}, dropoutRate = ${delta}, corruptFraction = ${gamma} reach security 2^-${sigma} and correctness 2^-${eta}: a larger cohort, fewer dropouts or weaker targets are needed`,
  );
}

/**
 * The fewest bits b with n·maxValue < 2^b, so the sum of n entries in [0, maxValue] never wraps
 * mod 2^b. Throws when that needs more than 32 bits.
 */
export function chooseModulusBits(params: { n: number; maxValue: number }): number {
  checkObject('params', params);
  const n = checkInteger('n', params.n, { ge: 1 });
  const maxValue = checkInteger('maxValue', params.maxValue, { ge: 0 });
  const total = BigInt(n) * BigInt(maxValue);
  const bits = Math.max(1, total.toString(2).length);
  if (total === 0n) return 1;
  if (bits > 32) {
    throw new PinholeError('invalid_argument', 'maxValue', `"maxValue" times "n" is ${total}, which needs ${bits} bits; at most 32 are supported (reduce maxValue or split the cohort)`);
  }
  return bits;
}
