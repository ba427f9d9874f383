/**
 * Collection plans: the versioned JSON document that the device, the aggregator and the bench all
 * read. A plan is resolved: every parameter both sides must agree on (mechanism, epsilon, domain
 * sizes, noise parameters, secure-aggregation floors, gate, minimum cohort) is written in it, so
 * neither side re-derives anything. This module validates the document's structure and does its
 * budget arithmetic in exact decimals; choosing mechanisms and resolving noise (which needs the
 * ldp and gate packages) is `makePlan` in @pinhole/aggregator, and the deep checks of the resolved
 * noise against the libraries are the aggregator's engine's. Phone-safe: no node:, no tfjs.
 */
import type { PrivacyLoss } from './privacy-maps.js';
import { type Decimal, decimalAdd, decimalCompare, decimalOf, decimalToNumber } from './decimal.js';
import { PinholeError } from './errors.js';
import { type Collection, type InsightDomains, COLLECTIONS, INSIGHTS } from './insights.js';
import { type NeighbourRelation, NEIGHBOUR_RELATION } from './neighbours.js';
import { checkInteger, checkNumber, checkObject, checkOneOf, checkString, describeValue, invalid } from './validate.js';

export const PLAN_FORMAT = 'pinhole-plan';
export const PLAN_VERSION = 1;
export const SUPPORTED_PLAN_VERSIONS: readonly number[] = Object.freeze([1]);

/**
 * Where the noise comes from: on the device, in the sum of secure aggregation, at a trusted
 * curator, or split between two non-colluding aggregators that verify Prio3 reports (prio3).
 */
export const PLAN_MODES = Object.freeze(['ldp', 'secagg', 'central', 'prio3'] as const);
export type PlanMode = (typeof PLAN_MODES)[number];

/** The frequency oracles and numeric mechanisms of @pinhole/ldp a plan may name (a test keeps them in step). */
export const PLAN_ORACLES = Object.freeze(['grr', 'sue', 'oue', 'blh', 'olh', 'subset-selection', 'hadamard-response', 'hadamard-one-bit'] as const);
export type PlanOracleName = (typeof PLAN_ORACLES)[number];
export const PLAN_NUMERIC_MECHANISMS = Object.freeze(['laplace', 'duchi', 'piecewise', 'hybrid', 'square-wave'] as const);
export type PlanNumericName = (typeof PLAN_NUMERIC_MECHANISMS)[number];
export const PLAN_DISTRIBUTED_NOISE = Object.freeze(['skellam', 'discrete_gaussian'] as const);
export const PLAN_SHORTFALL_POLICIES = Object.freeze(['refuse', 'top_up'] as const);
/** honest_but_curious: the server follows the protocol; key_directory: clients check peers' keys with a directory the server cannot forge. */
export const SECAGG_THREAT_MODELS = Object.freeze(['honest_but_curious', 'key_directory'] as const);
export type SecaggThreatModel = (typeof SECAGG_THREAT_MODELS)[number];
/**
 * estimate_threshold: a group is released when its estimated number of contributors (the noisy or
 * unbiased total of the release itself) reaches k. Over a public domain that is post-processing of
 * the private estimates and costs no budget.
 */
export const PLAN_GATE_MODES = Object.freeze(['estimate_threshold'] as const);

/**
 * How a local-DP histogram collection behaves across rounds: `per_value` (the default) draws one
 * report per true bucket and reuses it for every round of the memo's scope (RAPPOR's permanent
 * randomized response), so averaging rounds learns no more about an unchanged value than one report
 * does; `none` perturbs afresh every round. Either way every round is charged to the device's ledger.
 */
export const PLAN_MEMO = Object.freeze(['per_value', 'none'] as const);
export type PlanMemo = (typeof PLAN_MEMO)[number];

/**
 * The plan's longitudinal statement. `charge: every_round`: each round charges every device its
 * round loss, so a device spends at most `budget` per period (over k periods, k times that);
 * `memoScope: plan_revision`: a memoised report lives as long as the plan id and revision.
 */
export interface PlanLongitudinal {
  readonly charge: 'every_round';
  readonly memoScope: 'plan_revision';
}
export const PLAN_LONGITUDINAL: PlanLongitudinal = Object.freeze({ charge: 'every_round', memoScope: 'plan_revision' });

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;
const MAX_LABEL = 256;
const MAX_DOMAIN = 1_000_000;
const MAX_EPSILON = 1000;
/** ten years: a longer period is a typo, not a privacy promise */
const MAX_PERIOD_SECONDS = 10 * 366 * 86400;

