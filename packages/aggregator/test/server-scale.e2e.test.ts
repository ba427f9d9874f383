/**
 * Several instances on one PostgreSQL server (started by this file): two aggregator processes on
 * two ports share one database. Devices upload through both; an instance is SIGKILLed in the middle
 * of a round (while uploads are in flight; and, separately, while it holds the round's closing claim
 * and is about to publish). The survivor releases the round exactly once, counting every
 * acknowledged report once, including reports acknowledged while the round was being closed. A
 * secure-aggregation round survives its coordinator's SIGKILL: the other instance, which relayed
 * its devices' requests, takes the round over from the stored messages. A round that closes at a
 * report count admits exactly that many across both instances, with every transaction
 * SERIALIZABLE (so serialization failures are retried).
 */
import { afterAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { type Plan, decodeRoundReport } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { makePlan } from '@pinhole/aggregator';
import { type Child, CARRIER, OPERATOR, deviceReport, get, pool, removeTempDirs, secretOf, startServer, tempDir, upload, writePlan } from './support/server.js';
import { backend } from './support/backends.js';
import { makeDevices, syncAll } from '../../../examples/fleet.js';
import { loadFleetData } from '../../../examples/data.js';

const store = backend('postgres');
afterAll(async () => {
  await store.stop();
  removeTempDirs();
});

const domains = { operators: ['a', 'b'], regions: ['north', 'south'], cells: ['n1', 's1'] };
const scalePlan = (id: string, over: Partial<Parameters<typeof makePlan>[0]> = {}): Plan =>
  makePlan({ id, insights: ['network-type-share'], domains, budget: { epsilon: 1, delta: 1e-6 }, mode: 'ldp', expectedDevices: 2000, ...over });

/** Both instances on one database; they start together, so both deploy the plan at the same moment. */
async function twoInstances(db: string, planFile: string, args: readonly string[]): Promise<[Child, Child]> {
  const [a, b] = await Promise.all([startServer({ db, plan: planFile, args }), startServer({ db, plan: planFile, args })]);
  return [a, b];
}

const instanceOf = (c: Child): string => (JSON.parse(c.lines.find((l) => l.includes('pinhole aggregator ready')) as string) as { instance: string }).instance;
const closedLines = (c: Child, roundId: string) => c.lines.filter((l) => l.includes('"round closed"') && l.includes(`"roundId":"${roundId}"`));

async function until<T>(what: string, fn: () => Promise<T | null | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('two instances on one PostgreSQL', () => {
  it('2,000 devices through both, one instance SIGKILLed mid-round: the survivor releases the round once, every acknowledged report counted once', async () => {
    const N = 2000;
    const dir = tempDir('scale');
    const db = await store.database('scale');
    const plan = scalePlan('scale');
    // the commits gather for 10 ms, so the kill lands between reports' arrival and their commit
    // --keep-reports: the stored reports are compared with the acknowledged ones after the release
    const [a, b] = await twoInstances(db, writePlan(dir, plan), ['--rate-limit', '0', '--commit-delay-ms', '10', '--lease-ms', '3000', '--tick-ms', '200', '--keep-reports']);
    const survivor = b;
    try {
      expect(instanceOf(a)).not.toBe(instanceOf(b));
      const roundId = (await get(a.url, '/v1/rounds/current')).json.roundId as string;
      expect((await get(b.url, '/v1/rounds/current')).json.roundId).toBe(roundId);
      expect(await store.query(db, 'SELECT plan_id, revision FROM plans')).toEqual([{ plan_id: 'scale', revision: 1 }]);
      const rng = seededRng('scale');
      const bodies = Array.from({ length: N }, (_, i) => deviceReport(plan, roundId, secretOf(i, 'scale'), rng));
      const ids = bodies.map((x) => decodeRoundReport(x).reportId);
      const acked = new Set<number>();
      const created = new Set<number>();
      let duplicates = 0;
      let killed = false;
      let lostToKill = 0;
      const ackedBy = { a: 0, b: 0 };

      // a device uploads through the load balancer's pick; when that instance is gone it retries the same bytes through the other
      const send = async (i: number) => {
        for (const via of i % 2 === 0 && !killed ? ['a', 'b'] : ['b']) {
          let r: Awaited<ReturnType<typeof upload>>;
          try {
            r = await upload(via === 'a' ? a.url : b.url, bodies[i] as Uint8Array);
          } catch {
            lostToKill++;
            continue; // instance A died before answering: unacknowledged, retried through B
          }
          expect([200, 201], JSON.stringify(r.json)).toContain(r.status);
          if (r.status === 201) {
            expect(created.has(i), `report ${i} created twice`).toBe(false);
            created.add(i);
          } else {
            expect(acked.has(i), `report ${i} acknowledged again as a duplicate`).toBe(false);
            duplicates++;
          }
          acked.add(i);
          ackedBy[via as 'a' | 'b']++;
          // killed on an acknowledgement from B, so that A has uploads in flight (its batch's answers all went out together)
          if (!killed && acked.size >= 700 && via === 'b') {
            killed = true;
            a.proc.kill('SIGKILL');
          }
          return;
        }
        throw new Error(`report ${i} was never acknowledged`);
      };
      await pool(
        bodies.map((_, i) => i),
        48,
        (_, i) => send(i),
      );
      expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
      expect(ackedBy.a).toBeGreaterThan(100);
      expect(ackedBy.b).toBeGreaterThan(100);

      // every acknowledged report is in the database exactly once
      expect(acked.size).toBe(N);
      const rows = await store.query<{ report_id: string; n: number }>(db, 'SELECT report_id, count(*) AS n FROM reports GROUP BY report_id');
      const stored = new Map(rows.map((r) => [r.report_id, r.n]));
      for (const i of acked) expect(stored.get(ids[i] as string), `acknowledged report ${i}`).toBe(1);
      expect(rows).toHaveLength(N);
      expect(await store.query(db, 'SELECT count(*) AS n, count(DISTINCT contributor) AS d FROM reports')).toEqual([{ n: N, d: N }]);
      expect(created.size + duplicates).toBe(N);
      console.log(`scale test: A acknowledged ${ackedBy.a}, B ${ackedBy.b}; ${lostToKill} uploads lost with A and retried through B, ${duplicates} of them committed by A before it died`);

      // The survivor closes the round while late devices are still uploading: each late report is either
      // acknowledged and counted, or refused (409); none is acknowledged and left out of the release.
      const late = Array.from({ length: 400 }, (_, i) => deviceReport(plan, roundId, secretOf(N + i, 'scale'), rng));
      const lateAcked = new Set<string>();
      let lateRefused = 0;
      let closing: Promise<Response> | null = null;
      await pool(late, 32, async (body, i) => {
        if (i === 100) closing = fetch(`${survivor.url}/v1/rounds/${roundId}/close`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` } });
        const r = await upload(survivor.url, body);
        if (r.status === 201) lateAcked.add(r.json.reportId);
        else {
          expect([r.status, r.json.code]).toEqual([409, 'invalid_state']);
          lateRefused++;
        }
      });
      expect(await (await (closing as unknown as Promise<Response>)).json()).toEqual({ roundId, status: 'released' });
      const release = (await get(survivor.url, `/v1/releases/${roundId}`, { authorization: `Bearer ${CARRIER}` })).json;
      console.log(`scale test: closed while late devices uploaded: ${lateAcked.size} of them acknowledged, ${lateRefused} refused`);
      expect(lateRefused).toBeGreaterThan(0);
      expect(release.reports).toBe(N + lateAcked.size);
      expect(release.collections[0].cohort).toBe(N + lateAcked.size);
      const kept = new Set((await store.query<{ report_id: string }>(db, 'SELECT report_id FROM reports')).map((r) => r.report_id));
      expect(kept).toEqual(new Set([...ids, ...lateAcked]));
      expect(await store.query(db, 'SELECT round_id, status FROM releases')).toEqual([{ round_id: roundId, status: 'released' }]);
      expect(await store.query(db, 'SELECT status, reports FROM rounds WHERE round_id = ?', roundId)).toEqual([{ status: 'released', reports: N + lateAcked.size }]);
      // released once, by the survivor
      expect(closedLines(survivor, roundId)).toHaveLength(1);
      expect(closedLines(a, roundId)).toHaveLength(0);
    } finally {
      await Promise.all([a.stop('SIGKILL'), b.stop()]);
    }
  }, 300_000);

  it('an instance killed while it holds the closing claim: the other takes the round over once the lease expires, and releases it once', async () => {
    const dir = tempDir('lease');
    const db = await store.database('lease');
    const plan = scalePlan('lease');
    const leaseMs = 2000;
    const [a, b] = await twoInstances(db, writePlan(dir, plan), ['--rate-limit', '0', '--lease-ms', String(leaseMs), '--tick-ms', '100']);
    const lock = new pg.Client({ connectionString: db });
    await lock.connect();
    try {
      const roundId = (await get(a.url, '/v1/rounds/current')).json.roundId as string;
      const rng = seededRng('lease');
      const n = 300;
      const acks = await pool(
        Array.from({ length: n }, (_, i) => i),
        16,
        (i) => upload(i % 2 ? a.url : b.url, deviceReport(plan, roundId, secretOf(i, 'lease'), rng)),
      );
      expect(acks.every((r) => r.status === 201)).toBe(true);

      // hold publication back: A claims the round, computes the release, and waits on this lock to insert it
      await lock.query('BEGIN');
      await lock.query('LOCK TABLE releases IN SHARE MODE');
      const closing = fetch(`${a.url}/v1/rounds/${roundId}/close`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` } }).catch(() => null);
      // (read from another session: inside a transaction, pg_stat_activity is a snapshot)
      await until('A blocked in publishing', async () => {
        const w = await store.query(db, "SELECT 1 FROM pg_stat_activity WHERE application_name = 'pinhole-aggregator' AND wait_event_type = 'Lock' AND query ILIKE 'insert into \"releases\"%'");
        return w.length === 1;
      });
      const claim = (await lock.query<{ claimed_by: string; status: string }>('SELECT claimed_by, status FROM rounds WHERE round_id = $1', [roundId])).rows[0];
      expect(claim).toEqual({ claimed_by: instanceOf(a), status: 'closing' });
      a.proc.kill('SIGKILL');
      await a.exited;
      await lock.query('COMMIT');
      expect(await closing).toBeNull();

      // A's publication rolled back with its connection; B takes over once A's lease expired
      const expires = Number(
        (
          await until(
            'A’s claim',
            async () => (await lock.query<{ claim_expires: string; claimed_by: string | null }>('SELECT claim_expires, claimed_by FROM rounds WHERE round_id = $1', [roundId])).rows[0],
          )
        ).claim_expires,
      );
      const published = await until('the release', async () => {
        const r = await get(b.url, `/v1/releases/${roundId}`, { authorization: `Bearer ${CARRIER}` });
        return r.status === 200 ? r.json : null;
      });
      expect(published.reports).toBe(n);
      expect(published.collections[0].cohort).toBe(n);
      const rows = await store.query<{ round_id: string; published_at: number }>(db, 'SELECT round_id, published_at FROM releases');
      expect(rows).toHaveLength(1);
      // never before A's claim ran out
      expect(rows[0]!.published_at).toBeGreaterThanOrEqual(expires);
      expect(closedLines(b, roundId)).toHaveLength(1);
      expect(closedLines(a, roundId)).toHaveLength(0);
    } finally {
      await lock.end();
      await Promise.all([a.stop('SIGKILL'), b.stop()]);
    }
  }, 180_000);

  it('a secure-aggregation round: devices through both instances, the coordinator SIGKILLed mid-protocol; the other takes it over from the stored messages and releases it once', async () => {
    const N = 24;
    const data = loadFleetData({ source: 'synthetic', devices: N, seed: 'pg-secagg' });
    const plan = makePlan({
      id: 'pgsa',
      insights: ['network-type-share'],
      domains: data.domains,
      budget: { epsilon: 8, delta: 1e-6 },
      mode: 'secagg',
      expectedDevices: N,
      secagg: { dropoutRate: 0.1, securityBits: 20, correctnessBits: 20 },
    });
    const dir = tempDir('secagg');
    const db = await store.database('secagg');
    const planFile = writePlan(dir, plan);
    const args = ['--rate-limit', '0', '--lease-ms', '2000', '--tick-ms', '100', '--secagg-quiet-ms', '30000', '--secagg-phase-seconds', '90'];
    // A starts first: it opens the round, so it coordinates it
    const a = await startServer({ db, plan: planFile, args });
    const b = await startServer({ db, plan: planFile, args });
    try {
      const roundId = (await get(b.url, '/v1/rounds/current')).json.roundId as string;
      expect(await store.query(db, 'SELECT coordinator FROM secagg_rounds WHERE round_id = ?', roundId)).toEqual([{ coordinator: instanceOf(a) }]);
      // the load balancer: even devices through A, odd through B; once A is gone, everything through B
      let killed = false;
      const devices = await makeDevices(data.samples, {
        serverUrl: a.url,
        honestButCurious: true,
        waitSeconds: 5,
        rng: (i) => seededRng(`pg-secagg/${i}`),
        fetch: (i) => (input, init) => {
          const url = killed || i % 2 === 1 ? input.replace(a.url, b.url) : input;
          return fetch(url, init as RequestInit);
        },
      });
      const syncing = syncAll(devices);
      // kill the coordinator once the protocol is past its first phase (messages stored, phases moved on)
      await until('the share phase', async () => (await store.query<{ phase: string }>(db, 'SELECT phase FROM secagg_rounds WHERE round_id = ?', roundId))[0]?.phase === 'share', 120_000);
      killed = true;
      a.proc.kill('SIGKILL');
      expect(await a.exited).toEqual({ code: null, signal: 'SIGKILL' });
      const results = await syncing;
      const release = await until(
        'the release',
        async () => {
          const r = await get(b.url, `/v1/releases/${roundId}`, { authorization: `Bearer ${CARRIER}` });
          return r.status === 200 ? r.json : null;
        },
        120_000,
      );
      const outcomes = results.map((r) => r.outcome);
      console.log(`secagg takeover test: device outcomes ${JSON.stringify(outcomes)}; release ${release.status}, cohort ${release.collections[0].cohort}`);
      const phases = (c: Child) => c.lines.filter((l) => l.includes('secure-aggregation phase') || l.includes('"level":50')).map((l) => l.slice(0, 300));
      expect(release.status, [...phases(a), '--', ...phases(b)].join('\n')).toBe('released');
      // nobody dropped out: every device's masked vector is in the sum the survivor unmasked
      expect(outcomes).toEqual(new Array(N).fill('reported'));
      expect(release.collections[0].cohort).toBe(N);
      expect(await store.query(db, 'SELECT count(*) AS n FROM releases WHERE round_id = ?', roundId)).toEqual([{ n: 1 }]);
      expect(await store.query(db, 'SELECT coordinator, phase FROM secagg_rounds WHERE round_id = ?', roundId)).toEqual([{ coordinator: instanceOf(b), phase: 'done' }]);
      expect(closedLines(b, roundId)).toHaveLength(1);
      expect(closedLines(a, roundId)).toHaveLength(0);
    } finally {
      await Promise.all([a.stop('SIGKILL'), b.stop()]);
    }
  }, 300_000);

  it('a round closing at a report count admits exactly that many across both instances, with every transaction serializable', async () => {
    const dir = tempDir('cap');
    const db = await store.database('cap');
    // serialization failures are now possible in any transaction: the storage must retry them
    const admin = new pg.Client({ connectionString: store.postgres!.url() });
    await admin.connect();
    await admin.query(`ALTER DATABASE "${new URL(db).pathname.slice(1)}" SET default_transaction_isolation = 'serializable'`);
    await admin.end();
    const cap = 120;
    const plan = scalePlan('cap', { schedule: { roundsPerPeriod: 1, roundSeconds: 3600, closeAtReports: cap }, minCohort: 50 });
    const [a, b] = await twoInstances(db, writePlan(dir, plan), ['--rate-limit', '0', '--tick-ms', '100']);
    try {
      expect(await store.query(db, 'SHOW default_transaction_isolation')).toEqual([{ default_transaction_isolation: 'serializable' }]);
      const roundId = (await get(a.url, '/v1/rounds/current')).json.roundId as string;
      const rng = seededRng('cap');
      const acks = await pool(
        Array.from({ length: 200 }, (_, i) => i),
        32,
        (i) => upload(i % 2 ? a.url : b.url, deviceReport(plan, roundId, secretOf(i, 'cap'), rng)),
      );
      expect(acks.filter((r) => r.status === 201)).toHaveLength(cap);
      for (const r of acks.filter((x) => x.status !== 201)) expect([r.status, r.json.code, r.json.param]).toEqual([409, 'invalid_state', 'report.roundId']);
      const release = await until('the release', async () => {
        const r = await get(b.url, `/v1/releases/${roundId}`, { authorization: `Bearer ${CARRIER}` });
        return r.status === 200 ? r.json : null;
      });
      expect(release.reports).toBe(cap);
      expect(await store.query(db, 'SELECT count(*) AS n FROM releases')).toEqual([{ n: 1 }]);
      expect(closedLines(a, roundId).length + closedLines(b, roundId).length).toBe(1);
      const retries = async (c: Child) => {
        const text = (await get(c.url, '/v1/metrics')).text;
        return [...text.matchAll(/^pinhole_storage_retries_total\{code="(\w+)"\} (\d+)$/gm)].reduce((s, m) => s + Number(m[2]), 0);
      };
      console.log(`serializable cap test: ${(await retries(a)) + (await retries(b))} transactions retried after a serialization failure`);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 180_000);
});
