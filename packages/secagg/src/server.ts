/**
 * The server of one secure-aggregation round (Bonawitz et al., CCS 2017, Fig. 4; SecAgg+
 * neighbourhoods, Bell et al., CCS 2020), as a state machine without I/O. `receive(bytes)` takes
 * any client message; a `close…()` call ends a phase (the caller decides when: a timeout, or
 * everyone answered), fixes who dropped, and returns the messages for the next phase per client.
 * The last close reconstructs the self masks of survivors and the pairwise keys of dropped
 * clients and returns the sum of the survivors' inputs mod 2^bits, and nothing else.
 *
 * Refused with protocol_violation, without any change of state: unparseable bytes, messages of
 * another round (replays), of another phase, from ids outside the phase's participants, and
 * duplicates. A close that leaves some client with fewer than `threshold` live share holders
 * aborts the round with invalid_state; every later call repeats that error.
 */
import { PinholeError, checkObject, invalid } from '@pinhole/core';
import { type RoundConfigParams, type SecAggRoundConfig, makeRoundConfig } from './config.js';
import { type SecAggCrypto, X25519_BASE_POINT, isSecAggCrypto, isSmallOrderPoint, toHex, webCryptoProvider } from './crypto.js';
import { Neighbourhoods } from './graph.js';
import { addMasks, pairMaskKey, pairSign, reduceBits, roundSalt, selfMaskKey } from './masks.js';
import { KEY_BYTES, MSG, type MessageType, SHARE_CIPHERTEXT_BYTES, openClientMessage, readBytes, readId, readIds, readShares, readVector, seal, violation } from './messages.js';
import { SHARE_CHUNKS, lagrangeAtZero, shamirCombine } from './shamir.js';

export type ServerPhase = 'advertise' | 'share' | 'masked' | 'consistency' | 'unmask' | 'done' | 'aborted';

export interface SecAggServerOptions {
  /** webCryptoProvider() by default; nodeCryptoProvider() from '@pinhole/secagg/node' is faster on Node */
  crypto?: SecAggCrypto;
}

export interface SecAggResult {
  /** sum of the inputs of `contributors`, mod 2^bits */
  readonly sum: Uint32Array;
  /** U3: the clients whose masked input is in the sum, sorted */
  readonly contributors: readonly number[];
  /** U2 \ U3: clients that shared keys but whose input is not in the sum, sorted */
  readonly dropped: readonly number[];
}

const PHASE_OF: Record<string, ServerPhase> = {
  [MSG.advertise]: 'advertise',
  [MSG.shares]: 'share',
  [MSG.masked]: 'masked',
  [MSG.ack]: 'consistency',
  [MSG.unmask]: 'unmask',
};

function sortedIds(set: Iterable<number>): number[] {
  return Array.from(set).sort((a, b) => a - b);
}

export class SecAggServer {
  readonly config: SecAggRoundConfig;
  private readonly crypto: SecAggCrypto;
  private readonly graph: Neighbourhoods;
  private readonly salt: Uint8Array;
  private state: ServerPhase = 'advertise';
  private busy = false;
  private abortReason = '';
  private readonly keys = new Map<number, { c: Uint8Array; s: Uint8Array }>();
  private readonly keyHex = new Set<string>();
  private u1 = new Set<number>();
  private readonly shares = new Map<number, { to: Uint32Array; ct: Uint8Array }>();
  private u2 = new Set<number>();
  private readonly sum: Uint32Array;
  private readonly masked = new Set<number>();
  private u3 = new Set<number>();
  private readonly acks = new Set<number>();
  private u4 = new Set<number>();
  private readonly unmasks = new Map<number, { selfMaskShares: Uint32Array; keyShares: Uint32Array }>();
  private expectedRequest = new Map<number, { selfMaskOf: number[]; keyOf: number[] }>();

