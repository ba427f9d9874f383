import { describe, expect, it } from 'vitest';
import { discreteGaussianVariance } from '@pinhole/core/samplers';
import { zcdpDelta, zcdpToEpsilon } from '@pinhole/core/privacy';
import {
  calibrateThreshold,
  makeDiscreteGaussianNoise,
  makeDiscreteLaplaceNoise,
  makeGaussianThresholdSelection,
  makeLaplaceThresholdSelection,
  makeDistributedNoisePlan,
  makeNoisyCountThreshold,
  makeSkellamNoise,
} from '@pinhole/gate';
import { referenceDiscreteGaussianDelta, referenceDiscreteGaussianSigma, referenceDiscreteGaussianTail } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import vectors from './vectors/gate-vectors.json' with { type: 'json' };
import { expectBinomial } from './helpers.js';

/** one-hot counts through distributed Skellam noise, 40 clients */
const PLAN = {
  mechanism: 'skellam',
  epsilon: 1,
  delta: 1e-6,
  l2Sensitivity: 1,
  l1Sensitivity: 1,
  vectorLength: 4,
  expectedClients: 40,
  onShortfall: 'refuse',
  clientValueBounds: [0, 1],
  allowInsecureRng: true,
} as const;

describe('noise tails against mpmath golden vectors', () => {
  it('discrete Laplace tail P[Z >= k] to 1e-12 relative', () => {
    for (const v of vectors.laplaceTail) {
      const t = makeDiscreteLaplaceNoise(v.scale).tail(v.k);
      expect(Math.abs(t - v.tail)).toBeLessThanOrEqual(1e-12 * v.tail);
    }
  });
  it('discrete Gaussian variance: the pmf’s below sigma 8, sigma^2 from 8 on', () => {
    expect(makeDiscreteGaussianNoise(0.7).variance).toBe(discreteGaussianVariance(0.7));
    expect(makeDiscreteGaussianNoise(3).variance).toBe(discreteGaussianVariance(3));
    expect(makeDiscreteGaussianNoise(9).variance).toBe(81);
    expect(Math.abs(discreteGaussianVariance(9) - 81)).toBeLessThan(1e-10);
  });
  it('discrete Gaussian tail P[Z >= k] to 1e-10 relative', () => {
    for (const v of vectors.gaussianTail) {
      const t = makeDiscreteGaussianNoise(v.sigma).tail(v.k);
      expect(Math.abs(t - v.tail)).toBeLessThanOrEqual(1e-10 * v.tail + 1e-300);
    }
  });
  it('Skellam tail P[Z >= k] to 1e-9 relative, or 1e-150 absolute beyond the table (Bessel I via mpmath)', () => {
    for (const v of vectors.skellamTail) {
      const t = makeSkellamNoise(v.mu).tail(v.k);
      expect(Math.abs(t - v.tail), `mu=${v.mu} k=${v.k}`).toBeLessThanOrEqual(1e-9 * v.tail + 1e-150);
    }
    const s = makeSkellamNoise(50);
    expect(s.variance).toBe(100);
    expect(s.tail(1) + s.tail(0)).toBeCloseTo(1, 14); // symmetric: P[Z >= 1] = P[Z <= -1]
  });
  it('calibrated thresholds equal the exact smallest thresholds', () => {
    for (const v of vectors.laplaceThreshold) expect(calibrateThreshold(makeDiscreteLaplaceNoise(v.scale), v.deltaPerBucket)).toBe(v.threshold);
    for (const v of vectors.gaussianThreshold) expect(calibrateThreshold(makeDiscreteGaussianNoise(v.sigma), v.deltaPerBucket)).toBe(v.threshold);
  });
});

/**
 * Buckets whose counts differ between neighbours: replace-one (the default) moves a contributor out
 * of up to l0 buckets and into up to l0 others, so c = 2·l0 (add/remove: l0).
 */
const changed = (p: { l0: number; neighbours?: 'replace_one' | 'add_remove' }) => (p.neighbours === 'add_remove' ? p.l0 : 2 * p.l0);

describe('Laplace noisy threshold', () => {
  it.each([
    { epsilon: 1, delta: 1e-6, l0: 1 },
    { epsilon: 0.3, delta: 1e-9, l0: 3 },
    { epsilon: 1, delta: 1e-6, l0: 2, neighbours: 'add_remove' as const },
  ])('one-contributor buckets pass with probability <= delta/c and the threshold is the smallest such: %o', (p) => {
    const s = makeLaplaceThresholdSelection(p);
    const c = changed(p);
    expect(s.neighbours).toBe(p.neighbours ?? 'replace_one');
    expect(s.noise.scale).toBeGreaterThanOrEqual(c / p.epsilon);
    expect(s.privacyLoss.epsilon).toBeLessThanOrEqual(p.epsilon);
    expect(s.privacyLoss.epsilon).toBeGreaterThan(p.epsilon * (1 - 1e-5)); // 20-bit rounding of the scale
    expect(s.privacyLoss.delta).toBe(p.delta);
    expect(s.zcdp).toBeNull();
    expect(s.releaseProbability(1)).toBeLessThanOrEqual(p.delta / c);
    expect(s.noise.tail(s.threshold - 2)).toBeGreaterThan(p.delta / c); // T - 1 would not do
    expect(s.releaseProbability(s.threshold)).toBeGreaterThan(0.5);
  });
});

