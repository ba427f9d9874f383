import { describe, expect, it } from 'vitest';
import { PrivacyAccountant, isPinholeError } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { type DistributedNoiseParams, type DistributedNoisePlan, findReleased, makeDistributedNoisePlan, makeGate } from '@pinhole/gate';
import { SecAggClient, SecAggServer, makeRoundConfig, pinnedKeyDirectory, signingKeyFromSecret } from '@pinhole/secagg';

// End to end: 20 phones each add their Skellam share to a one-hot network-type vector, mask it
// with the real SecAgg state machines (wire bytes in between), some drop out, the server unmasks
// only the modular sum, decodes it signed, settles the plan for the survivors and the gate releases.
const KEYS = ['wifi', '4g', '5g-nsa', '5g-sa'];
const N = 20;
/** device id (1..20) -> its bucket: 12 on wifi, 5 on 4g, 2 on 5g-nsa, 1 on 5g-sa */
const BUCKET = (id: number) => (id <= 12 ? 0 : id <= 17 ? 1 : id <= 19 ? 2 : 3);

const PARAMS: DistributedNoiseParams = {
  mechanism: 'skellam',
  epsilon: 8,
  delta: 1e-5,
  l2Sensitivity: 1,
  l1Sensitivity: 1,
  vectorLength: KEYS.length,
  expectedClients: N,
  minSurvivors: 17,
  onShortfall: 'refuse',
  clientValueBounds: [0, 1],
  allowInsecureRng: true,
};

interface RoundOutcome {
  sum: Uint32Array;
  contributors: readonly number[];
  /** per device: the noise share it added (tracked by the test, never seen by the server) */
  shares: Map<number, Int32Array>;
}

/**
 * One SecAgg round. `dropBeforeMasking` go silent after sharing keys (their input is not in the
 * sum); `dropAfterMasking` go silent after sending their masked input (their input IS in the sum,
 * the others reveal what is needed to unmask it).
 */
async function runRound(plan: DistributedNoisePlan, roundId: string, dropBeforeMasking: number[], dropAfterMasking: number[]): Promise<RoundOutcome> {
  const config = makeRoundConfig({ roundId, cohortSize: N, threshold: 12, bits: plan.modulusBits, vectorLength: KEYS.length, threatModel: 'key_directory' });
  // Each phone's long-term signing key, vouched for by a pinned directory (a party other than the server).
  const signing = Array.from({ length: N }, (_, i) =>
    signingKeyFromSecret(
      seededRng('e2e/signing')
        .stream(i + 1)
        .bytes(32),
    ),
  );
  const directory = pinnedKeyDirectory(signing.map((k, i) => [`phone-${i + 1}`, k.publicKey] as const));
  const server = new SecAggServer(config, { directory });
  const shares = new Map<number, Int32Array>();
  const clients = new Map<number, SecAggClient>();
  for (let id = 1; id <= N; id++) {
    const options = { rng: seededRng(`${roundId}/masks`).stream(id), allowInsecureRng: true, identity: `phone-${id}`, signingKey: signing[id - 1]!.secretKey, directory };
    clients.set(id, new SecAggClient(config, id, options));
  }

  for (const [id, c] of clients) await server.receive(await c.advertiseKeys(), id);
  const { roster, keys } = server.closeAdvertiseKeys();
  for (const [id, c] of clients) await server.receive(await c.shareKeys(roster, keys.get(id)!), id);
  const inboxes = server.closeShareKeys();
  for (const [id, c] of clients) {
    if (dropBeforeMasking.includes(id)) continue;
    // on the phone: one-hot of its network type, plus its share of the noise, encoded mod 2^b
    const share = plan.clientShare(seededRng(`${roundId}/noise`).stream(id));
    shares.set(id, share);
    const x = new Array<number>(KEYS.length).fill(0);
    x[BUCKET(id)] = 1;
    const noisy = x.map((v, j) => v + (share[j] as number));
    await server.receive(await c.maskInput(inboxes.get(id)!, plan.toRing(noisy)), id);
  }
  const survivors = server.closeMaskedInputCollection();
  for (const [id, msg] of survivors) if (!dropAfterMasking.includes(id)) await server.receive(await clients.get(id)!.consistencyCheck(msg), id);
  const requests = server.closeConsistencyCheck();
  for (const [id, msg] of requests) await server.receive(await clients.get(id)!.unmask(msg), id);
  const result = await server.closeUnmasking();
  expect(result.threatModel).toBe('key_directory');
  return { sum: result.sum, contributors: result.contributors, shares };
}

/** What the released counts must be: the contributors' true one-hots plus exactly the shares they added. */
function expectedCounts(outcome: RoundOutcome): { truth: number[]; noisy: number[] } {
  const truth = new Array<number>(KEYS.length).fill(0);
  const noisy = new Array<number>(KEYS.length).fill(0);
  for (const id of outcome.contributors) {
    truth[BUCKET(id)]! += 1;
    noisy[BUCKET(id)]! += 1;
    const share = outcome.shares.get(id)!;
    for (let j = 0; j < KEYS.length; j++) noisy[j]! += share[j] as number;
  }
  return { truth, noisy };
}

