import { describe, expect, it } from 'vitest';
import { config, plainSum, randomInputs, run, hararySeed } from './helpers.js';

describe('smoke', () => {
  it('complete graph, no dropout', async () => {
    const cfg = config({ cohortSize: 5, threshold: 3, bits: 16, vectorLength: 10 });
    const inputs = randomInputs('a', 5, 10, 16, 1000);
    const r = await run(cfg, inputs);
    expect(Array.from(r.result.sum)).toEqual(Array.from(plainSum(inputs, 16)));
  });
  it('harary, dropouts', async () => {
    const cfg = config({ cohortSize: 30, threshold: 7, bits: 20, vectorLength: 10, graph: { kind: 'harary', degree: 10, seed: hararySeed('x') } });
    const inputs = randomInputs('b', 30, 10, 20, 1000);
    const r = await run(cfg, inputs, new Map([[3, 'masked'], [7, 'share'], [9, 'consistency'], [11, 'unmask']]));
    expect(r.result.dropped).toEqual([3]);
    expect(Array.from(r.result.sum)).toEqual(Array.from(plainSum(inputs, 20, r.result.contributors)));
  });
});
