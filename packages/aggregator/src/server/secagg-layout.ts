/**
 * What a plan's secure-aggregation collections fix for a round: the vector layout one protocol run
 * carries (every collection concatenated) and the protocol configuration for the devices that joined.
 */
import { type Plan, type PlanCollection, PinholeError } from '@pinhole/core';
import { type SecAggRoundConfig, makeRoundConfig, secAggPlusParameters } from '@pinhole/secagg';

/** The round's vector layout: the collections in order, the concatenated length, the widest modulus and the largest minimum cohort. */
export interface SecaggLayout {
  readonly collections: (PlanCollection & { mode: 'secagg' })[];
  readonly vectorLength: number;
  readonly bits: number;
  readonly minCohort: number;
}

/** The secure-aggregation collections of a plan and the round's vector layout: one protocol run carries them all, concatenated. */
export function secaggLayout(plan: Plan): SecaggLayout | null {
  const collections = plan.collections.filter((c): c is PlanCollection & { mode: 'secagg' } => c.mode === 'secagg');
  if (collections.length === 0) return null;
  if (collections.length !== plan.collections.length) {
    throw new PinholeError('unsupported', 'plan.collections', 'a plan that mixes secure-aggregation collections with report collections is not supported: make one plan per mode');
  }
  const first = collections[0]!.secagg;
  collections.forEach((c, i) => {
    const same = (Object.keys(first) as (keyof typeof first)[]).every((k) => c.secagg[k] === first[k]) && Object.keys(c.secagg).length === Object.keys(first).length;
    if (!same) throw new PinholeError('unsupported', `plan.collections[${i}].secagg`, 'every secure-aggregation collection of a plan must share one protocol section (one round, one cohort)');
  });
  return {
    collections,
    vectorLength: collections.reduce((a, c) => a + c.mechanism.vectorLength, 0),
    bits: Math.max(...collections.map((c) => c.mechanism.modulusBits)),
    minCohort: Math.max(...collections.map((c) => c.minCohort)),
  };
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
