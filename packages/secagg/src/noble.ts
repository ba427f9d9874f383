/**
 * The pure-JavaScript crypto provider on the audited @noble/curves (X25519, Ed25519),
 * @noble/ciphers (AES-256-CTR and GCM) and @noble/hashes (HKDF-SHA256): for platforms whose WebCrypto lacks X25519 or Ed25519 (React
 * Native, older browsers). Its own module, so an app that uses WebCrypto ships no curve code.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { ctr, gcm } from '@noble/ciphers/aes.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { type SecAggCrypto, ZERO_IV } from './crypto.js';

function agree(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const out = x25519.getSharedSecret(secretKey, publicKey);
  if (out.every((b) => b === 0)) throw new Error('small-order public key');
  return out;
}

function verifyOne(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  try {
    // RFC 8032 (cofactorless, canonical encodings), as OpenSSL and WebCrypto verify.
    return publicKey.length === 32 && signature.length === 64 && ed25519.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

/** The Ed25519 public key of a 32-byte secret key (RFC 8032 §5.1.5), synchronously. */
export function ed25519PublicKey(secretKey: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(secretKey);
}

/** Pure JavaScript (@noble/*): slow for long masks and signatures, but runs anywhere. */
export function nobleProvider(): SecAggCrypto {
  return {
    name: 'noble',
    x25519: async (secretKey, publicKeys) => publicKeys.map((pk) => agree(secretKey, pk)),
    keystreams: async (keys, byteLength) => keys.map((k) => ctr(k, ZERO_IV).encrypt(new Uint8Array(byteLength))),
    sign: async (secretKey, message) => ed25519.sign(message, secretKey),
    verify: async (publicKeys, messages, signatures) => publicKeys.map((pk, i) => verifyOne(pk, (messages.length === 1 ? messages[0] : messages[i]) as Uint8Array, signatures[i] as Uint8Array)),
    signingPublicKey: async (secretKey) => ed25519PublicKey(secretKey),
    hkdf32: async (ikm, salt, info) => hkdf(sha256, ikm, salt, info, 32),
    gcmSeal: async (key, nonce, plaintext, aad) => gcm(key, nonce, aad).encrypt(plaintext),
    async gcmOpen(key, nonce, ciphertext, aad) {
      try {
        return gcm(key, nonce, aad).decrypt(ciphertext);
      } catch {
        return null;
      }
    },
  };
}
