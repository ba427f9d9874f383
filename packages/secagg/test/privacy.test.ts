/**
 * Privacy: what the server sees does not depend on individual inputs beyond their sum; a server
 * asking for both shares of one client is refused; a server that claims a live client dropped
 * learns its key s_u^SK but still faces x_u + PRG(b_u), uniform without b_u.
 */
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, type WireValue } from '@pinhole/core/wire';
import { Harness, config, failure, nodeCrypto } from './helpers.js';
import { addMasks, pairMaskKey, pairSign, reduceBits, roundSalt, selfMaskKey } from '../src/masks.js';
import { shamirCombine, SHARE_CHUNKS } from '../src/shamir.js';

/**
 * Upper α-quantile of chi-square with df degrees of freedom, Wilson–Hilferty:
 * df·(1 − 2/(9df) + z·sqrt(2/(9df)))^3. With z = 4.753 (α = 1e-6) and df = 63 its error is
 * well under 1 %, so each uniformity test fails a correct implementation with probability ≈ 1e-6.
 */
function chiSquareCritical(df: number, z = 4.753): number {
  const a = 2 / (9 * df);
  return df * (1 - a + z * Math.sqrt(a)) ** 3;
}

function histogram(values: Uint32Array, bins: number): number[] {
  const h = new Array<number>(bins).fill(0);
  for (const v of values) h[v] = (h[v] as number) + 1;
  return h;
}

/** Pearson chi-square of counts against the uniform distribution. */
function chiSquareUniform(h: number[]): number {
  const total = h.reduce((s, v) => s + v, 0);
  const e = total / h.length;
  return h.reduce((s, o) => s + (o - e) ** 2 / e, 0);
}

/** Two-sample chi-square homogeneity statistic (a 2 x bins contingency table), df = bins − 1. */
function chiSquareHomogeneity(a: number[], b: number[]): number {
  const na = a.reduce((s, v) => s + v, 0);
  const nb = b.reduce((s, v) => s + v, 0);
  let stat = 0;
  for (let i = 0; i < a.length; i++) {
    const col = (a[i] as number) + (b[i] as number);
    if (col === 0) continue;
    const ea = (col * na) / (na + nb);
    const eb = (col * nb) / (na + nb);
    stat += ((a[i] as number) - ea) ** 2 / ea + ((b[i] as number) - eb) ** 2 / eb;
  }
  return stat;
}

function payloadOf(bytes: Uint8Array): Record<string, WireValue> {
  return decodeEnvelope(bytes).payload as Record<string, WireValue>;
}

async function fullRound(h: Harness, inputs: Uint32Array[]): Promise<Uint32Array> {
  await h.advertise();
  await h.share(h.closeAdvertise());
  await h.mask(h.server.closeShareKeys(), inputs);
  await h.check(h.server.closeMaskedInputCollection());
  await h.unmask(h.server.closeConsistencyCheck());
  return (await h.server.closeUnmasking()).sum;
}

const BITS = 6;
const BINS = 2 ** BITS;
const LENGTH = 64 * BINS; // 64 expected counts per bin

describe('the server view depends only on the sum', () => {
  it('two rounds with different inputs of the same sum release the same sum', async () => {
    const n = 8;
    const cfg = (id: string) => config({ roundId: id, cohortSize: n, threshold: 5, bits: BITS, vectorLength: LENGTH });
    // Round A: client 1 holds the whole sum 40; round B: every client holds 5.
    const inputsA = Array.from({ length: n }, (_, i) => new Uint32Array(LENGTH).fill(i === 0 ? 40 : 0));
    const inputsB = Array.from({ length: n }, () => new Uint32Array(LENGTH).fill(5));
    const a = new Harness(cfg('view-A'), 'view-A');
    const b = new Harness(cfg('view-B'), 'view-B');
    const sumA = await fullRound(a, inputsA);
    const sumB = await fullRound(b, inputsB);
    expect(Array.from(sumA)).toEqual(new Array(LENGTH).fill(40));
    expect(Array.from(sumB)).toEqual(new Array(LENGTH).fill(40));
  });

  it('chi-square: each client masked vector is uniform, and client 1 looks the same holding 40 or 5', async () => {
    const n = 8;
    const capture = async (id: string, inputs: Uint32Array[]) => {
      const h = new Harness(config({ roundId: id, cohortSize: n, threshold: 5, bits: BITS, vectorLength: LENGTH }), id);
      await h.advertise();
      await h.share(h.closeAdvertise());
      await h.mask(h.server.closeShareKeys(), inputs);
      return h.all().map((u) => payloadOf(h.sent.get(u) as Uint8Array).y as Uint32Array);
    };
    const ya = await capture(
      'chi-A',
      Array.from({ length: n }, (_, i) => new Uint32Array(LENGTH).fill(i === 0 ? 40 : 0)),
    );
    const yb = await capture(
      'chi-B',
      Array.from({ length: n }, () => new Uint32Array(LENGTH).fill(5)),
    );
    const critical = chiSquareCritical(BINS - 1); // ≈ 124.8; 17 tests: family false-failure ≈ 1.7e-5
    for (const y of [...ya, ...yb]) expect(chiSquareUniform(histogram(y, BINS))).toBeLessThan(critical);
    expect(chiSquareHomogeneity(histogram(ya[0] as Uint32Array, BINS), histogram(yb[0] as Uint32Array, BINS))).toBeLessThan(critical);
    // The test can fail: an unmasked constant vector is as far from uniform as it gets.
    expect(chiSquareUniform(histogram(new Uint32Array(LENGTH).fill(40), BINS))).toBeGreaterThan(critical);
  });
});

