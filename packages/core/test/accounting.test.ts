import { describe, expect, it } from 'vitest';
import { PrivacyAccountant } from '@pinhole/core';
import {
  composeSequential,
  discreteGaussianDelta,
  discreteGaussianSigma,
  discreteGaussianPrivacy,
  discreteGaussianZcdp,
  laplacePrivacy,
  privacyLoss,
  pureToZcdp,
  rdpToEpsilon,
  skellamPrivacy,
  zcdpDelta,
  zcdpToEpsilon,
  zcdpToEpsilonClassic,
  zcdpRhoFor,
} from '@pinhole/core/privacy';
import { roundUpSignificant } from '@pinhole/core/exact';
import { gridStep } from './helpers.js';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';

// Reference values computed independently with SciPy: delta by bounded Brent minimisation of the
// CKS Prop. 12 objective over alpha (cross-checked on a 15,000-point log grid), epsilon by brentq on
// that delta; the discrete-Gaussian deltas by direct summation of CKS Thm. 7 in double precision.
const CDP_DELTA: [number, number, number][] = [
  [0.5, 4.0, 0.00019579541695772176],
  [0.1, 1.0, 0.008933245771818369],
  [0.01, 0.5, 3.505878060052395e-5],
  [2.0, 10.0, 4.872630732922507e-5],
];
const CDP_EPSILON: [number, number, number, number][] = [
  // rho, delta, epsilon (CKS), epsilon (classic rho + 2 sqrt(rho ln 1/delta))
  [0.5, 1e-5, 4.728386984943314, 5.298525912188081],
  [0.01, 1e-6, 0.6216926545596028, 0.7533844377699678],
  [2.0, 1e-9, 14.150147553874596, 14.875796157736083],
  [0.125, 1e-6, 2.4190931768671953, 2.753260884878466],
];
const DG_DELTA: [number, number, number][] = [
  [2.0, 1.0, 0.007248776845952581],
  [5.0, 0.5, 0.0004977630312883079],
  [1.0, 2.0, 0.02481105182252768],
];

describe('zCDP conversion (Canonne, Kamath, Steinke 2020)', () => {
  it.each(CDP_DELTA)('delta(rho=%f, epsilon=%f) matches the independent value', (rho, eps, want) => {
    expect(zcdpDelta(rho, eps) / want).toBeCloseTo(1, 6);
  });

  it.each(CDP_EPSILON)('epsilon(rho=%f, delta=%f) matches and beats the classic bound', (rho, delta, want, classic) => {
    const e = zcdpToEpsilon(rho, delta);
    expect(e / want).toBeCloseTo(1, 8);
    expect(e).toBeGreaterThanOrEqual(want - 1e-9); // rounded up, never down
    expect(zcdpToEpsilonClassic(rho, delta) / classic).toBeCloseTo(1, 12);
    expect(e).toBeLessThan(classic);
  });

  it('zcdpRhoFor inverts the conversion', () => {
    for (const [rho, delta, eps] of CDP_EPSILON.map(([r, d, e]) => [r, d, e] as const)) {
      expect(zcdpRhoFor(eps, delta) / rho).toBeCloseTo(1, 6);
      expect(zcdpToEpsilon(zcdpRhoFor(eps, delta), delta)).toBeLessThanOrEqual(eps * (1 + 1e-9));
    }
    expectPinholeError(() => zcdpRhoFor(0, 1e-6), 'invalid_argument', 'epsilon');
    expectPinholeError(() => zcdpRhoFor(1, 0), 'invalid_argument', 'delta');
  });

  it('zero rho costs nothing; pure DP maps to epsilon^2/2', () => {
    expect(zcdpDelta(0, 1)).toBe(0);
    expect(zcdpToEpsilon(0, 1e-6)).toBe(0);
    expect(pureToZcdp(2).rho).toBe(2);
  });
});

