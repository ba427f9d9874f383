/**
 * What the server keeps, behind one small interface: deployed plans, rounds (which are also the
 * period ledger: each round records the loss every device of it was charged), the raw reports of
 * rounds not yet released, and the published releases. Implemented with Kysely, so the same
 * migrations and queries serve SQLite (the embedded default, one instance) and PostgreSQL (several
 * instances sharing one database; see kysely-storage.ts for how they exclude each other).
 * Every method that changes state runs in one transaction; a report is acknowledged only after
 * `commitReports` resolved, i.e. after its transaction committed.
 */
import type { PrivacyLoss } from '@pinhole/core';

/** collecting → closing → released | refused (secure-aggregation phases will add states between). */
export type RoundStatus = 'collecting' | 'closing' | 'released' | 'refused';

export interface StoredPlan {
  readonly planId: string;
  readonly revision: number;
  /** the plan document exactly as deployed (canonical JSON of the checked plan) */
  readonly document: string;
  readonly deployedAt: number;
  /** rounds of this plan open from here (ms since the epoch) */
  readonly effectiveFrom: number;
}

export interface StoredRound {
  readonly roundId: string;
  readonly planId: string;
  readonly planRevision: number;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly status: RoundStatus;
  readonly openedAt: number;
  /** the round closes at this time (ms), or null: only by report count */
  readonly closesAt: number | null;
  readonly closeAtReports: number | null;
  /** reports committed so far where the round closes at a count; for every round, the final count once published */
  readonly reports: number;
  /** what every device reporting in this round is charged (the ledger's entry) */
  readonly spent: PrivacyLoss;
  readonly closedAt: number | null;
}

export interface ReportRow {
  readonly roundId: string;
  readonly reportId: string;
  readonly contributor: string;
  /** SHA-256 of the upload's bytes, hex: a retry must carry the same bytes */
  readonly digest: string;
  readonly bytes: Uint8Array;
}

/**
 * stored: committed now (201); duplicate: this report id was committed before with the same bytes
 * (200); conflict_report: the report id exists with other bytes; conflict_contributor: the
 * contributor already reported in this round; round_closed: the round no longer collects.
 */
export type CommitOutcome = 'stored' | 'duplicate' | 'conflict_report' | 'conflict_contributor' | 'round_closed' | 'unknown_round';

export interface ReleaseSummary {
  readonly roundId: string;
  readonly planId: string;
  readonly planRevision: number;
  readonly status: 'released' | 'refused';
  readonly publishedAt: number;
}

export interface OpenRoundRequest {
  readonly roundId: string;
  readonly planId: string;
  readonly planRevision: number;
  readonly periodStart: number;
  readonly periodEnd: number;
  readonly openedAt: number;
  readonly closesAt: number | null;
  readonly closeAtReports: number | null;
  readonly spent: PrivacyLoss;
}

/** The phases of a secure-aggregation round (see secagg.ts). */
export type SecaggPhase = 'join' | 'advertise' | 'share' | 'masked' | 'consistency' | 'unmask' | 'done' | 'aborted';

export interface SecaggRoundRow {
  readonly roundId: string;
  readonly phase: SecaggPhase;
  readonly phaseDeadline: number | null;
  /** the round's configuration (encodeRoundConfig), once the join closed */
  readonly config: Uint8Array | null;
  /** done: the release's status; aborted: why */
  readonly detail: string | null;
  /** the instance coordinating the round, until when, and where it answers (shared storage) */
  readonly coordinator: string | null;
  readonly coordinatorExpires: number | null;
  readonly coordinatorUrl: string | null;
}

/** A lease on coordinating a secure-aggregation round. */
export interface SecaggLease {
  readonly owner: string;
  readonly now: number;
  readonly leaseMs: number;
  /** where this instance answers devices (null before it listens) */
  readonly url: string | null;
}

export interface SecaggSlotRow {
  readonly slot: number;
  readonly contributor: string;
  /** SHA-256 of the session bearer token, hex (the token itself is never stored) */
  readonly sessionDigest: string;
}

export interface SecaggMessageRow {
  readonly roundId: string;
  readonly phase: SecaggPhase;
  readonly slot: number;
  /** SHA-256 of the bytes, hex: a retry must carry the same bytes */
  readonly digest: string;
  readonly bytes: Uint8Array;
}

