/**
 * Permanent randomized response (RAPPOR, Erlingsson, Pihur, Korolova, CCS 2014, section 3): a local
 * DP histogram report is drawn once per true bucket and reused for every later round of the same
 * plan and collection, so averaging the device's reports over many rounds learns no more than one
 * report does. A changed bucket draws a fresh report (and its round is charged by the ledger as
 * every round is). The plan decides (a local-DP histogram collection's `memo`, PLAN_MEMO) and states
 * the scope (`longitudinal.memoScope`: the plan revision). The memo lives in the device's storage,
 * beside the ledger, keyed by plan id and revision: a new plan revision starts a new memo. Reusing a report tells the server that
 * the bucket did not change between rounds; that linkage is the price of the longitudinal bound.
 */
import type { Plan, PlanCollection, ReportEntry } from '@pinhole/core';
import { fromBase64, toBase64 } from './bytes.js';
import type { KeyValueStorage } from './storage.js';

const PREFIX = 'memo:';

/** Whether a collection's reports are memoised: local DP histograms whose plan says `per_value` (a bucket is a small, exact value). */
export function isMemoised(c: PlanCollection): boolean {
  return c.mode === 'ldp' && c.kind === 'histogram' && c.memo === 'per_value';
}

/** The stored report of `bucket` in collection `c`, or a fresh one from `draw`, stored before it is used. */
export async function memoisedEntry(storage: KeyValueStorage, plan: Plan, c: PlanCollection, bucket: number, draw: () => ReportEntry): Promise<ReportEntry> {
  const key = `${PREFIX}${plan.id}:${plan.revision}:${c.id}:${bucket}`;
  const stored = await storage.get(key);
  const bytes = typeof stored === 'string' ? fromBase64(stored) : null;
  if (bytes !== null && bytes.length > 0) return { collection: c.id, bytes };
  const entry = draw();
  await storage.set(key, toBase64(entry.bytes));
  return entry;
}
