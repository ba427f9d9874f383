/**
 * @pinhole/client against the real aggregator (a child process on 127.0.0.1, its SQLite file read
 * back): the budget ledger across an app restart and a plan change, and uploads whose response
 * is lost. "App restart" is a new client over the same storage.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type Fetch, type KeyValueStorage, type NetworkSample, type Plan, createClient, memoryStorage } from '@pinhole/client';
import { secureAggregation } from '@pinhole/client/secagg';
import { checkPlan } from '@pinhole/core';
import { ldpPlan } from '../packages/client/test/helpers.js';
import { type Process, closeRound, startAggregator, tempDir, waitForNextRound } from '../examples/fleet.js';

const tmp = tempDir('client-test');
afterAll(() => tmp.remove());

const now = () => Date.now();
const sample = (over: Partial<NetworkSample> = {}): NetworkSample => ({
  networkType: '4g',
  operator: '460-00',
  cell: 'n1',
  downlinkMbps: 42,
  rttMs: 40,
  rsrpDbm: -95,
  deviceClass: 'phone-mid',
  timestamp: now() - 60_000,
  ...over,
});

/** A plan like ldpPlan with another id, revision or schedule (same periods and budget unless told). */
function variant(base: Plan, over: { id?: string; revision?: number; rounds?: number; epsilon?: number }): Plan {
  const p = JSON.parse(JSON.stringify(base)) as Record<string, any>;
  if (over.id !== undefined) p.id = over.id;
  if (over.revision !== undefined) p.revision = over.revision;
  if (over.rounds !== undefined) p.schedule = { ...p.schedule, roundsPerPeriod: over.rounds, roundSeconds: Math.floor(p.budget.periodSeconds / over.rounds) };
  if (over.epsilon !== undefined) {
    for (const c of p.collections) {
      c.privacyLoss = { epsilon: over.epsilon, delta: 0 };
      c.mechanism = { ...c.mechanism, epsilon: over.epsilon };
    }
  }
  return checkPlan(p);
}

let dbCount = 0;
async function server(plan: Plan): Promise<{ proc: Process; db: string }> {
  const db = join(tmp.dir, `db-${++dbCount}.sqlite`);
  // --keep-reports: the test reads what the server stored, also after a round's release
  return { proc: await startAggregator({ db, plan, dir: tmp.dir, args: ['--keep-reports', '--log-level', 'info'] }), db };
}

function storedReports(db: string): { round_id: string; report_id: string; bytes: Buffer }[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare('SELECT round_id, report_id, bytes FROM reports').all() as { round_id: string; report_id: string; bytes: Buffer }[];
  } finally {
    d.close();
  }
}

/** The client as an app makes it; `fetch` wraps the real one. */
function client(url: string, storage: KeyValueStorage, fetchFn?: Fetch) {
  return createClient({ serverUrl: url, storage, retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 10_000 }, ...(fetchFn ? { fetch: fetchFn } : {}) });
}

/** A fetch that records every upload's body and whether the device went to POST /v1/reports at all. */
function recording(): { fetch: Fetch; uploads: Uint8Array[] } {
  const uploads: Uint8Array[] = [];
  return {
    uploads,
    fetch: (input, init) => {
      if (init?.method === 'POST' && input.endsWith('/v1/reports')) uploads.push(Uint8Array.from(init.body as Uint8Array));
      return fetch(input, init as RequestInit);
    },
  };
}

