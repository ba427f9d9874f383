/**
 * The rules of the modes whose noise is added away from the device (secure aggregation's
 * distributed noise, Prio3's two aggregators), every mode's rule together, and the server's check
 * of a whole plan (checkPlan) and of a plan change (checkPlanChange).
 */
import { type Collection } from './insights.js';
import { type PlanChange, planChange } from './plan-budget.js';
import { PinholeError } from './errors.js';
import {
  type DistributedNoiseMechanism,
  type Plan,
  type PlanCollection,
  type PlanMode,
  type PlanModeRule,
  type PlanSecagg,
  type Prio3Mechanism,
  PLAN_DISTRIBUTED_NOISE,
  PLAN_SHORTFALL_POLICIES,
  SECAGG_THREAT_MODELS,
} from './plan-schema.js';
import { bounds, centralCollectionRule, checkPlanWith, ldpCollectionRule, only, within } from './plan-check.js';
import { checkInteger, checkNumber, checkObject, checkOneOf, checkString, invalid } from './validate.js';

function checkSecagg(param: string, v: unknown, mech: DistributedNoiseMechanism): PlanSecagg {
  const o = checkObject(param, v);
  only(param, o, ['cohort', 'dropoutRate', 'corruptFraction', 'securityBits', 'correctnessBits', 'threatModel', 'keyDirectory', 'graph', 'degree', 'threshold']);
  const cohort = checkInteger(`${param}.cohort`, o.cohort, { ge: 2, le: 2 ** 20 });
  if (cohort !== mech.expectedClients) throw invalid(`${param}.cohort`, `the noise plan's expectedClients (${mech.expectedClients})`, cohort);
  const graph = checkOneOf(`${param}.graph`, o.graph, ['harary', 'complete'] as const);
  const degree = checkInteger(`${param}.degree`, o.degree, { ge: 2, le: cohort - 1 });
  if (graph === 'complete' && degree !== cohort - 1) throw invalid(`${param}.degree`, `cohort - 1 (${cohort - 1}) for the complete graph`, degree);
  if (graph === 'harary' && degree % 2 !== 0) throw invalid(`${param}.degree`, 'an even degree for a Harary graph', degree);
  const holders = degree + 1;
  const threshold = checkInteger(`${param}.threshold`, o.threshold, { gt: holders / 2, le: holders });
  if (threshold < 2) throw invalid(`${param}.threshold`, 'an integer >= 2', threshold);
  const threatModel = checkOneOf(`${param}.threatModel`, o.threatModel, SECAGG_THREAT_MODELS);
  let keyDirectory: string | undefined;
  if (o.keyDirectory !== undefined) {
    keyDirectory = checkString(`${param}.keyDirectory`, o.keyDirectory, { nonEmpty: true, maxLength: 2048 });
    if (!/^https?:\/\/[^\s/]+[^\s]*$/.test(keyDirectory)) throw invalid(`${param}.keyDirectory`, 'an http(s) URL of a key directory', keyDirectory);
    if (threatModel !== 'key_directory') throw invalid(`${param}.keyDirectory`, 'no directory unless threatModel is "key_directory"', keyDirectory);
  }
  return {
    cohort,
    dropoutRate: checkNumber(`${param}.dropoutRate`, o.dropoutRate, { ge: 0, lt: 1 }),
    corruptFraction: checkNumber(`${param}.corruptFraction`, o.corruptFraction, { ge: 0, lt: 1 }),
    securityBits: checkNumber(`${param}.securityBits`, o.securityBits, { gt: 0, le: 1000 }),
    correctnessBits: checkNumber(`${param}.correctnessBits`, o.correctnessBits, { gt: 0, le: 1000 }),
    threatModel,
    ...(keyDirectory === undefined ? {} : { keyDirectory }),
    graph,
    degree,
    threshold,
  };
}

