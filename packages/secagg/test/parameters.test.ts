/** SecAgg+ parameter choice and modulus sizing: bounds recomputed independently, minimality, bad inputs. */
import { describe, expect, it } from 'vitest';
import { chooseModulusBits, secAggPlusParameters } from '../src/index.js';
import { lnBinomialLowerTail, lnHypergeometricUpperTail } from '../src/parameters.js';

/** Plain-double reference (fine for n <= ~150, where every binomial coefficient fits a double). */
function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}
const binomLower = (n: number, p: number, t: number) => {
  let s = 0;
  for (let x = 0; x < t; x++) s += choose(n, x) * p ** x * (1 - p) ** (n - x);
  return s;
};
const hyperUpper = (N: number, K: number, d: number, m: number) => {
  let s = 0;
  for (let x = Math.max(m, 0); x <= Math.min(d, K); x++) s += (choose(K, x) * choose(N - K, d - x)) / choose(N, d);
  return s;
};

describe('tail bounds', () => {
  it('binomial and hypergeometric tails match direct summation', () => {
    for (const [n, p, t] of [
      [10, 0.3, 2],
      [57, 0.9, 32],
      [99, 0.7, 60],
      [20, 0.5, 21],
      [20, 0.5, 0],
    ] as const) {
      const ref = binomLower(n, p, t);
      const got = Math.exp(lnBinomialLowerTail(n, p, t));
      expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-12 * Math.max(ref, 1e-300) + 1e-300);
    }
    for (const [N, K, d, m] of [
      [99, 5, 56, 7],
      [99, 5, 56, 3],
      [149, 30, 40, 12],
      [50, 50, 10, 10],
      [50, 0, 10, 1],
    ] as const) {
      const ref = hyperUpper(N, K, d, m);
      const got = Math.exp(lnHypergeometricUpperTail(N, K, d, m));
      expect(Math.abs(got - ref)).toBeLessThanOrEqual(1e-12 * Math.max(ref, 1e-300) + 1e-300);
    }
  });
});

