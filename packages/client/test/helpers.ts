/** Plans and samples for the client's unit tests (plans written by hand and checked by core's checkPlan). */
import { type NetworkSample, type Plan, checkPlan } from '@pinhole/core';

export const DOMAINS = { operators: ['460-00', '460-01'], regions: ['north', 'south'], cells: ['n1', 'n2', 's1'], cellRegions: ['north', 'north', 'south'] };
export const T0 = Date.parse('2025-01-06T00:00:00Z');
export const DAY = 86_400_000;

/**
 * A local-DP plan: network type per region (GRR) and mean RTT per operator (Duchi), each charged
 * `epsilon`, `rounds` rounds per period of `periodDays` days, a period budget of rounds · 2 · epsilon.
 */
export function ldpPlan(o: { id?: string; revision?: number; epsilon?: number; rounds?: number; periodDays?: number; periodStart?: string; budget?: number; memo?: 'per_value' | 'none' } = {}): Plan {
  const epsilon = o.epsilon ?? 0.5;
  const rounds = o.rounds ?? 1;
  const periodSeconds = (o.periodDays ?? 7) * 86_400;
  return checkPlan({
    format: 'pinhole-plan',
    version: 1,
    id: o.id ?? 'client-test',
    revision: o.revision ?? 1,
    privacyUnit: 'device',
    budget: { epsilon: o.budget ?? rounds * 2 * epsilon, delta: 0, periodSeconds, periodStart: o.periodStart ?? '2025-01-06T00:00:00Z' },
    schedule: { roundsPerPeriod: rounds, roundSeconds: Math.floor(periodSeconds / rounds), closeAtReports: null },
    domains: DOMAINS,
    insights: ['network-type-share', 'rtt-mean'],
    collections: [
      {
        id: 'network-type-by-region',
        kind: 'histogram',
        mode: 'ldp',
        groups: 2,
        buckets: 6,
        domainSize: 12,
        privacyLoss: { epsilon, delta: 0 },
        gate: { mode: 'estimate_threshold', k: 2 },
        minCohort: 2,
        mechanism: { kind: 'oracle', name: 'grr', epsilon, domainSize: 12 },
        ...(o.memo === undefined ? {} : { memo: o.memo }),
      },
      {
        id: 'rtt-by-operator',
        kind: 'mean',
        mode: 'ldp',
        groups: 2,
        domainSize: 2,
        privacyLoss: { epsilon, delta: 0 },
        gate: { mode: 'estimate_threshold', k: 2 },
        minCohort: 2,
        publicGroup: true,
        mechanism: { kind: 'numeric', name: 'duchi', epsilon, bounds: [0, 500] },
      },
    ],
  });
}

export function sample(over: Partial<NetworkSample> = {}): NetworkSample {
  return { networkType: '4g', operator: '460-00', cell: 'n1', downlinkMbps: 42, rttMs: 40, rsrpDbm: -95, deviceClass: 'phone-mid', timestamp: T0 + 3_600_000, ...over };
}