function checkDistributed(param: string, o: Record<string, unknown>, cat: Collection, groups: number, domainSize: number): DistributedNoiseMechanism {
  const isMean = cat.kind === 'mean';
  only(param, o, [
    'kind',
    'noise',
    'epsilon',
    'delta',
    'l2Sensitivity',
    'l1Sensitivity',
    'vectorLength',
    'expectedClients',
    'minSurvivors',
    'onShortfall',
    'clientValueBounds',
    'wrapProbability',
    'shareParameter',
    'modulusBits',
    ...(isMean ? ['bounds', 'grid'] : []),
  ]);
  const grid = isMean ? checkInteger(`${param}.grid`, o.grid, { ge: 1, le: 2 ** 20 }) : 1;
  const vectorLength = checkInteger(`${param}.vectorLength`, o.vectorLength, { ge: 1, le: 2 ** 24 });
  const expected = isMean ? 2 * groups : domainSize;
  if (vectorLength !== expected) {
    throw invalid(`${param}.vectorLength`, isMean ? `2 · groups (${expected}): a value and a count slot per group` : `the collection's domainSize (${expected})`, vectorLength);
  }
  // The device's vector: one-hot (histogram) or [value on the grid, grid] in its group's slots (mean).
  const l2Layout = isMean ? grid * Math.SQRT2 : 1;
  const l1Layout = isMean ? 2 * grid : 1;
  const l2 = checkNumber(`${param}.l2Sensitivity`, o.l2Sensitivity, { ge: l2Layout, le: 2 ** 30 });
  const l1 = checkNumber(`${param}.l1Sensitivity`, o.l1Sensitivity, { ge: Math.max(l1Layout, l2), le: 2 ** 40 });
  const cvb = o.clientValueBounds;
  if (!Array.isArray(cvb) || cvb.length !== 2 || cvb[0] !== 0 || cvb[1] !== grid) {
    throw invalid(`${param}.clientValueBounds`, `[0, ${grid}] (the device vector's entries)`, cvb);
  }
  const expectedClients = checkInteger(`${param}.expectedClients`, o.expectedClients, { ge: 2, le: 2 ** 30 });
  const m: DistributedNoiseMechanism = {
    kind: 'distributed_noise',
    noise: checkOneOf(`${param}.noise`, o.noise, PLAN_DISTRIBUTED_NOISE),
    epsilon: checkNumber(`${param}.epsilon`, o.epsilon, { gt: 0, le: 100 }),
    delta: checkNumber(`${param}.delta`, o.delta, { gt: 0, lt: 1 }),
    l2Sensitivity: l2,
    l1Sensitivity: l1,
    vectorLength,
    expectedClients,
    minSurvivors: checkInteger(`${param}.minSurvivors`, o.minSurvivors, { ge: 1, le: expectedClients }),
    onShortfall: checkOneOf(`${param}.onShortfall`, o.onShortfall, PLAN_SHORTFALL_POLICIES),
    clientValueBounds: [0, grid],
    wrapProbability: checkNumber(`${param}.wrapProbability`, o.wrapProbability, { gt: 0, lt: 1 }),
    shareParameter: checkNumber(`${param}.shareParameter`, o.shareParameter, { gt: 0, le: 2 ** 30 }),
    modulusBits: checkInteger(`${param}.modulusBits`, o.modulusBits, { ge: 2, le: 32 }),
    ...(isMean ? { bounds: bounds(`${param}.bounds`, o.bounds), grid } : {}),
  };
  return m;
}

