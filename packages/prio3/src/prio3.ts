/**
 * Prio3 (draft-irtf-cfrg-vdaf-20 §7): the client shards an encoded measurement and an FLP proof
 * of its validity among `shares` aggregators; each aggregator queries its shares
 * (`verifyInit`), the verifier shares are combined and the proof decided
 * (`verifierSharesToMessage`), the joint randomness is confirmed (`verifyNext`), and output
 * shares are summed (`aggregate`) and recombined by the collector (`unshard`). One round,
 * XofTurboShake128, one proof. Methods take and return the draft's wire encodings (§7.2.6) so
 * that what travels between parties is exactly what the draft's test vectors pin.
 */
import { PinholeError, cryptoRng, requireSecureRng, type Rng } from '@pinhole/core';
import { checkRng, invalid, isArray } from '@pinhole/core/validate';
import type { Circuit } from './circuits.js';
import type { Field } from './field.js';
import { Flp } from './flp.js';
import { SEED_SIZE, Xof } from './xof.js';

/** VERSION of every domain separation tag: 18 since draft 18, whose wire format draft 20 keeps (§6.2). */
export const VDAF_VERSION = 18;
export const NONCE_SIZE = 16;
export const VERIFY_KEY_SIZE = SEED_SIZE;

const USAGE_MEAS_SHARE = 1;
const USAGE_PROOF_SHARE = 2;
const USAGE_JOINT_RANDOMNESS = 3;
const USAGE_PROVE_RANDOMNESS = 4;
const USAGE_QUERY_RANDOMNESS = 5;
const USAGE_JOINT_RAND_SEED = 6;
const USAGE_JOINT_RAND_PART = 7;

const PROOFS = 1;
const MAX_CTX = 65535 - 8;

/** A vector of field elements: an output share or an aggregate share. */
export class FieldVector {
  constructor(
    readonly field: Field,
    /** Montgomery-form words; treat as opaque */
    readonly data: Uint32Array,
  ) {}

  get length(): number {
    return this.data.length / this.field.words;
  }

  /** The draft's encoding: each element little-endian, `field.encodedSize` bytes. */
  encode(): Uint8Array {
    const out = new Uint8Array(this.length * this.field.encodedSize);
    this.field.encodeInto(out, 0, this.data, 0, this.length);
    return out;
  }

  toBigints(): bigint[] {
    return Array.from({ length: this.length }, (_, i) => this.field.toBigint(this.data, i));
  }
}

export type OutShare = FieldVector;
export type AggShare = FieldVector;

/** What an aggregator keeps between `verifyInit` and `verifyNext`. */
export interface VerifyState {
  readonly aggregatorId: number;
  readonly outShare: OutShare;
  /** the joint randomness seed this aggregator derived (null when the circuit uses none) */
  readonly correctedJointRandSeed: Uint8Array | null;
}

export interface Shards {
  readonly publicShare: Uint8Array;
  /** one per aggregator; index 0 is the leader's */
  readonly inputShares: Uint8Array[];
}

export interface Report extends Shards {
  readonly nonce: Uint8Array;
}

interface InputShare {
  meas: Uint32Array;
  /** the measurement share's encoding, where the joint randomness needs it */
  measEncoded: Uint8Array | null;
  proof: Uint32Array;
  blind: Uint8Array | null;
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= (a[i] as number) ^ (b[i] as number);
  return d === 0;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function checkBytes(param: string, value: unknown, length?: number, code: 'invalid_argument' | 'decode_failed' = 'invalid_argument'): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    if (code === 'decode_failed') throw new PinholeError('decode_failed', param, `"${param}" expected a Uint8Array`);
    throw invalid(param, 'a Uint8Array', value);
  }
  if (length !== undefined && value.length !== length) {
    if (code === 'decode_failed') throw new PinholeError('decode_failed', param, `"${param}" expected ${length} bytes, got ${value.length}`);
    throw invalid(param, `a Uint8Array of ${length} bytes`, value);
  }
  return value;
}