describe('privacy maps', () => {
  it.each(DG_DELTA)('discrete Gaussian sigma=%f epsilon=%f: exact delta (CKS Thm. 7)', (sigma, eps, want) => {
    expect(discreteGaussianDelta(sigma, eps, 1) / want).toBeCloseTo(1, 6);
    // The tight curve is never worse than the zCDP route.
    const { rho } = discreteGaussianZcdp({ sigma, l2Sensitivity: 1 });
    expect(discreteGaussianDelta(sigma, eps, 1)).toBeLessThanOrEqual(zcdpDelta(rho, eps));
  });

  it('discreteGaussianSigma is the smallest sigma on the exact curve (to its 12-bit grid), below the zCDP route', () => {
    for (const [eps, delta] of [
      [1, 1e-6],
      [0.5 / 6, 1e-6 / 6],
      [16 / 6, 1e-6 / 6],
      [0.1, 1e-9],
      [4, 1e-5],
      [1, 0.01],
    ] as const) {
      const sigma = discreteGaussianSigma(eps, delta);
      expect(discreteGaussianDelta(sigma, eps, 1)).toBeLessThanOrEqual(delta);
      // rounded up onto 12 significant bits: the grid point below does not meet the target
      expect(sigma).toBe(roundUpSignificant(sigma, 12));
      expect(discreteGaussianDelta(sigma - gridStep(sigma), eps, 1)).toBeGreaterThan(delta);
      // tighter than calibrating through zCDP and the CKS conversion
      expect(sigma).toBeLessThan(1 / Math.sqrt(2 * zcdpRhoFor(eps, delta)));
    }
    // the figure of issue 18 (Google's library: 4.227): the exact minimum 4.2308 at epsilon 1,
    // delta 1e-6, rounded up onto the 12-bit grid (steps of 2^-9 here)
    expect(discreteGaussianSigma(1, 1e-6)).toBe(4.232421875);
    // larger sensitivity needs proportionally more noise, about
    expect(discreteGaussianSigma(1, 1e-6, 3) / discreteGaussianSigma(1, 1e-6)).toBeGreaterThan(2.9);
    for (const bad of BAD_NUMBERS) expectPinholeError(() => discreteGaussianSigma(bad as number, 1e-6), 'invalid_argument', 'epsilon');
    for (const bad of [...BAD_NUMBERS, 0, 1]) expectPinholeError(() => discreteGaussianSigma(1, bad as number), 'invalid_argument', 'delta');
    expectPinholeError(() => discreteGaussianSigma(1, 1e-6, 1.5), 'invalid_argument', 'sensitivity');
  });

  it('discrete Gaussian zCDP is Δ²/(2σ²) and converts through CKS', () => {
    expect(discreteGaussianZcdp({ sigma: 4, l2Sensitivity: 2 }).rho).toBe(0.125);
    expect(discreteGaussianPrivacy({ sigma: 4, l2Sensitivity: 2 }, 1e-6).epsilon / 2.4190931768671953).toBeCloseTo(1, 8);
  });

  it('Skellam approaches the Gaussian with the same variance as mu grows, and is never below it', () => {
    // Variance 2mu = sigma^2. Its RDP has the Gaussian term alpha Δ²/(2σ²) plus a non-negative term
    // that vanishes as mu grows, so its epsilon is above the Gaussian's RDP-route epsilon and close to it.
    for (const mu of [50, 500, 5000]) {
      const sigma = Math.sqrt(2 * mu);
      const sk = skellamPrivacy({ mu, l2Sensitivity: 1 }, 1e-5).epsilon;
      const gaussRdp = rdpToEpsilon((a) => a / (2 * sigma * sigma), 1e-5);
      expect(sk).toBeGreaterThanOrEqual(gaussRdp);
      expect(sk / gaussRdp - 1).toBeLessThan(mu >= 500 ? 0.02 : 0.2);
    }
  });

  it('Laplace: epsilon = Δ1 / scale', () => {
    expect(laplacePrivacy({ scale: 2, l1Sensitivity: 1 })).toEqual({ epsilon: 0.5, delta: 0 });
  });
});

