/**
 * Exact rational arithmetic for the samplers. Every finite double is a dyadic rational m·2^e, so
 * sampler parameters given as numbers are converted exactly, never rounded.
 */

export interface Dyadic {
  /** odd integer (or 0) */
  readonly mantissa: bigint;
  /** the value is mantissa · 2^exponent */
  readonly exponent: number;
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The exact dyadic rational of a finite double. */
export function toDyadic(x: number): Dyadic {
  if (x === 0) return { mantissa: 0n, exponent: 0 };
  f64[0] = x;
  const bits = u64[0] as bigint;
  const sign = bits >> 63n ? -1n : 1n;
  const biased = Number((bits >> 52n) & 0x7ffn);
  let m = bits & 0xfffffffffffffn;
  let e: number;
  if (biased === 0) e = -1074;
  else {
    m |= 1n << 52n;
    e = biased - 1075;
  }
  while ((m & 1n) === 0n) {
    m >>= 1n;
    e += 1;
  }
  return { mantissa: sign * m, exponent: e };
}

/** A positive rational num/den as bigints (not necessarily reduced). */
export interface Fraction {
  readonly num: bigint;
  readonly den: bigint;
}

/** x > 0 as an exact fraction with a power-of-two denominator. */
export function toFraction(x: number): Fraction {
  const { mantissa, exponent } = toDyadic(x);
  return exponent >= 0 ? { num: mantissa << BigInt(exponent), den: 1n } : { num: mantissa, den: 1n << BigInt(-exponent) };
}

export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** The exact integer square root floor(sqrt(n)) of n >= 0. */
export function isqrt(n: bigint): bigint {
  if (n < 2n) return n;
  let x = BigInt(Math.floor(Math.sqrt(Number(n))));
  // Newton's correction: the float guess can be off by a few units for large n.
  while (x * x > n) x = (x + n / x) >> 1n;
  while ((x + 1n) * (x + 1n) <= n) x += 1n;
  return x;
}

/**
 * Rounds x > 0 up to at most `bits` significant bits. Noise calibrators use it: a slightly larger
 * noise scale only adds privacy, and a short mantissa keeps the exact samplers on their fast path.
 */
export function roundUpSignificant(x: number, bits = 20): number {
  const e = Math.floor(Math.log2(x)) - bits + 1;
  const unit = 2 ** e;
  const r = Math.ceil(x / unit) * unit;
  return r < x ? r + unit : r;
}
