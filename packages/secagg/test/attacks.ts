/**
 * Deviating servers, written here, that drive the real, unmodified SecAggClient (issue 17):
 * split views (the target masks with t-1 holders F; holders of F are told F dropped, holders of
 * the target that it survived) and key substitution (the server swaps in its own channel keys and
 * reads the shares). Each returns what the server could reconstruct and every client refusal.
 */
import { expect } from 'vitest';
import { decodeEnvelope, encodeEnvelope, type WireValue } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import { type KeyDirectory, SecAggClient, SecAggServer, type SecAggRoundConfig, pinnedKeyDirectory, signingKeyFromSecret } from '../src/index.js';
import { configDigest } from '../src/config.js';
import { X25519_BASE_POINT, sha256Bytes } from '../src/crypto.js';
import { Neighbourhoods } from '../src/graph.js';
import { addMasks, channelKey, pairMaskKey, pairSign, reduceBits, roundSalt, selfMaskKey } from '../src/masks.js';
import { SHARE_PLAINTEXT_BYTES, bitmapOf } from '../src/messages.js';
import { SHARE_CHUNKS, shamirCombine } from '../src/shamir.js';
import { advertisementTranscript, graphSeed } from '../src/transcript.js';
import { clientOptions, fleet, nodeCrypto } from './helpers.js';

type P = Record<string, WireValue>;
const payload = (b: Uint8Array): P => decodeEnvelope(b).payload as P;

export interface Refusal {
  id: number;
  phase: string;
  code: string;
  param: string;
  message: string;
}

export interface AttackOutcome {
  input: Uint32Array;
  /** what the server computed as the target's input, or null when it could not */
  recovered: Uint32Array | null;
  refusals: Refusal[];
  /** shares the server obtained: of b_u, and the fewest of any s_w, w in F */
  bShares: number;
  fewestKeyShares: number;
}

async function attempt(id: number, phase: string, refusals: Refusal[], f: () => Promise<Uint8Array>): Promise<Uint8Array | null> {
  try {
    return await f();
  } catch (err) {
    const e = err as { code?: string; param?: string; message: string };
    refusals.push({ id, phase, code: e.code ?? 'unknown', param: e.param ?? '', message: e.message });
    return null;
  }
}

function makeClients(cfg: SecAggRoundConfig, seed: string): { clients: Map<number, SecAggClient>; fleet: ReturnType<typeof fleet> } {
  const f = fleet(cfg.cohortSize, seed);
  const base = seededRng(seed);
  const clients = new Map<number, SecAggClient>();
  for (let id = 1; id <= cfg.cohortSize; id++) clients.set(id, new SecAggClient(cfg, id, clientOptions(cfg, id, f, base.stream(id))));
  return { clients, fleet: f };
}

function inputsFor(cfg: SecAggRoundConfig): Map<number, Uint32Array> {
  const rng = seededRng(`inputs-${cfg.roundId}`);
  const out = new Map<number, Uint32Array>();
  for (let id = 1; id <= cfg.cohortSize; id++)
    out.set(
      id,
      Uint32Array.from({ length: cfg.vectorLength }, () => rng.int(2 ** cfg.bits)),
    );
  return out;
}

/**
 * `split`: every client gets its own survivor set, as in the attack on the old code; the server
 * forwards to each client only the consistency signatures made over that client's set (the best
 * it can do without forging). `consistent`: one survivor set for all, [n] \ F.
 */
