/**
 * `@pinhole/core/testing`: reproducible randomness for simulations, tests and the bench.
 * INSECURE: seeded generators are predictable and must never produce real privacy noise.
 */
import seedrandom from 'seedrandom';
import { type Rng, rngFromU32 } from './rng.js';
import { PinholeError } from './errors.js';
import { invalid } from './validate.js';

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

export { BAD_INTEGERS, BAD_NUMBERS, expectPinholeError, expectPinholeRejection } from './testing/expect.js';

/** An Rng replaying fixed u32 words (for exact, non-statistical checks). */
export function scriptedRng(words: readonly number[]): Rng {
  let i = 0;
  const u32 = () => {
    if (i >= words.length) throw new PinholeError('invalid_state', 'rng', `"rng" replayed all ${words.length} scripted words`);
    return words[i++] as number;
  };
  return { insecure: true, u32, float64: () => u32() / 2 ** 32, int: (n: number) => u32() % n, bytes: () => new Uint8Array(0) };
}

/**
 * A reference for tests, independent of privacy-maps.ts: the exact delta(epsilon) of independent
 * N_Z(0, sigma^2) noise on counts that neighbours shift by `shifts` (one integer per changed
 * count, at most two), by direct summation of the hockey-stick divergence
 * sum_z max(0, P(z) - e^epsilon P(z - shift)) over the product pmf on [-K, K]^d, K = 14 sigma + 2 + max shift
 * (the mass left out is below e^-98). The pmf is normalised by summing it. Cost (2K + 1)^d.
 */
export function referenceDiscreteGaussianDelta(sigma: number, epsilon: number, shifts: readonly number[]): number {
  if (shifts.length < 1 || shifts.length > 2) throw invalid('shifts', 'one or two integer shifts', shifts);
  const top = Math.max(...shifts.map(Math.abs));
  const K = Math.ceil(14 * sigma) + 2 + top;
  const pmf = new Float64Array(2 * K + 1);
  let total = 0;
  for (let z = -K; z <= K; z++) total += (pmf[z + K] = Math.exp(-(z * z) / (2 * sigma * sigma)));
  for (let i = 0; i < pmf.length; i++) pmf[i] = (pmf[i] as number) / total;
  const p = (z: number): number => (z < -K || z > K ? 0 : (pmf[z + K] as number));
  const e = Math.exp(epsilon);
  const [s1, s2] = [shifts[0] as number, shifts[1] ?? 0];
  let delta = 0;
  if (shifts.length === 1) {
    for (let z = -K; z <= K; z++) delta += Math.max(0, p(z) - e * p(z - s1));
    return delta;
  }
  for (let z1 = -K; z1 <= K; z1++) {
    const a = p(z1);
    const b = e * p(z1 - s1);
    for (let z2 = -K; z2 <= K; z2++) {
      const d = a * (pmf[z2 + K] as number) - b * p(z2 - s2);
      if (d > 0) delta += d;
    }
  }
  return delta;
}

/** P[Z >= k] for Z ~ N_Z(0, sigma^2), by direct summation of the pmf on [-14 sigma - 2, 14 sigma + 2 + |k|] (a test reference). */
export function referenceDiscreteGaussianTail(sigma: number, k: number): number {
  const K = Math.ceil(14 * sigma) + 2 + Math.abs(k);
  let total = 0;
  let tail = 0;
  for (let z = -K; z <= K; z++) {
    const w = Math.exp(-(z * z) / (2 * sigma * sigma));
    total += w;
    if (z >= k) tail += w;
  }
  return tail / total;
}

/** The smallest sigma (to 1e-7 relative) whose `referenceDiscreteGaussianDelta` is at most delta. */
export function referenceDiscreteGaussianSigma(epsilon: number, delta: number, shifts: readonly number[]): number {
  let lo = 0.05;
  let hi = 1;
  while (referenceDiscreteGaussianDelta(hi, epsilon, shifts) > delta) [lo, hi] = [hi, hi * 2];
  while (hi - lo > 1e-7 * hi) {
    const mid = (lo + hi) / 2;
    if (referenceDiscreteGaussianDelta(mid, epsilon, shifts) <= delta) hi = mid;
    else lo = mid;
  }
  return hi;
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
