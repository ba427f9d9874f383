/**
 * Making a plan: choosing each collection's mechanism, resolving its noise and grids with the ldp,
 * gate and secagg packages, and writing every resolved parameter into the document (core's
 * `checkPlan` then validates it). The bench's pipelines are made with the same function, so what
 * the bench measured is what a generated plan ships.
 */
import { type Plan, type PlanCollection, type PlanDomains, type PlanMode, type PrivacyLoss, COLLECTIONS, INSIGHTS, PLAN_FORMAT, PLAN_VERSION, PinholeError, checkPlan } from '@pinhole/core';
import { type InsightDomains } from '@pinhole/core/insights';
import { type SecaggThreatModel, PLAN_LONGITUDINAL, PLAN_MEMO, type PlanMemo, splitPrivacyLoss } from '@pinhole/core/plan';
import { NEIGHBOUR_RELATION, centralMeanSensitivity, discreteGaussianSwapSigma, zcdpRhoFor } from '@pinhole/core/privacy';
import { checkInteger, checkNumber, checkObject, checkOneOf, checkString, invalid } from '@pinhole/core/validate';
import { roundUpSignificant } from '@pinhole/core/exact';
import { type DistributedNoiseParams, DEFAULT_WRAP_PROBABILITY, makeDistributedNoisePlan } from '@pinhole/gate';
import { NUMERIC_MECHANISMS, NUMERIC_NAMES, ORACLES, ORACLE_NAMES, type NumericName, type OracleName, recommendOracle } from '@pinhole/ldp';
import { secAggPlusParameters } from '@pinhole/secagg';
import { type Prio3Options, prio3Collection } from './prio3-plan.js';

/** Default integer grid of mean values for the central and secure-aggregation modes. */
export const MEAN_MAX_GRID = 1024;
/**
 * Largest total Skellam mu per coordinate a secure-aggregation mean plans for: exact Poisson
 * sampling costs O(mu), for the server's top-up and for simulations of the sum.
 */
export const MEAN_MU_CAP = 2 ** 17;
/** A Monday: periods of a plan made without a start are counted from here. */
export const DEFAULT_PERIOD_START = '2025-01-06T00:00:00Z';
export const DEFAULT_PERIOD_SECONDS = 7 * 86400;
export const DEFAULT_K = 20;

export interface LdpOptions {
  /** the frequency oracle of histogram collections; 'auto' (default) takes recommendOracle's choice */
  readonly oracle?: OracleName | 'auto';
  /** the numeric mechanism of mean collections; 'auto' (default) takes the least worst-case variance */
  readonly numeric?: NumericName | 'auto';
  /** histogram collections across rounds: 'per_value' (default) reuses one report per true bucket, 'none' perturbs afresh each round (PLAN_MEMO) */
  readonly memo?: PlanMemo;
}

export interface SecaggOptions {
  /** default 'skellam' */
  readonly noise?: 'skellam' | 'discrete_gaussian';
  /** expected share of the cohort that drops out (secure-aggregation floors); default 0 */
  readonly dropoutRate?: number;
  /** noise shares are sized for ceil(cohort · minSurvivorFraction) survivors; default 1 - dropoutRate */
  readonly minSurvivorFraction?: number;
  /** default 'refuse' */
  readonly onShortfall?: 'refuse' | 'top_up';
  /**
   * top_up only: rounds with fewer survivors than ceil(cohort · minCohortFraction) are refused; the
   * aggregator's own loss at that floor (it sees the sum before the top-up) is what devices are
   * charged, so the release's target is calibrated below the collection's budget. Default
   * max(0.5, 1 - 2 · dropoutRate), never above minSurvivorFraction.
   */
  readonly minCohortFraction?: number;
  /** share of clients that may collude with the server; default 0.05 */
  readonly corruptFraction?: number;
  /** secure aggregation fails with probability <= 2^-securityBits; default 40 */
  readonly securityBits?: number;
  /** default 30 */
  readonly correctnessBits?: number;
  /** default 'key_directory' when keyDirectory is given, else 'honest_but_curious' */
  readonly threatModel?: SecaggThreatModel;
  /** the base URL of the key directory devices check keys with (written into the plan; key_directory only) */
  readonly keyDirectory?: string;
  readonly wrapProbability?: number;
  /** largest grid of mean values; default 1024 */
  readonly meanMaxGrid?: number;
  /** largest total Skellam mu per coordinate of a mean; default 2^17 */
  readonly meanNoiseCap?: number;
}

