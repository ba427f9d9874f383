/**
 * Montgomery multiplication in the two fields of field.ts, on 32-bit words (little-endian, 2 or 4
 * per element): out[oi] = a[ai] · b[bi] · 2^−(64|128) mod p. Limb products are exact 32×32 → 64-bit
 * products (Math.imul for the low word, the rounded double product for the high one). Both primes
 * are 1 mod 2^32 and have only ±1 and −28 as non-zero word coefficients, so the reduction by words
 * is additions only; every intermediate is an integer below 2^53.
 */

const TWO32 = 4294967296;
const INV_TWO32 = 1 / 4294967296;

/** Field64, p = 2^64 − 2^32 + 1. */
export function montMul64(out: Uint32Array, oi: number, a: Uint32Array, ai: number, b: Uint32Array, bi: number): void {
  const a0 = a[ai * 2] as number;
  const a1 = a[ai * 2 + 1] as number;
  const b0 = b[bi * 2] as number;
  const b1 = b[bi * 2 + 1] as number;
  // 32×32 → 64-bit limb products: the low word from Math.imul, the high one from the rounded
  // double product (its error, < 2^12, is far below the 2^32 step being rounded to).
  const l00 = Math.imul(a0, b0) >>> 0;
  const h00 = Math.round((a0 * b0 - l00) * INV_TWO32);
  const l01 = Math.imul(a0, b1) >>> 0;
  const h01 = Math.round((a0 * b1 - l01) * INV_TWO32);
  const l10 = Math.imul(a1, b0) >>> 0;
  const h10 = Math.round((a1 * b0 - l10) * INV_TWO32);
  const l11 = Math.imul(a1, b1) >>> 0;
  const h11 = Math.round((a1 * b1 - l11) * INV_TWO32);
  const t0 = l00;
  let t1 = h00 + l01 + l10;
  let t2 = h01 + h10 + l11;
  let t3 = h11;
  // Montgomery reduction by 32-bit words: −p⁻¹ ≡ −1 (mod 2^32) and p = 2^64 − 2^32 + 1, so
  // adding m·p (m = −t_i mod 2^32) is +m at word i, −m at i + 1, +m at i + 2: no multiplication.
  let m = -t0 >>> 0;
  t1 += (t0 + m) * INV_TWO32 - m;
  t2 += m;
  m = -t1 >>> 0;
  t2 += (t1 + m) * INV_TWO32 - m;
  t3 += m;
  const c = Math.floor(t2 * INV_TWO32);
  let lo = t2 - c * TWO32;
  let hi = t3 + c;
  // The value hi·2^32 + lo is in [0, 2p): subtract p = 0xffffffff·2^32 + 1 once if needed.
  if (hi > 0xffffffff || (hi === 0xffffffff && lo >= 1)) {
    lo -= 1;
    hi -= 0xffffffff;
    if (lo < 0) {
      lo += TWO32;
      hi -= 1;
    }
  }
  out[oi * 2] = lo;
  out[oi * 2 + 1] = hi;
}