export class Prio3<M, R> {
  readonly field: Field;
  readonly flp: Flp<M, R>;
  readonly randSize: number;
  readonly nonceSize = NONCE_SIZE;
  readonly verifyKeySize = VERIFY_KEY_SIZE;
  private readonly usesJointRand: boolean;
  private dstCtx: Uint8Array = new Uint8Array(0);
  private dsts: Uint8Array[] = [];
  private readonly sharesInvValue: Uint32Array;

  constructor(
    /** the algorithm identifier of the draft's codepoint table */
    readonly id: number,
    readonly name: string,
    readonly shares: number,
    readonly circuit: Circuit<M, R>,
  ) {
    this.field = circuit.field;
    this.flp = new Flp(circuit);
    this.usesJointRand = circuit.jointRandLen > 0;
    this.randSize = (this.usesJointRand ? 2 : 1) * shares * SEED_SIZE;
    this.sharesInvValue = this.field.vec(1);
    this.field.set(this.sharesInvValue, 0, BigInt(shares));
    this.field.inv(this.sharesInvValue, 0, this.sharesInvValue, 0);
  }

  /** format_dst(0, ID, usage) ‖ ctx, kept for the last context seen (deployments use one). */
  private dst(usage: number, ctx: Uint8Array): Uint8Array {
    if (!(this.dsts.length && (ctx === this.dstCtx || bytesEqual(ctx, this.dstCtx)))) {
      this.dstCtx = ctx.slice();
      this.dsts = [];
      for (let u = 0; u <= USAGE_JOINT_RAND_PART; u++) {
        const dst = new Uint8Array(8 + ctx.length);
        dst[0] = VDAF_VERSION;
        dst[1] = 0; // algorithm class: VDAF
        dst[2] = (this.id >>> 24) & 0xff;
        dst[3] = (this.id >>> 16) & 0xff;
        dst[4] = (this.id >>> 8) & 0xff;
        dst[5] = this.id & 0xff;
        dst[6] = u >>> 8;
        dst[7] = u & 0xff;
        dst.set(ctx, 8);
        this.dsts.push(dst);
      }
    }
    return this.dsts[usage] as Uint8Array;
  }

  private checkCtx(ctx: unknown): Uint8Array {
    const c = checkBytes('ctx', ctx);
    if (c.length > MAX_CTX) throw invalid('ctx', `at most ${MAX_CTX} bytes`, ctx);
    return c;
  }

  private helperMeasShare(ctx: Uint8Array, aggId: number, seed: Uint8Array, encoded?: Uint8Array): Uint32Array {
    return Xof.expandIntoVec(this.field, seed, this.dst(USAGE_MEAS_SHARE, ctx), Uint8Array.of(aggId), this.circuit.measLen, encoded);
  }

  private helperProofsShare(ctx: Uint8Array, aggId: number, seed: Uint8Array): Uint32Array {
    return Xof.expandIntoVec(this.field, seed, this.dst(USAGE_PROOF_SHARE, ctx), Uint8Array.of(PROOFS, aggId), this.flp.proofLen * PROOFS);
  }

  private proveRands(ctx: Uint8Array, seed: Uint8Array): Uint32Array {
    return Xof.expandIntoVec(this.field, seed, this.dst(USAGE_PROVE_RANDOMNESS, ctx), Uint8Array.of(PROOFS), this.flp.proveRandLen * PROOFS);
  }

  private queryRands(verifyKey: Uint8Array, ctx: Uint8Array, nonce: Uint8Array): Uint32Array {
    const binder = new Uint8Array(1 + nonce.length);
    binder[0] = PROOFS;
    binder.set(nonce, 1);
    return Xof.expandIntoVec(this.field, verifyKey, this.dst(USAGE_QUERY_RANDOMNESS, ctx), binder, this.flp.queryRandLen * PROOFS);
  }

