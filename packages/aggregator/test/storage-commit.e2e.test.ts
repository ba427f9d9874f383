/**
 * commitReports on PostgreSQL (one call of the PL/pgSQL function of migration 0004) against the
 * reference, SQLite's portable queries in one transaction: random batches over a few rounds (open,
 * closing at a report count, closing, unknown) with repeated report ids, repeated contributors and
 * retries with other bytes must give the same outcome for every row and leave the same rows. Then
 * two PostgreSQL connections pools (two instances) commit overlapping batches at once: every report
 * id stored once, every 'stored' outcome a row and every row a 'stored' outcome, a capped round
 * filled exactly to its count, and a claim for closing that waits for the commits in flight.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import Database from 'better-sqlite3';
import pg from 'pg';
import { openSqliteStorage } from '../src/server/sqlite.js';
import { openPostgresStorage } from '../src/server/postgres.js';
import type { CommitOutcome, ReportRow, Storage } from '../src/server/storage.js';
import { backend } from './support/backends.js';
import { removeTempDirs, tempDir } from './support/server.js';

const store = backend('postgres');
const opened: Storage[] = [];
afterAll(async () => {
  await Promise.all(opened.splice(0).map((s) => s.close()));
  await store.stop();
  removeTempDirs();
});

const PLAN = { planId: 'p', revision: 1, document: '{}', deployedAt: 0, effectiveFrom: 0 };

/** Rounds by raw SQL (openRound allows one active round at a time): an open one, one closing at `cap` reports, one already closing. */
const ROUND_SQL = `INSERT INTO rounds (round_id, plan_id, plan_revision, period_start, period_end, status, opened_at, closes_at, close_at_reports, reports, spent_epsilon, spent_delta)
  VALUES (?, 'p', 1, 0, 1, ?, 0, NULL, ?, 0, 1, 0)`;
const roundsOf = (run: string, cap: number): [string, string, number | null][] => [
  [`${run}.open`, 'collecting', null],
  [`${run}.cap`, 'collecting', cap],
  [`${run}.closing`, 'closing', null],
];

async function sqliteStore(): Promise<{ storage: Storage; exec(sql: string, ...params: unknown[]): Promise<unknown[]> }> {
  const path = join(tempDir('commit'), 'pinhole.db');
  // the reference: commitReports on the calling thread, the portable queries in one transaction
  const storage = openSqliteStorage(path, { commitWorker: false });
  opened.push(storage);
  await storage.migrate();
  await storage.insertPlan(PLAN);
  const d = new Database(path);
  return {
    storage,
    exec: (sql, ...params) => {
      const s = d.prepare(sql);
      return Promise.resolve(s.reader ? s.all(...params) : (s.run(...params), []));
    },
  };
}

async function postgresStore(url: string): Promise<{ storage: Storage; exec(sql: string, ...params: unknown[]): Promise<unknown[]> }> {
  const storage = openPostgresStorage(url, { poolSize: 4 });
  opened.push(storage);
  await storage.migrate();
  await storage.insertPlan(PLAN);
  return {
    storage,
    exec: async (sql, ...params) => {
      let i = 0;
      return store.query(
        url,
        sql.replace(/\?/g, () => `$${++i}`),
        ...params,
      );
    },
  };
}

const bytesOf = (reportId: string, variant: number) => Buffer.from(`${reportId}/${variant}`.repeat(20));
const hex = (s: string, width: number) => createHash('sha256').update(s).digest('hex').slice(0, width);
const row = (roundId: string, id: number, contributor: number, variant: number): ReportRow => {
  const reportId = hex(`report ${id}`, 32);
  const bytes = bytesOf(reportId, variant);
  return { roundId, reportId, contributor: hex(`contributor ${contributor}`, 32), digest: createHash('sha256').update(bytes).digest('hex'), bytes };
};

const stateSql = (rounds: readonly string[]) =>
  [
    `SELECT round_id, report_id, contributor, digest FROM reports WHERE round_id IN (${rounds.map(() => '?').join(', ')}) ORDER BY round_id, report_id`,
    `SELECT round_id, status, reports FROM rounds WHERE round_id IN (${rounds.map(() => '?').join(', ')}) ORDER BY round_id`,
  ] as const;

