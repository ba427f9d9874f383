/** Post-processing: Norm-Sub is the simplex projection, clamp+normalise, hierarchy least squares. */
import { describe, expect, it } from 'vitest';
import { clampAndNormalize, hierarchyConsistency, normSub } from '../src/index.js';

describe('normSub', () => {
  it('returns the Euclidean projection onto the simplex (KKT conditions)', () => {
    const f = [0.5, -0.1, 0.3, 0.4, -0.05, 0.02];
    const x = normSub(f);
    expect(x.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // KKT: x_i = f_i - δ where x_i > 0, and f_i <= δ where x_i = 0, with one δ
    const deltas = f.map((v, i) => v - (x[i] as number)).filter((_, i) => (x[i] as number) > 0);
    const delta = deltas[0] as number;
    for (const dd of deltas) expect(dd).toBeCloseTo(delta, 12);
    f.forEach((v, i) => {
      if (x[i] === 0) expect(v).toBeLessThanOrEqual(delta + 1e-12);
    });
  });
  it('is no farther from any simplex point than the input (projection is non-expansive)', () => {
    const f = [0.9, 0.4, -0.3, 0.1];
    const x = normSub(f);
    const target = [0.6, 0.3, 0, 0.1];
    const dist = (a: ArrayLike<number>) => Math.hypot(...Array.from(a, (v, i) => v - (target[i] as number)));
    expect(dist(x)).toBeLessThanOrEqual(dist(f));
  });
  it('leaves a distribution unchanged and honours total', () => {
    expect(Array.from(normSub([0.2, 0.3, 0.5]))).toEqual([0.2, 0.3, 0.5].map((v) => expect.closeTo(v, 12)));
    expect(normSub([5, 1, -2], 10).reduce((a, b) => a + b, 0)).toBeCloseTo(10, 12);
  });
});

describe('clampAndNormalize', () => {
  it('zeroes negatives and rescales', () => {
    expect(Array.from(clampAndNormalize([0.6, -0.2, 0.2]))).toEqual([0.75, 0, 0.25]);
    expect(Array.from(clampAndNormalize([-1, -2]))).toEqual([0.5, 0.5]);
  });
});

describe('hierarchyConsistency', () => {
  /** Brute-force weighted least squares over the leaves (the free variables): solve the normal equations. */
  function bruteForce(levels: number[][], variances: number[]): number[][] {
    const leaves = (levels[levels.length - 1] as number[]).length;
    const A: number[][] = [];
    const w: number[] = [];
    const y: number[] = [];
    levels.forEach((lv, l) => {
      const span = leaves / lv.length;
      lv.forEach((val, i) => {
        const row = new Array<number>(leaves).fill(0);
        for (let c = i * span; c < (i + 1) * span; c++) row[c] = 1;
        A.push(row);
        w.push(1 / (variances[l] as number));
        y.push(val);
      });
    });
    // (Aᵀ W A) x = Aᵀ W y by Gaussian elimination
    const M = Array.from({ length: leaves }, (_, i) =>
      Array.from({ length: leaves + 1 }, (_, j) => {
        let s = 0;
        for (let r = 0; r < A.length; r++) s += (A[r]![i] as number) * (w[r] as number) * (j < leaves ? (A[r]![j] as number) : (y[r] as number));
        return s;
      }),
    );
    for (let c = 0; c < leaves; c++) {
      for (let r = c + 1; r < leaves; r++) {
        const k = (M[r]![c] as number) / (M[c]![c] as number);
        for (let j = c; j <= leaves; j++) M[r]![j]! -= k * (M[c]![j] as number);
      }
    }
    const x = new Array<number>(leaves).fill(0);
    for (let r = leaves - 1; r >= 0; r--) {
      let s = M[r]![leaves] as number;
      for (let j = r + 1; j < leaves; j++) s -= (M[r]![j] as number) * (x[j] as number);
      x[r] = s / (M[r]![r] as number);
    }
    return levels.map((lv) => {
      const span = leaves / lv.length;
      return lv.map((_, i) => x.slice(i * span, (i + 1) * span).reduce((a, b) => a + b, 0));
    });
  }

  for (const variances of [undefined, [4, 1, 0.5]] as const) {
    it(`equals the weighted least-squares solution (${variances ? 'per-level variances' : 'equal variances, Hay et al.'})`, () => {
      const levels = [[1.1], [0.3, 0.9], [0.2, 0.05, 0.5, 0.35]];
      const out = hierarchyConsistency(levels, variances ? { branching: 2, variances: [...variances] } : { branching: 2 });
      const bf = bruteForce(levels, variances ? [...variances] : [1, 1, 1]);
      out.forEach((lv, l) => lv.forEach((v, i) => expect(v).toBeCloseTo(bf[l]![i] as number, 10)));
      // consistent: every node is the sum of its children
      expect(out[0]![0] as number).toBeCloseTo((out[1]![0] as number) + (out[1]![1] as number), 12);
      expect(out[1]![1] as number).toBeCloseTo((out[2]![2] as number) + (out[2]![3] as number), 12);
    });
  }
});
