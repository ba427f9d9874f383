/**
 * The cryptographic primitives of the protocol behind one small interface, so the platform's fast
 * implementation is used where there is one: X25519 key agreement (RFC 7748), the AES-256-CTR
 * keystream that expands a 256-bit seed into a mask (the PRG of Bonawitz et al., CCS 2017, §4) and
 * Ed25519 signatures (RFC 8032) for the authenticated advertisements and the consistency check.
 * `webCryptoProvider()` runs on phones and browsers through globalThis.crypto only, and refuses
 * where the platform lacks an algorithm; `nobleProvider()` (noble.ts, pure JavaScript on the
 * audited @noble/curves) is for those platforms, so an app that does not pass it ships no curve code.
 * HKDF-SHA256 (RFC 5869) for the round's keys and AES-256-GCM for the share ciphertexts go through
 * the provider too, so a WebCrypto app ships neither @noble's HKDF nor its GCM. SHA-256 alone stays
 * synchronous on @noble/hashes: transcripts are hashed inside synchronous code.
 */
import { PinholeError } from '@pinhole/core';
import { sha256 } from '@noble/hashes/sha2.js';

export interface SecAggCrypto {
  readonly name: string;
  /**
   * X25519(secretKey, publicKey) for each public key (32 bytes each). A public key of small order
   * (an all-zero shared secret) rejects the promise.
   */
  x25519(secretKey: Uint8Array, publicKeys: readonly Uint8Array[]): Promise<Uint8Array[]>;
  /** The first `byteLength` bytes of the AES-256-CTR keystream (initial counter block 0) under each 32-byte key. */
  keystreams(keys: readonly Uint8Array[], byteLength: number): Promise<Uint8Array[]>;
  /** Ed25519 signature (64 bytes) of `message` under a 32-byte secret key (RFC 8032 seed). */
  sign(secretKey: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  /**
   * Ed25519 verification of one signature per public key, all over the same message or each over
   * its own (`messages` of length 1 or of the same length as `publicKeys`). Never rejects: a
   * malformed key or signature verifies as false.
   */
  verify(publicKeys: readonly Uint8Array[], messages: readonly Uint8Array[], signatures: readonly Uint8Array[]): Promise<boolean[]>;
  /** The Ed25519 public key (32 bytes) of a 32-byte secret key (RFC 8032 §5.1.5). */
  signingPublicKey(secretKey: Uint8Array): Promise<Uint8Array>;
  /** HKDF-SHA256 (RFC 5869) of `ikm` under `salt` and `info`, 32 bytes of output. */
  hkdf32(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array): Promise<Uint8Array>;
  /** AES-256-GCM under a 32-byte key, a 12-byte nonce and associated data `aad`; the 16-byte tag is appended. */
  gcmSeal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Promise<Uint8Array>;
  /** The plaintext of what gcmSeal sealed; null (never a rejection) when the tag does not verify. */
  gcmOpen(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Promise<Uint8Array | null>;
}

/** The X25519 base point: X25519(k, BASE) is the public key of k. */
export const X25519_BASE_POINT: Uint8Array = Uint8Array.from([9, ...new Array<number>(31).fill(0)]);

export const ZERO_IV = new Uint8Array(16);

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410): WebCrypto imports private keys only so.
const PKCS8_X25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

// The same for Ed25519 (OID 1.3.101.112).
const PKCS8_ED25519_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

function pkcs8(secretKey: Uint8Array, prefix = PKCS8_X25519_PREFIX): Uint8Array {
  const out = new Uint8Array(48);
  out.set(prefix);
  out.set(secretKey, 16);
  return out;
}

/** Imported verification keys are reused: a client checks each neighbour's key twice per round. */
const VERIFY_KEY_CACHE = 4096;

function subtleCrypto(): SubtleCrypto {
  const subtle = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!subtle) throw new PinholeError('unsupported', 'crypto', 'no WebCrypto (globalThis.crypto.subtle) on this platform; use nobleProvider()');
  return subtle;
}

function lacks(algorithm: string): PinholeError {
  return new PinholeError('unsupported', 'crypto', `"crypto" WebCrypto on this platform lacks ${algorithm}: pass crypto: nobleProvider() (pure JavaScript)`);
}

/**
 * WebCrypto only: AES-CTR, X25519 and Ed25519 (Node >= 20, recent browsers and phones). Where the
 * platform lacks X25519 or Ed25519, the calls that need it reject with `unsupported` (param
 * "crypto") naming nobleProvider(). Calls inside one batch run concurrently. `subtle` replaces
 * globalThis.crypto.subtle (tests of a platform without an algorithm).
 */