describe('a client never reveals both shares of one peer', () => {
  async function toUnmask() {
    const h = new Harness(config({ roundId: 'both', cohortSize: 5, threshold: 3, bits: 16, vectorLength: 4 }), 'both');
    const inputs = Array.from({ length: 5 }, (_, i) => Uint32Array.from([i, 10 * i, 100, 7]));
    await h.advertise();
    await h.share(h.closeAdvertise());
    await h.mask(h.server.closeShareKeys(), inputs, [1, 2, 3, 4]); // 5 drops before masking
    await h.check(h.server.closeMaskedInputCollection());
    return { h, inputs, requests: h.server.closeConsistencyCheck() };
  }
  const craft = (genuine: Uint8Array, change: Record<string, WireValue>) => encodeEnvelope('secagg/unmask-request', { ...payloadOf(genuine), ...change });

  it('reveals b-shares of committed survivors and s-shares of committed dropouts only, whatever the request asks', async () => {
    const { h, requests } = await toUnmask();
    const genuine = requests.get(1) as Uint8Array;
    const c1 = h.client(1);
    // Lists of the old request format are ignored: the client decides from what it signed.
    const asked = await c1.unmask(craft(genuine, { selfMaskOf: Uint32Array.from([1, 2, 3, 4, 5]), keyOf: Uint32Array.from([2, 5]) }));
    const p = payloadOf(asked);
    expect(Array.from(p.selfMaskOf as Uint32Array)).toEqual([1, 2, 3, 4]);
    expect(Array.from(p.keyOf as Uint32Array)).toEqual([5]);
    await h.server.receive(asked, 1);
    await h.unmask(requests, [2, 3, 4]);
    const result = await h.server.closeUnmasking();
    expect(Array.from(result.sum)).toEqual([0 + 1 + 2 + 3, 0 + 10 + 20 + 30, 400, 28]);
  });

  it('refuses a request whose signers include a client outside its committed survivors, or that carries too few signatures', async () => {
    const { h, requests } = await toUnmask();
    const genuine = requests.get(1) as Uint8Array;
    const g = payloadOf(genuine);
    const c1 = h.client(1);
    const sigs = g.sigs as Uint8Array;
    const withDropped = craft(genuine, { signers: Uint32Array.from([1, 2, 3, 4, 5]), sigs: Uint8Array.from([...sigs, ...sigs.subarray(0, 64)]) });
    expect(await failure(() => c1.unmask(withDropped))).toMatchObject({ code: 'protocol_violation', param: 'signers[4]' });
    const tooFew = craft(genuine, { signers: Uint32Array.from([1, 2]), sigs: sigs.slice(0, 128) });
    expect(await failure(() => c1.unmask(tooFew))).toMatchObject({ code: 'protocol_violation', param: 'signers' });
    const swapped = Uint8Array.from(sigs);
    swapped.set(sigs.subarray(0, 64), 64);
    expect(await failure(() => c1.unmask(craft(genuine, { sigs: swapped })))).toMatchObject({ code: 'verify_failed', param: 'sigs[1]' });
    expect(c1.phase).toBe('unmask');
  });
});