export interface CentralOptions {
  /** the integer grid of mean values; default 1024 */
  readonly meanGrid?: number;
}

export interface CollectionPlanOptions {
  readonly collection: string;
  readonly mode: PlanMode;
  /** what every device is charged for this collection per round */
  readonly budget: PrivacyLoss;
  readonly domains: InsightDomains;
  /** devices expected per round (the secure-aggregation cohort; the oracle choice) */
  readonly expectedDevices: number;
  readonly k?: number;
  /** default: k for ldp and central; the survivor floor for secagg */
  readonly minCohort?: number;
  readonly ldp?: LdpOptions;
  readonly secagg?: SecaggOptions;
  readonly central?: CentralOptions;
  readonly prio3?: Prio3Options;
}

export interface MakePlanOptions {
  readonly id: string;
  readonly revision?: number;
  readonly description?: string;
  readonly insights: readonly string[];
  /** the PUBLIC domains, declared by the carrier (never derived from the data) */
  readonly domains: PlanDomains;
  /** per device, per period */
  readonly budget: { readonly epsilon: number; readonly delta: number; readonly periodSeconds?: number; readonly periodStart?: string };
  readonly schedule?: { readonly roundsPerPeriod?: number; readonly roundSeconds?: number | null; readonly closeAtReports?: number | null };
  readonly mode: PlanMode;
  /** devices expected per round, or per collection id */
  readonly expectedDevices: number | Readonly<Record<string, number>>;
  readonly k?: number;
  readonly minCohort?: number;
  readonly ldp?: LdpOptions;
  readonly secagg?: SecaggOptions;
  readonly central?: CentralOptions;
  readonly prio3?: Prio3Options;
}

function only(param: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) if (!allowed.includes(key)) throw invalid(`${param}.${key}`, `no such option (known: ${allowed.join(', ')})`, o[key]);
}

/** The numeric mechanism with the smallest worst-case report variance at this epsilon. */
export function bestNumericMechanism(epsilon: number): NumericName {
  let best: NumericName = 'hybrid';
  let bestVar = Infinity;
  for (const name of NUMERIC_NAMES) {
    const m = NUMERIC_MECHANISMS[name]({ epsilon });
    let worst = 0;
    for (const t of [-1, -0.5, 0, 0.5, 1]) worst = Math.max(worst, m.reportVariance(t));
    if (worst < bestVar) {
      bestVar = worst;
      best = name;
    }
  }
  return best;
}

function layoutOf(collectionId: string, domains: InsightDomains): { kind: 'histogram' | 'mean'; groups: number; buckets: number; bounds: readonly [number, number] | null } {
  const c = COLLECTIONS.find((x) => x.id === collectionId);
  if (!c) throw invalid('collection', `one of ${COLLECTIONS.map((x) => JSON.stringify(x.id)).join(', ')}`, collectionId);
  if (c.kind === 'histogram') {
    const l = c.layout(domains);
    return { kind: 'histogram', groups: l.groups.length, buckets: l.buckets.length, bounds: null };
  }
  return { kind: 'mean', groups: c.groups(domains).length, buckets: 1, bounds: c.bounds };
}

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

