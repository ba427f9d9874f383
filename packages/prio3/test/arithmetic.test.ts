/** Field64/Field128 against bigint arithmetic, and the polynomial machinery against direct evaluation. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Field128, Field64, type Field } from '../src/index.js';
import { completeLastEvaluation, doubleEvaluations, evalByInterpolation, ntt, queryWeights, weightBuffers, dot } from '../src/poly.js';

const fields: [string, Field][] = [
  ['Field64', Field64],
  ['Field128', Field128],
];

describe.each(fields)('%s', (_name, F) => {
  const p = F.modulus;
  const element = fc.oneof(fc.bigInt({ min: 0n, max: p - 1n }), fc.constantFrom(0n, 1n, 2n, p - 1n, p - 2n, (p - 1n) / 2n, 1n << 63n, (1n << 64n) % p, (1n << 96n) % p));
  const v = (x: bigint): Uint32Array => {
    const a = F.vec(1);
    F.set(a, 0, x);
    return a;
  };

  it('add, sub, mul and inv agree with bigint arithmetic mod p', () => {
    fc.assert(
      fc.property(element, element, (x, y) => {
        const a = v(x);
        const b = v(y);
        const o = F.vec(1);
        F.mul(o, 0, a, 0, b, 0);
        expect(F.toBigint(o, 0)).toBe((x * y) % p);
        F.add(o, 0, a, 0, b, 0);
        expect(F.toBigint(o, 0)).toBe((x + y) % p);
        F.sub(o, 0, a, 0, b, 0);
        expect(F.toBigint(o, 0)).toBe((((x - y) % p) + p) % p);
        if (x !== 0n) {
          F.inv(o, 0, a, 0);
          expect((F.toBigint(o, 0) * x) % p).toBe(1n);
        }
      }),
      { numRuns: 3000, seed: 7 },
    );
  });

  it('decodes little-endian elements below p, refuses p and above, and round-trips', () => {
    const bytes = new Uint8Array(F.encodedSize);
    let x = p - 1n;
    for (let i = 0; i < F.encodedSize; i++, x >>= 8n) bytes[i] = Number(x & 0xffn);
    const out = F.vec(1);
    expect(F.decodeInto(out, 0, bytes, 0, 1)).toBe(true);
    expect(F.toBigint(out, 0)).toBe(p - 1n);
    const back = new Uint8Array(F.encodedSize);
    F.encodeInto(back, 0, out, 0, 1);
    expect(back).toEqual(bytes);
    bytes[0] = (bytes[0] as number) + 1; // p itself
    expect(F.decodeInto(out, 0, bytes, 0, 1)).toBe(false);
  });

  it('has roots of unity of the orders the FLP uses', () => {
    for (const n of [2, 4, 64, 1024]) {
      const roots = F.rootPowers(n);
      const w = F.vec(1);
      F.pow(w, 0, roots, 1, BigInt(n));
      expect(F.toBigint(w, 0)).toBe(1n);
      F.pow(w, 0, roots, 1, BigInt(n / 2));
      expect(F.toBigint(w, 0)).toBe(p - 1n);
    }
  });

  it('interpolates, doubles, completes and evaluates polynomials exactly', () => {
    fc.assert(
      fc.property(fc.array(element, { minLength: 8, maxLength: 8 }), element, (coefficients, t) => {
        const n = 16;
        // f of degree 7: evaluations on the 8th roots, then doubled to the 16th roots
        const c = F.vec(8);
        coefficients.forEach((x, i) => F.set(c, i, x));
        const evals = c.slice();
        ntt(F, evals, 0, 8, false);
        const inv = evals.slice();
        ntt(F, inv, 0, 8, true);
        expect(inv).toEqual(c);
        const doubled = F.vec(n);
        doubleEvaluations(F, evals, 0, 8, doubled, 0);
        const roots = F.rootPowers(n);
        const horner = (x: bigint): bigint => coefficients.reduceRight((acc, k) => (acc * x + k) % p, 0n);
        for (let i = 0; i < n; i++) expect(F.toBigint(doubled, i)).toBe(horner(F.toBigint(roots, i)));
        // degree 7 <= n − 2: the last evaluation follows from the others
        const truncated = doubled.slice();
        truncated.fill(0, (n - 1) * F.words);
        completeLastEvaluation(F, truncated, 0, n);
        expect(truncated).toEqual(doubled);
        // at t: barycentric weights and interpolation agree with Horner
        const tv = v(t);
        const out = F.vec(2);
        evalByInterpolation(F, doubled, 0, n, tv, 0, out, 0);
        expect(F.toBigint(out, 0)).toBe(horner(t));
        const tp = F.vec(1);
        F.pow(tp, 0, tv, 0, 8n);
        if (F.toBigint(tp, 0) === 1n) return; // t on the 8th roots: excluded by the FLP
        const b = weightBuffers(F, 8);
        const gadgetOk = queryWeights(F, tv, 0, tp, 8, b);
        dot(F, evals, 0, b.wire, 8, out, 1);
        expect(F.toBigint(out, 1)).toBe(horner(t));
        if (gadgetOk) {
          dot(F, doubled, 0, b.gadget, n, out, 1);
          expect(F.toBigint(out, 1)).toBe(horner(t));
        }
      }),
      { numRuns: 200, seed: 11 },
    );
  });

  it('falls back when the test point is an odd 2p-th root of unity', () => {
    const roots = F.rootPowers(16);
    const t = F.vec(1);
    F.copy(t, 0, roots, 3);
    const tp = F.vec(1);
    F.pow(tp, 0, t, 0, 8n);
    expect(F.toBigint(tp, 0)).toBe(p - 1n);
    const b = weightBuffers(F, 8);
    expect(queryWeights(F, t, 0, tp, 8, b)).toBe(false);
    // the wire weights stay exact: f = 1 + x on the 8th roots evaluates to 1 + t
    const evals = F.vec(8);
    const eighth = F.rootPowers(8);
    for (let i = 0; i < 8; i++) F.add(evals, i, eighth, i, F.constant(1), 0);
    const out = F.vec(1);
    dot(F, evals, 0, b.wire, 8, out, 0);
    expect(F.toBigint(out, 0)).toBe((F.toBigint(t, 0) + 1n) % p);
  });
});
