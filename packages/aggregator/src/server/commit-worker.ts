/** The worker thread that commits report batches on its own SQLite connection (see sqlite.ts). */
import { parentPort, workerData } from 'node:worker_threads';
import { kyselyStorage } from './kysely-storage.js';
import { sqliteKysely } from './sqlite.js';
import type { ReportRow } from './storage.js';

const db = sqliteKysely((workerData as { path: string }).path);
const storage = kyselyStorage(db, 'sqlite');
const port = parentPort as NonNullable<typeof parentPort>;

port.on('message', (m: { id: number; rows: ReportRow[] } | { close: true }) => {
  if ('close' in m) {
    void db.destroy().then(() => process.exit(0));
    return;
  }
  storage.commitReports(m.rows).then(
    (outcomes) => port.postMessage({ id: m.id, outcomes }),
    (e: unknown) => port.postMessage({ id: m.id, error: e instanceof Error ? e.message : String(e) }),
  );
});
