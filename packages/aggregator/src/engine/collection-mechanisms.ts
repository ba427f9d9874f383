/**
 * The mechanism of one plan collection, one constructor per mode. Each checks the plan's resolved
 * parameters against the libraries (the same shares, the same noise, losses within what devices
 * are charged), so a plan made by another version is refused instead of silently estimated with
 * other parameters.
 */
import { type PlanCollection, type PrivacyLoss, type Rng, PinholeError } from '@pinhole/core';
import { centralMeanSensitivity, discreteGaussianSwapDelta, zcdpDelta } from '@pinhole/core/privacy';
import { makeDiscreteGaussianSampler } from '@pinhole/core/samplers';
import { lossFits } from '@pinhole/core/plan';
import { type DistributedNoisePlan, distributedNoisePlanOf } from '@pinhole/gate';
import { type AnyFrequencyOracle, type NumericMechanism, NUMERIC_MECHANISMS, ORACLES } from '@pinhole/ldp';
import { type Prio3CollectionVdaf, prio3Vdaf } from '@pinhole/prio3';
import { prio3PrivacyLoss } from '../prio3-plan.js';

/** prio3: the VDAF and each aggregator's noise (N_Z(0, sigma^2) per coordinate) */
export interface Prio3Mechanism {
  readonly vdaf: Prio3CollectionVdaf;
  readonly sigma: number;
  noise(rng?: Rng): Int32Array;
}

export interface CollectionMechanisms {
  /** local DP histogram: the oracle reports are decoded and tallied with */
  readonly oracle: AnyFrequencyOracle | null;
  /** local DP mean: the numeric mechanism */
  readonly numeric: NumericMechanism | null;
  /** secure aggregation: the gate's distributed-noise plan */
  readonly noisePlan: DistributedNoisePlan | null;
  readonly prio3: Prio3Mechanism | null;
  /** what every release of the collection says about its mechanism */
  readonly notes: string[];
}

interface Options {
  readonly allowInsecureRng: boolean;
  /** the rng noise is drawn with: the given one, checked, else the CSPRNG */
  rngOf(rng: Rng | undefined): Rng;
}

/** What a mode's constructor found: its mechanism and the loss devices must be charged at least. */
type Built = Partial<CollectionMechanisms> & { readonly charged: PrivacyLoss };

export function planInvalid(param: string, message: string): PinholeError {
  return new PinholeError('invalid_state', param, `"${param}" ${message}: regenerate the plan with this version of @pinhole/aggregator`);
}

/** The collection's mechanism; refuses a plan whose parameters this version resolves otherwise, or whose charge does not cover the mechanism's loss. */
export function collectionMechanisms(c: PlanCollection, param: string, options: Options): CollectionMechanisms {
  let built: Built;
  if (c.mode === 'ldp' && c.kind === 'histogram') built = ldpHistogram(c);
  else if (c.mode === 'ldp') built = ldpMean(c);
  else if (c.mode === 'central' && c.kind === 'histogram') built = centralHistogram(c, param);
  else if (c.mode === 'central') built = centralMean(c, param);
  else if (c.mode === 'prio3') built = prio3Mechanism(c, param, options);
  else built = secaggMechanism(c, param, options);
  const charged = built.charged;
  if (!lossFits(charged, c.privacyLoss)) {
    throw new PinholeError(
      'budget_exceeded',
      `${param}.privacyLoss`,
      `"${param}.privacyLoss" expected to cover the mechanism's loss (epsilon ${charged.epsilon}, delta ${charged.delta}), got epsilon ${c.privacyLoss.epsilon}, delta ${c.privacyLoss.delta}`,
    );
  }
  return { oracle: built.oracle ?? null, numeric: built.numeric ?? null, noisePlan: built.noisePlan ?? null, prio3: built.prio3 ?? null, notes: built.notes ?? [] };
}

function ldpHistogram(c: PlanCollection & { mode: 'ldp'; kind: 'histogram' }): Built {
  const oracle = ORACLES[c.mechanism.name]({ epsilon: c.mechanism.epsilon, domainSize: c.mechanism.domainSize });
  return { oracle, charged: oracle.privacyMap() };
}

function ldpMean(c: PlanCollection & { mode: 'ldp'; kind: 'mean' }): Built {
  const numeric = NUMERIC_MECHANISMS[c.mechanism.name]({ epsilon: c.mechanism.epsilon });
  return { numeric, charged: numeric.privacyMap() };
}