export interface PlanBudget {
  /** per device, per period: the most any device spends in one period */
  readonly epsilon: number;
  readonly delta: number;
  readonly periodSeconds: number;
  /** ISO 8601 UTC; periods are [start + i·length, start + (i+1)·length) */
  readonly periodStart: string;
}

export interface PlanSchedule {
  /** at most this many rounds in one period */
  readonly roundsPerPeriod: number;
  /** a round closes this long after it opens (null: only by report count) */
  readonly roundSeconds: number | null;
  /** a round closes once this many reports arrived (null: only by time) */
  readonly closeAtReports: number | null;
}

/** The public domains, declared (never interned from the data), plus each cell's region when the plan knows it. */
export interface PlanDomains extends InsightDomains {
  readonly cellRegions?: readonly string[];
}

export interface PlanGate {
  readonly mode: 'estimate_threshold';
  readonly k: number;
}

export interface OracleMechanism {
  readonly kind: 'oracle';
  readonly name: PlanOracleName;
  readonly epsilon: number;
  readonly domainSize: number;
}

export interface NumericMechanismSpec {
  readonly kind: 'numeric';
  readonly name: PlanNumericName;
  readonly epsilon: number;
  /** a device clamps its mean into [lo, hi] and maps it onto [-1, 1] */
  readonly bounds: readonly [number, number];
}

export interface CentralHistogramMechanism {
  readonly kind: 'discrete_gaussian';
  readonly epsilon: number;
  readonly delta: number;
  /** per count; a device moving to another bucket changes two counts by one (discreteGaussianSwapSigma) */
  readonly sigma: number;
}

export interface CentralMeanMechanism {
  readonly kind: 'discrete_gaussian';
  readonly epsilon: number;
  readonly delta: number;
  readonly bounds: readonly [number, number];
  /** values map onto the integers [0, grid]; a device moving to another group changes two sums by <= grid and two counts by 1 (centralMeanSensitivity) */
  readonly grid: number;
  readonly sigmaSum: number;
  readonly sigmaCount: number;
}

/**
 * The inputs of @pinhole/gate's makeDistributedNoisePlan, plus what it resolved (shareParameter,
 * modulusBits) so both sides can check that they computed the same shares.
 */
export interface DistributedNoiseMechanism {
  readonly kind: 'distributed_noise';
  readonly noise: (typeof PLAN_DISTRIBUTED_NOISE)[number];
  /** the promised loss of the released sum with at least minSurvivors shares */
  readonly epsilon: number;
  readonly delta: number;
  /** the largest norms of one device's vector; the noise is calibrated for replace-one from them (replaceOneSensitivity) */
  readonly l2Sensitivity: number;
  readonly l1Sensitivity: number;
  readonly vectorLength: number;
  readonly expectedClients: number;
  readonly minSurvivors: number;
  readonly onShortfall: (typeof PLAN_SHORTFALL_POLICIES)[number];
  readonly clientValueBounds: readonly [number, number];
  readonly wrapProbability: number;
  readonly shareParameter: number;
  readonly modulusBits: number;
  /** mean collections: the value range and the integer grid [0, grid] */
  readonly bounds?: readonly [number, number];
  readonly grid?: number;
}

/** The Prio3 VDAFs (draft-irtf-cfrg-vdaf-20) a plan may name. */
export const PLAN_PRIO3_VDAFS = Object.freeze(['Prio3Histogram', 'Prio3SumVec'] as const);

/**
 * Two aggregators (a leader and a helper) verify each device's Prio3 report and sum the valid
 * ones; each adds discrete Gaussian noise N_Z(0, sigma^2) to its aggregate share before the
 * leader combines them. Histograms: Prio3Histogram over the domain (a report is provably one-hot);
 * means: Prio3SumVec of length 2 · groups with entries in [0, grid], the device's value on the
 * grid r and grid - r in its group's two slots (each entry provably within [0, grid]).
 */
