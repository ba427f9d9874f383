/**
 * Structural validation of a plan document: the fields every collection mode shares, and the rules
 * of the modes a device reports in itself (local DP, central). checkPlanWith takes the rules of the
 * modes its caller runs (a device: these two, and secure aggregation from its plug-in); the
 * server's checkPlan, with every mode's rule, is in plan-modes.ts.
 */
import type { PrivacyLoss } from './privacy-maps.js';
import { decimalCompare, decimalOf } from './decimal.js';
import { PinholeError } from './errors.js';
import { type Collection, COLLECTIONS, INSIGHTS } from './insights.js';
import { NEIGHBOUR_RELATION } from './neighbours.js';
import { decimalTimes, lossFits, planPeriodLoss, sumLosses } from './plan-budget.js';
import {
  type CentralHistogramMechanism,
  type CentralMeanMechanism,
  type NumericMechanismSpec,
  type OracleMechanism,
  type Plan,
  type PlanBudget,
  type PlanCollection,
  type PlanDomains,
  type PlanGate,
  type PlanModeRule,
  type PlanModeRules,
  type PlanSchedule,
  PLAN_FORMAT,
  PLAN_GATE_MODES,
  PLAN_LONGITUDINAL,
  PLAN_MEMO,
  PLAN_MODES,
  PLAN_NUMERIC_MECHANISMS,
  PLAN_ORACLES,
  SUPPORTED_PLAN_VERSIONS,
} from './plan-schema.js';
import { checkInteger, checkNumber, checkObject, checkOneOf, checkString, describeValue, invalid } from './validate.js';

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const MAX_LABEL = 256;
const MAX_DOMAIN = 1_000_000;
const MAX_EPSILON = 1000;
/** ten years: a longer period is a typo, not a privacy promise */
const MAX_PERIOD_SECONDS = 10 * 366 * 86400;

export function only(param: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) throw invalid(`${param}.${key}`, `no such field (known: ${allowed.join(', ')})`, o[key]);
  }
}

function id(param: string, v: unknown): string {
  if (typeof v !== 'string' || !ID_PATTERN.test(v)) throw invalid(param, 'an id of 1 to 64 letters, digits, ".", "_" or "-", starting with a letter or digit', v);
  return v;
}

function labels(param: string, v: unknown): string[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_DOMAIN) throw invalid(param, `a non-empty array of at most ${MAX_DOMAIN} distinct labels`, v);
  const seen = new Set<string>();
  v.forEach((x, i) => {
    checkString(`${param}[${i}]`, x, { nonEmpty: true, maxLength: MAX_LABEL });
    if (seen.has(x as string)) throw invalid(`${param}[${i}]`, 'a label not already in the list', x);
    seen.add(x as string);
  });
  return v.slice() as string[];
}

export function bounds(param: string, v: unknown): [number, number] {
  if (!Array.isArray(v) || v.length !== 2) throw invalid(param, 'a pair [lo, hi] of finite numbers with lo < hi', v);
  const lo = checkNumber(`${param}[0]`, v[0]);
  const hi = checkNumber(`${param}[1]`, v[1], { gt: lo });
  return [lo, hi];
}

function loss(param: string, v: unknown, deltaPositive: boolean): PrivacyLoss {
  const o = checkObject(param, v);
  only(param, o, ['epsilon', 'delta']);
  return {
    epsilon: checkNumber(`${param}.epsilon`, o.epsilon, { gt: 0, le: MAX_EPSILON }),
    delta: checkNumber(`${param}.delta`, o.delta, deltaPositive ? { gt: 0, lt: 1 } : { ge: 0, lt: 1 }),
  };
}

/** `inner` (epsilon, delta) must not exceed `outer` in either coordinate. */
export function within(param: string, inner: PrivacyLoss, outer: PrivacyLoss, what: string): void {
  if (!lossFits(inner, outer)) {
    throw new PinholeError(
      'budget_exceeded',
      param,
      `"${param}" expected ${what} within the collection's charged privacyLoss (epsilon ${outer.epsilon}, delta ${outer.delta}), got epsilon ${inner.epsilon}, delta ${inner.delta}`,
    );
  }
}

