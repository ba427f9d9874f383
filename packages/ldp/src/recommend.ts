/**
 * Choosing an oracle: every candidate's closed-form variance, averaged over the buckets of a
 * distribution (Var is linear in f, so the average over Σf = 1 is Var(n, 1/d)), and the smallest
 * wins; within 1% the smaller report wins. Wang et al., USENIX Security 2017, §5 compares the same
 * formulas (GRR best when d < 3e^ε + 2, OLH/OUE otherwise).
 */
import { checkInteger, checkObject, invalid } from '@pinhole/core/validate';
import { ORACLES } from './registry.js';
import type { OracleName } from './oracle.js';
import { MAX_EPSILON } from './params.js';
import { checkNumber } from '@pinhole/core/validate';

export interface OracleCandidate {
  readonly oracle: OracleName;
  /** average per-bucket variance of the raw frequency estimate */
  readonly expectedVariance: number;
  readonly reportBits: number;
}

export interface OracleRecommendation {
  readonly oracle: OracleName;
  readonly expectedVariance: number;
  readonly reason: string;
  /** every applicable oracle, best first */
  readonly candidates: readonly OracleCandidate[];
}

export function recommendOracle(params: { domainSize: number; epsilon: number; n: number }): OracleRecommendation {
  const o = checkObject('params', params);
  for (const k of Object.keys(o)) if (!['domainSize', 'epsilon', 'n'].includes(k)) throw invalid(k, 'no such parameter (known: domainSize, epsilon, n)', o[k]);
  const epsilon = checkNumber('epsilon', o.epsilon, { gt: 0, le: MAX_EPSILON });
  const domainSize = checkInteger('domainSize', o.domainSize, { ge: 2, le: 2 ** 24 });
  const n = checkInteger('n', o.n, { ge: 1 });
  const candidates: OracleCandidate[] = [];
  for (const [name, make] of Object.entries(ORACLES) as [OracleName, (typeof ORACLES)[OracleName]][]) {
    let oracle;
    try {
      oracle = make({ epsilon, domainSize });
    } catch {
      continue; // outside this oracle's supported domain sizes
    }
    candidates.push({ oracle: name, expectedVariance: oracle.variance(n, 1 / domainSize), reportBits: oracle.reportBits });
  }
  candidates.sort((a, b) => {
    const rel = (a.expectedVariance - b.expectedVariance) / Math.min(a.expectedVariance, b.expectedVariance);
    if (Math.abs(rel) > 0.01) return rel;
    return a.reportBits - b.reportBits || a.expectedVariance - b.expectedVariance;
  });
  const best = candidates[0] as OracleCandidate;
  const grr = candidates.find((c) => c.oracle === 'grr');
  const runnerUp = candidates[1];
  const parts = [
    `${best.oracle} has the smallest expected variance (${best.expectedVariance.toPrecision(3)} per bucket) at epsilon=${epsilon}, domainSize=${domainSize}, n=${n}, with ${best.reportBits}-bit reports`,
  ];
  if (runnerUp) parts.push(`next is ${runnerUp.oracle} (${(runnerUp.expectedVariance / best.expectedVariance).toFixed(2)}x the variance, ${runnerUp.reportBits} bits)`);
  if (grr && best.oracle !== 'grr') parts.push(`grr would be ${(grr.expectedVariance / best.expectedVariance).toFixed(2)}x worse`);
  return Object.freeze({
    oracle: best.oracle,
    expectedVariance: best.expectedVariance,
    reason: `${parts.join('; ')}.`,
    candidates: Object.freeze(candidates),
  });
}