function checkPrio3(param: string, o: Record<string, unknown>, kind: 'histogram' | 'mean', groups: number, domainSize: number): Prio3Mechanism {
  checkOneOf(`${param}.kind`, o.kind, ['prio3'] as const);
  const isMean = kind === 'mean';
  only(param, o, ['kind', 'vdaf', 'length', 'maxMeasurement', 'chunkLength', 'noise', 'sigma', 'epsilon', 'delta', 'l2Sensitivity', 'aggregatorEpsilon', ...(isMean ? ['bounds', 'grid'] : [])]);
  const vdaf = checkOneOf(`${param}.vdaf`, o.vdaf, [isMean ? 'Prio3SumVec' : 'Prio3Histogram'] as const);
  const length = checkInteger(`${param}.length`, o.length, { ge: 1, le: 2 ** 20 });
  const expected = isMean ? 2 * groups : domainSize;
  if (length !== expected) throw invalid(`${param}.length`, isMean ? `2 · groups (${expected}): a value and a count slot per group` : `the collection's domainSize (${expected})`, length);
  const grid = isMean ? checkInteger(`${param}.grid`, o.grid, { ge: 1, le: 2 ** 20 }) : 1;
  const maxMeasurement = checkInteger(`${param}.maxMeasurement`, o.maxMeasurement, { ge: 1, le: 2 ** 20 });
  if (maxMeasurement !== grid) throw invalid(`${param}.maxMeasurement`, isMean ? `the grid (${grid})` : '1 (a one-hot histogram)', maxMeasurement);
  const bitsLength = isMean ? length * Math.ceil(Math.log2(grid + 1)) : length;
  // replace-one: a histogram device moves one unit between two counts; a mean device moves its [value, grid] pair between groups
  const l2Layout = isMean ? 2 * grid : Math.SQRT2;
  const epsilon = checkNumber(`${param}.epsilon`, o.epsilon, { gt: 0, le: 100 });
  return {
    kind: 'prio3',
    vdaf,
    length,
    maxMeasurement,
    chunkLength: checkInteger(`${param}.chunkLength`, o.chunkLength, { ge: 1, le: bitsLength }),
    noise: checkOneOf(`${param}.noise`, o.noise, ['discrete_gaussian'] as const),
    sigma: checkNumber(`${param}.sigma`, o.sigma, { ge: 2 ** -20, le: 2 ** 40 }),
    epsilon,
    delta: checkNumber(`${param}.delta`, o.delta, { gt: 0, lt: 1 }),
    l2Sensitivity: checkNumber(`${param}.l2Sensitivity`, o.l2Sensitivity, { ge: l2Layout, le: 2 ** 30 }),
    aggregatorEpsilon: checkNumber(`${param}.aggregatorEpsilon`, o.aggregatorEpsilon, { ge: epsilon, le: 1000 }),
    ...(isMean ? { bounds: bounds(`${param}.bounds`, o.bounds), grid } : {}),
  };
}

export const prio3CollectionRule: PlanModeRule = ({ param, mechanism: mo, kind, groups, buckets, domainSize, charged, base }) => {
  const mp = `${param}.mechanism`;
  const mechanism = checkPrio3(mp, mo, kind, groups, domainSize);
  within(`${mp}.epsilon`, { epsilon: mechanism.epsilon, delta: mechanism.delta }, charged, 'the loss of the release with both aggregators’ noise');
  if (kind === 'histogram') return { ...base, kind, buckets, mode: 'prio3', mechanism };
  return { ...base, kind, mode: 'prio3', mechanism };
};

export const secaggCollectionRule: PlanModeRule = ({ param, o, mechanism: mo, catalogue, kind, groups, buckets, domainSize, charged, minCohort, base }) => {
  const mp = `${param}.mechanism`;
  checkOneOf(`${mp}.kind`, mo.kind, ['distributed_noise'] as const);
  const mechanism = checkDistributed(mp, mo, catalogue, groups, domainSize);
  within(`${mp}.epsilon`, { epsilon: mechanism.epsilon, delta: mechanism.delta }, charged, 'the promised loss of the released sum');
  if (minCohort > mechanism.expectedClients) throw invalid(`${param}.minCohort`, `at most the secure-aggregation cohort (${mechanism.expectedClients})`, minCohort);
  // refuse: never unmask a sum with less noise than planned; top_up: the floor is below the planned survivors
  if (mechanism.onShortfall === 'refuse' && minCohort < mechanism.minSurvivors) {
    throw invalid(
      `${param}.minCohort`,
      `at least mechanism.minSurvivors (${mechanism.minSurvivors}) with onShortfall "refuse": a smaller cohort would be unmasked with less noise than planned`,
      minCohort,
    );
  }
  if (mechanism.onShortfall === 'top_up' && minCohort > mechanism.minSurvivors) {
    throw invalid(`${param}.minCohort`, `at most mechanism.minSurvivors (${mechanism.minSurvivors}) with onShortfall "top_up"`, minCohort);
  }
  const secagg = checkSecagg(`${param}.secagg`, o.secagg, mechanism);
  if (kind === 'histogram') return { ...base, kind, buckets, mode: 'secagg', mechanism, secagg };
  return { ...base, kind, mode: 'secagg', mechanism, secagg };
};

