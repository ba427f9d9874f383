/**
 * Empirical privacy auditing: run a mechanism many times on neighbouring inputs x and x', count an
 * output event E, and bound P[E | x] / P[E | x'] from below with Clopper–Pearson intervals
 * (exact binomial confidence bounds via the regularized incomplete beta function). For an ε-LDP
 * mechanism the true ratio is at most e^ε, so a lower bound above e^ε proves a violation with the
 * stated confidence (Jagielski, Ullman, Oprea, "Auditing Differentially Private Machine Learning",
 * NeurIPS 2020; Ding et al., "Detecting Violations of Differential Privacy", CCS 2018).
 */
import { checkInteger, checkNumber, invalid } from '@pinhole/core';

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
  -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** log Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  x -= 1;
  let a = LANCZOS[0] as number;
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += (LANCZOS[i] as number) / (x + i);
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta (modified Lentz). */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 10000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta I_x(a, b) for a, b > 0 and x in [0, 1]. */
export function regularizedBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lnFront = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x);
  if (x < (a + 1) / (a + b + 2)) return (Math.exp(lnFront) * betaContinuedFraction(x, a, b)) / a;
  return 1 - (Math.exp(lnFront) * betaContinuedFraction(1 - x, b, a)) / b;
}

/** The p-quantile of Beta(a, b), by bisection on I_x(a, b). */
function betaQuantile(p: number, a: number, b: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 200 && hi - lo > 1e-15; i++) {
    const mid = (lo + hi) / 2;
    if (regularizedBeta(mid, a, b) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * One-sided Clopper–Pearson bounds for k successes in n trials: P[p < lower] <= alpha and
 * P[p > upper] <= alpha for every true p.
 */
export function clopperPearson(successes: number, trials: number, alpha: number): { lower: number; upper: number } {
  const n = checkInteger('trials', trials, { ge: 1 });
  const k = checkInteger('successes', successes, { ge: 0, le: n });
  checkNumber('alpha', alpha, { gt: 0, lt: 0.5 });
  return {
    lower: k === 0 ? 0 : betaQuantile(alpha, k, n - k + 1),
    upper: k === n ? 1 : betaQuantile(1 - alpha, k + 1, n - k),
  };
}

export interface AuditCounts {
  /** times the event occurred on input x, and the runs on x */
  readonly events: number;
  readonly trials: number;
  /** times the event occurred on the neighbour x', and the runs on x' */
  readonly neighbourEvents: number;
  readonly neighbourTrials: number;
}

export interface AuditResult {
  /** lower confidence bound of P[E | x] / P[E | x'] (holds with probability >= 1 - alpha) */
  readonly ratioLower: number;
  /** ln(ratioLower): the privacy loss the experiment proves */
  readonly epsilonLower: number;
  /** the point estimate of the ratio */
  readonly ratioEstimate: number;
}

/** The audited lower bound of the likelihood ratio; alpha is split between the two bounds. */
export function auditLikelihoodRatio(counts: AuditCounts, alpha = 1e-6): AuditResult {
  if (typeof counts !== 'object' || counts === null) throw invalid('counts', 'an object', counts);
  const top = clopperPearson(counts.events, counts.trials, alpha / 2).lower;
  const bottom = clopperPearson(counts.neighbourEvents, counts.neighbourTrials, alpha / 2).upper;
  const ratioLower = bottom === 0 ? Infinity : top / bottom;
  return Object.freeze({
    ratioLower,
    epsilonLower: Math.log(ratioLower),
    ratioEstimate: (counts.events / counts.trials) / (counts.neighbourEvents / counts.neighbourTrials),
  });
}
