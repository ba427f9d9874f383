/**
 * The client's side of AdvertiseKeys (Bonawitz et al., CCS 2017, Fig. 4 with the signed
 * advertisements of §6; SecAgg+ neighbourhoods, Bell et al., CCS 2020): before it shares anything,
 * it checks that the roster lists its own advertisement as sent, derives the neighbour graph itself
 * from the hash of every signed advertisement, and checks each listed neighbour: in the graph,
 * distinct keys, no small-order point, listed by the roster, validly signed and, with a key
 * directory, vouched for. A substituted key would let the server read the shares.
 */
import type { SecAggRoundConfig } from './config.js';
import { type SecAggCrypto, isSmallOrderPoint, sha256Bytes, toHex } from './crypto.js';
import { type KeyDirectory, verifyWithDirectory } from './directory.js';
import { Neighbourhoods } from './graph.js';
import { DIGEST_BYTES, KEY_BYTES, MSG, SIGNATURE_BYTES, checkRecipient, openServerMessage, readBytes, readIdentities, readIds, verifyFailed, violation } from './messages.js';
import { advertisementTranscript, graphSeed } from './transcript.js';

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The verified keys of this client's share holders (itself included), at index i for ids[i]. */
export interface HolderKeys {
  readonly seed: Uint8Array;
  readonly ids: Uint32Array;
  readonly vks: Uint8Array;
  readonly cPks: Uint8Array;
  readonly sPks: Uint8Array;
  /** the index of this client in ids */
  readonly self: number;
}

/** Opens the roster and this client's keys message and checks every advertisement in them. */
export async function checkHolderKeys(
  config: SecAggRoundConfig,
  id: number,
  digest: Uint8Array,
  adDigest: Uint8Array,
  crypto: SecAggCrypto,
  directory: KeyDirectory | undefined,
  rosterMessage: Uint8Array,
  keysMessage: Uint8Array,
): Promise<HolderKeys> {
  const { roundId, cohortSize: n, threshold: t } = config;
  const r = openServerMessage(rosterMessage, MSG.roster, roundId, 'share');
  const advertised = readIds(r, 'advertised', n);
  const digests = readBytes(r, 'digests', advertised.length * DIGEST_BYTES);
  const position = new Map<number, number>();
  advertised.forEach((v, i) => position.set(v, i));
  const own = position.get(id);
  if (own === undefined || !equalBytes(digests.subarray(32 * own, 32 * own + 32), adDigest)) {
    throw violation('digests', `the roster does not list this client's (${id}) advertisement as it was sent`);
  }
  const seed = graphSeed(digest, advertised, digests);
  const spec = config.graph;
  const graph = new Neighbourhoods(n, spec.kind === 'complete' ? spec : { kind: 'harary', degree: spec.degree, seed });

  const p = openServerMessage(keysMessage, MSG.keys, roundId, 'share');
  checkRecipient(p, n, id);
  const ids = readIds(p, 'ids', n);
  const m = ids.length;
  const identities = readIdentities(p, 'identities', m);
  const vks = readBytes(p, 'vks', m * KEY_BYTES);
  const cPks = readBytes(p, 'cPks', m * KEY_BYTES);
  const sPks = readBytes(p, 'sPks', m * KEY_BYTES);
  const commitments = readBytes(p, 'commitments', m * DIGEST_BYTES);
  const sigs = readBytes(p, 'sigs', m * SIGNATURE_BYTES);
  const key = (a: Uint8Array, i: number): Uint8Array => a.subarray(32 * i, 32 * i + 32);
  const seen = new Set<string>();
  const names = new Set<string>();
  const transcripts: Uint8Array[] = [];
  let self = -1;
  for (let i = 0; i < m; i++) {
    const v = ids[i] as number;
    if (v === id) self = i;
    else if (!graph.isNeighbour(id, v)) throw violation(`ids[${i}]`, `"ids" lists ${v}, which is not a neighbour of ${id} in the graph derived from the roster`);
    for (const pk of [key(vks, i), key(cPks, i), key(sPks, i)]) {
      const hex = toHex(pk);
      if (seen.has(hex)) throw violation(`ids[${i}]`, `the keys of ${v} repeat a key already listed: every public key in a round must be distinct`);
      seen.add(hex);
    }
    if (isSmallOrderPoint(key(cPks, i)) || isSmallOrderPoint(key(sPks, i))) throw violation(`ids[${i}]`, `a key of ${v} is a small-order point`);
    if (names.has(identities[i] as string)) throw violation(`identities[${i}]`, `identity ${identities[i]} holds two places among the neighbours of ${id}`);
    names.add(identities[i] as string);
    const at = position.get(v);
    const transcript = advertisementTranscript(digest, { id: v, identity: identities[i] as string, vk: key(vks, i), cPk: key(cPks, i), sPk: key(sPks, i), commitment: key(commitments, i) });
    if (at === undefined || !equalBytes(sha256Bytes(transcript), digests.subarray(32 * at, 32 * at + 32))) {
      throw violation(`ids[${i}]`, `the advertisement of ${v} is not the one the roster lists`);
    }
    transcripts.push(transcript);
  }
  if (self < 0) throw violation('ids', `"ids" must list this client (${id}) itself`);
  if (m < t) throw violation('ids', `"ids" lists ${m} share holders, below the threshold ${t}: the round cannot continue`);
  const valid = await crypto.verify(
    Array.from({ length: m }, (_, i) => key(vks, i)),
    transcripts,
    Array.from({ length: m }, (_, i) => sigs.subarray(64 * i, 64 * i + 64)),
  );
  const bad = valid.indexOf(false);
  if (bad >= 0) throw verifyFailed(`sigs[${bad}]`, `the advertisement of ${ids[bad]} does not carry a valid signature by the key it names: refused`);
  if (directory !== undefined) {
    const others = Array.from({ length: m }, (_, i) => i).filter((i) => i !== self);
    const vouched = await verifyWithDirectory(
      directory,
      others.map((i) => ({ identity: identities[i] as string, publicKey: Uint8Array.from(key(vks, i)) })),
    );
    const j = vouched.indexOf(false);
    if (j >= 0) {
      const i = others[j] as number;
      throw verifyFailed(`vks[${i}]`, `the key directory does not vouch for the signing key of ${ids[i]} (identity ${identities[i]}): refused, a substituted key would let the server read the shares`);
    }
  }
  return { seed, ids, vks, cPks, sPks, self };
}
