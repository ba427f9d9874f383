/** What sync() and status() tell an app, and how an error becomes data (never a measured value). */
import { isPinholeError } from '@pinhole/core';
import type { BudgetStatus } from './ledger.js';
import type { QueueCounters } from './queue.js';
import type { NetworkSample } from '@pinhole/core';
import { Aborted, ServerProblem, Unreachable } from './transport.js';

/** What went wrong, as data (never a measured value). */
export interface SyncError {
  readonly code: string;
  readonly param: string;
  readonly message: string;
  /** the HTTP status when the server answered */
  readonly status: number | null;
}

export type SyncOutcome =
  /** this round's report reached the server (or, secure aggregation, the round completed with it) */
  | 'reported'
  /** this round's report is perturbed, charged and queued: the server was not reachable */
  | 'queued'
  /** this device already reported in the current round */
  | 'already_reported'
  /** no round is collecting now */
  | 'no_round'
  /** no recorded sample applies to the plan */
  | 'no_samples'
  /** the period's budget is spent: nothing was sent */
  | 'budget_exhausted'
  /** the served plan is refused by this device (see error) */
  | 'plan_refused'
  /** the plan's first period, or its change, has not started */
  | 'plan_not_effective'
  /** the server could not be reached */
  | 'offline'
  /** secure aggregation: this device left the round before it ended */
  | 'dropped_out'
  /** secure aggregation: the round aborted, or this device refused it */
  | 'round_aborted'
  /** the caller's signal aborted the sync */
  | 'aborted'
  /** anything else (see error) */
  | 'failed';

export interface SyncResult {
  readonly outcome: SyncOutcome;
  readonly plan: { readonly id: string; readonly revision: number } | null;
  readonly roundId: string | null;
  /** queued reports the server acknowledged during this sync */
  readonly delivered: number;
  /** reports still queued */
  readonly pending: number;
  readonly budget: BudgetStatus | null;
  /** samples that were not used because they fall outside the plan's public domains */
  readonly samplesOutsideDomains: number;
  readonly error: SyncError | null;
}

export interface ClientStatus {
  readonly samples: number;
  readonly samplesDropped: number;
  readonly pending: number;
  readonly queue: Readonly<QueueCounters>;
  readonly plan: { readonly id: string; readonly revision: number } | null;
  /** request body bytes sent and received since this client was created */
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export interface PinholeClient {
  /** Validates a measurement and keeps it on the device (persisted). Bad input: invalid_argument naming the field, never its value. */
  record(sample: NetworkSample): Promise<void>;
  /** Uploads what is queued and takes part in the current round when the budget allows. Resolves with what happened; throws only for misuse. */
  sync(options?: { readonly signal?: AbortSignal }): Promise<SyncResult>;
  /** The budget of the current period under the accepted plan (null before the first plan). */
  budget(): Promise<BudgetStatus | null>;
  status(): Promise<ClientStatus>;
}

export function syncError(e: unknown): SyncError {
  if (typeof e === 'object' && e !== null && !(e instanceof Error) && typeof (e as SyncError).code === 'string' && typeof (e as SyncError).message === 'string') {
    const x = e as SyncError;
    return { code: x.code, param: String(x.param), message: x.message, status: typeof x.status === 'number' ? x.status : null };
  }
  if (e instanceof ServerProblem) return { code: e.code, param: e.param, message: e.message, status: e.status };
  if (e instanceof Unreachable) return { code: 'unreachable', param: 'serverUrl', message: e.message, status: e.status };
  if (e instanceof Aborted) return { code: 'aborted', param: 'signal', message: e.message, status: null };
  if (isPinholeError(e)) return { code: e.code, param: e.param, message: e.message, status: null };
  return { code: 'internal', param: '', message: e instanceof Error ? e.message : String(e), status: null };
}
