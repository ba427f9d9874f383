/**
 * The device's plan check (`checkDevicePlan`): the server's rules for the modes the device runs, and
 * `unsupported` for the others before any of their fields is used. The fuzz target
 * "a device never accepts a mutated plan the server refuses" (test/fuzz/aggregator.ts) holds it to
 * checkPlan on mutated documents; this file pins the refusals and what the plug-in adds.
 */
import { describe, expect, it } from 'vitest';
import { makePlan } from '@pinhole/aggregator';
import { checkDevicePlan } from '@pinhole/client';
import { secureAggregation } from '@pinhole/client/secagg';
import { PinholeError, checkPlan } from '@pinhole/core';

const DOMAINS = { operators: ['460-00', '460-01'], regions: ['north', 'south'], cells: ['n1', 's1'] };
const common = { domains: DOMAINS, expectedDevices: 1000 };
const LDP = makePlan({ ...common, id: 'device-ldp', insights: ['network-type-share', 'rtt-mean'], budget: { epsilon: 2, delta: 0 }, mode: 'ldp', k: 1 });
const CENTRAL = makePlan({ ...common, id: 'device-central', insights: ['poor-share', 'rtt-mean'], budget: { epsilon: 2, delta: 1e-6 }, mode: 'central', k: 1 });
const SECAGG = makePlan({ ...common, id: 'device-secagg', insights: ['device-class-share'], budget: { epsilon: 2, delta: 1e-6 }, mode: 'secagg', secagg: { dropoutRate: 0.1, onShortfall: 'top_up' } });
const PRIO3 = makePlan({ ...common, id: 'device-prio3', insights: ['network-type-share'], budget: { epsilon: 2, delta: 1e-6 }, mode: 'prio3' });

const json = (p: unknown) => JSON.parse(JSON.stringify(p)) as unknown;

function refusal(fn: () => unknown): PinholeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PinholeError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

describe('checkDevicePlan', () => {
  it('reads local-DP and central plans exactly as checkPlan does', () => {
    for (const p of [LDP, CENTRAL]) expect(checkDevicePlan(json(p))).toEqual(checkPlan(json(p)));
  });

  it('reads a secure-aggregation plan only with the plug-in, then as checkPlan does', () => {
    const e = refusal(() => checkDevicePlan(json(SECAGG)));
    expect(e).toMatchObject({ code: 'unsupported', param: 'plan.collections[0].mode' });
    expect(e.message).toMatch(/secureAggregation\(\)/);
    expect(checkDevicePlan(json(SECAGG), secureAggregation({ honestButCurious: true }))).toEqual(checkPlan(json(SECAGG)));
  });

  it('refuses Prio3 collections, even with the plug-in (they are reported with prio3Report)', () => {
    for (const plugin of [undefined, secureAggregation({ honestButCurious: true })]) {
      const e = refusal(() => checkDevicePlan(json(PRIO3), plugin));
      expect(e).toMatchObject({ code: 'unsupported', param: 'plan.collections[0].mode' });
      expect(e.message).toMatch(/prio3Report/);
    }
  });

  it('applies the server rules to the fields it uses: an oracle epsilon above the charged loss is refused by both', () => {
    const doc = json(LDP) as { collections: { mechanism: { epsilon: number }; privacyLoss: { epsilon: number } }[] };
    const c = doc.collections.find((x) => 'epsilon' in x.mechanism)!;
    c.mechanism.epsilon = c.privacyLoss.epsilon * 2;
    expect(refusal(() => checkPlan(doc)).code).toBe('budget_exceeded');
    expect(refusal(() => checkDevicePlan(doc)).code).toBe('budget_exceeded');
  });
});