export interface Prio3Mechanism {
  readonly kind: 'prio3';
  readonly vdaf: (typeof PLAN_PRIO3_VDAFS)[number];
  /** the measurement's length: domainSize (histograms) or 2 · groups (means) */
  readonly length: number;
  /** means: the largest entry (= grid); histograms: 1 */
  readonly maxMeasurement: number;
  readonly chunkLength: number;
  readonly noise: 'discrete_gaussian';
  /** each aggregator's noise parameter: both add N_Z(0, sigma^2) per coordinate */
  readonly sigma: number;
  /** the release's loss against carriers, with both aggregators' noise (two-party distributed discrete Gaussian) */
  readonly epsilon: number;
  readonly delta: number;
  /** one device's largest change of the summed vector in L2 (replace-one) */
  readonly l2Sensitivity: number;
  /** the loss against one aggregator (or one colluding with carriers): only the other's noise protects the sum */
  readonly aggregatorEpsilon: number;
  readonly bounds?: readonly [number, number];
  readonly grid?: number;
}

/** The secure-aggregation public parameters a client recomputes its floors from (secAggPlusParameters). */
export interface PlanSecagg {
  readonly cohort: number;
  readonly dropoutRate: number;
  readonly corruptFraction: number;
  readonly securityBits: number;
  readonly correctnessBits: number;
  readonly threatModel: SecaggThreatModel;
  /**
   * key_directory only: the base URL of the key directory the plan's devices are expected to use.
   * A device checks keys with the directory its app trusts and refuses a plan naming another one;
   * the server may pre-check advertisements with it.
   */
  readonly keyDirectory?: string;
  readonly graph: 'harary' | 'complete';
  readonly degree: number;
  readonly threshold: number;
}

interface CollectionCommon {
  /** a collection of the catalogue (COLLECTIONS) */
  readonly id: string;
  readonly groups: number;
  readonly domainSize: number;
  /** what every device of a round is charged for this collection */
  readonly privacyLoss: PrivacyLoss;
  readonly gate: PlanGate;
  /** a round with fewer reports (secagg: survivors) for this collection is refused whole */
  readonly minCohort: number;
}

export type PlanCollection =
  | (CollectionCommon & { readonly kind: 'histogram'; readonly buckets: number; readonly mode: 'ldp'; readonly mechanism: OracleMechanism; readonly memo: PlanMemo })
  | (CollectionCommon & { readonly kind: 'mean'; readonly mode: 'ldp'; readonly mechanism: NumericMechanismSpec; readonly publicGroup: true })
  | (CollectionCommon & { readonly kind: 'histogram'; readonly buckets: number; readonly mode: 'central'; readonly mechanism: CentralHistogramMechanism })
  | (CollectionCommon & { readonly kind: 'mean'; readonly mode: 'central'; readonly mechanism: CentralMeanMechanism })
  | (CollectionCommon & { readonly kind: 'histogram'; readonly buckets: number; readonly mode: 'secagg'; readonly mechanism: DistributedNoiseMechanism; readonly secagg: PlanSecagg })
  | (CollectionCommon & { readonly kind: 'mean'; readonly mode: 'secagg'; readonly mechanism: DistributedNoiseMechanism; readonly secagg: PlanSecagg })
  | (CollectionCommon & { readonly kind: 'histogram'; readonly buckets: number; readonly mode: 'prio3'; readonly mechanism: Prio3Mechanism })
  | (CollectionCommon & { readonly kind: 'mean'; readonly mode: 'prio3'; readonly mechanism: Prio3Mechanism });

export interface Plan {
  readonly format: typeof PLAN_FORMAT;
  readonly version: number;
  readonly id: string;
  readonly revision: number;
  readonly description?: string;
  readonly privacyUnit: 'device';
  /**
   * the neighbour relation every collection's loss holds for: replace-one device (the cohort size
   * is public); optional in a document, always written
   */
  readonly neighbours: NeighbourRelation;
  /** how losses add up across rounds and what memoised reports cover; optional in a document, always written */
  readonly longitudinal: PlanLongitudinal;
  readonly budget: PlanBudget;
  readonly schedule: PlanSchedule;
  readonly domains: PlanDomains;
  readonly insights: readonly string[];
  readonly collections: readonly PlanCollection[];
}

// ---------------------------------------------------------------------------------------------
// Exact budget arithmetic

function decimalTimes(a: Decimal, k: number): Decimal {
  return { units: a.units * BigInt(k), scale: a.scale };
}

