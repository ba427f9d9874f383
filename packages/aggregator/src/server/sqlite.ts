/**
 * The embedded default: one SQLite file through better-sqlite3, in WAL mode with synchronous=FULL,
 * so a commit has reached the disk before the server acknowledges what it holds. better-sqlite3 is
 * synchronous, so report commits (and their fsync) run on a worker thread with its own connection
 * while the main thread keeps serving requests; write transactions BEGIN IMMEDIATE, so the two
 * connections wait for each other (busy_timeout) instead of failing a lock upgrade.
 */
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { type DatabaseConnection, Kysely, SqliteDialect, SqliteDriver, CompiledQuery } from 'kysely';
import { kyselyStorage } from './kysely-storage.js';
import type { Database as Tables } from './migrations.js';
import type { CommitOutcome, ReportRow, Storage } from './storage.js';

class ImmediateDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateDialect extends SqliteDialect {
  readonly #config: ConstructorParameters<typeof SqliteDialect>[0];
  constructor(config: ConstructorParameters<typeof SqliteDialect>[0]) {
    super(config);
    this.#config = config;
  }
  override createDriver(): SqliteDriver {
    return new ImmediateDriver(this.#config);
  }
}

/** One connection to the file, as Kysely, with the pragmas durability needs. */
export function sqliteKysely(path: string): Kysely<Tables> {
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 10000');
  return new Kysely<Tables>({ dialect: new ImmediateDialect({ database: sqlite }) });
}

/** The commit worker: its own connection, `commitReports` over it, one message per batch. */
function startCommitWorker(path: string): { commit(rows: readonly ReportRow[]): Promise<CommitOutcome[]>; close(): Promise<void> } {
  const fromSource = import.meta.url.endsWith('.ts');
  // running from sources (tests, the bin), the worker registers the TypeScript loader first
  const worker = fromSource
    ? new Worker(new URL('./worker-boot.mjs', import.meta.url), {
        execArgv: ['--conditions=pinhole-source'],
        workerData: { path, entry: new URL('./commit-worker.ts', import.meta.url).href },
      })
    : new Worker(new URL('./commit-worker.js', import.meta.url), { workerData: { path } });
  const waiting = new Map<number, { resolve(o: CommitOutcome[]): void; reject(e: unknown): void }>();
  let next = 0;
  let failure: Error | null = null;
  const failAll = (e: Error) => {
    failure = e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  worker.on('message', (m: { id: number; outcomes?: CommitOutcome[]; error?: string }) => {
    const w = waiting.get(m.id);
    if (!w) return;
    waiting.delete(m.id);
    if (m.outcomes) w.resolve(m.outcomes);
    else w.reject(new Error(`commit failed: ${m.error ?? 'unknown'}`));
  });
  worker.on('error', (e) => failAll(e));
  worker.on('exit', (code) => failAll(new Error(`commit worker exited (${code})`)));
  return {
    commit(rows) {
      if (failure) return Promise.reject(failure);
      const id = next++;
      return new Promise<CommitOutcome[]>((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, rows });
      });
    },
    async close() {
      if (failure) return;
      worker.postMessage({ close: true });
      await new Promise<void>((r) => worker.once('exit', () => r()));
    },
  };
}

export function openSqliteStorage(path: string, options: { readonly commitWorker?: boolean } = {}): Storage {
  const db = sqliteKysely(path);
  let worker: ReturnType<typeof startCommitWorker> | null = null;
  const storage = kyselyStorage(db, 'sqlite', async () => {
    await worker?.close();
    await db.destroy();
  });
  if (options.commitWorker === false) return storage;
  return {
    ...storage,
    async migrate() {
      const applied = await storage.migrate();
      // the worker opens its connection once the schema exists
      worker ??= startCommitWorker(path);
      return applied;
    },
    commitReports(rows) {
      return worker ? worker.commit(rows) : storage.commitReports(rows);
    },
  };
}