describe('secure aggregation + distributed Skellam noise + the gate, end to end', () => {
  it('a round with dropouts (two before masking, one after) releases true counts + exactly the noise the survivors added', async () => {
    const plan = makeDistributedNoisePlan(PARAMS);
    const outcome = await runRound(plan, 'ddp-e2e-1', [19, 20], [3]);
    // 3 dropped after masking: its input is in the sum; 19 and 20 are not
    expect(outcome.contributors).toEqual(Array.from({ length: 18 }, (_, i) => i + 1));
    const settlement = plan.settle({ survivors: outcome.contributors.length });
    expect(settlement.status).toBe('as_planned');
    const finished = plan.finish(outcome.sum, settlement);
    const { truth, noisy } = expectedCounts(outcome);
    expect(Array.from(finished.values)).toEqual(noisy);
    expect(finished.topUp).toBeNull();

    const accountant = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-4 } });
    const gate = makeGate({ selection: settlement.selection({ thresholdDelta: 1e-6 }), domain: KEYS, minCohortSize: 10 });
    const counts = Object.fromEntries(KEYS.map((k, j) => [k, finished.values[j] as number]));
    const release = gate.decide(counts, { cohortSize: outcome.contributors.length, accountant });
    expect(release.status).toBe('released');
    const threshold = gate.selection.kind === 'noisy_count_threshold' ? gate.selection.threshold : NaN;
    const shouldRelease = KEYS.filter((_, j) => (noisy[j] as number) >= threshold);
    expect(release.released.map((b) => b.key)).toEqual(shouldRelease);
    expect(shouldRelease.length).toBeGreaterThan(0); // wifi (true count 12) clears the threshold in this round
    // noisy = truth + the survivors' own shares, summed by the test from what each phone drew
    expect(noisy.some((v, j) => v !== truth[j])).toBe(true);
    for (const key of shouldRelease) {
      const j = KEYS.indexOf(key);
      const v = findReleased(release, key)!.values.contributors!;
      expect(v.raw).toBe(noisy[j]);
      expect(v.noise).toBe('skellam');
      expect(v.variance).toBe(18 * plan.shareVariance);
    }
    // the loss spent accounts for the 18 survivors (better than the plan's 17) plus the threshold's delta
    expect(settlement.privacyLoss.epsilon).toBeLessThanOrEqual(plan.privacyLoss.epsilon);
    expect(accountant.entries()).toHaveLength(1);
    expect(accountant.entries()[0]!.loss).toEqual({ epsilon: settlement.privacyLoss.epsilon, delta: settlement.privacyLoss.delta + 1e-6 });
  });

  it('too many dropouts: the plan refuses and the gate refuses with noise_below_plan (or tops up, as configured)', async () => {
    const plan = makeDistributedNoisePlan(PARAMS);
    const outcome = await runRound(plan, 'ddp-e2e-2', [2, 7, 13, 18], []);
    expect(outcome.contributors).toHaveLength(16); // below minSurvivors = 17
    const settlement = plan.settle({ survivors: 16 });
    expect(settlement.status).toBe('refused');
    let thrown: unknown;
    try {
      plan.finish(outcome.sum, settlement);
    } catch (e) {
      thrown = e;
    }
    expect(isPinholeError(thrown, 'invalid_state')).toBe(true);
    const accountant = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-4 } });
    const gate = makeGate({ selection: settlement.selection({ thresholdDelta: 1e-6 }), domain: KEYS });
    const decoded = plan.fromRing(outcome.sum);
    const release = gate.decide(Object.fromEntries(KEYS.map((k, j) => [k, decoded[j] as number])), { accountant });
    expect(release.status).toBe('refused');
    expect(release.refusal?.reason).toBe('noise_below_plan');
    expect(release.released).toHaveLength(0);
    expect(release.suppressed.map((s) => s.reason)).toEqual(KEYS.map(() => 'noise_below_plan'));
    expect(accountant.entries()).toHaveLength(0);

    // The same sum under a plan that tops up: the server adds one more share's worth of noise
    // centrally, the release meets the promised loss, and the values are truth + clients' noise + top-up.
    const topUpPlan = makeDistributedNoisePlan({ ...PARAMS, onShortfall: 'top_up' });
    expect(topUpPlan.shareParameter).toBe(plan.shareParameter);
    expect(topUpPlan.modulusBits).toBe(plan.modulusBits);
    const topped = topUpPlan.settle({ survivors: 16 });
    expect(topped.status).toBe('topped_up');
    expect(topped.privacyLoss).toEqual(topUpPlan.privacyLoss);
    expect(topped.serverPrivacyLoss.epsilon).toBeGreaterThan(topUpPlan.privacyLoss.epsilon);
    const finished = topUpPlan.finish(outcome.sum, topped, { rng: seededRng('ddp-e2e-2/top-up') });
    const { noisy } = expectedCounts(outcome);
    expect(finished.topUp).not.toBeNull();
    expect(Array.from(finished.values)).toEqual(noisy.map((v, j) => v + (finished.topUp![j] as number)));
    const release2 = makeGate({ selection: topped.selection({ thresholdDelta: 1e-6 }), domain: KEYS }).decide(Object.fromEntries(KEYS.map((k, j) => [k, finished.values[j] as number])), {
      accountant,
    });
    expect(release2.status).toBe('released');
    expect(accountant.entries()[0]!.loss).toEqual({ epsilon: topUpPlan.privacyLoss.epsilon, delta: topUpPlan.privacyLoss.delta + 1e-6 });
  });
});