function sumLosses(losses: readonly PrivacyLoss[]): [Decimal, Decimal] {
  let e: Decimal = { units: 0n, scale: 0 };
  let d: Decimal = { units: 0n, scale: 0 };
  for (const l of losses) {
    e = decimalAdd(e, decimalOf(l.epsilon));
    d = decimalAdd(d, decimalOf(l.delta));
  }
  return [e, d];
}

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** The largest double below x > 0. */
function nextDown(x: number): number {
  f64[0] = x;
  u64[0] = (u64[0] as bigint) - 1n;
  return f64[0] as number;
}

/** The largest double y <= x / parts whose exact decimal times parts is <= x (x >= 0). */
function splitDown(x: number, parts: number): number {
  if (x === 0) return 0;
  const total = decimalOf(x);
  let y = x / parts;
  while (y > 0 && decimalCompare(decimalTimes(decimalOf(y), parts), total) > 0) y = nextDown(y);
  return y;
}

/**
 * Splits a loss into `parts` equal shares whose exact decimal sum never exceeds it (each share is
 * the float quotient, lowered by ulps where its decimal reading would add up to more).
 */
export function splitPrivacyLoss(loss: PrivacyLoss, parts: number): PrivacyLoss {
  const o = checkObject('loss', loss);
  const epsilon = checkNumber('loss.epsilon', o.epsilon, { ge: 0 });
  const delta = checkNumber('loss.delta', o.delta, { ge: 0, lt: 1 });
  const n = checkInteger('parts', parts, { ge: 1, le: 1_000_000 });
  return Object.freeze({ epsilon: splitDown(epsilon, n), delta: splitDown(delta, n) });
}

/** The double at or above an exact decimal whose own decimal reading is not below it. */
function numberAtLeast(a: Decimal): number {
  let x = decimalToNumber(a);
  while (decimalCompare(decimalOf(x), a) < 0) x = nextUp(x);
  return x;
}

function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  f64[0] = x;
  u64[0] = (u64[0] as bigint) + (x > 0 ? 1n : -1n);
  return f64[0] as number;
}

/**
 * The exact decimal sum of losses (a ledger's spend), as numbers whose decimal readings are never
 * below it: equal whenever the sum has a double of that reading (0.1 + 0.2 is 0.3), one ulp above
 * otherwise. What a ledger passes to `roundsLeftInPeriod` so a float sum never hides an overspend.
 */
export function addPrivacyLosses(losses: readonly PrivacyLoss[]): PrivacyLoss {
  if (!Array.isArray(losses)) throw invalid('losses', 'an array of privacy losses', losses);
  const checked = losses.map((l, i) => {
    const o = checkObject(`losses[${i}]`, l);
    return { epsilon: checkNumber(`losses[${i}].epsilon`, o.epsilon, { ge: 0 }), delta: checkNumber(`losses[${i}].delta`, o.delta, { ge: 0, le: 1 }) };
  });
  const [e, d] = sumLosses(checked);
  return Object.freeze({ epsilon: numberAtLeast(e), delta: numberAtLeast(d) });
}

/** What one round charges every device: the exact sum over the plan's collections. */
export function planRoundLoss(plan: Plan): PrivacyLoss {
  const [e, d] = sumLosses(plan.collections.map((c) => c.privacyLoss));
  return Object.freeze({ epsilon: decimalToNumber(e), delta: decimalToNumber(d) });
}

/** What a full period of the schedule charges: roundsPerPeriod times the round's loss, exactly. */
export function planPeriodLoss(plan: Plan): PrivacyLoss {
  const [e, d] = sumLosses(plan.collections.map((c) => c.privacyLoss));
  const r = plan.schedule.roundsPerPeriod;
  return Object.freeze({ epsilon: decimalToNumber(decimalTimes(e, r)), delta: decimalToNumber(decimalTimes(d, r)) });
}

/** What a plan promises a device across rounds and periods (longitudinalGuarantee). */
export interface LongitudinalGuarantee {
  readonly charge: PlanLongitudinal['charge'];
  /** every device of a round is charged this (all collections) */
  readonly perRound: PrivacyLoss;
  /** the most a device spends in one period, under any revision of the plan; k periods compose to k times this */
  readonly perPeriod: PrivacyLoss;
  readonly periodSeconds: number;
  readonly memoScope: PlanLongitudinal['memoScope'];
  /** memoised collections: an unchanged value costs one report's loss over every round of the memo's scope */
  readonly memoised: readonly { readonly collection: string; readonly perValue: PrivacyLoss }[];
}

