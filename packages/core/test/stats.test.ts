import { describe, expect, it } from 'vitest';
import { chiSquareCritical, clopperPearson, incompleteBeta, normalQuantile, twoSidedZ } from '@pinhole/core/stats';

// Reference values from SciPy (scipy.stats.chi2.ppf, norm.ppf, beta.ppf).
describe('test statistics', () => {
  it('normal quantiles', () => {
    expect(twoSidedZ(1e-5)).toBeCloseTo(4.417173413467605, 6);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 7);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232306167813, 6);
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    for (const bad of [-1e-300, 1 + 2 ** -52, NaN, '0.5']) expect(() => normalQuantile(bad as number)).toThrow(/"p"/);
  });

  it.each([
    [3, 21.107513466160444],
    [10, 35.564013941952396],
    [50, 95.96874847816385],
    [200, 283.0602538242421],
    [999, 1173.8503445158544],
  ])('chi-square(%i) upper 1e-4 quantile matches SciPy', (df, want) => {
    expect(chiSquareCritical(df, 1e-4) / want).toBeCloseTo(1, 8);
  });

  it('Clopper-Pearson bounds and the incomplete beta', () => {
    // scipy.stats.beta.ppf(0.025, 5, 16), beta.ppf(0.975, 6, 15)
    const ci = clopperPearson(5, 20, 0.05, 'two_sided');
    expect(ci.lower).toBeCloseTo(0.08657146910143461, 8);
    expect(ci.upper).toBeCloseTo(0.49104587170795744, 8);
    // one-sided at alpha is two-sided at 2 alpha
    const one = clopperPearson(5, 20, 0.025, 'one_sided');
    expect(one.lower).toBe(ci.lower);
    expect(one.upper).toBe(ci.upper);
    expect(clopperPearson(0, 10, 0.05, 'two_sided').lower).toBe(0);
    expect(clopperPearson(10, 10, 0.05, 'two_sided').upper).toBe(1);
    // k = 0: the one-sided upper bound solves (1 - p)^n = alpha
    expect(clopperPearson(0, 100, 0.05, 'one_sided').upper).toBeCloseTo(1 - 0.05 ** (1 / 100), 10);
    expect(() => clopperPearson(5, 20, 0.05, 'both' as never)).toThrow(/"sides"/);
    expect(() => clopperPearson(5, 20, 0.6, 'one_sided')).toThrow(/"alpha"/);
    expect(incompleteBeta(0.5, 2, 2)).toBeCloseTo(0.5, 12);
  });
});