export function webCryptoProvider(options: { subtle?: SubtleCrypto } = {}): SecAggCrypto {
  const subtle = options.subtle ?? subtleCrypto();
  // WebCrypto's typings want ArrayBuffer-backed views; ours may be views of any buffer.
  const buf = (b: Uint8Array): Uint8Array<ArrayBuffer> => (b.buffer instanceof ArrayBuffer ? (b as Uint8Array<ArrayBuffer>) : new Uint8Array(b));
  let hasX25519: Promise<boolean> | undefined;
  const probe = (): Promise<boolean> =>
    (hasX25519 ??= subtle
      .importKey('raw', buf(X25519_BASE_POINT), { name: 'X25519' }, true, [])
      .then(() => true)
      .catch(() => false));
  let hasEd25519: Promise<boolean> | undefined;
  const probeEd = (): Promise<boolean> =>
    (hasEd25519 ??= subtle
      .generateKey({ name: 'Ed25519' } as unknown as AlgorithmIdentifier, false, ['sign', 'verify'])
      .then(() => true)
      .catch(() => false));
  // Keyed by the secret's array object, so no copy of the secret is kept as a string.
  const signKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();
  const verifyKeys = new Map<string, Promise<CryptoKey | null>>();
  const verifyKey = (pk: Uint8Array): Promise<CryptoKey | null> => {
    const hex = toHex(pk);
    let k = verifyKeys.get(hex);
    if (k === undefined) {
      if (verifyKeys.size >= VERIFY_KEY_CACHE) verifyKeys.clear();
      k = subtle.importKey('raw', buf(pk), { name: 'Ed25519' }, false, ['verify']).catch(() => null);
      verifyKeys.set(hex, k);
    }
    return k;
  };
  return {
    name: 'webcrypto',
    async sign(secretKey, message) {
      if (!(await probeEd())) throw lacks('Ed25519');
      let key = signKeys.get(secretKey);
      if (key === undefined) {
        key = subtle.importKey('pkcs8', buf(pkcs8(secretKey, PKCS8_ED25519_PREFIX)), { name: 'Ed25519' }, false, ['sign']);
        signKeys.set(secretKey, key);
      }
      return new Uint8Array(await subtle.sign({ name: 'Ed25519' }, await key, buf(message)));
    },
    async verify(publicKeys, messages, signatures) {
      if (!(await probeEd())) throw lacks('Ed25519');
      return Promise.all(
        publicKeys.map(async (pk, i) => {
          const sig = signatures[i] as Uint8Array;
          if (pk.length !== 32 || sig.length !== 64) return false;
          const key = await verifyKey(pk);
          if (key === null) return false;
          const message = (messages.length === 1 ? messages[0] : messages[i]) as Uint8Array;
          return subtle.verify({ name: 'Ed25519' }, key, buf(sig), buf(message)).catch(() => false);
        }),
      );
    },
    async x25519(secretKey, publicKeys) {
      if (!(await probe())) throw lacks('X25519');
      const priv = await subtle.importKey('pkcs8', buf(pkcs8(secretKey)), { name: 'X25519' }, false, ['deriveBits']);
      return Promise.all(
        publicKeys.map(async (pk) => {
          const pub = await subtle.importKey('raw', buf(pk), { name: 'X25519' }, true, []);
          const out = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub }, priv, 256));
          if (out.every((b) => b === 0)) throw new Error('small-order public key');
          return out;
        }),
      );
    },
    async signingPublicKey(secretKey) {
      if (!(await probeEd())) throw lacks('Ed25519');
      // WebCrypto derives the public key only through an extractable private key's JWK ("x")
      const key = await subtle.importKey('pkcs8', buf(pkcs8(secretKey, PKCS8_ED25519_PREFIX)), { name: 'Ed25519' }, true, ['sign']);
      const jwk = await subtle.exportKey('jwk', key);
      return fromBase64Url(jwk.x as string);
    },
    async keystreams(keys, byteLength) {
      const zeros = new Uint8Array(byteLength);
      return Promise.all(
        keys.map(async (k) => {
          const key = await subtle.importKey('raw', buf(k), { name: 'AES-CTR' }, false, ['encrypt']);
          return new Uint8Array(await subtle.encrypt({ name: 'AES-CTR', counter: ZERO_IV, length: 64 }, key, zeros));
        }),
      );
    },
    async hkdf32(ikm, salt, info) {
      const key = await subtle.importKey('raw', buf(ikm), 'HKDF', false, ['deriveBits']);
      return new Uint8Array(await subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: buf(salt), info: buf(info) }, key, 256));
    },
    async gcmSeal(key, nonce, plaintext, aad) {
      const k = await subtle.importKey('raw', buf(key), 'AES-GCM', false, ['encrypt']);
      return new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 }, k, buf(plaintext)));
    },
    async gcmOpen(key, nonce, ciphertext, aad) {
      const k = await subtle.importKey('raw', buf(key), 'AES-GCM', false, ['decrypt']);
      return subtle
        .decrypt({ name: 'AES-GCM', iv: buf(nonce), additionalData: buf(aad), tagLength: 128 }, k, buf(ciphertext))
        .then((plain) => new Uint8Array(plain))
        .catch(() => null);
    },
  };
}

export function isSecAggCrypto(value: unknown): value is SecAggCrypto {
  const c = value as Partial<SecAggCrypto> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.x25519 === 'function' &&
    typeof c.keystreams === 'function' &&
    typeof c.sign === 'function' &&
    typeof c.verify === 'function' &&
    typeof c.signingPublicKey === 'function' &&
    typeof c.hkdf32 === 'function' &&
    typeof c.gcmSeal === 'function' &&
    typeof c.gcmOpen === 'function' &&
    typeof c.name === 'string'
  );
}

export function sha256Bytes(data: Uint8Array): Uint8Array {
  return sha256(data);
}

/**
 * Small-order Curve25519 u-coordinates (and their non-canonical twins), after clearing bit 255
 * as X25519 does: a public key among them makes the shared secret all zero or predictable.
 */
const SMALL_ORDER_HEX = [
  '0000000000000000000000000000000000000000000000000000000000000000',
  '0100000000000000000000000000000000000000000000000000000000000000',
  'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
  '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
  'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
  'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
];
const SMALL_ORDER = new Set(SMALL_ORDER_HEX);

function fromBase64Url(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i] as number] as string;
  return s;
}

export function isSmallOrderPoint(publicKey: Uint8Array): boolean {
  const copy = Uint8Array.from(publicKey);
  copy[31] = (copy[31] as number) & 0x7f;
  return SMALL_ORDER.has(toHex(copy));
}
