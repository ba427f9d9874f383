/**
 * The smaller findings of issue 17, each now a typed refusal with no release: weak parameters, an
 * impostor, a corrupted share, too few contributors; and honest rounds at 10 % and 30 % dropout
 * (n = 300 at 30 %, where secAggPlusParameters picks the complete graph, is in round.slow.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, type WireValue } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import { SIMULATION_PHASES, SecAggClient, type SimulationPhase, encodeRoundConfig, decodeRoundConfig, makeRoundConfig, secAggPlusParameters } from '../src/index.js';
import { Harness, config, failure, fleet, nodeCrypto, plainSum, randomInputs, run } from './helpers.js';

const payloadOf = (b: Uint8Array) => decodeEnvelope(b).payload as Record<string, WireValue>;

describe('weak parameters', () => {
  const strong = { dropoutRate: 0.1, corruptFraction: 0.05 };
  it('n = 1,000 with k = 2, t = 2 is refused under the stated assumptions, and a chosen (all-zero) seed is refused', () => {
    expect(() =>
      makeRoundConfig({ roundId: 'w', cohortSize: 1000, threshold: 2, bits: 16, vectorLength: 4, graph: { kind: 'harary', degree: 2 }, threatModel: 'key_directory', assumptions: strong }),
    ).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'graph.degree' }));
    expect(() =>
      makeRoundConfig({
        roundId: 'w',
        cohortSize: 1000,
        threshold: 63,
        bits: 16,
        vectorLength: 4,
        graph: { kind: 'harary', degree: 98, seed: new Uint8Array(32) } as never,
        threatModel: 'key_directory',
      }),
    ).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'graph.seed' }));
  });
  it('a server that states weaker assumptions meets the client floors: protocol_violation, no client state', () => {
    const f = fleet(1000, 'weak');
    const weak = makeRoundConfig({ roundId: 'w', cohortSize: 1000, threshold: 2, bits: 16, vectorLength: 4, graph: { kind: 'harary', degree: 2 }, threatModel: 'key_directory' });
    const options = { identity: f.identity(1), signingKey: f.secret(1), directory: f.directory, crypto: nodeCrypto, minimums: strong };
    expect(() => new SecAggClient(weak, 1, options)).toThrow(expect.objectContaining({ code: 'protocol_violation', param: 'graph.degree' }));
    // The same floors accept what secAggPlusParameters chooses for them.
    const p = secAggPlusParameters({ n: 1000, ...strong });
    const good = makeRoundConfig({
      roundId: 'w',
      cohortSize: 1000,
      threshold: p.threshold,
      bits: 16,
      vectorLength: 4,
      graph: { kind: 'harary', degree: p.degree },
      threatModel: 'key_directory',
      assumptions: strong,
    });
    expect(new SecAggClient(good, 1, options).phase).toBe('advertise');
    // A smaller threshold at the same degree, or the complete graph with too small a threshold, is weaker.
    const lower = makeRoundConfig({ roundId: 'w', cohortSize: 1000, threshold: 50, bits: 16, vectorLength: 4, graph: { kind: 'harary', degree: 98 }, threatModel: 'key_directory' });
    expect(() => new SecAggClient(lower, 1, options)).toThrow(expect.objectContaining({ code: 'protocol_violation', param: 'graph.degree' }));
    const complete = makeRoundConfig({ roundId: 'w', cohortSize: 1000, threshold: 501, bits: 16, vectorLength: 4, threatModel: 'key_directory' });
    expect(() => new SecAggClient(complete, 1, options)).toThrow(expect.objectContaining({ code: 'protocol_violation', param: 'threshold' }));
    // On the wire: a config that claims assumptions its (k, t) do not meet does not even decode.
    const bytes = encodeRoundConfig(weak);
    const tampered = encodeEnvelope('secagg/config', { ...(decodeEnvelope(bytes).payload as Record<string, WireValue>), assumptions: strong });
    expect(() => decodeRoundConfig(tampered)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'graph.degree' }));
  });
});

describe('an impostor', () => {
  it('a message naming id 2 from a sender authenticated as another id is refused, and the real client 2 then joins', async () => {
    const h = new Harness(config({ roundId: 'imp', cohortSize: 5, threshold: 3 }), 'imp');
    const impostor = new Harness(config({ roundId: 'imp', cohortSize: 5, threshold: 3 }), 'impostor');
    const fake = await impostor.client(2).advertiseKeys();
    expect(await failure(() => h.server.receive(fake, 4))).toMatchObject({ code: 'protocol_violation', param: 'id' });
    expect(h.server.participants.advertised).toEqual([]);
    await h.advertise();
    expect(h.server.participants.advertised).toEqual([1, 2, 3, 4, 5]);
  });

  it('holding slot 2 but not device-2s key: the directory on the server refuses it, or, without it there, every neighbour does', async () => {
    const cfg = config({ roundId: 'imp2', cohortSize: 5, threshold: 3 });
    const h = new Harness(cfg, 'imp2');
    const { SecAggServer } = await import('../src/index.js');
    // The impostor advertises under identity device-2 with its own signing key.
    const impostor = new SecAggClient(cfg, 2, {
      rng: seededRng('imp2-x'),
      allowInsecureRng: true,
      crypto: nodeCrypto,
      identity: 'device-2',
      signingKey: seededRng('imp2-key').bytes(32),
      directory: h.fleet.directory,
    });
    const fake = await impostor.advertiseKeys();
    const guarded = new SecAggServer(cfg, { crypto: nodeCrypto, directory: h.fleet.directory });
    expect(await failure(() => guarded.receive(fake, 2))).toMatchObject({ code: 'verify_failed', param: 'vk' });
    // A server without the directory lets it through; the clients do not.
    await h.server.receive(fake, 2);
    await h.advertise([1, 3, 4, 5]);
    const keys = h.closeAdvertise();
    for (const id of [1, 3, 4, 5]) {
      expect(await failure(() => h.client(id).shareKeys(h.roster, keys.get(id) as Uint8Array))).toMatchObject({ code: 'verify_failed', param: expect.stringMatching(/^vks\[\d\]$/) });
    }
  });
});

describe('a corrupted share', () => {
  async function toUnmask(roundId: string, dropBeforeMasking: number[] = []) {
    const h = new Harness(config({ roundId, cohortSize: 5, threshold: 3, bits: 16, vectorLength: 2 }), roundId);
    await h.advertise();
    await h.share(h.closeAdvertise());
    const ids = h.all().filter((id) => !dropBeforeMasking.includes(id));
    await h.mask(
      h.server.closeShareKeys(),
      Array.from({ length: 5 }, () => Uint32Array.from([1, 2])),
      ids,
    );
    await h.check(h.server.closeMaskedInputCollection());
    return { h, requests: h.server.closeConsistencyCheck() };
  }
  it('of a self-mask seed fails the round with verify_failed and the reason, and releases no sum', async () => {
    const { h, requests } = await toUnmask('corrupt-b');
    const p = payloadOf(await h.client(1).unmask(requests.get(1) as Uint8Array));
    const shares = Uint32Array.from(p.selfMaskShares as Uint32Array);
    shares[0] = ((shares[0] as number) + 1) % 67108859;
    await h.server.receive(encodeEnvelope('secagg/unmask', { ...p, selfMaskShares: shares }), 1);
    await h.unmask(requests, [2, 3, 4, 5]);
    const err = await failure(() => h.server.closeUnmasking());
    expect(err).toMatchObject({ code: 'verify_failed', param: 'selfMaskShares' });
    expect(err.message).toMatch(/self-mask seed of client 1 rebuilt from the shares of 1, 2, 3 does not match its signed commitment/);
    expect(h.server.phase).toBe('aborted');
    expect(await failure(() => h.server.closeUnmasking())).toMatchObject({ code: 'verify_failed' });
  });
  it('of a dropped client mask key fails the round with verify_failed', async () => {
    const { h, requests } = await toUnmask('corrupt-s', [5]);
    const p = payloadOf(await h.client(1).unmask(requests.get(1) as Uint8Array));
    const shares = Uint32Array.from(p.keyShares as Uint32Array);
    shares[3] = ((shares[3] as number) + 7) % 67108859;
    await h.server.receive(encodeEnvelope('secagg/unmask', { ...p, keyShares: shares }), 1);
    await h.unmask(requests, [2, 3, 4]);
    expect(await failure(() => h.server.closeUnmasking())).toMatchObject({ code: 'verify_failed', param: 'keyShares' });
    expect(h.server.phase).toBe('aborted');
  });
});

describe('too few contributors', () => {
  it('n = 3, t = 2: the server aborts below minContributors, and a client refuses a survivor set that small', async () => {
    const cfg = config({ roundId: 'few', cohortSize: 3, threshold: 2, bits: 16, vectorLength: 1, minContributors: 3 });
    const h = new Harness(cfg, 'few');
    await h.advertise();
    await h.share(h.closeAdvertise());
    const inboxes = h.server.closeShareKeys();
    await h.mask(inboxes, [Uint32Array.from([5]), Uint32Array.from([7]), Uint32Array.from([9])], [1, 2]);
    expect(await failure(() => h.server.closeMaskedInputCollection())).toMatchObject({ code: 'invalid_state', param: 'minContributors' });
    // A deviating server that goes on anyway: the clients refuse to sign a set of two.
    const two = encodeEnvelope('secagg/survivors', { round: 'few', survivors: Uint8Array.from([0b011]) });
    for (const id of [1, 2]) expect(await failure(() => h.client(id).consistencyCheck(two))).toMatchObject({ code: 'protocol_violation', param: 'survivors' });
  });
  it('a client floor above the configuration applies too', async () => {
    const cfg = config({ roundId: 'few2', cohortSize: 4, threshold: 3, bits: 16, vectorLength: 1 });
    const h = new Harness(cfg, 'few2');
    const strict = new SecAggClient(cfg, 1, {
      rng: seededRng('few2-1'),
      allowInsecureRng: true,
      crypto: nodeCrypto,
      identity: h.fleet.identity(1),
      signingKey: h.fleet.secret(1),
      directory: h.fleet.directory,
      minimums: { contributors: 4 },
    });
    h.clients.set(1, strict);
    await h.advertise();
    await h.share(h.closeAdvertise());
    await h.mask(
      h.server.closeShareKeys(),
      Array.from({ length: 4 }, () => Uint32Array.from([1])),
      [1, 2, 3],
    );
    const survivors = h.server.closeMaskedInputCollection();
    expect(await failure(() => strict.consistencyCheck(survivors.get(1) as Uint8Array))).toMatchObject({ code: 'protocol_violation', param: 'survivors' });
  });
});

describe('honest rounds with dropouts', () => {
  function drops(seed: string, n: number, count: number): Map<number, SimulationPhase> {
    const rng = seededRng(seed);
    const out = new Map<number, SimulationPhase>();
    while (out.size < count) out.set(1 + rng.int(n), SIMULATION_PHASES[1 + rng.int(SIMULATION_PHASES.length - 1)] as SimulationPhase);
    return out;
  }
  const cases = [
    { label: 'complete n = 100, 10 %', n: 100, rate: 0.1, graph: undefined, t: 51 },
    { label: 'complete n = 100, 30 %', n: 100, rate: 0.3, graph: undefined, t: 51 },
    { label: 'SecAgg+ n = 100, 10 % (k = 56, t = 32)', n: 100, rate: 0.1 },
  ];
  for (const c of cases) {
    it(c.label, async () => {
      const p = c.t === undefined ? secAggPlusParameters({ n: c.n, dropoutRate: c.rate, corruptFraction: 0.05 }) : undefined;
      const cfg = config({
        roundId: c.label,
        cohortSize: c.n,
        threshold: p ? p.threshold : (c.t as number),
        bits: 20,
        vectorLength: 16,
        ...(p && p.graph === 'harary' ? { graph: { kind: 'harary' as const, degree: p.degree } } : {}),
        ...(p ? { assumptions: { dropoutRate: c.rate, corruptFraction: 0.05 } } : {}),
      });
      const inputs = randomInputs(c.label, c.n, 16, 20, 1000);
      const d = drops(c.label, c.n, Math.round(c.rate * c.n));
      const report = await run(cfg, inputs, d, c.label);
      const early = [...d].filter(([, ph]) => ph === 'share' || ph === 'masked').length;
      expect(report.result.contributors.length).toBe(c.n - early);
      expect(Array.from(report.result.sum)).toEqual(Array.from(plainSum(inputs, 20, report.result.contributors)));
    });
  }
});