  constructor(config: SecAggRoundConfig, options: SecAggServerOptions = {}) {
    this.config = makeRoundConfig(config as RoundConfigParams);
    checkObject('options', options);
    if (options.crypto !== undefined && !isSecAggCrypto(options.crypto)) throw invalid('crypto', 'a SecAggCrypto provider', options.crypto);
    this.crypto = options.crypto ?? webCryptoProvider();
    this.graph = new Neighbourhoods(this.config.cohortSize, this.config.graph);
    this.salt = roundSalt(this.config.roundId);
    this.sum = new Uint32Array(this.config.vectorLength);
  }

  get phase(): ServerPhase {
    return this.state;
  }

  /** Who took part in each phase so far (sorted ids). */
  get participants(): { advertised: number[]; sharedKeys: number[]; maskedInput: number[]; acknowledged: number[]; unmasked: number[] } {
    return {
      advertised: sortedIds(this.keys.keys()),
      sharedKeys: sortedIds(this.shares.keys()),
      maskedInput: sortedIds(this.masked),
      acknowledged: sortedIds(this.acks),
      unmasked: sortedIds(this.unmasks.keys()),
    };
  }

  private holdersIn(u: number, live: Set<number>): number[] {
    const out: number[] = [];
    for (const v of this.graph.of(u)) if (live.has(v)) out.push(v);
    if (live.has(u)) {
      out.push(u);
      out.sort((a, b) => a - b);
    }
    return out;
  }

  private checkUsable(what: string, phase?: ServerPhase): void {
    if (this.state === 'aborted') throw new PinholeError('invalid_state', 'phase', `the round was aborted: ${this.abortReason}`);
    if (this.busy) throw new PinholeError('invalid_state', 'phase', `"${what}" called while the server is unmasking`);
    if (phase !== undefined && this.state !== phase) throw new PinholeError('invalid_state', 'phase', `"${what}" belongs to phase ${phase}, but the server is in phase ${this.state}`);
  }

  private abort(reason: string): never {
    this.state = 'aborted';
    this.abortReason = reason;
    throw new PinholeError('invalid_state', 'threshold', `the round was aborted: ${reason}`);
  }

