/**
 * A device builds only its share of a distributed-noise plan (distributedNoiseShareOf), without the
 * server's settlement: it must resolve the same share parameter and modulus as the full plan
 * (distributedNoisePlanOf), draw the same noise from the same generator, encode the same ring
 * values, and refuse what the plan refuses, with the same error.
 */
import { describe, expect, it } from 'vitest';
import { PinholeError } from '@pinhole/core';
import { type DistributedNoiseMechanism } from '@pinhole/core/plan';
import { seededRng } from '@pinhole/core/seeded';
import { expectPinholeError } from '@pinhole/core/testing';
import { distributedNoisePlanOf, distributedNoiseShareOf } from '@pinhole/gate';

type Inputs = Omit<DistributedNoiseMechanism, 'kind' | 'shareParameter' | 'modulusBits'>;

/** A collection plan's mechanism as the aggregator resolves it: the inputs plus the plan's share parameter and modulus. */
function mechanismOf(inputs: Inputs): DistributedNoiseMechanism {
  const partial = { kind: 'distributed_noise', ...inputs, shareParameter: 1, modulusBits: 2 } as const;
  const plan = distributedNoisePlanOf(partial);
  return { ...partial, shareParameter: plan.shareParameter, modulusBits: plan.modulusBits };
}

const BASE = { epsilon: 1, delta: 1e-6, l2Sensitivity: 1, l1Sensitivity: 1, onShortfall: 'top_up', clientValueBounds: [0, 1], wrapProbability: 2 ** -40 } as const;

const PLANS: readonly Inputs[] = [
  { ...BASE, noise: 'skellam', vectorLength: 8, expectedClients: 100, minSurvivors: 80 },
  { ...BASE, noise: 'discrete_gaussian', vectorLength: 8, expectedClients: 100, minSurvivors: 80 },
  { ...BASE, noise: 'skellam', epsilon: 0.3, delta: 1e-9, vectorLength: 40, expectedClients: 1000, minSurvivors: 900, onShortfall: 'refuse' },
  { ...BASE, noise: 'discrete_gaussian', epsilon: 4, delta: 1e-5, vectorLength: 3, expectedClients: 20, minSurvivors: 5 },
  // a mean collection's grid: values in [0, 16], norms from the grid
  { ...BASE, noise: 'skellam', l2Sensitivity: 16, l1Sensitivity: 16, clientValueBounds: [0, 16], vectorLength: 2, expectedClients: 500, minSurvivors: 400 },
  { ...BASE, noise: 'discrete_gaussian', l2Sensitivity: 3, l1Sensitivity: 9, clientValueBounds: [-3, 3], vectorLength: 5, expectedClients: 50, minSurvivors: 50, wrapProbability: 1e-12 },
];

describe('distributedNoiseShareOf: a device builds the same share as the full plan', () => {
  PLANS.forEach((inputs, i) => {
    it(`plan ${i} (${inputs.noise}, epsilon ${inputs.epsilon}, d ${inputs.vectorLength}, n ${inputs.expectedClients}, m ${inputs.minSurvivors})`, () => {
      const m = mechanismOf(inputs);
      const plan = distributedNoisePlanOf(m, { allowInsecureRng: true });
      const share = distributedNoiseShareOf(m, { allowInsecureRng: true });
      const fields = ['mechanism', 'l2Sensitivity', 'l1Sensitivity', 'vectorLength', 'clientValueBounds', 'shareParameter', 'shareVariance', 'modulusBits'] as const;
      for (const f of fields) expect(share[f], f).toEqual(plan[f]);
      expect(share.shareParameter).toBe(m.shareParameter);
      expect(share.modulusBits).toBe(m.modulusBits);
      // the same draws from the same generator
      expect(share.clientShare(seededRng(`share-${i}`))).toEqual(plan.clientShare(seededRng(`share-${i}`)));
      const x = new Array<number>(m.vectorLength).fill(0);
      x[m.vectorLength - 1] = 1;
      const noisy = share.addShare(x, seededRng(`add-${i}`));
      expect(noisy).toEqual(plan.addShare(x, seededRng(`add-${i}`)));
      expect(share.toRing(noisy)).toEqual(plan.toRing(noisy));
      // a device's share carries nothing of the server's part
      expect('settle' in share || 'finish' in share || 'fromRing' in share).toBe(false);
    });
  });

  it('refuses a seeded generator unless allowed, as the plan does', () => {
    const m = mechanismOf(PLANS[0]!);
    const share = distributedNoiseShareOf(m);
    expectPinholeError(() => share.clientShare(seededRng('s')), 'insecure_rng', 'rng');
    expectPinholeError(() => distributedNoisePlanOf(m).clientShare(seededRng('s')), 'insecure_rng', 'rng');
  });

  it('refuses the parameters the plan refuses, with the same error', () => {
    const bad: Inputs[] = [
      // the calibrated noise of m shares is too small to describe exactly (total mu < 2^-20)
      { ...BASE, noise: 'skellam', l2Sensitivity: 1e-7, l1Sensitivity: 1e-7, clientValueBounds: [0, 3], vectorLength: 2 ** 20, expectedClients: 4, minSurvivors: 2 },
      // the cohort's noise is too much to sample (vectorLength · expectedClients · mu > 2^32)
      { ...BASE, noise: 'skellam', l2Sensitivity: 2 ** 20, l1Sensitivity: 2 ** 20, clientValueBounds: [0, 2 ** 20], vectorLength: 1, expectedClients: 2 ** 14, minSurvivors: 2 ** 14 },
      // the noisy sum does not fit in 32 bits
      { ...BASE, noise: 'discrete_gaussian', l2Sensitivity: 2 ** 20, l1Sensitivity: 2 ** 20, clientValueBounds: [0, 2 ** 20], vectorLength: 1, expectedClients: 2 ** 12, minSurvivors: 2 ** 12 },
      // the share cannot be sampled exactly
      { ...BASE, noise: 'skellam', epsilon: 100, vectorLength: 1, expectedClients: 2 ** 30, minSurvivors: 2 ** 30 },
    ];
    const params = new Set<string | undefined>();
    for (const inputs of bad) {
      const m = { kind: 'distributed_noise', ...inputs, shareParameter: 1, modulusBits: 2 } as const;
      const caught = (f: () => unknown): unknown => {
        try {
          f();
        } catch (e) {
          return e;
        }
        return null;
      };
      const fromPlan = caught(() => distributedNoisePlanOf(m)) as { code?: string; param?: string; message?: string } | null;
      const fromShare = caught(() => distributedNoiseShareOf(m)) as { code?: string; param?: string; message?: string } | null;
      expect(fromPlan).toBeInstanceOf(PinholeError);
      expect({ code: fromShare?.code, param: fromShare?.param, message: fromShare?.message }).toEqual({ code: fromPlan?.code, param: fromPlan?.param, message: fromPlan?.message });
      params.add(`${fromPlan?.param}: ${fromPlan?.message?.slice(0, 80)}`);
    }
    // four different refusals: the exact description's mu, the sampled mass, the share's mu, the modulus
    expect(params.size).toBe(bad.length);
  });
});
