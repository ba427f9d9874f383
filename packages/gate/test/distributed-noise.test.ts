import { describe, expect, it } from 'vitest';
import { PrivacyAccountant } from '@pinhole/core';
import { discreteGaussianVariance } from '@pinhole/core/samplers';
import { rdpToEpsilon, skellamPrivacy } from '@pinhole/core/privacy';
import { expectPinholeError } from '@pinhole/core/testing';
import { binCounts, binPmf, chiSquareCritical, chiSquareStatistic, clopperPearson, twoSidedZ } from '@pinhole/core/stats';
import { seededRng } from '@pinhole/core/seeded';
import {
  type DistributedNoiseParams,
  boundCounts,
  clipL1,
  clipL2,
  clipLinf,
  countSensitivity,
  makeDistributedNoisePlan,
  makeGate,
  randomizedRound,
  roundedSensitivity,
  makeSkellamNoise,
  skellamTailBound,
} from '@pinhole/gate';

/**
 * The plans account for replace-one neighbours (the server counts the survivors): one client's
 * one-hot vector replaced by another differs in two coordinates, L2 sqrt(2) and L1 2.
 */
const REPLACE_ONE = { l2Sensitivity: Math.SQRT2, l1Sensitivity: 2 } as const;

const Z = twoSidedZ(1e-5); // 4.42: every z-test below fails a correct implementation w.p. ~1e-5

const skellam = (over: Partial<DistributedNoiseParams> = {}) =>
  makeDistributedNoisePlan({
    mechanism: 'skellam',
    epsilon: 1,
    delta: 1e-6,
    l2Sensitivity: 1,
    l1Sensitivity: 1,
    vectorLength: 16,
    expectedClients: 40,
    onShortfall: 'refuse',
    clientValueBounds: [0, 1],
    allowInsecureRng: true,
    ...over,
  });

/** pmf of Sk(mu) from the gate's exact tail. */
const skellamPmf = (mu: number) => {
  const d = makeSkellamNoise(mu);
  return (k: number) => d.tail(k) - d.tail(k + 1);
};

/**
 * Sample variance V of N iid draws with variance s2 and excess kurtosis g2:
 * Var(V) = s2^2 (2/(N-1) + g2/N); mean 0 with Var = s2/N. Both checked at Z standard deviations.
 */
function expectMoments(values: ArrayLike<number>, s2: number, g2: number, what: string): void {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += ((values[i] as number) - mean) ** 2;
  const v = ss / (n - 1);
  expect(Math.abs(mean), `${what}: mean`).toBeLessThan(Z * Math.sqrt(s2 / n));
  expect(Math.abs(v - s2), `${what}: variance ${v} vs ${s2}`).toBeLessThan(Z * s2 * Math.sqrt(2 / (n - 1) + Math.max(0, g2) / n));
}

/** Chi-square goodness of fit at false-failure rate 1e-5, bins expecting >= 20 draws. */
function expectLaw(values: ArrayLike<number>, pmf: (k: number) => number, lo: number, hi: number, what: string): void {
  const { starts, expected } = binPmf(pmf, lo, hi, values.length, 20);
  const stat = chiSquareStatistic(binCounts(values, starts), expected);
  expect(stat, `${what}: chi-square with ${starts.length - 1} df`).toBeLessThan(chiSquareCritical(starts.length - 1, 1e-5));
}

/** KLS 2021 Prop. 14 (two terms), written out independently of the module. */
function klsEpsilon(sigma: number, s: number, l2: number, d: number, delta: number): number {
  let tau = 0;
  for (let k = 1; k < s; k++) tau += Math.exp(-2 * Math.PI ** 2 * sigma ** 2 * (k / (k + 1)));
  tau *= 10;
  const rdp = (a: number) => Math.min((a * l2 ** 2) / (2 * s * sigma ** 2) + tau * d, (a / 2) * (l2 / (Math.sqrt(s) * sigma) + tau * Math.sqrt(d)) ** 2);
  return rdpToEpsilon(rdp, delta);
}

