import { describe, expect, it } from 'vitest';
import { discreteGaussianVariance, zcdpDelta, zcdpToEpsilon } from '@pinhole/core';
import {
  calibrateThreshold,
  discreteGaussianNoise,
  discreteLaplaceNoise,
  makeGaussianThresholdSelection,
  makeLaplaceThresholdSelection,
  makeNoisyCountThreshold,
  skellamNoise,
} from '@pinhole/gate';
import { seededRng } from '@pinhole/core/testing';
import vectors from './vectors/gate-vectors.json' with { type: 'json' };
import { expectBinomial } from './helpers.js';

describe('noise tails against mpmath golden vectors', () => {
  it('discrete Laplace tail P[Z >= k] to 1e-12 relative', () => {
    for (const v of vectors.laplaceTail) {
      const t = discreteLaplaceNoise(v.scale).tail(v.k);
      expect(Math.abs(t - v.tail)).toBeLessThanOrEqual(1e-12 * v.tail);
    }
  });
  it('discrete Gaussian variance: the pmf’s below sigma 8, sigma^2 from 8 on', () => {
    expect(discreteGaussianNoise(0.7).variance).toBe(discreteGaussianVariance(0.7));
    expect(discreteGaussianNoise(3).variance).toBe(discreteGaussianVariance(3));
    expect(discreteGaussianNoise(9).variance).toBe(81);
    expect(Math.abs(discreteGaussianVariance(9) - 81)).toBeLessThan(1e-10);
  });
  it('discrete Gaussian tail P[Z >= k] to 1e-10 relative', () => {
    for (const v of vectors.gaussianTail) {
      const t = discreteGaussianNoise(v.sigma).tail(v.k);
      expect(Math.abs(t - v.tail)).toBeLessThanOrEqual(1e-10 * v.tail + 1e-300);
    }
  });
  it('Skellam tail P[Z >= k] to 1e-9 relative, or 1e-150 absolute beyond the table (Bessel I via mpmath)', () => {
    for (const v of vectors.skellamTail) {
      const t = skellamNoise(v.mu).tail(v.k);
      expect(Math.abs(t - v.tail), `mu=${v.mu} k=${v.k}`).toBeLessThanOrEqual(1e-9 * v.tail + 1e-150);
    }
    const s = skellamNoise(50);
    expect(s.variance).toBe(100);
    expect(s.tail(1) + s.tail(0)).toBeCloseTo(1, 14); // symmetric: P[Z >= 1] = P[Z <= -1]
  });
  it('calibrated thresholds equal the exact smallest thresholds', () => {
    for (const v of vectors.laplaceThreshold) expect(calibrateThreshold(discreteLaplaceNoise(v.scale), v.deltaPerBucket)).toBe(v.threshold);
    for (const v of vectors.gaussianThreshold) expect(calibrateThreshold(discreteGaussianNoise(v.sigma), v.deltaPerBucket)).toBe(v.threshold);
  });
});

describe('Laplace noisy threshold', () => {
  it.each([
    { epsilon: 1, delta: 1e-6, l0: 1 },
    { epsilon: 0.3, delta: 1e-9, l0: 3 },
  ])('one-contributor buckets pass with probability <= delta/l0 and the threshold is the smallest such: %o', (p) => {
    const s = makeLaplaceThresholdSelection(p);
    expect(s.noise.scale).toBeGreaterThanOrEqual(p.l0 / p.epsilon);
    expect(s.privacyLoss.epsilon).toBeLessThanOrEqual(p.epsilon);
    expect(s.privacyLoss.epsilon).toBeGreaterThan(p.epsilon * (1 - 1e-5)); // 20-bit rounding of the scale
    expect(s.privacyLoss.delta).toBe(p.delta);
    expect(s.zcdp).toBeNull();
    expect(s.releaseProbability(1)).toBeLessThanOrEqual(p.delta / p.l0);
    expect(s.noise.tail(s.threshold - 2)).toBeGreaterThan(p.delta / p.l0); // T - 1 would not do
    expect(s.releaseProbability(s.threshold)).toBeGreaterThan(0.5);
  });
});

