/** Bad-input sweeps: every public parameter, with the PinholeError code and param it must give. */
import { describe, expect, it } from 'vitest';
import { PrivacyAccountant } from '@pinhole/core';
import {
  calibrateThreshold,
  makeDiscreteGaussianNoise,
  makeDiscreteLaplaceNoise,
  makeDistributedNoisePlan,
  makeGate,
  makeGaussianThresholdSelection,
  makeKAnonymity,
  makeLaplaceThresholdSelection,
  makeNoisyCountThreshold,
  makeNoisyValues,
  makeOptimalSelection,
  optimalReleaseProbabilityClosedForm,
  makeSkellamNoise,
} from '@pinhole/gate';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';

const BAD_EPSILON = [...BAD_NUMBERS, 0, -1, 101];
const BAD_DELTA = [...BAD_NUMBERS, 0, 1, -1e-6, 1e-101, 2];
const BAD_L0 = [...BAD_NUMBERS.filter((v) => v !== undefined), 0, -1, 1.5, 2 ** 20 + 1];
const BAD_INT_COUNT = [-1, 1.5, NaN, Infinity, -Infinity, -0, '3', null, undefined, {}, 2 ** 53];

const planParams = {
  mechanism: 'skellam',
  epsilon: 1,
  delta: 1e-6,
  l2Sensitivity: 1,
  l1Sensitivity: 1,
  vectorLength: 2,
  expectedClients: 40,
  onShortfall: 'refuse',
  clientValueBounds: [0, 1],
  allowInsecureRng: true,
} as const;
/** one-hot counts: a client adds 1 to one bucket */
const onePlan = makeDistributedNoisePlan(planParams);
/** a client adds up to 2 to each of up to 4 buckets */
const widePlan = makeDistributedNoisePlan({ ...planParams, l2Sensitivity: 2, l1Sensitivity: 4, vectorLength: 4, clientValueBounds: [0, 2] });

