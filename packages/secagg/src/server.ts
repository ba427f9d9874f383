/**
 * The server of one secure-aggregation round (Bonawitz et al., CCS 2017, Fig. 4 and §6; SecAgg+
 * neighbourhoods, Bell et al., CCS 2020), as a state machine without I/O. `receive(bytes, sender)`
 * takes any client message together with the sender the transport authenticated; a `close…()`
 * call ends a phase (the caller decides when: a timeout, or everyone answered), fixes who dropped,
 * and returns the messages for the next phase per client. The last close reconstructs the self
 * masks of survivors (each checked against its commitment) and the pairwise keys of dropped
 * clients and returns the sum of the survivors' inputs mod 2^bits, and nothing else.
 *
 * Refused with protocol_violation (verify_failed for a bad signature or a key the directory does
 * not vouch for), without any change of state: unparseable bytes, a payload id that is not the
 * authenticated sender, messages of another round (replays), of another phase, from ids outside
 * the phase's participants, and duplicates. A close that leaves some client with fewer than
 * `threshold` live share holders, or fewer contributors than `minContributors`, aborts the round
 * with invalid_state; a reconstructed secret that does not match its commitment or advertised key
 * aborts it with verify_failed; every later call repeats that error.
 */
import { PinholeError } from '@pinhole/core';
import { checkObject, describeValue, invalid } from '@pinhole/core/validate';
import { type SecAggRoundConfig, type ThreatModel, configDigest, makeRoundConfig } from './config.js';
import { type SecAggCrypto, isSecAggCrypto, isSmallOrderPoint, sha256Bytes, toHex, webCryptoProvider } from './crypto.js';
import { type KeyDirectory, isKeyDirectory, verifyWithDirectory } from './directory.js';
import { Neighbourhoods } from './graph.js';
import { holdersIn, pruneBelowThreshold, sortedIds } from './holders.js';
import { reduceBits, roundSalt } from './masks.js';
import {
  DIGEST_BYTES,
  IDENTITY_PATTERN,
  KEY_BYTES,
  MSG,
  type MessageType,
  SHARE_CIPHERTEXT_BYTES,
  SIGNATURE_BYTES,
  bitmapOf,
  openClientMessage,
  readBytes,
  readId,
  readIds,
  readShares,
  readVector,
  seal,
  verifyFailed,
  violation,
} from './messages.js';
import { inboxMessages, keysMessage } from './server-outbox.js';
import { type UnmaskRequest, type UnmaskResponse, unmaskSum } from './server-unmask.js';
import { type Advertisement, advertisementTranscript, consistencyTranscript, graphSeed } from './transcript.js';

export type ServerPhase = 'advertise' | 'share' | 'masked' | 'consistency' | 'unmask' | 'done' | 'aborted';

export interface SecAggServerOptions {
  /** webCryptoProvider() by default; nodeCryptoProvider() from '@pinhole/secagg/node' is faster on Node */
  crypto?: SecAggCrypto;
  /**
   * Refuse advertisements whose signing key this directory does not vouch for (key-directory
   * rounds). Optional: the clients check the directory themselves; this only keeps a bad
   * advertisement from making its neighbours refuse.
   */
  directory?: KeyDirectory;
}

/** What closeAdvertiseKeys returns: one roster for every client, and each client's keys message. */
export interface AdvertiseKeysOutcome {
  /** every advertiser and the digest of its signed advertisement: the same bytes for every client of U1 */
  readonly roster: Uint8Array;
  /** per client of U1: the signed advertisements of its live share holders */
  readonly keys: Map<number, Uint8Array>;
}

export interface SecAggResult {
  /** sum of the inputs of `contributors`, mod 2^bits */
  readonly sum: Uint32Array;
  /** U3: the clients whose masked input is in the sum, sorted */
  readonly contributors: readonly number[];
  /** U2 \ U3: clients that shared keys but whose input is not in the sum, sorted */
  readonly dropped: readonly number[];
  /** the threat model of the round, for the release to carry */
  readonly threatModel: ThreatModel;
}

const PHASE_OF: Record<string, ServerPhase> = {
  [MSG.advertise]: 'advertise',
  [MSG.shares]: 'share',
  [MSG.masked]: 'masked',
  [MSG.ack]: 'consistency',
  [MSG.unmask]: 'unmask',
};

