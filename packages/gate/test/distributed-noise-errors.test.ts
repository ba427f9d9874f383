import { describe, expect, it } from 'vitest';
import { PrivacyAccountant, cryptoRng } from '@pinhole/core';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { type DistributedNoiseParams, boundCounts, clipL1, clipL2, clipLinf, countSensitivity, makeDistributedNoisePlan, randomizedRound, roundedSensitivity } from '@pinhole/gate';
import { countingRng } from './helpers.js';

const base: DistributedNoiseParams = {
  mechanism: 'skellam',
  epsilon: 1,
  delta: 1e-6,
  l2Sensitivity: 1,
  l1Sensitivity: 1,
  vectorLength: 8,
  expectedClients: 20,
  minSurvivors: 15,
  onShortfall: 'refuse',
  clientValueBounds: [0, 1],
  wrapProbability: 2 ** -40,
  allowInsecureRng: true,
};
const make = (over: Record<string, unknown>) => () => makeDistributedNoisePlan({ ...base, ...over });

describe('makeDistributedNoisePlan refuses bad parameters with invalid_argument and the parameter', () => {
  it('params itself', () => {
    for (const bad of [null, undefined, 1, 'x', []]) expectPinholeError(() => makeDistributedNoisePlan(bad as never), 'invalid_argument', 'params');
  });
  it.each([
    ['epsilon', [0, -1, 101]],
    ['delta', [0, 1, 2, 1e-101]],
    ['l2Sensitivity', [0, -1, 2 ** 31]],
    ['l1Sensitivity', [0, 0.5]], // below l2
    ['vectorLength', [0, 1.5, 2 ** 25]],
    ['expectedClients', [0, 2.5, 2 ** 31]],
    ['minSurvivors', [0, 21, 1.5]],
    ['wrapProbability', [0, 1, 1.5]],
  ])('%s', (param, extra) => {
    for (const bad of [...BAD_NUMBERS.filter((b) => !(param === 'l1Sensitivity' || param === 'minSurvivors' || param === 'wrapProbability') || b !== undefined), ...extra]) {
      expectPinholeError(make({ [param]: bad }), 'invalid_argument', param);
    }
  });
  it('mechanism, onShortfall, allowInsecureRng', () => {
    for (const bad of ['gaussian', '', null, undefined, 1]) expectPinholeError(make({ mechanism: bad }), 'invalid_argument', 'mechanism');
    for (const bad of ['ignore', '', null, undefined, 1]) expectPinholeError(make({ onShortfall: bad }), 'invalid_argument', 'onShortfall');
    for (const bad of ['yes', 1, null]) expectPinholeError(make({ allowInsecureRng: bad }), 'invalid_argument', 'allowInsecureRng');
  });
  it('clientValueBounds', () => {
    for (const bad of [null, 1, [0], [0, 1, 2], 'ab']) expectPinholeError(make({ clientValueBounds: bad }), 'invalid_argument', 'clientValueBounds');
    for (const bad of [1, 0.5, NaN, '0']) expectPinholeError(make({ clientValueBounds: [bad, 1] }), 'invalid_argument', 'clientValueBounds[0]');
    for (const bad of [-1, 0.5, Infinity, null]) expectPinholeError(make({ clientValueBounds: [0, bad] }), 'invalid_argument', 'clientValueBounds[1]');
  });
  it('cohorts that cannot fit 32 bits or be sampled', () => {
    expectPinholeError(
      make({ expectedClients: 2 ** 30, minSurvivors: undefined, clientValueBounds: [0, 16], l2Sensitivity: 16, l1Sensitivity: 256, vectorLength: 1 }),
      'invalid_argument',
      'expectedClients',
    );
    expectPinholeError(make({ epsilon: 1e-4, vectorLength: 2 ** 20, expectedClients: 100, minSurvivors: undefined }), 'invalid_argument', 'epsilon');
  });
});

