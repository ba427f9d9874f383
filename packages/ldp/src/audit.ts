/**
 * Empirical privacy auditing: run a mechanism many times on neighbouring inputs x and x', count an
 * output event E, and bound P[E | x] / P[E | x'] from below with Clopper–Pearson intervals
 * (exact binomial confidence bounds via the regularized incomplete beta function). For an ε-LDP
 * mechanism the true ratio is at most e^ε, so a lower bound above e^ε proves a violation with the
 * stated confidence (Jagielski, Ullman, Oprea, "Auditing Differentially Private Machine Learning",
 * NeurIPS 2020; Ding et al., "Detecting Violations of Differential Privacy", CCS 2018).
 */
import { clopperPearson } from '@pinhole/core/stats';
import { invalid } from '@pinhole/core/validate';

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
  const top = clopperPearson(counts.events, counts.trials, alpha / 2, 'one_sided').lower;
  const bottom = clopperPearson(counts.neighbourEvents, counts.neighbourTrials, alpha / 2, 'one_sided').upper;
  const ratioLower = bottom === 0 ? Infinity : top / bottom;
  return Object.freeze({
    ratioLower,
    epsilonLower: Math.log(ratioLower),
    ratioEstimate: counts.events / counts.trials / (counts.neighbourEvents / counts.neighbourTrials),
  });
}