/** The plan's longitudinal guarantee in numbers, as releases and documentation state it. */
export function longitudinalGuarantee(plan: Plan): LongitudinalGuarantee {
  return Object.freeze({
    charge: plan.longitudinal.charge,
    perRound: planRoundLoss(plan),
    perPeriod: Object.freeze({ epsilon: plan.budget.epsilon, delta: plan.budget.delta }),
    periodSeconds: plan.budget.periodSeconds,
    memoScope: plan.longitudinal.memoScope,
    memoised: Object.freeze(
      plan.collections.filter((c) => c.mode === 'ldp' && c.kind === 'histogram' && c.memo === 'per_value').map((c) => Object.freeze({ collection: c.id, perValue: c.privacyLoss })),
    ),
  });
}

/**
 * How many more rounds of this plan fit in the current period, given what the period has already
 * spent (under any revision: a revision never resets spend) and how many rounds it already ran:
 * min(roundsPerPeriod - rounds, the rounds whose exact loss still fits the period budget).
 */
export function roundsLeftInPeriod(plan: Plan, used: { readonly spent: PrivacyLoss; readonly rounds: number }): number {
  const u = checkObject('used', used);
  const s = checkObject('used.spent', u.spent);
  const spentE = decimalOf(checkNumber('used.spent.epsilon', s.epsilon, { ge: 0 }));
  const spentD = decimalOf(checkNumber('used.spent.delta', s.delta, { ge: 0, le: 1 }));
  const rounds = checkInteger('used.rounds', u.rounds, { ge: 0 });
  const [re, rd] = sumLosses(plan.collections.map((c) => c.privacyLoss));
  const be = decimalOf(plan.budget.epsilon);
  const bd = decimalOf(plan.budget.delta);
  let left = 0;
  const cap = plan.schedule.roundsPerPeriod - rounds;
  while (left < cap) {
    const e = decimalAdd(spentE, decimalTimes(re, left + 1));
    const d = decimalAdd(spentD, decimalTimes(rd, left + 1));
    if (decimalCompare(e, be) > 0 || decimalCompare(d, bd) > 0) break;
    left++;
  }
  return left;
}

/** The period a time (ms since the epoch) falls in: its index and bounds; before the first period is `invalid_state`. */
export function planPeriod(plan: Plan, timeMs: number): { readonly index: number; readonly startMs: number; readonly endMs: number } {
  const t = checkNumber('timeMs', timeMs, { ge: 0 });
  const start = Date.parse(plan.budget.periodStart);
  const length = plan.budget.periodSeconds * 1000;
  if (t < start) throw new PinholeError('invalid_state', 'timeMs', `"timeMs" is before the plan's first period (${plan.budget.periodStart})`);
  const index = Math.floor((t - start) / length);
  return Object.freeze({ index, startMs: start + index * length, endMs: start + (index + 1) * length });
}

/** The collection of the plan with this id. */
export function planCollection(plan: Plan, id: string): PlanCollection {
  const c = plan.collections.find((x) => x.id === id);
  if (!c) throw invalid('collection', `a collection of plan "${plan.id}" (${plan.collections.map((x) => JSON.stringify(x.id)).join(', ')})`, id);
  return c;
}

// ---------------------------------------------------------------------------------------------
// Structural validation

