/** Certified bounds of e^x in exact rational arithmetic (the mechanisms' construction-time checks use them). */
import { describe, expect, it } from 'vitest';
import { type Fraction, expBounds, ratioWithinExp, toFraction } from '@pinhole/core/exact';

// e to 100 decimals (OEIS A001113)
const E_DIGITS = '27182818284590452353602874713526624977572470936999595749669676277240766303535475945713821785251664274';
const E_SCALE = 10n ** BigInt(E_DIGITS.length - 1);
const E_FLOOR = BigInt(E_DIGITS); // e·10^100 rounded down

const le = (a: Fraction, b: Fraction) => a.num * b.den <= b.num * a.den;
const mul = (a: Fraction, b: Fraction): Fraction => ({ num: a.num * b.num, den: a.den * b.den });
const pow = (a: Fraction, k: number): Fraction => {
  let out: Fraction = { num: 1n, den: 1n };
  for (let i = 0; i < k; i++) out = mul(out, a);
  return out;
};

describe('expBounds', () => {
  it('brackets e within 2^-96 and agrees with its first 100 decimals', () => {
    const { lo, hi } = expBounds(1);
    expect(le(lo, { num: E_FLOOR + 1n, den: E_SCALE })).toBe(true);
    expect(le({ num: E_FLOOR, den: E_SCALE }, hi)).toBe(true);
    expect(le(hi, mul(lo, { num: (1n << 96n) + 8n, den: 1n << 96n }))).toBe(true);
    // finer precision: still consistent and tighter
    const fine = expBounds(1, 400);
    expect(le(fine.lo, { num: E_FLOOR + 1n, den: E_SCALE }) && le({ num: E_FLOOR, den: E_SCALE }, fine.hi)).toBe(true);
  });

  it('is consistent with e^(a+b) = e^a e^b at 0.5, 1, 7.5, 29.8 and 30', () => {
    const one = expBounds(1);
    for (const k of [2, 5, 30]) {
      const ek = expBounds(k);
      expect(le(pow(one.lo, k), ek.hi) && le(ek.lo, pow(one.hi, k))).toBe(true);
    }
    const half = expBounds(0.5);
    expect(le(mul(half.lo, half.lo), one.hi) && le(one.lo, mul(half.hi, half.hi))).toBe(true);
    const a = expBounds(29.8);
    const b = expBounds(0.2);
    const c = expBounds(30);
    // 29.8 + 0.2 is 30 only up to rounding of the doubles; compare through their exact sum
    const sum: Fraction = (() => {
      const x = toFraction(29.8);
      const y = toFraction(0.2);
      return { num: x.num * y.den + y.num * x.den, den: x.den * y.den };
    })();
    const s = expBounds(sum);
    expect(le(mul(a.lo, b.lo), s.hi) && le(s.lo, mul(a.hi, b.hi))).toBe(true);
    expect(le(c.lo, c.hi)).toBe(true);
  });

  it('agrees with Math.exp to a few ulps, and brackets 1 + x for tiny x exactly', () => {
    for (const x of [1e-3, 0.1, 0.61, 1, 2.5, 10, 20, 29.99, 30]) {
      const { lo, hi } = expBounds(x);
      const approx = Number((lo.num * 10n ** 20n) / lo.den) / 1e20;
      expect(Math.abs(approx / Math.exp(x) - 1)).toBeLessThan(1e-14);
      expect(le(lo, hi)).toBe(true);
    }
    for (const x of [5e-324, 1e-300, 1e-20, 2 ** -60]) {
      const f = toFraction(x);
      const { lo, hi } = expBounds(x);
      const onePlusX: Fraction = { num: f.den + f.num, den: f.den };
      const onePlusXPlusX2: Fraction = { num: f.den * f.den + f.num * f.den + f.num * f.num, den: f.den * f.den };
      expect(le(onePlusX, hi) && le(lo, onePlusXPlusX2)).toBe(true); // 1 + x <= e^x <= 1 + x + x² (x <= 1)
      expect(le(onePlusX, lo)).toBe(true); // and the lower bound resolves x itself
    }
    expect(expBounds(0)).toEqual({ lo: { num: 1n, den: 1n }, hi: { num: 1n, den: 1n } });
  });
});

describe('ratioWithinExp', () => {
  it('decides ratios next to e^x in both directions', () => {
    const { lo, hi } = expBounds(1, 200);
    expect(ratioWithinExp(lo.num, lo.den, 1)).toBe(true);
    expect(ratioWithinExp(hi.num, hi.den, 1)).toBe(false);
    expect(ratioWithinExp(E_FLOOR, E_SCALE, 1)).toBe(true);
    expect(ratioWithinExp(E_FLOOR + 1n, E_SCALE, 1)).toBe(false);
    expect(ratioWithinExp(2n, 1n, Math.LN2)).toBe(false); // the double ln 2 is below ln 2
    expect(ratioWithinExp(1n, 1n, 5e-324)).toBe(true);
    expect(ratioWithinExp(0n, 1n, 0)).toBe(true);
    expect(ratioWithinExp(3n, 2n, 0)).toBe(false);
    expect(() => ratioWithinExp(1n, 0n, 1)).toThrow(RangeError);
    expect(() => expBounds(-1)).toThrow(RangeError);
  });
});