describe('sequential composition and the accountant', () => {
  it('adds exactly in decimal: 0.1 ten times is 1, 0.1 + 0.2 is 0.3', () => {
    expect(composeSequential(Array.from({ length: 10 }, () => privacyLoss(0.1)))).toEqual({ epsilon: 1, delta: 0 });
    expect(composeSequential([privacyLoss(0.1, 1e-7), privacyLoss(0.2, 2e-7)])).toEqual({ epsilon: 0.3, delta: 3e-7 });
  });

  it('accepts exact fits and refuses the first over-budget spend without recording it', () => {
    const acc = new PrivacyAccountant({ budget: { epsilon: 1, delta: 1e-6 }, now: () => 7 });
    for (let i = 0; i < 10; i++) acc.spend({ epsilon: 0.1, delta: 1e-7 }, `round ${i}`);
    expect(acc.spent()).toEqual({ epsilon: 1, delta: 1e-6 });
    expect(acc.remaining()).toEqual({ epsilon: 0, delta: 0 });
    expectPinholeError(() => acc.spend({ epsilon: 1e-12, delta: 0 }), 'budget_exceeded', 'loss');
    expectPinholeError(() => acc.spend({ epsilon: 0, delta: 1e-12 }), 'budget_exceeded', 'loss');
    expect(acc.entries()).toHaveLength(10);
    expect(acc.entries()[3]).toEqual({ label: 'round 3', loss: { epsilon: 0.1, delta: 1e-7 }, at: 7 });
    expect(acc.canSpend({ epsilon: 0, delta: 0 })).toBe(true);
  });

  it('composes zCDP spends by adding rho and converting with the delta left', () => {
    const acc = new PrivacyAccountant({ budget: { epsilon: 3, delta: 1e-6 } });
    acc.spend({ epsilon: 0.5, delta: 0 });
    acc.spend({ rho: 0.0625 });
    acc.spend({ rho: 0.0625 });
    // 0.5 + epsilon(rho = 0.125, delta = 1e-6) = 0.5 + 2.41909...
    expect(acc.spent().epsilon).toBeCloseTo(0.5 + 2.4190931768671953, 8);
    expect(acc.canSpend({ rho: 0.01 })).toBe(false);
    expectPinholeError(() => acc.spend({ rho: 0.01 }), 'budget_exceeded', 'loss');
    expect(acc.entries()).toHaveLength(3);
    // A zCDP spend cannot fit once the delta budget is used up.
    const tight = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-6 } });
    tight.spend({ epsilon: 0, delta: 1e-6 });
    expect(tight.canSpend({ rho: 1e-9 })).toBe(false);
  });

  it('sweeps bad input with codes and params', () => {
    for (const bad of BAD_NUMBERS) {
      expectPinholeError(() => privacyLoss(bad as number), 'invalid_argument', 'epsilon');
      if (bad !== undefined) expectPinholeError(() => privacyLoss(1, bad as number), 'invalid_argument', 'delta'); // undefined: the default 0
      expectPinholeError(() => zcdpDelta(bad as number, 1), 'invalid_argument', 'rho');
      expectPinholeError(() => zcdpDelta(1, bad as number), 'invalid_argument', 'epsilon');
      expectPinholeError(() => zcdpToEpsilon(1, bad as number), 'invalid_argument', 'delta');
      expectPinholeError(() => discreteGaussianZcdp({ sigma: bad as number, l2Sensitivity: 1 }), 'invalid_argument', 'sigma');
      expectPinholeError(() => skellamPrivacy({ mu: bad as number, l2Sensitivity: 1 }, 1e-6), 'invalid_argument', 'mu');
      expectPinholeError(() => new PrivacyAccountant({ budget: { epsilon: bad as number, delta: 0 } }), 'invalid_argument', 'budget.epsilon');
    }
    expectPinholeError(() => privacyLoss(-1), 'invalid_argument', 'epsilon');
    expectPinholeError(() => privacyLoss(1, 1), 'invalid_argument', 'delta');
    expectPinholeError(() => zcdpToEpsilon(1, 0), 'invalid_argument', 'delta');
    expectPinholeError(() => composeSequential('x' as never), 'invalid_argument', 'losses');
    expectPinholeError(() => composeSequential([{ epsilon: 1, delta: 2 }]), 'invalid_argument', 'losses[0].delta');
    expectPinholeError(() => rdpToEpsilon(3 as never, 1e-6), 'invalid_argument', 'rdp');
    expectPinholeError(() => discreteGaussianDelta(1, 1, 1.5), 'invalid_argument', 'sensitivity');
    expectPinholeError(() => laplacePrivacy({ scale: 0, l1Sensitivity: 1 }), 'invalid_argument', 'scale');
    expectPinholeError(() => new PrivacyAccountant(null as never), 'invalid_argument', 'options');
    const acc = new PrivacyAccountant({ budget: { epsilon: 1, delta: 0 } });
    expectPinholeError(() => acc.spend({ epsilon: NaN, delta: 0 }), 'invalid_argument', 'loss.epsilon');
    expectPinholeError(() => acc.spend({ rho: -1 }), 'invalid_argument', 'loss.rho');
    expectPinholeError(() => acc.spend(null as never), 'invalid_argument', 'loss');
    expectPinholeError(() => acc.spend({ epsilon: 0.1, delta: 0 }, 5 as never), 'invalid_argument', 'label');
    expect(acc.entries()).toHaveLength(0);
  });
});