  /** `binder` is u8(aggId) ‖ nonce ‖ encoded measurement share, already filled but for the head. */
  private jointRandPart(ctx: Uint8Array, aggId: number, blind: Uint8Array, binder: Uint8Array, nonce: Uint8Array): Uint8Array {
    binder[0] = aggId;
    binder.set(nonce, 1);
    return Xof.deriveSeed(blind, this.dst(USAGE_JOINT_RAND_PART, ctx), binder);
  }

  /** A buffer for the joint-randomness binder, with the encoded measurement share at offset 17. */
  private binderBuffer(): Uint8Array {
    return new Uint8Array(1 + NONCE_SIZE + this.circuit.measLen * this.field.encodedSize);
  }

  private jointRandSeed(ctx: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
    return Xof.deriveSeed(new Uint8Array(SEED_SIZE), this.dst(USAGE_JOINT_RAND_SEED, ctx), concat(parts));
  }

  private jointRands(ctx: Uint8Array, seed: Uint8Array): Uint32Array {
    return Xof.expandIntoVec(this.field, seed, this.dst(USAGE_JOINT_RANDOMNESS, ctx), Uint8Array.of(PROOFS), this.flp.jointRandLen * PROOFS);
  }

  /**
   * The client's step: `measurement` → public share and one input share per aggregator.
   * `nonce` (16 bytes) and `rand` (`randSize` bytes) must be fresh and uniformly random; see
   * `makeReport` for the version that draws them.
   */
  shard(ctx: Uint8Array, measurement: M, nonce: Uint8Array, rand: Uint8Array): Shards {
    ctx = this.checkCtx(ctx);
    checkBytes('nonce', nonce, NONCE_SIZE);
    checkBytes('rand', rand, this.randSize);
    const F = this.field;
    const meas = this.circuit.encode(measurement);
    const seeds: Uint8Array[] = [];
    for (let o = 0; o < this.randSize; o += SEED_SIZE) seeds.push(rand.subarray(o, o + SEED_SIZE));
    const h = this.shares - 1;
    const helperShares: Uint8Array[] = [];
    const helperBlinds: Uint8Array[] = [];
    let next = 0;
    for (let j = 0; j < h; j++) {
      helperShares.push(seeds[next++] as Uint8Array);
      if (this.usesJointRand) helperBlinds.push(seeds[next++] as Uint8Array);
    }
    const leaderBlind = this.usesJointRand ? (seeds[next++] as Uint8Array) : null;
    const proveSeed = seeds[next++] as Uint8Array;

    const n = this.circuit.measLen;
    const size = F.encodedSize;
    const leaderMeas = meas.slice();
    const parts: Uint8Array[] = [];
    const binder = leaderBlind ? this.binderBuffer() : undefined;
    for (let j = 0; j < h; j++) {
      const helperMeas = this.helperMeasShare(ctx, j + 1, helperShares[j] as Uint8Array, binder?.subarray(1 + NONCE_SIZE));
      for (let i = 0; i < n; i++) F.sub(leaderMeas, i, leaderMeas, i, helperMeas, i);
      if (binder) parts.push(this.jointRandPart(ctx, j + 1, helperBlinds[j] as Uint8Array, binder, nonce));
    }
    const proofLen = this.flp.proofLen;
    const leader = new Uint8Array((n + proofLen) * size + (leaderBlind ? SEED_SIZE : 0));
    F.encodeInto(leader, 0, leaderMeas, 0, n);
    let jointRand = F.vec(0);
    if (leaderBlind && binder) {
      binder.set(leader.subarray(0, n * size), 1 + NONCE_SIZE);
      parts.unshift(this.jointRandPart(ctx, 0, leaderBlind, binder, nonce));
      jointRand = this.jointRands(ctx, this.jointRandSeed(ctx, parts));
    }
    const proof = this.flp.prove(meas, this.proveRands(ctx, proveSeed), jointRand);
    for (let j = 0; j < h; j++) {
      const helperProof = this.helperProofsShare(ctx, j + 1, helperShares[j] as Uint8Array);
      for (let i = 0; i < proofLen; i++) F.sub(proof, i, proof, i, helperProof, i);
    }

    F.encodeInto(leader, n * size, proof, 0, proofLen);
    if (leaderBlind) leader.set(leaderBlind, (n + proofLen) * size);
    const inputShares: Uint8Array[] = [leader];
    for (let j = 0; j < h; j++) inputShares.push(this.usesJointRand ? concat([helperShares[j] as Uint8Array, helperBlinds[j] as Uint8Array]) : (helperShares[j] as Uint8Array).slice());
    return { publicShare: leaderBlind ? concat(parts) : new Uint8Array(0), inputShares };
  }

