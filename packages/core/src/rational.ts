/**
 * Exact rational arithmetic for the samplers and the mechanisms' construction-time checks. Every
 * finite double is a dyadic rational m·2^e, so parameters given as numbers are converted exactly,
 * never rounded. e^x is irrational, so it is handled through certified rational bounds.
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

/** A rational x >= 0 given as a double (its exact dyadic value) or as a fraction. */
export type ExactArgument = number | Fraction;

function fractionOf(x: ExactArgument): Fraction {
  if (typeof x !== 'number') return x;
  if (!(x >= 0) || !Number.isFinite(x)) throw new RangeError(`expected a finite number >= 0, got ${x}`);
  return x === 0 ? { num: 0n, den: 1n } : toFraction(x);
}

/**
 * Certified bounds lo <= e^x <= hi for a rational x >= 0 (a double is taken at its exact dyadic
 * value), both fractions over 2^P with P = `bits` + the bits of x's denominator: the Taylor series
 * in fixed point, every term rounded down for lo and up for hi, and for hi the dropped tail bounded
 * by twice the next term (the terms at least halve once n + 2 > 2x). hi - lo is below about
 * 2^-bits · e^x, relative to x's own resolution, so ratios within 2^-bits of e^x are resolved.
 */
export function expBounds(x: ExactArgument, bits = 96): { lo: Fraction; hi: Fraction } {
  const { num: a, den: b } = fractionOf(x);
  if (a === 0n) return { lo: { num: 1n, den: 1n }, hi: { num: 1n, den: 1n } };
  const P = BigInt(bits + bitLength(b));
  const one = 1n << P;
  let lowTerm = one;
  let highTerm = one;
  let lo = one;
  let hi = one;
  // 2x < n + 2 from here on makes the tail after term n at most twice term n+1
  const halving = (2n * a) / b;
  for (let n = 1n; ; n++) {
    lowTerm = (lowTerm * a) / (b * n);
    highTerm = (highTerm * a + b * n - 1n) / (b * n);
    lo += lowTerm;
    hi += highTerm;
    if (highTerm <= 1n && n + 2n > halving) {
      // tail: Σ_{j>n} x^j/j! <= 2·x^{n+1}/(n+1)! <= 2·highTerm·x/(n+1) <= 2 (in units of 2^-P)
      hi += 2n;
      break;
    }
  }
  return { lo: { num: lo, den: one }, hi: { num: hi, den: one } };
}

/**
 * Whether num/den <= e^x, certified: true only when num/den is at most a rational lower bound of
 * e^x. The precision is raised until the comparison is decided; a ratio still within 2^-1024 of e^x
 * (e^x is irrational for rational x > 0, so never equal) is reported false, the safe answer.
 */
export function ratioWithinExp(num: bigint, den: bigint, x: ExactArgument): boolean {
  if (den <= 0n || num < 0n) throw new RangeError('expected num >= 0 and den > 0');
  for (let bits = 96; bits <= 1024; bits *= 2) {
    const { lo, hi } = expBounds(x, bits);
    if (num * lo.den <= lo.num * den) return true;
    if (num * hi.den > hi.num * den) return false;
  }
  return false;
}