describe('selection constructors', () => {
  it('makeKAnonymity: k', () => {
    for (const k of [...BAD_NUMBERS, 0, -1, 2.5]) expectPinholeError(() => makeKAnonymity({ k: k as number }), 'invalid_argument', 'k');
    expectPinholeError(() => makeKAnonymity(null as never), 'invalid_argument', 'params');
    expectPinholeError(() => makeKAnonymity([] as never), 'invalid_argument', 'params');
  });

  it.each([
    ['makeOptimalSelection', makeOptimalSelection],
    ['makeLaplaceThresholdSelection', makeLaplaceThresholdSelection],
    ['makeGaussianThresholdSelection', makeGaussianThresholdSelection],
  ] as const)('%s: epsilon, delta, l0, params', (_, make) => {
    for (const e of BAD_EPSILON) expectPinholeError(() => make({ epsilon: e as number, delta: 1e-6 }), 'invalid_argument', 'epsilon');
    for (const d of BAD_DELTA) expectPinholeError(() => make({ epsilon: 1, delta: d as number }), 'invalid_argument', 'delta');
    for (const l0 of BAD_L0) expectPinholeError(() => make({ epsilon: 1, delta: 1e-6, l0: l0 as number }), 'invalid_argument', 'l0');
    expectPinholeError(() => make(undefined as never), 'invalid_argument', 'params');
    expectPinholeError(() => make('x' as never), 'invalid_argument', 'params');
  });

  it('makeOptimalSelection: budgets whose table would be too long', () => {
    expectPinholeError(() => makeOptimalSelection({ epsilon: 1e-5, delta: 1e-6 }), 'invalid_argument', 'epsilon');
    expectPinholeError(() => makeOptimalSelection({ epsilon: 1, delta: 1e-6, l0: 2 ** 20 }), 'invalid_argument', 'epsilon');
  });

  it('noise scales beyond what the samplers and tails support are refused on epsilon', () => {
    expectPinholeError(() => makeLaplaceThresholdSelection({ epsilon: 1e-13, delta: 1e-6 }), 'invalid_argument', 'epsilon');
    expectPinholeError(() => makeGaussianThresholdSelection({ epsilon: 1e-5, delta: 1e-6 }), 'invalid_argument', 'epsilon');
    expectPinholeError(() => makeNoisyValues({ noise: 'discrete_laplace', epsilon: 1e-4, l1Sensitivity: 2 ** 30 }), 'invalid_argument', 'epsilon');
    expectPinholeError(() => makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1e-9, delta: 1e-12, sensitivity: 2 ** 20 }), 'invalid_argument', 'epsilon');
    expectPinholeError(() => makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1e-3, delta: 1e-12, sensitivity: 100, l0: 3 }), 'invalid_argument', 'epsilon');
  });

  it('makeGaussianThresholdSelection: thresholdDeltaShare', () => {
    for (const s of [...BAD_NUMBERS.filter((v) => v !== undefined), 0, 1, -0.5, 1.5]) {
      expectPinholeError(() => makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-6, thresholdDeltaShare: s as number }), 'invalid_argument', 'thresholdDeltaShare');
    }
  });

  it('makeNoisyCountThreshold: settlement, threshold xor thresholdDelta', () => {
    const settlement = onePlan.settle({ survivors: 40 });
    const ok = { settlement, thresholdDelta: 1e-6 };
    // only a settlement the plan issued: not a copy, not a caller's description of the noise
    for (const bad of [null, undefined, {}, 3, { ...settlement }, { noise: makeDiscreteGaussianNoise(5), privacyLoss: { epsilon: 1, delta: 1e-6 } }]) {
      expectPinholeError(() => makeNoisyCountThreshold({ ...ok, settlement: bad as never }), 'invalid_argument', 'settlement');
    }
    expectPinholeError(() => makeNoisyCountThreshold(null as never), 'invalid_argument', 'params');
    expectPinholeError(() => makeNoisyCountThreshold({ settlement }), 'invalid_argument', 'thresholdDelta');
    expectPinholeError(() => makeNoisyCountThreshold({ ...ok, threshold: 10 }), 'invalid_argument', 'thresholdDelta');
    for (const t of [0, -3, 2.5, NaN, '9']) {
      expectPinholeError(() => makeNoisyCountThreshold({ settlement, threshold: t as number }), 'invalid_argument', 'threshold');
    }
    // a threshold so low that the 4 buckets one client can fill (2 in each) pass with probability >= 1 in all
    expectPinholeError(() => makeNoisyCountThreshold({ settlement: widePlan.settle({ survivors: 40 }), threshold: 1 }), 'invalid_argument', 'threshold');
    for (const d of [0, 1, NaN, -1e-3]) {
      expectPinholeError(() => makeNoisyCountThreshold({ ...ok, thresholdDelta: d }), 'invalid_argument', 'thresholdDelta');
    }
    // the settlement's shortcut takes no l0: the plan bounds what one client touches
    expectPinholeError(() => settlement.selection({ thresholdDelta: 1e-6, l0: 2 } as never), 'invalid_argument', 'l0');
  });
});

