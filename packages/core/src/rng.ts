/**
 * Randomness. Privacy noise is drawn only from `cryptoRng()` (WebCrypto `getRandomValues`, on
 * phones, browsers and Node alike), the only Rng that counts as secure: `requireSecureRng` accepts
 * exactly the frozen objects cryptoRng() made, so neither a hand-made object claiming
 * `insecure: false` nor a wrapped word source can pass for it. Seeded generators and
 * `rngFromU32` live in `@pinhole/core/seeded`, are marked `insecure`, and are refused by client
 * and server entry points unless explicitly allowed.
 */
import { PinholeError } from './errors.js';
import { describeKind, invalid } from './validate.js';

export interface Rng {
  /** true for seeded, reproducible generators: never acceptable for real privacy noise. */
  readonly insecure: boolean;
  /** A uniform integer in [0, 2^32). */
  u32(): number;
  /** A uniform double in [0, 1) with 53 random bits. */
  float64(): number;
  /** A uniform integer in [0, n) for an integer 1 <= n <= 2^53, unbiased (rejection sampling). */
  int(n: number): number;
  /** n uniform bytes. */
  bytes(n: number): Uint8Array;
}

const TWO_32 = 2 ** 32;
const TWO_53 = 2 ** 53;

/** The Rngs cryptoRng() made: the only ones requireSecureRng takes as secure. */
const secureRngs = new WeakSet<Rng>();

/** Builds the derived methods of an `Rng` over a source of uniform 32-bit words. */
function buildRng(u32: () => number, insecure: boolean, bytes?: (n: number) => Uint8Array): Rng {
  const int = (n: number): number => {
    if (!(n >= 1 && n <= TWO_53 && Number.isInteger(n))) throw invalid('n', `an integer >= 1 and <= ${TWO_53}`, n);
    if (n <= TWO_32) {
      if (n === TWO_32) return u32();
      // Largest multiple of n that fits in 32 bits: values at or above it are rejected.
      const limit = TWO_32 - (TWO_32 % n);
      for (;;) {
        const x = u32();
        if (x < limit) return x % n;
      }
    }
    const limit = TWO_53 - (TWO_53 % n);
    for (;;) {
      const x = (u32() >>> 11) * TWO_32 + u32();
      if (x < limit) return x % n;
    }
  };
  return Object.freeze({
    insecure,
    u32,
    float64: () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992,
    int,
    bytes:
      bytes ??
      ((n: number) => {
        if (!Number.isSafeInteger(n) || n < 0) throw invalid('n', 'an integer >= 0', n);
        const out = new Uint8Array(n);
        for (let i = 0; i < n; i += 4) {
          let w = u32();
          for (let j = i; j < Math.min(n, i + 4); j++, w >>>= 8) out[j] = w & 0xff;
        }
        return out;
      }),
  });
}

/**
 * An INSECURE Rng over any source of uniform 32-bit words (simulations, tests, replaying fixed
 * words): always marked `insecure: true`. Public through `@pinhole/core/seeded` only; there is no
 * way to label a word source as secure.
 */
export function rngFromU32(u32: () => number, bytes?: (n: number) => Uint8Array): Rng {
  if (typeof u32 !== 'function') throw invalid('u32', 'a function returning uniform 32-bit words', u32);
  if (bytes !== undefined && typeof bytes !== 'function') {
    throw invalid('bytes', 'a function (n) => Uint8Array, or nothing (rngFromU32 always makes an insecure Rng; cryptoRng() is the secure one)', bytes);
  }
  return buildRng(u32, true, bytes);
}

const POOL_WORDS = 4096; // 16 KiB per getRandomValues call, under WebCrypto's 64 KiB limit

function webCrypto(): Crypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c || typeof c.getRandomValues !== 'function') {
    throw new PinholeError('unsupported', 'crypto', 'no WebCrypto getRandomValues on this platform: a CSPRNG is required for privacy noise');
  }
  return c;
}

/**
 * The CSPRNG: `crypto.getRandomValues`, buffered so that the samplers' many small draws do not
 * each cross into the platform.
 */
export function cryptoRng(): Rng {
  const c = webCrypto();
  const pool = new Uint32Array(POOL_WORDS);
  let pos = POOL_WORDS;
  const u32 = (): number => {
    if (pos === POOL_WORDS) {
      c.getRandomValues(pool);
      pos = 0;
    }
    return pool[pos++] as number;
  };
  const poolBytes = new Uint8Array(pool.buffer);
  const bytes = (n: number): Uint8Array => {
    if (!Number.isSafeInteger(n) || n < 0) throw invalid('n', 'an integer >= 0', n);
    const out = new Uint8Array(n);
    const words = (n + 3) >>> 2;
    if (words <= POOL_WORDS / 4) {
      // Small requests come from the pool: one platform call per 16 KiB, not per report.
      if (pos + words > POOL_WORDS) {
        c.getRandomValues(pool);
        pos = 0;
      }
      out.set(poolBytes.subarray(pos * 4, pos * 4 + n));
      pos += words;
      return out;
    }
    for (let i = 0; i < n; i += 65536) c.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
    return out;
  };
  const rng = buildRng(u32, false, bytes);
  secureRngs.add(rng);
  return rng;
}

export function isRng(value: unknown): value is Rng {
  const r = value as Partial<Rng> | null;
  return (
    typeof r === 'object' &&
    r !== null &&
    typeof r.u32 === 'function' &&
    typeof r.int === 'function' &&
    typeof r.float64 === 'function' &&
    typeof r.bytes === 'function' &&
    typeof r.insecure === 'boolean'
  );
}

export function checkRng(param: string, value: unknown): Rng {
  // only the kind: a value passed in the rng's place by mistake may be the private input
  if (!isRng(value)) throw new PinholeError('invalid_argument', param, `"${param}" expected an Rng (cryptoRng() or seededRng(seed)), got ${describeKind(value)}`);
  return value;
}

/** Whether `rng` is a cryptoRng(): the platform CSPRNG, not a wrapper or look-alike. */
export function isSecureRng(rng: unknown): boolean {
  return typeof rng === 'object' && rng !== null && secureRngs.has(rng as Rng);
}

/**
 * Entry points that produce real privacy noise call this: anything but a cryptoRng() — a seeded
 * generator, or an object that merely claims `insecure: false` — is refused with `insecure_rng`
 * unless the caller opted in (simulations, tests, the bench).
 */
export function requireSecureRng(rng: Rng, allowInsecureRng: boolean | undefined, param = 'rng'): Rng {
  checkRng(param, rng);
  if (allowInsecureRng === true || isSecureRng(rng)) return rng;
  const what = rng.insecure ? 'is a seeded, insecure generator' : 'claims to be secure but is not a cryptoRng()';
  throw new PinholeError('insecure_rng', param, `"${param}" ${what}; privacy noise needs cryptoRng() (pass allowInsecureRng: true only for simulation and tests)`);
}