function only(param: string, o: Record<string, unknown>, allowed: readonly string[]): void {
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

function bounds(param: string, v: unknown): [number, number] {
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
function within(param: string, inner: PrivacyLoss, outer: PrivacyLoss, what: string): void {
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
    'kind', 'noise', 'epsilon', 'delta', 'l2Sensitivity', 'l1Sensitivity', 'vectorLength', 'expectedClients', 'minSurvivors',
    'onShortfall', 'clientValueBounds', 'wrapProbability', 'shareParameter', 'modulusBits', ...(isMean ? ['bounds', 'grid'] : []),
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

/** A collection's fields every mode shares, checked; what a mode's rule checks its mechanism against. */
export interface CollectionFields {
  readonly param: string;
  /** the collection document and its mechanism document */
  readonly o: Readonly<Record<string, unknown>>;
  readonly mechanism: Readonly<Record<string, unknown>>;
  readonly catalogue: Collection;
  readonly kind: 'histogram' | 'mean';
  readonly groups: number;
  readonly buckets: number;
  readonly domainSize: number;
  readonly charged: PrivacyLoss;
  readonly minCohort: number;
  readonly base: { readonly id: string; readonly groups: number; readonly domainSize: number; readonly privacyLoss: PrivacyLoss; readonly gate: PlanGate; readonly minCohort: number };
}

/** Checks the mechanism (and the fields) of one collection mode; refuses by throwing. */
export type PlanModeRule = (c: CollectionFields) => PlanCollection;
export type PlanModeRules = Readonly<Partial<Record<PlanMode, PlanModeRule>>>;

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
    throw invalid(`${param}.minCohort`, `at least mechanism.minSurvivors (${mechanism.minSurvivors}) with onShortfall "refuse": a smaller cohort would be unmasked with less noise than planned`, minCohort);
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

function checkCollection(param: string, v: unknown, domains: PlanDomains, rules: PlanModeRules): PlanCollection {
  const o = checkObject(param, v);
  const cid = checkOneOf(`${param}.id`, o.id, COLLECTIONS.map((c) => c.id));
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
 * Validates a plan document (parsed JSON) and returns it typed, copied and frozen. Anything wrong
 * is a PinholeError whose `param` is the path of the offending field (`plan.collections[1].gate.k`):
 * `invalid_argument` for bad values, `unsupported` for an unknown format version, and
 * `budget_exceeded` when the schedule or a mechanism spends more than the budget allows.
 */
export function checkPlan(json: unknown): Plan {
  return checkPlanWith(json, PLAN_MODE_RULES);
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
    const ins = checkOneOf(`plan.insights[${i}]`, x, INSIGHTS.map((d) => d.id));
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

export interface PlanChange {
  /** true when next keeps previous's periods, so spend in the current period carries over */
  readonly samePeriods: boolean;
  /** when next may start running rounds (ms since the epoch) */
  readonly effectiveFromMs: number;
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

/** checkPlanChange of two plans already checked (a device's, by checkPlanWith), at `now` (ms since the epoch). */
export function planChange(prev: Plan, nxt: Plan, now: number): PlanChange {
  if (prev.id === nxt.id && nxt.revision <= prev.revision) {
    throw invalid('next.revision', `a revision above the deployed one (${prev.revision})`, nxt.revision);
  }
  const samePeriods = prev.budget.periodSeconds === nxt.budget.periodSeconds && prev.budget.periodStart === nxt.budget.periodStart;
  if (samePeriods) {
    if (decimalCompare(decimalOf(nxt.budget.epsilon), decimalOf(prev.budget.epsilon)) > 0 || decimalCompare(decimalOf(nxt.budget.delta), decimalOf(prev.budget.delta)) > 0) {
      throw new PinholeError(
        'budget_exceeded',
        'next.budget',
        `"next.budget" expected at most the deployed period budget (epsilon ${prev.budget.epsilon}, delta ${prev.budget.delta}) within the same periods, got epsilon ${nxt.budget.epsilon}, delta ${nxt.budget.delta}: a larger budget takes effect from a fresh period (a later periodStart)`,
      );
    }
    return Object.freeze({ samePeriods, effectiveFromMs: now });
  }
  const prevStart = Date.parse(prev.budget.periodStart);
  const currentEnd = now < prevStart ? prevStart : planPeriod(prev, now).endMs;
  const nextStart = Date.parse(nxt.budget.periodStart);
  if (nextStart < currentEnd) {
    throw new PinholeError(
      'budget_exceeded',
      'next.budget.periodStart',
      `"next.budget.periodStart" expected no earlier than the end of the deployed plan's current period (${new Date(currentEnd).toISOString()}) when the periods change: an earlier start would open a second budget within one period, got ${nxt.budget.periodStart}`,
    );
  }
  return Object.freeze({ samePeriods, effectiveFromMs: nextStart });
}

/** Whether `inner` fits within `outer` in both epsilon and delta, compared as exact decimals. */
export function lossFits(inner: PrivacyLoss, outer: PrivacyLoss): boolean {
  return decimalCompare(decimalOf(inner.epsilon), decimalOf(outer.epsilon)) <= 0 && decimalCompare(decimalOf(inner.delta), decimalOf(outer.delta)) <= 0;
}