function checkBudget(param: string, v: unknown): PlanBudget {
  const o = checkObject(param, v);
  only(param, o, ['epsilon', 'delta', 'periodSeconds', 'periodStart']);
  const periodStart = o.periodStart;
  if (typeof periodStart !== 'string' || !ISO_UTC.test(periodStart) || !Number.isFinite(Date.parse(periodStart))) {
    throw invalid(`${param}.periodStart`, 'an ISO 8601 UTC time such as "2025-01-06T00:00:00Z"', periodStart);
  }
  return {
    epsilon: checkNumber(`${param}.epsilon`, o.epsilon, { gt: 0, le: MAX_EPSILON }),
    delta: checkNumber(`${param}.delta`, o.delta, { ge: 0, lt: 1 }),
    periodSeconds: checkInteger(`${param}.periodSeconds`, o.periodSeconds, { ge: 1, le: MAX_PERIOD_SECONDS }),
    periodStart,
  };
}

function checkSchedule(param: string, v: unknown, budget: PlanBudget): PlanSchedule {
  const o = checkObject(param, v);
  only(param, o, ['roundsPerPeriod', 'roundSeconds', 'closeAtReports']);
  const roundsPerPeriod = checkInteger(`${param}.roundsPerPeriod`, o.roundsPerPeriod, { ge: 1, le: 1_000_000 });
  const roundSeconds = o.roundSeconds === null ? null : checkInteger(`${param}.roundSeconds`, o.roundSeconds, { ge: 1, le: MAX_PERIOD_SECONDS });
  const closeAtReports = o.closeAtReports === null ? null : checkInteger(`${param}.closeAtReports`, o.closeAtReports, { ge: 1, le: 2 ** 40 });
  if (roundSeconds === null && closeAtReports === null) throw invalid(`${param}.roundSeconds`, 'a round duration, or a report count in closeAtReports', null);
  if (roundSeconds !== null && roundsPerPeriod * roundSeconds > budget.periodSeconds) {
    throw invalid(`${param}.roundSeconds`, `rounds that fit the period: roundsPerPeriod · roundSeconds <= ${budget.periodSeconds}`, roundSeconds);
  }
  return { roundsPerPeriod, roundSeconds, closeAtReports };
}

function checkDomains(param: string, v: unknown): PlanDomains {
  const o = checkObject(param, v);
  only(param, o, ['operators', 'regions', 'cells', 'cellRegions']);
  const d: { operators: string[]; regions: string[]; cells: string[]; cellRegions?: string[] } = {
    operators: labels(`${param}.operators`, o.operators),
    regions: labels(`${param}.regions`, o.regions),
    cells: labels(`${param}.cells`, o.cells),
  };
  if (o.cellRegions !== undefined) {
    const cr = o.cellRegions;
    if (!Array.isArray(cr) || cr.length !== d.cells.length) throw invalid(`${param}.cellRegions`, `an array of ${d.cells.length} regions, one per cell`, cr);
    const regions = new Set(d.regions);
    cr.forEach((r, i) => {
      if (typeof r !== 'string' || !regions.has(r)) throw invalid(`${param}.cellRegions[${i}]`, 'a region of domains.regions', r);
    });
    d.cellRegions = cr.slice() as string[];
  }
  return d;
}

function checkGate(param: string, v: unknown): PlanGate {
  const o = checkObject(param, v);
  only(param, o, ['mode', 'k']);
  return { mode: checkOneOf(`${param}.mode`, o.mode, PLAN_GATE_MODES), k: checkInteger(`${param}.k`, o.k, { ge: 1, le: 2 ** 31 }) };
}

