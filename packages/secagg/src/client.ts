/**
 * The client of one secure-aggregation round (Bonawitz et al., CCS 2017, Fig. 4 with the active-
 * model steps of §6; the sparse neighbourhoods of SecAgg+, Bell et al., CCS 2020), as a state
 * machine without I/O: each method takes the server's message for a phase and returns this
 * client's reply as wire bytes.
 *
 *   advertiseKeys()              -> signed (id, identity, vk, c_u^PK, s_u^PK, commit(b_u))   (AdvertiseKeys)
 *   shareKeys(roster, keys)      -> Enc_{c_uv}(u, v, [b_u]_v, [s_u^SK]_v)                     (ShareKeys)
 *   maskInput(inbox, x)          -> y_u = x + PRG(b_u) + sum_v ±PRG(s_uv)                     (MaskedInputCollection)
 *   consistencyCheck(survivors)  -> SIG(U3): commits to the survivor set U3                   (ConsistencyCheck)
 *   unmask(signatures)           -> [b_v] for v in U3, [s_v^SK] for v in U2 \ U3              (Unmasking)
 *
 * Before sharing, the client verifies every neighbour's signature and asks the key directory to
 * vouch for every signing key; it derives the neighbour graph itself from the hash of all signed
 * advertisements; it refuses a configuration weaker than its floors. Before unmasking it needs
 * signatures over the same U3 from at least t of its share holders, so a server that shows
 * different survivor sets to different clients gets a refusal, never shares. A refused message
 * (protocol_violation, verify_failed) changes no state, so the client stays usable.
 */
import { PinholeError, type Rng, cryptoRng, requireSecureRng } from '@pinhole/core';
import { checkBoolean, checkInteger, checkNumber, checkObject, checkUint8Array, invalid } from '@pinhole/core/validate';
import { type SecAggAssumptions, type SecAggRoundConfig, checkFloors, configDigest, makeRoundConfig } from './config.js';
import { type SecAggCrypto, X25519_BASE_POINT, isSecAggCrypto, sha256Bytes, webCryptoProvider } from './crypto.js';
import { type KeyDirectory, isKeyDirectory } from './directory.js';
import { addMasks, channelKey, pairMaskKey, pairSign, reduceBits, roundSalt, selfMaskKey } from './masks.js';
import {
  IDENTITY_PATTERN,
  KEY_BYTES,
  MSG,
  SHARE_CIPHERTEXT_BYTES,
  SIGNATURE_BYTES,
  bitmapCount,
  bitmapHas,
  checkRecipient,
  openServerMessage,
  readBitmap,
  readBytes,
  readIds,
  seal,
  verifyFailed,
  violation,
} from './messages.js';
import { SHARE_CHUNKS, shamirSplit } from './shamir.js';
import { type Advertisement, advertisementTranscript, consistencyTranscript, selfMaskCommitment } from './transcript.js';
import { checkHolderKeys } from './client-keys.js';
import { type HeldShares, openShares, sealShares } from './client-shares.js';

export type ClientPhase = 'advertise' | 'share' | 'masked' | 'consistency' | 'unmask' | 'done';

/** Floors the client enforces whatever the server's configuration says. */
export interface SecAggClientMinimums {
  dropoutRate?: number;
  corruptFraction?: number;
  securityBits?: number;
  /** the fewest contributors (|U3|) this client unmasks a sum for */
  contributors?: number;
}

export interface SecAggClientOptions {
  /** randomness for keys, b_u and share polynomials; cryptoRng() by default */
  rng?: Rng;
  /** accept a seeded (insecure) rng: simulations and tests only */
  allowInsecureRng?: boolean;
  /** webCryptoProvider() by default */
  crypto?: SecAggCrypto;
  /** the device's long-term Ed25519 secret key (32 bytes); required with a directory */
  signingKey?: Uint8Array;
  /** the identity the directory knows the signing key under; required with a directory */
  identity?: string;
  /** who vouches for the neighbours' signing keys; required for a `key_directory` round */
  directory?: KeyDirectory;
  /**
   * Take part in an `honest_but_curious` round (no directory): the caller accepts that a server
   * that deviates from the protocol can read this device's input. Without it such a round is refused.
   */
  honestButCurious?: boolean;
  minimums?: SecAggClientMinimums;
}

