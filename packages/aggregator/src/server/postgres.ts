/**
 * PostgreSQL storage, for several aggregator instances sharing one database: Kysely's PostgresDialect
 * over a node-postgres pool, the same migrations and queries as SQLite (kysely-storage.ts), with
 * the row locks and leases that let instances work side by side (see kysely-storage.ts), per-session
 * statement and idle-in-transaction timeouts, and every transaction retried on serialization
 * failures, deadlocks and a lost connection with bounded, jittered backoff. Durability is
 * PostgreSQL's: a commit returns after its WAL record is flushed (synchronous_commit on, the default;
 * the server refuses to start where it is off).
 */
import { randomInt } from 'node:crypto';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { kyselyStorage } from './kysely-storage.js';
import type { Database as Tables } from './migrations.js';
import type { CommitOutcome, Storage } from './storage.js';

export interface PostgresOptions {
  /** connections per instance (default 10) */
  readonly poolSize?: number;
  /** a statement running longer is cancelled, ms (default 30,000) */
  readonly statementTimeoutMs?: number;
  /** retries of a transaction that failed for a transient reason (default 10: under SERIALIZABLE a transaction can lose to a busy peer several times in a row) */
  readonly retries?: number;
  /** called before each retry with the SQLSTATE (or error code) that caused it */
  readonly onRetry?: (code: string) => void;
}

const COMMIT_REPORTS = 'select pinhole_commit_reports($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::bigint) as outcomes';

/** int8 (bigint) columns hold ms timestamps and counts, far below 2^53: read them as numbers. */
const INT8_OID = 20;

/**
 * Transient failures a transaction is retried after: serialization failure, deadlock, lock timeout,
 * the server shutting down or restarting (admin/crash shutdown, cannot connect now), and a broken
 * connection. Every retried operation is idempotent (a re-sent report is recognised by its id and
 * digest; claims and publication check their owner).
 */
export function isTransient(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return null;
  if (['40001', '40P01', '55P03', '57P01', '57P02', '57P03'].includes(code) || code.startsWith('08')) return code;
  if (['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT'].includes(code)) return code;
  return null;
}

/** Runs `fn`, retrying transient failures up to `retries` times after a full-jitter exponential backoff (5 ms doubling, capped at 1 s). */
export async function withRetry<T>(fn: () => Promise<T>, retries: number, onRetry: (code: string) => void = () => undefined): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      const code = isTransient(e);
      if (code === null || attempt >= retries) throw e;
      onRetry(code);
      const cap = Math.min(1000, 5 * 2 ** attempt);
      await new Promise((r) => setTimeout(r, randomInt(0, cap + 1)));
    }
  }
}

export function openPostgresStorage(url: string, options: PostgresOptions = {}): Storage {
  const statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize ?? 10,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    keepAlive: true,
    application_name: 'pinhole-aggregator',
    statement_timeout: statementTimeoutMs,
    // a crashed or stuck transaction does not hold its locks (and so a round's closing) for long
    idle_in_transaction_session_timeout: Math.max(statementTimeoutMs, 10_000),
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (v: string) => Number(v) : (pg.types.getTypeParser(oid, format) as (v: string) => unknown)) as typeof pg.types.getTypeParser,
    },
  });
  // an idle connection the server dropped (restart, failover) is discarded by the pool; without a
  // listener the error would end the process
  pool.on('error', () => undefined);
  const db = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });
  const retry = <T>(fn: () => Promise<T>) => withRetry(fn, options.retries ?? 10, options.onRetry);
  const storage = kyselyStorage(db, 'postgres', () => db.destroy(), {
    retry,
    // one round trip per batch, in the statement's own transaction (migration 0004); a named statement, parsed once per connection
    commitReports: async (rows) => {
      const values = [rows.map((r) => r.roundId), rows.map((r) => r.reportId), rows.map((r) => r.contributor), rows.map((r) => r.digest), rows.map((r) => r.bytes), Date.now()];
      const result = await retry(() => pool.query<{ outcomes: CommitOutcome[] }>({ name: 'pinhole_commit_reports', text: COMMIT_REPORTS, values }));
      return (result.rows[0] as { outcomes: CommitOutcome[] }).outcomes;
    },
  });
  return {
    ...storage,
    async migrate() {
      const { rows } = await sql<{ setting: string }>`select current_setting('synchronous_commit') as setting`.execute(db);
      const setting = rows[0]?.setting;
      if (setting === undefined || setting === 'off') {
        throw new Error(`PostgreSQL synchronous_commit is "${String(setting)}": an acknowledged report must survive a crash, set it to on`);
      }
      return storage.migrate();
    },
  };
}
