/**
 * Noisy-threshold DP bucket selection (Korolova, Kenthapadi, Mishra, Ntoulas, WWW 2009; Wilson et
 * al., PoPETs 2020; the Laplace and Gaussian baselines of Desfontaines et al., PoPETs 2022): add
 * integer noise Z to each bucket's distinct-contributor count n and release the bucket when
 * n + Z >= T. The noise makes the counts of buckets present with and without a contributor
 * (epsilon, delta_noise)-close; the threshold T is calibrated so a bucket that exists only because
 * of that contributor (n = 1) passes with probability <= delta_threshold / c, so the <= c such
 * buckets add delta_threshold. c is the number of buckets whose counts differ between neighbours:
 * 2·l0 for replace-one (the default: the contributor leaves up to l0 buckets and joins up to l0
 * others, and the cohort size may be published), l0 for add/remove. The noisy count of a released
 * bucket may be published as is.
 * - Laplace: discrete Laplace of scale c/epsilon (L1 sensitivity c), pure epsilon, delta = delta_threshold.
 * - Gaussian, one bucket per contributor: sigma the smallest on core's exact curve (the pair of
 *   counts for replace-one) and T the smallest threshold for which every kind of neighbouring pair
 *   stays within delta, each case's delta exact (no split of delta); with several buckets, or a
 *   share of delta given: delta = delta_noise + delta_threshold, the noise on the exact curve
 *   (l0 = 1) or through zCDP with L2 sensitivity sqrt(c), the split with the smallest T.
 * - Noisy counts: counts noised by distributed noise through secure aggregation, described by the
 *   round's settlement (the noise actually in the sum, its privacy loss, and the plan's bound on
 *   what one client adds to a bucket and to how many buckets); the gate only thresholds.
 * Every mode relies on a key existing only through its contributors (no zero-count keys without a
 * public domain): the gate and countContributors enforce it. Proof: noisy-threshold.proof.md.
 */
import { type PrivacyLoss, type Rng } from '@pinhole/core';
import { type ZcdpLoss, laplacePrivacy, NEIGHBOUR_RELATION, discreteGaussianDelta } from '@pinhole/core/privacy';
import { checkInteger, checkNumber, checkObject, invalid } from '@pinhole/core/validate';
import { roundUpSignificant } from '@pinhole/core/exact';
import { SAMPLER_MAX_SCALE } from '@pinhole/core/samplers';
import type { DistributedNoiseSettlement } from './distributed-noise.js';
import { type SelectionNeighbours, bucketsChanged, calibrateGaussian, readNeighbours } from './neighbours.js';
import { GAUSSIAN_TAIL_MAX_SIGMA, type NoiseDistribution, calibrateThreshold, makeDiscreteGaussianNoise, makeDiscreteLaplaceNoise } from './noise.js';

export interface ThresholdSelection {
  readonly kind: 'laplace_threshold' | 'gaussian_threshold' | 'noisy_count_threshold';
  readonly private: true;
  readonly noise: NoiseDistribution;
  /** release when the noisy count is >= threshold */
  readonly threshold: number;
  readonly l0: number;
  /** the neighbour relation the noise and threshold are calibrated for (noisy counts: the plan's, replace-one) */
  readonly neighbours: SelectionNeighbours;
  /** the delta spent by the threshold (buckets created by one contributor) */
  readonly thresholdDelta: number;
  /** the total (epsilon, delta) of one selection (noise + threshold) */
  readonly privacyLoss: PrivacyLoss;
  /** rho of the noise when it is zCDP (Gaussian), else null; the threshold's delta comes on top */
  readonly zcdp: ZcdpLoss | null;
  readonly parameters: Readonly<Record<string, string | number | boolean>>;
  readonly suppressionMessage: string;
  /** noisy-count threshold of a refused settlement: why its counts may not be released (the gate refuses with 'noise_below_plan'); else null */
  readonly refusal: string | null;
  /** P[n + Z >= threshold], from the noise's tail */
  releaseProbability(contributors: number): number;
  /** n + Z (hot path; only when the gate samples the noise itself) */
  noisyCount(contributors: number, rng: Rng): number;
  passes(noisyCount: number): boolean;
  select(contributors: number, rng: Rng): boolean;
}

function readL0(value: unknown): number {
  return value === undefined ? 1 : checkInteger('l0', value, { ge: 1, le: 1 << 20 });
}

