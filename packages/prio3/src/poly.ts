/**
 * Polynomials in the Lagrange basis over the n-th roots of unity ω^0, ω^1, …, ω^(n−1) (natural
 * order), as the FLP of draft-irtf-cfrg-vdaf-20 §7.3 represents wire and gadget polynomials:
 * the NTT, doubling the number of evaluations, recovering the last evaluation of a polynomial of
 * degree ≤ n − 2, and evaluating at an arbitrary point.
 */
import type { Field } from './field.js';

/** The smallest power of two >= n. */
export function nextPowerOf2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * In-place NTT of elements [off, off + n) of `a` (n a power of two): coefficients → evaluations
 * at ω^i, or with `inverse` evaluations → coefficients.
 */
export function ntt(F: Field, a: Uint32Array, off: number, n: number, inverse: boolean, scale = true): void {
  if (n === 1) return;
  const w = F.words;
  const tmp = F.scratch(1);
  const swap = (i: number, j: number): void => {
    const x = (off + i) * w;
    const y = (off + j) * w;
    for (let k = 0; k < w; k++) {
      tmp[k] = a[x + k] as number;
      a[x + k] = a[y + k] as number;
      a[y + k] = tmp[k] as number;
    }
  };
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) swap(i, j);
  }
  const roots = F.rootPowers(n);
  const t = F.scratch(0);
  for (let len = 2; len <= n; len *= 2) {
    const half = len / 2;
    const step = n / len;
    for (let start = 0; start < n; start += len) {
      for (let k = 0; k < half; k++) {
        const r = k === 0 ? 0 : inverse ? n - k * step : k * step;
        const u = off + start + k;
        const v = u + half;
        if (k === 0) F.copy(t, 0, a, v);
        else F.mul(t, 0, a, v, roots, r);
        F.sub(a, v, a, u, t, 0);
        F.add(a, u, a, u, t, 0);
      }
    }
  }
  if (inverse && scale) {
    const nInv = F.inverseOf(n);
    for (let i = 0; i < n; i++) F.mul(a, off + i, a, off + i, nInv, 0);
  }
}

const twists = new Map<Field, Map<number, Uint32Array>>();

/** ω_2n^i / n for i < n, cached per field and n. */
function twistTable(F: Field, n: number): Uint32Array {
  let byField = twists.get(F);
  if (!byField) twists.set(F, (byField = new Map<number, Uint32Array>()));
  let t = byField.get(n);
  if (!t) {
    const roots2 = F.rootPowers(2 * n);
    t = F.vec(n);
    for (let i = 0; i < n; i++) F.mul(t, i, roots2, i, F.inverseOf(n), 0);
    byField.set(n, t);
  }
  return t;
}

/**
 * From the evaluations of a polynomial of degree < n at the n-th roots of unity (elements
 * [off, off + n) of `vals`), its evaluations at the 2n-th roots: out[2k] = vals[k] and
 * out[2k + 1] = f(ω_2n · ω_n^k). `work` holds n elements of scratch.
 */
export function doubleEvaluations(F: Field, vals: Uint32Array, off: number, n: number, out: Uint32Array, outOff: number, work: Uint32Array = F.vec(n)): void {
  const c = work;
  c.set(vals.subarray(off * F.words, (off + n) * F.words));
  ntt(F, c, 0, n, true, false);
  // ω_2n^i / n: the inverse transform's scaling folded into the shift to the odd points.
  const twist = twistTable(F, n);
  for (let i = 0; i < n; i++) F.mul(c, i, c, i, twist, i);
  ntt(F, c, 0, n, false);
  for (let k = 0; k < n; k++) {
    F.copy(out, outOff + 2 * k, vals, off + k);
    F.copy(out, outOff + 2 * k + 1, c, k);
  }
}

/**
 * Given the first n − 1 evaluations (at ω^0 … ω^(n−2)) of a polynomial of degree ≤ n − 2, writes
 * the last one: its x^(n−1) coefficient (1/n)·Σ v_i·ω^i is zero, so v_(n−1) = −ω·Σ_(i<n−1) v_i·ω^i.
 */
export function completeLastEvaluation(F: Field, vals: Uint32Array, off: number, n: number): void {
  const roots = F.rootPowers(n);
  const acc = F.scratch(4).fill(0);
  const t = F.scratch(9);
  for (let i = 0; i < n - 1; i++) {
    F.mul(t, 0, vals, off + i, roots, i);
    F.add(acc, 0, acc, 0, t, 0);
  }
  F.mul(acc, 0, acc, 0, roots, 1);
  F.sub(vals, off + n - 1, F.constant(0), 0, acc, 0);
}

