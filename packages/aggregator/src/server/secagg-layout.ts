/**
 * What a plan's secure-aggregation collections fix for a round: the vector layout one protocol run
 * carries (every collection concatenated) and the protocol configuration for the devices that joined.
 */
import { type Plan, PinholeError } from '@pinhole/core';
import { type SecaggLayout, secaggLayout as secaggLayoutOf } from '@pinhole/core/plan';
import { type SecAggRoundConfig, makeRoundConfig, secAggPlusParameters } from '@pinhole/secagg';

export type { SecaggLayout };

/** A plan's secure-aggregation layout (core's), refusing a plan that mixes them with report collections. */
export function secaggLayout(plan: Plan): SecaggLayout | null {
  const layout = secaggLayoutOf(plan);
  if (layout && layout.collections.length !== plan.collections.length) {
    throw new PinholeError('unsupported', 'plan.collections', 'a plan that mixes secure-aggregation collections with report collections is not supported: make one plan per mode');
  }
  return layout;
}

/** The configuration of a round for the `n` devices that joined: the plan's (k, t) at its cohort, else secAggPlusParameters for n. */
export function roundConfig(plan: Plan, roundId: string, n: number): SecAggRoundConfig {
  const layout = secaggLayout(plan) as SecaggLayout;
  const s = layout.collections[0]!.secagg;
  let graph: { kind: 'complete' } | { kind: 'harary'; degree: number };
  let threshold: number;
  if (n === s.cohort) {
    graph = s.graph === 'complete' ? { kind: 'complete' } : { kind: 'harary', degree: s.degree };
    threshold = s.threshold;
  } else {
    const p = secAggPlusParameters({ n, dropoutRate: s.dropoutRate, corruptFraction: s.corruptFraction, sigma: s.securityBits, eta: s.correctnessBits });
    graph = p.degree >= n - 1 ? { kind: 'complete' } : { kind: 'harary', degree: p.degree };
    threshold = p.threshold;
  }
  return makeRoundConfig({
    roundId,
    cohortSize: n,
    threshold,
    bits: layout.bits,
    vectorLength: layout.vectorLength,
    graph,
    threatModel: s.threatModel,
    assumptions: { dropoutRate: s.dropoutRate, corruptFraction: s.corruptFraction, securityBits: s.securityBits },
    minContributors: Math.max(2, Math.min(n, layout.minCohort)),
  });
}
