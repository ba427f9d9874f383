/**
 * Fuzzing, long run: 100,000 cases per target for core's envelopes and every LDP report format and
 * tally (the engine, gate and Prio3 targets: fuzz-engine.slow.test.ts; the short run: fuzz.test.ts).
 * A different seed from the short run, so the long run explores other cases.
 */
import { describe, it } from 'vitest';
import { CORE_TARGETS } from './fuzz/core.js';
import { LDP_TARGETS } from './fuzz/ldp.js';

const RUNS = 100_000;
const SEED = 1_300_013;

describe('fuzz (long): decoders', () => {
  for (const t of [...CORE_TARGETS, ...LDP_TARGETS]) it(t.name, () => t.run(RUNS, SEED), 900_000);
});