  /**
   * Takes one client message. Returns its sender and type; throws protocol_violation (state
   * unchanged) for anything that does not belong to this round and phase.
   */
  receive(bytes: Uint8Array): { from: number; type: MessageType } {
    this.checkUsable('receive');
    const { roundId, cohortSize: n } = this.config;
    const { type, payload: p } = openClientMessage(bytes, roundId);
    const from = readId(p, 'id', n);
    const phase = PHASE_OF[type] as ServerPhase;
    if (phase !== this.state) {
      throw violation('message', `a "${type}" message from ${from} belongs to phase ${phase}, but the server is in phase ${this.state}: out of phase, late or replayed`);
    }
    switch (type) {
      case MSG.advertise: {
        if (this.keys.has(from)) throw violation('id', `${from} already advertised keys: duplicate`);
        const c = readBytes(p, 'cPk', KEY_BYTES);
        const s = readBytes(p, 'sPk', KEY_BYTES);
        const ch = toHex(c);
        const sh = toHex(s);
        if (ch === sh || this.keyHex.has(ch) || this.keyHex.has(sh)) throw violation('cPk', `the keys of ${from} repeat a key already advertised in this round`);
        if (isSmallOrderPoint(c) || isSmallOrderPoint(s)) throw violation('cPk', `a key of ${from} is a small-order point`);
        this.keys.set(from, { c: Uint8Array.from(c), s: Uint8Array.from(s) });
        this.keyHex.add(ch);
        this.keyHex.add(sh);
        break;
      }
      case MSG.shares: {
        if (!this.u1.has(from)) throw violation('id', `${from} is not a participant of ShareKeys`);
        if (this.shares.has(from)) throw violation('id', `${from} already sent its shares: duplicate`);
        const to = readIds(p, 'to', n);
        const expected = this.holdersIn(from, this.u1).filter((v) => v !== from);
        if (to.length !== expected.length || expected.some((v, i) => to[i] !== v)) {
          throw violation('to', `the shares of ${from} must go to exactly its ${expected.length} live neighbours`);
        }
        const ct = readBytes(p, 'ct', to.length * SHARE_CIPHERTEXT_BYTES);
        this.shares.set(from, { to: Uint32Array.from(to), ct: Uint8Array.from(ct) });
        break;
      }
      case MSG.masked: {
        if (!this.u2.has(from)) throw violation('id', `${from} is not a participant of MaskedInputCollection`);
        if (this.masked.has(from)) throw violation('id', `${from} already sent its masked input: duplicate`);
        const y = readVector(p, 'y', this.config.vectorLength, this.config.bits);
        const sum = this.sum;
        for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + (y[i] as number);
        this.masked.add(from);
        break;
      }
      case MSG.ack: {
        if (!this.u3.has(from)) throw violation('id', `${from} is not a participant of ConsistencyCheck`);
        if (this.acks.has(from)) throw violation('id', `${from} already acknowledged: duplicate`);
        this.acks.add(from);
        break;
      }
      case MSG.unmask: {
        if (!this.u4.has(from)) throw violation('id', `${from} is not a participant of Unmasking`);
        if (this.unmasks.has(from)) throw violation('id', `${from} already sent its shares: duplicate`);
        const want = this.expectedRequest.get(from) as { selfMaskOf: number[]; keyOf: number[] };
        const selfMaskOf = readIds(p, 'selfMaskOf', n);
        const keyOf = readIds(p, 'keyOf', n);
        if (selfMaskOf.length !== want.selfMaskOf.length || want.selfMaskOf.some((v, i) => selfMaskOf[i] !== v)) throw violation('selfMaskOf', `"selfMaskOf" of ${from} is not the list asked for`);
        if (keyOf.length !== want.keyOf.length || want.keyOf.some((v, i) => keyOf[i] !== v)) throw violation('keyOf', `"keyOf" of ${from} is not the list asked for`);
        const selfMaskShares = readShares(p, 'selfMaskShares', selfMaskOf.length);
        const keyShares = readShares(p, 'keyShares', keyOf.length);
        this.unmasks.set(from, { selfMaskShares: Uint32Array.from(selfMaskShares), keyShares: Uint32Array.from(keyShares) });
        break;
      }
    }
    return { from, type };
  }

  /** Drops, repeatedly, every client with fewer than `threshold` live holders; returns the rest. */
  private prune(live: Set<number>): Set<number> {
    const t = this.config.threshold;
    const out = new Set(live);
    const count = new Map<number, number>();
    for (const u of out) count.set(u, this.holdersIn(u, out).length);
    const queue = sortedIds(out).filter((u) => (count.get(u) as number) < t);
    while (queue.length > 0) {
      const u = queue.pop() as number;
      if (!out.delete(u)) continue;
      for (const v of this.graph.of(u)) {
        if (!out.has(v)) continue;
        const c = (count.get(v) as number) - 1;
        count.set(v, c);
        if (c === t - 1) queue.push(v);
      }
    }
    return out;
  }

  private requireHolders(live: Set<number>, among: Iterable<number>, what: string): void {
    const t = this.config.threshold;
    if (live.size < t) this.abort(`only ${live.size} clients ${what}, below the threshold ${t}`);
    for (const u of among) {
      const h = this.holdersIn(u, live).length;
      if (h < t) this.abort(`client ${u} has only ${h} share holders that ${what}, below the threshold ${t}: its secrets could not be reconstructed`);
    }
  }