function secaggCollection(
  collection: string,
  layout: ReturnType<typeof layoutOf>,
  budget: PrivacyLoss,
  n: number,
  opts: SecaggOptions,
  base: { groups: number; domainSize: number; k: number; minCohort: number | undefined },
): PlanCollection {
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

/**
 * One collection of a plan, resolved: the mechanism for its mode, its noise, and what devices are
 * charged (`budget`). Throws `invalid_argument` when the mode cannot serve this collection (e.g.
 * an oracle that does not support the domain size).
 */
export function makeCollectionPlan(options: CollectionPlanOptions): PlanCollection {
  const o = checkObject('options', options);
  only('options', o, ['collection', 'mode', 'budget', 'domains', 'expectedDevices', 'k', 'minCohort', 'ldp', 'secagg', 'central', 'prio3']);
  const mode = checkOneOf('mode', o.mode, ['ldp', 'secagg', 'central', 'prio3'] as const);
  const layout = layoutOf(checkString('collection', o.collection), options.domains);
  const b = checkObject('budget', o.budget);
  const budget: PrivacyLoss = { epsilon: checkNumber('budget.epsilon', b.epsilon, { gt: 0 }), delta: checkNumber('budget.delta', b.delta, { ge: 0, lt: 1 }) };
  const n = checkInteger('expectedDevices', o.expectedDevices, { ge: 1, le: 2 ** 30 });
  const k = o.k === undefined ? DEFAULT_K : checkInteger('k', o.k, { ge: 1 });
  const minCohort = o.minCohort === undefined ? undefined : checkInteger('minCohort', o.minCohort, { ge: 1 });
  const groups = layout.groups;
  const domainSize = groups * layout.buckets;
  const gate = { mode: 'estimate_threshold' as const, k };
  const collection = options.collection;

  if (mode === 'ldp') {
    const l = options.ldp === undefined ? {} : checkObject('ldp', options.ldp);
    only('ldp', l, ['oracle', 'numeric', 'memo']);
    if (layout.kind === 'histogram') {
      const choice = l.oracle === undefined || l.oracle === 'auto' ? recommendOracle({ domainSize, epsilon: budget.epsilon, n }).oracle : checkOneOf('ldp.oracle', l.oracle, ORACLE_NAMES);
      // constructing it refuses what the oracle cannot do (domain size, epsilon)
      ORACLES[choice]({ epsilon: budget.epsilon, domainSize });
      return {
        id: collection,
        kind: 'histogram',
        groups,
        buckets: layout.buckets,
        domainSize,
        mode: 'ldp',
        privacyLoss: { epsilon: budget.epsilon, delta: 0 },
        gate,
        minCohort: minCohort ?? k,
        mechanism: { kind: 'oracle', name: choice, epsilon: budget.epsilon, domainSize },
        memo: l.memo === undefined ? 'per_value' : checkOneOf('ldp.memo', l.memo, PLAN_MEMO),
      };
    }
    const choice = l.numeric === undefined || l.numeric === 'auto' ? bestNumericMechanism(budget.epsilon) : checkOneOf('ldp.numeric', l.numeric, NUMERIC_NAMES);
    NUMERIC_MECHANISMS[choice]({ epsilon: budget.epsilon });
    return {
      id: collection,
      kind: 'mean',
      groups,
      domainSize,
      mode: 'ldp',
      privacyLoss: { epsilon: budget.epsilon, delta: 0 },
      gate,
      minCohort: minCohort ?? k,
      mechanism: { kind: 'numeric', name: choice, epsilon: budget.epsilon, bounds: layout.bounds as [number, number] },
      publicGroup: true,
    };
  }
  if (mode === 'central') {
    if (!(budget.delta > 0)) throw invalid('budget.delta', 'a delta > 0 (the discrete Gaussian is approximate DP)', budget.delta);
    const c = options.central === undefined ? {} : checkObject('central', options.central);
    only('central', c, ['meanGrid']);
    if (layout.kind === 'histogram') {
      return {
        id: collection,
        kind: 'histogram',
        groups,
        buckets: layout.buckets,
        domainSize,
        mode: 'central',
        privacyLoss: budget,
        gate,
        minCohort: minCohort ?? k,
        // one-hot counts: a device moving to another bucket changes two counts by 1 (the exact curve)
        mechanism: { kind: 'discrete_gaussian', epsilon: budget.epsilon, delta: budget.delta, sigma: discreteGaussianSwapSigma(budget.epsilon, budget.delta, 1) },
      };
    }
    const grid = c.meanGrid === undefined ? MEAN_MAX_GRID : checkInteger('central.meanGrid', c.meanGrid, { ge: 1, le: 2 ** 20 });
    // zCDP split equally between the sums and the counts; a device moving to another group changes
    // two sums by <= grid and two counts by 1 (replace-one); sigmas rounded up
    const rho = zcdpRhoFor(budget.epsilon, budget.delta);
    const sum = centralMeanSensitivity(grid);
    return {
      id: collection,
      kind: 'mean',
      groups,
      domainSize,
      mode: 'central',
      privacyLoss: budget,
      gate,
      minCohort: minCohort ?? k,
      mechanism: {
        kind: 'discrete_gaussian',
        epsilon: budget.epsilon,
        delta: budget.delta,
        bounds: layout.bounds as [number, number],
        grid,
        sigmaSum: roundUpSignificant(sum.sum / Math.sqrt(rho)),
        sigmaCount: roundUpSignificant(sum.count / Math.sqrt(rho)),
      },
    };
  }
  if (mode === 'prio3') return prio3Collection(collection, layout, budget, options.prio3 ?? {}, { groups, domainSize, k, minCohort });
  return secaggCollection(collection, layout, budget, n, options.secagg ?? {}, { groups, domainSize, k, minCohort });
}

/**
 * A complete, validated plan: the period budget split exactly into rounds, each round's budget
 * split equally over the collections the insights need, every collection resolved for `mode`.
 */
export function makePlan(options: MakePlanOptions): Plan {
  const o = checkObject('options', options);
  only('options', o, ['id', 'revision', 'description', 'insights', 'domains', 'budget', 'schedule', 'mode', 'expectedDevices', 'k', 'minCohort', 'ldp', 'secagg', 'central', 'prio3']);
  if (!Array.isArray(o.insights) || o.insights.length === 0) throw invalid('insights', 'a non-empty array of insight ids', o.insights);
  const insights = (o.insights as unknown[]).map((x, i) =>
    checkOneOf(
      `insights[${i}]`,
      x,
      INSIGHTS.map((d) => d.id),
    ),
  );
  const needed = new Set(insights.map((id) => INSIGHTS.find((d) => d.id === id)?.collection));
  const collections = COLLECTIONS.filter((c) => needed.has(c.id)).map((c) => c.id);
  const b = checkObject('budget', o.budget);
  only('budget', b, ['epsilon', 'delta', 'periodSeconds', 'periodStart']);
  const s = o.schedule === undefined ? {} : checkObject('schedule', o.schedule);
  only('schedule', s, ['roundsPerPeriod', 'roundSeconds', 'closeAtReports']);
  const periodSeconds = b.periodSeconds === undefined ? DEFAULT_PERIOD_SECONDS : checkInteger('budget.periodSeconds', b.periodSeconds, { ge: 1 });
  const roundsPerPeriod = s.roundsPerPeriod === undefined ? 1 : checkInteger('schedule.roundsPerPeriod', s.roundsPerPeriod, { ge: 1 });
  const periodBudget: PrivacyLoss = { epsilon: checkNumber('budget.epsilon', b.epsilon, { gt: 0 }), delta: checkNumber('budget.delta', b.delta, { ge: 0, lt: 1 }) };
  const perCollection = splitPrivacyLoss(splitPrivacyLoss(periodBudget, roundsPerPeriod), collections.length);
  const devicesFor = (id: string): number => {
    const e = o.expectedDevices;
    if (typeof e === 'number') return e;
    const map = checkObject('expectedDevices', e);
    if (map[id] === undefined) throw invalid(`expectedDevices.${id}`, 'the devices expected for this collection', map[id]);
    return map[id] as number;
  };
  const plan = {
    format: PLAN_FORMAT,
    version: PLAN_VERSION,
    id: o.id,
    revision: o.revision ?? 1,
    ...(o.description === undefined ? {} : { description: o.description }),
    privacyUnit: 'device',
    neighbours: NEIGHBOUR_RELATION,
    longitudinal: PLAN_LONGITUDINAL,
    budget: { epsilon: periodBudget.epsilon, delta: periodBudget.delta, periodSeconds, periodStart: b.periodStart ?? DEFAULT_PERIOD_START },
    schedule: {
      roundsPerPeriod,
      roundSeconds: s.roundSeconds === undefined ? Math.floor(periodSeconds / roundsPerPeriod) : s.roundSeconds,
      closeAtReports: s.closeAtReports === undefined ? null : s.closeAtReports,
    },
    domains: options.domains,
    insights,
    collections: collections.map((id) =>
      makeCollectionPlan({
        collection: id,
        mode: options.mode,
        budget: perCollection,
        domains: options.domains,
        expectedDevices: devicesFor(id),
        ...(options.k === undefined ? {} : { k: options.k }),
        ...(options.minCohort === undefined ? {} : { minCohort: options.minCohort }),
        ...(options.ldp === undefined ? {} : { ldp: options.ldp }),
        ...(options.secagg === undefined ? {} : { secagg: options.secagg }),
        ...(options.central === undefined ? {} : { central: options.central }),
        ...(options.prio3 === undefined ? {} : { prio3: options.prio3 }),
      }),
    ),
  };
  return checkPlan(JSON.parse(JSON.stringify(plan)));
}
