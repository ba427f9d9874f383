/**
 * The embedded default: one SQLite file through better-sqlite3, in WAL mode with synchronous=FULL,
 * so a commit has reached the disk before the server acknowledges what it holds.
 */
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { kyselyStorage } from './kysely-storage.js';
import type { Database as Tables } from './migrations.js';
import type { Storage } from './storage.js';

export function openSqliteStorage(path: string): Storage {
  const sqlite = new Database(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma('busy_timeout = 5000');
  const db = new Kysely<Tables>({ dialect: new SqliteDialect({ database: sqlite }) });
  return kyselyStorage(db, 'sqlite', async () => {
    await db.destroy();
  });
}
