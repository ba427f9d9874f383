/**
 * @pinhole/client/secagg: secure aggregation for the client. Pass `secureAggregation()` to
 * `createClient` and the device takes part in the plan's secure-aggregation rounds: its vector,
 * with its share of the distributed noise, is masked so that the aggregator learns only the sum.
 *
 * With a plan whose threat model is `key_directory`, the device checks every neighbour's signing
 * key with a key directory run by a party other than the aggregator: the app configures it here
 * (a URL of a `pinhole-directory`, or any `KeyDirectory`), never the server, and a plan naming
 * another directory is refused. A plan whose threat model is `honest_but_curious` (no directory:
 * a deviating server could read this device's input) is refused unless the app opts in.
 *
 * The device's long-term signing key and its pseudonymous identity are created on first use and
 * kept in the client's storage; `enrolment(storage)` gives what the app's provisioning backend
 * sends to the directory.
 */
import { type Plan, type Rng, PinholeError, cryptoRng, requireSecureRng } from '@pinhole/core';
import { checkBoolean, checkInteger, checkObject, checkString } from '@pinhole/core/validate';
import { secaggCollectionRule } from '@pinhole/core/plan';
import { type KeyDirectory, type SecAggCrypto, IDENTITY_PATTERN, httpKeyDirectory, webCryptoProvider } from '@pinhole/secagg';
import { fromBase64, toBase64, toHex } from './bytes.js';
import type { SecureAggregation, SecureAggregationContext } from './plugin.js';
import { runRound, secaggLayout } from './secagg-round.js';
import type { Fetch } from './transport.js';
import type { KeyValueStorage } from './storage.js';

export { deviceVector } from './device-vector.js';
export type { KeyDirectory, SecAggCrypto } from '@pinhole/secagg';
// for platforms whose WebCrypto lacks X25519 or Ed25519; an app that does not import it ships no curve code
export { nobleProvider } from '@pinhole/secagg';
export { type SecaggStep, STEP_TYPE, SECAGG_PHASES, roundVector, secaggLayout, noisePlanOf } from './secagg-round.js';

export interface SecureAggregationOptions {
  /**
   * The key directory this app trusts: the base URL of a `pinhole-directory` (queried with the
   * client's fetch), or a `KeyDirectory`. Required for `key_directory` plans.
   */
  readonly keyDirectory?: string | KeyDirectory;
  /** fetch for the directory (default globalThis.fetch) */
  readonly fetch?: Fetch;
  /** one directory lookup's timeout, ms (default 10,000) */
  readonly directoryTimeoutMs?: number;
  /**
   * Take part in `honest_but_curious` rounds, where no directory checks keys: a server that
   * deviates from the protocol could read this device's input. Default false (refused).
   */
  readonly honestButCurious?: boolean;
  /** long-poll wait per request, seconds (default 25) */
  readonly waitSeconds?: number;
  /** the crypto provider: webCryptoProvider() by default; nobleProvider() where WebCrypto lacks X25519 or Ed25519 */
  readonly crypto?: SecAggCrypto;
  /** randomness for the signing key on first use; cryptoRng() by default */
  readonly rng?: Rng;
  readonly allowInsecureRng?: boolean;
}

/** What the app's provisioning backend sends to the directory (`POST /v1/keys` of pinhole-directory). */
export interface Enrolment {
  readonly identity: string;
  /** Ed25519 public key, hex */
  readonly publicKey: string;
  /** the device's signature of "pinhole/directory/v1/enrol\0<identity>\0<publicKey hex>", hex: proof that it holds the key */
  readonly proof: string;
}

const IDENTITY_KEY = 'secagg-identity';

