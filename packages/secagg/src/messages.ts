/**
 * The wire messages of one round, as core envelopes (`encodeEnvelope`), and their strict
 * decoding. Lists of peers travel as parallel typed arrays (ids, then fixed-size records) to keep
 * messages compact. Anything that does not parse, belongs to another round or names ids outside
 * the cohort is a `protocol_violation`; the receiving state machine is left untouched.
 */
import { PinholeError } from '@pinhole/core';
import { type WireValue, decodeEnvelope, encodeEnvelope } from '@pinhole/core/wire';
import { describeValue } from '@pinhole/core/validate';
import { SHARE_CHUNKS, SHAMIR_PRIME } from './shamir.js';

export const MSG = {
  advertise: 'secagg/advertise',
  roster: 'secagg/roster',
  keys: 'secagg/keys',
  shares: 'secagg/shares',
  inbox: 'secagg/inbox',
  masked: 'secagg/masked',
  survivors: 'secagg/survivors',
  ack: 'secagg/ack',
  unmaskRequest: 'secagg/unmask-request',
  unmask: 'secagg/unmask',
} as const;
export type MessageType = (typeof MSG)[keyof typeof MSG];
const CLIENT_TYPES: readonly string[] = [MSG.advertise, MSG.shares, MSG.masked, MSG.ack, MSG.unmask];
const SERVER_TYPES: readonly string[] = [MSG.roster, MSG.keys, MSG.inbox, MSG.survivors, MSG.unmaskRequest];

export const KEY_BYTES = 32;
export const SIGNATURE_BYTES = 64;
export const DIGEST_BYTES = 32;
/** Directory identities: short printable names, the same rule on client, server and directory. */
export const IDENTITY_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
/** from (4) | to (4) | share of b_u | share of s_u^SK, each SHARE_CHUNKS 32-bit words */
export const SHARE_PLAINTEXT_BYTES = 8 + 2 * 4 * SHARE_CHUNKS;
export const SHARE_CIPHERTEXT_BYTES = SHARE_PLAINTEXT_BYTES + 16;

export function violation(param: string, message: string, cause?: unknown): PinholeError {
  return new PinholeError('protocol_violation', param, message, cause === undefined ? undefined : { cause });
}

export type Payload = Record<string, WireValue>;

export function seal(type: MessageType, payload: Payload): Uint8Array {
  return encodeEnvelope(type, payload);
}

/** Decodes any client→server message of this round. */
export function openClientMessage(bytes: unknown, roundId: string): { type: MessageType; payload: Payload } {
  return open(bytes, CLIENT_TYPES, roundId);
}

/** Decodes a server→client message of this round that must have type `expected`. */
export function openServerMessage(bytes: unknown, expected: MessageType, roundId: string, phase: string): Payload {
  const { type, payload } = open(bytes, SERVER_TYPES, roundId);
  if (type !== expected) throw violation('message', `expected a "${expected}" message in phase ${phase}, got "${type}"`);
  return payload;
}

function open(bytes: unknown, types: readonly string[], roundId: string): { type: MessageType; payload: Payload } {
  if (!(bytes instanceof Uint8Array)) throw violation('bytes', `"bytes" expected a Uint8Array, got ${describeValue(bytes)}`);
  let decoded;
  try {
    decoded = decodeEnvelope(bytes, { type: types });
  } catch (err) {
    throw violation('bytes', `"bytes" is not a well-formed secagg message: ${(err as Error).message}`, err);
  }
  const p = decoded.payload;
  if (typeof p !== 'object' || p === null || Array.isArray(p) || ArrayBuffer.isView(p)) throw violation('payload', `"payload" expected an object, got ${describeValue(p)}`);
  const payload = p as Payload;
  if (payload.round !== roundId) throw violation('round', `"round" expected ${JSON.stringify(roundId)} (this round), got ${describeValue(payload.round)}: replayed or misrouted`);
  return { type: decoded.type as MessageType, payload };
}

export function readId(p: Payload, name: string, n: number): number {
  const v = p[name];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > n) throw violation(name, `"${name}" expected a participant id in [1, ${n}], got ${describeValue(v)}`);
  return v;
}

/** Refuses a server message whose "to" is not client `id`: misrouted, or another client's. */
export function checkRecipient(p: Payload, n: number, id: number): void {
  if (readId(p, 'to', n) !== id) throw violation('to', `"to" expected ${id}, got ${describeValue(p.to)}`);
}

