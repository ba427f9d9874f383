/**
 * `@pinhole/core/testing`: reproducible randomness for simulations, tests and the bench.
 * INSECURE: seeded generators are predictable and must never produce real privacy noise.
 */
import seedrandom from 'seedrandom';
import { type Rng, rngFromU32 } from './rng.js';
import { invalid } from './validate.js';

export interface SeededRng extends Rng {
  readonly insecure: true;
  readonly seed: string;
  /** An independent, reproducible sub-stream: the same (seed, label) always gives the same stream. */
  stream(label: string | number): SeededRng;
}

/** A seeded generator on seedrandom's ARC4 (period ~2^1600, good statistical quality, not for privacy). */
export function seededRng(seed: string | number): SeededRng {
  if (!((typeof seed === 'string' && seed.length > 0) || (typeof seed === 'number' && Number.isSafeInteger(seed)))) {
    throw invalid('seed', 'a non-empty string or a safe integer', seed);
  }
  const key = String(seed);
  const prng = seedrandom(key);
  const base = rngFromU32(() => prng.int32() >>> 0, true);
  return {
    ...base,
    insecure: true,
    seed: key,
    stream(label: string | number): SeededRng {
      if (!(typeof label === 'string' || (typeof label === 'number' && Number.isFinite(label)))) {
        throw invalid('label', 'a string or a finite number', label);
      }
      // A separator that cannot appear in a number keeps (a, "b/c") and ("a/b", c) apart.
      return seededRng(`${key}\u0000${String(label)}`);
    },
  };
}

export {
  normalQuantile,
  twoSidedZ,
  chiSquareCritical,
  upperIncompleteGamma,
  chiSquareStatistic,
  binPmf,
  binCounts,
  incompleteBeta,
  clopperPearson,
} from './stats.js';
