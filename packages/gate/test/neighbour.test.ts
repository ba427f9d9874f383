/**
 * No-domain neighbour tests: one device alone in many buckets. Neighbours D (without the device u)
 * and D' (with it); without a public domain u's buckets do not exist in D, so the event S = "some
 * bucket of u is released" has P_D[S] = 0 and (epsilon, delta)-DP requires P_D'[S] <= delta, the
 * promised delta, whatever the number K of buckets u is found in (l0-bounding keeps u in at most
 * l0 of them).
 *
 * Statistical runs: hits ~ Bin(RUNS, p) with p = P_D'[S]. A run fails when the one-sided
 * Clopper-Pearson lower bound at level ALPHA exceeds delta: if p <= delta this happens with
 * probability <= ALPHA = 1e-6 (Bin(RUNS, p) is stochastically below Bin(RUNS, delta)), so the
 * false-failure rate is <= 1e-6 per check, <= 7e-6 for the file. With RUNS = 3000 and
 * delta = 0.01 the first failing count is 60 hits; the defect found in review (zero-count keys
 * thresholded) gives p between 3.4 % (Gaussian, l0 = 3) and 9.8 % (Laplace, l0 = 3), so
 * P[miss] = P[Bin(3000, 0.034) < 60] < 3e-6 (exact binomial sums).
 * At delta = 1e-6 no affordable number of runs sees the event, so the release probability is
 * computed exactly from the counts the gate actually decides (recorded by wrapping the selection)
 * and the selection's exact releaseProbability(n).
 */
import { describe, expect, it } from 'vitest';
import { expectPinholeError } from '@pinhole/core/testing';
import { clopperPearson } from '@pinhole/core/stats';
import { seededRng } from '@pinhole/core/seeded';
import {
  type Gate,
  type OptimalSelection,
  type ThresholdSelection,
  makeDistributedNoisePlan,
  makeGate,
  makeGaussianThresholdSelection,
  makeKAnonymity,
  makeLaplaceThresholdSelection,
  makeOptimalSelection,
} from '@pinhole/gate';

const ALPHA = 1e-6;
const RUNS = 3000;

/** u alone in K buckets, plus 40 other devices in a bucket of their own (released or not, not u's). */
function loneDevice(K: number): { ids: Record<string, string[]>; mine: Set<string> } {
  const ids: Record<string, string[]> = { busy: Array.from({ length: 40 }, (_, i) => `d${i}`) };
  const mine = new Set<string>();
  for (let j = 0; j < K; j++) {
    ids[`u-bucket-${j}`] = ['u'];
    mine.add(`u-bucket-${j}`);
  }
  return { ids, mine };
}

type DpSelection = ThresholdSelection | OptimalSelection;

const SELECTIONS: readonly [string, (delta: number, l0: number) => DpSelection][] = [
  ['Laplace threshold', (delta, l0) => makeLaplaceThresholdSelection({ epsilon: 1, delta, l0 })],
  ['Gaussian threshold', (delta, l0) => makeGaussianThresholdSelection({ epsilon: 1, delta, l0 })],
  ['optimal selection', (delta, l0) => makeOptimalSelection({ epsilon: 1, delta, l0 })],
];

/** Fails when hits/runs is significantly above delta (one-sided, level ALPHA). */
function expectAtMost(hits: number, runs: number, delta: number, what: string): void {
  const { lower } = clopperPearson(hits, runs, ALPHA, 'one_sided');
  expect(lower, `${what}: ${hits}/${runs} = ${hits / runs} runs released a bucket of the lone device; promised delta ${delta}`).toBeLessThanOrEqual(delta);
}

describe('a device alone in many buckets, no public domain (statistical, epsilon 1, delta 0.01, K = 50)', () => {
  for (const [name, make] of SELECTIONS) {
    for (const l0 of [1, 3]) {
      it(`${name}, l0 = ${l0}: P[some bucket of the device is released] <= delta`, () => {
        const gate = makeGate({ selection: make(0.01, l0) });
        const delta = gate.privacyLoss?.delta as number;
        expect(delta).toBe(0.01);
        const { ids, mine } = loneDevice(50);
        const rng = seededRng(`lone-${name}-${l0}`);
        let hits = 0;
        for (let r = 0; r < RUNS; r++) {
          const release = gate.decideContributors(ids, { rng, allowInsecureRng: true });
          if (release.released.some((b) => mine.has(b.key))) hits++;
        }
        expectAtMost(hits, RUNS, delta, name);
      });
    }
  }
});