/** Field128, p = 2^128 − 28·2^64 + 1. */
export function montMul128(out: Uint32Array, oi: number, a: Uint32Array, ai: number, b: Uint32Array, bi: number): void {
  const xa = ai * 4;
  const xb = bi * 4;
  const a0 = a[xa + 0] as number;
  const a1 = a[xa + 1] as number;
  const a2 = a[xa + 2] as number;
  const a3 = a[xa + 3] as number;
  const b0 = b[xb + 0] as number;
  const b1 = b[xb + 1] as number;
  const b2 = b[xb + 2] as number;
  const b3 = b[xb + 3] as number;
  // 32×32 → 64-bit limb products, as in Field64.
  const l00 = Math.imul(a0, b0) >>> 0;
  const h00 = Math.round((a0 * b0 - l00) * INV_TWO32);
  const l01 = Math.imul(a0, b1) >>> 0;
  const h01 = Math.round((a0 * b1 - l01) * INV_TWO32);
  const l02 = Math.imul(a0, b2) >>> 0;
  const h02 = Math.round((a0 * b2 - l02) * INV_TWO32);
  const l03 = Math.imul(a0, b3) >>> 0;
  const h03 = Math.round((a0 * b3 - l03) * INV_TWO32);
  const l10 = Math.imul(a1, b0) >>> 0;
  const h10 = Math.round((a1 * b0 - l10) * INV_TWO32);
  const l11 = Math.imul(a1, b1) >>> 0;
  const h11 = Math.round((a1 * b1 - l11) * INV_TWO32);
  const l12 = Math.imul(a1, b2) >>> 0;
  const h12 = Math.round((a1 * b2 - l12) * INV_TWO32);
  const l13 = Math.imul(a1, b3) >>> 0;
  const h13 = Math.round((a1 * b3 - l13) * INV_TWO32);
  const l20 = Math.imul(a2, b0) >>> 0;
  const h20 = Math.round((a2 * b0 - l20) * INV_TWO32);
  const l21 = Math.imul(a2, b1) >>> 0;
  const h21 = Math.round((a2 * b1 - l21) * INV_TWO32);
  const l22 = Math.imul(a2, b2) >>> 0;
  const h22 = Math.round((a2 * b2 - l22) * INV_TWO32);
  const l23 = Math.imul(a2, b3) >>> 0;
  const h23 = Math.round((a2 * b3 - l23) * INV_TWO32);
  const l30 = Math.imul(a3, b0) >>> 0;
  const h30 = Math.round((a3 * b0 - l30) * INV_TWO32);
  const l31 = Math.imul(a3, b1) >>> 0;
  const h31 = Math.round((a3 * b1 - l31) * INV_TWO32);
  const l32 = Math.imul(a3, b2) >>> 0;
  const h32 = Math.round((a3 * b2 - l32) * INV_TWO32);
  const l33 = Math.imul(a3, b3) >>> 0;
  const h33 = Math.round((a3 * b3 - l33) * INV_TWO32);
  const t0 = l00;
  let t1 = l01 + l10 + h00;
  let t2 = l02 + l11 + l20 + h01 + h10;
  let t3 = l03 + l12 + l21 + l30 + h02 + h11 + h20;
  let t4 = l13 + l22 + l31 + h03 + h12 + h21 + h30;
  let t5 = l23 + l32 + h13 + h22 + h31;
  let t6 = l33 + h23 + h32;
  let t7 = h33;
  // Montgomery reduction by 32-bit words: −p⁻¹ ≡ −1 (mod 2^32) and p = 2^128 − 28·2^64 + 1, so
  // adding m·p (m = −t_i mod 2^32) is +m at word i, −28m at i + 2, +m at i + 4.
  let m = 0;
  m = -t0 >>> 0;
  t1 += (t0 + m) * INV_TWO32;
  t2 -= 28 * m;
  t4 += m;
  m = -t1 >>> 0;
  t2 += (t1 + m) * INV_TWO32;
  t3 -= 28 * m;
  t5 += m;
  m = -t2 >>> 0;
  t3 += (t2 + m) * INV_TWO32;
  t4 -= 28 * m;
  t6 += m;
  m = -t3 >>> 0;
  t4 += (t3 + m) * INV_TWO32;
  t5 -= 28 * m;
  t7 += m;
  // Normalise words 4..7 (signed carries); the value is in [0, 2p), so t7 < 2^33.
  let c = Math.floor(t4 * INV_TWO32);
  t4 -= c * TWO32;
  t5 += c;
  c = Math.floor(t5 * INV_TWO32);
  t5 -= c * TWO32;
  t6 += c;
  c = Math.floor(t6 * INV_TWO32);
  t6 -= c * TWO32;
  t7 += c;
  if (t7 > 0xffffffff || (t7 === 0xffffffff && (t6 > 0xffffffe4 || (t6 === 0xffffffe4 && (t5 > 0 || t4 >= 1))))) {
    // subtract p = [1, 0, 0xffffffe4, 0xffffffff] (32-bit words, little-endian)
    t4 -= 1;
    t6 -= 0xffffffe4;
    t7 -= 0xffffffff;
    c = Math.floor(t4 * INV_TWO32);
    t4 -= c * TWO32;
    t5 += c;
    c = Math.floor(t5 * INV_TWO32);
    t5 -= c * TWO32;
    t6 += c;
    c = Math.floor(t6 * INV_TWO32);
    t6 -= c * TWO32;
    t7 += c;
  }
  const xo = oi * 4;
  out[xo] = t4;
  out[xo + 1] = t5;
  out[xo + 2] = t6;
  out[xo + 3] = t7;
}
