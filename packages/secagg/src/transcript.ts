/**
 * What the round's signatures and hashes cover, as fixed byte layouts (little-endian integers,
 * length-prefixed strings), so another implementation can recompute them:
 *   advertisement  "pinhole/secagg/v2/advertise" | config digest | id | identity | vk | c^PK | s^PK | commitment
 *   commitment     SHA-256("pinhole/secagg/v2/commit" | config digest | id | b_u)   (b_u is 256 random bits: hiding)
 *   graph seed     SHA-256("pinhole/secagg/v2/graph" | config digest | for each advertiser, by id: id | SHA-256(advertisement))
 *   consistency    "pinhole/secagg/v2/consistency" | config digest | graph seed | bitmap of U3
 * Every piece carries the config digest, so no signature of one round or configuration is valid
 * in another (Bonawitz et al., CCS 2017, §6 active model: SIG over the keys, then over U3).
 */
import { sha256Bytes } from './crypto.js';

const encoder = new TextEncoder();
const tag = (name: string): Uint8Array => encoder.encode(`pinhole/secagg/v2/${name}\u0000`);
const ADVERTISE = tag('advertise');
const COMMIT = tag('commit');
const GRAPH = tag('graph');
const CONSISTENCY = tag('consistency');

export interface Advertisement {
  readonly id: number;
  readonly identity: string;
  /** Ed25519 public key (the device's long-term signing key) */
  readonly vk: Uint8Array;
  readonly cPk: Uint8Array;
  readonly sPk: Uint8Array;
  readonly commitment: Uint8Array;
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function u32(v: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, v, true);
  return out;
}

function u16(v: number): Uint8Array {
  const out = new Uint8Array(2);
  new DataView(out.buffer).setUint16(0, v, true);
  return out;
}

/** The bytes a client signs in AdvertiseKeys. */
export function advertisementTranscript(config: Uint8Array, ad: Advertisement): Uint8Array {
  const identity = encoder.encode(ad.identity);
  return concat([ADVERTISE, config, u32(ad.id), u16(identity.length), identity, ad.vk, ad.cPk, ad.sPk, ad.commitment]);
}

export function selfMaskCommitment(config: Uint8Array, id: number, b: Uint8Array): Uint8Array {
  return sha256Bytes(concat([COMMIT, config, u32(id), b]));
}

/** The graph seed from the advertisers (strictly increasing ids) and the digests of their advertisements. */
export function graphSeed(config: Uint8Array, ids: Uint32Array, digests: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [GRAPH, config];
  for (let i = 0; i < ids.length; i++) parts.push(u32(ids[i] as number), digests.subarray(32 * i, 32 * i + 32));
  return sha256Bytes(concat(parts));
}

/** The bytes every client of U4 signs in ConsistencyCheck: one message for the whole round. */
export function consistencyTranscript(config: Uint8Array, seed: Uint8Array, survivors: Uint8Array): Uint8Array {
  return concat([CONSISTENCY, config, seed, survivors]);
}
