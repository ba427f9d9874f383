/**
 * The threat model of each mode and what a release treats as public, stated in every release and
 * in the bench's report header, so that two epsilons are compared only where they mean the same.
 */
import { type PlanCollection } from '@pinhole/core';
import { NEIGHBOUR_STATEMENT } from '@pinhole/core/privacy';
import type { ThreatModel } from './release.js';

const COMMON_PUBLIC = [
  'the plan: its domains (operators, regions, cells) and bucket edges, declared by the carrier and never taken from the data',
  'which devices take part in a round and for which collections, and how many (the cohort size)',
] as const;

export function threatModelOf(c: PlanCollection): ThreatModel {
  switch (c.mode) {
    case 'ldp':
      return {
        kind: 'local_dp',
        variant: null,
        trusted: 'nobody: every report is perturbed on the device before it leaves',
        description:
          'local differential privacy: each device perturbs its report before it leaves the phone (epsilon: the mechanism’s, per report); the aggregator, the network and every carrier see only perturbed reports',
      };
    case 'secagg':
      return c.secagg.threatModel === 'key_directory'
        ? {
            kind: 'secure_aggregation',
            variant: 'key_directory',
            trusted: `the key directory that certifies devices' keys${c.secagg.keyDirectory === undefined ? '' : ` (${c.secagg.keyDirectory})`}, run by a party other than the aggregator; at most ${c.secagg.corruptFraction} of the cohort colluding with the server`,
            description: `secure aggregation with distributed ${c.mechanism.noise} noise: devices check each other's keys against a key directory the server cannot forge, so even a server that deviates from the protocol learns only the noisy sum of at least minCohort devices`,
          }
        : {
            kind: 'secure_aggregation',
            variant: 'honest_but_curious',
            trusted: `the aggregator to follow the SecAgg protocol (no forged devices or keys); at most ${c.secagg.corruptFraction} of the cohort colluding with it`,
            description: `secure aggregation with distributed ${c.mechanism.noise} noise: each device adds its noise share before masking and the aggregator unmasks only the noisy sum of at least minCohort devices`,
          };
    case 'prio3':
      return {
        kind: 'two_aggregators',
        variant: null,
        trusted:
          'that the leader and the helper do not collude (each sees only secret shares of each report); against one aggregator, or one colluding with carriers, only the other aggregator’s noise protects the sum: privacyLoss.aggregator (mechanism.aggregatorEpsilon)',
        description: `Prio3 (${c.mechanism.vdaf}, draft-irtf-cfrg-vdaf-20) with two aggregators: each device splits its report between a leader and a helper with a validity proof, reports that fail verification are not counted, and each aggregator adds discrete Gaussian noise N_Z(0, sigma^2) (mechanism.sigma) to its aggregate share before the leader combines them; against carriers (both aggregators honest) the release carries both noises (privacyLoss.release)`,
      };
    case 'central':
      return {
        kind: 'central_curator',
        variant: null,
        trusted: 'the aggregator, which sees every device’s exact report',
        description: 'central differential privacy: a trusted curator adds exact discrete Gaussian noise before anything is released; carriers see only the noisy release',
      };
  }
}

/** The neighbour relation the release's loss holds for, in words. */
export function neighboursOf(c: PlanCollection): string {
  return c.mode === 'ldp' ? `any two values of one device's report (local DP, per report), which covers ${NEIGHBOUR_STATEMENT}` : NEIGHBOUR_STATEMENT;
}

export function treatsAsPublic(c: PlanCollection): string[] {
  const out: string[] = [...COMMON_PUBLIC];
  if (c.mode === 'ldp' && c.kind === 'mean') {
    out.push(
      'the group (operator) of each reporting device: it travels in the clear with the numeric report, so per-group device counts are exact and the gate thresholds them; this epsilon protects the value only, and is not comparable with a central or secure-aggregation epsilon, which also hides the group',
    );
  }
  if (c.mode === 'secagg') out.push('the number of devices that survived the round');
  if (c.mode === 'prio3') out.push('the number of reports uploaded and the number both aggregators verified valid');
  return out;
}