/** Batch inversion (Montgomery's trick): out[i] = x[i]⁻¹ for every i < n; all x[i] non-zero. */
export function batchInvert(F: Field, x: Uint32Array, n: number, out: Uint32Array, prefix: Uint32Array = F.vec(n)): void {
  F.copy(prefix, 0, x, 0);
  for (let i = 1; i < n; i++) F.mul(prefix, i, prefix, i - 1, x, i);
  const inv = F.scratch(10);
  F.inv(inv, 0, prefix, n - 1);
  for (let i = n - 1; i > 0; i--) {
    F.mul(out, i, inv, 0, prefix, i - 1);
    F.mul(inv, 0, inv, 0, x, i);
  }
  F.copy(out, 0, inv, 0);
}

/** Buffers for `queryWeights` with p-th roots: d, inv, prefix and gadget of 2p elements, wire of p. */
export interface WeightBuffers {
  readonly d: Uint32Array;
  readonly inv: Uint32Array;
  readonly prefix: Uint32Array;
  readonly wire: Uint32Array;
  readonly gadget: Uint32Array;
}

export function weightBuffers(F: Field, p: number): WeightBuffers {
  return { d: F.vec(2 * p), inv: F.vec(2 * p), prefix: F.vec(2 * p), wire: F.vec(p), gadget: F.vec(2 * p) };
}

/**
 * Lagrange weights at t for the p-th and the 2p-th roots of unity, with one batch inversion:
 * L_i(t) = ((t^n − 1)/n) · ω^i / (t − ω^i), so that f(t) = Σ v_i·L_i(t) for f of degree < n.
 * `tp` is t^p. t must not be a p-th root of unity. Fills `b.wire` and `b.gadget`; returns false
 * (and leaves `b.gadget` unusable) when t is a 2p-th root of unity.
 */
export function queryWeights(F: Field, t: Uint32Array, ti: number, tp: Uint32Array, p: number, b: WeightBuffers): boolean {
  const n = 2 * p;
  const roots = F.rootPowers(n);
  const { d, inv, wire, gadget } = b;
  const one = F.constant(1);
  let onOddRoot = false;
  for (let i = 0; i < n; i++) {
    F.sub(d, i, t, ti, roots, i);
    if (F.isZero(d, i)) {
      onOddRoot = true;
      F.copy(d, i, one, 0);
    }
  }
  batchInvert(F, d, n, inv, b.prefix);
  const scale = F.scratch(7);
  F.sub(scale, 0, tp, 0, one, 0);
  F.mul(scale, 0, scale, 0, F.inverseOf(p), 0);
  F.mul(scale, 1, tp, 0, tp, 0);
  F.sub(scale, 1, scale, 1, one, 0);
  F.mul(scale, 1, scale, 1, F.inverseOf(n), 0);
  for (let k = 0; k < p; k++) {
    F.mul(wire, k, inv, 2 * k, roots, 2 * k);
    F.mul(wire, k, wire, k, scale, 0);
  }
  if (onOddRoot) return false;
  for (let i = 0; i < n; i++) {
    F.mul(gadget, i, inv, i, roots, i);
    F.mul(gadget, i, gadget, i, scale, 1);
  }
  return true;
}

/** Σ_i vals[off + i]·weights[i] for i < n. */
export function dot(F: Field, vals: Uint32Array, off: number, weights: Uint32Array, n: number, out: Uint32Array, oi: number): void {
  const t = F.scratch(2).fill(0);
  for (let i = 0; i < n; i++) {
    F.mul(t, 0, vals, off + i, weights, i);
    F.add(t, 1, t, 1, t, 0);
  }
  F.copy(out, oi, t, 1);
}

/**
 * f(t) from the n evaluations at the n-th roots of unity, by interpolation and Horner's rule (any
 * t); `work` holds n elements of scratch.
 */
export function evalByInterpolation(F: Field, vals: Uint32Array, off: number, n: number, t: Uint32Array, ti: number, out: Uint32Array, oi: number, work: Uint32Array = F.vec(n)): void {
  const c = work;
  c.set(vals.subarray(off * F.words, (off + n) * F.words));
  ntt(F, c, 0, n, true, false);
  const acc = F.scratch(16).fill(0);
  for (let i = n - 1; i >= 0; i--) {
    F.mul(acc, 0, acc, 0, t, ti);
    F.add(acc, 0, acc, 0, c, i);
  }
  F.mul(out, oi, acc, 0, F.inverseOf(n), 0);
}
