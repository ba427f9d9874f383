/** Larger cohorts (slow): exact sums at n = 200 (complete) and n = 1,000 (SecAgg+), dropouts in every phase. */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/seeded';
import { SIMULATION_PHASES, type SimulationPhase, chooseModulusBits, secAggPlusParameters } from '../src/index.js';
import { config, plainSum, randomInputs, run } from './helpers.js';

function dropouts(seed: string, n: number, count: number): Map<number, SimulationPhase> {
  const rng = seededRng(seed);
  const out = new Map<number, SimulationPhase>();
  while (out.size < count) out.set(1 + rng.int(n), SIMULATION_PHASES[rng.int(SIMULATION_PHASES.length)] as SimulationPhase);
  return out;
}

describe('large cohorts', () => {
  it('complete graph, n = 200, L = 300, 10 % dropouts across all phases', async () => {
    const n = 200;
    const bits = chooseModulusBits({ n, maxValue: 1000 });
    const cfg = config({ roundId: 'slow-complete', cohortSize: n, threshold: 101, bits, vectorLength: 300 });
    const inputs = randomInputs('slow-complete', n, 300, bits, 1000);
    const drops = dropouts('slow-complete', n, 20);
    const r = await run(cfg, inputs, drops, 'slow-complete');
    expect(r.result.dropped.length).toBe([...drops.values()].filter((p) => p === 'masked').length);
    expect(Array.from(r.result.sum)).toEqual(Array.from(plainSum(inputs, bits, r.result.contributors)));
  });

  it('SecAgg+, n = 1,000, L = 64, parameters from secAggPlusParameters, 10 % dropouts', async () => {
    const n = 1000;
    const p = secAggPlusParameters({ n, dropoutRate: 0.1, corruptFraction: 0.05 });
    const bits = chooseModulusBits({ n, maxValue: 2 ** 16 - 1 });
    const cfg = config({ roundId: 'slow-plus', cohortSize: n, threshold: p.threshold, bits, vectorLength: 64, graph: { kind: 'harary', degree: p.degree } });
    const inputs = randomInputs('slow-plus', n, 64, bits, 2 ** 16 - 1);
    const drops = dropouts('slow-plus', n, 100);
    const r = await run(cfg, inputs, drops, 'slow-plus');
    expect(r.result.contributors.length).toBe(n - [...drops.values()].filter((ph) => ph === 'advertise' || ph === 'share' || ph === 'masked').length);
    expect(Array.from(r.result.sum)).toEqual(Array.from(plainSum(inputs, bits, r.result.contributors)));
  }, 900_000); // 53-58 s alone on 2 cores; CI runs it beside other slow files

  it('n = 300 at 30 % dropout with the configuration of secAggPlusParameters (the complete graph, t = 160), with signatures and a directory', async () => {
    const n = 300;
    const p = secAggPlusParameters({ n, dropoutRate: 0.3, corruptFraction: 0.05 });
    const bits = chooseModulusBits({ n, maxValue: 1000 });
    const cfg = config({ roundId: 'slow-30', cohortSize: n, threshold: p.threshold, bits, vectorLength: 16, assumptions: { dropoutRate: 0.3, corruptFraction: 0.05 } });
    const inputs = randomInputs('slow-30', n, 16, bits, 1000);
    const rng = seededRng('slow-30');
    const drops = new Map<number, SimulationPhase>();
    while (drops.size < 90) drops.set(1 + rng.int(n), SIMULATION_PHASES[1 + rng.int(SIMULATION_PHASES.length - 1)] as SimulationPhase);
    const r = await run(cfg, inputs, drops, 'slow-30');
    expect(r.result.contributors.length).toBe(n - [...drops.values()].filter((ph) => ph === 'share' || ph === 'masked').length);
    expect(Array.from(r.result.sum)).toEqual(Array.from(plainSum(inputs, bits, r.result.contributors)));
  }, 900_000);
});