describe('Skellam plan: the sum of the clients’ shares', () => {
  it('is calibrated: promised epsilon <= target, within the 20-bit rounding of the share', () => {
    const p = skellam();
    expect(p.privacyLoss.epsilon).toBeLessThanOrEqual(1);
    expect(p.privacyLoss.epsilon).toBeGreaterThan(1 - 1e-4);
    expect(p.privacyLoss).toEqual(skellamPrivacy({ mu: 40 * p.shareParameter, ...REPLACE_ONE }, 1e-6));
    expect(p.shareVariance).toBe(2 * p.shareParameter);
    expect(p.plannedVariance).toBe(40 * 2 * p.shareParameter);
    expect(p.variance()).toBe(p.plannedVariance);
    expect(p.noise.variance).toBe(p.plannedVariance);
  });

  it('has the target variance and is exactly Sk(n·mu_c) (40 clients x 16 coordinates x 500 rounds)', () => {
    const p = skellam();
    const rng = seededRng('skellam-sum');
    const R = 500;
    const sums = new Float64Array(R * 16);
    const share = new Int32Array(16);
    for (let r = 0; r < R; r++) {
      for (let c = 0; c < 40; c++) {
        p.clientShare(rng, share);
        for (let j = 0; j < 16; j++) sums[r * 16 + j]! += share[j] as number;
      }
    }
    const mu = 40 * p.shareParameter;
    // Sk(mu) has excess kurtosis 1/(2 mu)
    expectMoments(sums, p.plannedVariance, 1 / (2 * mu), 'skellam sum');
    expectLaw(sums, skellamPmf(mu), -Math.ceil(20 * Math.sqrt(mu)) - 20, Math.ceil(20 * Math.sqrt(mu)) + 20, 'skellam sum');
  });

  it('one client’s share is Sk(mu_c) per coordinate (Poisson splitting is exact)', () => {
    const p = skellam({ expectedClients: 4 });
    const rng = seededRng('skellam-share');
    const values = new Float64Array(8000 * 16);
    const share = new Int32Array(16);
    for (let r = 0; r < 8000; r++) {
      p.clientShare(rng, share);
      values.set(share, r * 16);
    }
    expectLaw(values, skellamPmf(p.shareParameter), -60, 60, 'skellam share');
    expectMoments(values, p.shareVariance, 1 / (2 * p.shareParameter), 'skellam share');
  });

  it('simulateSumNoise draws the same law directly (aggregate simulation)', () => {
    const p = skellam();
    const z = new Float64Array(8000 * 16);
    const rng = seededRng('skellam-direct');
    for (let r = 0; r < 8000; r++) z.set(p.simulateSumNoise(40, rng), r * 16);
    const mu = 40 * p.shareParameter;
    expectLaw(z, skellamPmf(mu), -200, 200, 'direct sum');
  });

  it('addShare adds the share to the bounded vector and refuses vectors outside the plan', () => {
    const p = skellam();
    const a = p.addShare([0, 1, ...new Array(14).fill(0)], seededRng('x'));
    const b = p.clientShare(seededRng('x'));
    expect(Array.from(a)).toEqual(Array.from(b).map((v, i) => v + (i === 1 ? 1 : 0)));
    expectPinholeError(() => p.addShare([1, 1, ...new Array(14).fill(0)], seededRng('x')), 'invalid_argument', 'vector'); // L2 = sqrt 2 > 1
    expectPinholeError(() => p.addShare([2, ...new Array(15).fill(0)], seededRng('x')), 'invalid_argument', 'vector[0]'); // above the bound
    expectPinholeError(() => p.addShare([-1, ...new Array(15).fill(0)], seededRng('x')), 'invalid_argument', 'vector[0]');
    expectPinholeError(() => p.addShare([0, 1], seededRng('x')), 'invalid_argument', 'vector');
  });
});