describe('noise and helpers', () => {
  it('noise distributions: scale and sigma ranges', () => {
    for (const s of [...BAD_NUMBERS, 0, -1, 2 ** -21, 2 ** 41]) expectPinholeError(() => makeDiscreteLaplaceNoise(s as number), 'invalid_argument', 'scale');
    for (const s of [...BAD_NUMBERS, 0, -1, 2 ** -21, 2 ** 41]) expectPinholeError(() => makeDiscreteGaussianNoise(s as number), 'invalid_argument', 'sigma');
    for (const m of [...BAD_NUMBERS, 0, -1, 2 ** -21, 2 ** 16 + 1]) expectPinholeError(() => makeSkellamNoise(m as number), 'invalid_argument', 'mu');
  });
  it('calibrateThreshold: deltaPerBucket and a noise whose tail never decays', () => {
    for (const d of [...BAD_NUMBERS, 0, 1]) expectPinholeError(() => calibrateThreshold(makeDiscreteLaplaceNoise(1), d as number), 'invalid_argument', 'deltaPerBucket');
    const flat = { name: 'flat', scale: 1, variance: 1, tail: () => 0.4 };
    expectPinholeError(() => calibrateThreshold(flat, 0.1), 'invalid_argument', 'noise');
  });
  it('releaseProbability and the closed form: contributors', () => {
    const sels = [makeKAnonymity({ k: 3 }), makeOptimalSelection({ epsilon: 1, delta: 1e-6 }), makeLaplaceThresholdSelection({ epsilon: 1, delta: 1e-6 })];
    for (const s of sels) for (const n of BAD_INT_COUNT) expectPinholeError(() => s.releaseProbability(n as number), 'invalid_argument', 'contributors');
    for (const n of BAD_INT_COUNT) expectPinholeError(() => optimalReleaseProbabilityClosedForm(n as number, 1, 1e-6), 'invalid_argument', 'contributors');
    expectPinholeError(() => optimalReleaseProbabilityClosedForm(1, 0, 1e-6), 'invalid_argument', 'epsilon');
    expectPinholeError(() => optimalReleaseProbabilityClosedForm(1, 1, 1), 'invalid_argument', 'delta');
  });
  it('makeNoisyValues: noise, epsilon, delta, sensitivities, nonNegative', () => {
    expectPinholeError(() => makeNoisyValues({ noise: 'laplace' as never, epsilon: 1, l1Sensitivity: 1 }), 'invalid_argument', 'noise');
    for (const e of BAD_EPSILON) expectPinholeError(() => makeNoisyValues({ noise: 'discrete_laplace', epsilon: e as number, l1Sensitivity: 1 }), 'invalid_argument', 'epsilon');
    for (const s of [...BAD_NUMBERS, 0, -1, 2 ** 31]) {
      expectPinholeError(() => makeNoisyValues({ noise: 'discrete_laplace', epsilon: 1, l1Sensitivity: s as number }), 'invalid_argument', 'l1Sensitivity');
    }
    for (const s of [...BAD_NUMBERS, 0, -1, 1.5, 2 ** 20 + 1]) {
      expectPinholeError(() => makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1, delta: 1e-6, sensitivity: s as number }), 'invalid_argument', 'sensitivity');
    }
    for (const l0 of [...BAD_NUMBERS.filter((v) => v !== undefined), 0, 1.5]) {
      expectPinholeError(() => makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1, delta: 1e-6, sensitivity: 1, l0: l0 as number }), 'invalid_argument', 'l0');
    }
    expectPinholeError(() => makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1, delta: 1e-6, sensitivity: 1, neighbours: 'swap' as never }), 'invalid_argument', 'neighbours');
    for (const d of BAD_DELTA) expectPinholeError(() => makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1, delta: d as number, sensitivity: 1 }), 'invalid_argument', 'delta');
    for (const b of [1, 'yes', null]) {
      expectPinholeError(() => makeNoisyValues({ noise: 'discrete_laplace', epsilon: 1, l1Sensitivity: 1, nonNegative: b as never }), 'invalid_argument', 'nonNegative');
    }
    expectPinholeError(() => makeNoisyValues(null as never), 'invalid_argument', 'params');
  });
});

