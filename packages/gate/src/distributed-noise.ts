/**
 * Distributed noise for secure aggregation: each client adds its share of discrete noise to its
 * integer vector before masking, so that the unmasked SUM carries the noise of the target
 * (epsilon, delta) and no server ever sees a less noisy sum than the plan states.
 * - Skellam (Agarwal, Kairouz, Liu, NeurIPS 2021): each client adds Sk(mu_c, mu_c) per coordinate;
 *   the sum of s shares is exactly Sk(s·mu_c) (Poisson additivity); privacy by their RDP bound,
 *   Thm. 3.5 (core's `skellamPrivacy`).
 * - Distributed discrete Gaussian (Kairouz, Liu, Steinke, ICML 2021): each client adds
 *   N_Z(0, sigma_c^2); the sum of s shares is NOT a discrete Gaussian, its RDP is bounded by their
 *   Prop. 14 (Eq. 17) with the tau term of Thm. 1.
 * Neighbours are replace-one (the server counts the survivors, so the cohort size is public): the
 * noise is calibrated for one client's vector replaced by another within the plan's per-client norms.
 * Plus the modulus bits for a stated wrap-around probability, signed decoding, and the settlement
 * of a round for its survivors: fewer survivors means less noise, so the plan refuses the release
 * ('noise_below_plan') or tops the noise up centrally, as configured. Contribution bounding is
 * contribution-bounding.ts; the privacy maps and the exact Skellam vectors are core's; the tails
 * of summed shares are noise.ts. Proof: distributed-noise.proof.md.
 */
import { type LedgerEntry, type PrivacyAccountant, type PrivacyLoss, type Rng, PinholeError, cryptoRng, requireSecureRng } from '@pinhole/core';
import { type DistributedNoiseMechanism } from '@pinhole/core/plan';
import { type NeighbourRelation, NEIGHBOUR_RELATION, replaceOneSensitivity, ddgPrivacy, skellamPrivacy } from '@pinhole/core/privacy';
import { checkBoolean, checkInteger, checkNumber, checkObject, checkOneOf, checkString, invalid } from '@pinhole/core/validate';
import { makeDiscreteGaussianSampler, discreteGaussianVariance, addSkellamVector, SKELLAM_MIN_MU } from '@pinhole/core/samplers';
import { roundUpSignificant } from '@pinhole/core/exact';
import { readIntegers } from './contribution-bounding.js';
import { type NoiseDistribution, discreteGaussianSumDistribution, discreteGaussianSumTailBound, skellamDistribution, skellamTailBound } from './noise.js';
import { type ThresholdSelection, makeNoisyCountThreshold, registerNoisyCountSource } from './noisy-threshold.js';

export type DistributedMechanism = 'skellam' | 'discrete_gaussian';
export type ShortfallPolicy = 'refuse' | 'top_up';

/** Default target for the probability that some coordinate of the noisy sum wraps mod 2^b. */
export const DEFAULT_WRAP_PROBABILITY = 2 ** -40;
/** Skellam shares keep 20 significant bits, so count · vectorLength · share stays an exact double. */
export const SKELLAM_SHARE_BITS = 20;
/** The discrete Gaussian share must have sigma >= 1/2 (precondition of KLS 2021, Thm. 1 / Prop. 14). */
export const DDG_MIN_SIGMA = 0.5;
/** Largest Poisson parameter (vectorLength · total mu) a plan samples: the exact sampler costs O(mu). */
export const MAX_NOISE_MASS = 2 ** 32;

export interface DistributedNoiseParams {
  readonly mechanism: DistributedMechanism;
  /** the promised (epsilon, delta) of the released sum, with at least minSurvivors shares in it */
  readonly epsilon: number;
  readonly delta: number;
  /**
   * the largest L2 norm of one client's integer vector (its add/remove sensitivity; addShare
   * enforces it). The plan accounts for replace-one neighbours (core's NEIGHBOUR_RELATION: the
   * server counts the survivors), whose sensitivity replaceOneSensitivity derives from these norms.
   */
  readonly l2Sensitivity: number;
  /** the largest L1 norm (>= l2Sensitivity); default max(l2, l2^2), valid for integer vectors; Skellam uses it */
  readonly l1Sensitivity?: number;
  readonly vectorLength: number;
  /** the cohort: clients that add a share */
  readonly expectedClients: number;
  /** shares are sized so that this many survivors carry the promised noise; default expectedClients */
  readonly minSurvivors?: number;
  /** fewer survivors than minSurvivors: refuse the release, or add the missing noise centrally */
  readonly onShortfall: ShortfallPolicy;
  /** [min, max] of every coordinate of one client's vector (integers, min <= 0 <= max); default ±floor(l2Sensitivity) */
  readonly clientValueBounds?: readonly [number, number];
  /** target for P[some coordinate of the noisy sum wraps mod 2^b]; default 2^-40 */
  readonly wrapProbability?: number;
  /** accept seeded generators (simulation and tests only) */
  readonly allowInsecureRng?: boolean;
}