describe('distributed discrete Gaussian plan', () => {
  const ddg = (over: Partial<DistributedNoiseParams> = {}) => skellam({ mechanism: 'discrete_gaussian', ...over });

  it('meets the target by the KLS bound, sigma >= 1/2 per client', () => {
    const p = ddg();
    expect(p.shareParameter).toBeGreaterThanOrEqual(0.5);
    expect(p.privacyLoss.epsilon).toBeLessThanOrEqual(1);
    expect(p.privacyLoss.epsilon).toBeCloseTo(klsEpsilon(p.shareParameter, 40, REPLACE_ONE.l2Sensitivity, 16, 1e-6), 10);
    // the tau term is why the sum is not a discrete Gaussian: it is tiny here, and the bound
    // is at least the central discrete Gaussian's with the same total variance
    expect(p.privacyLoss.epsilon).toBeGreaterThan(klsEpsilon(p.shareParameter * Math.sqrt(40), 1, REPLACE_ONE.l2Sensitivity, 16, 1e-6) - 1e-12);
    // a share too small for the theorem is raised to 1/2 (more noise, never less)
    const tiny = ddg({ epsilon: 50, expectedClients: 4 });
    expect(tiny.shareParameter).toBe(0.5);
  });

  it('the sum of the shares has variance n·Var(N_Z(0, sigma_c^2)) (40 clients x 16 x 400)', () => {
    const p = ddg();
    const rng = seededRng('ddg-sum');
    const sums = new Float64Array(400 * 16);
    const share = new Int32Array(16);
    for (let r = 0; r < 400; r++) {
      for (let c = 0; c < 40; c++) {
        p.clientShare(rng, share);
        for (let j = 0; j < 16; j++) sums[r * 16 + j]! += share[j] as number;
      }
    }
    expect(p.plannedVariance).toBe(40 * discreteGaussianVariance(p.shareParameter));
    // a sum of 40 discrete Gaussians with sigma >= 1/2 has |excess kurtosis| < 0.1
    expectMoments(sums, p.plannedVariance, 0.1, 'ddg sum');
  });

  it('settles survivors with the KLS bound for that many summands, never above the promise', () => {
    const p = ddg({ minSurvivors: 30, onShortfall: 'top_up' });
    const promised = klsEpsilon(p.shareParameter, 30, REPLACE_ONE.l2Sensitivity, 16, 1e-6);
    for (const s of [30, 35, 40]) {
      expect(p.settle({ survivors: s }).privacyLoss.epsilon).toBeCloseTo(Math.min(promised, klsEpsilon(p.shareParameter, s, REPLACE_ONE.l2Sensitivity, 16, 1e-6)), 10);
    }
    const short = p.settle({ survivors: 20 });
    expect(short.status).toBe('topped_up');
    expect(short.privacyLoss).toEqual(p.privacyLoss);
    expect(short.serverPrivacyLoss.epsilon).toBeCloseTo(klsEpsilon(p.shareParameter, 20, REPLACE_ONE.l2Sensitivity, 16, 1e-6), 10);
  });
});

