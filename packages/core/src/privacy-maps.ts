/**
 * Privacy maps: what a noise of a given size costs, and the smallest noise for a stated
 * (epsilon, delta). Zero-concentrated DP with the conversion of Canonne, Kamath and Steinke
 * (NeurIPS 2020, Prop. 12); the exact (epsilon, delta) curves of the discrete Gaussian (CKS 2020,
 * Thm. 7, and the replace-one pair of counts); Rényi DP of the Skellam mechanism (Agarwal, Kairouz,
 * Liu, NeurIPS 2021, Thm. 3.5) and of the distributed discrete Gaussian (Kairouz, Liu, Steinke,
 * ICML 2021, Prop. 14). The ledger that adds spends up is accounting.ts. Proofs: privacy-maps.proof.md.
 */
import { roundUpSignificant } from './rational.js';
import { checkNumber, checkObject, invalid } from './validate.js';

export interface PrivacyLoss {
  readonly epsilon: number;
  readonly delta: number;
}

/** A loss in zero-concentrated DP: rho-zCDP. */
export interface ZcdpLoss {
  readonly rho: number;
}

/** Pure epsilon-DP implies (epsilon^2 / 2)-zCDP (Bun and Steinke 2016, Prop. 1.4). */
export function pureToZcdp(epsilon: number): ZcdpLoss {
  checkNumber('epsilon', epsilon, { ge: 0 });
  return { rho: (epsilon * epsilon) / 2 };
}

/**
 * The smallest delta for which rho-zCDP implies (epsilon, delta)-DP by CKS 2020, Prop. 12:
 * delta = inf_{alpha > 1} exp((alpha-1)(alpha·rho - epsilon)) / (alpha-1) · (1 - 1/alpha)^alpha.
 */
export function zcdpDelta(rho: number, epsilon: number): number {
  checkNumber('rho', rho, { ge: 0 });
  checkNumber('epsilon', epsilon, { ge: 0 });
  if (rho === 0) return 0;
  // The objective's log is convex in alpha; its derivative is (2 alpha - 1) rho - epsilon + log(1 - 1/alpha).
  let lo = 1.0000001;
  let hi = Math.max(2, (epsilon + 1) / (2 * rho) + 2);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    const derivative = (2 * mid - 1) * rho - epsilon + Math.log1p(-1 / mid);
    if (derivative < 0) lo = mid;
    else hi = mid;
  }
  const alpha = (lo + hi) / 2;
  const logDelta = (alpha - 1) * (alpha * rho - epsilon) + alpha * Math.log1p(-1 / alpha) - Math.log(alpha - 1);
  return Math.min(1, Math.exp(logDelta));
}

/** The smallest epsilon (to 1e-12 relative, rounded up) for which rho-zCDP gives (epsilon, delta)-DP. */
export function zcdpToEpsilon(rho: number, delta: number): number {
  checkNumber('rho', rho, { ge: 0 });
  checkNumber('delta', delta, { gt: 0, lt: 1 });
  if (rho === 0) return 0;
  let lo = 0;
  let hi = rho + 2 * Math.sqrt(rho * Math.log(1 / delta)) + 1e-12; // the classic bound is always enough
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (zcdpDelta(rho, mid) <= delta) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The largest rho (to 1e-12 relative, rounded down) whose CKS conversion gives at most
 * (epsilon, delta): bisection on zcdpDelta, which grows with rho.
 */
export function zcdpRhoFor(epsilon: number, delta: number): number {
  checkNumber('epsilon', epsilon, { gt: 0 });
  checkNumber('delta', delta, { gt: 0, lt: 1 });
  let lo = 0;
  let hi = epsilon;
  while (zcdpDelta(hi, epsilon) <= delta) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (zcdpDelta(mid, epsilon) <= delta) lo = mid;
    else hi = mid;
  }
  return lo;
}

/** The classic, looser conversion rho + 2 sqrt(rho ln(1/delta)) (Bun and Steinke 2016, Prop. 1.3). */
export function zcdpToEpsilonClassic(rho: number, delta: number): number {
  checkNumber('rho', rho, { ge: 0 });
  checkNumber('delta', delta, { gt: 0, lt: 1 });
  return rho + 2 * Math.sqrt(rho * Math.log(1 / delta));
}

const RDP_ORDERS: readonly number[] = (() => {
  const orders: number[] = [];
  for (let a = 1.01; a < 2; a += 0.01) orders.push(Number(a.toFixed(2)));
  for (let a = 2; a < 16; a += 0.25) orders.push(a);
  for (let a = 16; a <= 256; a += 2) orders.push(a);
  for (let a = 320; a <= 4096; a *= 1.25) orders.push(Math.round(a));
  return orders;
})();

