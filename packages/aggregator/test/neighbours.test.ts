/**
 * Every central and secure-aggregation release publishes its cohort size (and under secure
 * aggregation the server counts the survivors), so the relation a printed (epsilon, delta) can
 * hold for is replace-one device: the same devices, one of which reports something else. This
 * file computes, from each plan's actual noise parameters, the privacy loss of the worst such pair
 * and checks it against the (epsilon, delta) the plan prints. The device vectors are derived here
 * from the layouts, not read from the plan's sensitivity fields:
 * - histogram: a one-hot count; the device moves from one bucket to another (+1 and -1);
 * - central mean: the value on [0, grid] into its group's sum, 1 into its group's count; the worst
 *   pair moves both from one group to another;
 * - secure-aggregation mean: [value on [0, grid], grid] in its group's two slots; the worst pair
 *   moves both from one group to another (L2 2·grid, L1 4·grid).
 */
import { describe, expect, it } from 'vitest';
import { type Plan, type PlanCollection } from '@pinhole/core';
import { ddgPrivacy, skellamPrivacy, zcdpDelta } from '@pinhole/core/privacy';
import { makePlan, makeReleaseEngine } from '@pinhole/aggregator';

const DOMAINS = { operators: ['op-a', 'op-b'], regions: ['r1', 'r2', 'r3'], cells: ['c1', 'c2', 'c3', 'c4'] };

/**
 * The exact delta(epsilon) of independent N_Z(0, sigma^2) noise on two counts, neighbours moving
 * one device from one count to the other, by brute force: the privacy loss of an output is
 * (1 + z1 + z2) / sigma^2 with z1, z2 the two noises (the signs of symmetric noises do not matter),
 * and delta = E[(1 - e^(epsilon - loss))_+] over the convolution of the two noises. Mass beyond
 * 40 sigma (< e^-800) is left out.
 */
function swapDeltaBruteForce(sigma: number, epsilon: number): number {
  const K = Math.ceil(40 * sigma) + 2;
  const p = new Float64Array(2 * K + 1);
  let norm = 0;
  for (let z = -K; z <= K; z++) norm += p[z + K] = Math.exp((-z * z) / (2 * sigma * sigma));
  for (let i = 0; i < p.length; i++) p[i] = (p[i] as number) / norm;
  let delta = 0;
  for (let s = -2 * K; s <= 2 * K; s++) {
    const loss = (1 + s) / (sigma * sigma);
    if (loss <= epsilon) continue;
    let mass = 0;
    for (let z1 = Math.max(-K, s - K); z1 <= Math.min(K, s + K); z1++) mass += (p[z1 + K] as number) * (p[s - z1 + K] as number);
    delta += mass * -Math.expm1(epsilon - loss);
  }
  return delta;
}

const plan = (mode: 'central' | 'secagg', epsilon: number, extra: Partial<Parameters<typeof makePlan>[0]> = {}): Plan =>
  makePlan({ id: 'neighbours', insights: ['poor-share', 'rtt-mean'], domains: DOMAINS, budget: { epsilon, delta: 2e-6 }, mode, expectedDevices: 2000, ...extra });

type Secagg = Extract<PlanCollection, { mode: 'secagg' }>;

/** The replace-one (L2, L1) of a secure-aggregation collection's device vector, from its layout. */
function secaggReplaceOne(c: Secagg): { l2: number; l1: number } {
  if (c.kind === 'histogram') return { l2: Math.SQRT2, l1: 2 };
  const g = c.mechanism.grid as number;
  return { l2: 2 * g, l1: 4 * g };
}

function secaggLoss(c: Secagg, survivors: number): number {
  const m = c.mechanism;
  const { l2, l1 } = secaggReplaceOne(c);
  return m.noise === 'skellam'
    ? skellamPrivacy({ mu: survivors * m.shareParameter, l2Sensitivity: l2, l1Sensitivity: l1 }, m.delta).epsilon
    : ddgPrivacy({ sigma: m.shareParameter, summands: survivors, l2Sensitivity: l2, dimension: m.vectorLength }, m.delta).epsilon;
}

describe('the printed loss holds for the worst replace-one neighbours (cohort size public)', () => {
  for (const epsilon of [1, 2, 8]) {
    it(`central mode, round budget epsilon ${epsilon}: counts on the exact curve, means in zCDP`, () => {
      const p = plan('central', epsilon);
      makeReleaseEngine(p); // the engine accepts what it will run
      for (const c of p.collections) {
        if (c.mode !== 'central') throw new Error('central plan');
        if (c.kind === 'histogram') {
          const m = c.mechanism;
          expect(swapDeltaBruteForce(m.sigma, m.epsilon), `${c.id}: delta at the printed epsilon ${m.epsilon}`).toBeLessThanOrEqual(m.delta);
        } else {
          const m = c.mechanism;
          // worst pair: the device leaves one group's (sum, count) and joins another's
          const rho = (2 * m.grid * m.grid) / (2 * m.sigmaSum ** 2) + 2 / (2 * m.sigmaCount ** 2);
          expect(zcdpDelta(rho, m.epsilon), `${c.id}: delta at the printed epsilon ${m.epsilon}`).toBeLessThanOrEqual(m.delta);
        }
        expect(c.mechanism.epsilon).toBeLessThanOrEqual(c.privacyLoss.epsilon);
      }
    });

    for (const noise of ['skellam', 'discrete_gaussian'] as const) {
      it(`secure aggregation (${noise}), round budget epsilon ${epsilon}: the released sum and the aggregator at the floor`, () => {
        const refuse = plan('secagg', epsilon, { secagg: { noise } });
        const topUp = plan('secagg', epsilon, { secagg: { noise, dropoutRate: 0.1, minSurvivorFraction: 1, onShortfall: 'top_up' } });
        for (const p of [refuse, topUp]) {
          makeReleaseEngine(p);
          for (const c of p.collections as readonly Secagg[]) {
            const m = c.mechanism;
            // the released sum holds at least minSurvivors shares (topped up when fewer survive)
            expect(secaggLoss(c, m.minSurvivors), `${c.id}: epsilon of the release`).toBeLessThanOrEqual(m.epsilon);
            // the aggregator sees the sum of as few as minCohort shares before any top-up: devices are charged for that
            expect(secaggLoss(c, c.minCohort), `${c.id}: epsilon of the aggregator at the floor`).toBeLessThanOrEqual(c.privacyLoss.epsilon);
          }
        }
      });
    }
  }

  it('the brute-force curve agrees with the one-count curve where the two must coincide (a check of the check)', () => {
    // with a huge sigma the second count adds loss ~ N(0, 1/sigma^2): the pair then behaves as a
    // continuous Gaussian of sensitivity sqrt(2), whose delta(epsilon) (Balle and Wang 2018) is
    // Phi(-eps s/D + D/(2s)) - e^eps Phi(-eps s/D - D/(2s)) with D = sqrt(2)
    const sigma = 40;
    const epsilon = 0.1;
    const D = Math.SQRT2;
    const phi = (x: number) => 0.5 * erfc(-x / Math.SQRT2);
    const continuous = phi((-epsilon * sigma) / D + D / (2 * sigma)) - Math.exp(epsilon) * phi((-epsilon * sigma) / D - D / (2 * sigma));
    // the discrete and continuous Gaussians differ by O(e^(-2 pi^2 sigma^2)) in mass: 1e-3 relative is loose
    expect(swapDeltaBruteForce(sigma, epsilon) / continuous).toBeCloseTo(1, 3);
  });
});

/** erfc by the Numerical Recipes Chebyshev fit (relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}