describe('settling a round for its survivors', () => {
  it('the loss of the sum is core’s skellamPrivacy at s·mu_c, computed independently', () => {
    const p = skellam({ minSurvivors: 30 });
    const acc = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-3 } });
    let previous = Infinity;
    for (const s of [30, 33, 36, 40]) {
      const st = p.settle({ survivors: s });
      const expected = skellamPrivacy({ mu: s * p.shareParameter, ...REPLACE_ONE }, 1e-6);
      expect(st.status).toBe('as_planned');
      expect(st.privacyLoss).toEqual(expected);
      expect(st.serverPrivacyLoss).toEqual(expected);
      expect(st.noiseVariance).toBe(s * p.shareVariance);
      expect(st.noise.variance).toBe(s * p.shareVariance);
      expect(st.privacyLoss.epsilon).toBeLessThanOrEqual(previous); // more survivors, more noise
      previous = st.privacyLoss.epsilon;
      const entry = st.spend(acc, `round s=${s}`);
      expect(entry.loss).toEqual(expected);
    }
    expect(p.settle({ survivors: 30 }).privacyLoss).toEqual(p.privacyLoss);
  });

  it('too many dropouts with onShortfall "refuse": refused, nothing spent, the gate refuses with noise_below_plan', () => {
    const p = skellam({ minSurvivors: 30 });
    const st = p.settle({ survivors: 29 });
    expect(st.status).toBe('refused');
    expect(st.noiseVariance).toBe(29 * p.shareVariance);
    expect(st.noiseVariance).toBeLessThan(p.plannedVariance);
    expect(st.privacyLoss.epsilon).toBeGreaterThan(p.privacyLoss.epsilon);
    expect(st.notes.length).toBe(1);
    const acc = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-3 } });
    expectPinholeError(() => st.spend(acc), 'invalid_state', 'settlement');
    expect(acc.entries()).toHaveLength(0);
    const sum = p.toRing(new Array(16).fill(3));
    expectPinholeError(() => p.finish(sum, st), 'invalid_state', 'settlement');
    const keys = Array.from({ length: 16 }, (_, i) => `b${i}`);
    const gate = makeGate({ selection: st.selection({ thresholdDelta: 1e-6 }), domain: keys });
    const counts = Object.fromEntries(keys.map((k, i) => [k, Array.from(p.fromRing(sum))[i] as number]));
    const release = gate.decide(counts, { accountant: acc });
    expect(release.status).toBe('refused');
    expect(release.refusal?.reason).toBe('noise_below_plan');
    expect(release.released).toHaveLength(0);
    expect(acc.entries()).toHaveLength(0);
  });

  it('with onShortfall "top_up" the server adds the missing shares and the released noise has the promised law', () => {
    const p = skellam({ minSurvivors: 30, onShortfall: 'top_up' });
    const st = p.settle({ survivors: 22 });
    expect(st.status).toBe('topped_up');
    expect(st.privacyLoss).toEqual(p.privacyLoss);
    expect(st.serverPrivacyLoss).toEqual(skellamPrivacy({ mu: 22 * p.shareParameter, ...REPLACE_ONE }, 1e-6));
    expect(st.topUpVariance).toBe(8 * p.shareVariance);
    expect(st.noiseVariance).toBe(p.plannedVariance);
    // 22 survivors' shares through the modular sum, then finish: noise - truth must be Sk(30 mu_c)
    const rng = seededRng('top-up');
    const R = 1500;
    const noise = new Float64Array(R * 16);
    const truth = Array.from({ length: 16 }, (_, j) => j % 3);
    const mod = 2 ** p.modulusBits;
    // the first clients are one-hot in the buckets of the true counts, the rest contribute zeros
    const owners = truth.flatMap((t, j) => new Array<number>(t).fill(j));
    for (let r = 0; r < R; r++) {
      const acc = new Uint32Array(16);
      for (let c = 0; c < 22; c++) {
        const x = new Array(16).fill(0);
        if (c < owners.length) x[owners[c] as number] = 1;
        const y = p.toRing(p.addShare(x, rng));
        for (let j = 0; j < 16; j++) acc[j] = ((acc[j] as number) + (y[j] as number)) % mod;
      }
      const out = p.finish(acc, st, { rng });
      expect(out.topUp).not.toBeNull();
      for (let j = 0; j < 16; j++) noise[r * 16 + j] = (out.values[j] as number) - (truth[j] as number);
    }
    const mu = 30 * p.shareParameter;
    expectMoments(noise, p.plannedVariance, 1 / (2 * mu), 'topped-up noise');
    expectLaw(noise, skellamPmf(mu), -200, 200, 'topped-up noise');
  });

  it('the gate releases a settled sum with the loss that accounts for the survivors', () => {
    const p = skellam({ epsilon: 4, minSurvivors: 30 });
    const st = p.settle({ survivors: 36 });
    const sel = st.selection({ thresholdDelta: 1e-6 });
    expect(sel.noise.variance).toBe(36 * p.shareVariance);
    expect(sel.privacyLoss.epsilon).toBe(st.privacyLoss.epsilon);
    expect(sel.privacyLoss.delta).toBeCloseTo(1e-6 + 1e-6, 18);
    const acc = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-3 } });
    const keys = ['a', 'b'];
    const release = makeGate({ selection: sel, domain: keys }).decide({ a: 36, b: 0 }, { accountant: acc });
    expect(release.status).toBe('released');
    expect(release.released.map((b) => b.key)).toEqual(['a']);
    expect(acc.entries()[0]?.loss).toEqual(sel.privacyLoss);
  });
});