export class SecAggServer {
  readonly config: SecAggRoundConfig;
  private readonly crypto: SecAggCrypto;
  private readonly directory: KeyDirectory | undefined;
  private graph: Neighbourhoods;
  private readonly salt: Uint8Array;
  private readonly digest: Uint8Array;
  private state: ServerPhase = 'advertise';
  private busy = false;
  private abortReason = '';
  private abortCode: 'invalid_state' | 'verify_failed' = 'invalid_state';
  private readonly keys = new Map<number, { c: Uint8Array; s: Uint8Array }>();
  private readonly ads = new Map<number, { ad: Advertisement; sig: Uint8Array; digest: Uint8Array }>();
  private readonly keyHex = new Set<string>();
  private readonly identities = new Set<string>();
  /** ids that are being verified (async) in AdvertiseKeys and ConsistencyCheck */
  private readonly pending = new Set<number>();
  private seed: Uint8Array = new Uint8Array(0);
  private consistency: Uint8Array = new Uint8Array(0);
  private readonly consistencySigs = new Map<number, Uint8Array>();
  private u1 = new Set<number>();
  private readonly shares = new Map<number, { to: Uint32Array; ct: Uint8Array }>();
  private u2 = new Set<number>();
  private readonly sum: Uint32Array;
  private readonly masked = new Set<number>();
  private u3 = new Set<number>();
  private u4 = new Set<number>();
  private readonly unmasks = new Map<number, UnmaskResponse>();
  private expectedRequest = new Map<number, UnmaskRequest>();