/**
 * (epsilon, delta) from a Rényi-DP curve, minimised over a grid of orders with the conversion of
 * CKS 2020 Prop. 12 / Balle et al. 2020 Thm. 21:
 * epsilon = rdp(alpha) + log(1 - 1/alpha) - (log delta + log alpha) / (alpha - 1).
 */
export function rdpToEpsilon(rdp: (alpha: number) => number, delta: number): number {
  if (typeof rdp !== 'function') throw invalid('rdp', 'a function of the order alpha', rdp);
  checkNumber('delta', delta, { gt: 0, lt: 1 });
  let best = Infinity;
  for (const alpha of RDP_ORDERS) {
    const r = rdp(alpha);
    if (!Number.isFinite(r)) continue;
    const e = r + Math.log1p(-1 / alpha) - (Math.log(delta) + Math.log(alpha)) / (alpha - 1);
    if (e < best) best = e;
  }
  return Math.max(0, best);
}

export interface SensitivityParams {
  /** L2 sensitivity of the integer-valued query (one contributor's largest change in Euclidean norm) */
  l2Sensitivity: number;
  /** L1 sensitivity (needed by Skellam's bound; defaults to l2Sensitivity^2, valid for integer vectors) */
  l1Sensitivity?: number;
}

/** The discrete Gaussian N_Z(0, sigma^2) per coordinate is (Δ2^2 / 2 sigma^2)-zCDP (CKS 2020, Thm. 14). */
export function discreteGaussianZcdp(params: { sigma: number } & SensitivityParams): ZcdpLoss {
  checkObject('params', params);
  const sigma = checkNumber('sigma', params.sigma, { gt: 0 });
  const l2 = checkNumber('l2Sensitivity', params.l2Sensitivity, { gt: 0 });
  return { rho: (l2 * l2) / (2 * sigma * sigma) };
}

/**
 * The exact (epsilon, delta) curve of one-dimensional discrete Gaussian noise with integer
 * sensitivity (CKS 2020, Thm. 7): delta = P[Y > eps sigma^2/Δ - Δ/2] - e^eps P[Y > eps sigma^2/Δ + Δ/2].
 */
export function discreteGaussianDelta(sigma: number, epsilon: number, sensitivity = 1): number {
  checkNumber('sigma', sigma, { gt: 0, le: 2 ** 30 });
  checkNumber('epsilon', epsilon, { ge: 0 });
  const delta = checkNumber('sensitivity', sensitivity, { gt: 0, le: 2 ** 30 });
  if (!Number.isInteger(delta)) throw invalid('sensitivity', 'an integer > 0', sensitivity);
  const s2 = sigma * sigma;
  const limit = Math.ceil(sigma * 40 + (epsilon * s2) / delta + delta) + 2;
  let z = 0;
  const w = (y: number) => Math.exp((-y * y) / (2 * s2));
  for (let y = -limit; y <= limit; y++) z += w(y);
  const tail = (x: number) => {
    let t = 0;
    for (let y = Math.floor(x) + 1; y <= limit; y++) t += w(y);
    return t / z;
  };
  const a = (epsilon * s2) / delta - delta / 2;
  const b = (epsilon * s2) / delta + delta / 2;
  return Math.max(0, Math.min(1, tail(a) - Math.exp(epsilon) * tail(b)));
}

/**
 * The exact (epsilon, delta) curve of independent N_Z(0, sigma^2) noise on integer counts whose
 * neighbours move `sensitivity` from one count to another (+Δ in one coordinate, -Δ in another):
 * a one-hot histogram under replace-one (neighbours.ts). The privacy loss of an output is
 * (Δ^2 + Δ(z1 + z2)) / sigma^2 for the two noises z1, z2 (symmetric, so their signs do not matter), and
 * delta = E[(1 - e^(epsilon - loss))_+] = sum_z1 p(z1) [P(Z >= t) - e^(epsilon - Δ^2/2sigma^2 - Δ z1/sigma^2) P(Z >= t + Δ)]
 * with t = floor(epsilon sigma^2/Δ - Δ - z1) + 1, using p(z) e^(-Δ z/sigma^2) = e^(Δ^2/2sigma^2) p(z + Δ).
 * Mass beyond 40 sigma (< e^-800) is left out; tails are summed smallest first.
 */
