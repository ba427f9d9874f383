/**
 * A plan's budget arithmetic, in exact decimals so a float sum never hides an overspend: what a
 * round and a period charge, how many rounds a period has left, which period a time falls in, and
 * whether a new plan may replace the deployed one (planChange).
 */
import type { PrivacyLoss } from './privacy-maps.js';
import { type Decimal, decimalAdd, decimalCompare, decimalOf, decimalToNumber } from './decimal.js';
import { PinholeError } from './errors.js';
import type { Plan, PlanCollection, PlanLongitudinal } from './plan-schema.js';
import { checkInteger, checkNumber, checkObject, invalid } from './validate.js';

export function decimalTimes(a: Decimal, k: number): Decimal {
  return { units: a.units * BigInt(k), scale: a.scale };
}

export function sumLosses(losses: readonly PrivacyLoss[]): [Decimal, Decimal] {
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
  return f64[0];
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
  return f64[0];
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

export interface PlanChange {
  /** true when next keeps previous's periods, so spend in the current period carries over */
  readonly samePeriods: boolean;
  /** when next may start running rounds (ms since the epoch) */
  readonly effectiveFromMs: number;
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
