/**
 * A device's long-term identity for secure aggregation: an Ed25519 signing key (RFC 8032) that it
 * keeps across rounds and enrols with a key directory under a pseudonymous identity string. It
 * signs the device's advertisement and its consistency check in every round (Bonawitz et al.,
 * CCS 2017, §6, the PKI of the active model). Store the secret key like any device credential
 * (the platform keystore where there is one); the public key and identity are linkable across
 * rounds by whoever sees them, never the device's data.
 */
import { type Rng, cryptoRng, requireSecureRng } from '@pinhole/core';
import { checkUint8Array } from '@pinhole/core/validate';
import { ed25519PublicKey } from './noble.js';

export interface SigningKeyPair {
  /** 32-byte Ed25519 secret key (the RFC 8032 seed) */
  readonly secretKey: Uint8Array;
  /** 32-byte Ed25519 public key: what the directory vouches for */
  readonly publicKey: Uint8Array;
}

/** A fresh signing key from the CSPRNG (a seeded rng only with allowInsecureRng, for tests). */
export function generateSigningKey(options: { rng?: Rng; allowInsecureRng?: boolean } = {}): SigningKeyPair {
  const rng = requireSecureRng(options.rng ?? cryptoRng(), options.allowInsecureRng);
  return signingKeyFromSecret(rng.bytes(32));
}

/** The key pair of a stored 32-byte secret key. */
export function signingKeyFromSecret(secretKey: Uint8Array): SigningKeyPair {
  const sk = Uint8Array.from(checkUint8Array('secretKey', secretKey, 32));
  return Object.freeze({ secretKey: sk, publicKey: ed25519PublicKey(sk) });
}
