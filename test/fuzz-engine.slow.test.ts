/**
 * Fuzzing, long run: 100,000 cases per target for plans, the release engine's uploads and tallies,
 * the gate's validators and Prio3's steps (the decoders: fuzz-decoders.slow.test.ts).
 */
import { describe, it } from 'vitest';
import { AGGREGATOR_TARGETS } from './fuzz/aggregator.js';
import { GATE_TARGETS } from './fuzz/gate.js';
import { PRIO3_TARGETS } from './fuzz/prio3.js';

const RUNS = 100_000;
const SEED = 1_300_013;

describe('fuzz (long): engine, gate, prio3', () => {
  for (const t of [...AGGREGATOR_TARGETS, ...GATE_TARGETS, ...PRIO3_TARGETS]) it(t.name, () => t.run(RUNS, SEED), 900_000);
});