  constructor(config: SecAggRoundConfig, options: SecAggServerOptions = {}) {
    this.config = makeRoundConfig(config);
    checkObject('options', options);
    if (options.crypto !== undefined && !isSecAggCrypto(options.crypto)) throw invalid('crypto', 'a SecAggCrypto provider', options.crypto);
    this.crypto = options.crypto ?? webCryptoProvider();
    if (options.directory !== undefined && !isKeyDirectory(options.directory)) throw invalid('directory', 'a KeyDirectory (verify(identity, publicKey))', options.directory);
    this.directory = options.directory;
    // The complete graph needs no seed; a sparse one is built when AdvertiseKeys closes.
    this.graph = new Neighbourhoods(this.config.cohortSize, { kind: 'complete' });
    this.salt = roundSalt(this.config.roundId);
    this.digest = configDigest(this.config);
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
      acknowledged: sortedIds(this.consistencySigs.keys()),
      unmasked: sortedIds(this.unmasks.keys()),
    };
  }

  private holdersIn(u: number, live: Set<number>): number[] {
    return holdersIn(this.graph, u, live);
  }

  private checkUsable(what: string, phase?: ServerPhase): void {
    if (this.state === 'aborted') throw new PinholeError(this.abortCode, 'phase', `the round was aborted: ${this.abortReason}`);
    if (this.busy) throw new PinholeError('invalid_state', 'phase', `"${what}" called while the server is unmasking`);
    if (phase !== undefined && this.state !== phase) throw new PinholeError('invalid_state', 'phase', `"${what}" belongs to phase ${phase}, but the server is in phase ${this.state}`);
  }

  private abort(reason: string, code: 'invalid_state' | 'verify_failed' = 'invalid_state', param = 'threshold'): never {
    this.state = 'aborted';
    this.abortReason = reason;
    this.abortCode = code;
    throw new PinholeError(code, param, `the round was aborted: ${reason}`);
  }

  /**
   * Takes one client message and the id the transport authenticated as its sender. Returns its
   * sender and type; throws protocol_violation or verify_failed (state unchanged) for anything that
   * does not belong to this round and phase, or whose id is not the sender's.
   */
  async receive(bytes: Uint8Array, sender: number): Promise<{ from: number; type: MessageType }> {
    this.checkUsable('receive');
    const { roundId, cohortSize: n } = this.config;
    if (typeof sender !== 'number' || !Number.isInteger(sender) || sender < 1 || sender > n) throw invalid('sender', `the authenticated sender, a participant id in [1, ${n}]`, sender);
    const { type, payload: p } = openClientMessage(bytes, roundId);
    const from = readId(p, 'id', n);
    if (from !== sender) throw violation('id', `the message names ${from} but the transport authenticated ${sender} as its sender: refused`);
    const phase = PHASE_OF[type] as ServerPhase;
    if (phase !== this.state) {
      throw violation('message', `a "${type}" message from ${from} belongs to phase ${phase}, but the server is in phase ${this.state}: out of phase, late or replayed`);
    }
    if (this.pending.has(from)) throw violation('id', `a message of ${from} is still being verified: duplicate`);
    switch (type) {
      case MSG.advertise: {
        if (this.keys.has(from)) throw violation('id', `${from} already advertised keys: duplicate`);
        const identity = p.identity;
        if (typeof identity !== 'string' || !IDENTITY_PATTERN.test(identity)) throw violation('identity', `"identity" expected 1-128 characters [A-Za-z0-9._:@-], got ${describeValue(identity)}`);
        const vk = readBytes(p, 'vk', KEY_BYTES);
        const c = readBytes(p, 'cPk', KEY_BYTES);
        const s = readBytes(p, 'sPk', KEY_BYTES);
        const commitment = readBytes(p, 'commitment', DIGEST_BYTES);
        const sig = readBytes(p, 'sig', SIGNATURE_BYTES);
        const fresh = (): void => {
          const hex = [toHex(vk), toHex(c), toHex(s)];
          if (new Set(hex).size !== 3 || hex.some((h) => this.keyHex.has(h))) throw violation('cPk', `the keys of ${from} repeat a key already advertised in this round`);
          if (this.identities.has(identity)) throw violation('identity', `identity ${identity} already holds a place in this round`);
        };
        fresh();
        if (isSmallOrderPoint(c) || isSmallOrderPoint(s)) throw violation('cPk', `a key of ${from} is a small-order point`);
        const ad: Advertisement = { id: from, identity, vk: Uint8Array.from(vk), cPk: Uint8Array.from(c), sPk: Uint8Array.from(s), commitment: Uint8Array.from(commitment) };
        const transcript = advertisementTranscript(this.digest, ad);
        this.pending.add(from);
        let valid: boolean;
        let vouched = true;
        try {
          [valid] = (await this.crypto.verify([ad.vk], [transcript], [sig])) as [boolean];
          if (valid && this.directory !== undefined) [vouched] = (await verifyWithDirectory(this.directory, [{ identity, publicKey: ad.vk }])) as [boolean];
        } finally {
          this.pending.delete(from);
        }
        if (!valid) throw verifyFailed('sig', `the advertisement of ${from} is not signed by the key it names`);
        if (!vouched) throw verifyFailed('vk', `the key directory does not vouch for the signing key of ${from} (identity ${identity})`);
        // The state may have moved on while the signature was checked.
        this.checkUsable('receive', 'advertise');
        if (this.keys.has(from)) throw violation('id', `${from} already advertised keys: duplicate`);
        fresh();
        this.keys.set(from, { c: ad.cPk, s: ad.sPk });
        this.ads.set(from, { ad, sig: Uint8Array.from(sig), digest: sha256Bytes(transcript) });
        for (const k of [vk, c, s]) this.keyHex.add(toHex(k));
        this.identities.add(identity);
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
        if (this.consistencySigs.has(from)) throw violation('id', `${from} already signed the survivor set: duplicate`);
        const sig = readBytes(p, 'sig', SIGNATURE_BYTES);
        const vk = (this.ads.get(from) as { ad: Advertisement }).ad.vk;
        this.pending.add(from);
        let valid: boolean;
        try {
          [valid] = (await this.crypto.verify([vk], [this.consistency], [sig])) as [boolean];
        } finally {
          this.pending.delete(from);
        }
        if (!valid) throw verifyFailed('sig', `the consistency signature of ${from} is not over the survivor set of this round`);
        this.checkUsable('receive', 'consistency');
        if (this.consistencySigs.has(from)) throw violation('id', `${from} already signed the survivor set: duplicate`);
        this.consistencySigs.set(from, Uint8Array.from(sig));
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
    return pruneBelowThreshold(this.graph, live, this.config.threshold);
  }

  private requireHolders(live: Set<number>, among: Iterable<number>, what: string): void {
    const t = this.config.threshold;
    if (live.size < t) this.abort(`only ${live.size} clients ${what}, below the threshold ${t}`);
    for (const u of among) {
      const h = this.holdersIn(u, live).length;
      if (h < t) this.abort(`client ${u} has only ${h} share holders that ${what}, below the threshold ${t}: its secrets could not be reconstructed`);
    }
  }

  /**
   * Ends AdvertiseKeys: derives the graph seed from every signed advertisement, fixes U1, and
   * returns the roster (for every client) and each client's keys message.
   */
  closeAdvertiseKeys(): AdvertiseKeysOutcome {
    this.checkUsable('closeAdvertiseKeys', 'advertise');
    if (this.pending.size > 0) throw new PinholeError('invalid_state', 'phase', `"closeAdvertiseKeys" called while ${this.pending.size} advertisements are still being verified`);
    const advertised = new Uint32Array(sortedIds(this.ads.keys()));
    const digests = new Uint8Array(advertised.length * DIGEST_BYTES);
    advertised.forEach((v, i) => digests.set((this.ads.get(v) as { digest: Uint8Array }).digest, i * DIGEST_BYTES));
    const seed = graphSeed(this.digest, advertised, digests);
    const spec = this.config.graph;
    const graph = new Neighbourhoods(this.config.cohortSize, spec.kind === 'complete' ? spec : { kind: 'harary', degree: spec.degree, seed });
    const previous = this.graph;
    this.graph = graph;
    const u1 = this.prune(new Set(this.keys.keys()));
    if (u1.size < this.config.threshold) {
      this.graph = previous;
      this.abort(`only ${this.keys.size} clients advertised keys (${u1.size} with enough live neighbours), below the threshold ${this.config.threshold}`);
    }
    this.seed = seed;
    this.u1 = u1;
    const roster = seal(MSG.roster, { round: this.config.roundId, advertised, digests });
    const out = new Map<number, Uint8Array>();
    for (const u of sortedIds(u1)) out.set(u, keysMessage(this.config.roundId, u, this.holdersIn(u, u1), this.ads));
    this.state = 'share';
    return { roster, keys: out };
  }

  /** Ends ShareKeys: U2, and for each client in it the ciphertexts its live neighbours sent it. */
  closeShareKeys(): Map<number, Uint8Array> {
    this.checkUsable('closeShareKeys', 'share');
    const u2 = this.prune(new Set(this.shares.keys()));
    if (u2.size < this.config.threshold) this.abort(`only ${this.shares.size} clients shared keys (${u2.size} with enough live neighbours), below the threshold ${this.config.threshold}`);
    this.u2 = u2;
    const out = inboxMessages(this.config.roundId, u2, this.shares);
    this.shares.clear();
    this.state = 'masked';
    return out;
  }

  /**
   * Ends MaskedInputCollection: U3 (whose inputs are summed), as one bitmap message that every
   * survivor gets and signs.
   */
  closeMaskedInputCollection(): Map<number, Uint8Array> {
    this.checkUsable('closeMaskedInputCollection', 'masked');
    const u3 = new Set(this.masked);
    this.requireHolders(u3, this.u2, 'sent masked input');
    if (u3.size < this.config.minContributors)
      this.abort(`only ${u3.size} clients sent masked input, below the minimum of ${this.config.minContributors} contributors`, 'invalid_state', 'minContributors');
    this.u3 = u3;
    const bitmap = bitmapOf(u3, this.config.cohortSize);
    this.consistency = consistencyTranscript(this.digest, this.seed, bitmap);
    const message = seal(MSG.survivors, { round: this.config.roundId, survivors: bitmap });
    const out = new Map<number, Uint8Array>();
    for (const u of sortedIds(u3)) out.set(u, message);
    this.state = 'consistency';
    return out;
  }

  /** Ends ConsistencyCheck: U4, and for each client in it the consistency signatures of its holders. */
  closeConsistencyCheck(): Map<number, Uint8Array> {
    this.checkUsable('closeConsistencyCheck', 'consistency');
    if (this.pending.size > 0) throw new PinholeError('invalid_state', 'phase', `"closeConsistencyCheck" called while ${this.pending.size} signatures are still being verified`);
    const u4 = new Set(this.consistencySigs.keys());
    this.requireHolders(u4, this.u2, 'passed the consistency check');
    this.u4 = u4;
    const out = new Map<number, Uint8Array>();
    for (const v of sortedIds(u4)) {
      const holders = [...this.graph.of(v), v].sort((a, b) => a - b);
      const selfMaskOf = holders.filter((u) => this.u3.has(u));
      const keyOf = holders.filter((u) => this.u2.has(u) && !this.u3.has(u));
      this.expectedRequest.set(v, { selfMaskOf, keyOf });
      const signers = holders.filter((u) => u4.has(u));
      const sigs = new Uint8Array(signers.length * SIGNATURE_BYTES);
      signers.forEach((u, i) => sigs.set(this.consistencySigs.get(u) as Uint8Array, i * SIGNATURE_BYTES));
      out.set(v, seal(MSG.unmaskRequest, { round: this.config.roundId, to: v, signers: new Uint32Array(signers), sigs }));
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
      const unmasked = await unmaskSum(
        {
          crypto: this.crypto,
          salt: this.salt,
          digest: this.digest,
          threshold: t,
          graph: this.graph,
          u2: this.u2,
          u3: this.u3,
          ads: this.ads,
          requests: this.expectedRequest,
          responses: this.unmasks,
          masked: this.sum,
        },
        (reason, code, param) => this.abort(reason, code, param),
      );
      this.state = 'done';
      return Object.freeze({ sum: reduceBits(unmasked, bits), contributors: sortedIds(this.u3), dropped: sortedIds(this.u2).filter((u) => !this.u3.has(u)), threatModel: this.config.threatModel });
    } finally {
      this.busy = false;
    }
  }
}