export function discreteGaussianSwapDelta(sigma: number, epsilon: number, sensitivity = 1): number {
  checkNumber('sigma', sigma, { gt: 0, le: 2 ** 24 });
  checkNumber('epsilon', epsilon, { ge: 0 });
  const d = checkNumber('sensitivity', sensitivity, { gt: 0, le: 2 ** 20 });
  if (!Number.isInteger(d)) throw invalid('sensitivity', 'an integer > 0', sensitivity);
  const s2 = sigma * sigma;
  const K = Math.ceil(40 * sigma) + 2;
  const n = 2 * K + 1;
  // tail[i] = P(Z >= i - K) for i in [0, n]; tail[n] = 0
  const tail = new Float64Array(n + 1);
  for (let i = n - 1; i >= 0; i--) tail[i] = (tail[i + 1] as number) + Math.exp(-((i - K) ** 2) / (2 * s2));
  const norm = tail[0] as number;
  const tailAt = (t: number): number => (t <= -K ? 1 : t > K ? 0 : (tail[t + K] as number) / norm);
  const shift = (epsilon * s2) / d - d;
  let delta = 0;
  for (let z1 = -K; z1 <= K; z1++) {
    const t = Math.floor(shift - z1) + 1;
    if (t > K) continue;
    const inner = tailAt(t) - Math.exp(epsilon - (d * d) / (2 * s2) - (d * z1) / s2) * tailAt(t + d);
    if (inner > 0) delta += (Math.exp(-(z1 * z1) / (2 * s2)) / norm) * inner;
  }
  return Math.max(0, Math.min(1, delta));
}

/**
 * Significant bits a calibrated sigma keeps: 12 keeps sigma^2 = p/q small enough for the exact
 * Gaussian sampler's number path (2·p·q·t^2 < 2^53 for sigma up to about 2^10; 20 bits would put
 * every draw on its bigint path, about 3 times slower), for at most 2^-11 more noise than the minimum.
 */
const SIGMA_BITS = 12;

/** The smallest sigma (bisected to 1e-6 relative, rounded up onto SIGMA_BITS significant bits) whose curve meets delta. */
function smallestSigma(epsilon: number, delta: number, meets: (sigma: number) => boolean): number {
  let lo = 2 ** -10;
  if (meets(lo)) return lo;
  let hi = 1;
  while (!meets(hi)) {
    lo = hi;
    hi *= 2;
    if (hi > 2 ** 24) throw invalid('delta', `a delta the discrete Gaussian reaches at epsilon ${epsilon} with sigma <= 2^24`, delta);
  }
  while (hi - lo > 1e-6 * hi) {
    const mid = (lo + hi) / 2;
    if (meets(mid)) hi = mid;
    else lo = mid;
  }
  let sigma = roundUpSignificant(hi, SIGMA_BITS);
  // rounding up only adds noise; the loop guards the float evaluation of the curve all the same
  while (!meets(sigma)) sigma = roundUpSignificant(sigma * (1 + 2 ** -SIGMA_BITS), SIGMA_BITS);
  return sigma;
}

/**
 * The smallest sigma for which discrete Gaussian noise N_Z(0, sigma^2) on an integer query of
 * one-dimensional sensitivity `sensitivity` is (epsilon, delta)-DP by the exact curve of
 * `discreteGaussianDelta` (CKS 2020, Thm. 7): one count that a neighbour changes by Δ. A histogram
 * under replace-one moves two counts: `discreteGaussianSwapSigma`. Bisected to 1e-6 relative, then
 * rounded up onto 12 significant bits (the exact sampler's fast path; at most 2^-11 above the
 * minimum); the returned sigma always meets the target.
 */
export function discreteGaussianSigma(epsilon: number, delta: number, sensitivity = 1): number {
  checkNumber('epsilon', epsilon, { gt: 0, le: 1000 });
  checkNumber('delta', delta, { gt: 0, lt: 1 });
  const s = checkNumber('sensitivity', sensitivity, { gt: 0, le: 2 ** 20 });
  if (!Number.isInteger(s)) throw invalid('sensitivity', 'an integer > 0', sensitivity);
  return smallestSigma(epsilon, delta, (sigma) => discreteGaussianDelta(sigma, epsilon, s) <= delta);
}

/**
 * The smallest sigma for which N_Z(0, sigma^2) per count is (epsilon, delta)-DP when neighbours
 * move Δ from one count to another, by the exact curve of `discreteGaussianSwapDelta`; rounded as
 * `discreteGaussianSigma`. About sqrt(2) times the one-count sigma.
 */
export function discreteGaussianSwapSigma(epsilon: number, delta: number, sensitivity = 1): number {
  checkNumber('epsilon', epsilon, { gt: 0, le: 1000 });
  checkNumber('delta', delta, { gt: 0, lt: 1 });
  const s = checkNumber('sensitivity', sensitivity, { gt: 0, le: 2 ** 20 });
  if (!Number.isInteger(s)) throw invalid('sensitivity', 'an integer > 0', sensitivity);
  return smallestSigma(epsilon, delta, (sigma) => discreteGaussianSwapDelta(sigma, epsilon, s) <= delta);
}

