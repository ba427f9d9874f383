/**
 * `@pinhole/core/seeded`: reproducible randomness for simulations, the bench and tests.
 * INSECURE: seeded generators are predictable and must never produce real privacy noise; client
 * and server entry points refuse them unless `allowInsecureRng: true` is passed.
 */
import seedrandom from 'seedrandom';
import { type Rng, rngFromU32 } from '../rng.js';
import { invalid } from '../validate.js';

export interface SeededRng extends Rng {
  readonly insecure: true;
  readonly seed: string;
  /** An independent, reproducible sub-stream: the same (seed, label) always gives the same stream. */
  stream(label: string | number): SeededRng;
}

/** FNV-1a over UTF-16 code units, then four splitmix64-finalised words: a well-spread key. */
function mixLabel(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < text.length; i++) h = ((h ^ BigInt(text.charCodeAt(i))) * 0x100000001b3n) & 0xffffffffffffffffn;
  const words: string[] = [];
  for (let i = 0; i < 4; i++) {
    h = (h + 0x9e3779b97f4a7c15n) & 0xffffffffffffffffn;
    let z = h;
    z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & 0xffffffffffffffffn;
    z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & 0xffffffffffffffffn;
    z ^= z >> 31n;
    words.push(z.toString(16).padStart(16, '0'));
  }
  return `s:${words.join('')}`;
}

/** A seeded generator on seedrandom's ARC4 (period ~2^1600, good statistical quality, not for privacy). */
export function seededRng(seed: string | number): SeededRng {
  if (!((typeof seed === 'string' && seed.length > 0) || (typeof seed === 'number' && Number.isSafeInteger(seed)))) {
    throw invalid('seed', 'a non-empty string or a safe integer', seed);
  }
  const key = String(seed);
  const prng = seedrandom(key);
  const base = rngFromU32(() => prng.int32() >>> 0);
  return {
    ...base,
    insecure: true,
    seed: key,
    stream(label: string | number): SeededRng {
      if (!(typeof label === 'string' || (typeof label === 'number' && Number.isFinite(label)))) {
        throw invalid('label', 'a string or a finite number', label);
      }
      // Hashing the (seed, label) pair gives unrelated ARC4 keys: labels that differ in one
      // character would otherwise give keys that differ in a few bytes (RC4 related keys).
      return seededRng(mixLabel(`${key}\u0000${String(label)}`));
    },
  };
}

export { rngFromU32 };
