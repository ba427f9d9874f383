/**
 * Longer statistical runs (npm run test:slow): empirical release rates for every n up to the point
 * where release is certain, for each DP selection mode, and the DP constraints of the optimal table
 * over a grid of budgets. Each rate check: releaseProbability(n) must lie in the Clopper-Pearson
 * interval at level 1 - 1e-6 (false failure <= 1e-6 per n; <= ~1e-4 for the whole file).
 */
import { describe, expect, it } from 'vitest';
import { makeGaussianThresholdSelection, makeLaplaceThresholdSelection, makeOptimalSelection } from '@pinhole/gate';
import { seededRng } from '@pinhole/core/seeded';
import { expectBinomial } from './helpers.js';

const N = 200_000;

function sweep(name: string, s: { select: (n: number, rng: never) => boolean; releaseProbability: (n: number) => number }, maxN: number): void {
  for (let n = 0; n <= maxN; n++) {
    const rng = seededRng(`${name}-${n}`);
    let hits = 0;
    for (let i = 0; i < N; i++) if (s.select(n, rng as never)) hits++;
    expectBinomial(hits, N, s.releaseProbability(n), 1e-6, `${name} n=${n}`);
  }
}

describe('release rates for every n (slow)', () => {
  it('optimal selection, epsilon 0.5, delta 1e-4, l0 2', () => {
    const s = makeOptimalSelection({ epsilon: 0.5, delta: 1e-4, l0: 2 });
    sweep('opt', s, s.alwaysReleasedFrom + 1);
  });
  it('Laplace threshold, epsilon 1, delta 1e-3', () => {
    const s = makeLaplaceThresholdSelection({ epsilon: 1, delta: 1e-3 });
    sweep('lap', s, s.threshold + 8);
  });
  it('Gaussian threshold, epsilon 1, delta 1e-3', () => {
    const s = makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-3 });
    sweep('gauss', s, s.threshold + 12);
  });
});

describe('optimal table constraints over a grid (slow)', () => {
  it('C1 and C2 hold for every n and budget', () => {
    for (const epsilon of [0.01, 0.1, 0.5, 1, 2, 5, 10]) {
      for (const delta of [1e-12, 1e-8, 1e-5, 1e-2]) {
        for (const l0 of [1, 3, 10]) {
          const s = makeOptimalSelection({ epsilon, delta, l0 });
          const e = Math.exp(epsilon / l0);
          const d = delta / l0;
          for (let n = 1; n <= s.alwaysReleasedFrom; n++) {
            expect(s.releaseProbability(n)).toBeLessThanOrEqual((e * s.releaseProbability(n - 1) + d) * (1 + 1e-12));
            expect(s.suppressionProbability(n - 1)).toBeLessThanOrEqual((e * s.suppressionProbability(n) + d) * (1 + 1e-12));
          }
        }
      }
    }
  });
});