describe('more survivors than planned (s >> m): the loss is at most the planned one', () => {
  // Shares sized for m = 100 of 1000 clients. The KLS bound for s summands grows with s through
  // its tau term (1.86 at s = 900 against the promised 1.498), but a sum of s >= m shares is a sum
  // of m shares plus independent noise: post-processing, so the loss is at most the bound at m.
  const base = { epsilon: 1.5, delta: 1e-6, l2Sensitivity: 1, l1Sensitivity: 1, vectorLength: 16, expectedClients: 1000, minSurvivors: 100 } as const;
  const keys = Array.from({ length: 16 }, (_, i) => `b${i}`);

  for (const mechanism of ['discrete_gaussian', 'skellam'] as const) {
    it(`${mechanism}: spend() fits a budget of epsilon 1.5 at s = 900 and 1000, and the gate publishes at most the promise`, () => {
      const p = skellam({ ...base, mechanism });
      expect(p.privacyLoss.epsilon).toBeLessThanOrEqual(1.5);
      for (const s of [100, 150, 900, 1000]) {
        const st = p.settle({ survivors: s });
        expect(st.status).toBe('as_planned');
        // the direct bound for s summands, computed independently of the settlement
        const direct = mechanism === 'skellam' ? skellamPrivacy({ mu: s * p.shareParameter, ...REPLACE_ONE }, 1e-6).epsilon : klsEpsilon(p.shareParameter, s, REPLACE_ONE.l2Sensitivity, 16, 1e-6);
        expect(st.privacyLoss.epsilon).toBeCloseTo(Math.min(direct, p.privacyLoss.epsilon), 12);
        expect(st.privacyLoss.epsilon).toBeLessThanOrEqual(p.privacyLoss.epsilon);
        expect(st.privacyLoss.delta).toBe(1e-6);
        expect(st.serverPrivacyLoss).toEqual(st.privacyLoss);
        const acc = new PrivacyAccountant({ budget: { epsilon: 1.5, delta: 1e-5 } });
        expect(st.spend(acc, `round s=${s}`).loss).toEqual(st.privacyLoss);
        const gate = makeGate({ selection: st.selection({ thresholdDelta: 1e-6 }), domain: keys });
        const counts = Object.fromEntries(keys.map((k) => [k, 0]));
        const release = gate.decide(counts);
        expect(release.privacyLoss?.epsilon).toBe(st.privacyLoss.epsilon);
        expect(release.privacyLoss?.epsilon).toBeLessThanOrEqual(p.privacyLoss.epsilon);
      }
      if (mechanism === 'discrete_gaussian') {
        // the case found in review: the bound at s summands exceeds the promise
        expect(klsEpsilon(p.shareParameter, 900, REPLACE_ONE.l2Sensitivity, 16, 1e-6)).toBeGreaterThan(1.5);
        expect(p.settle({ survivors: 900 }).privacyLoss).toEqual(p.privacyLoss);
      }
    });
  }
});

