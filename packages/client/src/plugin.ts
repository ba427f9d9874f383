/**
 * The seam between the client and secure aggregation. The main entry only knows these types; the
 * implementation is `secureAggregation()` in `@pinhole/client/secagg`, so an app whose plans use
 * local DP does not load the secure-aggregation protocol, its crypto or the noise plans.
 */
import type { Plan, Rng } from '@pinhole/core';
import type { PlanModeRule } from '@pinhole/core/plan';
import type { DeviceInput } from './device.js';
import type { Http } from './transport.js';
import type { KeyValueStorage } from './storage.js';

/** The current round as the server describes it (`GET /v1/rounds/current`). */
export interface RoundView {
  readonly roundId: string;
  readonly planId: string;
  readonly planRevision: number;
  readonly status: string;
  readonly openedAt: string;
  readonly closesAt: string | null;
  /** present for secure-aggregation rounds: the protocol phase and when it closes */
  readonly secagg?: { readonly phase: string; readonly phaseDeadline: string | null } | null;
}

export interface SecureAggregationContext {
  readonly plan: Plan;
  readonly round: RoundView;
  readonly http: Http;
  readonly storage: KeyValueStorage;
  readonly rng: Rng;
  readonly allowInsecureRng: boolean;
  /** the device's input per secure-aggregation collection (absent: no applicable measurement) */
  readonly inputs: ReadonlyMap<string, DeviceInput>;
  /** the device's contributor token for this round */
  readonly contributor: string;
  readonly signal: AbortSignal | undefined;
  /** the ledger's clock, ms */
  now(): number;
  /** charges the round to the budget ledger, persisted; throws budget_exceeded */
  charge(): Promise<void>;
  /** forgets the samples this round used */
  consumeSamples(): Promise<void>;
}

export type SecureAggregationOutcome =
  /** the masked input was sent and the round completed (released or refused by the gate) */
  | { readonly outcome: 'reported'; readonly release: 'released' | 'refused' | null }
  /** this device did not finish the round (unreachable server, a phase it missed, a restart): a dropout */
  | { readonly outcome: 'dropped_out'; readonly phase: string; readonly reason: string }
  /** the round aborted or this device refused it (a protocol violation, a weak configuration, too few contributors) */
  | { readonly outcome: 'round_aborted'; readonly phase: string; readonly reason: string; readonly code: string };

export interface SecureAggregation {
  readonly kind: 'pinhole/secure-aggregation';
  /** core's rule for secure-aggregation collections: the client's main entry does not carry it */
  readonly planRule: PlanModeRule;
  /** Throws a PinholeError when this device must not take part in the plan's secure-aggregation rounds (threat model, directory). */
  checkPlan(plan: Plan): void;
  run(context: SecureAggregationContext): Promise<SecureAggregationOutcome>;
}
