/**
 * The schema, as versioned Kysely migrations that use only portable column types and constraints,
 * so SQLite and PostgreSQL are created from the same definitions. Append new migrations; never
 * edit an applied one.
 */
import { type Kysely, type Migration, type MigrationProvider, sql } from 'kysely';

export interface Database {
  plans: { plan_id: string; revision: number; document: string; deployed_at: number; effective_from: number };
  rounds: {
    round_id: string;
    plan_id: string;
    plan_revision: number;
    period_start: number;
    period_end: number;
    status: string;
    opened_at: number;
    closes_at: number | null;
    close_at_reports: number | null;
    reports: number;
    spent_epsilon: number;
    spent_delta: number;
    closed_at: number | null;
    claimed_by: string | null;
    claim_expires: number | null;
  };
  reports: { round_id: string; report_id: string; contributor: string; digest: string; bytes: Uint8Array; received_at: number };
  releases: { round_id: string; plan_id: string; plan_revision: number; status: string; published_at: number; document: string };
  secagg_rounds: {
    round_id: string;
    phase: string;
    phase_deadline: number | null;
    config: Uint8Array | null;
    detail: string | null;
    updated_at: number;
    coordinator: string | null;
    coordinator_expires: number | null;
    coordinator_url: string | null;
  };
  secagg_slots: { round_id: string; slot: number; contributor: string; session_digest: string; joined_at: number };
  secagg_messages: { round_id: string; phase: string; slot: number; digest: string; bytes: Uint8Array; received_at: number };
}