export async function splitViewAttack(cfg: SecAggRoundConfig, u: number, strategy: 'split' | 'consistent' = 'split'): Promise<AttackOutcome> {
  const n = cfg.cohortSize;
  const t = cfg.threshold;
  const salt = roundSalt(cfg.roundId);
  const { clients } = makeClients(cfg, `split-${cfg.roundId}`);
  const inputs = inputsFor(cfg);
  const refusals: Refusal[] = [];
  // AdvertiseKeys and ShareKeys are relayed honestly by the real server.
  const honest = new SecAggServer(cfg, { crypto: nodeCrypto });
  const sPk = new Map<number, Uint8Array>();
  for (const [id, c] of clients) {
    const m = await c.advertiseKeys();
    sPk.set(id, payload(m).sPk as Uint8Array);
    await honest.receive(m, id);
  }
  const { roster, keys } = honest.closeAdvertiseKeys();
  for (const [id, c] of clients) await honest.receive(await c.shareKeys(roster, keys.get(id) as Uint8Array), id);
  const inboxes = honest.closeShareKeys();
  const r = payload(roster);
  const seed = graphSeed(configDigest(cfg), r.advertised as Uint32Array, r.digests as Uint8Array);
  const spec = cfg.graph;
  const graph = new Neighbourhoods(n, spec.kind === 'complete' ? spec : { kind: 'harary', degree: spec.degree, seed });
  // u's inbox: only F, the first t-1 of its neighbours.
  const F = graph.of(u).slice(0, t - 1);
  const pu = payload(inboxes.get(u) as Uint8Array);
  const from = Array.from(pu.from as Uint32Array);
  const ct = pu.ct as Uint8Array;
  const size = ct.length / from.length;
  const ctF = new Uint8Array(F.length * size);
  F.forEach((w, j) => ctF.set(ct.subarray(from.indexOf(w) * size, (from.indexOf(w) + 1) * size), j * size));
  inboxes.set(u, encodeEnvelope('secagg/inbox', { ...pu, from: Uint32Array.from(F), ct: ctF }));
  const y = new Map<number, Uint32Array>();
  for (const [id, c] of clients) {
    const m = await attempt(id, 'masked', refusals, () => c.maskInput(inboxes.get(id) as Uint8Array, inputs.get(id) as Uint32Array));
    if (m) y.set(id, payload(m).y as Uint32Array);
  }
  // Who is told which members of F dropped: at most |H(v)| - t per client, t holders (not u) per w.
  const dropped = new Map<number, Set<number>>();
  for (let v = 1; v <= n; v++) dropped.set(v, new Set(strategy === 'consistent' && v !== u ? F.filter((w) => w !== v) : []));
  if (strategy === 'split') {
    const capacity = new Map<number, number>();
    for (let v = 1; v <= n; v++) capacity.set(v, graph.holders - t);
    for (const w of F) {
      const holders = graph
        .of(w)
        .filter((v) => v !== u)
        .sort((a, b) => (capacity.get(b) as number) - (capacity.get(a) as number));
      let got = 0;
      for (const v of holders) {
        if (got === t) break;
        if ((capacity.get(v) as number) === 0) continue;
        (dropped.get(v) as Set<number>).add(w);
        capacity.set(v, (capacity.get(v) as number) - 1);
        got++;
      }
    }
  }
  const everyone = Array.from({ length: n }, (_, i) => i + 1);
  const viewOf = (v: number): number[] => {
    if (strategy === 'consistent') return everyone.filter((x) => !F.includes(x));
    if (v === u) return everyone.filter((x) => x === u || F.includes(x) || !graph.isNeighbour(u, x));
    return everyone.filter((x) => !(dropped.get(v) as Set<number>).has(x));
  };
  const views = new Map<number, string>();
  const sigs = new Map<number, Uint8Array>();
  for (const [id, c] of clients) {
    const view = viewOf(id);
    views.set(id, view.join(','));
    const m = await attempt(id, 'consistency', refusals, () => c.consistencyCheck(encodeEnvelope('secagg/survivors', { round: cfg.roundId, survivors: bitmapOf(view, n) })));
    if (m) sigs.set(id, payload(m).sig as Uint8Array);
  }
  const bShares = { x: [] as number[], s: [] as Uint32Array[] };
  const sShares = new Map<number, { x: number[]; s: Uint32Array[] }>();
  for (const w of F) sShares.set(w, { x: [], s: [] });
  for (const [id, c] of clients) {
    if (id === u || !sigs.has(id)) continue;
    const signers = [...graph.of(id), id].sort((a, b) => a - b).filter((v) => sigs.has(v) && views.get(v) === views.get(id));
    const sigBytes = new Uint8Array(signers.length * 64);
    signers.forEach((v, i) => sigBytes.set(sigs.get(v) as Uint8Array, i * 64));
    const req = encodeEnvelope('secagg/unmask-request', { round: cfg.roundId, to: id, signers: Uint32Array.from(signers), sigs: sigBytes });
    const m = await attempt(id, 'unmask', refusals, () => c.unmask(req));
    if (!m) continue;
    const p = payload(m);
    (p.selfMaskOf as Uint32Array).forEach((o, i) => {
      if (o === u && bShares.x.length < t) {
        bShares.x.push(id);
        bShares.s.push((p.selfMaskShares as Uint32Array).slice(i * SHARE_CHUNKS, (i + 1) * SHARE_CHUNKS));
      }
    });
    (p.keyOf as Uint32Array).forEach((o, i) => {
      const e = sShares.get(o);
      if (e && e.x.length < t) {
        e.x.push(id);
        e.s.push((p.keyShares as Uint32Array).slice(i * SHARE_CHUNKS, (i + 1) * SHARE_CHUNKS));
      }
    });
  }
  const fewestKeyShares = Math.min(...F.map((w) => (sShares.get(w) as { x: number[] }).x.length));
  const yu = y.get(u);
  const outcome = { input: inputs.get(u) as Uint32Array, refusals, bShares: bShares.x.length, fewestKeyShares };
  if (!yu || bShares.x.length < t || fewestKeyShares < t) return { ...outcome, recovered: null };
  const masks = [await selfMaskKey(nodeCrypto, salt, shamirCombine(bShares.x, bShares.s), u)];
  const signs = [-1];
  for (const w of F) {
    const e = sShares.get(w) as { x: number[]; s: Uint32Array[] };
    const [agreed] = await nodeCrypto.x25519(shamirCombine(e.x, e.s), [sPk.get(u) as Uint8Array]);
    masks.push(await pairMaskKey(nodeCrypto, salt, agreed as Uint8Array, u, w));
    signs.push(-pairSign(u, w));
  }
  const x = Uint32Array.from(yu);
  await addMasks(nodeCrypto, x, masks, signs);
  return { ...outcome, recovered: reduceBits(x, cfg.bits) };
}

