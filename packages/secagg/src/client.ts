/**
 * The client of one secure-aggregation round (Bonawitz et al., CCS 2017, Fig. 4; the sparse
 * neighbourhoods of SecAgg+, Bell et al., CCS 2020, Alg. 2), as a state machine without I/O: each
 * method takes the server's message for a phase and returns this client's reply as wire bytes.
 *
 *   advertiseKeys()             -> c_u^PK, s_u^PK                        (AdvertiseKeys)
 *   shareKeys(keys)             -> Enc_{c_uv}(u, v, [b_u]_v, [s_u^SK]_v)  (ShareKeys)
 *   maskInput(inbox, x)         -> y_u = x + PRG(b_u) + sum_v ±PRG(s_uv)  (MaskedInputCollection)
 *   consistencyCheck(survivors) -> ack, commits to the survivor set U3    (ConsistencyCheck)
 *   unmask(request)             -> [b_v] for v in U3, [s_v^SK] for v in U2 \ U3   (Unmasking)
 *
 * A client never reveals both kinds of share for one peer: after the consistency check it answers
 * only for the survivor set it committed to. A refused message (protocol_violation) changes no
 * state, so the client stays usable.
 */
import { PinholeError, type Rng, checkInteger, checkObject, cryptoRng, describeValue, invalid, requireSecureRng } from '@pinhole/core';
import { type SecAggRoundConfig, makeRoundConfig, type RoundConfigParams } from './config.js';
import { type SecAggCrypto, X25519_BASE_POINT, gcmOpen, gcmSeal, isSecAggCrypto, isSmallOrderPoint, toHex, webCryptoProvider } from './crypto.js';
import { Neighbourhoods } from './graph.js';
import { addMasks, channelKey, pairMaskKey, pairSign, reduceBits, roundSalt, selfMaskKey } from './masks.js';
import {
  KEY_BYTES,
  MSG,
  SHARE_CIPHERTEXT_BYTES,
  SHARE_PLAINTEXT_BYTES,
  openServerMessage,
  readBytes,
  readId,
  readIds,
  seal,
  violation,
} from './messages.js';
import { SHARE_CHUNKS, shamirSplit } from './shamir.js';

export type ClientPhase = 'advertise' | 'share' | 'masked' | 'consistency' | 'unmask' | 'done';

export interface SecAggClientOptions {
  /** randomness for keys, b_u and share polynomials; cryptoRng() by default */
  rng?: Rng;
  /** accept a seeded (insecure) rng: simulations and tests only */
  allowInsecureRng?: boolean;
  /** webCryptoProvider() by default */
  crypto?: SecAggCrypto;
}

function nonce(from: number, to: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setUint32(0, from, true);
  view.setUint32(4, to, true);
  return out;
}

export class SecAggClient {
  readonly config: SecAggRoundConfig;
  readonly id: number;
  private readonly rng: Rng;
  private readonly crypto: SecAggCrypto;
  private readonly graph: Neighbourhoods;
  private readonly salt: Uint8Array;
  private state: ClientPhase = 'advertise';
  private busy = false;
  private cSecret: Uint8Array = new Uint8Array(0);
  private sSecret: Uint8Array = new Uint8Array(0);
  private cPublic: Uint8Array = new Uint8Array(0);
  private sPublic: Uint8Array = new Uint8Array(0);
  private selfSecret: Uint8Array = new Uint8Array(0);
  /** U1 as this client saw it: holders of its shares (itself included), sorted */
  private holders: number[] = [];
  private channel = new Map<number, Uint8Array>();
  private pairKey = new Map<number, Uint8Array>();
  private ownShares: { b: Uint32Array; s: Uint32Array } | undefined;
  /** ciphertexts received in MaskedInputCollection: U2 ∩ N(u) */
  private inbox = new Map<number, Uint8Array>();
  /** committed at ConsistencyCheck: survivors and dropped among this client's U2 view */
  private survivors = new Set<number>();
  private dropped = new Set<number>();

  constructor(config: SecAggRoundConfig, id: number, options: SecAggClientOptions = {}) {
    this.config = makeRoundConfig(config as RoundConfigParams);
    this.id = checkInteger('id', id, { ge: 1, le: this.config.cohortSize });
    checkObject('options', options);
    this.rng = requireSecureRng(options.rng ?? cryptoRng(), options.allowInsecureRng);
    if (options.crypto !== undefined && !isSecAggCrypto(options.crypto)) throw invalid('crypto', 'a SecAggCrypto provider', options.crypto);
    this.crypto = options.crypto ?? webCryptoProvider();
    this.graph = new Neighbourhoods(this.config.cohortSize, this.config.graph);
    this.salt = roundSalt(this.config.roundId);
  }

