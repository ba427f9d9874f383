/**
 * Longitudinal privacy: an observer of many rounds from one device averages its reports. Against
 * naive re-perturbation (a fresh GRR report every round, no memo) the most frequent reported bucket
 * recovers the device's value; against the shipped path (memo.ts: the same bucket reuses its
 * stored report, as client.ts calls it) every round repeats one report, so the attack succeeds only
 * with the probability one report gives.
 *
 * Plan: GRR, ε = 0.5, d = 12: p = e^ε/(e^ε + d − 1) = 0.1303, q = 1/(e^ε + d − 1) = 0.0791.
 * - Naive, R = 2,000 rounds: the true bucket's count has mean 2000p = 261, another's 2000q = 158;
 *   the difference has sd ≤ √(261 + 158) = 20.5, so a competitor wins with probability
 *   ≤ Φ(−103/20.5) = Φ(−5.0) ≈ 2.9e-7; over 11 competitors a device is missed with probability
 *   ≤ 3.2e-6. Over T = 100 devices, "at least 95 recovered" fails a correct attack with probability
 *   below C(100,6)·(3.2e-6)^6 ≈ 1e-24.
 * - Memoised: the guess is the single stored report, right with probability exactly p = 0.1303.
 *   Successes ~ Binomial(100, 0.1303): mean 13.0, sd 3.37. "At most 35" fails a correct client
 *   with probability below 2e-7 (Chernoff: exp(−100·KL(0.35‖0.1303)) = exp(−15.7) ≈ 1.6e-7).
 */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/seeded';
import { ORACLES } from '@pinhole/ldp';
import { deviceEntry, deviceMechanism, memoryStorage } from '../src/index.js';
import { memoisedEntry } from '../src/memo.js';
import { ldpPlan } from './helpers.js';

const plan = ldpPlan({ epsilon: 0.5 });
const c = plan.collections[0]!;
const oracle = deviceMechanism(c, { allowInsecureRng: true });
if (c.mode !== 'ldp' || c.kind !== 'histogram') throw new Error('ldpPlan: its first collection is a local-DP histogram');
// the server's oracle of the same parameters decodes what the device's encodes
const decoder = ORACLES[c.mechanism.name]({ epsilon: c.mechanism.epsilon, domainSize: c.mechanism.domainSize });
const D = 12;
const ROUNDS = 2000;
const DEVICES = 100;

function mostFrequent(reports: readonly Uint8Array[]): number {
  const counts = new Array<number>(D).fill(0);
  for (const b of reports) counts[decoder.decodeReport(b) as number]! += 1;
  return counts.indexOf(Math.max(...counts));
}

describe('averaging attack over many rounds', () => {
  it('recovers the value against naive re-perturbation, and not against the memoised reports the client sends', async () => {
    const rng = seededRng('longitudinal');
    let naive = 0;
    let memo = 0;
    for (let device = 0; device < DEVICES; device++) {
      const bucket = rng.int(D);
      const storage = memoryStorage();
      const fresh: Uint8Array[] = [];
      const memoised: Uint8Array[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const draw = () => deviceEntry(c, { bucket }, rng, { mechanism: oracle, allowInsecureRng: true });
        fresh.push(draw().bytes);
        if (r < 50) memoised.push((await memoisedEntry(storage, plan, c, bucket, draw)).bytes); // identical after the first: 50 rounds show it
      }
      expect(new Set(memoised.map((b) => b.join())).size).toBe(1);
      if (mostFrequent(fresh) === bucket) naive++;
      if (mostFrequent(memoised) === bucket) memo++;
    }
    expect(naive).toBeGreaterThanOrEqual(95);
    expect(memo).toBeLessThanOrEqual(35);
  }, 120_000);

  it('a changed value draws a fresh report, stored under its own bucket; a new plan revision starts a new memo', async () => {
    const storage = memoryStorage();
    const rng = seededRng('memo-change');
    let draws = 0;
    const draw = (bucket: number) => () => {
      draws++;
      return deviceEntry(c, { bucket }, rng, { mechanism: oracle, allowInsecureRng: true });
    };
    const a = await memoisedEntry(storage, plan, c, 3, draw(3));
    expect(await memoisedEntry(storage, plan, c, 3, draw(3))).toEqual(a);
    expect(draws).toBe(1);
    await memoisedEntry(storage, plan, c, 4, draw(4));
    expect(draws).toBe(2);
    await memoisedEntry(storage, ldpPlan({ epsilon: 0.5, revision: 2 }), c, 3, draw(3));
    expect(draws).toBe(3);
  });
});