describe('Gaussian noisy threshold', () => {
  it.each([
    { epsilon: 1, delta: 1e-6, l0: 1 },
    { epsilon: 0.5, delta: 1e-8, l0: 4, thresholdDeltaShare: 0.25 },
  ])('accounts (epsilon, delta) through zCDP and calibrates the threshold: %o', (p) => {
    const s = makeGaussianThresholdSelection(p);
    const share = p.thresholdDeltaShare ?? 0.5;
    const rho = s.zcdp?.rho as number;
    expect(rho).toBeCloseTo(p.l0 / (2 * s.noise.scale ** 2), 15);
    // the noise's epsilon at delta_noise is within the budget, and the conversion is core's
    expect(s.privacyLoss.epsilon).toBeLessThanOrEqual(p.epsilon);
    expect(s.privacyLoss.epsilon).toBeCloseTo(zcdpToEpsilon(rho, p.delta * (1 - share)), 12);
    expect(zcdpDelta(rho, p.epsilon)).toBeLessThanOrEqual(p.delta * (1 - share));
    expect(s.privacyLoss.delta).toBe(p.delta);
    expect(s.thresholdDelta).toBeCloseTo(p.delta * share, 20);
    expect(s.releaseProbability(1)).toBeLessThanOrEqual((p.delta * share) / p.l0);
    expect(s.noise.tail(s.threshold - 2)).toBeGreaterThan((p.delta * share) / p.l0);
  });
});

describe('empirical release rates match releaseProbability(n)', () => {
  // Each case: releaseProbability(n) must lie in the Clopper-Pearson interval of the observed rate
  // at level 1 - 1e-5 (false-failure rate <= 1e-5 per case). delta is large here so that the
  // n = 1 probabilities are measurable with N = 50000.
  const laplace = makeLaplaceThresholdSelection({ epsilon: 1, delta: 0.05 });
  const gaussian = makeGaussianThresholdSelection({ epsilon: 1, delta: 0.05 });
  it.each([1, 2, 3, 4, 6])('Laplace, n = %i', (n) => {
    const rng = seededRng(`lap-rate-${n}`);
    const N = 50_000;
    let hits = 0;
    for (let i = 0; i < N; i++) if (laplace.select(n, rng)) hits++;
    expectBinomial(hits, N, laplace.releaseProbability(n), 1e-5, `laplace n=${n}`);
  });
  const skellam = makeNoisyCountThreshold({ noise: skellamNoise(12.5), noisePrivacyLoss: { epsilon: 1, delta: 0 }, thresholdDelta: 0.05 });
  it.each([1, 4, 8, 12])('Skellam (mu 12.5) noisy-count threshold, n = %i', (n) => {
    const rng = seededRng(`sk-rate-${n}`);
    const N = 50_000;
    let hits = 0;
    for (let i = 0; i < N; i++) if (skellam.select(n, rng)) hits++;
    expectBinomial(hits, N, skellam.releaseProbability(n), 1e-5, `skellam n=${n}`);
  });
  it.each([1, 3, 5, 7, 10])('Gaussian, n = %i', (n) => {
    const rng = seededRng(`gauss-rate-${n}`);
    const N = 50_000;
    let hits = 0;
    for (let i = 0; i < N; i++) if (gaussian.select(n, rng)) hits++;
    expectBinomial(hits, N, gaussian.releaseProbability(n), 1e-5, `gaussian n=${n}`);
  });
});

describe('thresholds on counts noised elsewhere', () => {
  it('calibrates from thresholdDelta, or reports the delta a given threshold implies', () => {
    const noise = discreteGaussianNoise(8);
    const a = makeNoisyCountThreshold({ noise, noisePrivacyLoss: { epsilon: 0.7, delta: 1e-7 }, thresholdDelta: 1e-7 });
    expect(a.threshold).toBe(calibrateThreshold(noise, 1e-7 * (1 - 2 ** -50)));
    expect(a.privacyLoss.epsilon).toBe(0.7);
    expect(a.privacyLoss.delta).toBeCloseTo(2e-7, 20);
    const b = makeNoisyCountThreshold({ noise, noisePrivacyLoss: { epsilon: 0.7, delta: 1e-7 }, threshold: a.threshold, l0: 2 });
    // l0 * P[Z >= T - 1], raised by the 1e-9 relative margin that covers the tail's float error
    expect(b.thresholdDelta).toBeGreaterThanOrEqual(2 * noise.tail(a.threshold - 1));
    expect(b.thresholdDelta).toBeLessThanOrEqual(2 * noise.tail(a.threshold - 1) * (1 + 2e-9));
    expect(b.passes(a.threshold)).toBe(true);
    expect(b.passes(a.threshold - 1)).toBe(false);
  });
});