  /**
   * `shard` with a fresh nonce and fresh randomness from `rng` (default: the CSPRNG). A seeded
   * generator is refused unless `allowInsecureRng` is set (tests and simulations only).
   */
  makeReport(ctx: Uint8Array, measurement: M, options: { rng?: Rng; allowInsecureRng?: boolean } = {}): Report {
    const rng = options.rng === undefined ? cryptoRng() : requireSecureRng(checkRng('rng', options.rng), options.allowInsecureRng);
    const nonce = rng.bytes(NONCE_SIZE);
    const rand = rng.bytes(this.randSize);
    return { nonce, ...this.shard(ctx, measurement, nonce, rand) };
  }

  private decodeInputShare(ctx: Uint8Array, aggId: number, bytes: Uint8Array): InputShare {
    const F = this.field;
    const n = this.circuit.measLen;
    const proofLen = this.flp.proofLen * PROOFS;
    const blindLen = this.usesJointRand ? SEED_SIZE : 0;
    if (aggId === 0) {
      const expected = (n + proofLen) * F.encodedSize + blindLen;
      checkBytes('inputShare', bytes, expected, 'decode_failed');
      const meas = F.vec(n);
      const proof = F.vec(proofLen);
      if (!F.decodeInto(meas, 0, bytes, 0, n) || !F.decodeInto(proof, 0, bytes, n * F.encodedSize, proofLen)) {
        throw new PinholeError('decode_failed', 'inputShare', 'a field element of the input share is not below the modulus');
      }
      return { meas, measEncoded: bytes.subarray(0, n * F.encodedSize), proof, blind: blindLen ? bytes.slice(expected - blindLen) : null };
    }
    checkBytes('inputShare', bytes, SEED_SIZE + blindLen, 'decode_failed');
    const seed = bytes.subarray(0, SEED_SIZE);
    const measEncoded = blindLen ? new Uint8Array(n * F.encodedSize) : null;
    return {
      meas: this.helperMeasShare(ctx, aggId, seed, measEncoded ?? undefined),
      measEncoded,
      proof: this.helperProofsShare(ctx, aggId, seed),
      blind: blindLen ? bytes.slice(SEED_SIZE) : null,
    };
  }

  private decodePublicShare(bytes: unknown): Uint8Array[] | null {
    const expected = this.usesJointRand ? this.shares * SEED_SIZE : 0;
    const b = checkBytes('publicShare', bytes, expected, 'decode_failed');
    if (!this.usesJointRand) return null;
    const parts: Uint8Array[] = [];
    for (let j = 0; j < this.shares; j++) parts.push(b.slice(j * SEED_SIZE, (j + 1) * SEED_SIZE));
    return parts;
  }