describe('commitReports on PostgreSQL (one function call per batch)', () => {
  it('gives the same outcomes and rows as the portable queries on SQLite, batch after batch', async () => {
    const lite = await sqliteStore();
    const url = await store.database('commit');
    const post = await postgresStore(url);
    let run = 0;
    // a row: round (0 open, 1 capped, 2 closing, 3 unknown), report id of 10, contributor of 8, bytes of 2
    const rowArb = fc.tuple(fc.constantFrom(0, 0, 0, 1, 1, 2, 3), fc.nat(9), fc.nat(7), fc.nat(1));
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(rowArb, { minLength: 1, maxLength: 14 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 0, max: 6 }), async (batches, cap) => {
        const id = `run${++run}`;
        const rounds = roundsOf(id, cap);
        for (const s of [lite, post]) for (const r of rounds) await s.exec(ROUND_SQL, ...r);
        const names = [...rounds.map((r) => r[0]), `${id}.unknown`];
        for (const batch of batches) {
          const rows = batch.map(([r, report, contributor, variant]) => row(names[r] as string, report, contributor, variant));
          const expected = await lite.storage.commitReports(rows);
          expect(await post.storage.commitReports(rows)).toEqual(expected);
        }
        const [reports, roundRows] = stateSql(names);
        expect(await post.exec(reports, ...names)).toEqual(await lite.exec(reports, ...names));
        expect(await post.exec(roundRows, ...names)).toEqual(await lite.exec(roundRows, ...names));
      }),
      { numRuns: 60, seed: 12 },
    );
    // the bytes come back as sent
    const sent = row('run1.open', 1000, 1000, 0);
    const [again] = roundsOf('bytes', 0);
    await post.exec(ROUND_SQL, ...(again as [string, string, null]));
    expect(await post.storage.commitReports([{ ...sent, roundId: 'bytes.open' }])).toEqual(['stored']);
    const pages: Uint8Array[] = [];
    for await (const page of post.storage.reportPages('bytes.open', 10)) pages.push(...page);
    expect(pages.map((p) => Buffer.from(p.buffer, p.byteOffset, p.byteLength).toString('hex'))).toEqual([Buffer.from(sent.bytes).toString('hex')]);
  });

  it('two instances committing overlapping batches at once: each report once, outcomes and rows agree, a capped round filled exactly', async () => {
    const url = await store.database('commit_race');
    const a = await postgresStore(url);
    const b = openPostgresStorage(url, { poolSize: 4 });
    opened.push(b);
    const CAP = 150;
    const rounds = roundsOf('race', CAP);
    for (const r of rounds) await a.exec(ROUND_SQL, ...r);
    // 400 reports per round, every one sent by both instances (in other batches and orders), some twice
    const outcomes = new Map<string, CommitOutcome[]>();
    const commit = async (s: Storage, rows: ReportRow[]) => {
      const got = await s.commitReports(rows);
      rows.forEach((r, i) => {
        const key = `${r.roundId}/${r.reportId}`;
        outcomes.set(key, [...(outcomes.get(key) ?? []), got[i] as CommitOutcome]);
      });
    };
    const all = ['race.open', 'race.cap'].flatMap((roundId) => Array.from({ length: 400 }, (_, i) => row(roundId, i, i, 0)));
    const batchesOf = (rows: ReportRow[], size: number) => Array.from({ length: Math.ceil(rows.length / size) }, (_, k) => rows.slice(k * size, (k + 1) * size));
    const forward = batchesOf(all, 23);
    const backward = batchesOf([...all].reverse(), 31);
    await Promise.all([
      (async () => {
        for (const batch of forward) await commit(a.storage, batch);
      })(),
      (async () => {
        for (const batch of backward) await commit(b, batch);
      })(),
      (async () => {
        for (const batch of batchesOf(
          all.filter((_, i) => i % 7 === 0),
          17,
        ))
          await commit(a.storage, batch);
      })(),
    ]);
    const stored = await a.exec('SELECT round_id, report_id FROM reports ORDER BY round_id, report_id');
    const storedKeys = new Set((stored as { round_id: string; report_id: string }[]).map((r) => `${r.round_id}/${r.report_id}`));
    expect(storedKeys.size).toBe(stored.length);
    for (const [key, list] of outcomes) {
      // stored exactly once where it is a row, never otherwise; every other answer a duplicate (or, past the cap, round_closed)
      expect(list.filter((o) => o === 'stored').length, key).toBe(storedKeys.has(key) ? 1 : 0);
      for (const o of list) expect(['stored', 'duplicate', 'round_closed'], key).toContain(o);
      if (key.startsWith('race.open/')) expect(storedKeys.has(key), key).toBe(true);
    }
    const capRows = [...storedKeys].filter((k) => k.startsWith('race.cap/')).length;
    expect(capRows).toBe(CAP);
    expect(await a.exec("SELECT status, reports FROM rounds WHERE round_id = 'race.cap'")).toEqual([{ status: 'closing', reports: CAP }]);
  });

  it('a claim for closing waits for the commits in flight, and no commit finds the round collecting after it', async () => {
    const url = await store.database('commit_claim');
    const a = await postgresStore(url);
    const b = openPostgresStorage(url, { poolSize: 4 });
    opened.push(b);
    const [open] = roundsOf('claim', 0);
    await a.exec(ROUND_SQL, ...(open as [string, string, null]));
    // a commit held open: its transaction takes the round's shared lock and then waits on a row lock we hold
    const blocker = new pg.Client({ connectionString: url });
    await blocker.connect();
    try {
      const held = row('claim.open', 1, 1, 0);
      await blocker.query('BEGIN');
      await blocker.query("INSERT INTO reports (round_id, report_id, contributor, digest, bytes, received_at) VALUES ('claim.open', $1, $2, $3, $4, 0)", [
        held.reportId,
        held.contributor,
        held.digest,
        held.bytes,
      ]);
      const inFlight = a.storage.commitReports([held, row('claim.open', 2, 2, 0)]);
      await new Promise((r) => setTimeout(r, 200));
      let claimed = false;
      const claim = b.claimClose('claim.open', 'closer', Date.now(), 30_000).then((ok) => (claimed = ok));
      await new Promise((r) => setTimeout(r, 200));
      expect(claimed).toBe(false); // waiting for the commit in flight
      await blocker.query('ROLLBACK');
      expect(await inFlight).toEqual(['stored', 'stored']);
      await claim;
      expect(claimed).toBe(true);
      expect(await a.storage.commitReports([row('claim.open', 3, 3, 0)])).toEqual(['round_closed']);
      expect(await a.exec("SELECT count(*)::int AS n FROM reports WHERE round_id = 'claim.open'")).toEqual([{ n: 2 }]);
    } finally {
      await blocker.end();
    }
  });
});