  /** Ends AdvertiseKeys: U1, and for each client in it the keys of its live neighbours. */
  closeAdvertiseKeys(): Map<number, Uint8Array> {
    this.checkUsable('closeAdvertiseKeys', 'advertise');
    const u1 = this.prune(new Set(this.keys.keys()));
    if (u1.size < this.config.threshold) this.abort(`only ${this.keys.size} clients advertised keys (${u1.size} with enough live neighbours), below the threshold ${this.config.threshold}`);
    this.u1 = u1;
    const out = new Map<number, Uint8Array>();
    for (const u of sortedIds(u1)) {
      const ids = this.holdersIn(u, u1);
      const cPks = new Uint8Array(ids.length * KEY_BYTES);
      const sPks = new Uint8Array(ids.length * KEY_BYTES);
      ids.forEach((v, i) => {
        const k = this.keys.get(v) as { c: Uint8Array; s: Uint8Array };
        cPks.set(k.c, i * KEY_BYTES);
        sPks.set(k.s, i * KEY_BYTES);
      });
      out.set(u, seal(MSG.keys, { round: this.config.roundId, to: u, ids: new Uint32Array(ids), cPks, sPks }));
    }
    this.state = 'share';
    return out;
  }

  /** Ends ShareKeys: U2, and for each client in it the ciphertexts its live neighbours sent it. */
  closeShareKeys(): Map<number, Uint8Array> {
    this.checkUsable('closeShareKeys', 'share');
    const u2 = this.prune(new Set(this.shares.keys()));
    if (u2.size < this.config.threshold) this.abort(`only ${this.shares.size} clients shared keys (${u2.size} with enough live neighbours), below the threshold ${this.config.threshold}`);
    this.u2 = u2;
    const from = new Map<number, number[]>();
    const cts = new Map<number, Uint8Array[]>();
    for (const u of u2) {
      from.set(u, []);
      cts.set(u, []);
    }
    for (const v of sortedIds(u2)) {
      const { to, ct } = this.shares.get(v) as { to: Uint32Array; ct: Uint8Array };
      for (let j = 0; j < to.length; j++) {
        const u = to[j] as number;
        if (!u2.has(u)) continue;
        (from.get(u) as number[]).push(v);
        (cts.get(u) as Uint8Array[]).push(ct.subarray(j * SHARE_CIPHERTEXT_BYTES, (j + 1) * SHARE_CIPHERTEXT_BYTES));
      }
    }
    const out = new Map<number, Uint8Array>();
    for (const u of sortedIds(u2)) {
      const list = cts.get(u) as Uint8Array[];
      const ct = new Uint8Array(list.length * SHARE_CIPHERTEXT_BYTES);
      list.forEach((c, i) => ct.set(c, i * SHARE_CIPHERTEXT_BYTES));
      out.set(u, seal(MSG.inbox, { round: this.config.roundId, to: u, from: new Uint32Array(from.get(u) as number[]), ct }));
    }
    this.shares.clear();
    this.state = 'masked';
    return out;
  }

  /** Ends MaskedInputCollection: U3 (whose inputs are summed), sent to each survivor. */
  closeMaskedInputCollection(): Map<number, Uint8Array> {
    this.checkUsable('closeMaskedInputCollection', 'masked');
    const u3 = new Set(this.masked);
    this.requireHolders(u3, this.u2, 'sent masked input');
    this.u3 = u3;
    const out = new Map<number, Uint8Array>();
    for (const u of sortedIds(u3)) {
      out.set(u, seal(MSG.survivors, { round: this.config.roundId, to: u, survivors: new Uint32Array(this.holdersIn(u, u3)) }));
    }
    this.state = 'consistency';
    return out;
  }

  /** Ends ConsistencyCheck: U4, and for each client in it the request for its shares. */
  closeConsistencyCheck(): Map<number, Uint8Array> {
    this.checkUsable('closeConsistencyCheck', 'consistency');
    const u4 = new Set(this.acks);
    this.requireHolders(u4, this.u2, 'passed the consistency check');
    this.u4 = u4;
    const out = new Map<number, Uint8Array>();
    for (const v of sortedIds(u4)) {
      const holders = [...this.graph.of(v), v].sort((a, b) => a - b);
      const selfMaskOf = holders.filter((u) => this.u3.has(u));
      const keyOf = holders.filter((u) => this.u2.has(u) && !this.u3.has(u));
      this.expectedRequest.set(v, { selfMaskOf, keyOf });
      out.set(
        v,
        seal(MSG.unmaskRequest, {
          round: this.config.roundId,
          to: v,
          selfMaskOf: new Uint32Array(selfMaskOf),
          keyOf: new Uint32Array(keyOf),
          responders: new Uint32Array(holders.filter((u) => u4.has(u))),
        }),
      );
    }
    this.state = 'unmask';
    return out;
  }