describe('makeGate and decide', () => {
  const selection = makeOptimalSelection({ epsilon: 1, delta: 1e-6 });
  const count = makeNoisyValues({ noise: 'discrete_laplace', epsilon: 1, l1Sensitivity: 1 });

  it('makeGate: selection, minCohortSize, domain, values', () => {
    for (const s of [null, {}, { kind: 'magic', select: () => true, releaseProbability: () => 1 }, 'k']) {
      expectPinholeError(() => makeGate({ selection: s as never }), 'invalid_argument', 'selection');
    }
    for (const m of [0, -1, 1.5, NaN, '5', null]) expectPinholeError(() => makeGate({ selection, minCohortSize: m as number }), 'invalid_argument', 'minCohortSize');
    expectPinholeError(() => makeGate({ selection, domain: [] }), 'invalid_argument', 'domain');
    expectPinholeError(() => makeGate({ selection, domain: 'a' as never }), 'invalid_argument', 'domain');
    expectPinholeError(() => makeGate({ selection, domain: ['a', 'a'] }), 'invalid_argument', 'domain[1]');
    expectPinholeError(() => makeGate({ selection, domain: ['a', ''] }), 'invalid_argument', 'domain[1]');
    expectPinholeError(() => makeGate({ selection, domain: ['a', 'x'.repeat(257)] }), 'invalid_argument', 'domain[1]');
    expectPinholeError(() => makeGate({ selection, values: { contributors: count } }), 'invalid_argument', 'values name');
    expectPinholeError(() => makeGate({ selection, values: { count: {} as never } }), 'invalid_argument', 'values.count');
    expectPinholeError(() => makeGate({ selection, values: 3 as never }), 'invalid_argument', 'values');
    expectPinholeError(() => makeGate(null as never), 'invalid_argument', 'params');
  });

  it('decide: counts, options, rng, cohort size, values, noiseVariance, label, accountant', () => {
    const gate = makeGate({ selection, values: { count }, domain: ['a', 'b'] });
    const ok = { rng: seededRng('e'), allowInsecureRng: true, values: { count: { a: 1 } } };
    for (const n of BAD_INT_COUNT.filter((v) => v !== undefined)) {
      expectPinholeError(() => gate.decide({ a: n as number }, ok), 'invalid_argument', 'counts["a"]');
    }
    expectPinholeError(() => gate.decide([] as never, ok), 'invalid_argument', 'counts');
    expectPinholeError(() => gate.decide(null as never, ok), 'invalid_argument', 'counts');
    expectPinholeError(() => gate.decide(new Map([[3 as never, 1]]), ok), 'invalid_argument', 'counts key');
    expectPinholeError(() => gate.decide({ c: 1 }, ok), 'invalid_argument', 'counts key'); // outside the domain
    expectPinholeError(() => gate.decide({ a: 1 }, null as never), 'invalid_argument', 'options');
    expectPinholeError(() => gate.decide({ a: 1 }, { ...ok, rng: seededRng('e'), allowInsecureRng: false }), 'insecure_rng', 'rng');
    expectPinholeError(() => gate.decide({ a: 1 }, { ...ok, rng: {} as never }), 'invalid_argument', 'rng');
    for (const c of [-1, 1.5, NaN, '3']) expectPinholeError(() => gate.decide({ a: 1 }, { ...ok, cohortSize: c as number }), 'invalid_argument', 'cohortSize');
    expectPinholeError(() => gate.decide({ a: 1 }, { ...ok, values: {} }), 'invalid_argument', 'options.values.count');
    expectPinholeError(() => gate.decide({ a: 1 }, { ...ok, values: { count: { a: 1 }, other: {} } }), 'invalid_argument', 'options.values');
    expectPinholeError(() => gate.decide({ a: 1 }, { ...ok, values: { count: { a: 0.5 } } }), 'invalid_argument', 'options.values.count["a"]');
    // the noise level comes from the settlement, never from the caller
    expectPinholeError(() => gate.decide({ a: 1 }, { ...ok, noiseVariance: 3 } as never), 'invalid_argument', 'noiseVariance');
    expectPinholeError(() => gate.decide({ a: 1 }, { ...ok, label: 'x'.repeat(201) }), 'invalid_argument', 'label');
    expectPinholeError(() => gate.decide({ a: 1 }, { ...ok, accountant: {} as never }), 'invalid_argument', 'accountant');
    const noisySelection = onePlan.settle({ survivors: 40 }).selection({ thresholdDelta: 1e-6 });
    const noisy = makeGate({ selection: noisySelection, domain: ['a', 'b'] });
    for (const v of [NaN, -1, Infinity, '2', 9]) expectPinholeError(() => noisy.decide({ a: 1 }, { noiseVariance: v } as never), 'invalid_argument', 'noiseVariance');
    // noisy counts may be negative integers, but must be integers
    expectPinholeError(() => noisy.decide({ a: -1.5 }), 'invalid_argument', 'counts["a"]');
    expect(noisy.decide({ a: -3, b: 0 }).status).toBe('released');
    // a noisy-count threshold needs the public keys of the noised vector, and must come from a settlement
    expectPinholeError(() => makeGate({ selection: noisySelection }), 'invalid_argument', 'domain');
    expectPinholeError(() => makeGate({ selection: { ...noisySelection }, domain: ['a'] }), 'invalid_argument', 'selection');
  });

  it('bad input loses nothing: the gate and the accountant stay usable', () => {
    const acc = new PrivacyAccountant({ budget: { epsilon: 5, delta: 1e-4 } });
    const gate = makeGate({ selection, values: { count }, domain: ['a', 'b'] });
    const opts = { rng: seededRng('usable'), allowInsecureRng: true, accountant: acc };
    expectPinholeError(() => gate.decide({ a: -1 }, { ...opts, values: { count: {} } }), 'invalid_argument', 'counts["a"]');
    expect(acc.entries()).toHaveLength(0);
    const r = gate.decide({ a: 100 }, { ...opts, values: { count: { a: 100 } } });
    expect(r.released.map((b) => b.key)).toEqual(['a']);
    expect(acc.entries()).toHaveLength(1);
  });
});
