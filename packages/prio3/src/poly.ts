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
export function ntt(F: Field, a: Uint32Array, off: number, n: number, inverse: boolean): void {
  if (n === 1) return;
  const w = F.words;
  const tmp = new Uint32Array(w);
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
  const t = F.vec(1);
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
  if (inverse) {
    const nInv = F.vec(1);
    F.set(nInv, 0, BigInt(n));
    F.inv(nInv, 0, nInv, 0);
    for (let i = 0; i < n; i++) F.mul(a, off + i, a, off + i, nInv, 0);
  }
}

/**
 * From the evaluations of a polynomial of degree < n at the n-th roots of unity (elements
 * [off, off + n) of `vals`), its evaluations at the 2n-th roots: out[2k] = vals[k] and
 * out[2k + 1] = f(ω_2n · ω_n^k).
 */
export function doubleEvaluations(F: Field, vals: Uint32Array, off: number, n: number, out: Uint32Array, outOff: number): void {
  const c = F.vec(n);
  for (let i = 0; i < n; i++) F.copy(c, i, vals, off + i);
  ntt(F, c, 0, n, true);
  const roots2 = F.rootPowers(2 * n);
  for (let i = 1; i < n; i++) F.mul(c, i, c, i, roots2, i);
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
  const acc = F.vec(1);
  const t = F.vec(1);
  for (let i = 0; i < n - 1; i++) {
    F.mul(t, 0, vals, off + i, roots, i);
    F.add(acc, 0, acc, 0, t, 0);
  }
  F.mul(acc, 0, acc, 0, roots, 1);
  const zero = F.vec(1);
  F.sub(vals, off + n - 1, zero, 0, acc, 0);
}

/** Batch inversion (Montgomery's trick): out[i] = x[i]⁻¹ for every i < n; all x[i] non-zero. */
export function batchInvert(F: Field, x: Uint32Array, n: number, out: Uint32Array): void {
  const prefix = F.vec(n);
  F.copy(prefix, 0, x, 0);
  for (let i = 1; i < n; i++) F.mul(prefix, i, prefix, i - 1, x, i);
  const inv = F.vec(1);
  F.inv(inv, 0, prefix, n - 1);
  for (let i = n - 1; i > 0; i--) {
    F.mul(out, i, inv, 0, prefix, i - 1);
    F.mul(inv, 0, inv, 0, x, i);
  }
  F.copy(out, 0, inv, 0);
}

/**
 * The Lagrange weights L_i(t) = ((t^n − 1)/n) · ω^i / (t − ω^i) of the n-th roots of unity at t,
 * so that f(t) = Σ v_i·L_i(t). Returns null when t is itself an n-th root of unity.
 */
export function lagrangeWeights(F: Field, t: Uint32Array, ti: number, n: number): Uint32Array | null {
  const roots = F.rootPowers(n);
  const d = F.vec(n);
  for (let i = 0; i < n; i++) {
    F.sub(d, i, t, ti, roots, i);
    if (F.isZero(d, i)) return null;
  }
  const weights = F.vec(n);
  batchInvert(F, d, n, weights);
  // scale = (t^n − 1) / n
  const scale = F.vec(2);
  F.pow(scale, 0, t, ti, BigInt(n));
  F.set(scale, 1, 1n);
  F.sub(scale, 0, scale, 0, scale, 1);
  F.set(scale, 1, BigInt(n));
  F.inv(scale, 1, scale, 1);
  F.mul(scale, 0, scale, 0, scale, 1);
  for (let i = 0; i < n; i++) {
    F.mul(weights, i, weights, i, roots, i);
    F.mul(weights, i, weights, i, scale, 0);
  }
  return weights;
}

/** Σ_i vals[off + i]·weights[i] for i < n. */
export function dot(F: Field, vals: Uint32Array, off: number, weights: Uint32Array, n: number, out: Uint32Array, oi: number): void {
  const t = F.vec(2);
  for (let i = 0; i < n; i++) {
    F.mul(t, 0, vals, off + i, weights, i);
    F.add(t, 1, t, 1, t, 0);
  }
  F.copy(out, oi, t, 1);
}

/** f(t) from the n evaluations at the n-th roots of unity, by interpolation and Horner's rule (any t). */
export function evalByInterpolation(F: Field, vals: Uint32Array, off: number, n: number, t: Uint32Array, ti: number, out: Uint32Array, oi: number): void {
  const c = F.vec(n);
  for (let i = 0; i < n; i++) F.copy(c, i, vals, off + i);
  ntt(F, c, 0, n, true);
  const acc = F.vec(1);
  for (let i = n - 1; i >= 0; i--) {
    F.mul(acc, 0, acc, 0, t, ti);
    F.add(acc, 0, acc, 0, c, i);
  }
  F.copy(out, oi, acc, 0);
}
