/**
 * The storage backends the server tests run against: SQLite (a file per database in a temporary
 * directory) and PostgreSQL (a real server this test file starts on first use, one database per
 * test; see postgres.ts). Tests read the database itself through `query` (SQL with `?` placeholders)
 * and `tablesDigest`, never through the server.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { type PostgresServer, startPostgres } from './postgres.js';
import { tempDir } from './server.js';

export type BackendName = 'sqlite' | 'postgres';
export const BACKENDS: readonly BackendName[] = ['sqlite', 'postgres'];

export interface Backend {
  readonly name: BackendName;
  /** a fresh, empty database: a file path (SQLite) or a postgres:// URL */
  database(label: string): Promise<string>;
  /** rows of a query with `?` placeholders, read from the database itself */
  query<T>(db: string, sql: string, ...params: unknown[]): Promise<T[]>;
  /** SHA-256 over every row of every table, ordered */
  tablesDigest(db: string): Promise<string>;
  /** the PostgreSQL server, once started (null for SQLite) */
  readonly postgres: PostgresServer | null;
  /** closes connections and stops the server this backend started */
  stop(): Promise<void>;
}

const hexBytes = (_k: string, v: unknown) => (Buffer.isBuffer(v) ? v.toString('hex') : v);

/** SHA-256 over every row of every table of a SQLite file, ordered (synchronous, for fuzz loops) */
export function sqliteTablesDigest(db: string): string {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const h = createHash('sha256');
    const tables = d.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    for (const { name } of tables) {
      h.update(`#${name}\n`);
      for (const row of d.prepare(`SELECT * FROM "${name}" ORDER BY 1, 2`).iterate()) h.update(JSON.stringify(row, hexBytes));
    }
    return h.digest('hex');
  } finally {
    d.close();
  }
}

function sqliteBackend(): Backend {
  const open = (db: string) => new Database(db, { readonly: true, fileMustExist: true });
  return {
    name: 'sqlite',
    postgres: null,
    database: (label) => Promise.resolve(join(tempDir(label), 'pinhole.db')),
    query<T>(db: string, sql: string, ...params: unknown[]) {
      const d = open(db);
      try {
        return Promise.resolve(d.prepare(sql).all(...params) as T[]);
      } finally {
        d.close();
      }
    },
    tablesDigest: (db) => Promise.resolve(sqliteTablesDigest(db)),
    stop: () => Promise.resolve(),
  };
}

/** int8 as numbers in test reads too, so SQLite's and PostgreSQL's rows compare alike */
const types = { getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format))) as typeof pg.types.getTypeParser };

function postgresBackend(): Backend {
  let server: Promise<PostgresServer> | null = null;
  let started: PostgresServer | null = null;
  const pools = new Map<string, pg.Pool>();
  let n = 0;
  const pool = (db: string) => {
    let p = pools.get(db);
    if (!p) {
      p = new pg.Pool({ connectionString: db, max: 2, types });
      p.on('error', () => undefined);
      pools.set(db, p);
    }
    return p;
  };
  const query = async <T>(db: string, sql: string, ...params: unknown[]): Promise<T[]> => {
    let i = 0;
    const text = sql.replace(/\?/g, () => `$${++i}`);
    return (await pool(db).query(text, params)).rows as T[];
  };
  return {
    name: 'postgres',
    get postgres() {
      return started;
    },
    async database(label) {
      server ??= startPostgres().then((s) => (started = s));
      return (await server).createDatabase(`${label.replace(/\W/g, '_')}_${++n}`);
    },
    query,
    async tablesDigest(db) {
      const h = createHash('sha256');
      const tables = await query<{ name: string }>(db, "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name");
      for (const { name } of tables) {
        h.update(`#${name}\n`);
        for (const row of await query<Record<string, unknown>>(db, `SELECT * FROM "${name}" ORDER BY 1, 2`)) h.update(JSON.stringify(row, hexBytes));
      }
      return h.digest('hex');
    },
    async stop() {
      await Promise.all([...pools.values()].map((p) => p.end()));
      pools.clear();
      if (server) await (await server).stop();
      server = null;
      started = null;
    },
  };
}

export function backend(name: BackendName): Backend {
  return name === 'sqlite' ? sqliteBackend() : postgresBackend();
}