/** SQLite and PostgreSQL name their byte-string type differently; everything else is shared. */
const initial = (blob: string): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('plans')
      .addColumn('plan_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('revision', 'integer', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .addColumn('deployed_at', 'bigint', (c) => c.notNull())
      .addColumn('effective_from', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('plans_pk', ['plan_id', 'revision'])
      .execute();
    await db.schema
      .createTable('rounds')
      .addColumn('round_id', 'varchar(128)', (c) => c.primaryKey())
      .addColumn('plan_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('plan_revision', 'integer', (c) => c.notNull())
      .addColumn('period_start', 'bigint', (c) => c.notNull())
      .addColumn('period_end', 'bigint', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('opened_at', 'bigint', (c) => c.notNull())
      .addColumn('closes_at', 'bigint')
      .addColumn('close_at_reports', 'bigint')
      .addColumn('reports', 'bigint', (c) => c.notNull().defaultTo(0))
      .addColumn('spent_epsilon', 'double precision', (c) => c.notNull())
      .addColumn('spent_delta', 'double precision', (c) => c.notNull())
      .addColumn('closed_at', 'bigint')
      .addColumn('claimed_by', 'varchar(64)')
      .addColumn('claim_expires', 'bigint')
      .addForeignKeyConstraint('rounds_plan_fk', ['plan_id', 'plan_revision'], 'plans', ['plan_id', 'revision'])
      .execute();
    await db.schema.createIndex('rounds_period').on('rounds').columns(['period_start', 'period_end']).execute();
    await db.schema.createIndex('rounds_status').on('rounds').column('status').execute();
    await db.schema
      .createTable('reports')
      .addColumn('round_id', 'varchar(128)', (c) => c.notNull().references('rounds.round_id'))
      .addColumn('report_id', 'char(32)', (c) => c.notNull())
      .addColumn('contributor', 'char(32)', (c) => c.notNull())
      .addColumn('digest', 'char(64)', (c) => c.notNull())
      .addColumn('bytes', sql.raw(blob), (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('reports_pk', ['round_id', 'report_id'])
      // the contribution bound: one report per device (contributor token) per round
      .addUniqueConstraint('reports_contributor', ['round_id', 'contributor'])
      .execute();
    await db.schema
      .createTable('releases')
      .addColumn('round_id', 'varchar(128)', (c) => c.primaryKey().references('rounds.round_id'))
      .addColumn('plan_id', 'varchar(64)', (c) => c.notNull())
      .addColumn('plan_revision', 'integer', (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('published_at', 'bigint', (c) => c.notNull())
      .addColumn('document', 'text', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('releases_published').on('releases').columns(['published_at', 'round_id']).execute();
  },
});

/**
 * Secure-aggregation rounds (issue 10): each round's protocol phase, its devices' slots (one per
 * contributor token, with the digest of the session token) and every accepted protocol message,
 * so a restarted server rebuilds a round between phases by replaying them.
 */
const secagg = (blob: string): Migration => ({
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema
      .createTable('secagg_rounds')
      .addColumn('round_id', 'varchar(128)', (c) => c.primaryKey().references('rounds.round_id'))
      .addColumn('phase', 'varchar(16)', (c) => c.notNull())
      .addColumn('phase_deadline', 'bigint')
      .addColumn('config', sql.raw(blob))
      .addColumn('detail', 'text')
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('secagg_slots')
      .addColumn('round_id', 'varchar(128)', (c) => c.notNull().references('rounds.round_id'))
      .addColumn('slot', 'integer', (c) => c.notNull())
      .addColumn('contributor', 'char(32)', (c) => c.notNull())
      .addColumn('session_digest', 'char(64)', (c) => c.notNull())
      .addColumn('joined_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('secagg_slots_pk', ['round_id', 'slot'])
      // one slot per device (contributor token) per round
      .addUniqueConstraint('secagg_slots_contributor', ['round_id', 'contributor'])
      .execute();
    await db.schema
      .createTable('secagg_messages')
      .addColumn('round_id', 'varchar(128)', (c) => c.notNull().references('rounds.round_id'))
      .addColumn('phase', 'varchar(16)', (c) => c.notNull())
      .addColumn('slot', 'integer', (c) => c.notNull())
      .addColumn('digest', 'char(64)', (c) => c.notNull())
      .addColumn('bytes', sql.raw(blob), (c) => c.notNull())
      .addColumn('received_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('secagg_messages_pk', ['round_id', 'phase', 'slot'])
      .execute();
  },
});

/**
 * Several instances on one database (PostgreSQL): one instance at a time coordinates a
 * secure-aggregation round, under a lease it renews (coordinator, coordinator_expires); the others
 * forward the round's device requests to it (coordinator_url) and take the round over, by replaying
 * its stored messages, once the lease expired. One column per statement: SQLite adds one at a time.
 */
const secaggCoordinator: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('secagg_rounds').addColumn('coordinator', 'varchar(64)').execute();
    await db.schema.alterTable('secagg_rounds').addColumn('coordinator_expires', 'bigint').execute();
    await db.schema.alterTable('secagg_rounds').addColumn('coordinator_url', 'varchar(2048)').execute();
  },
};

/** The first half of the two-part advisory lock key of a round (the second is hashtext(round_id)); a space apart from the lock that opens rounds. */
export const ROUND_LOCK_CLASS = 0x70686f6c; // "phol"

/**
 * PostgreSQL: a batch of reports committed in one round trip, by a function that runs in the
 * statement's own transaction (kysely-storage.ts's commitReports, which SQLite runs, is the
 * reference: the outcomes are the same for the same rows and database). Per round of the batch,
 * in the order of its first row: a shared transaction-scoped advisory lock on the round (a claim
 * for closing takes it exclusively, so it waits for the commits in flight, after which none finds
 * the round collecting; not FOR SHARE on the row: many sharers of one row make every commit a
 * MultiXact write); the round's row, FOR UPDATE where it closes at a report count so its room is
 * counted exactly across instances; report ids stored before or earlier in the batch are a
 * duplicate (same digest) or a conflict_report; fresh rows past the room find the round closed;
 * the rest are inserted in report-id order (one key order for every instance, against deadlocks),
 * and a row not inserted was taken meanwhile by another instance's commit (read again: its id, or
 * else its contributor). Returns one outcome per row, in order.
 */
const commitFunction: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
create function pinhole_commit_reports(p_round text[], p_report text[], p_contributor text[], p_digest text[], p_bytes bytea[], p_now bigint)
returns text[] language plpgsql as $fn$
declare
  outcomes text[] := array_fill('unknown_round'::text, array[cardinality(p_report)]);
  rid text;
  st text;
  cnt bigint;
  cap bigint;
  room bigint;
  fresh bigint;
  c record;
  adm_i bigint[];
  adm_id text[];
  adm_contributor text[];
  adm_digest text[];
  adm_bytes bytea[];
  inserted text[];
  missed_i bigint[];
  missed_id text[];
  missed_digest text[];
  dup_i bigint[];
  dup_first bigint[];
  stored bigint;
  k int;
begin
  for rid in select x.r from unnest(p_round) with ordinality x(r, i) group by x.r order by min(x.i) loop
    perform pg_advisory_xact_lock_shared(${sql.lit(ROUND_LOCK_CLASS)}, hashtext(rid));
    select status, reports, close_at_reports into st, cnt, cap from rounds where round_id = rid;
    if not found then continue; end if;
    if cap is not null then
      select status, reports into st, cnt from rounds where round_id = rid for update;
    end if;
    if st <> 'collecting' then
      for c in select x.i from unnest(p_round) with ordinality x(r, i) where x.r = rid loop
        outcomes[c.i] := 'round_closed';
      end loop;
      continue;
    end if;
    room := case when cap is null then null else greatest(0, cap - cnt) end;
    fresh := 0;
    adm_i := '{}'; adm_id := '{}'; adm_contributor := '{}'; adm_digest := '{}'; adm_bytes := '{}';
    missed_i := '{}'; missed_id := '{}'; missed_digest := '{}'; dup_i := '{}'; dup_first := '{}';
    -- each row against the report stored before under its id and the batch's first row of that id. The stored
    -- one by a subquery per row (an index lookup whatever the arrays' estimates; bpchar: the key's type), planned
    -- for each call (EXECUTE): a plan cached while the table was empty reads the round through the contributor
    -- index once it is not
    for c in execute $q$
      select y.*,
        case
          when y.existing is not null then case when y.existing = y.digest then 'duplicate' else 'conflict_report' end
          when y.first <> y.i then case when y.first_digest = y.digest then 'duplicate' else 'conflict_report' end
        end as outcome
      from (
        select b.i, b.report_id, b.contributor, b.digest, b.bytes, first_value(b.i) over w as first, first_value(b.digest) over w as first_digest,
          (select e.digest from reports e where e.round_id = $1 and e.report_id = b.report_id::bpchar) as existing
        from unnest($2, $3, $4, $5, $6) with ordinality b(r, report_id, contributor, digest, bytes, i)
        where b.r = $1
        window w as (partition by b.report_id order by b.i)
      ) y order by y.i$q$ using rid, p_round, p_report, p_contributor, p_digest, p_bytes
    loop
      if c.outcome is not null then
        outcomes[c.i] := c.outcome;
        if c.outcome = 'duplicate' and c.existing is null and c.first <> c.i then
          dup_i := dup_i || c.i; dup_first := dup_first || c.first;
        end if;
      else
        fresh := fresh + 1;
        if room is not null and fresh > room then
          outcomes[c.i] := 'round_closed';
        else
          adm_i := adm_i || c.i; adm_id := adm_id || c.report_id; adm_contributor := adm_contributor || c.contributor;
          adm_digest := adm_digest || c.digest; adm_bytes := adm_bytes || c.bytes;
        end if;
      end if;
    end loop;
    with ins as (
      insert into reports (round_id, report_id, contributor, digest, bytes, received_at)
      select rid, a.report_id, a.contributor, a.digest, a.bytes, p_now
      from unnest(adm_id, adm_contributor, adm_digest, adm_bytes) a(report_id, contributor, digest, bytes)
      order by a.report_id
      on conflict do nothing
      returning report_id
    )
    select coalesce(array_agg(ins.report_id::text), '{}') into inserted from ins;
    stored := cardinality(inserted);
    for k in 1 .. cardinality(adm_i) loop
      -- every row inserted, or (rarely) some taken meanwhile by another instance's commit
      if stored = cardinality(adm_i) or adm_id[k] = any(inserted) then
        outcomes[adm_i[k]] := 'stored';
      else
        missed_i := missed_i || adm_i[k]; missed_id := missed_id || adm_id[k]; missed_digest := missed_digest || adm_digest[k];
      end if;
    end loop;
    if cardinality(missed_i) > 0 then
      -- a new statement, a new snapshot: it sees the commits that took these rows' places (their id, or else their contributor)
      for c in execute $q$
        select m.i, case when t.digest is null then 'conflict_contributor' when t.digest = m.digest then 'duplicate' else 'conflict_report' end as outcome
        from unnest($2, $3, $4) m(i, report_id, digest)
        left join lateral (select e.digest from reports e where e.round_id = $1 and e.report_id = m.report_id::bpchar) t on true$q$
        using rid, missed_i, missed_id, missed_digest
      loop
        outcomes[c.i] := c.outcome;
      end loop;
    end if;
    -- a retry of a report id first seen earlier in this batch shares that row's outcome unless it was stored
    for k in 1 .. cardinality(dup_i) loop
      if outcomes[dup_first[k]] <> 'stored' then outcomes[dup_i[k]] := outcomes[dup_first[k]]; end if;
    end loop;
    if cap is not null and stored > 0 then
      update rounds set reports = cnt + stored, status = case when cnt + stored >= cap then 'closing' else status end where round_id = rid;
    end if;
  end loop;
  return outcomes;
end
$fn$`.execute(db);
  },
};

export function migrationProvider(dialect: 'sqlite' | 'postgres'): MigrationProvider {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  const migrations: Record<string, Migration> = { '0001_initial': initial(blob), '0002_secagg': secagg(blob), '0003_secagg_coordinator': secaggCoordinator };
  // SQLite commits a batch with the portable queries of kysely-storage.ts in its own transaction
  if (dialect === 'postgres') migrations['0004_commit_function'] = commitFunction;
  return { getMigrations: () => Promise.resolve(migrations) };
}
