/**
 * What the server runs of a distributed-noise plan: the settlement of a round for its survivors
 * and the finished sum. Fewer survivors than minSurvivors means less noise, so the plan refuses
 * the release ('noise_below_plan') or tops the noise up centrally, as configured; more survivors
 * never report more loss than promised (the smaller of the bounds for s and for minSurvivors
 * shares). Also the signed decoding of the unmasked sum and the gate's noisy-count threshold for
 * the settled counts. Proof: distributed-noise.proof.md.
 */
import { type LedgerEntry, type PrivacyAccountant, type PrivacyLoss, PinholeError } from '@pinhole/core';
import { ddgPrivacy, skellamPrivacy } from '@pinhole/core/privacy';
import { checkInteger, checkObject, checkString, invalid } from '@pinhole/core/validate';
import type { SizedNoise } from './distributed-noise-calibration.js';
import type { ShareParts } from './distributed-noise-share.js';
import type { DistributedNoisePlan, DistributedNoiseSettlement, FinishOptions, FinishedSum, SettlementStatus } from './distributed-noise.js';
import { type NoiseDistribution, discreteGaussianSumDistribution, skellamDistribution } from './noise.js';
import { type ThresholdSelection, makeNoisyCountThreshold, registerNoisyCountSource } from './noisy-threshold.js';

const NOTE_TOP_UP =
  'fewer clients survived than the plan sized its shares for: the server added the missing noise centrally, so the release meets the promised privacy loss, but the server itself saw the sum with less noise (serverPrivacyLoss)';
const NOTE_REFUSED = 'fewer clients survived than the plan sized its shares for: the noise in the sum is below the plan and nothing may be released';

/** The distribution of `count` shares summed. */
export function sumOfShares(sized: SizedNoise, count: number): NoiseDistribution {
  return sized.mechanism === 'skellam' ? skellamDistribution(count * sized.shareParameter) : discreteGaussianSumDistribution(sized.shareParameter, count);
}

/** Z/2^b -> signed integers: [2^(b-1), 2^b) maps to negatives. */
export function makeFromRing(sized: SizedNoise): (sumModular: ArrayLike<number>) => Int32Array {
  const { d } = sized;
  const modulus = 2 ** sized.bits;
  return (sumModular: ArrayLike<number>): Int32Array => {
    const x = readModular('sumModular', sumModular, d, modulus);
    const out = new Int32Array(d);
    const h = modulus / 2;
    for (let i = 0; i < d; i++) {
      const v = x[i] as number;
      out[i] = v >= h ? v - modulus : v;
    }
    return out;
  };
}

/**
 * The plan's settle() and finish(). `noise` is the planned noise (sumOfShares(sized, m)),
 * `fromRing` the plan's decoding, `parts` the share sampler the top-up draws from.
 */
export function makeSettlement(
  sized: SizedNoise,
  noise: NoiseDistribution,
  fromRing: (sumModular: ArrayLike<number>) => Int32Array,
  parts: Pick<ShareParts, 'addShares' | 'rngOf'>,
): { readonly settle: DistributedNoisePlan['settle']; readonly finish: DistributedNoisePlan['finish'] } {
  const { mechanism, delta, l1, l2, l2n, l1n, d, n, m, onShortfall, bounds, shareParameter, shareVariance, promised } = sized;
  const { addShares, rngOf } = parts;
  const plannedVariance = m * shareVariance;
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

  const issued = new WeakSet<object>();

  const settle = (p: { survivors: number }): DistributedNoiseSettlement => {
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
    const releasedNoise = released === 0 ? null : released === m ? noise : sumOfShares(sized, released);
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
  };
  const finish = (sumModular: ArrayLike<number>, settlement: DistributedNoiseSettlement, options: FinishOptions = {}): FinishedSum => {
    if (typeof settlement !== 'object' || settlement === null || !issued.has(settlement)) {
      throw invalid('settlement', 'a settlement made by this plan’s settle()', settlement);
    }
    checkObject('options', options);
    const signed = fromRing(sumModular);
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
  };
  return { settle, finish };
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