export const ldpCollectionRule: PlanModeRule = ({ param, o, mechanism: mo, kind, buckets, domainSize, charged, base }) => {
  const mp = `${param}.mechanism`;
  if (kind === 'histogram') {
    checkOneOf(`${mp}.kind`, mo.kind, ['oracle'] as const);
    only(mp, mo, ['kind', 'name', 'epsilon', 'domainSize']);
    const mechanism: OracleMechanism = {
      kind: 'oracle',
      name: checkOneOf(`${mp}.name`, mo.name, PLAN_ORACLES),
      epsilon: checkNumber(`${mp}.epsilon`, mo.epsilon, { gt: 0, le: 30 }),
      domainSize: checkInteger(`${mp}.domainSize`, mo.domainSize, { ge: 2 }),
    };
    if (mechanism.domainSize !== domainSize) throw invalid(`${mp}.domainSize`, `the collection's domainSize (${domainSize})`, mechanism.domainSize);
    within(`${mp}.epsilon`, { epsilon: mechanism.epsilon, delta: 0 }, charged, 'the oracle’s epsilon');
    const memo = o.memo === undefined ? 'per_value' : checkOneOf(`${param}.memo`, o.memo, PLAN_MEMO);
    return { ...base, kind, buckets, mode: 'ldp', mechanism, memo };
  }
  checkOneOf(`${mp}.kind`, mo.kind, ['numeric'] as const);
  only(mp, mo, ['kind', 'name', 'epsilon', 'bounds']);
  const mechanism: NumericMechanismSpec = {
    kind: 'numeric',
    name: checkOneOf(`${mp}.name`, mo.name, PLAN_NUMERIC_MECHANISMS),
    epsilon: checkNumber(`${mp}.epsilon`, mo.epsilon, { gt: 0, le: 30 }),
    bounds: bounds(`${mp}.bounds`, mo.bounds),
  };
  // The device sends its group (operator) in the clear with a numeric report: the plan must say so.
  if (o.publicGroup !== true) throw invalid(`${param}.publicGroup`, 'true: a local-DP mean sends its group in the clear with the report, so the plan declares the group public', o.publicGroup);
  within(`${mp}.epsilon`, { epsilon: mechanism.epsilon, delta: 0 }, charged, 'the mechanism’s epsilon');
  return { ...base, kind, mode: 'ldp', mechanism, publicGroup: true };
};

export const centralCollectionRule: PlanModeRule = ({ param, mechanism: mo, kind, buckets, charged, base }) => {
  const mp = `${param}.mechanism`;
  checkOneOf(`${mp}.kind`, mo.kind, ['discrete_gaussian'] as const);
  const epsilon = checkNumber(`${mp}.epsilon`, mo.epsilon, { gt: 0, le: MAX_EPSILON });
  const delta = checkNumber(`${mp}.delta`, mo.delta, { gt: 0, lt: 1 });
  within(`${mp}.epsilon`, { epsilon, delta }, charged, 'the noise’s (epsilon, delta)');
  if (kind === 'histogram') {
    only(mp, mo, ['kind', 'epsilon', 'delta', 'sigma']);
    const mechanism: CentralHistogramMechanism = { kind: 'discrete_gaussian', epsilon, delta, sigma: checkNumber(`${mp}.sigma`, mo.sigma, { ge: 2 ** -20, le: 2 ** 30 }) };
    return { ...base, kind, buckets, mode: 'central', mechanism };
  }
  only(mp, mo, ['kind', 'epsilon', 'delta', 'bounds', 'grid', 'sigmaSum', 'sigmaCount']);
  const mechanism: CentralMeanMechanism = {
    kind: 'discrete_gaussian',
    epsilon,
    delta,
    bounds: bounds(`${mp}.bounds`, mo.bounds),
    grid: checkInteger(`${mp}.grid`, mo.grid, { ge: 1, le: 2 ** 20 }),
    sigmaSum: checkNumber(`${mp}.sigmaSum`, mo.sigmaSum, { ge: 2 ** -20, le: 2 ** 40 }),
    sigmaCount: checkNumber(`${mp}.sigmaCount`, mo.sigmaCount, { ge: 2 ** -20, le: 2 ** 30 }),
  };
  return { ...base, kind, mode: 'central', mechanism };
};