  get phase(): ClientPhase {
    return this.state;
  }

  /** Sorted ids whose shares of this client's secrets exist (neighbours and itself), once known. */
  get shareHolders(): readonly number[] {
    return this.holders;
  }

  private async step<T>(expected: ClientPhase, what: string, body: () => Promise<T>): Promise<T> {
    if (this.busy) throw new PinholeError('invalid_state', 'phase', `"${what}" called while another call of this client is still running`);
    if (this.state !== expected) throw violation('phase', `"${what}" belongs to phase ${expected}, but the client is in phase ${this.state}: out-of-phase or replayed message`);
    this.busy = true;
    try {
      return await body();
    } finally {
      this.busy = false;
    }
  }

  /** AdvertiseKeys: fresh X25519 key pairs for the channel (c) and the masks (s). */
  advertiseKeys(): Promise<Uint8Array> {
    return this.step('advertise', 'advertiseKeys', async () => {
      const c = this.rng.bytes(KEY_BYTES);
      const s = this.rng.bytes(KEY_BYTES);
      const [cp] = await this.crypto.x25519(c, [X25519_BASE_POINT]);
      const [sp] = await this.crypto.x25519(s, [X25519_BASE_POINT]);
      this.cSecret = c;
      this.sSecret = s;
      this.cPublic = cp as Uint8Array;
      this.sPublic = sp as Uint8Array;
      this.state = 'share';
      return seal(MSG.advertise, { round: this.config.roundId, id: this.id, cPk: this.cPublic, sPk: this.sPublic });
    });
  }

  /** ShareKeys: takes the neighbours' keys (U1), returns encrypted shares of b_u and s_u^SK. */
  shareKeys(keysMessage: Uint8Array): Promise<Uint8Array> {
    return this.step('share', 'shareKeys', async () => {
      const { roundId, cohortSize: n, threshold: t } = this.config;
      const p = openServerMessage(keysMessage, MSG.keys, roundId, 'share');
      if (readId(p, 'to', n) !== this.id) throw violation('to', `"to" expected ${this.id}, got ${describeValue(p.to)}`);
      const ids = readIds(p, 'ids', n);
      const m = ids.length;
      const cPks = readBytes(p, 'cPks', m * KEY_BYTES);
      const sPks = readBytes(p, 'sPks', m * KEY_BYTES);
      const seen = new Set<string>();
      let self = -1;
      for (let i = 0; i < m; i++) {
        const v = ids[i] as number;
        if (v === this.id) self = i;
        else if (!this.graph.isNeighbour(this.id, v)) throw violation(`ids[${i}]`, `"ids" lists ${v}, which is not a neighbour of ${this.id}`);
        for (const pk of [cPks.subarray(32 * i, 32 * i + 32), sPks.subarray(32 * i, 32 * i + 32)]) {
          const hex = toHex(pk);
          if (seen.has(hex)) throw violation(`ids[${i}]`, `the keys of ${v} repeat a key already listed: every public key in a round must be distinct`);
          if (isSmallOrderPoint(pk)) throw violation(`ids[${i}]`, `the key of ${v} is a small-order point`);
          seen.add(hex);
        }
      }
      if (self < 0) throw violation('ids', `"ids" must list this client (${this.id}) itself`);
      if (toHex(cPks.subarray(32 * self, 32 * self + 32)) !== toHex(this.cPublic) || toHex(sPks.subarray(32 * self, 32 * self + 32)) !== toHex(this.sPublic)) {
        throw violation('ids', `the keys listed for this client (${this.id}) are not the ones it advertised`);
      }
      if (m < t) throw violation('ids', `"ids" lists ${m} share holders, below the threshold ${t}: the round cannot continue`);
      const holders = Array.from(ids);
      const others = holders.filter((v) => v !== this.id);
      const otherIdx = others.map((v) => holders.indexOf(v));
      let cAgreed: Uint8Array[];
      let sAgreed: Uint8Array[];
      try {
        cAgreed = await this.crypto.x25519(this.cSecret, otherIdx.map((i) => cPks.slice(32 * i, 32 * i + 32)));
        sAgreed = await this.crypto.x25519(this.sSecret, otherIdx.map((i) => sPks.slice(32 * i, 32 * i + 32)));
      } catch (err) {
        throw violation('ids', 'a listed public key gives no valid X25519 agreement', err);
      }
      const b = this.rng.bytes(32);
      const bShares = shamirSplit(b, holders, t, this.rng);
      const sShares = shamirSplit(this.sSecret, holders, t, this.rng);
      const to = new Uint32Array(others);
      const ct = new Uint8Array(others.length * SHARE_CIPHERTEXT_BYTES);
      const channel = new Map<number, Uint8Array>();
      const pairKey = new Map<number, Uint8Array>();
      const plain = new Uint8Array(SHARE_PLAINTEXT_BYTES);
      const plainView = new DataView(plain.buffer);
      for (let j = 0; j < others.length; j++) {
        const v = others[j] as number;
        const i = otherIdx[j] as number;
        const key = channelKey(this.salt, cAgreed[j] as Uint8Array, this.id, v);
        channel.set(v, key);
        pairKey.set(v, pairMaskKey(this.salt, sAgreed[j] as Uint8Array, this.id, v));
        plainView.setUint32(0, this.id, true);
        plainView.setUint32(4, v, true);
        for (let c = 0; c < SHARE_CHUNKS; c++) {
          plainView.setUint32(8 + 4 * c, (bShares[i] as Uint32Array)[c] as number, true);
          plainView.setUint32(8 + 4 * SHARE_CHUNKS + 4 * c, (sShares[i] as Uint32Array)[c] as number, true);
        }
        ct.set(gcmSeal(key, nonce(this.id, v), plain, this.salt), j * SHARE_CIPHERTEXT_BYTES);
      }
      this.selfSecret = b;
      this.holders = holders;
      this.channel = channel;
      this.pairKey = pairKey;
      this.ownShares = { b: bShares[self] as Uint32Array, s: sShares[self] as Uint32Array };
      this.state = 'masked';
      return seal(MSG.shares, { round: roundId, id: this.id, to, ct });
    });
  }

