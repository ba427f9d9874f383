/**
 * What the server sends each client when AdvertiseKeys and ShareKeys close (Bonawitz et al., CCS
 * 2017, Fig. 4): the signed advertisements of its live share holders, then the share ciphertexts
 * its live neighbours addressed to it. The server only forwards: every byte was signed or sealed
 * by a client.
 */
import { DIGEST_BYTES, KEY_BYTES, MSG, SHARE_CIPHERTEXT_BYTES, SIGNATURE_BYTES, seal } from './messages.js';
import { sortedIds } from './holders.js';
import type { Advertisement } from './transcript.js';

/** The keys message of client u: the signed advertisements of `ids`, its live share holders. */
export function keysMessage(roundId: string, u: number, ids: number[], ads: ReadonlyMap<number, { ad: Advertisement; sig: Uint8Array }>): Uint8Array {
  const m = ids.length;
  const vks = new Uint8Array(m * KEY_BYTES);
  const cPks = new Uint8Array(m * KEY_BYTES);
  const sPks = new Uint8Array(m * KEY_BYTES);
  const commitments = new Uint8Array(m * DIGEST_BYTES);
  const sigs = new Uint8Array(m * SIGNATURE_BYTES);
  const identities: string[] = [];
  ids.forEach((v, i) => {
    const { ad, sig } = ads.get(v) as { ad: Advertisement; sig: Uint8Array };
    identities.push(ad.identity);
    vks.set(ad.vk, i * KEY_BYTES);
    cPks.set(ad.cPk, i * KEY_BYTES);
    sPks.set(ad.sPk, i * KEY_BYTES);
    commitments.set(ad.commitment, i * DIGEST_BYTES);
    sigs.set(sig, i * SIGNATURE_BYTES);
  });
  return seal(MSG.keys, { round: roundId, to: u, ids: new Uint32Array(ids), identities, vks, cPks, sPks, commitments, sigs });
}

/** Per client of U2, the inbox message: the ciphertexts its neighbours in U2 sent it, in sender order. */
export function inboxMessages(roundId: string, u2: ReadonlySet<number>, shares: ReadonlyMap<number, { to: Uint32Array; ct: Uint8Array }>): Map<number, Uint8Array> {
  const from = new Map<number, number[]>();
  const cts = new Map<number, Uint8Array[]>();
  for (const u of u2) {
    from.set(u, []);
    cts.set(u, []);
  }
  for (const v of sortedIds(u2)) {
    const { to, ct } = shares.get(v) as { to: Uint32Array; ct: Uint8Array };
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
    out.set(u, seal(MSG.inbox, { round: roundId, to: u, from: new Uint32Array(from.get(u) as number[]), ct }));
  }
  return out;
}