function checkCollection(param: string, v: unknown, domains: PlanDomains, rules: PlanModeRules): PlanCollection {
  const o = checkObject(param, v);
  const cid = checkOneOf(
    `${param}.id`,
    o.id,
    COLLECTIONS.map((c) => c.id),
  );
  const cat = COLLECTIONS.find((c) => c.id === cid) as Collection;
  const mode = checkOneOf(`${param}.mode`, o.mode, PLAN_MODES);
  const rule = rules[mode];
  if (rule === undefined) throw new PinholeError('unsupported', `${param}.mode`, `"${param}.mode" is "${mode}", which this reader of plans does not take`);
  const kind = checkOneOf(`${param}.kind`, o.kind, [cat.kind]);
  const common = ['id', 'kind', 'mode', 'groups', 'domainSize', 'privacyLoss', 'gate', 'minCohort', 'mechanism'];
  const extra = [
    ...(kind === 'histogram' ? ['buckets'] : []),
    ...(mode === 'secagg' ? ['secagg'] : []),
    ...(mode === 'ldp' && kind === 'mean' ? ['publicGroup'] : []),
    ...(mode === 'ldp' && kind === 'histogram' ? ['memo'] : []),
  ];
  only(param, o, [...common, ...extra]);
  // sizes: what the catalogue lays out over the plan's public domains
  let groupsExpected: number;
  let bucketsExpected = 1;
  if (cat.kind === 'histogram') {
    const layout = cat.layout(domains);
    groupsExpected = layout.groups.length;
    bucketsExpected = layout.buckets.length;
  } else {
    groupsExpected = cat.groups(domains).length;
  }
  const groups = checkInteger(`${param}.groups`, o.groups, { ge: 1 });
  if (groups !== groupsExpected) throw invalid(`${param}.groups`, `the number of groups the domains give (${groupsExpected})`, groups);
  let buckets = 1;
  if (kind === 'histogram') {
    buckets = checkInteger(`${param}.buckets`, o.buckets, { ge: 1 });
    if (buckets !== bucketsExpected) throw invalid(`${param}.buckets`, `the number of buckets of "${cid}" (${bucketsExpected})`, buckets);
  }
  const domainSize = checkInteger(`${param}.domainSize`, o.domainSize, { ge: 1 });
  if (domainSize !== groups * buckets) throw invalid(`${param}.domainSize`, `groups · buckets (${groups * buckets})`, domainSize);
  const charged = loss(`${param}.privacyLoss`, o.privacyLoss, false);
  const gate = checkGate(`${param}.gate`, o.gate);
  const minCohort = checkInteger(`${param}.minCohort`, o.minCohort, { ge: 1, le: 2 ** 40 });
  const mechanism = checkObject(`${param}.mechanism`, o.mechanism);
  const base = { id: cid, groups, domainSize, privacyLoss: charged, gate, minCohort };
  return rule({ param, o, mechanism, catalogue: cat, kind, groups, buckets, domainSize, charged, minCohort, base });
}

const COLLECTION_KEYS = ['id', 'kind', 'mode', 'groups', 'buckets', 'domainSize', 'privacyLoss', 'gate', 'minCohort', 'publicGroup', 'memo', 'mechanism', 'secagg'];

/** The same object with its keys in a fixed order, so a plan reads (and serialises) the same way everywhere. */
function canonical<T extends object>(x: T, order: readonly string[]): T {
  const o = x as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const k of order) if (k in o) out[k] = o[k];
  return out as T;
}

function deepFreeze<T>(x: T): T {
  if (typeof x === 'object' && x !== null && !Object.isFrozen(x)) {
    for (const v of Object.values(x)) deepFreeze(v);
    Object.freeze(x);
  }
  return x;
}

/**
 * checkPlan with the rules of some modes only: a collection of another mode is `unsupported`.
 * What a device runs, naming the modes it takes part in, so its bundle leaves out the rules (and
 * their messages) of the others; every rule it applies is the server's own.
 */