export type SettlementStatus = 'as_planned' | 'topped_up' | 'refused';

export interface DistributedNoiseSettlement {
  readonly survivors: number;
  readonly status: SettlementStatus;
  /** variance per coordinate of the clients' noise in the unmasked sum: survivors · shareVariance */
  readonly clientNoiseVariance: number;
  /** variance per coordinate the server adds centrally (top-up), else 0 */
  readonly topUpVariance: number;
  /** variance per coordinate of the noise in the released values (client + top-up) */
  readonly noiseVariance: number;
  readonly plannedVariance: number;
  /** the distribution of the noise in the released values (refused: of the clients' noise; the planned one if none survived) */
  readonly noise: NoiseDistribution;
  /**
   * the privacy loss of the released values (refused: of the short sum, which is not released).
   * With s >= minSurvivors survivors it is at most the promised loss: the sum of s shares is the sum
   * of minSurvivors shares plus independent noise (post-processing), so it is the smaller of the
   * bound for s shares and the bound for minSurvivors shares.
   */
  readonly privacyLoss: PrivacyLoss;
  /** against the server itself, which sees the sum before any top-up */
  readonly serverPrivacyLoss: PrivacyLoss;
  readonly message: string;
  readonly notes: readonly string[];
  /** records `privacyLoss` in the accountant; refused settlements release nothing and cannot be spent */
  spend(accountant: PrivacyAccountant, label?: string): LedgerEntry;
  /**
   * The gate's threshold for these counts, `makeNoisyCountThreshold({ settlement: this, ... })`: the
   * noise actually released and its loss; when refused, the planned noise and promised loss, and a
   * gate that refuses every decision with 'noise_below_plan'.
   */
  selection(params: { thresholdDelta?: number; threshold?: number }): ThresholdSelection;
}

export interface FinishOptions {
  /** randomness of the top-up; default cryptoRng() */
  readonly rng?: Rng;
}

export interface FinishedSum {
  /** the signed sum with the top-up noise added when the settlement says so */
  readonly values: Float64Array;
  /** the central top-up noise per coordinate, or null */
  readonly topUp: Int32Array | null;
  readonly settlement: DistributedNoiseSettlement;
}

