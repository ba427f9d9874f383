/**
 * A secure-aggregation collection: the cohort's survivor floor and protocol options, the
 * distributed noise (Skellam or discrete Gaussian shares) calibrated so that what devices are
 * charged covers the aggregator's worst case, and the largest mean grid whose noise stays sampleable.
 */
import { type PlanCollection, type PrivacyLoss, PinholeError } from '@pinhole/core';
import { type SecaggThreatModel } from '@pinhole/core/plan';
import { checkInteger, checkNumber, checkObject, checkOneOf, checkString, invalid } from '@pinhole/core/validate';
import { type DistributedNoiseParams, DEFAULT_WRAP_PROBABILITY, makeDistributedNoisePlan } from '@pinhole/gate';
import { secAggPlusParameters } from '@pinhole/secagg';
import { type CollectionBase, type CollectionLayout, type SecaggOptions, MEAN_MAX_GRID, MEAN_MU_CAP, only } from './plan-options.js';

interface SecaggResolved {
  readonly noise: 'skellam' | 'discrete_gaussian';
  readonly m: number;
  readonly floor: number;
  readonly onShortfall: 'refuse' | 'top_up';
  readonly wrapProbability: number;
}

function resolveSecagg(
  o: SecaggOptions,
  n: number,
): SecaggResolved & { dropoutRate: number; corruptFraction: number; securityBits: number; correctnessBits: number; threatModel: SecaggThreatModel; keyDirectory?: string } {
  checkObject('secagg', o);
  only('secagg', o as Record<string, unknown>, [
    'noise',
    'dropoutRate',
    'minSurvivorFraction',
    'onShortfall',
    'minCohortFraction',
    'corruptFraction',
    'securityBits',
    'correctnessBits',
    'threatModel',
    'keyDirectory',
    'wrapProbability',
    'meanMaxGrid',
    'meanNoiseCap',
  ]);
  const dropoutRate = o.dropoutRate === undefined ? 0 : checkNumber('secagg.dropoutRate', o.dropoutRate, { ge: 0, lt: 1 });
  const minFraction = o.minSurvivorFraction === undefined ? 1 - dropoutRate : checkNumber('secagg.minSurvivorFraction', o.minSurvivorFraction, { gt: 0, le: 1 });
  const onShortfall = o.onShortfall === undefined ? 'refuse' : checkOneOf('secagg.onShortfall', o.onShortfall, ['refuse', 'top_up'] as const);
  const m = Math.max(1, Math.min(n, Math.ceil(n * minFraction)));
  let floor = m;
  if (onShortfall === 'top_up') {
    const f = o.minCohortFraction === undefined ? Math.min(minFraction, Math.max(0.5, 1 - 2 * dropoutRate)) : checkNumber('secagg.minCohortFraction', o.minCohortFraction, { gt: 0, le: minFraction });
    floor = Math.max(1, Math.min(m, Math.ceil(n * f)));
  } else if (o.minCohortFraction !== undefined) {
    throw invalid('secagg.minCohortFraction', 'undefined with onShortfall "refuse" (the floor is the planned survivors)', o.minCohortFraction);
  }
  return {
    noise: o.noise === undefined ? 'skellam' : checkOneOf('secagg.noise', o.noise, ['skellam', 'discrete_gaussian'] as const),
    dropoutRate,
    m,
    floor,
    onShortfall,
    corruptFraction: o.corruptFraction === undefined ? 0.05 : checkNumber('secagg.corruptFraction', o.corruptFraction, { ge: 0, lt: 1 }),
    securityBits: o.securityBits === undefined ? 40 : checkNumber('secagg.securityBits', o.securityBits, { gt: 0, le: 1000 }),
    correctnessBits: o.correctnessBits === undefined ? 30 : checkNumber('secagg.correctnessBits', o.correctnessBits, { gt: 0, le: 1000 }),
    threatModel:
      o.threatModel === undefined
        ? o.keyDirectory === undefined
          ? 'honest_but_curious'
          : 'key_directory'
        : checkOneOf('secagg.threatModel', o.threatModel, ['honest_but_curious', 'key_directory'] as const),
    ...(o.keyDirectory === undefined ? {} : { keyDirectory: checkString('secagg.keyDirectory', o.keyDirectory, { nonEmpty: true, maxLength: 2048 }) }),
    wrapProbability: o.wrapProbability === undefined ? DEFAULT_WRAP_PROBABILITY : checkNumber('secagg.wrapProbability', o.wrapProbability, { gt: 0, lt: 1 }),
  };
}

/**
 * The distributed-noise parameters for one grid, with the release's target epsilon chosen so that
 * what devices are charged covers the aggregator's worst case: with top_up, the sum of `floor`
 * shares it unmasks before topping up.
 */