function build(
  kind: ThresholdSelection['kind'],
  noise: NoiseDistribution,
  threshold: number,
  l0: number,
  neighbours: SelectionNeighbours,
  thresholdDelta: number,
  privacyLoss: PrivacyLoss,
  zcdp: ZcdpLoss | null,
  extra: Record<string, string | number | boolean>,
  refusal: string | null = null,
): ThresholdSelection {
  const sample = noise.sample;
  const noisyCount = (n: number, rng: Rng): number => {
    if (!sample) throw invalid('noise', 'a distribution with a sampler (this gate only thresholds counts noised elsewhere)', noise);
    return n + sample(rng);
  };
  return Object.freeze({
    kind,
    private: true as const,
    noise,
    threshold,
    l0,
    neighbours,
    thresholdDelta,
    privacyLoss: Object.freeze({ ...privacyLoss }),
    zcdp: zcdp ? Object.freeze({ ...zcdp }) : null,
    parameters: Object.freeze({
      mode: kind,
      noise: noise.name,
      scale: noise.scale,
      threshold,
      l0,
      neighbours,
      epsilon: privacyLoss.epsilon,
      delta: privacyLoss.delta,
      thresholdDelta,
      ...(zcdp ? { rho: zcdp.rho } : {}),
      ...extra,
    }),
    suppressionMessage: `not selected by DP bucket selection: noisy contributor count (${noise.name}, scale ${noise.scale}) below the threshold ${threshold}`,
    refusal,
    releaseProbability: (n: number) => noise.tail(threshold - checkInteger('contributors', n, { ge: 0 })),
    noisyCount,
    passes: (x: number) => x >= threshold,
    select: (n: number, rng: Rng) => noisyCount(n, rng) >= threshold,
  });
}

export interface LaplaceThresholdParams {
  readonly epsilon: number;
  /** the threshold's delta: a bucket with one contributor is released with probability <= delta / c (c = 2·l0 for replace-one, l0 for add/remove) */
  readonly delta: number;
  readonly l0?: number;
  /** default 'replace_one' (the cohort size may be published); 'add_remove' only if nothing publishes it */
  readonly neighbours?: SelectionNeighbours;
}

export function makeLaplaceThresholdSelection(params: LaplaceThresholdParams): ThresholdSelection {
  checkObject('params', params);
  const epsilon = checkNumber('epsilon', params.epsilon, { gt: 0, le: 100 });
  const delta = checkNumber('delta', params.delta, { ge: 1e-100, lt: 1 });
  const l0 = readL0(params.l0);
  const neighbours = readNeighbours(params.neighbours);
  const changed = bucketsChanged(l0, neighbours);
  // A scale rounded up to 20 significant bits: never less noise, and a fast exact sampler.
  const scale = roundUpSignificant(changed / epsilon, 20);
  if (!(scale <= SAMPLER_MAX_SCALE)) throw invalid('epsilon', `an epsilon >= ${changed} / 2^40 (the exact sampler's largest scale)`, epsilon);
  const noise = makeDiscreteLaplaceNoise(scale);
  const threshold = calibrateThreshold(noise, (delta / changed) * (1 - 2 ** -50));
  const loss = laplacePrivacy({ scale, l1Sensitivity: changed });
  return build('laplace_threshold', noise, threshold, l0, neighbours, delta, { epsilon: loss.epsilon, delta }, null, {});
}

export interface GaussianThresholdParams {
  readonly epsilon: number;
  /** the delta of one selection (noise and threshold together) */
  readonly delta: number;
  readonly l0?: number;
  /** default 'replace_one' (the cohort size may be published); 'add_remove' only if nothing publishes it */
  readonly neighbours?: SelectionNeighbours;
  /**
   * A fixed share of delta for the threshold, in (0, 1), the rest for the noise (composed). Default:
   * the tightest calibration (l0 = 1: each neighbouring case on its exact delta; l0 > 1: the best split).
   */
  readonly thresholdDeltaShare?: number;
}

/** Shares of delta the threshold may get when l0 > 1 and none is given: 1/64 steps. */
const SPLIT_GRID = Array.from({ length: 63 }, (_, i) => (i + 1) / 64);

