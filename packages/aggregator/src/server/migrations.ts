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

export function migrationProvider(dialect: 'sqlite' | 'postgres'): MigrationProvider {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  return { getMigrations: () => Promise.resolve({ '0001_initial': initial(blob), '0002_secagg': secagg(blob), '0003_secagg_coordinator': secaggCoordinator }) };
}
