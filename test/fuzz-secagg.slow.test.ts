/**
 * Fuzzing, long run: 100,000 cases per target for the secure-aggregation server and client in
 * every phase (test/fuzz/secagg.ts; the short run is in fuzz.test.ts).
 */
import { describe, it } from 'vitest';
import { SECAGG_TARGETS } from './fuzz/secagg.js';

const RUNS = 100_000;
const SEED = 1_300_013;

describe('fuzz (long): secure aggregation', () => {
  for (const t of SECAGG_TARGETS) it(t.name, () => t.run(RUNS, SEED), 1_800_000);
});