describe('secAggPlusParameters', () => {
  it('meets its targets, and the reported bounds are the formulas of the proof', () => {
    const n = 120;
    const delta = 0.1;
    const gamma = 0.05;
    const c = secAggPlusParameters({ n, dropoutRate: delta, corruptFraction: gamma });
    expect(c.graph).toBe('harary');
    expect(c.degree % 2).toBe(0);
    const H = c.degree + 1;
    expect(c.threshold).toBeGreaterThan(H / 2);
    const rho = gamma + delta - gamma * delta;
    const security = n * hyperUpper(n - 1, Math.floor(gamma * n), c.degree, 2 * c.threshold - H) + n * rho ** (c.degree / 2);
    const correctness = n * binomLower(H, 1 - delta, c.threshold);
    expect(c.securityFailure / Math.min(1, security)).toBeCloseTo(1, 9);
    expect(c.correctnessFailure / Math.min(1, correctness)).toBeCloseTo(1, 9);
    expect(c.securityFailure).toBeLessThanOrEqual(2 ** -40);
    expect(c.correctnessFailure).toBeLessThanOrEqual(2 ** -30);
    expect(c.securityBits).toBeCloseTo(-Math.log2(c.securityFailure), 9);
    // Minimal: no smaller even degree admits any threshold meeting both targets.
    for (let k = 2; k < c.degree; k += 2) {
      const h = k + 1;
      for (let t = Math.floor(h / 2) + 1; t <= h; t++) {
        const sec = n * hyperUpper(n - 1, Math.floor(gamma * n), k, 2 * t - h) + n * rho ** (k / 2);
        const cor = n * binomLower(h, 1 - delta, t);
        expect(sec <= 2 ** -40 && cor <= 2 ** -30, `k=${k} t=${t}`).toBe(false);
      }
    }
  });
  it('stronger targets or more dropouts need a larger degree', () => {
    const base = secAggPlusParameters({ n: 1000, dropoutRate: 0.1, corruptFraction: 0.05 });
    expect(secAggPlusParameters({ n: 1000, dropoutRate: 0.1, corruptFraction: 0.05, sigma: 80 }).degree).toBeGreaterThan(base.degree);
    expect(secAggPlusParameters({ n: 1000, dropoutRate: 0.2, corruptFraction: 0.05 }).degree).toBeGreaterThan(base.degree);
    expect(secAggPlusParameters({ n: 1000, dropoutRate: 0.1, corruptFraction: 0.2 }).degree).toBeGreaterThan(base.degree);
  });
  it('falls back to the complete graph, and throws when even that cannot reach the targets', () => {
    const c = secAggPlusParameters({ n: 1000, dropoutRate: 0.3, corruptFraction: 0.2 });
    expect(c.graph).toBe('complete');
    expect(c.degree).toBe(999);
    expect(c.threshold).toBeGreaterThan(0.5 * 1000 + (0.2 * 1000) / 2);
    expect(() => secAggPlusParameters({ n: 100, dropoutRate: 0.3, corruptFraction: 0.05 })).toThrow(/no degree and threshold/);
  });
  it('refuses bad parameters', () => {
    const ok = { n: 100, dropoutRate: 0.1, corruptFraction: 0.05 };
    const bad: [string, unknown][] = [
      ['n', NaN],
      ['n', 1],
      ['n', 2.5],
      ['n', Infinity],
      ['n', -0],
      ['n', 2 ** 21],
      ['n', '100'],
      ['dropoutRate', -0.1],
      ['dropoutRate', 1],
      ['dropoutRate', NaN],
      ['dropoutRate', -0],
      ['dropoutRate', Infinity],
      ['dropoutRate', null],
      ['corruptFraction', 1],
      ['corruptFraction', -1],
      ['corruptFraction', NaN],
      ['corruptFraction', undefined],
      ['sigma', 0],
      ['sigma', -1],
      ['sigma', NaN],
      ['sigma', Infinity],
      ['eta', 0],
      ['eta', NaN],
      ['eta', 1e9],
    ];
    for (const [param, value] of bad) {
      expect(() => secAggPlusParameters({ ...ok, [param]: value }), `${param}=${String(value)}`).toThrow(expect.objectContaining({ code: 'invalid_argument', param }));
    }
    expect(() => secAggPlusParameters(null as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'params' }));
  });
});

describe('chooseModulusBits', () => {
  it('is the fewest bits that hold n * maxValue', () => {
    expect(chooseModulusBits({ n: 1, maxValue: 0 })).toBe(1);
    expect(chooseModulusBits({ n: 1, maxValue: 1 })).toBe(1);
    expect(chooseModulusBits({ n: 2, maxValue: 1 })).toBe(2);
    expect(chooseModulusBits({ n: 1000, maxValue: 1000 })).toBe(20);
    expect(chooseModulusBits({ n: 1024, maxValue: 1024 })).toBe(21);
    expect(chooseModulusBits({ n: 65536, maxValue: 65535 })).toBe(32);
    for (const [n, maxValue] of [
      [3, 5],
      [10_000, 1000],
      [7, 2 ** 29],
    ] as const) {
      const b = chooseModulusBits({ n, maxValue });
      expect(n * maxValue).toBeLessThan(2 ** b);
      expect(n * maxValue).toBeGreaterThanOrEqual(2 ** (b - 1));
    }
  });
  it('refuses sums that need more than 32 bits and bad parameters', () => {
    expect(() => chooseModulusBits({ n: 65537, maxValue: 65536 })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'maxValue' }));
    for (const [param, value] of [
      ['n', 0],
      ['n', NaN],
      ['n', 1.5],
      ['n', -0],
      ['n', Infinity],
      ['maxValue', -1],
      ['maxValue', 0.5],
      ['maxValue', NaN],
      ['maxValue', '3'],
    ] as const) {
      expect(() => chooseModulusBits({ n: 10, maxValue: 10, [param]: value })).toThrow(expect.objectContaining({ code: 'invalid_argument', param }));
    }
    expect(() => chooseModulusBits(undefined as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'params' }));
  });
});
