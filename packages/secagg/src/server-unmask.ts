/**
 * The server's last step of a round (Bonawitz et al., CCS 2017, Fig. 4, Unmasking): from the first
 * `threshold` shares of each secret, in responder order, it rebuilds b_u of every survivor (checked
 * against its signed commitment) and s_u^SK of every dropped client (checked against its advertised
 * key), then removes the survivors' self masks and the masks the dropped clients shared with them.
 */
import { type SecAggCrypto, X25519_BASE_POINT, toHex } from './crypto.js';
import type { Neighbourhoods } from './graph.js';
import { sortedIds } from './holders.js';
import { addMasks, pairMaskKey, pairSign, selfMaskKey } from './masks.js';
import { SHARE_CHUNKS, lagrangeAtZero, shamirCombine } from './shamir.js';
import { type Advertisement, selfMaskCommitment } from './transcript.js';

export interface UnmaskRequest {
  readonly selfMaskOf: number[];
  readonly keyOf: number[];
}

export interface UnmaskResponse {
  readonly selfMaskShares: Uint32Array;
  readonly keyShares: Uint32Array;
}

export interface Unmasking {
  readonly crypto: SecAggCrypto;
  readonly salt: Uint8Array;
  readonly digest: Uint8Array;
  readonly threshold: number;
  readonly graph: Neighbourhoods;
  /** the clients that shared keys, and those among them whose masked input is in `masked` */
  readonly u2: ReadonlySet<number>;
  readonly u3: ReadonlySet<number>;
  readonly ads: ReadonlyMap<number, { ad: Advertisement }>;
  /** per responder: what it was asked for, and what it sent */
  readonly requests: ReadonlyMap<number, UnmaskRequest>;
  readonly responses: ReadonlyMap<number, UnmaskResponse>;
  /** the sum of the masked inputs of U3 */
  readonly masked: Uint32Array;
}

/** Why a reconstruction was refused; the caller aborts the round with it. */
export type UnmaskAbort = (reason: string, code: 'verify_failed', param: string) => never;

/** The sum of U3's inputs with every mask removed (mod 2^32; the caller reduces to the round's bits). */
export async function unmaskSum(r: Unmasking, abort: UnmaskAbort): Promise<Uint32Array> {
  const { crypto, salt, threshold: t, graph, u2, u3, ads } = r;
  // The first t shares of each secret, in responder order.
  const xs = new Map<number, number[]>();
  const buf = new Map<number, Uint32Array>();
  for (const u of u2) {
    xs.set(u, []);
    buf.set(u, new Uint32Array(t * SHARE_CHUNKS));
  }
  for (const v of sortedIds(r.responses.keys())) {
    const want = r.requests.get(v) as UnmaskRequest;
    const got = r.responses.get(v) as UnmaskResponse;
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
  const selfKeys: Promise<Uint8Array>[] = [];
  for (const u of sortedIds(u3)) {
    const b = secret(u);
    const { ad } = ads.get(u) as { ad: Advertisement };
    if (toHex(selfMaskCommitment(r.digest, u, b)) !== toHex(ad.commitment)) {
      abort(
        `the self-mask seed of client ${u} rebuilt from the shares of ${(xs.get(u) as number[]).join(', ')} does not match its signed commitment: a corrupt share, no sum released`,
        'verify_failed',
        'selfMaskShares',
      );
    }
    selfKeys.push(selfMaskKey(crypto, salt, b, u));
  }
  const keys = await Promise.all(selfKeys);
  const signs = keys.map(() => -1);
  for (const u of sortedIds(u2)) {
    if (u3.has(u)) continue;
    const sk = secret(u);
    const [pk] = await crypto.x25519(sk, [X25519_BASE_POINT]);
    if (toHex(pk as Uint8Array) !== toHex((ads.get(u) as { ad: Advertisement }).ad.sPk)) {
      abort(
        `the mask key of dropped client ${u} rebuilt from the shares of ${(xs.get(u) as number[]).join(', ')} does not match its signed advertised key: a corrupt share, no sum released`,
        'verify_failed',
        'keyShares',
      );
    }
    const live = graph.of(u).filter((v) => u3.has(v));
    const agreed = await crypto.x25519(
      sk,
      live.map((v) => (ads.get(v) as { ad: Advertisement }).ad.sPk),
    );
    keys.push(...(await Promise.all(live.map((v, i) => pairMaskKey(crypto, salt, agreed[i] as Uint8Array, u, v)))));
    for (const v of live) signs.push(-pairSign(v, u));
  }
  const sum = Uint32Array.from(r.masked);
  await addMasks(crypto, sum, keys, signs);
  return sum;
}