/**
 * Key substitution on the complete graph: the server replaces, in the target's keys message, each
 * neighbour's channel key by one of its own; the strongest form also replaces the neighbour's
 * signing key and re-signs, and rebuilds the roster so its digests match. The target's shares are
 * then encrypted to the server, which decrypts t of them and unmasks y_u before any unmasking.
 */
export async function keySubstitutionAttack(cfg: SecAggRoundConfig, u: number, serverDirectory?: KeyDirectory): Promise<AttackOutcome> {
  const t = cfg.threshold;
  const salt = roundSalt(cfg.roundId);
  const digest = configDigest(cfg);
  const { clients } = makeClients(cfg, `subst-${cfg.roundId}`);
  const input = inputsFor(cfg).get(u) as Uint32Array;
  const refusals: Refusal[] = [];
  const honest = new SecAggServer(cfg, { crypto: nodeCrypto, ...(serverDirectory ? { directory: serverDirectory } : {}) });
  const sPk = new Map<number, Uint8Array>();
  for (const [id, c] of clients) {
    const m = await c.advertiseKeys();
    sPk.set(id, payload(m).sPk as Uint8Array);
    await honest.receive(m, id);
  }
  const { roster, keys } = honest.closeAdvertiseKeys();
  const pk = payload(keys.get(u) as Uint8Array);
  const ids = Array.from(pk.ids as Uint32Array);
  const identities = pk.identities as string[];
  const vks = Uint8Array.from(pk.vks as Uint8Array);
  const cPks = Uint8Array.from(pk.cPks as Uint8Array);
  const sigs = Uint8Array.from(pk.sigs as Uint8Array);
  const r = payload(roster);
  const advertised = r.advertised as Uint32Array;
  const digests = Uint8Array.from(r.digests as Uint8Array);
  const evil = seededRng(`evil-${cfg.roundId}`);
  const signer = signingKeyFromSecret(evil.bytes(32));
  const mine = new Map<number, Uint8Array>();
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i] as number;
    if (v === u) continue;
    const sk = evil.bytes(32);
    const [pub] = await nodeCrypto.x25519(sk, [X25519_BASE_POINT]);
    mine.set(v, sk);
    cPks.set(pub as Uint8Array, 32 * i);
    // a signing key of the server's per substituted neighbour (keys must be distinct)
    const own = signingKeyFromSecret(sha256Bytes(Uint8Array.from([...signer.secretKey, v])));
    vks.set(own.publicKey, 32 * i);
    const ad = {
      id: v,
      identity: identities[i] as string,
      vk: own.publicKey,
      cPk: pub as Uint8Array,
      sPk: (pk.sPks as Uint8Array).slice(32 * i, 32 * i + 32),
      commitment: (pk.commitments as Uint8Array).slice(32 * i, 32 * i + 32),
    };
    const transcript = advertisementTranscript(digest, ad);
    sigs.set(await nodeCrypto.sign(own.secretKey, transcript), 64 * i);
    digests.set(sha256Bytes(transcript), 32 * Array.from(advertised).indexOf(v));
  }
  const uc = clients.get(u) as SecAggClient;
  const forgedRoster = encodeEnvelope('secagg/roster', { ...r, digests });
  const shares = await attempt(u, 'share', refusals, () => uc.shareKeys(forgedRoster, encodeEnvelope('secagg/keys', { ...pk, vks, cPks, sigs })));
  const outcome = { input, refusals, fewestKeyShares: 0 };
  if (!shares) return { ...outcome, recovered: null, bShares: 0 };
  const cPkU = (pk.cPks as Uint8Array).slice(32 * ids.indexOf(u), 32 * ids.indexOf(u) + 32);
  const sp = payload(shares);
  const to = Array.from(sp.to as Uint32Array);
  const ct = sp.ct as Uint8Array;
  const size = ct.length / to.length;
  const xs: number[] = [];
  const bs: Uint32Array[] = [];
  const ss: Uint32Array[] = [];
  const nonce = (from: number, to: number): Uint8Array => {
    const out = new Uint8Array(12);
    new DataView(out.buffer).setUint32(0, from, true);
    new DataView(out.buffer).setUint32(4, to, true);
    return out;
  };
  // the server holds every channel key of u: it reads u's shares and can write u's inbox
  const channel = new Map<number, Uint8Array>();
  for (const v of to) channel.set(v, await channelKey(nodeCrypto, salt, (await nodeCrypto.x25519(mine.get(v) as Uint8Array, [cPkU]))[0] as Uint8Array, u, v));
  for (let j = 0; j < to.length && xs.length < t; j++) {
    const v = to[j] as number;
    const plain = await nodeCrypto.gcmOpen(channel.get(v) as Uint8Array, nonce(u, v), ct.subarray(j * size, (j + 1) * size), salt);
    if (!plain) continue;
    const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    xs.push(v);
    bs.push(Uint32Array.from({ length: SHARE_CHUNKS }, (_, c) => view.getUint32(8 + 4 * c, true)));
    ss.push(Uint32Array.from({ length: SHARE_CHUNKS }, (_, c) => view.getUint32(8 + 4 * SHARE_CHUNKS + 4 * c, true)));
  }
  if (xs.length < t) return { ...outcome, recovered: null, bShares: xs.length };
  const b = shamirCombine(xs, bs);
  const su = shamirCombine(xs, ss);
  // u masks with every neighbour: the server hands it an inbox listing them all, with shares it
  // encrypts itself under the substituted channel keys (their content is never used).
  const others = to;
  const inboxCt = new Uint8Array(others.length * size);
  for (let j = 0; j < others.length; j++) {
    const v = others[j] as number;
    const plain = new Uint8Array(SHARE_PLAINTEXT_BYTES);
    new DataView(plain.buffer).setUint32(0, v, true);
    new DataView(plain.buffer).setUint32(4, u, true);
    inboxCt.set(await nodeCrypto.gcmSeal(channel.get(v) as Uint8Array, nonce(v, u), plain, salt), j * size);
  }
  const inbox = encodeEnvelope('secagg/inbox', { round: cfg.roundId, to: u, from: Uint32Array.from(others), ct: inboxCt });
  const masked = await attempt(u, 'masked', refusals, () => uc.maskInput(inbox, input));
  if (!masked) return { ...outcome, recovered: null, bShares: xs.length };
  const x = Uint32Array.from(payload(masked).y as Uint32Array);
  const masks = [await selfMaskKey(nodeCrypto, salt, b, u)];
  const signs = [-1];
  for (const v of others) {
    const [agreed] = await nodeCrypto.x25519(su, [sPk.get(v) as Uint8Array]);
    masks.push(await pairMaskKey(nodeCrypto, salt, agreed as Uint8Array, u, v));
    signs.push(-pairSign(u, v));
  }
  await addMasks(nodeCrypto, x, masks, signs);
  return { ...outcome, recovered: reduceBits(x, cfg.bits), bShares: xs.length };
}

/** The directory of the fleet the attacks use (for a server that checks keys too). */
export function attackDirectory(cfg: SecAggRoundConfig): KeyDirectory {
  const f = fleet(cfg.cohortSize, `subst-${cfg.roundId}`);
  return pinnedKeyDirectory(Array.from({ length: cfg.cohortSize }, (_, i) => [f.identity(i + 1), signingKeyFromSecret(f.secret(i + 1)).publicKey] as const));
}

/** The attack ended in typed refusals and left the server short of t shares of some secret it needed. */
export function expectRefusedWithoutRecovery(o: AttackOutcome, threshold: number): void {
  expect(o.recovered, 'the server recovered x_u').toBeNull();
  expect(o.refusals.length).toBeGreaterThan(0);
  for (const r of o.refusals) expect(['protocol_violation', 'verify_failed']).toContain(r.code);
  // what the server got: fewer than t shares of b_u, or of the key of some w in F
  expect(Math.min(o.bShares, o.fewestKeyShares)).toBeLessThan(threshold);
}
