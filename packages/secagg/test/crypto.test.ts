/**
 * The primitives against published vectors (test/vectors/primitives.json), every provider against
 * the others, and the protocol's derived keys against a golden vector of this package.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { ctr } from '@noble/ciphers/aes.js';
import { x25519 } from '@noble/curves/ed25519.js';
import { seededRng } from '@pinhole/core/seeded';
import { webCryptoProvider, nobleProvider, generateSigningKey, signingKeyFromSecret, type SecAggCrypto } from '../src/index.js';
import { nodeCryptoProvider } from '../src/node.js';
import { X25519_BASE_POINT, isSmallOrderPoint, toHex } from '../src/crypto.js';
import { channelKey, pairMaskKey, roundSalt, selfMaskKey, addMasks } from '../src/masks.js';

const vectors = JSON.parse(readFileSync(new URL('./vectors/primitives.json', import.meta.url), 'utf8'));
const golden = JSON.parse(readFileSync(new URL('./vectors/derivation.json', import.meta.url), 'utf8'));
const hex = (s: string) => Uint8Array.from(s.match(/../g) ?? [], (h) => parseInt(h, 16));
const providers: SecAggCrypto[] = [webCryptoProvider(), nobleProvider(), nodeCryptoProvider()];

describe('published vectors', () => {
  for (const p of providers) {
    it(`X25519 RFC 7748 (${p.name})`, async () => {
      const v = vectors.x25519;
      const [pa] = await p.x25519(hex(v.alicePrivate), [X25519_BASE_POINT]);
      const [pb] = await p.x25519(hex(v.bobPrivate), [X25519_BASE_POINT]);
      expect(toHex(pa as Uint8Array)).toBe(v.alicePublic);
      expect(toHex(pb as Uint8Array)).toBe(v.bobPublic);
      const [s1] = await p.x25519(hex(v.alicePrivate), [hex(v.bobPublic)]);
      const [s2] = await p.x25519(hex(v.bobPrivate), [hex(v.alicePublic)]);
      expect(toHex(s1 as Uint8Array)).toBe(v.shared);
      expect(toHex(s2 as Uint8Array)).toBe(v.shared);
    });
    it(`rejects a small-order public key (${p.name})`, async () => {
      await expect(p.x25519(hex(vectors.x25519.alicePrivate), [new Uint8Array(32)])).rejects.toThrow();
    });
  }
  for (const p of providers) {
    it(`HKDF-SHA256 RFC 5869 A.1 (${p.name})`, async () => {
      const v = vectors.hkdf;
      expect(toHex(await p.hkdf32(hex(v.ikm), hex(v.salt), hex(v.info)))).toBe(v.okm32);
    });
    it(`AES-256-GCM with associated data, GCM spec test case 16 (${p.name})`, async () => {
      const v = vectors.aesGcm;
      const sealed = await p.gcmSeal(hex(v.key), hex(v.nonce), hex(v.plaintext), hex(v.aad));
      expect(toHex(sealed)).toBe(v.ciphertext + v.tag);
      expect(toHex((await p.gcmOpen(hex(v.key), hex(v.nonce), sealed, hex(v.aad))) as Uint8Array)).toBe(v.plaintext);
    });
  }
  it('AES-256-CTR SP 800-38A F.5.5 (the @noble reference the providers are compared with)', () => {
    const v = vectors.aesCtr;
    expect(toHex(ctr(hex(v.key), hex(v.counter)).encrypt(hex(v.plaintext)))).toBe(v.ciphertext);
  });
});

describe('providers agree', () => {
  it('keystreams are identical across providers and lengths, including unaligned ones', async () => {
    const keys = Array.from({ length: 5 }, (_, i) => seededRng(`ks${i}`).bytes(32));
    for (const len of [4, 16, 36, 4000, 40_000]) {
      const ref = keys.map((k) => ctr(k, new Uint8Array(16)).encrypt(new Uint8Array(len)));
      for (const p of providers) {
        const got = await p.keystreams(keys, len);
        expect(got.map(toHex), `${p.name} ${len}`).toEqual(ref.map(toHex));
      }
    }
  });
  it('batched agreements equal single noble agreements', async () => {
    const rng = seededRng('agree');
    const sk = rng.bytes(32);
    const pks = Array.from({ length: 7 }, () => x25519.getPublicKey(rng.bytes(32)));
    const ref = pks.map((pk) => toHex(x25519.getSharedSecret(sk, pk)));
    for (const p of providers) expect((await p.x25519(sk, pks)).map(toHex)).toEqual(ref);
  });
  it('HKDF-SHA256 is identical across providers, with empty and long salt and info', async () => {
    const rng = seededRng('hkdf');
    for (const [saltLength, infoLength] of [
      [0, 0],
      [32, 13],
      [100, 200],
    ] as const) {
      const ikm = rng.bytes(32);
      const salt = rng.bytes(saltLength);
      const info = rng.bytes(infoLength);
      const outs = await Promise.all(providers.map(async (p) => toHex(await p.hkdf32(ikm, salt, info))));
      for (let i = 1; i < outs.length; i++) expect(outs[i], `${providers[i]?.name} salt ${saltLength} info ${infoLength}`).toBe(outs[0]);
      expect(outs[0]).toHaveLength(64);
    }
  });
  it('AES-GCM ciphertexts are identical across providers and each opens what another sealed', async () => {
    const rng = seededRng('gcm-agree');
    for (const length of [0, 1, 40, 1000]) {
      const key = rng.bytes(32);
      const nonce = rng.bytes(12);
      const aad = rng.bytes(32);
      const plain = rng.bytes(length);
      const sealed = await Promise.all(providers.map((p) => p.gcmSeal(key, nonce, plain, aad)));
      for (let i = 0; i < providers.length; i++) {
        expect(toHex(sealed[i] as Uint8Array), `${providers[i]?.name} ${length}`).toBe(toHex(sealed[0] as Uint8Array));
        expect((sealed[i] as Uint8Array).length).toBe(length + 16);
        const opener = providers[(i + 1) % providers.length] as SecAggCrypto;
        expect(toHex((await opener.gcmOpen(key, nonce, sealed[i] as Uint8Array, aad)) as Uint8Array), `${opener.name} opens ${providers[i]?.name}`).toBe(toHex(plain));
      }
    }
  });
  it('masks are the same whichever provider expands them', async () => {
    const keys = [seededRng('m1').bytes(32), seededRng('m2').bytes(32)];
    const outs = await Promise.all(
      providers.map(async (p) => {
        const acc = new Uint32Array(1001);
        await addMasks(p, acc, keys, [1, -1]);
        return Array.from(acc);
      }),
    );
    expect(outs[1]).toEqual(outs[0]);
    expect(outs[2]).toEqual(outs[0]);
  });
});

describe('small-order points', () => {
  it('every listed point is refused by X25519 itself (all-zero secret), with or without bit 255', () => {
    const sk = seededRng('so').bytes(32);
    for (const h of [
      '00',
      '01',
      'e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800',
      '5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157',
      'ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
      'eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f',
    ]) {
      const p = new Uint8Array(32);
      p.set(hex(h));
      expect(isSmallOrderPoint(p)).toBe(true);
      const high = Uint8Array.from(p);
      high[31] = (high[31] as number) | 0x80;
      expect(isSmallOrderPoint(high)).toBe(true);
      expect(() => x25519.getSharedSecret(sk, p)).toThrow();
    }
    expect(isSmallOrderPoint(hex(vectors.x25519.alicePublic))).toBe(false);
  });
});

describe('derivation golden vector', () => {
  for (const p of providers) {
    it(`round salt, channel, pair-mask and self-mask keys and the first mask words (${p.name})`, async () => {
      const salt = roundSalt(golden.roundId);
      expect(toHex(salt)).toBe(golden.salt);
      const agreed = hex(golden.agreed);
      expect(toHex(await channelKey(p, salt, agreed, 3, 7))).toBe(golden.channel37);
      expect(toHex(await channelKey(p, salt, agreed, 7, 3))).toBe(golden.channel37);
      expect(toHex(await pairMaskKey(p, salt, agreed, 3, 7))).toBe(golden.pairMask37);
      expect(toHex(await selfMaskKey(p, salt, agreed, 3))).toBe(golden.selfMask3);
      const acc = new Uint32Array(4);
      await addMasks(p, acc, [await pairMaskKey(p, salt, agreed, 3, 7)], [1]);
      expect(Array.from(acc)).toEqual(golden.pairMaskWords);
    });
  }
});

describe('share encryption', () => {
  for (const p of providers) {
    it(`AES-GCM opens what it sealed and refuses any flipped bit, other associated data, another nonce or a cut tag (${p.name})`, async () => {
      const key = seededRng('gcm').bytes(32);
      const nonce = new Uint8Array(12);
      const ct = await p.gcmSeal(key, nonce, Uint8Array.from([1, 2, 3]), Uint8Array.from([9]));
      expect(Array.from((await p.gcmOpen(key, nonce, ct, Uint8Array.from([9]))) as Uint8Array)).toEqual([1, 2, 3]);
      expect(await p.gcmOpen(key, nonce, ct, Uint8Array.from([8]))).toBeNull();
      expect(await p.gcmOpen(key, nonce, ct, new Uint8Array(0))).toBeNull();
      const otherNonce = new Uint8Array(12);
      otherNonce[0] = 1;
      expect(await p.gcmOpen(key, otherNonce, ct, Uint8Array.from([9]))).toBeNull();
      expect(await p.gcmOpen(key, nonce, ct.subarray(0, ct.length - 1), Uint8Array.from([9]))).toBeNull();
      expect(await p.gcmOpen(key, nonce, ct.subarray(0, 15), Uint8Array.from([9]))).toBeNull();
      for (let i = 0; i < ct.length; i++) {
        const bad = Uint8Array.from(ct);
        bad[i] = (bad[i] as number) ^ 0x10;
        expect(await p.gcmOpen(key, nonce, bad, Uint8Array.from([9])), `byte ${i}`).toBeNull();
      }
    });
  }
});

describe('Ed25519 (RFC 8032)', () => {
  // A platform without WebCrypto Ed25519 or X25519: every call naming the algorithm rejects.
  const real = globalThis.crypto.subtle;
  const without = (missing: string): SubtleCrypto =>
    new Proxy(real, {
      get(target, prop) {
        const f = Reflect.get(target, prop) as unknown;
        if (typeof f !== 'function') return f;
        return (...args: unknown[]) => {
          const alg = args.find((a) => typeof a === 'object' && a !== null && 'name' in a) as { name?: string } | undefined;
          if (alg?.name === missing) return Promise.reject(new Error(`${missing} not supported`));
          return (f as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  const signers: SecAggCrypto[] = providers;
  it('webCryptoProvider refuses, naming nobleProvider, where the platform lacks Ed25519 or X25519', async () => {
    const noEd = webCryptoProvider({ subtle: without('Ed25519') });
    const refusal = expect.objectContaining({ code: 'unsupported', param: 'crypto', message: expect.stringMatching(/Ed25519.*nobleProvider\(\)/) });
    const sk = seededRng('no-ed').bytes(32);
    await expect(noEd.sign(sk, new Uint8Array(3))).rejects.toThrow(refusal);
    await expect(noEd.verify([new Uint8Array(32)], [new Uint8Array(3)], [new Uint8Array(64)])).rejects.toThrow(refusal);
    await expect(noEd.signingPublicKey(sk)).rejects.toThrow(refusal);
    // what does not need the missing algorithm still runs on WebCrypto
    expect(await noEd.x25519(hex(vectors.x25519.alicePrivate), [X25519_BASE_POINT])).toEqual([hex(vectors.x25519.alicePublic)]);
    const noX = webCryptoProvider({ subtle: without('X25519') });
    await expect(noX.x25519(sk, [X25519_BASE_POINT])).rejects.toThrow(expect.objectContaining({ code: 'unsupported', param: 'crypto', message: expect.stringMatching(/X25519.*nobleProvider\(\)/) }));
    expect(await noX.signingPublicKey(sk)).toEqual(signingKeyFromSecret(sk).publicKey);
  });
  for (const p of signers) {
    const label = p.name;
    it(`signs and verifies the published vectors, refuses tampering (${label})`, async () => {
      for (const v of vectors.ed25519 as { secretKey: string; publicKey: string; message: string; signature: string }[]) {
        const sig = await p.sign(hex(v.secretKey), hex(v.message));
        expect(toHex(sig)).toBe(v.signature);
        expect(toHex(signingKeyFromSecret(hex(v.secretKey)).publicKey)).toBe(v.publicKey);
        expect(toHex(await p.signingPublicKey(hex(v.secretKey)))).toBe(v.publicKey);
        const bad = hex(v.signature);
        bad[10] = (bad[10] as number) ^ 1;
        const otherMessage = Uint8Array.from([...hex(v.message), 0]);
        expect(
          await p.verify(
            [hex(v.publicKey), hex(v.publicKey), hex(v.publicKey), new Uint8Array(31)],
            [hex(v.message), hex(v.message), otherMessage, hex(v.message)],
            [hex(v.signature), bad, hex(v.signature), hex(v.signature)],
          ),
        ).toEqual([true, false, false, false]);
      }
    });
  }
  it('every provider verifies what every other signs; a non-canonical S is refused by all', async () => {
    const sk = seededRng('ed-cross').bytes(32);
    const pk = signingKeyFromSecret(sk).publicKey;
    const msg = seededRng('ed-msg').bytes(300);
    for (const a of signers) {
      const sig = await a.sign(sk, msg);
      for (const b of signers) expect(await b.verify([pk], [msg], [sig]), `${a.name} -> ${b.name}`).toEqual([true]);
      // S + L (the group order) is the same scalar but a non-canonical encoding: RFC 8032 refuses it.
      const L = 2n ** 252n + 27742317777372353535851937790883648493n;
      let s = 0n;
      for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i] as number);
      s += L;
      const malleated = Uint8Array.from(sig);
      for (let i = 0; i < 32; i++) malleated[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
      for (const b of signers) expect(await b.verify([pk], [msg], [malleated]), `malleated ${b.name}`).toEqual([false]);
    }
  });
  it('generateSigningKey refuses a seeded rng unless allowed', () => {
    expect(() => generateSigningKey({ rng: seededRng('k') })).toThrow(expect.objectContaining({ code: 'insecure_rng' }));
    expect(generateSigningKey({ rng: seededRng('k'), allowInsecureRng: true }).publicKey.length).toBe(32);
    expect(generateSigningKey().secretKey.length).toBe(32);
  });
});