export class SecAggClient {
  readonly config: SecAggRoundConfig;
  readonly id: number;
  /** the identity this client advertises (its directory name; `slot-<id>` in honest-but-curious rounds without one) */
  readonly identity: string;
  private readonly rng: Rng;
  private readonly crypto: SecAggCrypto;
  private readonly directory: KeyDirectory | undefined;
  private readonly signingSecret: Uint8Array;
  private verifyingKey: Promise<Uint8Array> | undefined;
  private readonly digest: Uint8Array;
  private readonly salt: Uint8Array;
  private readonly minContributors: number;
  private state: ClientPhase = 'advertise';
  private busy = false;
  private cSecret: Uint8Array = new Uint8Array(0);
  private sSecret: Uint8Array = new Uint8Array(0);
  private selfSecret: Uint8Array = new Uint8Array(0);
  private adDigest: Uint8Array = new Uint8Array(0);
  private seed: Uint8Array = new Uint8Array(0);
  /** U1 as this client saw it: holders of its shares (itself included), sorted */
  private holders: number[] = [];
  /** verified signing keys of the holders */
  private vks = new Map<number, Uint8Array>();
  private channel = new Map<number, Uint8Array>();
  private pairKey = new Map<number, Uint8Array>();
  private ownShares: HeldShares | undefined;
  /** the shares received in MaskedInputCollection, opened: U2 ∩ N(u) -> [b_v]_u and [s_v^SK]_u */
  private inbox = new Map<number, HeldShares>();
  /** committed at ConsistencyCheck: survivors and dropped among this client's holders */
  private survivors = new Set<number>();
  private dropped = new Set<number>();
  private signedU3: Uint8Array = new Uint8Array(0);

  constructor(config: SecAggRoundConfig, id: number, options: SecAggClientOptions = {}) {
    this.config = makeRoundConfig(config);
    this.id = checkInteger('id', id, { ge: 1, le: this.config.cohortSize });
    checkObject('options', options);
    this.rng = requireSecureRng(options.rng ?? cryptoRng(), options.allowInsecureRng);
    if (options.crypto !== undefined && !isSecAggCrypto(options.crypto)) throw invalid('crypto', 'a SecAggCrypto provider', options.crypto);
    this.crypto = options.crypto ?? webCryptoProvider();
    if (options.directory !== undefined && !isKeyDirectory(options.directory)) throw invalid('directory', 'a KeyDirectory (verify(identity, publicKey))', options.directory);
    const hbc = options.honestButCurious === undefined ? false : checkBoolean('honestButCurious', options.honestButCurious);
    if (this.config.threatModel === 'key_directory') {
      if (options.directory === undefined) throw invalid('directory', 'a KeyDirectory: the round config is "key_directory"', options.directory);
      this.directory = options.directory;
    } else {
      if (options.directory !== undefined) {
        throw new PinholeError('protocol_violation', 'threatModel', 'the round config is "honest_but_curious" but this client has a key directory: downgrade refused');
      }
      if (!hbc) throw invalid('honestButCurious', 'true to take part in an "honest_but_curious" round (no key directory: a deviating server can read the input)', options.honestButCurious);
      this.directory = undefined;
    }
    if (options.signingKey === undefined) {
      if (this.directory !== undefined) throw invalid('signingKey', "the device's 32-byte Ed25519 secret key (required with a directory)", options.signingKey);
      this.signingSecret = this.rng.bytes(32);
    } else this.signingSecret = Uint8Array.from(checkUint8Array('secretKey', options.signingKey, 32));
    if (options.identity === undefined && this.directory !== undefined) throw invalid('identity', 'the identity the directory knows this device under', options.identity);
    const identity = options.identity ?? `slot-${this.id}`;
    if (typeof identity !== 'string' || !IDENTITY_PATTERN.test(identity)) throw invalid('identity', 'an identity of 1-128 characters [A-Za-z0-9._:@-]', identity);
    this.identity = identity;
    const m = options.minimums === undefined ? {} : checkObject('minimums', options.minimums);
    const a = this.config.assumptions;
    const floors: SecAggAssumptions = {
      dropoutRate: Math.max(a.dropoutRate, checkNumber('minimums.dropoutRate', m.dropoutRate === undefined ? 0 : m.dropoutRate, { ge: 0, lt: 1 })),
      corruptFraction: Math.max(a.corruptFraction, checkNumber('minimums.corruptFraction', m.corruptFraction === undefined ? 0 : m.corruptFraction, { ge: 0, lt: 1 })),
      securityBits: Math.max(a.securityBits, checkNumber('minimums.securityBits', m.securityBits === undefined ? 0 : m.securityBits, { ge: 0, le: 1000 })),
    };
    const weak = checkFloors(this.config, floors);
    if (weak !== null) throw new PinholeError('protocol_violation', weak.param, `refused: ${weak.message}`);
    this.minContributors = Math.max(this.config.minContributors, checkInteger('minimums.contributors', m.contributors === undefined ? 0 : m.contributors, { ge: 0, le: this.config.cohortSize }));
    this.digest = configDigest(this.config);
    this.salt = roundSalt(this.config.roundId);
  }