interface DeviceIdentity {
  readonly identity: string;
  readonly secretKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

async function deviceIdentity(storage: KeyValueStorage, rng: Rng, crypto: () => SecAggCrypto): Promise<DeviceIdentity> {
  const raw = await storage.get(IDENTITY_KEY);
  if (raw !== null && raw !== undefined) {
    let parsed: { identity?: unknown; secret?: unknown } = {};
    try {
      parsed = JSON.parse(raw) as typeof parsed;
    } catch {
      parsed = {};
    }
    const secret = typeof parsed.secret === 'string' ? fromBase64(parsed.secret) : null;
    if (typeof parsed.identity !== 'string' || !IDENTITY_PATTERN.test(parsed.identity) || !secret || secret.length !== 32) {
      throw new PinholeError('invalid_state', 'storage', "the device's stored signing key is unreadable: refusing to make a new one (the directory vouches for the old one)");
    }
    return { identity: parsed.identity, secretKey: secret, publicKey: await crypto().signingPublicKey(secret) };
  }
  const identity = `device-${toHex(rng.bytes(12))}`;
  const secretKey = rng.bytes(32);
  // derived before storing: a platform that cannot sign keeps no key
  const publicKey = await crypto().signingPublicKey(secretKey);
  await storage.set(IDENTITY_KEY, JSON.stringify({ v: 1, identity, secret: toBase64(secretKey) }));
  return { identity, secretKey, publicKey };
}

function normaliseUrl(url: string): string {
  return url.trim().replace(/\/+$/, '').toLowerCase();
}

/** Secure aggregation for `createClient({ secureAggregation: secureAggregation({ keyDirectory }) })`. */
export function secureAggregation(options: SecureAggregationOptions = {}): SecureAggregation & { enrolment(storage: KeyValueStorage): Promise<Enrolment> } {
  const o = checkObject('options', options);
  const honestButCurious = o.honestButCurious === undefined ? false : checkBoolean('options.honestButCurious', o.honestButCurious);
  const waitSeconds = o.waitSeconds === undefined ? 25 : checkInteger('options.waitSeconds', o.waitSeconds, { ge: 0, le: 60 });
  const allowInsecureRng = o.allowInsecureRng === undefined ? false : checkBoolean('options.allowInsecureRng', o.allowInsecureRng);
  const rng = requireSecureRng((o.rng ?? cryptoRng()) as Rng, allowInsecureRng);
  const crypto = o.crypto as SecAggCrypto | undefined;
  let defaultCrypto: SecAggCrypto | undefined;
  // made on first use: a platform without WebCrypto fails when it signs, not when the app starts
  const provider = (): SecAggCrypto => crypto ?? (defaultCrypto ??= webCryptoProvider());
  let directory: KeyDirectory | undefined;
  let directoryUrl: string | null = null;
  if (typeof o.keyDirectory === 'string') {
    directoryUrl = checkString('options.keyDirectory', o.keyDirectory, { nonEmpty: true, maxLength: 2048 });
    directory = httpKeyDirectory({
      baseUrl: directoryUrl,
      ...(o.fetch ? { fetch: o.fetch as never } : {}),
      ...(o.directoryTimeoutMs === undefined ? {} : { timeoutMs: checkInteger('options.directoryTimeoutMs', o.directoryTimeoutMs, { ge: 1, le: 600_000 }) }),
    });
  } else if (o.keyDirectory !== undefined) {
    const d = o.keyDirectory as KeyDirectory;
    if (typeof d !== 'object' || d === null || typeof d.verify !== 'function')
      throw new PinholeError('invalid_argument', 'options.keyDirectory', '"options.keyDirectory" expected a directory URL or a KeyDirectory');
    directory = d;
  }
  const identities = new WeakMap<KeyValueStorage, Promise<DeviceIdentity>>();
  const identityOf = (storage: KeyValueStorage): Promise<DeviceIdentity> => {
    let p = identities.get(storage);
    if (!p) {
      p = deviceIdentity(storage, rng, provider);
      identities.set(storage, p);
      p.catch(() => identities.delete(storage));
    }
    return p;
  };

  return Object.freeze({
    kind: 'pinhole/secure-aggregation' as const,
    planRule: secaggCollectionRule,
    checkPlan(plan: Plan): void {
      const s = secaggLayout(plan).collections[0]!.secagg;
      if (s.threatModel === 'honest_but_curious') {
        if (!honestButCurious) {
          throw new PinholeError(
            'protocol_violation',
            'plan.secagg.threatModel',
            'the plan runs secure aggregation "honest_but_curious" (no key directory: a server that deviates could read this device\'s input); refused unless the app sets honestButCurious',
          );
        }
        return;
      }
      if (directory === undefined) {
        throw new PinholeError(
          'invalid_argument',
          'options.keyDirectory',
          'the plan runs secure aggregation with a key directory: configure the directory this app trusts (secureAggregation({ keyDirectory }))',
        );
      }
      const named = (s as { keyDirectory?: string }).keyDirectory;
      if (directoryUrl !== null && named !== undefined && normaliseUrl(named) !== normaliseUrl(directoryUrl)) {
        throw new PinholeError('protocol_violation', 'plan.secagg.keyDirectory', `the plan names the key directory ${named}, not the one this app trusts (${directoryUrl})`);
      }
    },
    async run(ctx: SecureAggregationContext) {
      const id = await identityOf(ctx.storage);
      return runRound(ctx, { signingKey: id.secretKey, identity: id.identity, directory, honestButCurious, crypto, waitSeconds });
    },
    async enrolment(storage: KeyValueStorage): Promise<Enrolment> {
      const id = await identityOf(storage);
      const publicKey = toHex(id.publicKey);
      const message = new TextEncoder().encode(`pinhole/directory/v1/enrol\u0000${id.identity}\u0000${publicKey}`);
      const proof = await provider().sign(id.secretKey, message);
      return Object.freeze({ identity: id.identity, publicKey, proof: toHex(proof) });
    },
  });
}