/** A strictly increasing list of ids in [1, n] (so no duplicates). */
export function readIds(p: Payload, name: string, n: number): Uint32Array {
  const v = p[name];
  if (!(v instanceof Uint32Array)) throw violation(name, `"${name}" expected a Uint32Array of ids, got ${describeValue(v)}`);
  for (let i = 0; i < v.length; i++) {
    const id = v[i] as number;
    if (id < 1 || id > n || (i > 0 && id <= (v[i - 1] as number))) {
      throw violation(`${name}[${i}]`, `"${name}" expected strictly increasing ids in [1, ${n}], got ${id} at index ${i}`);
    }
  }
  return v;
}

export function verifyFailed(param: string, message: string, cause?: unknown): PinholeError {
  return new PinholeError('verify_failed', param, message, cause === undefined ? undefined : { cause });
}

/** `count` directory identities. */
export function readIdentities(p: Payload, name: string, count: number): string[] {
  const v = p[name];
  if (!Array.isArray(v) || v.length !== count) throw violation(name, `"${name}" expected an array of ${count} identities, got ${describeValue(v)}`);
  return v.map((x: unknown, i) => {
    if (typeof x !== 'string' || !IDENTITY_PATTERN.test(x))
      throw violation(`${name}[${i}]`, `"${name}" expected identities of 1-128 characters [A-Za-z0-9._:@-], got ${describeValue(x)} at index ${i}`);
    return x;
  });
}

/** A set of ids in [1, n] as a bitmap of ceil(n/8) bytes, bit (id - 1); padding bits must be 0. */
export function readBitmap(p: Payload, name: string, n: number): Uint8Array {
  const v = readBytes(p, name, Math.ceil(n / 8));
  if (n % 8 !== 0 && (v[v.length - 1] as number) >> (n % 8) !== 0) throw violation(name, `"${name}" sets bits beyond id ${n}`);
  return v;
}

export function bitmapHas(bitmap: Uint8Array, id: number): boolean {
  return (((bitmap[(id - 1) >> 3] as number) >> ((id - 1) & 7)) & 1) === 1;
}

export function bitmapOf(ids: Iterable<number>, n: number): Uint8Array {
  const out = new Uint8Array(Math.ceil(n / 8));
  for (const id of ids) out[(id - 1) >> 3] = (out[(id - 1) >> 3] as number) | (1 << ((id - 1) & 7));
  return out;
}

export function bitmapCount(bitmap: Uint8Array): number {
  let c = 0;
  for (const b of bitmap) {
    let x = b;
    while (x) {
      x &= x - 1;
      c++;
    }
  }
  return c;
}

export function readBytes(p: Payload, name: string, length: number): Uint8Array {
  const v = p[name];
  if (!(v instanceof Uint8Array) || v.length !== length) throw violation(name, `"${name}" expected a Uint8Array of length ${length}, got ${describeValue(v)}`);
  return v;
}

/** length words each < 2^bits */
export function readVector(p: Payload, name: string, length: number, bits: number): Uint32Array {
  const v = p[name];
  if (!(v instanceof Uint32Array) || v.length !== length) throw violation(name, `"${name}" expected a Uint32Array of length ${length}, got ${describeValue(v)}`);
  if (bits < 32) {
    const limit = 2 ** bits;
    for (let i = 0; i < v.length; i++) if ((v[i] as number) >= limit) throw violation(`${name}[${i}]`, `"${name}" expected entries < 2^${bits}, got ${v[i]} at index ${i}`);
  }
  return v;
}

/** count shares of SHARE_CHUNKS field elements, concatenated */
export function readShares(p: Payload, name: string, count: number): Uint32Array {
  const v = p[name];
  if (!(v instanceof Uint32Array) || v.length !== count * SHARE_CHUNKS) {
    throw violation(name, `"${name}" expected a Uint32Array of ${count} x ${SHARE_CHUNKS} field elements, got ${describeValue(v)}`);
  }
  for (let i = 0; i < v.length; i++) if ((v[i] as number) >= SHAMIR_PRIME) throw violation(`${name}[${i}]`, `"${name}" expected field elements < ${SHAMIR_PRIME}, got ${v[i]}`);
  return v;
}
