/**
 * One numeric mechanism's report moments against the closed forms (shared by the fast and slow suites).
 * Tolerances, N draws per point, false failure ~1e-5 per check (normal approximation, N large):
 *   mean:     |mean - t| <= 4.42 · σ/√N                     (σ² the closed-form variance)
 *   variance: |s² - σ²| <= 4.42 · sqrt((m4 - s⁴(N-3)/(N-1))/N)   (the exact Var(s²) = μ4/N - σ⁴(N-3)/(N(N-1)),
 *             with the sample moments in place of μ4 and σ⁴)
 */
import { seededRng } from '@pinhole/core/seeded';
import { expect } from 'vitest';
import { NUMERIC_MECHANISMS, type NumericName } from '../src/index.js';

const Z = 4.42; // two-sided 1e-5

export function checkNumericMoments(name: NumericName, epsilon: number, t: number, N: number, seed: string): void {
  const m = NUMERIC_MECHANISMS[name]({ epsilon, allowInsecureRng: true });
  const rng = seededRng(`${seed}/${name}/${epsilon}/${t}`);
  const xs = new Float64Array(N);
  let sum = 0;
  for (let i = 0; i < N; i++) {
    const x = m.unbias(m.perturb(t, rng));
    xs[i] = x;
    sum += x;
  }
  const mean = sum / N;
  let m2 = 0;
  let m4 = 0;
  for (let i = 0; i < N; i++) {
    const d = (xs[i] as number) - mean;
    m2 += d * d;
    m4 += d * d * d * d;
  }
  const s2 = m2 / (N - 1);
  m4 /= N;
  const sigma2 = m.reportVariance(t);
  expect(Math.abs(mean - t), `${name} eps=${epsilon} t=${t} mean ${mean}`).toBeLessThanOrEqual(Z * Math.sqrt(sigma2 / N));
  expect(Math.abs(s2 - sigma2), `${name} eps=${epsilon} t=${t} variance ${s2} vs ${sigma2}`).toBeLessThanOrEqual(Z * Math.sqrt((m4 - (s2 * s2 * (N - 3)) / (N - 1)) / N));
  expect(m.variance(1000, t)).toBeCloseTo(sigma2 / 1000, 15);
}
