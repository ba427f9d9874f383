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
 * This file holds the plan's types and assembles the plan from its parts: the calibration of the
 * shares and the modulus bits for a stated wrap-around probability
 * (distributed-noise-calibration.ts), what a device runs, its share and the ring encoding
 * (distributed-noise-share.ts), and what the server runs, the signed decoding and the settlement
 * of a round for its survivors, which refuses the release ('noise_below_plan') or tops the noise
 * up centrally when too few survive (distributed-noise-settlement.ts). Contribution bounding is
 * contribution-bounding.ts; the privacy maps and the exact Skellam vectors are core's; the tails
 * of summed shares are noise.ts. Proof: distributed-noise.proof.md.
 */
import { type LedgerEntry, type PrivacyAccountant, type PrivacyLoss, type Rng } from '@pinhole/core';
import { type DistributedNoiseMechanism } from '@pinhole/core/plan';
import { type NeighbourRelation, NEIGHBOUR_RELATION } from '@pinhole/core/privacy';
import { checkInteger } from '@pinhole/core/validate';
import { distributedNoiseParamsOf, sizeDistributedNoise } from './distributed-noise-calibration.js';
import { type DistributedNoiseShare, makeShareParts } from './distributed-noise-share.js';
import { makeFromRing, makeSettlement, sumOfShares } from './distributed-noise-settlement.js';
import { type NoiseDistribution } from './noise.js';
import { type ThresholdSelection } from './noisy-threshold.js';

export type DistributedMechanism = 'skellam' | 'discrete_gaussian';
export type ShortfallPolicy = 'refuse' | 'top_up';

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

/** The plan: a device's part (its share and the ring encoding) and the server's (decoding, settlement, top-up). */
export interface DistributedNoisePlan extends DistributedNoiseShare {
  readonly epsilon: number;
  readonly delta: number;
  /** the sensitivity of the sum the noise is calibrated for: replace-one neighbours, from the norms and clientValueBounds */
  readonly neighbours: { readonly relation: NeighbourRelation; readonly l2Sensitivity: number; readonly l1Sensitivity: number };
  readonly expectedClients: number;
  readonly minSurvivors: number;
  readonly onShortfall: ShortfallPolicy;
  /** minSurvivors · shareVariance: the least noise the plan releases */
  readonly plannedVariance: number;
  /** the distribution of minSurvivors shares summed (the planned noise) */
  readonly noise: NoiseDistribution;
  /** the promised (epsilon, delta): the loss of the sum of minSurvivors shares (<= the target) */
  readonly privacyLoss: PrivacyLoss;
  /** bound on P[some coordinate of the sum wraps], all expected clients surviving (<= wrapProbability) */
  readonly wrapBound: number;
  readonly wrapProbability: number;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  /** the variance per coordinate of the clients' noise in a sum of `survivors` shares (default minSurvivors) */
  variance(survivors?: number): number;
  /** Z/2^b -> signed integers: [2^(b-1), 2^b) maps to negatives */
  fromRing(sumModular: ArrayLike<number>): Int32Array;
  /** the privacy actually achieved with this many survivors, and what the server may release */
  settle(params: { survivors: number }): DistributedNoiseSettlement;
  /** map the unmasked sum back from the ring and add the top-up noise when the settlement needs it; refused settlements throw */
  finish(sumModular: ArrayLike<number>, settlement: DistributedNoiseSettlement, options?: FinishOptions): FinishedSum;
  /** simulation: the clients' noise in a sum of `survivors` shares, drawn directly (exact for Skellam by additivity) */
  simulateSumNoise(survivors: number, rng?: Rng): Int32Array;
}

/** The noise plan a collection plan's resolved `distributed_noise` mechanism describes (devices and the aggregator build the same one). */
export function distributedNoisePlanOf(m: DistributedNoiseMechanism, options: { readonly allowInsecureRng?: boolean } = {}): DistributedNoisePlan {
  return makeDistributedNoisePlan(distributedNoiseParamsOf(m, options));
}

export function makeDistributedNoisePlan(params: DistributedNoiseParams): DistributedNoisePlan {
  const sized = sizeDistributedNoise(params);
  const { mechanism, epsilon, delta, l2, l1, l2n, l1n, d, n, m, onShortfall, shareParameter, shareVariance, promised, bits, wrapBound, wrapTarget } = sized;
  const plannedVariance = m * shareVariance;
  const noise = sumOfShares(sized, m);
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
  const parts = makeShareParts(sized);
  const { addShares, rngOf } = parts;
  const fromRing = makeFromRing(sized);
  const { settle, finish } = makeSettlement(sized, noise, fromRing, parts);

  return Object.freeze({
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
    clientValueBounds: parts.share.clientValueBounds,
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
    clientShare: parts.clientShare,
    addShare: parts.addShare,
    toRing: parts.toRing,
    fromRing,
    settle,
    finish,
    simulateSumNoise(survivors: number, rng?: Rng): Int32Array {
      const s = checkInteger('survivors', survivors, { ge: 0, le: n });
      const out = new Int32Array(d);
      addShares(out, s, rngOf(rng));
      return out;
    },
  });
}
