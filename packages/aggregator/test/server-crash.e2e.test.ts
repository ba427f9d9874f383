/**
 * Crash safety: the server is SIGKILLed in the middle of concurrent uploads at several points
 * (after different numbers of acknowledgements, and after a fixed delay), restarted on the same
 * database each time (a SQLite file; a PostgreSQL database on a real server), and the unacknowledged reports are retried with the same bytes (so the
 * same report ids). Every acknowledged report must be in the database exactly once after each
 * kill, every retry must be acknowledged (200 where the killed server had committed it without
 * answering), and the round's release must count every device exactly once.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { decodeRoundReport } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { makePlan } from '@pinhole/aggregator';
import { CARRIER, closeRound, deviceReport, get, removeTempDirs, secretOf, startServer, tempDir, upload, writePlan } from './support/server.js';
import { BACKENDS, backend } from './support/backends.js';

const N = 1500;
/**
 * The servers gather each group commit for 10 ms, so kills land between a report's arrival and its
 * commit often: a server that acknowledged before committing fails this test (checked by making
 * the route answer 201 before awaiting its commit: "acknowledged report 398 after kill at 1:
 * expected undefined to be 1").
 */
const SERVER_ARGS = ['--rate-limit', '0', '--commit-delay-ms', '10'];
/** kill after this many acknowledgements in the run, or (a string) this many ms after its first upload */
const KILL_POINTS: (number | string)[] = [25, '120', 300, 1, '40'];

describe.each(BACKENDS)('SIGKILL during concurrent uploads, on %s', (storage) => {
  const store = backend(storage);
  afterAll(() => store.stop());

  it('loses no acknowledged report and counts no retried one twice', async () => {
    const dir = tempDir('crash');
    const db = await store.database('crash');
    const plan = makePlan({
      id: 'crash',
      insights: ['network-type-share'],
      domains: { operators: ['a', 'b'], regions: ['north', 'south'], cells: ['n1', 's1'] },
      budget: { epsilon: 1, delta: 1e-6 },
      mode: 'ldp',
      expectedDevices: N,
    });
    const planFile = writePlan(dir, plan);
    let server = await startServer({ db, plan: planFile, args: SERVER_ARGS });
    const roundId = (await get(server.url, '/v1/rounds/current')).json.roundId as string;
    const rng = seededRng('crash');
    const bodies = Array.from({ length: N }, (_, i) => deviceReport(plan, roundId, secretOf(i, 'crash'), rng));
    const ids = bodies.map((b) => decodeRoundReport(b).reportId);
    const acked = new Set<number>();
    /** acknowledged with 201 at some point: a second 201 would mean it was stored twice */
    const created = new Set<number>();
    let retriedDuplicates = 0;

    const send = async (i: number): Promise<boolean> => {
      let r: Awaited<ReturnType<typeof upload>>;
      try {
        r = await upload(server.url, bodies[i] as Uint8Array);
      } catch {
        return false; // the server died before answering: unacknowledged
      }
      expect([200, 201], JSON.stringify(r.json)).toContain(r.status);
      if (r.status === 201) {
        expect(created.has(i), `report ${i} created twice`).toBe(false);
        created.add(i);
      } else {
        // a 200 for a retry: the killed server committed it but never answered
        expect(acked.has(i)).toBe(false);
        retriedDuplicates++;
      }
      acked.add(i);
      return true;
    };

    for (const point of [...KILL_POINTS, null]) {
      const pending = bodies.map((_, i) => i).filter((i) => !acked.has(i));
      let ackedThisRun = 0;
      let killed = false;
      const kill = () => {
        if (killed) return;
        killed = true;
        server.proc.kill('SIGKILL');
      };
      if (typeof point === 'string') setTimeout(kill, Number(point));
      let next = 0;
      await Promise.all(
        Array.from({ length: 48 }, async () => {
          while (next < pending.length && !killed) {
            const i = pending[next++] as number;
            if (await send(i)) {
              ackedThisRun++;
              if (typeof point === 'number' && ackedThisRun >= point) kill();
            }
          }
        }),
      );
      if (point === null) break;
      await server.exited;
      // after the crash, on disk: every acknowledged report exactly once
      const rows = await store.query<{ report_id: string; n: number }>(db, 'SELECT report_id, count(*) AS n FROM reports GROUP BY report_id');
      const onDisk = new Map(rows.map((r) => [r.report_id, r.n]));
      for (const i of acked) expect(onDisk.get(ids[i] as string), `acknowledged report ${i} after kill at ${point}`).toBe(1);
      expect(rows.every((r) => r.n === 1)).toBe(true);
      server = await startServer({ db, plan: planFile, args: SERVER_ARGS });
      // the same round goes on after the restart
      expect((await get(server.url, '/v1/rounds/current')).json.roundId).toBe(roundId);
    }
    try {
      expect(acked.size).toBe(N);
      const rows = await store.query<{ n: number; d: number }>(db, 'SELECT count(*) AS n, count(DISTINCT contributor) AS d FROM reports');
      expect(rows[0]).toEqual({ n: N, d: N });
      expect(created.size + retriedDuplicates).toBe(N);
      console.log(`crash test (${storage}): ${KILL_POINTS.length} kills; ${retriedDuplicates} retries found their report committed by a killed server that never answered`);
      const closed = await closeRound(server.url, roundId);
      expect(closed.json.status).toBe('released');
      const release = (await get(server.url, `/v1/releases/${roundId}`, { authorization: `Bearer ${CARRIER}` })).json;
      expect(release.reports).toBe(N);
      expect(release.collections[0].cohort).toBe(N);
    } finally {
      await server.stop();
    }
  }, 300_000);
});

afterAll(removeTempDirs);