interface GaussianThreshold {
  readonly noise: NoiseDistribution;
  readonly threshold: number;
  readonly noiseLoss: PrivacyLoss;
  readonly zcdp: ZcdpLoss | null;
  /** the most the threshold part adds to delta (changed buckets · P[1 + Z >= T]) */
  readonly thresholdDelta: number;
  readonly extra: Record<string, string | number>;
}

function gaussianNoiseFor(epsilon: number, delta: number, l0: number, neighbours: SelectionNeighbours): { noise: NoiseDistribution; loss: PrivacyLoss; zcdp: ZcdpLoss | null } {
  const c = calibrateGaussian(epsilon, delta, { sensitivity: 1, l0, neighbours }, GAUSSIAN_TAIL_MAX_SIGMA);
  return { noise: makeDiscreteGaussianNoise(c.sigma), loss: c.privacyLoss, zcdp: c.zcdp };
}

/** delta split as (1 - share) for the noise and share for the threshold, composed (the proof's general case). */
function splitThreshold(epsilon: number, delta: number, l0: number, neighbours: SelectionNeighbours, share: number): GaussianThreshold {
  const changed = bucketsChanged(l0, neighbours);
  const thresholdDelta = delta * share;
  const noiseDelta = delta - thresholdDelta;
  const { noise, loss, zcdp } = gaussianNoiseFor(epsilon, noiseDelta, l0, neighbours);
  const threshold = calibrateThreshold(noise, (thresholdDelta / changed) * (1 - 2 ** -50));
  return { noise, threshold, noiseLoss: loss, zcdp, thresholdDelta, extra: { noiseDelta, thresholdDeltaShare: share } };
}

/**
 * l0 = 1: a contributor changes at most two buckets (replace-one) or one (add/remove), and each
 * neighbouring pair is one of a few cases whose deltas are exact (noisy-threshold.proof.md):
 * add/remove: max(dg1(sigma), q); replace-one: max(dgSwap(sigma), dg1(sigma) + q, 2q), with
 * q = P[1 + Z >= T]. Sigma is the smallest on the exact curve (the swap curve for replace-one), T
 * the smallest threshold those cases allow.
 */
function exactThreshold(epsilon: number, delta: number, neighbours: SelectionNeighbours): GaussianThreshold {
  const { noise } = gaussianNoiseFor(epsilon, delta, 1, neighbours);
  const sigma = noise.scale;
  const oneCount = neighbours === 'add_remove' ? 0 : discreteGaussianDelta(sigma, epsilon, 1);
  // replace-one: q <= delta/2 (both buckets 0 <-> 1) and q <= delta - dg1 (one shifted, one 0 <-> 1)
  const q = neighbours === 'add_remove' ? delta : Math.min(delta / 2, delta - oneCount);
  if (!(q > 0)) throw invalid('delta', 'a delta the one-count curve leaves room under', delta);
  const threshold = calibrateThreshold(noise, q * (1 - 2 ** -50));
  const changed = bucketsChanged(1, neighbours);
  return { noise, threshold, noiseLoss: { epsilon, delta }, zcdp: null, thresholdDelta: changed * noise.tail(threshold - 1), extra: { calibration: 'exact_cases' } };
}

export function makeGaussianThresholdSelection(params: GaussianThresholdParams): ThresholdSelection {
  checkObject('params', params);
  const epsilon = checkNumber('epsilon', params.epsilon, { gt: 0, le: 100 });
  const delta = checkNumber('delta', params.delta, { ge: 1e-100, lt: 1 });
  const l0 = readL0(params.l0);
  const neighbours = readNeighbours(params.neighbours);
  const share = params.thresholdDeltaShare === undefined ? undefined : checkNumber('thresholdDeltaShare', params.thresholdDeltaShare, { gt: 0, lt: 1 });
  let best: GaussianThreshold;
  if (share !== undefined) best = splitThreshold(epsilon, delta, l0, neighbours, share);
  else if (l0 === 1) best = exactThreshold(epsilon, delta, neighbours);
  else {
    // the smallest threshold, then the least noise
    best = splitThreshold(epsilon, delta, l0, neighbours, SPLIT_GRID[31] as number);
    for (const s of SPLIT_GRID) {
      const c = splitThreshold(epsilon, delta, l0, neighbours, s);
      if (c.threshold < best.threshold || (c.threshold === best.threshold && c.noise.scale < best.noise.scale)) best = c;
    }
  }
  // the noise's epsilon and the selection's whole delta
  const loss: PrivacyLoss = { epsilon: best.noiseLoss.epsilon, delta };
  return build('gaussian_threshold', best.noise, best.threshold, l0, neighbours, best.thresholdDelta, loss, best.zcdp, best.extra);
}