describe('budget ledger through createClient and sync, against the real server', () => {
  it('after an app restart, refuses a round the period budget cannot cover (nothing reaches the server)', async () => {
    // one round per period spends the whole period budget
    const plan = ldpPlan({ id: 'ledger-restart', rounds: 1, epsilon: 0.5 });
    const storage = memoryStorage();
    const a = await server(plan);
    try {
      const first = client(a.proc.url, storage);
      await first.record(sample());
      const r = await first.sync();
      expect(r.outcome).toBe('reported');
      expect(r.budget).toMatchObject({ roundsLeft: 0, remaining: { epsilon: 0 } });
    } finally {
      await a.proc.stop();
    }
    // another aggregator (or the same one with a fresh database) opens a new round in the same
    // period for another plan with the same periods and budget: the restarted app must refuse it
    const other = variant(plan, { id: 'ledger-restart-b' });
    const b = await server(other);
    try {
      const net = recording();
      const restarted = client(b.proc.url, storage, net.fetch);
      expect(await restarted.budget()).toMatchObject({ roundsLeft: 0, roundsReported: 1 });
      await restarted.record(sample({ cell: 'n2' }));
      const r = await restarted.sync();
      expect(r.outcome).toBe('budget_exhausted');
      expect(r.roundId).toMatch(/^ledger-restart-b\./);
      expect(r.budget).toMatchObject({ spent: { epsilon: 1 }, remaining: { epsilon: 0 }, roundsLeft: 0 });
      expect(net.uploads).toHaveLength(0);
      // the sample was kept (nothing used it) and the server stored nothing from this device
      expect((await restarted.status()).samples).toBe(1);
      // control: a device with fresh storage is let in by the same server, so the refusal is the ledger's
      const fresh = client(b.proc.url, memoryStorage());
      await fresh.record(sample());
      expect((await fresh.sync()).outcome).toBe('reported');
      expect(storedReports(b.db)).toHaveLength(1);
    } finally {
      await b.proc.stop();
    }
  });

  it('after a plan change (a new revision splitting the same budget over two rounds), the spend carries over', async () => {
    const rev1 = ldpPlan({ id: 'ledger-change', rounds: 1, epsilon: 0.5 });
    const storage = memoryStorage();
    const a = await server(rev1);
    try {
      const c = client(a.proc.url, storage);
      await c.record(sample());
      expect((await c.sync()).outcome).toBe('reported');
    } finally {
      await a.proc.stop();
    }
    // revision 2: same periods and budget, two rounds of half the loss; served by a server that
    // does not know what revision 1 spent (a fresh database), so only the device's ledger stands in the way
    const rev2 = variant(rev1, { revision: 2, rounds: 2, epsilon: 0.25 });
    const b = await server(rev2);
    try {
      const net = recording();
      let c = client(b.proc.url, storage, net.fetch);
      await c.record(sample({ cell: 'n2' }));
      const r1 = await c.sync();
      // the first round of revision 2 has revision 1's round id: this device reported in it
      expect(r1.outcome).toBe('already_reported');
      expect(r1.plan).toEqual({ id: 'ledger-change', revision: 2 });
      const next = await closeRound(b.proc.url, r1.roundId as string);
      expect(next.status).toBe(200);
      const r2Id = await waitForNextRound(b.proc.url, r1.roundId);
      c = client(b.proc.url, storage, net.fetch); // and an app restart on top
      const r2 = await c.sync();
      expect(r2.roundId).toBe(r2Id);
      expect(r2.outcome).toBe('budget_exhausted');
      expect(r2.budget).toMatchObject({ plan: { id: 'ledger-change', revision: 2 }, spent: { epsilon: 1 }, roundsLeft: 0, roundLoss: { epsilon: 0.5 } });
      expect(net.uploads).toHaveLength(0);
      expect(storedReports(b.db)).toHaveLength(0);
      // control: a fresh device reports in that round
      const fresh = client(b.proc.url, memoryStorage());
      await fresh.record(sample());
      expect((await fresh.sync()).outcome).toBe('reported');
      expect(storedReports(b.db).map((x) => x.round_id)).toEqual([r2Id]);
    } finally {
      await b.proc.stop();
    }
  });
});