describe('plan methods refuse bad input and change nothing', () => {
  const plan = makeDistributedNoisePlan(base);
  const secure = makeDistributedNoisePlan({ ...base, allowInsecureRng: false });

  it('rng: a seeded rng needs allowInsecureRng; a non-rng is refused; nothing is drawn', () => {
    const rng = countingRng(seededRng('e'));
    expectPinholeError(() => secure.clientShare(rng), 'insecure_rng', 'rng');
    expectPinholeError(() => secure.addShare(new Array(8).fill(0), rng), 'insecure_rng', 'rng');
    expectPinholeError(() => secure.simulateSumNoise(3, rng), 'insecure_rng', 'rng');
    expect(rng.draws()).toBe(0);
    for (const bad of [null, {}, 1, 'rng']) expectPinholeError(() => plan.clientShare(bad as never), 'invalid_argument', 'rng');
    expect(secure.clientShare(cryptoRng())).toHaveLength(8);
    expect(secure.clientShare()).toHaveLength(8);
  });

  it('clientShare out buffer', () => {
    for (const bad of [new Int32Array(7), new Float64Array(8), [0, 0, 0, 0, 0, 0, 0, 0], null]) expectPinholeError(() => plan.clientShare(seededRng(1), bad as never), 'invalid_argument', 'out');
  });

  it('addShare / toRing vectors', () => {
    for (const bad of [null, 'abc', 5, new Array(7).fill(0), new Array(9).fill(0)]) {
      expectPinholeError(() => plan.addShare(bad as never, seededRng(1)), 'invalid_argument', 'vector');
      expectPinholeError(() => plan.toRing(bad as never), 'invalid_argument', 'vector');
    }
    for (const bad of [NaN, Infinity, 0.5, '1', null, 2 ** 31]) {
      const v: unknown[] = new Array(8).fill(0);
      v[3] = bad;
      expectPinholeError(() => plan.addShare(v as never, seededRng(1)), 'invalid_argument', 'vector[3]');
      expectPinholeError(() => plan.toRing(v as never), 'invalid_argument', 'vector[3]');
    }
  });

  it('fromRing: wrong length, out of range, non-integers, garbage', () => {
    const top = 2 ** plan.modulusBits;
    for (const bad of [null, 'x', new Uint32Array(7), new Uint8Array(100), {}]) expectPinholeError(() => plan.fromRing(bad as never), 'invalid_argument', 'sumModular');
    for (const bad of [-1, top, 0.5, NaN, '3', null]) {
      const v: unknown[] = new Array(8).fill(0);
      v[5] = bad;
      expectPinholeError(() => plan.fromRing(v as never), 'invalid_argument', 'sumModular[5]');
    }
  });

  it('settle, finish, spend, selection, variance, simulateSumNoise', () => {
    for (const bad of [...BAD_NUMBERS, -1, 21, 2.5]) {
      expectPinholeError(() => plan.settle({ survivors: bad as never }), 'invalid_argument', 'survivors');
      expectPinholeError(() => plan.simulateSumNoise(bad as never, seededRng(1)), 'invalid_argument', 'survivors');
      if (bad !== undefined) expectPinholeError(() => plan.variance(bad as never), 'invalid_argument', 'survivors');
    }
    expectPinholeError(() => plan.settle(null as never), 'invalid_argument', 'params');
    const other = makeDistributedNoisePlan(base);
    const foreign = other.settle({ survivors: 20 });
    const sum = new Uint32Array(8);
    expectPinholeError(() => plan.finish(sum, foreign), 'invalid_argument', 'settlement');
    expectPinholeError(() => plan.finish(sum, { ...plan.settle({ survivors: 20 }) }), 'invalid_argument', 'settlement');
    const ok = plan.settle({ survivors: 20 });
    expectPinholeError(() => plan.finish(new Uint32Array(3), ok), 'invalid_argument', 'sumModular');
    expectPinholeError(() => plan.finish(sum, ok, null as never), 'invalid_argument', 'options');
    expect(Array.from(plan.finish(sum, ok).values)).toEqual(new Array(8).fill(0));
    for (const bad of [null, {}, 1]) expectPinholeError(() => ok.spend(bad as never), 'invalid_argument', 'accountant');
    const acc = new PrivacyAccountant({ budget: { epsilon: 100, delta: 0.5 } });
    expectPinholeError(() => ok.spend(acc, 5 as never), 'invalid_argument', 'label');
    expect(acc.entries()).toHaveLength(0);
    expectPinholeError(() => ok.selection(null as never), 'invalid_argument', 'params');
    expectPinholeError(() => ok.selection({}), 'invalid_argument', 'thresholdDelta');
    expectPinholeError(() => ok.selection({ thresholdDelta: 2 }), 'invalid_argument', 'thresholdDelta');
  });
});

describe('contribution-bounding helpers refuse bad input', () => {
  it('boundCounts / countSensitivity', () => {
    for (const bad of [...BAD_NUMBERS, 0, 1.5]) {
      expectPinholeError(() => boundCounts([1], { maxTotal: bad as never, maxPerBucket: 1 }, seededRng(1)), 'invalid_argument', 'maxTotal');
      expectPinholeError(() => boundCounts([1], { maxTotal: 1, maxPerBucket: bad as never }, seededRng(1)), 'invalid_argument', 'maxPerBucket');
      expectPinholeError(() => countSensitivity({ maxTotal: bad as never, maxPerBucket: 1 }), 'invalid_argument', 'maxTotal');
    }
    expectPinholeError(() => boundCounts(null as never, { maxTotal: 1, maxPerBucket: 1 }, seededRng(1)), 'invalid_argument', 'counts');
    expectPinholeError(() => boundCounts([1, -1], { maxTotal: 1, maxPerBucket: 1 }, seededRng(1)), 'invalid_argument', 'counts[1]');
    expectPinholeError(() => boundCounts([1], null as never, seededRng(1)), 'invalid_argument', 'params');
  });
  it('clipping and rounding', () => {
    for (const f of [clipL1, clipL2, clipLinf]) {
      for (const bad of [...BAD_NUMBERS, 0, -1]) expectPinholeError(() => f([1], bad as never), 'invalid_argument', 'bound');
      expectPinholeError(() => f([] as never, 1), 'invalid_argument', 'values');
      expectPinholeError(() => f([1, NaN], 1), 'invalid_argument', 'values[1]');
    }
    for (const bad of [...BAD_NUMBERS, 0, -1]) expectPinholeError(() => randomizedRound([1], bad as never, seededRng(1)), 'invalid_argument', 'granularity');
    expectPinholeError(() => randomizedRound([1, Infinity], 1, seededRng(1)), 'invalid_argument', 'values[1]');
    expectPinholeError(() => randomizedRound([2 ** 40], 1, seededRng(1)), 'invalid_argument', 'values[0]');
    for (const bad of [...BAD_NUMBERS, 0]) {
      expectPinholeError(() => roundedSensitivity({ l2Clip: bad as never, granularity: 1, vectorLength: 1 }), 'invalid_argument', 'l2Clip');
      expectPinholeError(() => roundedSensitivity({ l2Clip: 1, granularity: bad as never, vectorLength: 1 }), 'invalid_argument', 'granularity');
      expectPinholeError(() => roundedSensitivity({ l2Clip: 1, granularity: 1, vectorLength: bad as never }), 'invalid_argument', 'vectorLength');
    }
  });
});