describe('a server that claims a live client dropped cannot unmask its input', () => {
  it('learns s_u^SK, strips the pairwise masks, and is left with x_u + PRG(b_u), uniform', async () => {
    const n = 6;
    const victim = 6;
    const cfg = config({ roundId: 'liar', cohortSize: n, threshold: 4, bits: BITS, vectorLength: LENGTH });
    const h = new Harness(cfg, 'liar');
    const inputs = Array.from({ length: n }, (_, i) => new Uint32Array(LENGTH).fill(i === victim - 1 ? 17 : i));
    await h.advertise();
    const advertised = new Map(h.all().map((u) => [u, payloadOf(h.sent.get(u) as Uint8Array)]));
    await h.share(h.closeAdvertise());
    const inboxes = h.server.closeShareKeys();
    await h.mask(inboxes, inputs, [1, 2, 3, 4, 5]);
    // The victim's masked input reaches the adversary, who pretends it never arrived.
    await h.mask(inboxes, inputs, [victim], false);
    const yVictim = payloadOf(h.sent.get(victim) as Uint8Array).y as Uint32Array;
    await h.check(h.server.closeMaskedInputCollection());
    const requests = h.server.closeConsistencyCheck();
    // Signatures over another survivor set (one that includes the victim) are refused by every
    // client: to get the victim's self-mask share the server would need them over the set each signed.
    const { consistencyTranscript } = await import('../src/transcript.js');
    const { configDigest } = await import('../src/config.js');
    const { graphSeed } = await import('../src/transcript.js');
    const roster = payloadOf(h.roster);
    const seed = graphSeed(configDigest(cfg), roster.advertised as Uint32Array, roster.digests as Uint8Array);
    const withVictim = consistencyTranscript(configDigest(cfg), seed, Uint8Array.from([0b111111]));
    const forgedSigs = new Uint8Array(6 * 64);
    for (let v = 1; v <= 6; v++) forgedSigs.set(await nodeCrypto.sign(h.fleet.secret(v), withVictim), (v - 1) * 64);
    for (let u = 1; u <= 5; u++) {
      const forged = encodeEnvelope('secagg/unmask-request', { round: cfg.roundId, to: u, signers: Uint32Array.from([1, 2, 3, 4, 5]), sigs: forgedSigs.slice(0, 5 * 64) });
      expect(await failure(() => h.client(u).unmask(forged))).toMatchObject({ code: 'verify_failed', param: 'sigs[0]' });
    }
    await h.unmask(requests);
    const result = await h.server.closeUnmasking();
    expect(result.dropped).toEqual([victim]);
    // The adversary reconstructs s_victim from the key shares it was given.
    const xs: number[] = [];
    const shares: Uint32Array[] = [];
    for (let u = 1; u <= 4; u++) {
      const p = payloadOf(h.sent.get(u) as Uint8Array);
      const i = Array.from(p.keyOf as Uint32Array).indexOf(victim);
      xs.push(u);
      shares.push((p.keyShares as Uint32Array).slice(i * SHARE_CHUNKS, (i + 1) * SHARE_CHUNKS));
    }
    const sVictim = shamirCombine(xs, shares);
    const salt = roundSalt(cfg.roundId);
    const keys: Uint8Array[] = [];
    const signs: number[] = [];
    for (let v = 1; v <= 5; v++) {
      const [agreed] = await nodeCrypto.x25519(sVictim, [advertised.get(v)?.sPk as Uint8Array]);
      keys.push(await pairMaskKey(nodeCrypto, salt, agreed as Uint8Array, victim, v));
      signs.push(-pairSign(victim, v));
    }
    const residue = Uint32Array.from(yVictim);
    await addMasks(nodeCrypto, residue, keys, signs);
    reduceBits(residue, BITS);
    // Control: the adversary removed every pairwise mask exactly; only PRG(b_victim) is left.
    const bVictim = (h.client(victim) as unknown as { selfSecret: Uint8Array }).selfSecret;
    const control = Uint32Array.from(residue);
    await addMasks(nodeCrypto, control, [await selfMaskKey(nodeCrypto, salt, bVictim, victim)], [-1]);
    expect(Array.from(reduceBits(control, BITS))).toEqual(Array.from(inputs[victim - 1] as Uint32Array));
    // Without b_victim the residue is uniform (same chi-square bound as above, α ≈ 1e-6).
    expect(chiSquareUniform(histogram(residue, BINS))).toBeLessThan(chiSquareCritical(BINS - 1));
  });
});