describe('uploads whose response is lost', () => {
  it('a retried upload is stored once, and the resent bytes are the first ones (never re-perturbed)', async () => {
    const plan = ldpPlan({ id: 'lost-response', rounds: 1, epsilon: 0.5 });
    const s = await server(plan);
    try {
      const uploads: Uint8Array[] = [];
      const answers: number[] = [];
      // forwards every request to the real server; the first upload's response is lost on the way back
      const dropping: Fetch = async (input, init) => {
        const res = (await fetch(input, init as RequestInit)) as unknown as Awaited<ReturnType<Fetch>>;
        if (init?.method === 'POST' && input.endsWith('/v1/reports')) {
          uploads.push(Uint8Array.from(init.body as Uint8Array));
          answers.push(res.status);
          if (uploads.length === 1) {
            await res.arrayBuffer();
            throw new TypeError('fetch failed: connection reset (the response was lost)');
          }
        }
        return res;
      };
      const storage = memoryStorage();
      const c = client(s.proc.url, storage, dropping);
      await c.record(sample());
      const r = await c.sync();
      expect(r.outcome).toBe('reported');
      expect(uploads).toHaveLength(2);
      // the server stored the first attempt (201) and acknowledged the retry as a duplicate
      expect(answers[0]).toBe(201);
      expect(answers[1]).toBe(200);
      expect(Buffer.from(uploads[1]!).equals(Buffer.from(uploads[0]!))).toBe(true);
      const stored = storedReports(s.db);
      expect(stored).toHaveLength(1);
      expect(Buffer.from(stored[0]!.bytes).equals(Buffer.from(uploads[0]!))).toBe(true);
      expect(r.budget?.roundsReported).toBe(1);
      // asked again, the device sends nothing new
      expect((await c.sync()).outcome).toBe('already_reported');
      expect(uploads).toHaveLength(2);
    } finally {
      await s.proc.stop();
    }
  });

  it('every response lost within a sync: the report stays queued and the app, restarted, resends the same bytes', async () => {
    const plan = ldpPlan({ id: 'lost-offline', rounds: 1, epsilon: 0.5 });
    const s = await server(plan);
    try {
      const uploads: Uint8Array[] = [];
      let lose = true;
      const dropping: Fetch = async (input, init) => {
        const res = (await fetch(input, init as RequestInit)) as unknown as Awaited<ReturnType<Fetch>>;
        if (init?.method === 'POST' && input.endsWith('/v1/reports')) {
          uploads.push(Uint8Array.from(init.body as Uint8Array));
          if (lose) {
            await res.arrayBuffer();
            throw new TypeError('fetch failed: connection reset (the response was lost)');
          }
        }
        return res;
      };
      const storage = memoryStorage();
      const first = client(s.proc.url, storage, dropping);
      await first.record(sample());
      const r1 = await first.sync();
      expect(r1.outcome).toBe('queued');
      expect(r1.pending).toBe(1);
      expect(uploads).toHaveLength(3); // the retry policy's 3 attempts
      lose = false;
      const restarted = client(s.proc.url, storage, dropping);
      const r2 = await restarted.sync();
      expect(r2.delivered).toBe(1);
      expect(r2.pending).toBe(0);
      expect(r2.outcome).toBe('already_reported');
      expect(uploads).toHaveLength(4);
      for (const u of uploads) expect(Buffer.from(u).equals(Buffer.from(uploads[0]!))).toBe(true);
      expect(storedReports(s.db)).toHaveLength(1);
      expect((await restarted.status()).queue).toMatchObject({ delivered: 1, dropped: 0, refused: 0, expired: 0 });
    } finally {
      await s.proc.stop();
    }
  });
});

describe('secureAggregation options', () => {
  it('refuses a directory timeout outside [1, 600,000] ms', () => {
    for (const directoryTimeoutMs of [0, -1, 1.5, 600_001, '10' as never]) {
      expect(() => secureAggregation({ keyDirectory: 'http://127.0.0.1:9', directoryTimeoutMs }), String(directoryTimeoutMs)).toThrow(
        expect.objectContaining({ code: 'invalid_argument', param: 'options.directoryTimeoutMs' }),
      );
    }
    expect(secureAggregation({ keyDirectory: 'http://127.0.0.1:9', directoryTimeoutMs: 60_000 }).kind).toBe('pinhole/secure-aggregation');
  });
});