  /**
   * An aggregator's first step on one report: expands and queries its input share. Returns the
   * state to keep and the verifier share to send (encoded). Malformed shares are decode_failed.
   */
  verifyInit(verifyKey: Uint8Array, ctx: Uint8Array, aggregatorId: number, nonce: Uint8Array, publicShare: Uint8Array, inputShare: Uint8Array): { state: VerifyState; verifierShare: Uint8Array } {
    checkBytes('verifyKey', verifyKey, VERIFY_KEY_SIZE);
    ctx = this.checkCtx(ctx);
    if (!Number.isInteger(aggregatorId) || aggregatorId < 0 || aggregatorId >= this.shares) throw invalid('aggregatorId', `an integer >= 0 and < ${this.shares}`, aggregatorId);
    checkBytes('nonce', nonce, NONCE_SIZE);
    const parts = this.decodePublicShare(publicShare);
    const share = this.decodeInputShare(ctx, aggregatorId, inputShare);
    const F = this.field;
    const outShare = new FieldVector(F, this.circuit.truncate(share.meas));

    let jointRand = F.vec(0);
    let corrected: Uint8Array | null = null;
    let part: Uint8Array | null = null;
    if (parts && share.blind && share.measEncoded) {
      const binder = this.binderBuffer();
      binder.set(share.measEncoded, 1 + NONCE_SIZE);
      part = this.jointRandPart(ctx, aggregatorId, share.blind, binder, nonce);
      parts[aggregatorId] = part;
      corrected = this.jointRandSeed(ctx, parts);
      jointRand = this.jointRands(ctx, corrected);
    }
    const queryRand = this.queryRands(verifyKey, ctx, nonce);
    const verifier = this.flp.query(share.meas, share.proof, queryRand, jointRand, this.sharesInvValue);
    const verifierShare = new Uint8Array(this.flp.verifierLen * F.encodedSize + (part ? SEED_SIZE : 0));
    F.encodeInto(verifierShare, 0, verifier, 0, this.flp.verifierLen);
    if (part) verifierShare.set(part, this.flp.verifierLen * F.encodedSize);
    return { state: { aggregatorId, outShare, correctedJointRandSeed: corrected }, verifierShare };
  }

  /**
   * Combines the verifier shares of all aggregators and decides the proof: verify_failed when
   * the report is invalid. Returns the verifier message every aggregator passes to `verifyNext`.
   */
  verifierSharesToMessage(ctx: Uint8Array, verifierShares: readonly Uint8Array[]): Uint8Array {
    ctx = this.checkCtx(ctx);
    if (!isArray(verifierShares) || verifierShares.length !== this.shares) throw invalid('verifierShares', `an array of ${this.shares} verifier shares`, verifierShares);
    const F = this.field;
    const len = this.flp.verifierLen;
    const expected = len * F.encodedSize + (this.usesJointRand ? SEED_SIZE : 0);
    const verifier = F.vec(len);
    const share = F.vec(len);
    const parts: Uint8Array[] = [];
    verifierShares.forEach((bytes, j) => {
      checkBytes(`verifierShares[${j}]`, bytes, expected, 'decode_failed');
      if (!F.decodeInto(share, 0, bytes, 0, len)) throw new PinholeError('decode_failed', `verifierShares[${j}]`, 'a field element of the verifier share is not below the modulus');
      for (let i = 0; i < len; i++) F.add(verifier, i, verifier, i, share, i);
      if (this.usesJointRand) parts.push(bytes.subarray(len * F.encodedSize));
    });
    if (!this.flp.decide(verifier)) throw new PinholeError('verify_failed', 'verifierShares', 'proof verifier check failed: the report is invalid');
    return this.usesJointRand ? this.jointRandSeed(ctx, parts) : new Uint8Array(0);
  }