describe('Gaussian noisy threshold', () => {
  it.each([
    { epsilon: 0.5, delta: 1e-8, l0: 4, thresholdDeltaShare: 0.25 },
    { epsilon: 1, delta: 1e-6, l0: 2, neighbours: 'add_remove' as const, thresholdDeltaShare: 0.5 },
  ])('several buckets per contributor: delta split as given, the noise through zCDP: %o', (p) => {
    const s = makeGaussianThresholdSelection(p);
    const c = changed(p);
    const share = p.thresholdDeltaShare;
    const rho = s.zcdp?.rho as number;
    expect(rho).toBeCloseTo(c / (2 * s.noise.scale ** 2), 15);
    // the noise's epsilon at delta_noise is within the budget, and the conversion is core's
    expect(s.privacyLoss.epsilon).toBeLessThanOrEqual(p.epsilon);
    expect(s.privacyLoss.epsilon).toBeCloseTo(zcdpToEpsilon(rho, p.delta * (1 - share)), 12);
    expect(zcdpDelta(rho, p.epsilon)).toBeLessThanOrEqual(p.delta * (1 - share));
    expect(s.privacyLoss.delta).toBe(p.delta);
    expect(s.thresholdDelta).toBeCloseTo(p.delta * share, 20);
    expect(s.releaseProbability(1)).toBeLessThanOrEqual((p.delta * share) / c);
    expect(s.noise.tail(s.threshold - 2)).toBeGreaterThan((p.delta * share) / c);
  });

  it('several buckets per contributor, no share given: the split with the smallest threshold', () => {
    const p = { epsilon: 1, delta: 1e-6, l0: 3 };
    const best = makeGaussianThresholdSelection(p);
    for (let i = 1; i < 64; i++) {
      const other = makeGaussianThresholdSelection({ ...p, thresholdDeltaShare: i / 64 });
      expect(best.threshold).toBeLessThanOrEqual(other.threshold);
      if (other.threshold === best.threshold) expect(best.noise.scale).toBeLessThanOrEqual(other.noise.scale);
    }
  });

  // One bucket per contributor: every neighbouring pair is one of a few cases, each checked here
  // with core's test reference (direct sums of the discrete Gaussian pmf, no code shared with the
  // calibration): q = P[1 + Z >= T] is the release probability of a bucket that exists only
  // because of the contributor; a bucket present on both sides moves by one.
  //   add/remove:  max(delta_1(sigma), q) <= delta
  //   replace-one: max(delta_swap(sigma), delta_1(sigma) + q, 2q) <= delta
  const exactCases = [0.25, 1, 4].flatMap((epsilon) => [1e-9, 1e-6].flatMap((delta) => (['replace_one', 'add_remove'] as const).map((neighbours) => ({ epsilon, delta, neighbours }))));
  it.each(exactCases)('one bucket per contributor, every case within delta by exact sums: %o', ({ epsilon, delta, neighbours }) => {
    const s = makeGaussianThresholdSelection({ epsilon, delta, neighbours });
    const sigma = s.noise.scale;
    expect(s.zcdp).toBeNull();
    expect(s.privacyLoss).toEqual({ epsilon, delta });
    const q = referenceDiscreteGaussianTail(sigma, s.threshold - 1);
    expect(s.releaseProbability(1) / q).toBeCloseTo(1, 9);
    const one = referenceDiscreteGaussianDelta(sigma, epsilon, [1]);
    if (neighbours === 'add_remove') {
      expect(one).toBeLessThanOrEqual(delta);
      expect(q).toBeLessThanOrEqual(delta);
      // tight: the next smaller threshold would release a lone contributor's bucket too often
      expect(referenceDiscreteGaussianTail(sigma, s.threshold - 2)).toBeGreaterThan(delta);
    } else {
      expect(referenceDiscreteGaussianDelta(sigma, epsilon, [1, -1])).toBeLessThanOrEqual(delta);
      expect(one + q).toBeLessThanOrEqual(delta);
      expect(2 * q).toBeLessThanOrEqual(delta);
      const below = referenceDiscreteGaussianTail(sigma, s.threshold - 2);
      expect(Math.max(one + below, 2 * below)).toBeGreaterThan(delta);
    }
    // sigma is the smallest on the noise's exact curve (to the 20-bit rounding)
    const curve = neighbours === 'add_remove' ? [1] : [1, -1];
    expect(sigma / referenceDiscreteGaussianSigma(epsilon, delta, curve)).toBeLessThanOrEqual(1.005);
  });

  it('epsilon 1, delta 1e-6: half the buckets of 22 contributors are released under add/remove (Google’s library needs 23), 31 under replace-one', () => {
    const users = (s: ReturnType<typeof makeGaussianThresholdSelection>, p: number) => {
      let n = 1;
      while (s.releaseProbability(n) < p) n++;
      return n;
    };
    const addRemove = makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-6, neighbours: 'add_remove' });
    expect(users(addRemove, 0.5)).toBeLessThanOrEqual(23);
    expect(users(addRemove, 0.5)).toBe(22);
    expect(users(addRemove, 0.99)).toBeLessThanOrEqual(33);
    const replaceOne = makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-6 });
    expect(users(replaceOne, 0.5)).toBe(31);
    expect(users(replaceOne, 0.99)).toBe(45);
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
  // counts noised by distributed Skellam shares: the settlement's noise is Sk(40 mu_c)
  const skellamPlan = makeDistributedNoisePlan(PLAN);
  const skellam = skellamPlan.settle({ survivors: 40 }).selection({ thresholdDelta: 0.05 });
  it('Skellam noisy-count threshold: the settlement’s noise', () => {
    expect(skellam.noise.name).toBe('skellam');
    expect(skellam.noise.scale).toBe(40 * skellamPlan.shareParameter);
    expect(skellam.threshold).toBeGreaterThan(6); // so the n below span the curve
  });
  const around: Record<string, number> = { '1': 1, 'T - 3': skellam.threshold - 3, T: skellam.threshold, 'T + 3': skellam.threshold + 3 };
  it.each(Object.keys(around))('Skellam noisy-count threshold, n = %s', (name) => {
    const n = around[name] as number;
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

describe('thresholds on counts noised by distributed noise (taken from the settlement)', () => {
  it('calibrates from thresholdDelta, or reports the delta a given threshold implies', () => {
    const plan = makeDistributedNoisePlan(PLAN);
    const st = plan.settle({ survivors: 40 });
    const a = makeNoisyCountThreshold({ settlement: st, thresholdDelta: 1e-7 });
    // one-hot counts: one client, one bucket, adding 1
    expect(a.l0).toBe(1);
    expect(a.noise).toBe(st.noise);
    expect(a.threshold).toBe(calibrateThreshold(st.noise, 1e-7 * (1 - 2 ** -50)));
    expect(a.privacyLoss.epsilon).toBe(st.privacyLoss.epsilon);
    expect(a.privacyLoss.delta).toBeCloseTo(1e-6 + 1e-7, 20);
    expect(a.refusal).toBeNull();
    expect(st.selection({ thresholdDelta: 1e-7 }).threshold).toBe(a.threshold);
    const b = makeNoisyCountThreshold({ settlement: st, threshold: a.threshold });
    // l0 * P[Z >= T - 1], raised by the 1e-9 relative margin that covers the tail's float error
    expect(b.thresholdDelta).toBeGreaterThanOrEqual(st.noise.tail(a.threshold - 1));
    expect(b.thresholdDelta).toBeLessThanOrEqual(st.noise.tail(a.threshold - 1) * (1 + 2e-9));
    expect(b.passes(a.threshold)).toBe(true);
    expect(b.passes(a.threshold - 1)).toBe(false);
  });

  it('accounts for what one client can add: at most l0 buckets, at most c in each (from the plan)', () => {
    // L1 4, L2 2, values in [0, 2]: (1,1,1,1) or (2,2,0,0) are the extremes -> l0 = 4, c = 2
    const plan = makeDistributedNoisePlan({ ...PLAN, l2Sensitivity: 2, l1Sensitivity: 4, vectorLength: 4, clientValueBounds: [0, 2] });
    const st = plan.settle({ survivors: 40 });
    const s = st.selection({ thresholdDelta: 1e-3 });
    expect(s.l0).toBe(4);
    expect(s.parameters.maxContribution).toBe(2);
    expect(4 * s.releaseProbability(2)).toBeLessThanOrEqual(1e-3);
    expect(s.threshold).toBe(calibrateThreshold(st.noise, (1e-3 / 4) * (1 - 2 ** -50)) + 1); // T - 1 would not do
    // a plan whose L2 caps a coordinate below its value bound: (3, 0, ...) has L2 3 > 2.5
    const capped = makeDistributedNoisePlan({ ...PLAN, l2Sensitivity: 2.5, l1Sensitivity: 3, vectorLength: 8, clientValueBounds: [-5, 5] });
    const c = capped.settle({ survivors: 40 }).selection({ thresholdDelta: 1e-3 });
    expect(c.l0).toBe(3);
    expect(c.parameters.maxContribution).toBe(2);
  });

  it('a refused settlement gives the planned noise, the promised loss and a refusal', () => {
    const plan = makeDistributedNoisePlan({ ...PLAN, minSurvivors: 30 });
    const st = plan.settle({ survivors: 29 });
    const s = st.selection({ thresholdDelta: 1e-6 });
    expect(s.refusal).toBe(st.message);
    expect(s.noise).toBe(plan.noise);
    expect(s.privacyLoss.epsilon).toBe(plan.privacyLoss.epsilon);
  });
});