describe('modulus bits, wrap-around and signed decoding', () => {
  it('chooses the fewest bits whose wrap bound meets the target, and the exact wrap probability is below it', () => {
    for (const over of [{}, { expectedClients: 1000, vectorLength: 300 }, { wrapProbability: 1e-3 }, { clientValueBounds: [-2, 3] as const, l2Sensitivity: 3, l1Sensitivity: 9 }]) {
      const p = skellam(over);
      const n = p.expectedClients;
      const mu = n * p.shareParameter;
      const [lo, hi] = p.clientValueBounds;
      const exact = makeSkellamNoise(mu);
      const wrap = (b: number) => p.vectorLength * (exact.tail(2 ** (b - 1) - n * hi) + exact.tail(2 ** (b - 1) + 1 + n * lo));
      const chernoff = (b: number) => p.vectorLength * (skellamTailBound(mu, 2 ** (b - 1) - n * hi) + skellamTailBound(mu, 2 ** (b - 1) + 1 + n * lo));
      const b = p.modulusBits;
      expect(p.wrapBound).toBeLessThanOrEqual(p.wrapProbability);
      expect(p.wrapBound).toBeCloseTo(chernoff(b), 20);
      expect(wrap(b)).toBeLessThanOrEqual(p.wrapBound * (1 + 1e-9)); // the Chernoff bound bounds the exact tails
      expect(chernoff(b - 1) > p.wrapProbability || 2 ** (b - 2) - 1 < n * hi).toBe(true); // b - 1 would not do
    }
  });

  it('the empirical wrap rate stays below the bound (loose target 0.2, 2000 rounds, Clopper-Pearson at 1e-5)', () => {
    // noise far wider than the data range (epsilon 0.14, 4 clients), so wrapping is frequent enough to see
    const p = skellam({ epsilon: 0.14, expectedClients: 4, vectorLength: 4, wrapProbability: 0.2 });
    const rng = seededRng('wrap');
    const b = p.modulusBits;
    const h = 2 ** (b - 1);
    let wraps = 0;
    const R = 2000;
    for (let r = 0; r < R; r++) {
      // coordinate 0 at the largest true sum (every client one-hot there), the others at 0
      const z = p.simulateSumNoise(4, rng);
      const v = Array.from(z, (x, j) => x + (j === 0 ? 4 : 0));
      const decoded = Array.from(p.fromRing(p.toRing(v)));
      const out = v.some((x) => x >= h || x < -h);
      if (out) wraps++;
      // decoding is exact in range and off by exactly 2^b outside it
      v.forEach((x, j) => expect(decoded[j]).toBe(x >= h ? x - 2 * h : x < -h ? x + 2 * h : x));
    }
    expect(wraps).toBeGreaterThan(0); // the loose target makes wrapping visible
    // the bound must not be significantly below the observed rate (one side of the interval)
    const { lower } = clopperPearson(wraps, R, 1e-5, 'two_sided');
    expect(lower, `${wraps}/${R} wraps vs bound ${p.wrapBound}`).toBeLessThanOrEqual(p.wrapBound);
  });

  it('fromRing maps [2^(b-1), 2^b) to negatives, exactly at the edges, and round-trips toRing', () => {
    const p = skellam({ vectorLength: 6 });
    const b = p.modulusBits;
    const h = 2 ** (b - 1);
    expect(Array.from(p.fromRing([0, 1, h - 1, h, 2 ** b - 1, h + 1]))).toEqual([0, 1, h - 1, -h, -1, -h + 1]);
    expect(Array.from(p.toRing([0, -1, h - 1, -h, 5, -5]))).toEqual([0, 2 ** b - 1, h - 1, h, 5, 2 ** b - 5]);
    const rng = seededRng('round-trip');
    for (let i = 0; i < 200; i++) {
      const v = Array.from({ length: 6 }, () => rng.int(2 * h) - h);
      expect(Array.from(p.fromRing(p.toRing(v)))).toEqual(v);
      // sums wrap mod 2^b and map back to the signed sum when it is in range
      const w = Array.from({ length: 6 }, () => rng.int(h) - Math.floor(h / 2));
      const x = v.map((a, j) => Math.max(-h, Math.min(h - 1, a)) - (w[j] as number));
      const ex = p.toRing(x);
      const ew = p.toRing(w);
      const s = Array.from(ex, (a, j) => (a + (ew[j] as number)) % 2 ** b);
      const expected = x.map((a, j) => a + (w[j] as number));
      const decoded = Array.from(p.fromRing(s));
      expected.forEach((e, j) => {
        if (e >= -h && e < h) expect(decoded[j]).toBe(e);
      });
    }
  });
});

