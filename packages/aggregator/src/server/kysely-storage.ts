/**
 * The Storage interface over Kysely. Queries are written once, in Kysely's portable forms (multi-row
 * inserts with ON CONFLICT DO NOTHING … RETURNING, conditional UPDATEs as claims); the dialects
 * differ only in how a transaction excludes the others. SQLite has one writer at a time (BEGIN
 * IMMEDIATE, see sqlite.ts). On PostgreSQL several instances write at once, so:
 * - ingestion holds a shared transaction-scoped advisory lock keyed by its round (not FOR SHARE on
 *   the round's row: many concurrent sharers of one row turn every commit into a MultiXact write).
 *   Commits of every instance run side by side; a claim for closing takes the same lock exclusively
 *   before its UPDATE, so it waits until the commits in flight have finished, after which no commit
 *   finds the round collecting. So the reports a closer reads after its claim are exactly the
 *   reports ever acknowledged for the round. A round that closes at a report count also locks its
 *   row FOR UPDATE: its room must be counted exactly. A batch is one call of a PL/pgSQL function
 *   (migration 0004, migrations.ts; called by postgres.ts) that does all this and what commitReports
 *   below does on SQLite, in one round trip;
 * - closing is a lease on the round row (claimed_by, claim_expires): one instance holds it, renews it
 *   while it computes, and publishes only while it still holds it; a crashed holder's lease expires
 *   and another instance takes the round over. The release's primary key makes a second release of
 *   a round impossible whatever happens;
 * - opening a round takes a transaction-scoped advisory lock, so two instances never open two rounds
 *   or charge the period ledger twice;
 * - every transaction is retried on transient failures (postgres.ts).
 */
import { type Kysely, type Selectable, Migrator, sql } from 'kysely';
import { PinholeError } from '@pinhole/core';
import { type Database, ROUND_LOCK_CLASS, migrationProvider } from './migrations.js';
import type { CommitOutcome, OpenRoundRequest, ReleaseSummary, ReportRow, RoundStatus, SecaggMessageRow, SecaggPhase, Storage, StoredPlan, StoredRound } from './storage.js';

type RoundRow = Selectable<Database['rounds']>;

function toRound(r: RoundRow): StoredRound {
  return {
    roundId: r.round_id,
    planId: r.plan_id,
    planRevision: Number(r.plan_revision),
    periodStart: Number(r.period_start),
    periodEnd: Number(r.period_end),
    status: r.status as RoundStatus,
    openedAt: Number(r.opened_at),
    closesAt: r.closes_at === null ? null : Number(r.closes_at),
    closeAtReports: r.close_at_reports === null ? null : Number(r.close_at_reports),
    reports: Number(r.reports),
    spent: { epsilon: Number(r.spent_epsilon), delta: Number(r.spent_delta) },
    closedAt: r.closed_at === null ? null : Number(r.closed_at),
  };
}

/** Bound parameters per statement stay well under SQLite's (32,766) and PostgreSQL's (65,535) limits. */
const MAX_IN_LIST = 500;

