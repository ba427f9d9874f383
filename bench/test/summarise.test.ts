import { studentTQuantile } from '@pinhole/core/stats';
import { describe, expect, it } from 'vitest';
import { summarise } from '../src/output.js';

describe('summarise', () => {
  it('gives the 95 % Student t interval of the mean at every trial count', () => {
    // published t(0.975, df) to 7 digits: not only the tabulated degrees of freedom
    const published: Record<number, number> = { 1: 12.7062047, 4: 2.7764451, 11: 2.2009852, 19: 2.0930241, 49: 2.0095752 };
    for (const [df, t] of Object.entries(published)) {
      expect(studentTQuantile(0.975, Number(df))).toBeCloseTo(t, 6);
      expect(studentTQuantile(0.025, Number(df))).toBeCloseTo(-t, 6);
      // n = df + 1 values, half 0 and half 2 (one 1 when odd): the half-width is t · s / √n
      const n = Number(df) + 1;
      const xs: number[] = Array.from({ length: n }, (_, i) => (n % 2 === 1 && i === n - 1 ? 1 : i % 2 === 0 ? 0 : 2));
      const mean = xs.reduce((a, b) => a + b, 0) / n;
      const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
      const s = summarise(xs, { signed: true });
      expect(s.hi - s.mean).toBeCloseTo((t * sd) / Math.sqrt(n), 5);
      expect(s.mean - s.lo).toBeCloseTo((t * sd) / Math.sqrt(n), 5);
    }
  });
});
