import { describe, expect, it } from 'vitest';
import { isPinholeError } from '@pinhole/core';
import { BudgetLedger } from '../src/ledger.js';
import { memoryStorage } from '../src/storage.js';
import { DAY, T0, ldpPlan } from './helpers.js';

async function refusal(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return null;
}

describe('budget ledger', () => {
  it('charges a round once, refuses past the period budget, and survives a restart', async () => {
    const storage = memoryStorage();
    const plan = ldpPlan({ rounds: 2 }); // 2 rounds of epsilon 1 in a budget of 2
    let ledger = await BudgetLedger.open(storage);
    await ledger.charge(plan, 'r1', T0 + DAY);
    // the same round again (a server asking again) is not charged twice
    await ledger.charge(plan, 'r1', T0 + DAY);
    expect(ledger.status(plan, T0 + DAY)).toMatchObject({ spent: { epsilon: 1, delta: 0 }, roundsLeft: 1, roundsReported: 1 });
    // an app restart: a new ledger over the same storage
    ledger = await BudgetLedger.open(storage);
    await ledger.charge(plan, 'r2', T0 + 2 * DAY);
    ledger = await BudgetLedger.open(storage);
    const e = await refusal(ledger.charge(plan, 'r3', T0 + 3 * DAY));
    expect(isPinholeError(e, 'budget_exceeded')).toBe(true);
    expect(ledger.status(plan, T0 + 3 * DAY)).toMatchObject({ spent: { epsilon: 2 }, remaining: { epsilon: 0 }, roundsLeft: 0 });
    // next period: budget again
    await ledger.charge(plan, 'r4', T0 + 7 * DAY);
    expect(ledger.status(plan, T0 + 7 * DAY).roundsLeft).toBe(1);
  });

  it('a new plan or revision does not reset what the period spent', async () => {
    const storage = memoryStorage();
    const ledger = await BudgetLedger.open(storage);
    await ledger.charge(ldpPlan({ id: 'a', rounds: 1 }), 'a.r1', T0 + DAY);
    // same periods, another revision, another plan id: spend in the overlapping period counts
    for (const next of [ldpPlan({ id: 'a', revision: 2, rounds: 1 }), ldpPlan({ id: 'b', rounds: 1 }), ldpPlan({ id: 'c', rounds: 1, periodDays: 1, periodStart: '2025-01-07T00:00:00Z' })]) {
      const e = await refusal(ledger.charge(next, `${next.id}.${next.revision}.r1`, T0 + DAY + 3_600_000));
      expect(isPinholeError(e, 'budget_exceeded'), next.id).toBe(true);
    }
  });

  it('a clock moved backwards does not return the device to a period with budget left', async () => {
    const storage = memoryStorage();
    const plan = ldpPlan({ rounds: 1, periodDays: 1 });
    let ledger = await BudgetLedger.open(storage);
    await ledger.observe(T0 + 5 * DAY + 1000);
    await ledger.charge(plan, 'r-day5', T0 + 5 * DAY + 1000);
    // the user sets the clock back two days, then restarts the app
    ledger = await BudgetLedger.open(storage);
    expect(ledger.now(T0 + 3 * DAY)).toBe(T0 + 5 * DAY + 1000);
    const e = await refusal(ledger.charge(plan, 'r-day3', T0 + 3 * DAY));
    expect(isPinholeError(e, 'budget_exceeded')).toBe(true);
    expect(ledger.status(plan, T0 + 3 * DAY).period.start).toBe('2025-01-11T00:00:00.000Z');
  });

  it('an unreadable stored ledger stops the client instead of starting over', async () => {
    for (const bad of ['{', '{"v":2}', '{"v":1,"highWater":0,"entries":[{"round":1}]}', 'null']) {
      const e = await refusal(BudgetLedger.open(memoryStorage([['ledger', bad]])));
      expect(isPinholeError(e, 'invalid_state'), bad).toBe(true);
    }
  });

  it('spend is added exactly: 0.1 + 0.2 fits a budget of 0.3', async () => {
    const plan = ldpPlan({ rounds: 3, epsilon: 0.05, budget: 0.3 }); // three rounds of 0.1
    const ledger = await BudgetLedger.open(memoryStorage());
    for (const r of ['r1', 'r2', 'r3']) await ledger.charge(plan, r, T0 + DAY);
    expect(isPinholeError(await refusal(ledger.charge(plan, 'r4', T0 + DAY)), 'budget_exceeded')).toBe(true);
  });
});