export interface DistributedNoisePlan {
  readonly mechanism: DistributedMechanism;
  readonly epsilon: number;
  readonly delta: number;
  /** the largest norms of one client's vector (addShare enforces them) */
  readonly l2Sensitivity: number;
  readonly l1Sensitivity: number;
  /** the sensitivity of the sum the noise is calibrated for: replace-one neighbours, from the norms and clientValueBounds */
  readonly neighbours: { readonly relation: NeighbourRelation; readonly l2Sensitivity: number; readonly l1Sensitivity: number };
  readonly vectorLength: number;
  readonly expectedClients: number;
  readonly minSurvivors: number;
  readonly onShortfall: ShortfallPolicy;
  readonly clientValueBounds: readonly [number, number];
  /** Skellam: each Poisson's mean mu_c of one share; discrete Gaussian: sigma_c of one share */
  readonly shareParameter: number;
  /** variance per coordinate of one client's share */
  readonly shareVariance: number;
  /** minSurvivors · shareVariance: the least noise the plan releases */
  readonly plannedVariance: number;
  /** the distribution of minSurvivors shares summed (the planned noise) */
  readonly noise: NoiseDistribution;
  /** the promised (epsilon, delta): the loss of the sum of minSurvivors shares (<= the target) */
  readonly privacyLoss: PrivacyLoss;
  /** bits b of Z/2^b for secure aggregation */
  readonly modulusBits: number;
  /** bound on P[some coordinate of the sum wraps], all expected clients surviving (<= wrapProbability) */
  readonly wrapBound: number;
  readonly wrapProbability: number;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** the variance per coordinate of the clients' noise in a sum of `survivors` shares (default minSurvivors) */
  variance(survivors?: number): number;
  /** one client's noise share, vectorLength integers (written into `out` when given) */
  clientShare(rng?: Rng, out?: Int32Array): Int32Array;
  /** the client's bounded integer vector plus its share (checks the vector against the plan's bounds) */
  addShare(vector: ArrayLike<number>, rng?: Rng): Int32Array;
  /** integers -> Z/2^b (two's complement), the secure-aggregation input */
  toRing(vector: ArrayLike<number>): Uint32Array;
  /** Z/2^b -> signed integers: [2^(b-1), 2^b) maps to negatives */
  fromRing(sumModular: ArrayLike<number>): Int32Array;
  /** the privacy actually achieved with this many survivors, and what the server may release */
  settle(params: { survivors: number }): DistributedNoiseSettlement;
  /** map the unmasked sum back from the ring and add the top-up noise when the settlement needs it; refused settlements throw */
  finish(sumModular: ArrayLike<number>, settlement: DistributedNoiseSettlement, options?: FinishOptions): FinishedSum;
  /** simulation: the clients' noise in a sum of `survivors` shares, drawn directly (exact for Skellam by additivity) */
  simulateSumNoise(survivors: number, rng?: Rng): Int32Array;
}

// ---------------------------------------------------------------------------------------------
// The plan