  /**
   * MaskedInputCollection: takes the shares addressed to this client (their senders are U2 ∩ N(u))
   * and the input, integers in [0, 2^bits), returns the masked vector.
   */
  maskInput(inboxMessage: Uint8Array, input: Uint32Array | readonly number[]): Promise<Uint8Array> {
    return this.step('masked', 'maskInput', async () => {
      const { roundId, cohortSize: n, threshold: t, bits, vectorLength } = this.config;
      const x = this.checkInput(input);
      const p = openServerMessage(inboxMessage, MSG.inbox, roundId, 'masked');
      if (readId(p, 'to', n) !== this.id) throw violation('to', `"to" expected ${this.id}, got ${describeValue(p.to)}`);
      const from = readIds(p, 'from', n);
      const ct = readBytes(p, 'ct', from.length * SHARE_CIPHERTEXT_BYTES);
      for (let i = 0; i < from.length; i++) {
        const v = from[i] as number;
        if (!this.channel.has(v)) throw violation(`from[${i}]`, `"from" lists ${v}, which was not among the share holders of ${this.id}`);
      }
      if (from.length + 1 < t) throw violation('from', `only ${from.length + 1} share holders of ${this.id} remain, below the threshold ${t}: the round cannot continue`);
      const y = new Uint32Array(vectorLength);
      y.set(x);
      const keys = [selfMaskKey(this.salt, this.selfSecret, this.id)];
      const signs = [1];
      const inbox = new Map<number, Uint8Array>();
      for (let i = 0; i < from.length; i++) {
        const v = from[i] as number;
        inbox.set(v, ct.slice(i * SHARE_CIPHERTEXT_BYTES, (i + 1) * SHARE_CIPHERTEXT_BYTES));
        keys.push(this.pairKey.get(v) as Uint8Array);
        signs.push(pairSign(this.id, v));
      }
      await addMasks(this.crypto, y, keys, signs);
      this.inbox = inbox;
      this.state = 'consistency';
      return seal(MSG.masked, { round: roundId, id: this.id, y: reduceBits(y, bits) });
    });
  }