/**
 * Rényi DP of the Skellam mechanism Sk(mu, mu) per coordinate (Agarwal, Kairouz, Liu 2021, Thm. 3.5),
 * with (2 alpha) in place of (2 alpha - 1) in the second term, which only loosens it:
 * eps(alpha) = alpha Δ2^2 / (4 mu) + min((2 alpha Δ2^2 + 6 Δ1) / (16 mu^2), 3 Δ1 / (4 mu)).
 * mu is the parameter of each Poisson: the noise variance is 2 mu.
 */
export function skellamRdp(alpha: number, params: { mu: number } & SensitivityParams): number {
  const mu = params.mu;
  const l2 = params.l2Sensitivity;
  const l1 = params.l1Sensitivity ?? l2 * l2;
  return (alpha * l2 * l2) / (4 * mu) + Math.min((2 * alpha * l2 * l2 + 6 * l1) / (16 * mu * mu), (3 * l1) / (4 * mu));
}

/** (epsilon, delta) of Skellam noise with total parameter mu (variance 2 mu) on a sum of the given sensitivity. */
export function skellamPrivacy(params: { mu: number } & SensitivityParams, delta: number): PrivacyLoss {
  checkObject('params', params);
  checkNumber('mu', params.mu, { gt: 0 });
  checkNumber('l2Sensitivity', params.l2Sensitivity, { gt: 0 });
  if (params.l1Sensitivity !== undefined) checkNumber('l1Sensitivity', params.l1Sensitivity, { gt: 0 });
  checkNumber('delta', delta, { gt: 0, lt: 1 });
  return { epsilon: rdpToEpsilon((a) => skellamRdp(a, params), delta), delta };
}

/** tau of KLS 2021 Thm. 1 for s summands: 10 · sum_{k=1}^{s-1} exp(-2 pi^2 sigma^2 k/(k+1)); terms beyond 1e6 bounded by the next one. */
export function ddgTau(sigma: number, summands: number): number {
  const c = 2 * Math.PI * Math.PI * sigma * sigma;
  const exact = Math.min(summands - 1, 1_000_000);
  let t = 0;
  for (let k = 1; k <= exact; k++) t += Math.exp((-c * k) / (k + 1));
  const rest = summands - 1 - exact;
  // the terms fall with k, so each remaining one is at most the term at k = exact + 1
  if (rest > 0) t += rest * Math.exp((-c * (exact + 1)) / (exact + 2));
  return 10 * t;
}

/**
 * RDP of order alpha of the sum of s shares N_Z(0, sigma^2) on a query of L2 sensitivity l2 in
 * dimension d (KLS 2021, Prop. 14 / Eq. 17, the two terms without the L1 norm):
 * min(alpha l2^2 / (2 s sigma^2) + tau d, (alpha/2)(l2 / (sqrt(s) sigma) + tau sqrt(d))^2).
 */
export function ddgRdp(alpha: number, params: { sigma: number; summands: number; l2Sensitivity: number; dimension: number; tau?: number }): number {
  const { sigma, summands: s, l2Sensitivity: l2, dimension: d } = params;
  const tau = params.tau ?? ddgTau(sigma, s);
  const a = (alpha * l2 * l2) / (2 * s * sigma * sigma) + tau * d;
  const b = (alpha / 2) * (l2 / (Math.sqrt(s) * sigma) + tau * Math.sqrt(d)) ** 2;
  return Math.min(a, b);
}

/** (epsilon, delta) of the sum of s discrete Gaussian shares, by ddgRdp and rdpToEpsilon. */
export function ddgPrivacy(params: { sigma: number; summands: number; l2Sensitivity: number; dimension: number }, delta: number): PrivacyLoss {
  const tau = ddgTau(params.sigma, params.summands);
  return { epsilon: rdpToEpsilon((a) => ddgRdp(a, { ...params, tau }), delta), delta };
}

/** (epsilon, delta) of discrete Gaussian noise (any dimension) through zCDP and the CKS conversion. */
export function discreteGaussianPrivacy(params: { sigma: number } & SensitivityParams, delta: number): PrivacyLoss {
  const { rho } = discreteGaussianZcdp(params);
  checkNumber('delta', delta, { gt: 0, lt: 1 });
  return { epsilon: zcdpToEpsilon(rho, delta), delta };
}

/** Pure-DP cost of Laplace (or discrete Laplace) noise of the given scale on an L1-sensitivity query. */
export function laplacePrivacy(params: { scale: number; l1Sensitivity: number }): PrivacyLoss {
  checkObject('params', params);
  const scale = checkNumber('scale', params.scale, { gt: 0 });
  const l1 = checkNumber('l1Sensitivity', params.l1Sensitivity, { gt: 0 });
  return { epsilon: l1 / scale, delta: 0 };
}
