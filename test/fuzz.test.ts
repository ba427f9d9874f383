/**
 * Fuzzing, short run (CI): every decoder and input validator that exists without the server, a
 * few hundred cases each (test/fuzz/*.ts: core's envelopes, plans, every LDP report format and
 * tally, the release engine's uploads and tallies, the gate's validators, Prio3's steps, the
 * secure-aggregation server and client in every phase; over HTTP: fuzz-http.e2e.test.ts). The slow
 * suite runs 100,000 cases per target (fuzz-*.slow.test.ts). Seeds are pinned: a failure prints
 * the seed and the shrunk counterexample. FUZZ_RUNS overrides the count.
 */
import { describe, expect, it } from 'vitest';
import { AGGREGATOR_TARGETS } from './fuzz/aggregator.js';
import { CORE_TARGETS } from './fuzz/core.js';
import { GATE_TARGETS } from './fuzz/gate.js';
import { LDP_TARGETS } from './fuzz/ldp.js';
import { PRIO3_TARGETS } from './fuzz/prio3.js';
import { SECAGG_TARGETS, captureState, stateChange } from './fuzz/secagg.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const SEED = 20_261_204;

describe('fuzz (short)', () => {
  for (const t of [...CORE_TARGETS, ...LDP_TARGETS, ...AGGREGATOR_TARGETS, ...GATE_TARGETS, ...PRIO3_TARGETS]) it(t.name, () => t.run(RUNS, SEED));
  for (const t of SECAGG_TARGETS) it(t.name, () => t.run(RUNS, SEED));
});

describe('fuzz harness', () => {
  it("the secure-aggregation targets' state capture sees a change in any field, however deep", () => {
    const key = { c: Uint8Array.of(1, 2), s: Uint8Array.of(3) };
    class Machine {
      crypto = { cache: new Map<number, number>() };
      state = 'share';
      keys = new Map([[1, key]]);
      seen = new Set(['a']);
      sum = new Uint32Array(2);
      holders = [1, 2];
    }
    const m = new Machine();
    const state = captureState(m);
    const changes: [string, () => void, () => void][] = [
      ['state.state', () => (m.state = 'masked'), () => (m.state = 'share')],
      ['state.keys<1>.c[1]', () => (key.c[1] = 9), () => (key.c[1] = 2)],
      ['state.keys', () => m.keys.set(2, key), () => m.keys.delete(2)],
      ['state.seen', () => m.seen.add('b'), () => m.seen.delete('b')],
      ['state.sum[1]', () => (m.sum[1] = 1), () => (m.sum[1] = 0)],
      ['state.holders', () => m.holders.push(3), () => m.holders.pop()],
      ['state', () => Object.assign(m, { extra: 1 }), () => delete (m as { extra?: number }).extra],
    ];
    for (const [path, change, undo] of changes) {
      change();
      expect(stateChange(m, state)).toBe(path);
      undo();
      expect(stateChange(m, state)).toBe(null);
    }
    // a provider's cache is not round state
    m.crypto.cache.set(1, 1);
    expect(stateChange(m, state)).toBe(null);
  });
});