function chunks<T>(list: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The digests of the reports already stored in a round under these ids (report id → digest). */
async function storedDigests(db: Kysely<Database>, roundId: string, reportIds: readonly string[]): Promise<Map<string, string>> {
  const stored = new Map<string, string>();
  for (const part of chunks(reportIds, MAX_IN_LIST)) {
    const found = await db.selectFrom('reports').select(['report_id', 'digest']).where('round_id', '=', roundId).where('report_id', 'in', part).execute();
    for (const f of found) stored.set(f.report_id, f.digest);
  }
  return stored;
}

/** A key for pg_advisory_xact_lock: the opening of rounds (any fixed 64-bit number not used elsewhere in the database). */
const OPEN_ROUND_LOCK = 0x70696e686f6c65n; // "pinhole"

export interface KyselyStorageOptions {
  /** runs one transaction (or single statement), retrying it on transient failures; default: once */
  readonly retry?: <T>(fn: () => Promise<T>) => Promise<T>;
  /**
   * How a batch of reports commits where the portable queries below (SQLite's path, one writer at a
   * time) do not suffice: on PostgreSQL, one call of the function of migration 0004 (postgres.ts)
   */
  readonly commitReports?: (rows: readonly ReportRow[]) => Promise<CommitOutcome[]>;
}

export function kyselyStorage(db: Kysely<Database>, dialect: 'sqlite' | 'postgres', onClose: () => Promise<void> | void = () => db.destroy(), options: KyselyStorageOptions = {}): Storage {
  const shared = dialect === 'postgres';
  if (shared && !options.commitReports)
    throw new PinholeError('invalid_argument', 'options.commitReports', 'kyselyStorage: PostgreSQL commits reports through the function of migration 0004 (openPostgresStorage)');
  const retry = options.retry ?? (<T>(fn: () => Promise<T>) => fn());
  return {
    kind: dialect,
    shared,

    async migrate() {
      const migrator = new Migrator({ db, provider: migrationProvider(dialect), migrationTableName: 'schema_migrations', migrationLockTableName: 'schema_migrations_lock' });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error instanceof Error ? error : new PinholeError('invalid_state', 'migrations', 'a schema migration failed', { cause: error });
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },

    async plans() {
      const rows = await db.selectFrom('plans').selectAll().orderBy('deployed_at').orderBy('plan_id').orderBy('revision').execute();
      return rows.map((r): StoredPlan => ({ planId: r.plan_id, revision: Number(r.revision), document: r.document, deployedAt: Number(r.deployed_at), effectiveFrom: Number(r.effective_from) }));
    },

    async insertPlan(p) {
      // instances starting together deploy the same plan: the first insert wins, the caller re-reads
      await retry(() =>
        db
          .insertInto('plans')
          .values({ plan_id: p.planId, revision: p.revision, document: p.document, deployed_at: p.deployedAt, effective_from: p.effectiveFrom })
          .onConflict((oc) => oc.doNothing())
          .execute(),
      );
    },

    async periodRounds(periodStart, periodEnd) {
      const rows = await db.selectFrom('rounds').selectAll().where('period_start', '=', periodStart).where('period_end', '=', periodEnd).orderBy('opened_at').execute();
      return rows.map(toRound);
    },

    async openRound(req: OpenRoundRequest, allow) {
      return retry(() =>
        db.transaction().execute(async (trx) => {
          if (shared) await sql`select pg_advisory_xact_lock(${sql.lit(OPEN_ROUND_LOCK)})`.execute(trx);
          const active = await trx.selectFrom('rounds').select('round_id').where('status', 'in', ['collecting', 'closing']).limit(1).execute();
          if (active.length > 0) return null;
          const ledger = (await trx.selectFrom('rounds').selectAll().where('period_start', '=', req.periodStart).where('period_end', '=', req.periodEnd).execute()).map(toRound);
          if (!allow(ledger)) return null;
          const row = {
            round_id: req.roundId,
            plan_id: req.planId,
            plan_revision: req.planRevision,
            period_start: req.periodStart,
            period_end: req.periodEnd,
            status: 'collecting',
            opened_at: req.openedAt,
            closes_at: req.closesAt,
            close_at_reports: req.closeAtReports,
            reports: 0,
            spent_epsilon: req.spent.epsilon,
            spent_delta: req.spent.delta,
            closed_at: null,
            claimed_by: null,
            claim_expires: null,
          };
          await trx.insertInto('rounds').values(row).execute();
          return toRound(row);
        }),
      );
    },

    async round(roundId) {
      const r = await db.selectFrom('rounds').selectAll().where('round_id', '=', roundId).executeTakeFirst();
      return r ? toRound(r) : null;
    },

    async rounds(statuses) {
      if (statuses.length === 0) return [];
      const rows = await db
        .selectFrom('rounds')
        .selectAll()
        .where('status', 'in', [...statuses])
        .orderBy('opened_at')
        .execute();
      return rows.map(toRound);
    },

    async commitReports(rows: readonly ReportRow[]) {
      if (rows.length === 0) return [];
      if (options.commitReports) return options.commitReports(rows);
      const now = Date.now();
      const byRound = new Map<string, number[]>();
      rows.forEach((r, i) => {
        const list = byRound.get(r.roundId) ?? [];
        list.push(i);
        byRound.set(r.roundId, list);
      });
      return retry(() =>
        db.transaction().execute(async (trx) => {
          const outcomes: CommitOutcome[] = new Array<CommitOutcome>(rows.length).fill('unknown_round');
          for (const [roundId, indices] of byRound) {
            const round = await trx.selectFrom('rounds').select(['status', 'reports', 'close_at_reports']).where('round_id', '=', roundId).executeTakeFirst();
            if (!round) continue;
            if (round.status !== 'collecting') {
              for (const i of indices) outcomes[i] = 'round_closed';
              continue;
            }
            // report ids already stored: a retry with the same bytes is a duplicate, other bytes a conflict
            const existing = await storedDigests(
              trx,
              roundId,
              indices.map((i) => (rows[i] as ReportRow).reportId),
            );
            const fresh: number[] = [];
            const inBatch = new Map<string, string>();
            for (const i of indices) {
              const r = rows[i] as ReportRow;
              const prior = existing.get(r.reportId) ?? inBatch.get(r.reportId);
              if (prior !== undefined) outcomes[i] = prior === r.digest ? 'duplicate' : 'conflict_report';
              else {
                inBatch.set(r.reportId, r.digest);
                fresh.push(i);
              }
            }
            // a round closes at its report count: reports past it find the round closed
            const room = round.close_at_reports === null ? Infinity : Math.max(0, Number(round.close_at_reports) - Number(round.reports));
            const admitted = fresh.slice(0, room === Infinity ? fresh.length : room);
            for (const i of fresh.slice(admitted.length)) outcomes[i] = 'round_closed';
            let stored = 0;
            const missed: number[] = [];
            for (const part of chunks(admitted, Math.floor(MAX_IN_LIST / 2))) {
              // one key order for every instance's inserts, so two batches holding the same reports cannot deadlock
              const ordered = [...part].sort((a, b) => ((rows[a] as ReportRow).reportId < (rows[b] as ReportRow).reportId ? -1 : 1));
              const inserted = await trx
                .insertInto('reports')
                .values(
                  ordered.map((i) => {
                    const r = rows[i] as ReportRow;
                    return { round_id: roundId, report_id: r.reportId, contributor: r.contributor, digest: r.digest, bytes: r.bytes, received_at: now };
                  }),
                )
                .onConflict((oc) => oc.doNothing())
                .returning('report_id')
                .execute();
              const ids = new Set(inserted.map((x) => x.report_id));
              for (const i of part) {
                if (ids.has((rows[i] as ReportRow).reportId)) outcomes[i] = 'stored';
                else missed.push(i);
              }
              stored += ids.size;
            }
            if (missed.length > 0) {
              // Not inserted: the report id or the contributor is taken. On PostgreSQL that may be by a
              // commit of another instance that finished after our first look; this statement sees it.
              const taken = await storedDigests(
                trx,
                roundId,
                missed.map((i) => (rows[i] as ReportRow).reportId),
              );
              for (const i of missed) {
                const r = rows[i] as ReportRow;
                const digest = taken.get(r.reportId);
                outcomes[i] = digest === undefined ? 'conflict_contributor' : digest === r.digest ? 'duplicate' : 'conflict_report';
              }
            }
            // retries of a report id stored earlier in this batch are acknowledged once it is stored
            for (const i of indices) {
              if (outcomes[i] !== 'duplicate' || existing.has((rows[i] as ReportRow).reportId)) continue;
              const first = indices.find((j) => (rows[j] as ReportRow).reportId === (rows[i] as ReportRow).reportId);
              if (first !== undefined && first !== i && outcomes[first] !== 'stored') outcomes[i] = outcomes[first] as CommitOutcome;
            }
            // the running count matters where the round closes at a count (the final count is written at publication)
            if (stored > 0 && round.close_at_reports !== null) {
              const total = Number(round.reports) + stored;
              const full = total >= Number(round.close_at_reports);
              await trx
                .updateTable('rounds')
                .set({ reports: total, ...(full ? { status: 'closing' } : {}) })
                .where('round_id', '=', roundId)
                .execute();
            }
          }
          return outcomes;
        }),
      );
    },

    async claimClose(roundId, owner, now, leaseMs, options = {}) {
      const r = await retry(() =>
        db.transaction().execute(async (trx) => {
          // waits for the commits in flight on this round (see the header)
          if (shared) await sql`select pg_advisory_xact_lock(${sql.lit(ROUND_LOCK_CLASS)}, hashtext(${roundId}))`.execute(trx);
          return trx
            .updateTable('rounds')
            .set({ status: 'closing', claimed_by: owner, claim_expires: now + leaseMs })
            .where('round_id', '=', roundId)
            .where((eb) =>
              eb.or([
                eb('status', '=', 'collecting'),
                // SQLite binds no booleans: a forced claim takes any closing round by its status alone
                options.force
                  ? eb('status', '=', 'closing')
                  : eb.and([eb('status', '=', 'closing'), eb.or([eb('claimed_by', 'is', null), eb('claim_expires', '<', now), eb('claimed_by', '=', owner)])]),
              ]),
            )
            .executeTakeFirst();
        }),
      );
      return Number(r.numUpdatedRows) === 1;
    },

    async *reportPages(roundId, pageSize) {
      let after = '';
      for (;;) {
        const page = await db.selectFrom('reports').select(['report_id', 'bytes']).where('round_id', '=', roundId).where('report_id', '>', after).orderBy('report_id').limit(pageSize).execute();
        if (page.length === 0) return;
        yield page.map((p) => new Uint8Array(p.bytes.buffer, p.bytes.byteOffset, p.bytes.byteLength));
        after = (page[page.length - 1] as { report_id: string }).report_id;
        if (page.length < pageSize) return;
      }
    },

    async publish(roundId, owner, release, deleteReports) {
      return retry(() =>
        db.transaction().execute(async (trx) => {
          // only the claim's holder publishes: the UPDATE locks the row and checks the claim in one step
          const round = await trx
            .updateTable('rounds')
            .set({ status: release.status, closed_at: release.at, claimed_by: null, claim_expires: null, reports: sql<number>`(select count(*) from reports where round_id = ${roundId})` })
            .where('round_id', '=', roundId)
            .where('status', '=', 'closing')
            .where('claimed_by', '=', owner)
            .returning(['plan_id', 'plan_revision'])
            .executeTakeFirst();
          if (!round) return false;
          await trx
            .insertInto('releases')
            .values({ round_id: roundId, plan_id: round.plan_id, plan_revision: round.plan_revision, status: release.status, published_at: release.at, document: release.document })
            .execute();
          if (deleteReports) await trx.deleteFrom('reports').where('round_id', '=', roundId).execute();
          return true;
        }),
      );
    },

    async releases({ limit, before }) {
      let q = db.selectFrom('releases').select(['round_id', 'plan_id', 'plan_revision', 'status', 'published_at']);
      if (before !== undefined) q = q.where('published_at', '<', before);
      const rows = await q.orderBy('published_at', 'desc').orderBy('round_id', 'desc').limit(limit).execute();
      return rows.map((r): ReleaseSummary => ({
        roundId: r.round_id,
        planId: r.plan_id,
        planRevision: Number(r.plan_revision),
        status: r.status as 'released' | 'refused',
        publishedAt: Number(r.published_at),
      }));
    },

    async release(roundId) {
      const r = await db.selectFrom('releases').selectAll().where('round_id', '=', roundId).executeTakeFirst();
      if (!r) return null;
      return { roundId: r.round_id, planId: r.plan_id, planRevision: Number(r.plan_revision), status: r.status as 'released' | 'refused', publishedAt: Number(r.published_at), document: r.document };
    },

    async secaggBegin(roundId, phaseDeadline, lease) {
      const r = await retry(() =>
        db
          .insertInto('secagg_rounds')
          .values({
            round_id: roundId,
            phase: 'join',
            phase_deadline: phaseDeadline,
            config: null,
            detail: null,
            updated_at: Date.now(),
            coordinator: lease.owner,
            coordinator_expires: lease.now + lease.leaseMs,
            coordinator_url: lease.url,
          })
          .onConflict((oc) => oc.doNothing())
          .executeTakeFirst(),
      );
      return Number(r.numInsertedOrUpdatedRows ?? 0n) === 1;
    },

    async secaggCoordinate(roundId, lease) {
      const r = await retry(() =>
        db
          .updateTable('secagg_rounds')
          .set({ coordinator: lease.owner, coordinator_expires: lease.now + lease.leaseMs, coordinator_url: lease.url })
          .where('round_id', '=', roundId)
          .where((eb) => eb.or([eb('coordinator', 'is', null), eb('coordinator_expires', '<', lease.now), eb('coordinator', '=', lease.owner)]))
          .executeTakeFirst(),
      );
      return Number(r.numUpdatedRows) === 1;
    },

    async secaggRound(roundId) {
      const r = await db.selectFrom('secagg_rounds').selectAll().where('round_id', '=', roundId).executeTakeFirst();
      if (!r) return null;
      return {
        roundId: r.round_id,
        phase: r.phase as SecaggPhase,
        phaseDeadline: r.phase_deadline === null ? null : Number(r.phase_deadline),
        config: r.config === null ? null : bytesOf(r.config),
        detail: r.detail,
        coordinator: r.coordinator,
        coordinatorExpires: r.coordinator_expires === null ? null : Number(r.coordinator_expires),
        coordinatorUrl: r.coordinator_url,
      };
    },

    async secaggSetPhase(roundId, phase, phaseDeadline, extra, fence = null) {
      const r = await retry(() => {
        let q = db
          .updateTable('secagg_rounds')
          .set({
            phase,
            phase_deadline: phaseDeadline,
            updated_at: Date.now(),
            ...(extra.config === undefined ? {} : { config: blob(extra.config) }),
            ...(extra.detail === undefined ? {} : { detail: extra.detail }),
          })
          .where('round_id', '=', roundId);
        // shared storage: only the lease's holder moves the round on
        if (shared && fence !== null) q = q.where('coordinator', '=', fence);
        return q.executeTakeFirst();
      });
      return Number(r.numUpdatedRows) === 1;
    },

    async secaggJoin(roundId, contributor, sessionDigest, cohort) {
      return retry(() =>
        db.transaction().execute(async (trx) => {
          // PostgreSQL runs joins side by side: the round's row orders them, so slots stay 1..n
          if (shared) await trx.selectFrom('secagg_rounds').select('round_id').where('round_id', '=', roundId).forUpdate().execute();
          const prior = await trx.selectFrom('secagg_slots').select('slot').where('round_id', '=', roundId).where('contributor', '=', contributor).executeTakeFirst();
          if (prior) {
            await trx.updateTable('secagg_slots').set({ session_digest: sessionDigest }).where('round_id', '=', roundId).where('slot', '=', prior.slot).execute();
            return { slot: Number(prior.slot), rejoined: true };
          }
          const { n } = (await trx
            .selectFrom('secagg_slots')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('round_id', '=', roundId)
            .executeTakeFirstOrThrow()) as { n: number | bigint | string };
          const count = Number(n);
          if (count >= cohort) return null;
          // slots are 1..n in join order (never deleted while the round runs)
          const slot = count + 1;
          await trx.insertInto('secagg_slots').values({ round_id: roundId, slot, contributor, session_digest: sessionDigest, joined_at: Date.now() }).execute();
          return { slot, rejoined: false };
        }),
      );
    },

    async secaggSlots(roundId) {
      const rows = await db.selectFrom('secagg_slots').select(['slot', 'contributor', 'session_digest']).where('round_id', '=', roundId).orderBy('slot').execute();
      return rows.map((r) => ({ slot: Number(r.slot), contributor: r.contributor, sessionDigest: r.session_digest }));
    },

    async secaggStoreMessages(rows: readonly SecaggMessageRow[]) {
      if (rows.length === 0) return [];
      const now = Date.now();
      return retry(() =>
        db.transaction().execute(async (trx) => {
          const out: ('stored' | 'duplicate' | 'conflict')[] = [];
          for (const r of rows) {
            const inserted = await trx
              .insertInto('secagg_messages')
              .values({ round_id: r.roundId, phase: r.phase, slot: r.slot, digest: r.digest, bytes: blob(r.bytes), received_at: now })
              .onConflict((oc) => oc.doNothing())
              .returning('slot')
              .execute();
            if (inserted.length === 1) {
              out.push('stored');
              continue;
            }
            const prior = await trx.selectFrom('secagg_messages').select('digest').where('round_id', '=', r.roundId).where('phase', '=', r.phase).where('slot', '=', r.slot).executeTakeFirst();
            out.push(prior?.digest === r.digest ? 'duplicate' : 'conflict');
          }
          return out;
        }),
      );
    },

    async secaggMessages(roundId, phase) {
      const rows = await db.selectFrom('secagg_messages').select(['slot', 'digest', 'bytes']).where('round_id', '=', roundId).where('phase', '=', phase).orderBy('slot').execute();
      return rows.map((r) => ({ roundId, phase, slot: Number(r.slot), digest: r.digest, bytes: bytesOf(r.bytes) }));
    },

    async secaggDelete(roundId) {
      await retry(() =>
        db.transaction().execute(async (trx) => {
          await trx.deleteFrom('secagg_messages').where('round_id', '=', roundId).execute();
          await trx.deleteFrom('secagg_slots').where('round_id', '=', roundId).execute();
        }),
      );
    },

    async close() {
      await onClose();
    },
  };
}

/** Bytes as the drivers bind them (better-sqlite3 and pg take Buffers, not other Uint8Arrays). */
function blob(b: Uint8Array): Uint8Array {
  return Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

/** A BLOB column as a plain Uint8Array (SQLite hands back a Buffer, PostgreSQL too). */
function bytesOf(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