/** Smallest total mu (to 1e-6 relative, rounded up) with skellamPrivacy(mu).epsilon <= epsilon. */
function calibrateSkellam(epsilon: number, delta: number, l2: number, l1: number): number {
  const eps = (mu: number) => skellamPrivacy({ mu, l2Sensitivity: l2, l1Sensitivity: l1 }, delta).epsilon;
  let hi = 1;
  while (eps(hi) > epsilon) {
    hi *= 2;
    if (hi > 2 ** 60) throw invalid('epsilon', 'an epsilon Skellam noise can reach at this delta', epsilon);
  }
  let lo = hi / 2;
  while (lo > 2 ** -40 && eps(lo) <= epsilon) lo /= 2;
  while (hi - lo > 1e-6 * hi) {
    const mid = (lo + hi) / 2;
    if (eps(mid) <= epsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Smallest per-client sigma >= 1/2 (to 1e-6 relative) whose KLS bound for s summands meets epsilon. */
function calibrateDdg(epsilon: number, delta: number, l2: number, s: number, d: number): number {
  const eps = (sigma: number) => ddgPrivacy({ sigma, summands: s, l2Sensitivity: l2, dimension: d }, delta).epsilon;
  if (eps(DDG_MIN_SIGMA) <= epsilon) return DDG_MIN_SIGMA;
  let lo = DDG_MIN_SIGMA;
  let hi = 1;
  while (eps(hi) > epsilon) {
    lo = hi;
    hi *= 2;
    if (hi > 2 ** 30) throw invalid('epsilon', 'an epsilon the distributed discrete Gaussian can reach at this delta', epsilon);
  }
  while (hi - lo > 1e-6 * hi) {
    const mid = (lo + hi) / 2;
    if (eps(mid) <= epsilon) hi = mid;
    else lo = mid;
  }
  return hi;
}

const NOTE_TOP_UP =
  'fewer clients survived than the plan sized its shares for: the server added the missing noise centrally, so the release meets the promised privacy loss, but the server itself saw the sum with less noise (serverPrivacyLoss)';
const NOTE_REFUSED = 'fewer clients survived than the plan sized its shares for: the noise in the sum is below the plan and nothing may be released';

/** The noise plan a collection plan's resolved `distributed_noise` mechanism describes (devices and the aggregator build the same one). */
export function distributedNoisePlanOf(m: DistributedNoiseMechanism, options: { readonly allowInsecureRng?: boolean } = {}): DistributedNoisePlan {
  return makeDistributedNoisePlan({
    mechanism: m.noise,
    epsilon: m.epsilon,
    delta: m.delta,
    l2Sensitivity: m.l2Sensitivity,
    l1Sensitivity: m.l1Sensitivity,
    vectorLength: m.vectorLength,
    expectedClients: m.expectedClients,
    minSurvivors: m.minSurvivors,
    onShortfall: m.onShortfall,
    clientValueBounds: [m.clientValueBounds[0], m.clientValueBounds[1]],
    wrapProbability: m.wrapProbability,
    allowInsecureRng: options.allowInsecureRng ?? false,
  });
}

export function makeDistributedNoisePlan(params: DistributedNoiseParams): DistributedNoisePlan {
  checkObject('params', params);
  const mechanism = checkOneOf('mechanism', params.mechanism, ['skellam', 'discrete_gaussian'] as const);
  const epsilon = checkNumber('epsilon', params.epsilon, { gt: 0, le: 100 });
  const delta = checkNumber('delta', params.delta, { ge: 1e-100, lt: 1 });
  const l2 = checkNumber('l2Sensitivity', params.l2Sensitivity, { gt: 0, le: 2 ** 30 });
  const l1 = params.l1Sensitivity === undefined ? Math.max(l2, l2 * l2) : checkNumber('l1Sensitivity', params.l1Sensitivity, { ge: l2, le: 2 ** 40 });
  const d = checkInteger('vectorLength', params.vectorLength, { ge: 1, le: 2 ** 24 });
  const n = checkInteger('expectedClients', params.expectedClients, { ge: 1, le: 2 ** 30 });
  const m = params.minSurvivors === undefined ? n : checkInteger('minSurvivors', params.minSurvivors, { ge: 1, le: n });
  const onShortfall = checkOneOf('onShortfall', params.onShortfall, ['refuse', 'top_up'] as const);
  let bounds: [number, number];
  if (params.clientValueBounds === undefined) {
    const b = Math.floor(l2);
    bounds = [b === 0 ? 0 : -b, b];
  } else {
    const cb = params.clientValueBounds as unknown;
    if (!Array.isArray(cb) || cb.length !== 2) throw invalid('clientValueBounds', 'a pair [min, max] of integers with min <= 0 <= max', cb);
    const lo = checkInteger('clientValueBounds[0]', cb[0], { le: 0, ge: -(2 ** 31) });
    const hi = checkInteger('clientValueBounds[1]', cb[1], { ge: 0, le: 2 ** 31 - 1 });
    bounds = [lo === 0 ? 0 : lo, hi];
  }
  // the sum's sensitivity: one client's vector replaced by another within the same norms and bounds
  const { l2Sensitivity: l2n, l1Sensitivity: l1n } = replaceOneSensitivity({ l1, l2, nonNegative: bounds[0] >= 0 });
  const wrapTarget = params.wrapProbability === undefined ? DEFAULT_WRAP_PROBABILITY : checkNumber('wrapProbability', params.wrapProbability, { ge: 1e-300, lt: 1 });
  const allowInsecure = params.allowInsecureRng === undefined ? false : checkBoolean('allowInsecureRng', params.allowInsecureRng);

  // Shares: sized so that m of them carry the target noise.
  let shareParameter: number;
  let shareVariance: number;
  let promised: PrivacyLoss;
  let calibrated: number;
  if (mechanism === 'skellam') {
    calibrated = calibrateSkellam(epsilon, delta, l2n, l1n);
    // 20 significant bits, rounded up: never below the target, and sums of shares stay exact doubles
    shareParameter = roundUpSignificant(calibrated / m, SKELLAM_SHARE_BITS);
    shareVariance = 2 * shareParameter;
    if (!(n * d < 2 ** 33)) throw invalid('expectedClients', `a cohort with expectedClients · vectorLength < 2^33`, n);
    if (!(shareParameter * n * d <= MAX_NOISE_MASS)) {
      throw invalid('epsilon', `a target whose noise can be sampled (vectorLength · expectedClients · mu per share <= 2^32, got ${shareParameter * n * d})`, epsilon);
    }
    if (!(shareParameter * d >= SKELLAM_MIN_MU)) {
      throw invalid('expectedClients', `a cohort whose per-client share can be sampled exactly (vectorLength · mu per share >= 2^-20, got ${shareParameter * d})`, n);
    }
    promised = skellamPrivacy({ mu: m * shareParameter, l2Sensitivity: l2n, l1Sensitivity: l1n }, delta);
  } else {
    calibrated = calibrateDdg(epsilon, delta, l2n, m, d);
    // 10 significant bits, rounded up: more noise only, and the exact sampler's fast path
    shareParameter = roundUpSignificant(calibrated, 10);
    shareVariance = discreteGaussianVariance(shareParameter);
    promised = ddgPrivacy({ sigma: shareParameter, summands: m, l2Sensitivity: l2n, dimension: d }, delta);
  }
  if (!(promised.epsilon <= epsilon)) throw new PinholeError('invalid_state', 'epsilon', `calibration missed the target epsilon ${epsilon} (got ${promised.epsilon})`);
  const plannedVariance = m * shareVariance;
  const sumDistribution = (count: number): NoiseDistribution =>
    mechanism === 'skellam' ? skellamDistribution(count * shareParameter) : discreteGaussianSumDistribution(shareParameter, count);
  const boundFor = (count: number): PrivacyLoss => {
    if (count === 0) return { epsilon: Infinity, delta };
    return mechanism === 'skellam'
      ? skellamPrivacy({ mu: count * shareParameter, l2Sensitivity: l2n, l1Sensitivity: l1n }, delta)
      : ddgPrivacy({ sigma: shareParameter, summands: count, l2Sensitivity: l2n, dimension: d }, delta);
  };
  // From m survivors on, the extra shares are independent noise added to a sum of m shares
  // (post-processing): the loss is at most the promise, whichever bound is smaller. The DDG bound
  // grows with the count (tau), Skellam's falls; the same rule serves both.
  const lossFor = (count: number): PrivacyLoss => {
    const direct = boundFor(count);
    return count > m && !(direct.epsilon <= promised.epsilon) ? promised : direct;
  };
  // What one client can add to the counts (the noisy-count threshold's accounting): an integer
  // vector within the plan's norms has at most min(d, floor(L1), floor(L2^2)) non-zero coordinates,
  // each at most min(max bound, floor(L1), floor(L2)); addShare allows the norms a 1e-12 slack.
  const slack = 1 + 1e-12;
  const bucketsPerClient = Math.max(1, Math.min(d, Math.floor(l1 * slack), Math.floor(l2 * l2 * slack)));
  const maxContribution = Math.max(1, Math.min(bounds[1], Math.floor(l1 * slack), Math.floor(Math.sqrt(l2 * l2 * slack))));
  const noise = sumDistribution(m);

  // Modulus bits: the true sum of s <= n clients lies in [n·lo, n·hi] (lo <= 0 <= hi), the noise of
  // s <= n shares has tails below those of n shares (Chernoff bounds grow with the count).
  const tailAll = (k: number) => (mechanism === 'skellam' ? skellamTailBound(n * shareParameter, k) : discreteGaussianSumTailBound(shareParameter, n, k));
  const vmax = n * bounds[1];
  const vmin = n * bounds[0];
  const wrapAt = (b: number): number => {
    const half = 2 ** (b - 1);
    return Math.min(1, d * (tailAll(half - vmax) + tailAll(half + 1 + vmin)));
  };
  let bits = 0;
  for (let b = 2; b <= 32; b++) {
    if (half(b) - 1 >= vmax && -half(b) <= vmin && wrapAt(b) <= wrapTarget) {
      bits = b;
      break;
    }
  }
  if (bits === 0) {
    throw invalid('expectedClients', `a cohort whose noisy sum fits in 32 bits with wrap probability <= ${wrapTarget}`, n);
  }
  const modulus = 2 ** bits;
  const wrapBound = wrapAt(bits);

  const parameters = Object.freeze({
    mechanism,
    epsilon: promised.epsilon,
    delta,
    targetEpsilon: epsilon,
    l2Sensitivity: l2,
    l1Sensitivity: l1,
    neighbours: NEIGHBOUR_RELATION,
    neighbourL2Sensitivity: l2n,
    neighbourL1Sensitivity: l1n,
    vectorLength: d,
    expectedClients: n,
    minSurvivors: m,
    onShortfall,
    shareParameter,
    shareVariance,
    plannedVariance,
    modulusBits: bits,
    wrapBound,
    wrapProbability: wrapTarget,
  });

  const ddgDraw = mechanism === 'discrete_gaussian' ? makeDiscreteGaussianSampler(shareParameter) : null;
  /** adds `count` shares per coordinate to out */
  const addShares = (out: Int32Array, count: number, rng: Rng): void => {
    if (count === 0) return;
    if (mechanism === 'skellam') addSkellamVector(out, count * shareParameter, rng);
    else {
      const draw = ddgDraw as (r: Rng) => number;
      for (let i = 0; i < out.length; i++) {
        let z = 0;
        for (let c = 0; c < count; c++) z += draw(rng);
        out[i] = (out[i] as number) + z;
      }
    }
  };
  const rngOf = (rng: Rng | undefined): Rng => requireSecureRng(rng === undefined ? cryptoRng() : rng, allowInsecure);

  const issued = new WeakSet<object>();

  const plan: DistributedNoisePlan = Object.freeze({
    mechanism,
    epsilon,
    delta,
    l2Sensitivity: l2,
    l1Sensitivity: l1,
    neighbours: Object.freeze({ relation: NEIGHBOUR_RELATION, l2Sensitivity: l2n, l1Sensitivity: l1n }),
    vectorLength: d,
    expectedClients: n,
    minSurvivors: m,
    onShortfall,
    clientValueBounds: Object.freeze([bounds[0], bounds[1]]) as readonly [number, number],
    shareParameter,
    shareVariance,
    plannedVariance,
    noise,
    privacyLoss: Object.freeze({ ...promised }),
    modulusBits: bits,
    wrapBound,
    wrapProbability: wrapTarget,
    parameters,
    variance(survivors: number = m): number {
      return checkInteger('survivors', survivors, { ge: 0, le: n }) * shareVariance;
    },
    clientShare(rng?: Rng, out?: Int32Array): Int32Array {
      const r = rngOf(rng);
      let o: Int32Array;
      if (out === undefined) o = new Int32Array(d);
      else {
        if (!(out instanceof Int32Array) || out.length !== d) throw invalid('out', `an Int32Array of length ${d}`, out);
        o = out;
        o.fill(0);
      }
      addShares(o, 1, r);
      return o;
    },
    addShare(vector: ArrayLike<number>, rng?: Rng): Int32Array {
      const x = readIntegers('vector', vector, bounds[0], bounds[1], d);
      let s1 = 0;
      let s2 = 0;
      for (const v of x) {
        s1 += Math.abs(v);
        s2 += v * v;
      }
      if (s2 > l2 * l2 * (1 + 1e-12) || s1 > l1 * (1 + 1e-12)) {
        throw invalid('vector', `a vector with L2 norm <= ${l2} and L1 norm <= ${l1} (the plan's per-client norms)`, vector);
      }
      const r = rngOf(rng);
      addShares(x, 1, r);
      return x;
    },
    toRing(vector: ArrayLike<number>): Uint32Array {
      const x = readIntegers('vector', vector, -(2 ** 31), 2 ** 31 - 1, d);
      const out = new Uint32Array(d);
      for (let i = 0; i < d; i++) {
        const v = (x[i] as number) % modulus;
        out[i] = v < 0 ? v + modulus : v;
      }
      return out;
    },
    fromRing(sumModular: ArrayLike<number>): Int32Array {
      const x = readModular('sumModular', sumModular, d, modulus);
      const out = new Int32Array(d);
      const h = modulus / 2;
      for (let i = 0; i < d; i++) {
        const v = x[i] as number;
        out[i] = v >= h ? v - modulus : v;
      }
      return out;
    },
    settle(p: { survivors: number }): DistributedNoiseSettlement {
      checkObject('params', p);
      const s = checkInteger('survivors', p.survivors, { ge: 0, le: n });
      let status: SettlementStatus;
      if (s >= m) status = 'as_planned';
      else status = onShortfall === 'top_up' ? 'topped_up' : 'refused';
      const clientLoss = lossFor(s);
      const released = status === 'topped_up' ? m : s;
      const loss = status === 'topped_up' ? promised : clientLoss;
      const clientNoiseVariance = s * shareVariance;
      const topUpVariance = status === 'topped_up' ? (m - s) * shareVariance : 0;
      const releasedNoise = released === 0 ? null : released === m ? noise : sumDistribution(released);
      const notes: string[] = [];
      let message: string;
      if (status === 'as_planned') {
        message = `${s} survivors (plan: at least ${m}): epsilon ${loss.epsilon} at delta ${delta}`;
      } else if (status === 'topped_up') {
        notes.push(NOTE_TOP_UP);
        message = `${s} survivors, below the plan's ${m}: the missing noise of ${m - s} shares is added centrally`;
      } else {
        notes.push(NOTE_REFUSED);
        message = `${s} survivors, below the plan's ${m}: the noise in the sum (variance ${clientNoiseVariance}) is below the planned ${plannedVariance}`;
      }
      const settlement: DistributedNoiseSettlement = Object.freeze({
        survivors: s,
        status,
        clientNoiseVariance,
        topUpVariance,
        noiseVariance: clientNoiseVariance + topUpVariance,
        plannedVariance,
        noise: releasedNoise ?? noise,
        privacyLoss: Object.freeze({ ...loss }),
        serverPrivacyLoss: Object.freeze({ ...clientLoss }),
        message,
        notes: Object.freeze(notes),
        spend(accountant: PrivacyAccountant, label = 'distributed noise sum'): LedgerEntry {
          const acc = accountant as unknown as { spend?: unknown } | null;
          if (typeof acc !== 'object' || acc === null || typeof acc.spend !== 'function') throw invalid('accountant', 'a PrivacyAccountant', accountant);
          checkString('label', label, { maxLength: 200 });
          if (status === 'refused') throw new PinholeError('invalid_state', 'settlement', `a refused settlement releases nothing and spends nothing: ${message}`);
          return accountant.spend(loss, label);
        },
        selection(sp: { thresholdDelta?: number; threshold?: number }): ThresholdSelection {
          checkObject('params', sp);
          const l0 = (sp as { l0?: unknown }).l0;
          if (l0 !== undefined) {
            throw invalid('l0', `undefined: the plan bounds the buckets one client touches (${bucketsPerClient}, from its vector length and norms)`, l0);
          }
          return makeNoisyCountThreshold({
            settlement,
            ...(sp.thresholdDelta !== undefined ? { thresholdDelta: sp.thresholdDelta } : {}),
            ...(sp.threshold !== undefined ? { threshold: sp.threshold } : {}),
          });
        },
      });
      registerNoisyCountSource(settlement, {
        noise: status === 'refused' ? noise : (releasedNoise ?? noise),
        privacyLoss: status === 'refused' ? promised : loss,
        l0: bucketsPerClient,
        maxContribution,
        refusal: status === 'refused' ? message : null,
      });
      issued.add(settlement);
      return settlement;
    },
    finish(sumModular: ArrayLike<number>, settlement: DistributedNoiseSettlement, options: FinishOptions = {}): FinishedSum {
      if (typeof settlement !== 'object' || settlement === null || !issued.has(settlement)) {
        throw invalid('settlement', 'a settlement made by this plan’s settle()', settlement);
      }
      checkObject('options', options);
      const signed = plan.fromRing(sumModular);
      if (settlement.status === 'refused') {
        throw new PinholeError('invalid_state', 'settlement', `the sum may not be released: ${settlement.message}`);
      }
      let topUp: Int32Array | null = null;
      if (settlement.status === 'topped_up') {
        const r = rngOf(options.rng);
        topUp = new Int32Array(d);
        addShares(topUp, m - settlement.survivors, r);
      }
      const values = new Float64Array(d);
      for (let i = 0; i < d; i++) values[i] = (signed[i] as number) + (topUp ? (topUp[i] as number) : 0);
      return Object.freeze({ values, topUp, settlement });
    },
    simulateSumNoise(survivors: number, rng?: Rng): Int32Array {
      const s = checkInteger('survivors', survivors, { ge: 0, le: n });
      const out = new Int32Array(d);
      addShares(out, s, rngOf(rng));
      return out;
    },
  });
  return plan;
}

function half(b: number): number {
  return 2 ** (b - 1);
}

function readModular(param: string, values: unknown, length: number, modulus: number): ArrayLike<number> {
  if (!(Array.isArray(values) || ArrayBuffer.isView(values)) || (values as ArrayLike<unknown>).length !== length) {
    throw invalid(param, `an array of ${length} integers in [0, ${modulus})`, values);
  }
  const v = values as ArrayLike<unknown>;
  for (let i = 0; i < length; i++) {
    const x = v[i];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= modulus) throw invalid(`${param}[${i}]`, `an integer in [0, ${modulus})`, x);
  }
  return v as ArrayLike<number>;
}