describe('contribution bounding', () => {
  it('boundCounts caps each bucket and keeps a uniform maxTotal of the units (unbiased thinning)', () => {
    const rng = seededRng('bound');
    const R = 20000;
    const sums = [0, 0, 0, 0];
    for (let r = 0; r < R; r++) {
      const x = boundCounts([5, 2, 0, 1], { maxTotal: 3, maxPerBucket: 4 }, rng);
      let t = 0;
      x.forEach((v, i) => {
        expect(v).toBeLessThanOrEqual(Math.min(4, [5, 2, 0, 1][i] as number));
        t += v;
        sums[i]! += v;
      });
      expect(t).toBe(3);
    }
    // after capping, [4, 2, 0, 1]: each of the 7 units survives w.p. 3/7; the bucket totals are
    // hypergeometric with Var = m·(K/N)(1-K/N)(N-m)/(N-1), N = 7, m = 3
    [4, 2, 0, 1].forEach((k, i) => {
      const mean = (3 * k) / 7;
      const v = (3 * (k / 7) * (1 - k / 7) * 4) / 6;
      expect(Math.abs((sums[i] as number) / R - mean)).toBeLessThanOrEqual(Z * Math.sqrt(v / R) + 1e-12);
    });
    expect(Array.from(boundCounts([1, 2], { maxTotal: 10, maxPerBucket: 10 }, rng))).toEqual([1, 2]);
  });

  it('countSensitivity is the largest norm of a bounded count vector', () => {
    expect(countSensitivity({ maxTotal: 1, maxPerBucket: 1 })).toEqual({ l1Sensitivity: 1, l2Sensitivity: 1 });
    expect(countSensitivity({ maxTotal: 7, maxPerBucket: 3 })).toEqual({ l1Sensitivity: 7, l2Sensitivity: Math.sqrt(9 + 9 + 1) });
    expect(countSensitivity({ maxTotal: 4, maxPerBucket: 10 })).toEqual({ l1Sensitivity: 4, l2Sensitivity: 4 });
  });

  it('clipping scales down to the bound and leaves vectors within it alone', () => {
    expect(Array.from(clipL2([3, 4], 1))).toEqual([0.6, 0.8]);
    expect(Array.from(clipL2([0.3, 0.4], 1))).toEqual([0.3, 0.4]);
    expect(Array.from(clipL1([3, -1], 2))).toEqual([1.5, -0.5]);
    expect(Array.from(clipLinf([3, -5, 0.5], 1))).toEqual([1, -1, 0.5]);
  });

  it('randomized rounding is unbiased and moves each coordinate by less than one step', () => {
    const rng = seededRng('round');
    const x = [0.3, -1.75, 2, 0.999];
    const g = 0.5;
    const R = 20000;
    const sums = [0, 0, 0, 0];
    for (let r = 0; r < R; r++) {
      const y = randomizedRound(x, g, rng);
      y.forEach((v, i) => {
        expect(Math.abs(v - (x[i] as number) / g)).toBeLessThan(1);
        sums[i]! += v;
      });
    }
    x.forEach((v, i) => {
      const frac = v / g - Math.floor(v / g);
      const sd = Math.sqrt((frac * (1 - frac)) / R);
      expect(Math.abs((sums[i] as number) / R - v / g)).toBeLessThanOrEqual(Z * sd + 1e-12);
    });
    expect(roundedSensitivity({ l2Clip: 1, granularity: 0.01, vectorLength: 4 })).toEqual({ l2Sensitivity: 102, l1Sensitivity: 204 });
    expect(roundedSensitivity({ l2Clip: 1, l1Clip: 1.5, granularity: 0.5, vectorLength: 9 })).toEqual({ l2Sensitivity: 5, l1Sensitivity: 12 });
  });
});
