/**
 * The share channel between two clients (Bonawitz et al., CCS 2017, Fig. 4, ShareKeys): u's shares
 * [b_u]_v and [s_u^SK]_v go to v through the server sealed with AES-256-GCM under c_uv, the key of
 * their agreement, with the sender and recipient inside the plaintext so the server can neither
 * read, alter nor redirect them. The nonce (sender, recipient) is unique per key: c_uv is fresh per
 * round and each direction seals once.
 */
import type { SecAggCrypto } from './crypto.js';
import { SHARE_CIPHERTEXT_BYTES, SHARE_PLAINTEXT_BYTES, violation } from './messages.js';
import { SHARE_CHUNKS } from './shamir.js';

/** One holder's shares of a client's two secrets: of b (self-mask seed) and of s^SK (mask key). */
export interface HeldShares {
  readonly b: Uint32Array;
  readonly s: Uint32Array;
}

function nonce(from: number, to: number): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  view.setUint32(0, from, true);
  view.setUint32(4, to, true);
  return out;
}

/** Seals the shares `from` sends `to` under their channel key. */
export function sealShares(crypto: SecAggCrypto, salt: Uint8Array, key: Uint8Array, from: number, to: number, b: Uint32Array, s: Uint32Array): Promise<Uint8Array> {
  const plain = new Uint8Array(SHARE_PLAINTEXT_BYTES);
  const plainView = new DataView(plain.buffer);
  plainView.setUint32(0, from, true);
  plainView.setUint32(4, to, true);
  for (let c = 0; c < SHARE_CHUNKS; c++) {
    plainView.setUint32(8 + 4 * c, b[c] as number, true);
    plainView.setUint32(8 + 4 * SHARE_CHUNKS + 4 * c, s[c] as number, true);
  }
  return crypto.gcmSeal(key, nonce(from, to), plain, salt);
}

/**
 * Opens the ciphertexts `to` received from each of `from` (concatenated in `ct`) with the channel
 * keys; refuses (protocol_violation) one that does not decrypt or names another sender or recipient.
 */
export async function openShares(crypto: SecAggCrypto, salt: Uint8Array, channel: ReadonlyMap<number, Uint8Array>, to: number, from: Uint32Array, ct: Uint8Array): Promise<Map<number, HeldShares>> {
  const inbox = new Map<number, HeldShares>();
  const opened = await Promise.all(
    Array.from(from, (v, i) => crypto.gcmOpen(channel.get(v) as Uint8Array, nonce(v, to), ct.subarray(i * SHARE_CIPHERTEXT_BYTES, (i + 1) * SHARE_CIPHERTEXT_BYTES), salt)),
  );
  for (let i = 0; i < from.length; i++) {
    const v = from[i] as number;
    const plain = opened[i] as Uint8Array | null;
    if (plain === null) throw violation('ct', `the share ciphertext from ${v} does not decrypt: it was tampered with`);
    const view = new DataView(plain.buffer, plain.byteOffset, plain.byteLength);
    if (view.getUint32(0, true) !== v || view.getUint32(4, true) !== to) throw violation('ct', `the share ciphertext from ${v} names another sender or recipient`);
    const word = (c: number): number => view.getUint32(8 + 4 * c, true);
    inbox.set(v, { b: Uint32Array.from({ length: SHARE_CHUNKS }, (_, c) => word(c)), s: Uint32Array.from({ length: SHARE_CHUNKS }, (_, c) => word(SHARE_CHUNKS + c)) });
  }
  return inbox;
}