function calibrateDistributed(
  s: SecaggResolved,
  budget: PrivacyLoss,
  layout: { vectorLength: number; l2: number; l1: number; grid: number },
  n: number,
): { params: DistributedNoiseParams; shareParameter: number; modulusBits: number; massPerCoordinate: number } {
  const paramsFor = (target: number): DistributedNoiseParams => ({
    mechanism: s.noise,
    epsilon: target,
    delta: budget.delta,
    l2Sensitivity: layout.l2,
    l1Sensitivity: layout.l1,
    vectorLength: layout.vectorLength,
    expectedClients: n,
    minSurvivors: s.m,
    onShortfall: s.onShortfall,
    clientValueBounds: [0, layout.grid],
    wrapProbability: s.wrapProbability,
  });
  const resolved = (target: number) => {
    const p = makeDistributedNoisePlan(paramsFor(target));
    return { params: paramsFor(target), shareParameter: p.shareParameter, modulusBits: p.modulusBits, massPerCoordinate: p.minSurvivors * p.shareParameter, plan: p };
  };
  const full = resolved(budget.epsilon);
  if (s.floor >= s.m) return full;
  const fits = (r: ReturnType<typeof resolved>) => r.plan.settle({ survivors: s.floor }).serverPrivacyLoss.epsilon <= budget.epsilon;
  if (fits(full)) return full;
  // the aggregator's loss at the floor falls as the target (hence the noise) falls: bisect the target
  let lo = budget.epsilon / 2;
  let loPlan = resolved(lo);
  while (!fits(loPlan)) {
    lo /= 2;
    if (lo < 1e-6 * budget.epsilon) throw invalid('secagg.minCohortFraction', 'a floor whose aggregator loss can fit the budget', s.floor);
    loPlan = resolved(lo);
  }
  let hi = lo * 2;
  while (hi - lo > 1e-4 * hi) {
    const mid = (lo + hi) / 2;
    const r = resolved(mid);
    if (fits(r)) {
      lo = mid;
      loPlan = r;
    } else hi = mid;
  }
  return loPlan;
}

/** A secagg collection: the distributed-noise mechanism (its mean grid as large as the noise cap allows) and the SecAgg+ graph for the cohort. */
export function secaggCollection(collection: string, layout: CollectionLayout, budget: PrivacyLoss, n: number, opts: SecaggOptions, base: CollectionBase): PlanCollection {
  if (n < 2) throw invalid('expectedDevices', 'at least 2 devices for secure aggregation', n);
  if (!(budget.delta > 0)) throw invalid('budget.delta', 'a delta > 0 (distributed noise is approximate DP)', budget.delta);
  const s = resolveSecagg(opts, n);
  const isMean = layout.kind === 'mean';
  let grid = 1;
  let resolved: ReturnType<typeof calibrateDistributed>;
  if (!isMean) {
    resolved = calibrateDistributed(s, budget, { vectorLength: base.domainSize, l2: 1, l1: 1, grid: 1 }, n);
  } else {
    const maxGrid = opts.meanMaxGrid === undefined ? MEAN_MAX_GRID : checkInteger('secagg.meanMaxGrid', opts.meanMaxGrid, { ge: 1, le: 2 ** 20 });
    const cap = opts.meanNoiseCap === undefined ? MEAN_MU_CAP : checkNumber('secagg.meanNoiseCap', opts.meanNoiseCap, { gt: 0 });
    // per group a value slot (on the grid, by unbiased randomized rounding) and a count slot (grid):
    // one device's vector has these norms; the gate calibrates for replace-one from them
    const at = (g: number) => calibrateDistributed(s, budget, { vectorLength: 2 * base.groups, l2: g * Math.SQRT2, l1: 2 * g, grid: g }, n);
    const mass = (g: number): number => {
      try {
        return at(g).massPerCoordinate;
      } catch (err) {
        if (err instanceof PinholeError && err.param === 'epsilon') return Infinity; // too much noise to sample
        throw err;
      }
    };
    if (s.noise === 'discrete_gaussian') grid = maxGrid;
    else {
      // the largest grid whose noise stays under the cap (mu grows about as grid^2)
      let lo = 1;
      let hi = maxGrid;
      if (mass(hi) <= cap) lo = hi;
      while (hi - lo > 1) {
        const mid = Math.floor((lo + hi) / 2);
        if (mass(mid) <= cap) lo = mid;
        else hi = mid;
      }
      grid = lo;
    }
    resolved = at(grid);
  }
  const choice = secAggPlusParameters({ n, dropoutRate: s.dropoutRate, corruptFraction: s.corruptFraction, sigma: s.securityBits, eta: s.correctnessBits });
  const p = resolved.params;
  const mechanism = {
    kind: 'distributed_noise' as const,
    noise: s.noise,
    epsilon: p.epsilon,
    delta: p.delta,
    l2Sensitivity: p.l2Sensitivity,
    l1Sensitivity: p.l1Sensitivity as number,
    vectorLength: p.vectorLength,
    expectedClients: n,
    minSurvivors: s.m,
    onShortfall: s.onShortfall,
    clientValueBounds: [0, grid] as [number, number],
    wrapProbability: s.wrapProbability,
    shareParameter: resolved.shareParameter,
    modulusBits: resolved.modulusBits,
    ...(isMean ? { bounds: layout.bounds as [number, number], grid } : {}),
  };
  const secagg = {
    cohort: n,
    dropoutRate: s.dropoutRate,
    corruptFraction: s.corruptFraction,
    securityBits: s.securityBits,
    correctnessBits: s.correctnessBits,
    threatModel: s.threatModel,
    ...(s.keyDirectory === undefined ? {} : { keyDirectory: s.keyDirectory }),
    graph: choice.graph,
    degree: choice.degree,
    threshold: choice.threshold,
  };
  const minCohort = base.minCohort ?? s.floor;
  const common = { id: collection, groups: base.groups, domainSize: base.domainSize, privacyLoss: budget, gate: { mode: 'estimate_threshold' as const, k: base.k }, minCohort };
  return layout.kind === 'histogram' ? { ...common, kind: 'histogram', buckets: layout.buckets, mode: 'secagg', mechanism, secagg } : { ...common, kind: 'mean', mode: 'secagg', mechanism, secagg };
}