  private checkInput(input: unknown): Uint32Array {
    const { vectorLength, bits } = this.config;
    if (!(input instanceof Uint32Array || Array.isArray(input)) || input.length !== vectorLength) {
      throw invalid('input', `a Uint32Array or number[] of length ${vectorLength}`, input);
    }
    const limit = 2 ** bits;
    for (let i = 0; i < input.length; i++) {
      const v: unknown = input[i];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= limit || Object.is(v, -0)) throw invalid(`input[${i}]`, `an integer in [0, 2^${bits})`, v);
    }
    return input instanceof Uint32Array ? input : Uint32Array.from(input as number[]);
  }

  /** ConsistencyCheck: takes the survivors U3 among this client's holders and commits to them. */
  consistencyCheck(survivorsMessage: Uint8Array): Promise<Uint8Array> {
    return this.step('consistency', 'consistencyCheck', async () => {
      const { roundId, cohortSize: n, threshold: t } = this.config;
      const p = openServerMessage(survivorsMessage, MSG.survivors, roundId, 'consistency');
      if (readId(p, 'to', n) !== this.id) throw violation('to', `"to" expected ${this.id}, got ${describeValue(p.to)}`);
      const survivors = readIds(p, 'survivors', n);
      const set = new Set<number>();
      for (let i = 0; i < survivors.length; i++) {
        const v = survivors[i] as number;
        if (v !== this.id && !this.inbox.has(v)) throw violation(`survivors[${i}]`, `"survivors" lists ${v}, which sent this client no share`);
        set.add(v);
      }
      if (!set.has(this.id)) throw violation('survivors', `"survivors" must list this client (${this.id}), whose masked input was sent`);
      if (set.size < t) throw violation('survivors', `only ${set.size} of the share holders of ${this.id} survive, below the threshold ${t}: the round cannot continue`);
      const dropped = new Set<number>();
      for (const v of this.inbox.keys()) if (!set.has(v)) dropped.add(v);
      this.survivors = set;
      this.dropped = dropped;
      this.state = 'unmask';
      return seal(MSG.ack, { round: roundId, id: this.id });
    });
  }

  /**
   * Unmasking: reveals the share of b_v for each survivor v and of s_v^SK for each dropped v the
   * server asks for, exactly as committed in the consistency check; asking for both kinds for one
   * peer, or for a kind that contradicts the committed survivor set, is refused.
   */
  unmask(requestMessage: Uint8Array): Promise<Uint8Array> {
    return this.step('unmask', 'unmask', async () => {
      const { roundId, cohortSize: n, threshold: t } = this.config;
      const p = openServerMessage(requestMessage, MSG.unmaskRequest, roundId, 'unmask');
      if (readId(p, 'to', n) !== this.id) throw violation('to', `"to" expected ${this.id}, got ${describeValue(p.to)}`);
      const selfMaskOf = readIds(p, 'selfMaskOf', n);
      const keyOf = readIds(p, 'keyOf', n);
      const responders = readIds(p, 'responders', n);
      const asked = new Set<number>(selfMaskOf);
      for (let i = 0; i < keyOf.length; i++) {
        const v = keyOf[i] as number;
        if (asked.has(v)) throw violation(`keyOf[${i}]`, `the server asks for both the self-mask share and the key share of ${v}: refused, that would reveal its input`);
        if (!this.dropped.has(v)) {
          throw violation(`keyOf[${i}]`, `the server asks for the key share of ${v}, which ${this.survivors.has(v) ? 'survived (as committed in the consistency check)' : 'is not a dropped holder'}: refused`);
        }
      }
      for (let i = 0; i < selfMaskOf.length; i++) {
        const v = selfMaskOf[i] as number;
        if (!this.survivors.has(v)) throw violation(`selfMaskOf[${i}]`, `the server asks for the self-mask share of ${v}, which is not a committed survivor: refused`);
      }
      let live = 0;
      for (let i = 0; i < responders.length; i++) {
        const v = responders[i] as number;
        if (!this.survivors.has(v)) throw violation(`responders[${i}]`, `"responders" lists ${v}, which is not a committed survivor`);
        live++;
      }
      if (live < t) throw violation('responders', `only ${live} share holders of ${this.id} respond, below the threshold ${t}`);
      const bOut = new Uint32Array(selfMaskOf.length * SHARE_CHUNKS);
      const sOut = new Uint32Array(keyOf.length * SHARE_CHUNKS);
      const fill = (out: Uint32Array, ids: Uint32Array, offset: number): void => {
        for (let i = 0; i < ids.length; i++) {
          const v = ids[i] as number;
          if (v === this.id) {
            out.set(offset === 0 ? (this.ownShares as { b: Uint32Array }).b : (this.ownShares as { s: Uint32Array }).s, i * SHARE_CHUNKS);
            continue;
          }
          const plain = gcmOpen(this.channel.get(v) as Uint8Array, nonce(v, this.id), this.inbox.get(v) as Uint8Array, this.salt);
          if (plain === null) throw violation('inbox', `the share ciphertext from ${v} does not decrypt: it was tampered with`);
          const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
          if (view.getUint32(0, true) !== v || view.getUint32(4, true) !== this.id) throw violation('inbox', `the share ciphertext from ${v} names another sender or recipient`);
          for (let c = 0; c < SHARE_CHUNKS; c++) out[i * SHARE_CHUNKS + c] = view.getUint32(8 + offset + 4 * c, true);
        }
      };
      fill(bOut, selfMaskOf, 0);
      fill(sOut, keyOf, 4 * SHARE_CHUNKS);
      this.state = 'done';
      return seal(MSG.unmask, { round: roundId, id: this.id, selfMaskOf, selfMaskShares: bOut, keyOf, keyShares: sOut });
    });
  }
}
