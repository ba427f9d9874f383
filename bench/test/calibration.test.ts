/**
 * The central discrete-Gaussian sigma: the bench's central-dp (a plan made by makePlan, what the
 * release engine adds) and the gate's noisy values must be the same sigma for the same
 * (epsilon, delta) and count sensitivity 1, calibrated for replace-one (a device moving between
 * two counts), and the tightest: within 0.5 % above the exact minimum. The minimum comes from
 * core's test reference, which sums the hockey-stick divergence of the two-count discrete Gaussian
 * directly (it shares no code with the calibration) and bisects sigma on it.
 */
import { makeCollectionPlan } from '@pinhole/aggregator';
import type { PlanCollection } from '@pinhole/core';
import { referenceDiscreteGaussianDelta, referenceDiscreteGaussianSigma } from '@pinhole/core/testing';
import { makeNoisyValues } from '@pinhole/gate';
import { describe, expect, it } from 'vitest';

const DOMAINS = { operators: ['op-a', 'op-b'], regions: ['r1', 'r2', 'r3'], cells: ['c1', 'c2'] };
const SWAP = [1, -1];

describe('central discrete-Gaussian sigma: bench and gate agree and are tight', () => {
  const cases = [0.25, 1, 4].flatMap((epsilon) => [1e-9, 1e-6].map((delta) => ({ epsilon, delta })));
  it.each(cases)('epsilon $epsilon, delta $delta', ({ epsilon, delta }) => {
    const plan = makeCollectionPlan({ collection: 'device-class', mode: 'central', budget: { epsilon, delta }, domains: DOMAINS, expectedDevices: 10_000 });
    const c = plan as Extract<PlanCollection, { mode: 'central'; kind: 'histogram' }>;
    expect(c.privacyLoss).toEqual({ epsilon, delta });
    const bench = c.mechanism.sigma;
    const gate = makeNoisyValues({ noise: 'discrete_gaussian', epsilon, delta, sensitivity: 1 }).noise.scale;
    expect(gate).toBe(bench);
    // meets (epsilon, delta) by the independent sum, and is at most 0.5 % above the smallest sigma that does
    expect(referenceDiscreteGaussianDelta(bench, epsilon, SWAP)).toBeLessThanOrEqual(delta);
    const smallest = referenceDiscreteGaussianSigma(epsilon, delta, SWAP);
    expect(bench).toBeGreaterThanOrEqual(smallest * (1 - 1e-6));
    expect(bench / smallest, `sigma ${bench} vs exact minimum ${smallest}`).toBeLessThanOrEqual(1.005);
  });
});
