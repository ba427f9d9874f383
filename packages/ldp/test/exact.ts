/**
 * Test-side exact arithmetic and probing, written independently of the library's own checks:
 * a certified lower bound of e^ε from the exact dyadic value of the double ε, exact ratio checks,
 * and a scripted Rng that lets a test read a sampler's thresholds off its behaviour.
 */
import { type Rng } from '@pinhole/core';
import { toDyadic } from '@pinhole/core/exact';

export interface Ratio {
  readonly num: bigint;
  readonly den: bigint;
}

/**
 * A rational L <= e^x for a double x >= 0 (certified): the Taylor series of e^{m/2^k} in fixed
 * point with `bits` fractional bits beyond 2^-k, every term rounded down, the tail dropped.
 */
export function expLowerBound(x: number, bits = 160): Ratio {
  if (!(x >= 0) || !Number.isFinite(x)) throw new Error(`expLowerBound: x = ${x}`);
  if (x === 0) return { num: 1n, den: 1n };
  const { mantissa, exponent } = toDyadic(x);
  // x = a / b exactly
  const a = exponent >= 0 ? mantissa << BigInt(exponent) : mantissa;
  const b = exponent >= 0 ? 1n : 1n << BigInt(-exponent);
  const P = BigInt(bits + Math.max(0, -exponent));
  const one = 1n << P;
  let term = one;
  let sum = one;
  for (let n = 1n; term > 0n; n++) {
    term = (term * a) / (b * n); // floor: every partial term is a lower bound
    sum += term;
  }
  return { num: sum, den: one };
}

/** num/den <= e^epsilon, certified by a lower bound of e^epsilon (false when it cannot be shown). */
export function atMostExp(r: Ratio, epsilon: number): boolean {
  const l = expLowerBound(epsilon);
  return r.num * l.den <= l.num * r.den;
}

/** The worst of the two directions of a two-level likelihood ratio hi/lo and lo/hi. */
export function bothWays(hi: Ratio, lo: Ratio): [Ratio, Ratio] {
  // hi/lo and lo/hi as fractions
  return [
    { num: hi.num * lo.den, den: hi.den * lo.num },
    { num: lo.num * hi.den, den: lo.den * hi.num },
  ];
}

/** By how much num/den exceeds the certified lower bound L of e^ε, as ln(ratio/L) (messages only). */
export function excessNats(r: Ratio, epsilon: number): number {
  const l = expLowerBound(epsilon);
  const over = r.num * l.den - l.num * r.den; // sign of ratio - L
  const scale = 1n << 80n;
  return Number((over * scale) / (l.num * r.den)) / 2 ** 80;
}

/**
 * A scripted Rng: u32() and float64() return the queued values in order (then 0), int(n) returns
 * 0 and records n, bytes(n) returns the queued byte array (or `fill` bytes) and records n. Marked
 * insecure, so mechanisms need allowInsecureRng.
 */
export class ProbeRng implements Rng {
  readonly insecure = true;
  readonly intCalls: number[] = [];
  readonly bytesCalls: number[] = [];
  constructor(
    private readonly words: number[] = [],
    private readonly floats: number[] = [],
    private readonly byteArrays: Uint8Array[] = [],
    private readonly fill = 0,
  ) {}
  u32(): number {
    return this.words.shift() ?? 0;
  }
  float64(): number {
    return this.floats.shift() ?? 0;
  }
  int(n: number): number {
    this.intCalls.push(n);
    return 0;
  }
  bytes(n: number): Uint8Array {
    this.bytesCalls.push(n);
    const b = this.byteArrays.shift();
    if (b === undefined) return new Uint8Array(n).fill(this.fill);
    if (b.length !== n) throw new Error(`ProbeRng: bytes(${n}) but ${b.length} queued`);
    return b;
  }
}

export const TWO_53 = 1n << 53n;
export const TWO_64 = 1n << 64n;

/**
 * The exact threshold T of a Bernoulli drawn from one or two 32-bit words, read off behaviour:
 * `accepts(w1, w2)` runs the sampler with the first word w1 and, should it ask, the second w2.
 * Lexicographic 64-bit comparison is the only consistent rule, so the draw accepts exactly the
 * V = w1·2^32 + w2 below T, and the probability is T / 2^64. Found by bisection on V.
 */
export function probeThreshold64(accepts: (w1: number, w2: number) => boolean): bigint {
  let lo = 0n; // smallest V not known to be accepted
  let hi = TWO_64; // V = 2^64 stands for "everything accepted"
  const acc = (v: bigint) => accepts(Number(v >> 32n), Number(v & 0xffffffffn));
  while (lo < hi) {
    const mid = (lo + hi) >> 1n;
    if (acc(mid)) lo = mid + 1n;
    else hi = mid;
  }
  // Monotone check at the boundary: everything below accepted, the boundary itself refused.
  if (lo > 0n && !acc(lo - 1n)) throw new Error('probeThreshold64: not monotone');
  return lo;
}

/** The number K of k in [0, 2^53) with `accepts(k / 2^53)`, for a monotone "float64() < p" draw. */
export function probeThreshold53(accepts: (u: number) => boolean): bigint {
  let lo = 0;
  let hi = 2 ** 53;
  while (lo < hi) {
    const mid = lo + Math.floor((hi - lo) / 2); // lo + hi may exceed 2^53
    if (accepts(mid / 2 ** 53)) lo = mid + 1;
    else hi = mid;
  }
  return BigInt(lo);
}