/**
 * What a distributed-noise settlement tells a noisy-count threshold. Registered by the plan that
 * issued the settlement (never by a caller), so the noise the gate thresholds against is the noise
 * the plan says is in the counts.
 */
export interface NoisyCountSource {
  /** the noise in the released counts (refused: the planned noise) */
  readonly noise: NoiseDistribution;
  /** the loss of the released counts (refused: the promised loss) */
  readonly privacyLoss: PrivacyLoss;
  /** the most buckets one client's vector makes non-zero */
  readonly l0: number;
  /** the most one client adds to one bucket */
  readonly maxContribution: number;
  /** set when the settlement is refused: nothing may be released */
  readonly refusal: string | null;
}

const sources = new WeakMap<object, NoisyCountSource>();
const issued = new WeakSet<object>();

export function registerNoisyCountSource(settlement: object, source: NoisyCountSource): void {
  sources.set(settlement, Object.freeze({ ...source }));
}

/** true for a selection made by makeNoisyCountThreshold (the gate accepts no other noisy-count selection) */
export function isNoisyCountThreshold(selection: object): boolean {
  return issued.has(selection);
}

export interface NoisyCountThresholdParams {
  /** the round's settlement (`DistributedNoisePlan.settle`): the noise actually in the counts and its loss */
  readonly settlement: DistributedNoiseSettlement;
  /** calibrate the threshold for this delta (the buckets one client creates pass w.p. <= thresholdDelta in all) ... */
  readonly thresholdDelta?: number;
  /** ... or use this integer threshold and report the delta it implies */
  readonly threshold?: number;
}

/**
 * A threshold on counts noised by distributed noise; the gate adds no noise. One client makes at
 * most l0 buckets non-zero and adds at most c to each (both from the plan's sensitivity and value
 * bounds), so T is calibrated for P[c + Z >= T] <= thresholdDelta / l0. A refused settlement gives
 * a selection with the planned noise whose gate refuses every decision with 'noise_below_plan'.
 */
export function makeNoisyCountThreshold(params: NoisyCountThresholdParams): ThresholdSelection {
  checkObject('params', params);
  const settlement = params.settlement as unknown;
  const source = typeof settlement === 'object' && settlement !== null ? sources.get(settlement) : undefined;
  if (!source) throw invalid('settlement', 'a settlement made by a DistributedNoisePlan’s settle()', settlement);
  const { noise, l0, maxContribution: c } = source;
  if ((params.thresholdDelta === undefined) === (params.threshold === undefined)) {
    throw invalid('thresholdDelta', 'exactly one of thresholdDelta and threshold', params.thresholdDelta);
  }
  let threshold: number;
  let thresholdDelta: number;
  if (params.threshold !== undefined) {
    threshold = checkInteger('threshold', params.threshold, { ge: 1 });
    thresholdDelta = Math.min(1, l0 * noise.tail(threshold - c) * (1 + 1e-9));
    if (!(thresholdDelta < 1)) throw invalid('threshold', `a threshold that ${l0} buckets with ${c} each pass with probability < 1 in all`, threshold);
  } else {
    thresholdDelta = checkNumber('thresholdDelta', params.thresholdDelta, { ge: 1e-100, lt: 1 });
    // calibrateThreshold bounds P[1 + Z >= T]; shifting by c - 1 bounds P[c + Z >= T]
    threshold = calibrateThreshold(noise, (thresholdDelta / l0) * (1 - 2 ** -50)) + (c - 1);
  }
  const noiseDelta = source.privacyLoss.delta;
  const delta = noiseDelta + thresholdDelta;
  if (!(delta < 1)) throw invalid('thresholdDelta', 'a delta that keeps the total delta below 1', thresholdDelta);
  const selection = build(
    'noisy_count_threshold',
    noise,
    threshold,
    l0,
    NEIGHBOUR_RELATION,
    thresholdDelta,
    { epsilon: source.privacyLoss.epsilon, delta },
    null,
    { noiseDelta, maxContribution: c },
    source.refusal,
  );
  issued.add(selection);
  return selection;
}