/** Every mode's rule: what the server (checkPlan) checks. A plain literal, so a bundle that names only some rules leaves the others out. */
export const PLAN_MODE_RULES: Readonly<Record<PlanMode, PlanModeRule>> = { ldp: ldpCollectionRule, central: centralCollectionRule, secagg: secaggCollectionRule, prio3: prio3CollectionRule };

/**
 * Validates a plan document (parsed JSON) and returns it typed, copied and frozen. Anything wrong
 * is a PinholeError whose `param` is the path of the offending field (`plan.collections[1].gate.k`):
 * `invalid_argument` for bad values, `unsupported` for an unknown format version, and
 * `budget_exceeded` when the schedule or a mechanism spends more than the budget allows.
 */
export function checkPlan(json: unknown): Plan {
  return checkPlanWith(json, PLAN_MODE_RULES);
}

/**
 * Whether `next` may replace `previous`. A revision never resets spend: when next keeps the same
 * periods (length and start), its period budget may not exceed previous's (spend so far counts
 * against it; `roundsLeftInPeriod` then says how many rounds remain); a larger budget or other
 * periods take effect only from a fresh period, so next's first period must start no earlier than
 * the end of previous's period at `now`. The same plan id needs a higher revision. Refusals are
 * `budget_exceeded` (more spend within a period) or `invalid_argument`.
 */
export function checkPlanChange(previous: Plan, next: Plan, options: { readonly now?: number } = {}): PlanChange {
  const prev = checkPlan(previous);
  const nxt = checkPlan(next);
  const opts = checkObject('options', options);
  return planChange(prev, nxt, opts.now === undefined ? Date.now() : checkNumber('options.now', opts.now, { ge: 0 }));
}

/** A plan's secure-aggregation collections and the round's vector layout: one protocol run carries them all, concatenated. */
export interface SecaggLayout {
  readonly collections: (PlanCollection & { mode: 'secagg' })[];
  readonly vectorLength: number;
  /** the widest modulus of the collections: the round's */
  readonly bits: number;
  /** the largest minimum cohort of the collections: the round's */
  readonly minCohort: number;
}

/**
 * The layout both the device and the aggregator derive from a plan (null when it has no
 * secure-aggregation collection); collections that disagree on the protocol section are refused, as
 * one round has one cohort.
 */
export function secaggLayout(plan: Plan): SecaggLayout | null {
  const collections = plan.collections.filter((c): c is PlanCollection & { mode: 'secagg' } => c.mode === 'secagg');
  if (collections.length === 0) return null;
  const first = collections[0]!.secagg;
  collections.forEach((c, i) => {
    const same = (Object.keys(first) as (keyof typeof first)[]).every((k) => c.secagg[k] === first[k]) && Object.keys(c.secagg).length === Object.keys(first).length;
    if (!same) throw new PinholeError('unsupported', `plan.collections[${i}].secagg`, 'every secure-aggregation collection of a plan must share one protocol section (one round, one cohort)');
  });
  return {
    collections,
    vectorLength: collections.reduce((a, c) => a + c.mechanism.vectorLength, 0),
    bits: Math.max(...collections.map((c) => c.mechanism.modulusBits)),
    minCohort: Math.max(...collections.map((c) => c.minCohort)),
  };
}