  get phase(): ClientPhase {
    return this.state;
  }

  /** This device's signing public key (what the directory must vouch for), derived by the crypto provider. */
  async signingPublicKey(): Promise<Uint8Array> {
    return Uint8Array.from(await this.publicSigningKey());
  }

  private publicSigningKey(): Promise<Uint8Array> {
    return (this.verifyingKey ??= this.crypto.signingPublicKey(this.signingSecret));
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

  /** AdvertiseKeys: fresh X25519 key pairs (c, s) and the self-mask seed b_u, signed with the long-term key. */
  advertiseKeys(): Promise<Uint8Array> {
    return this.step('advertise', 'advertiseKeys', async () => {
      const c = this.rng.bytes(KEY_BYTES);
      const s = this.rng.bytes(KEY_BYTES);
      const b = this.rng.bytes(32);
      const [cp] = await this.crypto.x25519(c, [X25519_BASE_POINT]);
      const [sp] = await this.crypto.x25519(s, [X25519_BASE_POINT]);
      const ad: Advertisement = {
        id: this.id,
        identity: this.identity,
        vk: await this.publicSigningKey(),
        cPk: cp as Uint8Array,
        sPk: sp as Uint8Array,
        commitment: selfMaskCommitment(this.digest, this.id, b),
      };
      const transcript = advertisementTranscript(this.digest, ad);
      const sig = await this.crypto.sign(this.signingSecret, transcript);
      this.cSecret = c;
      this.sSecret = s;
      this.selfSecret = b;
      this.adDigest = sha256Bytes(transcript);
      this.state = 'share';
      return seal(MSG.advertise, { round: this.config.roundId, id: this.id, identity: ad.identity, vk: ad.vk, cPk: ad.cPk, sPk: ad.sPk, commitment: ad.commitment, sig });
    });
  }

  /**
   * ShareKeys: takes the round's roster (every advertiser and the digest of its advertisement,
   * the same message for every client) and this client's keys message (the signed advertisements
   * of its live neighbours, U1); returns encrypted shares of b_u and s_u^SK.
   */
  shareKeys(rosterMessage: Uint8Array, keysMessage: Uint8Array): Promise<Uint8Array> {
    return this.step('share', 'shareKeys', async () => {
      const { roundId, threshold: t } = this.config;
      const { seed, ids, vks, cPks, sPks, self } = await checkHolderKeys(this.config, this.id, this.digest, this.adDigest, this.crypto, this.directory, rosterMessage, keysMessage);
      const holders = Array.from(ids);
      const others = holders.filter((v) => v !== this.id);
      const otherIdx = others.map((v) => holders.indexOf(v));
      let cAgreed: Uint8Array[];
      let sAgreed: Uint8Array[];
      try {
        cAgreed = await this.crypto.x25519(
          this.cSecret,
          otherIdx.map((i) => cPks.slice(32 * i, 32 * i + 32)),
        );
        sAgreed = await this.crypto.x25519(
          this.sSecret,
          otherIdx.map((i) => sPks.slice(32 * i, 32 * i + 32)),
        );
      } catch (err) {
        throw violation('ids', 'a listed public key gives no valid X25519 agreement', err);
      }
      const bShares = shamirSplit(this.selfSecret, holders, t, this.rng);
      const sShares = shamirSplit(this.sSecret, holders, t, this.rng);
      const to = new Uint32Array(others);
      const ct = new Uint8Array(others.length * SHARE_CIPHERTEXT_BYTES);
      const channel = new Map<number, Uint8Array>();
      const pairKey = new Map<number, Uint8Array>();
      const vkOf = new Map<number, Uint8Array>();
      // One batch per step, as x25519 above: a WebCrypto provider runs the calls concurrently.
      const cKeys = await Promise.all(others.map((v, j) => channelKey(this.crypto, this.salt, cAgreed[j] as Uint8Array, this.id, v)));
      const pKeys = await Promise.all(others.map((v, j) => pairMaskKey(this.crypto, this.salt, sAgreed[j] as Uint8Array, this.id, v)));
      const sealed = await Promise.all(
        others.map((v, j) => {
          const i = otherIdx[j] as number;
          return sealShares(this.crypto, this.salt, cKeys[j] as Uint8Array, this.id, v, bShares[i] as Uint32Array, sShares[i] as Uint32Array);
        }),
      );
      for (let j = 0; j < others.length; j++) {
        const v = others[j] as number;
        const i = otherIdx[j] as number;
        channel.set(v, cKeys[j] as Uint8Array);
        pairKey.set(v, pKeys[j] as Uint8Array);
        vkOf.set(v, vks.slice(32 * i, 32 * i + 32));
        ct.set(sealed[j] as Uint8Array, j * SHARE_CIPHERTEXT_BYTES);
      }
      vkOf.set(this.id, await this.publicSigningKey());
      this.seed = seed;
      this.holders = holders;
      this.vks = vkOf;
      this.channel = channel;
      this.pairKey = pairKey;
      this.ownShares = { b: bShares[self] as Uint32Array, s: sShares[self] as Uint32Array };
      this.state = 'masked';
      return seal(MSG.shares, { round: roundId, id: this.id, to, ct });
    });
  }

  /**
   * MaskedInputCollection: takes the shares addressed to this client (their senders are U2 ∩ N(u))
   * and the input, integers in [0, 2^bits), returns the masked vector. Every share ciphertext is
   * opened here, not at Unmasking: a tampered one is refused while the client can still take the
   * genuine message, instead of leaving it unable ever to unmask.
   */
  maskInput(inboxMessage: Uint8Array, input: Uint32Array | readonly number[]): Promise<Uint8Array> {
    return this.step('masked', 'maskInput', async () => {
      const { roundId, cohortSize: n, threshold: t, bits, vectorLength } = this.config;
      const x = this.checkInput(input);
      const p = openServerMessage(inboxMessage, MSG.inbox, roundId, 'masked');
      checkRecipient(p, n, this.id);
      const from = readIds(p, 'from', n);
      const ct = readBytes(p, 'ct', from.length * SHARE_CIPHERTEXT_BYTES);
      for (let i = 0; i < from.length; i++) {
        const v = from[i] as number;
        if (!this.channel.has(v)) throw violation(`from[${i}]`, `"from" lists ${v}, which was not among the share holders of ${this.id}`);
      }
      if (from.length + 1 < t) throw violation('from', `only ${from.length + 1} share holders of ${this.id} remain, below the threshold ${t}: the round cannot continue`);
      const y = new Uint32Array(vectorLength);
      y.set(x);
      const keys = [await selfMaskKey(this.crypto, this.salt, this.selfSecret, this.id)];
      const signs = [1];
      const inbox = await openShares(this.crypto, this.salt, this.channel, this.id, from, ct);
      for (const v of from) {
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

  /**
   * ConsistencyCheck: takes the survivor set U3 of the whole round (a bitmap, the same message for
   * every client), checks it against what this client saw, commits to it and signs it.
   */
  consistencyCheck(survivorsMessage: Uint8Array): Promise<Uint8Array> {
    return this.step('consistency', 'consistencyCheck', async () => {
      const { roundId, cohortSize: n, threshold: t } = this.config;
      const p = openServerMessage(survivorsMessage, MSG.survivors, roundId, 'consistency');
      const u3 = readBitmap(p, 'survivors', n);
      if (!bitmapHas(u3, this.id)) throw violation('survivors', `"survivors" must list this client (${this.id}), whose masked input was sent`);
      const set = new Set<number>();
      for (const v of this.holders) {
        if (!bitmapHas(u3, v)) continue;
        if (v !== this.id && !this.inbox.has(v)) throw violation('survivors', `"survivors" lists ${v}, a holder that sent this client no share`);
        set.add(v);
      }
      if (set.size < t) throw violation('survivors', `only ${set.size} of the share holders of ${this.id} survive, below the threshold ${t}: the round cannot continue`);
      const total = bitmapCount(u3);
      if (total < this.minContributors) {
        throw violation('survivors', `only ${total} contributors survive, below the minimum ${this.minContributors}: this client does not help unmask so small a sum`);
      }
      const message = consistencyTranscript(this.digest, this.seed, u3);
      const sig = await this.crypto.sign(this.signingSecret, message);
      const dropped = new Set<number>();
      for (const v of this.inbox.keys()) if (!set.has(v)) dropped.add(v);
      this.survivors = set;
      this.dropped = dropped;
      this.signedU3 = message;
      this.state = 'unmask';
      return seal(MSG.ack, { round: roundId, id: this.id, sig });
    });
  }

  /**
   * Unmasking: takes the consistency signatures of this client's holders; with at least t listed
   * and every one valid over the same U3 it committed to, reveals the share of b_v for each
   * surviving holder and of s_v^SK for each dropped one, exactly as committed. Anything else is refused.
   */
  unmask(requestMessage: Uint8Array): Promise<Uint8Array> {
    return this.step('unmask', 'unmask', async () => {
      const { roundId, cohortSize: n, threshold: t } = this.config;
      const p = openServerMessage(requestMessage, MSG.unmaskRequest, roundId, 'unmask');
      checkRecipient(p, n, this.id);
      const signers = readIds(p, 'signers', n);
      const sigs = readBytes(p, 'sigs', signers.length * SIGNATURE_BYTES);
      for (let i = 0; i < signers.length; i++) {
        const v = signers[i] as number;
        if (!this.survivors.has(v)) throw violation(`signers[${i}]`, `"signers" lists ${v}, which is not a share holder of ${this.id} in the survivor set it signed`);
      }
      if (signers.length < t) throw violation('signers', `only ${signers.length} share holders of ${this.id} signed the survivor set, below the threshold ${t}`);
      // every listed signature, not only the t the check needs: an honest server forwards only
      // signatures it verified, so a bad one anywhere in the list means it deviates (secagg.proof.md)
      const valid = await this.crypto.verify(
        Array.from(signers, (v) => this.vks.get(v) as Uint8Array),
        [this.signedU3],
        Array.from(signers, (_, i) => sigs.subarray(64 * i, 64 * i + 64)),
      );
      const bad = valid.indexOf(false);
      if (bad >= 0) {
        throw verifyFailed(`sigs[${bad}]`, `the consistency signature of ${signers[bad]} is not over the survivor set ${this.id} signed: the server showed different survivor sets, refused`);
      }
      const selfMaskOf = Uint32Array.from([...this.survivors].sort((a, b) => a - b));
      const keyOf = Uint32Array.from([...this.dropped].sort((a, b) => a - b));
      const bOut = new Uint32Array(selfMaskOf.length * SHARE_CHUNKS);
      const sOut = new Uint32Array(keyOf.length * SHARE_CHUNKS);
      const fill = (out: Uint32Array, ids: Uint32Array, which: 'b' | 's'): void => {
        for (let i = 0; i < ids.length; i++) {
          const v = ids[i] as number;
          const shares = v === this.id ? (this.ownShares as HeldShares) : (this.inbox.get(v) as HeldShares);
          out.set(shares[which], i * SHARE_CHUNKS);
        }
      };
      fill(bOut, selfMaskOf, 'b');
      fill(sOut, keyOf, 's');
      this.state = 'done';
      return seal(MSG.unmask, { round: roundId, id: this.id, selfMaskOf, selfMaskShares: bOut, keyOf, keyShares: sOut });
    });
  }
}
