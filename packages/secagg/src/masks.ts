/**
 * Key derivation and mask expansion (Bonawitz et al., CCS 2017, §4 "double masking"). Every key
 * is HKDF-SHA256 of a 256-bit secret, salted with the hash of the round id and labelled with its
 * purpose and the ids involved, so no key or mask repeats across rounds, pairs or purposes. A mask
 * is the AES-256-CTR keystream of its key read as little-endian 32-bit words; arithmetic is mod
 * 2^32, which reduces to the round's 2^b because 2^b divides 2^32.
 */
import { type SecAggCrypto, sha256Bytes } from './crypto.js';

const encoder = new TextEncoder();
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Keystreams expanded per batch: bounds memory at 64 masks in flight. */
const BATCH = 64;

export function roundSalt(roundId: string): Uint8Array {
  return sha256Bytes(encoder.encode(`pinhole/secagg/v1\u0000${roundId}`));
}

function label(purpose: string, a: number, b: number): Uint8Array {
  const p = encoder.encode(purpose);
  const out = new Uint8Array(p.length + 8);
  out.set(p);
  const view = new DataView(out.buffer);
  view.setUint32(p.length, a, true);
  view.setUint32(p.length + 4, b, true);
  return out;
}

/** The AES-GCM key of the channel between u and v (symmetric in u, v). */
export function channelKey(crypto: SecAggCrypto, salt: Uint8Array, agreed: Uint8Array, u: number, v: number): Promise<Uint8Array> {
  return crypto.hkdf32(agreed, salt, label('channel', Math.min(u, v), Math.max(u, v)));
}

/** The seed of the pairwise mask between u and v (symmetric in u, v). */
export function pairMaskKey(crypto: SecAggCrypto, salt: Uint8Array, agreed: Uint8Array, u: number, v: number): Promise<Uint8Array> {
  return crypto.hkdf32(agreed, salt, label('pair-mask', Math.min(u, v), Math.max(u, v)));
}

/** The seed of u's self mask from its secret b_u. */
export function selfMaskKey(crypto: SecAggCrypto, salt: Uint8Array, b: Uint8Array, u: number): Promise<Uint8Array> {
  return crypto.hkdf32(b, salt, label('self-mask', u, 0));
}

function words(bytes: Uint8Array, length: number): Uint32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : Uint8Array.from(bytes);
  const w = new Uint32Array(aligned.buffer, aligned.byteOffset, length);
  if (LITTLE_ENDIAN) return w;
  const copy = new Uint32Array(length);
  const view = new DataView(aligned.buffer, aligned.byteOffset, length * 4);
  for (let i = 0; i < length; i++) copy[i] = view.getUint32(4 * i, true);
  return copy;
}

/**
 * acc += sign_i * mask(key_i) (mod 2^32) for every key, expanded in batches. Uint32Array stores
 * wrap modulo 2^32, so the subtraction needs no explicit reduction.
 */
export async function addMasks(crypto: SecAggCrypto, acc: Uint32Array, keys: readonly Uint8Array[], signs: readonly number[]): Promise<void> {
  const n = acc.length;
  for (let start = 0; start < keys.length; start += BATCH) {
    const batch = keys.slice(start, start + BATCH);
    const streams = await crypto.keystreams(batch, 4 * n);
    for (let j = 0; j < streams.length; j++) {
      const w = words(streams[j] as Uint8Array, n);
      if ((signs[start + j] as number) > 0) for (let i = 0; i < n; i++) acc[i] = (acc[i] as number) + (w[i] as number);
      else for (let i = 0; i < n; i++) acc[i] = (acc[i] as number) - (w[i] as number);
    }
  }
}

/** Sign of the pairwise mask in the vector of u for the pair {u, v}: the two signs cancel. */
export function pairSign(u: number, v: number): number {
  return u < v ? 1 : -1;
}

/** Reduces every entry mod 2^bits in place. */
export function reduceBits(acc: Uint32Array, bits: number): Uint32Array {
  if (bits < 32) {
    const m = 2 ** bits - 1;
    for (let i = 0; i < acc.length; i++) acc[i] = (acc[i] as number) & m;
  }
  return acc;
}
