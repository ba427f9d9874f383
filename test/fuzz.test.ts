/**
 * Fuzzing, short run (CI): every decoder and input validator that exists without the server, a
 * few hundred cases each (test/fuzz/*.ts: core's envelopes, plans, every LDP report format and
 * tally, the release engine's uploads and tallies, the gate's validators, Prio3's steps, the
 * secure-aggregation server and client in every phase; over HTTP: fuzz-http.test.ts). The slow
 * suite runs 100,000 cases per target (fuzz-*.slow.test.ts). Seeds are pinned: a failure prints
 * the seed and the shrunk counterexample. FUZZ_RUNS overrides the count.
 */
import { describe, it } from 'vitest';
import { AGGREGATOR_TARGETS } from './fuzz/aggregator.js';
import { CORE_TARGETS } from './fuzz/core.js';
import { GATE_TARGETS } from './fuzz/gate.js';
import { LDP_TARGETS } from './fuzz/ldp.js';
import { PRIO3_TARGETS } from './fuzz/prio3.js';
import { SECAGG_TARGETS } from './fuzz/secagg.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = 20_261_204;

describe('fuzz (short)', () => {
  for (const t of [...CORE_TARGETS, ...LDP_TARGETS, ...AGGREGATOR_TARGETS, ...GATE_TARGETS, ...PRIO3_TARGETS]) it(t.name, () => t.run(RUNS, SEED));
  for (const t of SECAGG_TARGETS) it(t.name, () => t.run(RUNS, SEED));
});