  /**
   * Ends Unmasking: reconstructs b_u for every survivor and s_u^SK for every dropped client from
   * `threshold` shares each, removes their masks, and returns the sum.
   */
  async closeUnmasking(): Promise<SecAggResult> {
    this.checkUsable('closeUnmasking', 'unmask');
    const { threshold: t, bits } = this.config;
    const u5 = new Set(this.unmasks.keys());
    this.requireHolders(u5, this.u2, 'sent their shares');
    this.busy = true;
    try {
      // The first t shares of each secret, in responder order.
      const xs = new Map<number, number[]>();
      const buf = new Map<number, Uint32Array>();
      for (const u of this.u2) {
        xs.set(u, []);
        buf.set(u, new Uint32Array(t * SHARE_CHUNKS));
      }
      for (const v of sortedIds(u5)) {
        const want = this.expectedRequest.get(v) as { selfMaskOf: number[]; keyOf: number[] };
        const got = this.unmasks.get(v) as { selfMaskShares: Uint32Array; keyShares: Uint32Array };
        const take = (ids: number[], shares: Uint32Array): void => {
          ids.forEach((u, i) => {
            const x = xs.get(u) as number[];
            if (x.length === t) return;
            (buf.get(u) as Uint32Array).set(shares.subarray(i * SHARE_CHUNKS, (i + 1) * SHARE_CHUNKS), x.length * SHARE_CHUNKS);
            x.push(v);
          });
        };
        take(want.selfMaskOf, got.selfMaskShares);
        take(want.keyOf, got.keyShares);
      }
      const lagrange = new Map<string, Float64Array>();
      const secret = (u: number): Uint8Array => {
        const x = xs.get(u) as number[];
        const key = x.join(',');
        let l = lagrange.get(key);
        if (l === undefined) lagrange.set(key, (l = lagrangeAtZero(x)));
        const b = buf.get(u) as Uint32Array;
        const shares = x.map((_, i) => b.subarray(i * SHARE_CHUNKS, (i + 1) * SHARE_CHUNKS));
        return shamirCombine(x, shares, l);
      };
      const keys: Uint8Array[] = [];
      const signs: number[] = [];
      for (const u of sortedIds(this.u3)) {
        keys.push(selfMaskKey(this.salt, secret(u), u));
        signs.push(-1);
      }
      for (const u of sortedIds(this.u2)) {
        if (this.u3.has(u)) continue;
        const sk = secret(u);
        const [pk] = await this.crypto.x25519(sk, [X25519_BASE_POINT]);
        if (toHex(pk as Uint8Array) !== toHex((this.keys.get(u) as { s: Uint8Array }).s)) {
          this.state = 'aborted';
          this.abortReason = `the reconstructed key of dropped client ${u} does not match its advertised key: corrupt shares`;
          throw new PinholeError('verify_failed', 'keyShares', this.abortReason);
        }
        const live = this.graph.of(u).filter((v) => this.u3.has(v));
        const agreed = await this.crypto.x25519(sk, live.map((v) => (this.keys.get(v) as { s: Uint8Array }).s));
        live.forEach((v, i) => {
          keys.push(pairMaskKey(this.salt, agreed[i] as Uint8Array, u, v));
          signs.push(-pairSign(v, u));
        });
      }
      const sum = Uint32Array.from(this.sum);
      await addMasks(this.crypto, sum, keys, signs);
      this.state = 'done';
      return Object.freeze({ sum: reduceBits(sum, bits), contributors: sortedIds(this.u3), dropped: sortedIds(this.u2).filter((u) => !this.u3.has(u)) });
    } finally {
      this.busy = false;
    }
  }
}
