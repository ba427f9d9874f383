/**
 * The differencing attack: the attacker sees two releases over datasets that differ by one device
 * (before and after it joined) and guesses that device's value, one of m buckets, as the bucket
 * whose published count grew most (ties broken at random).
 *
 * - k-anonymity alone publishes exact counts: the device's bucket grows by exactly 1, so the attack
 *   always succeeds.
 * - With an (epsilon, delta)-DP release, for every attacker and uniform prior over the m values,
 *   P[success] <= e^epsilon / m + delta: the first release does not depend on the device, and
 *   P[guess = v | device has v] <= e^epsilon P[guess = v | device absent] + delta, summed over v.
 *   So the success rate stays within a factor e^epsilon of guessing (1/m), up to delta.
 *
 * Statistical tolerance: the DP checks assert that the bound is not below the lower end of the
 * Clopper-Pearson interval of the observed success rate at level 1 - 1e-5, so a correct mechanism
 * fails each check with probability <= 5e-6 (one-sided).
 */
import { describe, expect, it } from 'vitest';
import { type Gate, type Release, makeGate, makeGaussianThresholdSelection, makeKAnonymity, makeLaplaceThresholdSelection, makeNoisyValues, makeOptimalSelection } from '@pinhole/gate';
import { type Rng } from '@pinhole/core';
import { clopperPearson } from '@pinhole/core/stats';
import { seededRng } from '@pinhole/core/seeded';

const M = 4;
const KEYS = Array.from({ length: M }, (_, i) => `cell=A|speed=${i}`);

/** What the attacker reads for a bucket: the published count (contributors or a noisy count value), or `missing`. */
function published(r: Release, key: string, valueName: string, missing: number): number {
  const b = r.released.find((x) => x.key === key);
  if (!b) return missing;
  return b.values[valueName]?.raw ?? missing;
}

function attack(gate: Gate, base: number, trials: number, seed: string, valueName: string, missing: number, extra: (counts: Record<string, number>) => object): number {
  const rng: Rng = seededRng(seed);
  let wins = 0;
  for (let t = 0; t < trials; t++) {
    const before: Record<string, number> = {};
    for (const k of KEYS) before[k] = base;
    const v = rng.int(M);
    const after = { ...before, [KEYS[v] as string]: base + 1 };
    const opts = { rng, allowInsecureRng: true };
    const r1 = gate.decide(before, { ...opts, ...extra(before) });
    const r2 = gate.decide(after, { ...opts, ...extra(after) });
    let best = -Infinity;
    let ties: number[] = [];
    for (let i = 0; i < M; i++) {
      const key = KEYS[i] as string;
      const d = published(r2, key, valueName, missing) - published(r1, key, valueName, missing);
      if (d > best) {
        best = d;
        ties = [i];
      } else if (d === best) ties.push(i);
    }
    if (ties[rng.int(ties.length)] === v) wins++;
  }
  return wins;
}

describe('differencing attack', () => {
  it('k-anonymity alone: the attacker recovers the device’s value every time', () => {
    const gate = makeGate({ selection: makeKAnonymity({ k: 10 }) });
    const noValues = () => ({});
    // counts well above k, and counts at k - 1 (the device's bucket appears only in the second release)
    expect(attack(gate, 30, 2000, 'kanon-30', 'contributors', 0, noValues)).toBe(2000);
    expect(attack(gate, 9, 2000, 'kanon-9', 'contributors', 0, noValues)).toBe(2000);
  });

  const N = 20_000;
  const cases: { name: string; epsilon: number; delta: number; gate: Gate; valueName: string; missing: number; base: number[]; values: boolean }[] = [];
  {
    const s = makeLaplaceThresholdSelection({ epsilon: 1, delta: 1e-6 });
    cases.push({
      name: 'Laplace threshold (epsilon 1)',
      epsilon: s.privacyLoss.epsilon,
      delta: s.privacyLoss.delta,
      gate: makeGate({ selection: s }),
      valueName: 'contributors',
      missing: s.threshold - 1,
      base: [30, s.threshold - 1],
      values: false,
    });
  }
  {
    const s = makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-6 });
    cases.push({
      name: 'Gaussian threshold (epsilon 1)',
      epsilon: s.privacyLoss.epsilon,
      delta: s.privacyLoss.delta,
      gate: makeGate({ selection: s }),
      valueName: 'contributors',
      missing: s.threshold - 1,
      base: [40, s.threshold - 1],
      values: false,
    });
  }
  {
    const sel = makeOptimalSelection({ epsilon: 0.5, delta: 1e-6 });
    const count = makeNoisyValues({ noise: 'discrete_laplace', epsilon: 0.5, l1Sensitivity: 1 });
    const gate = makeGate({ selection: sel, values: { count } });
    const loss = gate.privacyLoss as { epsilon: number; delta: number };
    cases.push({ name: 'optimal selection + Laplace counts (epsilon 0.5 + 0.5)', epsilon: loss.epsilon, delta: loss.delta, gate, valueName: 'count', missing: 0, base: [30, 12], values: true });
  }

  for (const c of cases) {
    for (const base of c.base) {
      it(`${c.name}, ${base} other contributors per bucket: success <= e^epsilon / m + delta`, () => {
        const extra = c.values ? (counts: Record<string, number>) => ({ values: { count: counts } }) : () => ({});
        const wins = attack(c.gate, base, N, `dp-${c.name}-${base}`, c.valueName, c.missing, extra);
        const bound = Math.exp(c.epsilon) / M + c.delta;
        const { lower } = clopperPearson(wins, N, 1e-5, 'two_sided');
        expect(lower, `success ${wins}/${N} = ${wins / N}, bound ${bound}`).toBeLessThanOrEqual(bound);
        // the same statement as a ratio to guessing: (success - delta) * m <= e^epsilon
        expect((lower - c.delta) * M).toBeLessThanOrEqual(Math.exp(c.epsilon));
      });
    }
  }
});