export interface Storage {
  /** the dialect, for logs and health */
  readonly kind: string;
  /**
   * Several instances may use this storage at once (PostgreSQL): a claim held by another owner is
   * that instance's until its lease expires, even right after this one restarts.
   */
  readonly shared: boolean;
  /** applies pending migrations (versioned, in order); returns the names applied */
  migrate(): Promise<string[]>;
  plans(): Promise<StoredPlan[]>;
  /** records a plan; does nothing when that (id, revision) is already stored (the caller re-reads) */
  insertPlan(plan: StoredPlan): Promise<void>;
  /** the rounds of a period (the ledger) */
  periodRounds(periodStart: number, periodEnd: number): Promise<StoredRound[]>;
  /**
   * In one transaction: reads the period's rounds, asks `allow(rounds)` whether one more fits, and
   * inserts the round if so. Returns the round, or null when `allow` said no or a round is still
   * collecting or closing.
   */
  openRound(request: OpenRoundRequest, allow: (periodRounds: readonly StoredRound[]) => boolean): Promise<StoredRound | null>;
  round(roundId: string): Promise<StoredRound | null>;
  /** rounds in any of these states, oldest first */
  rounds(statuses: readonly RoundStatus[]): Promise<StoredRound[]>;
  /** one transaction for the whole batch; one outcome per row, in order */
  commitReports(rows: readonly ReportRow[]): Promise<CommitOutcome[]>;
  /**
   * Claims a round for closing: collecting → closing, or a closing round whose claim expired (or
   * any closing round with `force`, for a single instance recovering after a restart). True when
   * this owner holds the claim.
   */
  claimClose(roundId: string, owner: string, now: number, leaseMs: number, options?: { readonly force?: boolean }): Promise<boolean>;
  /** the stored report bytes of a round, in report-id order, a page at a time */
  reportPages(roundId: string, pageSize: number): AsyncIterable<Uint8Array[]>;
  /**
   * In one transaction: moves the round to released/refused (with its final report count), inserts
   * the release (immutable: a second one for the round is refused), and with `deleteReports` deletes
   * its raw reports. False, with nothing changed, when this owner no longer holds the claim.
   */
  publish(roundId: string, owner: string, release: { readonly status: 'released' | 'refused'; readonly document: string; readonly at: number }, deleteReports: boolean): Promise<boolean>;
  releases(options: { readonly limit: number; readonly before?: number }): Promise<ReleaseSummary[]>;
  release(roundId: string): Promise<(ReleaseSummary & { readonly document: string }) | null>;
  /** secure aggregation: a round's protocol state starts in its join phase, coordinated by the lease's owner; false when it had begun already */
  secaggBegin(roundId: string, phaseDeadline: number | null, lease: SecaggLease): Promise<boolean>;
  /** takes or renews the lease on coordinating a round: true when this owner holds it (it held it, or nobody does, or it expired) */
  secaggCoordinate(roundId: string, lease: SecaggLease): Promise<boolean>;
  secaggRound(roundId: string): Promise<SecaggRoundRow | null>;
  /**
   * Moves the round to a phase (with its configuration when the join closes, or the detail of
   * done/aborted). With `fence` on shared storage, only while that owner holds the coordination
   * lease; false when it does not.
   */
  secaggSetPhase(roundId: string, phase: SecaggPhase, phaseDeadline: number | null, extra: { readonly config?: Uint8Array; readonly detail?: string }, fence?: string | null): Promise<boolean>;
  /**
   * In one transaction: the contributor's slot (a new session for a slot it already holds), or
   * the next slot while fewer than `cohort` joined; null when the cohort is full.
   */
  secaggJoin(roundId: string, contributor: string, sessionDigest: string, cohort: number): Promise<{ readonly slot: number; readonly rejoined: boolean } | null>;
  secaggSlots(roundId: string): Promise<SecaggSlotRow[]>;
  /** one transaction for the batch: stored, a duplicate (same digest) or a conflict (another message of that slot and phase) */
  secaggStoreMessages(rows: readonly SecaggMessageRow[]): Promise<('stored' | 'duplicate' | 'conflict')[]>;
  /** the accepted messages of a phase, by slot */
  secaggMessages(roundId: string, phase: SecaggPhase): Promise<SecaggMessageRow[]>;
  /** retention: deletes a released round's messages and sessions (its phase row stays) */
  secaggDelete(roundId: string): Promise<void>;
  close(): Promise<void>;
}