export function checkPlanWith(json: unknown, rules: PlanModeRules): Plan {
  const o = checkObject('plan', json);
  if (o.format !== PLAN_FORMAT) throw invalid('plan.format', `"${PLAN_FORMAT}"`, o.format);
  const version = checkInteger('plan.version', o.version, { ge: 1 });
  if (!SUPPORTED_PLAN_VERSIONS.includes(version)) {
    throw new PinholeError('unsupported', 'plan.version', `"plan.version" expected one of ${SUPPORTED_PLAN_VERSIONS.join(', ')}, got ${describeValue(version)}`);
  }
  only('plan', o, ['format', 'version', 'id', 'revision', 'description', 'privacyUnit', 'neighbours', 'longitudinal', 'budget', 'schedule', 'domains', 'insights', 'collections']);
  const planId = id('plan.id', o.id);
  const revision = checkInteger('plan.revision', o.revision, { ge: 1, le: 2 ** 31 });
  const description = o.description === undefined ? undefined : checkString('plan.description', o.description, { maxLength: 2000 });
  checkOneOf('plan.privacyUnit', o.privacyUnit, ['device'] as const);
  if (o.neighbours !== undefined) checkOneOf('plan.neighbours', o.neighbours, [NEIGHBOUR_RELATION] as const);
  if (o.longitudinal !== undefined) {
    const l = checkObject('plan.longitudinal', o.longitudinal);
    only('plan.longitudinal', l, ['charge', 'memoScope']);
    checkOneOf('plan.longitudinal.charge', l.charge, [PLAN_LONGITUDINAL.charge]);
    checkOneOf('plan.longitudinal.memoScope', l.memoScope, [PLAN_LONGITUDINAL.memoScope]);
  }
  const budget = checkBudget('plan.budget', o.budget);
  const schedule = checkSchedule('plan.schedule', o.schedule, budget);
  const domains = checkDomains('plan.domains', o.domains);
  const insightIds = o.insights;
  if (!Array.isArray(insightIds) || insightIds.length === 0) throw invalid('plan.insights', 'a non-empty array of insight ids', insightIds);
  const insights: string[] = [];
  insightIds.forEach((x, i) => {
    const ins = checkOneOf(
      `plan.insights[${i}]`,
      x,
      INSIGHTS.map((d) => d.id),
    );
    if (insights.includes(ins)) throw invalid(`plan.insights[${i}]`, 'an insight not already listed', ins);
    insights.push(ins);
  });
  const list = o.collections;
  if (!Array.isArray(list) || list.length === 0) throw invalid('plan.collections', 'a non-empty array of collections', list);
  const collections = list.map((c, i) => canonical(checkCollection(`plan.collections[${i}]`, c, domains, rules), COLLECTION_KEYS));
  collections.forEach((c, i) => {
    if (collections.findIndex((x) => x.id === c.id) !== i) throw invalid(`plan.collections[${i}].id`, 'a collection not already in the plan', c.id);
    if (!insights.some((ins) => INSIGHTS.find((d) => d.id === ins)?.collection === c.id)) {
      throw invalid(`plan.collections[${i}].id`, 'a collection that one of plan.insights uses (an unused collection spends budget for nothing)', c.id);
    }
  });
  insights.forEach((ins, i) => {
    const needs = INSIGHTS.find((d) => d.id === ins)?.collection as string;
    if (!collections.some((c) => c.id === needs)) throw invalid(`plan.insights[${i}]`, `an insight whose collection "${needs}" is in plan.collections`, ins);
  });
  const plan: Plan = {
    format: PLAN_FORMAT,
    version,
    id: planId,
    revision,
    ...(description === undefined ? {} : { description }),
    privacyUnit: 'device',
    neighbours: NEIGHBOUR_RELATION,
    longitudinal: { ...PLAN_LONGITUDINAL },
    budget,
    schedule,
    domains,
    insights,
    collections,
  };
  // The period's spend, exactly: roundsPerPeriod · sum of the collections' charged losses <= budget.
  const period = planPeriodLoss(plan);
  const [pe, pd] = sumLosses(plan.collections.map((c) => c.privacyLoss));
  const r = schedule.roundsPerPeriod;
  if (decimalCompare(decimalTimes(pe, r), decimalOf(budget.epsilon)) > 0 || decimalCompare(decimalTimes(pd, r), decimalOf(budget.delta)) > 0) {
    throw new PinholeError(
      'budget_exceeded',
      'plan.budget',
      `"plan.budget" expected to cover ${r} round(s) per period of the collections' charged losses, got a period spend of epsilon ${period.epsilon}, delta ${period.delta} against a budget of epsilon ${budget.epsilon}, delta ${budget.delta}`,
    );
  }
  return deepFreeze(plan);
}
