/**
 * Correctness: the unmasked sum equals the plain sum of the contributors' inputs exactly, across
 * cohort sizes, vector lengths, moduli, graphs and dropouts in every phase; and a round that falls
 * below its threshold aborts with invalid_state in the phase where it happens.
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/seeded';
import { SIMULATION_PHASES, type SimulationPhase } from '../src/index.js';
import { config, plainSum, randomInputs, run, failure } from './helpers.js';

type Case = { n: number; t: number; length: number; bits: number; degree?: number; drops: [number, SimulationPhase][] };

function expectedContributors(n: number, drops: [number, SimulationPhase][]): number[] {
  const early = new Set(drops.filter(([, p]) => p === 'advertise' || p === 'share' || p === 'masked').map(([id]) => id));
  return Array.from({ length: n }, (_, i) => i + 1).filter((id) => !early.has(id));
}

const cases: Case[] = [
  { n: 3, t: 2, length: 1, bits: 1, drops: [] },
  { n: 3, t: 2, length: 5, bits: 32, drops: [[2, 'masked']] },
  { n: 4, t: 3, length: 17, bits: 8, drops: [[4, 'unmask']] },
  {
    n: 5,
    t: 3,
    length: 64,
    bits: 16,
    drops: [
      [1, 'advertise'],
      [5, 'consistency'],
    ],
  },
  {
    n: 8,
    t: 5,
    length: 33,
    bits: 24,
    drops: [
      [2, 'share'],
      [3, 'masked'],
      [7, 'unmask'],
    ],
  },
  {
    n: 12,
    t: 7,
    length: 100,
    bits: 31,
    drops: [
      [1, 'advertise'],
      [4, 'share'],
      [6, 'masked'],
      [9, 'consistency'],
      [12, 'unmask'],
    ],
  },
  {
    n: 20,
    t: 11,
    length: 10,
    bits: 32,
    drops: [
      [3, 'masked'],
      [5, 'masked'],
      [8, 'masked'],
      [13, 'consistency'],
    ],
  },
  { n: 30, t: 16, length: 7, bits: 12, drops: [] },
  // SecAgg+ (Harary graph)
  { n: 10, t: 4, degree: 4, length: 9, bits: 20, drops: [[2, 'masked']] },
  {
    n: 25,
    t: 4,
    degree: 6,
    length: 50,
    bits: 32,
    drops: [
      [1, 'share'],
      [11, 'masked'],
      [17, 'consistency'],
      [20, 'unmask'],
    ],
  },
  {
    n: 40,
    t: 7,
    degree: 10,
    length: 16,
    bits: 18,
    drops: [
      [2, 'advertise'],
      [5, 'masked'],
      [9, 'masked'],
      [30, 'unmask'],
    ],
  },
  {
    n: 50,
    t: 9,
    degree: 12,
    length: 3,
    bits: 32,
    drops: [
      [7, 'masked'],
      [8, 'masked'],
      [21, 'consistency'],
      [40, 'share'],
    ],
  },
];

describe('unmasked sum equals the plain sum', () => {
  for (const c of cases) {
    const label = `n=${c.n} t=${c.t} L=${c.length} b=${c.bits} ${c.degree ? `harary k=${c.degree}` : 'complete'} drops=${JSON.stringify(c.drops)}`;
    it(label, async () => {
      const cfg = config({
        roundId: label,
        cohortSize: c.n,
        threshold: c.t,
        bits: c.bits,
        vectorLength: c.length,
        ...(c.degree ? { graph: { kind: 'harary' as const, degree: c.degree } } : {}),
      });
      const inputs = randomInputs(label, c.n, c.length, c.bits);
      const report = await run(cfg, inputs, new Map(c.drops), label);
      const contributors = expectedContributors(c.n, c.drops);
      expect(report.result.contributors).toEqual(contributors);
      expect(report.result.dropped).toEqual(
        c.drops
          .filter(([, p]) => p === 'masked')
          .map(([id]) => id)
          .sort((a, b) => a - b),
      );
      expect(Array.from(report.result.sum)).toEqual(Array.from(plainSum(inputs, c.bits, contributors)));
    });
  }

  it('random cohorts: 20 rounds with random n, L, bits, graph and dropouts', async () => {
    const rng = seededRng('random-cohorts');
    for (let r = 0; r < 20; r++) {
      const n = 3 + rng.int(28);
      const harary = n >= 8 && rng.int(2) === 1;
      const degree = harary ? 2 * (2 + rng.int(Math.floor((n - 4) / 2) - 1)) : n - 1;
      const holders = harary ? degree + 1 : n;
      const t = Math.floor(holders / 2) + 1;
      const length = 1 + rng.int(40);
      const bits = 1 + rng.int(32);
      const label = `rand-${r}`;
      const cfg = config({ roundId: label, cohortSize: n, threshold: t, bits, vectorLength: length, ...(harary ? { graph: { kind: 'harary' as const, degree } } : {}) });
      // Few enough dropouts (at most holders - t over all phases) that every neighbourhood keeps t.
      const drops = new Map<number, SimulationPhase>();
      const budget = rng.int(holders - t + 1);
      while (drops.size < budget) drops.set(1 + rng.int(n), SIMULATION_PHASES[rng.int(5)] as SimulationPhase);
      const inputs = randomInputs(label, n, length, bits);
      const report = await run(cfg, inputs, drops, label);
      const contributors = expectedContributors(n, [...drops]);
      expect(report.result.contributors, label).toEqual(contributors);
      expect(Array.from(report.result.sum), label).toEqual(Array.from(plainSum(inputs, bits, contributors)));
    }
  });

  it('sums of the maximum entries do not wrap when bits come from chooseModulusBits', async () => {
    const cfg = config({ roundId: 'max', cohortSize: 6, threshold: 4, bits: 13, vectorLength: 4 }); // 6 * 1365 = 8190 < 2^13
    const inputs = Array.from({ length: 6 }, () => Uint32Array.from([1365, 0, 1365, 1]));
    const report = await run(cfg, inputs);
    expect(Array.from(report.result.sum)).toEqual([8190, 0, 8190, 6]);
  });
});

describe('below the threshold the round aborts cleanly', () => {
  for (const phase of SIMULATION_PHASES) {
    it(`when clients drop in ${phase}`, async () => {
      const cfg = config({ roundId: `abort-${phase}`, cohortSize: 6, threshold: 4 });
      const inputs = randomInputs('abort', 6, 8, 32);
      const drops = new Map<number, SimulationPhase>([
        [1, phase],
        [2, phase],
        [3, phase],
      ]);
      const err = await failure(() => run(cfg, inputs, drops));
      expect(err.code).toBe('invalid_state');
      expect(err.param).toBe('threshold');
      expect(err.message).toMatch(/below the threshold 4/);
    });
  }

  it('an aborted server refuses everything afterwards with the reason', async () => {
    const { Harness } = await import('./helpers.js');
    const h = new Harness(config({ roundId: 'aborted', cohortSize: 5, threshold: 3 }));
    await h.advertise([1, 2]);
    const first = await failure(() => h.server.closeAdvertiseKeys());
    expect(first).toMatchObject({ code: 'invalid_state', param: 'threshold' });
    expect(h.server.phase).toBe('aborted');
    const again = await failure(() => h.server.receive(h.sent.get(1) as Uint8Array, 1));
    expect(again.code).toBe('invalid_state');
    expect(again.message).toMatch(/only 2 clients advertised keys \(0 with enough live neighbours\), below the threshold 3/);
  });

  it('a SecAgg+ client whose neighbourhood falls below t is pruned, the rest completes', async () => {
    // Harary k=4: holders = 5, t = 3. Three neighbours of one client going silent in ShareKeys
    // leave it 2 holders: it is pruned, and the others finish.
    const label = 'prune';
    const cfg = config({ roundId: label, cohortSize: 16, threshold: 3, graph: { kind: 'harary', degree: 4 } });
    const { Harness, graphOf } = await import('./helpers.js');
    const h = new Harness(cfg, label);
    const inputs = randomInputs(label, 16, 8, 32);
    await h.advertise();
    const keys = h.closeAdvertise();
    const victim = 1;
    const silent = graphOf(h).of(victim).slice(0, 3);
    await h.share(
      keys,
      h.all().filter((id) => !silent.includes(id)),
    );
    const inboxes = h.server.closeShareKeys();
    expect(inboxes.has(victim)).toBe(false);
    await h.mask(inboxes, inputs);
    await h.check(h.server.closeMaskedInputCollection());
    await h.unmask(h.server.closeConsistencyCheck());
    const result = await h.server.closeUnmasking();
    expect(result.contributors).not.toContain(victim);
    expect(result.contributors.length).toBeGreaterThan(10);
    expect(Array.from(result.sum)).toEqual(Array.from(plainSum(inputs, 32, result.contributors)));
  });
});