  /**
   * An aggregator's last step: checks that the joint randomness the aggregators derived is the
   * one the client used (verify_failed otherwise) and returns its output share.
   */
  verifyNext(ctx: Uint8Array, state: VerifyState, verifierMessage: Uint8Array): OutShare {
    this.checkCtx(ctx);
    // a state may come back from storage: every field is checked, not only the output share
    if (
      typeof state !== 'object' ||
      state === null ||
      !(state.outShare instanceof FieldVector) ||
      state.outShare.field !== this.field ||
      state.outShare.length !== this.circuit.outputLen ||
      !Number.isInteger(state.aggregatorId) ||
      state.aggregatorId < 0 ||
      state.aggregatorId >= this.shares ||
      (this.usesJointRand ? !(state.correctedJointRandSeed instanceof Uint8Array) || state.correctedJointRandSeed.length !== SEED_SIZE : state.correctedJointRandSeed !== null)
    ) {
      throw invalid('state', 'a VerifyState from verifyInit of this instance', state);
    }
    const msg = checkBytes('verifierMessage', verifierMessage, this.usesJointRand ? SEED_SIZE : 0, 'decode_failed');
    if (this.usesJointRand && !bytesEqual(msg, state.correctedJointRandSeed as Uint8Array)) {
      throw new PinholeError('verify_failed', 'verifierMessage', 'joint randomness check failed: the client used other joint randomness than the aggregators derived');
    }
    return state.outShare;
  }

  /** An aggregate share of zeros (agg_init). */
  aggInit(): AggShare {
    return new FieldVector(this.field, this.field.vec(this.circuit.outputLen));
  }

  /** Adds an output share into `aggShare` in place (agg_update) and returns it. */
  aggUpdate(aggShare: AggShare, outShare: OutShare): AggShare {
    this.checkVector('aggShare', aggShare);
    this.checkVector('outShare', outShare);
    const F = this.field;
    for (let i = 0; i < this.circuit.outputLen; i++) F.add(aggShare.data, i, aggShare.data, i, outShare.data, i);
    return aggShare;
  }

  /** The sum of output shares. */
  aggregate(outShares: readonly OutShare[]): AggShare {
    if (!isArray(outShares)) throw invalid('outShares', 'an array of output shares', outShares);
    const agg = this.aggInit();
    for (const s of outShares) this.aggUpdate(agg, s);
    return agg;
  }

  /** The sum of aggregate shares of disjoint report sets (merge). */
  merge(aggShares: readonly AggShare[]): AggShare {
    return this.aggregate(aggShares);
  }

  decodeAggShare(bytes: Uint8Array): AggShare {
    return this.decodeVector('aggShare', bytes);
  }

  decodeOutShare(bytes: Uint8Array): OutShare {
    return this.decodeVector('outShare', bytes);
  }

  private decodeVector(param: string, bytes: Uint8Array): FieldVector {
    const F = this.field;
    const n = this.circuit.outputLen;
    checkBytes(param, bytes, n * F.encodedSize, 'decode_failed');
    const data = F.vec(n);
    if (!F.decodeInto(data, 0, bytes, 0, n)) throw new PinholeError('decode_failed', param, `a field element of "${param}" is not below the modulus`);
    return new FieldVector(F, data);
  }

  private checkVector(param: string, v: unknown): asserts v is FieldVector {
    if (!(v instanceof FieldVector) || v.field !== this.field || v.length !== this.circuit.outputLen) {
      throw invalid(param, `a ${this.field.name} vector of length ${this.circuit.outputLen} from this Prio3 instance`, v);
    }
  }

  /** The collector's step: the aggregate result from every aggregator's aggregate share (encoded or decoded). */
  unshard(aggShares: readonly (AggShare | Uint8Array)[], numMeasurements: number): R {
    if (!Array.isArray(aggShares) || aggShares.length !== this.shares) throw invalid('aggShares', `an array of ${this.shares} aggregate shares`, aggShares);
    if (!Number.isSafeInteger(numMeasurements) || numMeasurements < 1) throw invalid('numMeasurements', 'an integer >= 1', numMeasurements);
    const decoded = aggShares.map((s, j) => (s instanceof Uint8Array ? this.decodeVector(`aggShares[${j}]`, s) : (this.checkVector(`aggShares[${j}]`, s), s)));
    return this.circuit.decode(this.merge(decoded).data, numMeasurements);
  }
}

/** A fresh verification key (shared by the aggregators, secret from clients). */
export function generateVerifyKey(rng: Rng = cryptoRng()): Uint8Array {
  return checkRng('rng', rng).bytes(VERIFY_KEY_SIZE);
}
