/**
 * The device's privacy budget ledger: what this device has spent, per period, persisted in the
 * injected storage before any report that spends it leaves. It is the device's own bound, whatever
 * the server asks:
 * - a round is charged once (a server asking again for the same round gets the stored report, or
 *   nothing); a new round is charged only while the period's spend plus the round's loss fits the
 *   plan's period budget (exact decimal arithmetic, `roundsLeftInPeriod`);
 * - an entry records its period as absolute times, and every entry whose period overlaps the
 *   current one counts, under any plan or revision: a new plan does not reset spend;
 * - time never goes back: the ledger keeps the latest time it has seen (persisted), so a clock
 *   moved backwards cannot return the device to a period with budget left.
 * Moving the clock forward only spends a later period early; the user, not a server, controls that.
 */
import { type Plan, type PrivacyLoss, PinholeError } from '@pinhole/core';
import { addPrivacyLosses, planPeriod, planRoundLoss, roundsLeftInPeriod } from '@pinhole/core/plan';
import type { KeyValueStorage } from './storage.js';

export interface LedgerEntry {
  readonly round: string;
  readonly plan: string;
  readonly revision: number;
  /** the period the spend belongs to, ms since the epoch: [start, end) */
  readonly start: number;
  readonly end: number;
  readonly epsilon: number;
  readonly delta: number;
  /** when it was charged (the ledger's time) */
  readonly at: number;
}

interface LedgerState {
  v: 1;
  /** the latest time the ledger has seen, ms */
  highWater: number;
  entries: LedgerEntry[];
}

/** What a device may still spend in the current period of a plan. */
export interface BudgetStatus {
  readonly plan: { readonly id: string; readonly revision: number };
  readonly period: { readonly index: number; readonly start: string; readonly end: string };
  /** the plan's budget per device per period */
  readonly budget: PrivacyLoss;
  /** spent in this period (every plan and revision whose spend overlaps it) */
  readonly spent: PrivacyLoss;
  /** budget - spent (never below 0) */
  readonly remaining: PrivacyLoss;
  /** what one round of the plan charges */
  readonly roundLoss: PrivacyLoss;
  /** rounds of this plan the device may still report in during this period */
  readonly roundsLeft: number;
  /** rounds this device reported in (was charged for) during this period */
  readonly roundsReported: number;
}

const KEY = 'ledger';

function isEntry(x: unknown): x is LedgerEntry {
  if (typeof x !== 'object' || x === null) return false;
  const e = x as Record<string, unknown>;
  const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
  return typeof e.round === 'string' && typeof e.plan === 'string' && finite(e.revision) && finite(e.start) && finite(e.end) && finite(e.epsilon) && finite(e.delta) && finite(e.at);
}

export class BudgetLedger {
  readonly #storage: KeyValueStorage;
  #state: LedgerState;

  private constructor(storage: KeyValueStorage, state: LedgerState) {
    this.#storage = storage;
    this.#state = state;
  }

  /**
   * Loads the ledger. A stored ledger that cannot be read is `invalid_state`: the client stops
   * rather than start over with an empty ledger (which would reset the budget).
   */
  static async open(storage: KeyValueStorage): Promise<BudgetLedger> {
    const raw = await storage.get(KEY);
    if (raw === null || raw === undefined) return new BudgetLedger(storage, { v: 1, highWater: 0, entries: [] });
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      parsed = null;
    }
    const s = parsed as Partial<LedgerState> | null;
    if (!s || s.v !== 1 || typeof s.highWater !== 'number' || !Number.isFinite(s.highWater) || !Array.isArray(s.entries) || !s.entries.every(isEntry)) {
      throw new PinholeError(
        'invalid_state',
        'storage',
        'the stored privacy budget ledger is unreadable: refusing to report rather than reset the budget (restore the storage, or clear it on purpose)',
      );
    }
    return new BudgetLedger(storage, { v: 1, highWater: s.highWater, entries: s.entries.slice() });
  }

  /** The ledger's time: the clock, but never earlier than a time the ledger has already seen. */
  now(clock: number): number {
    return Math.max(clock, this.#state.highWater);
  }

  /** Records that time has reached `clock` (persisted, so a restart with the clock set back keeps it). */
  async observe(clock: number): Promise<number> {
    const now = this.now(clock);
    if (now > this.#state.highWater) {
      this.#state.highWater = now;
      await this.#persist();
    }
    return now;
  }

  /** The entry of a round this device was charged for, if any. */
  entry(roundId: string): LedgerEntry | undefined {
    return this.#state.entries.find((e) => e.round === roundId);
  }

  get entries(): readonly LedgerEntry[] {
    return this.#state.entries;
  }

  #overlapping(start: number, end: number): LedgerEntry[] {
    return this.#state.entries.filter((e) => e.start < end && start < e.end);
  }

  /** The budget of the plan's current period at the ledger's time `now`; `invalid_state` before the plan's first period. */
  status(plan: Plan, now: number): BudgetStatus {
    const t = this.now(now);
    const period = planPeriod(plan, t);
    const used = this.#overlapping(period.startMs, period.endMs);
    const spent = addPrivacyLosses(used.map((e) => ({ epsilon: e.epsilon, delta: e.delta })));
    const budget = { epsilon: plan.budget.epsilon, delta: plan.budget.delta };
    return Object.freeze({
      plan: Object.freeze({ id: plan.id, revision: plan.revision }),
      period: Object.freeze({ index: period.index, start: new Date(period.startMs).toISOString(), end: new Date(period.endMs).toISOString() }),
      budget: Object.freeze(budget),
      spent,
      remaining: Object.freeze({ epsilon: Math.max(0, budget.epsilon - spent.epsilon), delta: Math.max(0, budget.delta - spent.delta) }),
      roundLoss: planRoundLoss(plan),
      roundsLeft: roundsLeftInPeriod(plan, { spent, rounds: used.length }),
      roundsReported: used.length,
    });
  }

  /**
   * Charges one round of `plan` to the period containing the ledger's time, persisted before it
   * returns. `budget_exceeded` (nothing recorded) when the period's budget cannot cover it; a
   * round charged before is not charged again.
   */
  async charge(plan: Plan, roundId: string, clock: number): Promise<LedgerEntry> {
    const prior = this.entry(roundId);
    if (prior) return prior;
    const now = this.now(clock);
    const status = this.status(plan, now);
    if (status.roundsLeft < 1) {
      throw new PinholeError(
        'budget_exceeded',
        'budget',
        `this device's privacy budget for the period ${status.period.start} to ${status.period.end} cannot cover another round (spent epsilon ${status.spent.epsilon}, delta ${status.spent.delta} of epsilon ${status.budget.epsilon}, delta ${status.budget.delta}; a round charges epsilon ${status.roundLoss.epsilon}, delta ${status.roundLoss.delta})`,
      );
    }
    const period = planPeriod(plan, now);
    const entry: LedgerEntry = Object.freeze({
      round: roundId,
      plan: plan.id,
      revision: plan.revision,
      start: period.startMs,
      end: period.endMs,
      epsilon: status.roundLoss.epsilon,
      delta: status.roundLoss.delta,
      at: now,
    });
    // entries of periods that ended can no longer overlap a period the device reaches (time only moves forward)
    this.#state = { v: 1, highWater: now, entries: [...this.#state.entries.filter((e) => e.end > now), entry] };
    await this.#persist();
    return entry;
  }

  async #persist(): Promise<void> {
    await this.#storage.set(KEY, JSON.stringify(this.#state));
  }
}