function centralHistogram(c: PlanCollection & { mode: 'central'; kind: 'histogram' }, param: string): Built {
  const m = c.mechanism;
  // replace-one: a device moving to another bucket changes two counts by 1
  if (!(discreteGaussianSwapDelta(m.sigma, m.epsilon, 1) <= m.delta))
    throw planInvalid(`${param}.mechanism.sigma`, `does not give (epsilon ${m.epsilon}, delta ${m.delta}) for a device moving between two counts`);
  return { charged: { epsilon: m.epsilon, delta: m.delta } };
}

function centralMean(c: PlanCollection & { mode: 'central'; kind: 'mean' }, param: string): Built {
  const m = c.mechanism;
  // replace-one: a device moving to another group changes two sums by <= grid and two counts by 1; rho adds over the two
  const s = centralMeanSensitivity(m.grid);
  const rho = (s.sum * s.sum) / (2 * m.sigmaSum * m.sigmaSum) + (s.count * s.count) / (2 * m.sigmaCount * m.sigmaCount);
  if (!(zcdpDelta(rho, m.epsilon) <= m.delta))
    throw planInvalid(`${param}.mechanism`, `sigmas do not give (epsilon ${m.epsilon}, delta ${m.delta}) for sums of L2 sensitivity ${s.sum} and counts of ${s.count}`);
  return { charged: { epsilon: m.epsilon, delta: m.delta } };
}

function prio3Mechanism(c: PlanCollection & { mode: 'prio3' }, param: string, options: Options): Built {
  const m = c.mechanism;
  const loss = prio3PrivacyLoss({ sigma: m.sigma, l2Sensitivity: m.l2Sensitivity, dimension: m.length }, m.delta);
  if (!(loss.release.epsilon <= m.epsilon))
    throw planInvalid(`${param}.mechanism.sigma`, `does not give (epsilon ${m.epsilon}, delta ${m.delta}) with two aggregators' noise (it gives epsilon ${loss.release.epsilon})`);
  if (!(loss.aggregator.epsilon <= m.aggregatorEpsilon))
    throw planInvalid(`${param}.mechanism.aggregatorEpsilon`, `is ${m.aggregatorEpsilon} but one aggregator's view has epsilon ${loss.aggregator.epsilon}`);
  const vdaf = prio3Vdaf(c);
  const draw = makeDiscreteGaussianSampler(m.sigma);
  const prio3: Prio3Mechanism = Object.freeze({
    vdaf,
    sigma: m.sigma,
    noise(rng?: Rng): Int32Array {
      const r = options.rngOf(rng);
      const out = new Int32Array(m.length);
      for (let i = 0; i < out.length; i++) out[i] = draw(r);
      return out;
    },
  });
  return { prio3, charged: { epsilon: m.epsilon, delta: m.delta } };
}

function secaggMechanism(c: PlanCollection & { mode: 'secagg' }, param: string, options: Options): Built {
  const m = c.mechanism;
  const notes: string[] = [];
  const noisePlan = distributedNoisePlanOf(m, { allowInsecureRng: options.allowInsecureRng });
  if (noisePlan.shareParameter !== m.shareParameter)
    throw planInvalid(`${param}.mechanism.shareParameter`, `is ${m.shareParameter} but the gate resolves ${noisePlan.shareParameter} for these parameters`);
  if (noisePlan.modulusBits !== m.modulusBits) throw planInvalid(`${param}.mechanism.modulusBits`, `is ${m.modulusBits} but the gate resolves ${noisePlan.modulusBits} for these parameters`);
  if (m.onShortfall === 'top_up' && c.minCohort < m.minSurvivors) {
    // the aggregator unmasks the sum of as few as minCohort shares before it tops up
    const worst = noisePlan.settle({ survivors: c.minCohort }).serverPrivacyLoss;
    if (!lossFits(worst, c.privacyLoss)) {
      throw new PinholeError(
        'budget_exceeded',
        `${param}.privacyLoss`,
        `"${param}.privacyLoss" expected to cover the aggregator's loss on a sum of minCohort = ${c.minCohort} shares (epsilon ${worst.epsilon}, delta ${worst.delta}) with top-up, got epsilon ${c.privacyLoss.epsilon}, delta ${c.privacyLoss.delta}`,
      );
    }
    notes.push(
      `with fewer than ${m.minSurvivors} survivors the aggregator adds the missing noise before release; devices are charged for what the aggregator itself sees at the floor of ${c.minCohort} survivors`,
    );
  }
  return { noisePlan, notes, charged: noisePlan.privacyLoss };
}