/** The selection, with every count the gate decides recorded. */
function recording(selection: DpSelection): { selection: DpSelection; decided: number[] } {
  const decided: number[] = [];
  const wrapped = { ...selection } as Record<string, unknown>;
  if (selection.kind === 'optimal_selection') {
    wrapped.select = (n: number, rng: never) => {
      decided.push(n);
      return selection.select(n, rng);
    };
  } else {
    const s = selection;
    wrapped.noisyCount = (n: number, rng: never) => {
      decided.push(n);
      return s.noisyCount(n, rng);
    };
    wrapped.select = (n: number, rng: never) => {
      decided.push(n);
      return s.select(n, rng);
    };
  }
  return { selection: wrapped as unknown as DpSelection, decided };
}

describe('a device alone in many buckets, no public domain (exact, epsilon 1, delta 1e-6, K = 100)', () => {
  for (const [name, make] of SELECTIONS) {
    for (const l0 of [1, 3]) {
      it(`${name}, l0 = ${l0}: the union bound over the buckets the gate decides is <= delta`, () => {
        const real = make(1e-6, l0);
        const delta = makeGate({ selection: real }).privacyLoss?.delta as number;
        expect(delta).toBe(1e-6);
        const ids: Record<string, string[]> = {};
        for (let j = 0; j < 100; j++) ids[`u-bucket-${j}`] = ['u'];
        for (let r = 0; r < 5; r++) {
          const { selection, decided } = recording(real);
          makeGate({ selection }).decideContributors(ids, { rng: seededRng(`exact-${name}-${l0}-${r}`), allowInsecureRng: true });
          // the recording sees the gate's decisions: u's l0 kept buckets, one contributor each
          expect(decided.filter((n) => n === 1)).toHaveLength(l0);
          // P[some bucket released] <= sum of the per-bucket probabilities (each exact; the float
          // sum of <= 100 terms errs by < 1e-13 relative)
          const bound = decided.reduce((acc, n) => acc + real.releaseProbability(n), 0);
          expect(bound / delta, `${name}: counts decided ${JSON.stringify(decided.slice(0, 8))}…`).toBeLessThanOrEqual(1 + 1e-12);
        }
      });
    }
  }
});

describe('the other selection kinds', () => {
  it('k-anonymity promises no delta, and a lone device (k = 2) is never released', () => {
    const gate: Gate = makeGate({ selection: makeKAnonymity({ k: 2 }) });
    expect(gate.privacyLoss).toBeNull();
    const { ids, mine } = loneDevice(50);
    const release = gate.decideContributors(ids);
    expect(release.released.map((b) => b.key)).toEqual(['busy']);
    expect(release.released.some((b) => mine.has(b.key))).toBe(false);
  });

  // Counts noised by distributed noise: the plan bounds what one device adds (a one-client vector
  // with L1 <= 4, L2 <= 2, coordinates in [0, 2]: at most 4 buckets, at most 2 in one bucket).
  const plan = makeDistributedNoisePlan({
    mechanism: 'skellam',
    epsilon: 1,
    delta: 1e-6,
    l2Sensitivity: 2,
    l1Sensitivity: 4,
    vectorLength: 4,
    expectedClients: 40,
    onShortfall: 'refuse',
    clientValueBounds: [0, 2],
    allowInsecureRng: true,
  });
  const keys = ['a', 'b', 'c', 'd'];

  it('noisy-count threshold: refuses to run without a public domain (its keys would be data)', () => {
    const selection = plan.settle({ survivors: 40 }).selection({ thresholdDelta: 0.01 });
    expectPinholeError(() => makeGate({ selection }), 'invalid_argument', 'domain');
  });

  it('noisy-count threshold: buckets one device fills (1 in each of 4) pass with probability <= thresholdDelta', () => {
    const selection = plan.settle({ survivors: 40 }).selection({ thresholdDelta: 0.01 });
    // the threshold's accounting: at most l0 = 4 buckets, at most c = 2 in each
    expect(selection.l0).toBe(4);
    expect(4 * selection.releaseProbability(2)).toBeLessThanOrEqual(0.01);
    const gate = makeGate({ selection, domain: keys });
    const rng = seededRng('noisy-count-lone');
    let hits = 0;
    for (let r = 0; r < RUNS; r++) {
      const noise = plan.simulateSumNoise(40, rng);
      const counts = Object.fromEntries(keys.map((k, j) => [k, 1 + (noise[j] as number)]));
      if (gate.decide(counts).released.length > 0) hits++;
    }
    // same test as above; the calibration for n = 1, l0 = 1 (before the fix) gave p ~ 4.3 %: P[miss] < 1e-8
    expectAtMost(hits, RUNS, 0.01, 'noisy-count threshold');
  });
});
