/**
 * The server as a process on 127.0.0.1 over real HTTP, on each storage backend (a real SQLite file;
 * a real PostgreSQL server started by this file): uploads and their
 * acknowledgements, the contribution bound, hostile requests (each a 4xx problem+json, the server
 * up, the tables unchanged), access, releases (JSON, CSV, immutable, raw reports deleted),
 * refusals, rounds closing by count, plan changes, logs, graceful shutdown, and the OpenAPI
 * document against the registered routes both ways.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Plan, contributorToken, encodeRoundReport, makeReportId } from '@pinhole/core';
import { encodeEnvelope } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import { makePlan } from '@pinhole/aggregator';
import { registeredRoutes, startServer as startInProcess } from '@pinhole/aggregator/server';
import { type Child, CARRIER, OPERATOR, closeRound, deviceReport, get, pool, removeTempDirs, runCli, secretOf, startServer, tempDir, upload, writePlan } from './support/server.js';
import { BACKENDS, backend } from './support/backends.js';
import { expectProblem, rawPost } from './support/http-checks.js';

const domains = { operators: ['460-00', '460-01'], regions: ['north', 'south'], cells: ['n1', 'n2', 's1'] };
const basePlan = (over: Partial<Parameters<typeof makePlan>[0]> = {}): Plan =>
  makePlan({ id: 'srv', insights: ['network-type-share', 'rtt-mean'], domains, budget: { epsilon: 2, delta: 1e-6 }, mode: 'ldp', expectedDevices: 1000, ...over });

// every test below runs on each backend (the block is not indented, to keep its history readable)
describe.each(BACKENDS)('on %s', (storage) => {
  const store = backend(storage);
  const query = store.query.bind(store);
  afterAll(() => store.stop());

  describe('aggregator server over HTTP', () => {
    const dir = tempDir('server');
    let db: string;
    const plan = basePlan();
    const planFile = writePlan(dir, plan);
    let server: Child;
    let roundId: string;
    const rng = seededRng('server-test');
    const carrier = { authorization: `Bearer ${CARRIER}` };

    beforeAll(async () => {
      db = await store.database('server');
      server = await startServer({ db, plan: planFile });
      roundId = (await get(server.url, '/v1/rounds/current')).json.roundId;
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('serves the plan and the current round', async () => {
      const p = await get(server.url, '/v1/plan');
      expect(p.status).toBe(200);
      expect(p.json).toEqual(JSON.parse(JSON.stringify(plan)));
      const r = await get(server.url, '/v1/rounds/current');
      expect(r.json).toMatchObject({ planId: 'srv', planRevision: 1, status: 'collecting', closeAtReports: null, spent: { epsilon: 2, delta: 0 } });
      expect(r.json.roundId).toMatch(/^srv\.p\d+\.r1$/);
      expect(Date.parse(r.json.closesAt)).toBeGreaterThan(Date.now());
      const h = await get(server.url, '/v1/health');
      expect(h.json).toEqual({ status: 'ok', storage, plan: { id: 'srv', revision: 1 }, round: roundId });
    });

    it('stores a report once, acknowledges its retries, and keeps one report per device per round', async () => {
      const bytes = deviceReport(plan, roundId, secretOf(1), rng);
      const first = await upload(server.url, bytes);
      expect(first.status).toBe(201);
      expect(first.json.status).toBe('stored');
      const again = await upload(server.url, bytes);
      expect(again.status).toBe(200);
      expect(again.json).toEqual({ ...first.json, status: 'duplicate' });
      expect((await query<{ n: number }>(db, 'SELECT count(*) AS n FROM reports WHERE report_id = ?', first.json.reportId))[0]?.n).toBe(1);
      // the same device (same secret, so the same contributor token) with a fresh report id: refused
      const second = await upload(server.url, deviceReport(plan, roundId, secretOf(1), rng));
      expectProblem(second, 409, 'protocol_violation', 'report.contributor');
      expect((await query<{ n: number }>(db, 'SELECT count(*) AS n FROM reports'))[0]?.n).toBe(1);
    });

    it('answers every hostile request with the right 4xx problem+json, stays up, and leaves the tables unchanged', async () => {
      await pool([2, 3, 4, 5], 4, (i) => upload(server.url, deviceReport(plan, roundId, secretOf(i), rng)));
      const before = await store.tablesDigest(db);
      const good = deviceReport(plan, roundId, secretOf(100), rng);
      const stored = deviceReport(plan, roundId, secretOf(2), rng); // device 2 reported already
      const mech = plan.collections.map((c) => ({ collection: c.id, bytes: good.subarray(0, 1) }));
      const envelope = (over: Record<string, unknown>) =>
        encodeRoundReport({
          planId: plan.id,
          planRevision: 1,
          roundId,
          reportId: makeReportId(rng, { allowInsecureRng: true }),
          contributor: contributorToken(secretOf(200), { planId: plan.id, roundId }),
          entries: mech,
          ...over,
        });
      const cases: [string, () => Promise<any>, number, string, string?][] = [
        [
          'garbage body',
          () =>
            upload(
              server.url,
              new Uint8Array(300).map((_, i) => (i * 131) & 255),
            ),
          400,
          'decode_failed',
          'bytes',
        ],
        ['empty body', () => upload(server.url, new Uint8Array(0)), 400, 'decode_failed'],
        ['truncated msgpack', () => upload(server.url, good.subarray(0, good.length - 7)), 400, 'decode_failed'],
        ['truncated to the header', () => upload(server.url, good.subarray(0, 5)), 400, 'decode_failed'],
        [
          'unknown wire version',
          () =>
            upload(
              server.url,
              Uint8Array.from(good, (b, i) => (i === 2 ? 9 : b)),
            ),
          400,
          'decode_failed',
          'bytes',
        ],
        ['unknown plan revision', () => upload(server.url, envelope({ planRevision: 2 })), 409, 'protocol_violation', 'report.planRevision'],
        ['another plan', () => upload(server.url, envelope({ planId: 'other' })), 409, 'protocol_violation', 'report.planId'],
        ['malformed entry bytes', () => upload(server.url, envelope({})), 400, 'decode_failed'],
        ['unknown round', () => upload(server.url, deviceReport(plan, 'srv.p1.r9', secretOf(101), rng)), 404, 'not_found', 'report.roundId'],
        [
          'no entries',
          () => upload(server.url, encodeEnvelope('pinhole/report', { plan: plan.id, revision: 1, round: roundId, id: makeReportId(rng, { allowInsecureRng: true }), entries: [] })),
          400,
          'decode_failed',
          'report.entries',
        ],
        [
          'missing contributor token',
          async () => {
            const { decodeRoundReport } = await import('@pinhole/core');
            const r = decodeRoundReport(good);
            const { contributor: _c, ...rest } = r;
            return upload(server.url, encodeRoundReport({ ...rest, reportId: makeReportId(rng, { allowInsecureRng: true }) }));
          },
          400,
          'decode_failed',
          'report.contributor',
        ],
        ['device over its contribution bound', () => upload(server.url, stored), 409, 'protocol_violation', 'report.contributor'],
        [
          'report id reused with other bytes',
          async () => {
            const { decodeRoundReport } = await import('@pinhole/core');
            const ids = await query<{ report_id: string }>(db, 'SELECT report_id FROM reports LIMIT 1');
            const r = decodeRoundReport(good);
            return upload(server.url, encodeRoundReport({ ...r, reportId: ids[0]!.report_id }));
          },
          409,
          'protocol_violation',
          'report.reportId',
        ],
        ['wrong content type (JSON)', () => upload(server.url, good, { 'content-type': 'application/json' }), 415, 'unsupported_media_type', 'content-type'],
        ['wrong content type (text)', () => upload(server.url, good, { 'content-type': 'text/plain' }), 415, 'unsupported_media_type', 'content-type'],
        ['a 50 MB body', () => rawPost(server.url, '/v1/reports', 50 * 1024 * 1024, 'application/msgpack'), 413, 'payload_too_large'],
        [
          'a JSON body that does not parse',
          async () => {
            const res = await fetch(`${server.url}/v1/rounds/${roundId}/close`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${OPERATOR}` },
              body: '{"reason":',
            });
            return { status: res.status, type: res.headers.get('content-type') ?? '', json: await res.json() };
          },
          400,
          'decode_failed',
          'body',
        ],
        ['releases without a token', () => get(server.url, '/v1/releases'), 401, 'unauthorized', 'authorization'],
        ['releases with a wrong token', () => get(server.url, '/v1/releases', { authorization: `Bearer ${CARRIER}x` }), 403, 'forbidden', 'authorization'],
        ['a release with an operator token', () => get(server.url, `/v1/releases/${roundId}`, { authorization: `Bearer ${OPERATOR}` }), 403, 'forbidden', 'authorization'],
        ['a release with a malformed authorization', () => get(server.url, `/v1/releases/${roundId}`, { authorization: `Basic ${CARRIER}` }), 401, 'unauthorized', 'authorization'],
        [
          'closing a round with a carrier token',
          async () => {
            const res = await fetch(`${server.url}/v1/rounds/${roundId}/close`, { method: 'POST', headers: { authorization: `Bearer ${CARRIER}` } });
            return { status: res.status, type: res.headers.get('content-type') ?? '', json: await res.json() };
          },
          403,
          'forbidden',
          'authorization',
        ],
        [
          'closing without a token',
          async () => {
            const res = await fetch(`${server.url}/v1/rounds/${roundId}/close`, { method: 'POST' });
            return { status: res.status, type: res.headers.get('content-type') ?? '', json: await res.json() };
          },
          401,
          'unauthorized',
          'authorization',
        ],
        ['an unknown release', () => get(server.url, '/v1/releases/srv.p0.r7', carrier), 404, 'not_found', 'roundId'],
        ['an unknown round to close', () => closeRound(server.url, 'nope').then((r) => ({ ...r, type: 'application/problem+json' })), 404, 'not_found', 'roundId'],
        ['an unknown route', () => get(server.url, '/v2/reports'), 404, 'not_found', 'url'],
        ['a bad query', () => get(server.url, '/v1/releases?limit=0', carrier), 400, 'invalid_argument'],
        ['an unknown query field', () => get(server.url, '/v1/releases?drop=1', carrier), 400, 'invalid_argument'],
        ['a malformed URL', () => get(server.url, '/v1/releases/%E0%A4%A', carrier), 400, 'invalid_argument'],
        ['an unacceptable representation', () => get(server.url, `/v1/releases/${roundId}`, { ...carrier, accept: 'application/xml' }), 406, 'not_acceptable', 'accept'],
      ];
      for (const [label, send, status, code, param] of cases) {
        const r = await send();
        expect.soft(r.status, label).toBe(status);
        expectProblem(r, status, code, param);
      }
      expect(await store.tablesDigest(db)).toBe(before);
      expect((await get(server.url, '/v1/health')).json.status).toBe('ok');
      // and a valid upload still goes through
      expect((await upload(server.url, good)).status).toBe(201);
    }, 120_000);

    it('publishes an immutable release (JSON and CSV) to carriers only, and deletes the round’s raw reports', async () => {
      await pool(
        Array.from({ length: 60 }, (_, i) => 1000 + i),
        16,
        (i) => upload(server.url, deviceReport(plan, roundId, secretOf(i), rng)),
      );
      const reports = (await query<{ n: number }>(db, 'SELECT count(*) AS n FROM reports'))[0]!.n;
      const closed = await closeRound(server.url, roundId);
      expect(closed).toEqual({ status: 200, json: { roundId, status: 'released' } });
      const rel = await get(server.url, `/v1/releases/${roundId}`, carrier);
      expect(rel.status).toBe(200);
      expect(rel.type).toMatch(/^application\/json/);
      expect(rel.json).toMatchObject({ format: 'pinhole-release', round: roundId, status: 'released', reports, spent: { epsilon: 2, delta: 0 }, plan: { id: 'srv', revision: 1 } });
      expect(rel.json.collections.map((c: any) => c.privacyLoss.release)).toEqual(plan.collections.map((c) => c.privacyLoss));
      const csv = await get(server.url, `/v1/releases/${roundId}`, { ...carrier, accept: 'text/csv' });
      expect(csv.type).toMatch(/^text\/csv/);
      const lines = csv.text.trim().split('\r\n');
      expect(lines[0]).toBe('round,collection,kind,mode,status,group,released,reason,contributors,bucket,count,raw_count,mean,raw_mean,epsilon,delta');
      expect(lines.length).toBeGreaterThan(2);
      expect((await get(server.url, `/v1/releases/${roundId}.csv`, carrier)).text).toBe(csv.text);
      const list = await get(server.url, '/v1/releases', carrier);
      expect(list.json.releases).toEqual([expect.objectContaining({ roundId, planId: 'srv', planRevision: 1, status: 'released' })]);
      // retention: no raw report of a released round is left; the release row is what remains
      expect((await query<{ n: number }>(db, 'SELECT count(*) AS n FROM reports WHERE round_id = ?', roundId))[0]!.n).toBe(0);
      // immutable: closing again changes nothing, and no route writes a release
      const doc = rel.text;
      expect((await closeRound(server.url, roundId)).json).toEqual({ roundId, status: 'released' });
      expect((await get(server.url, `/v1/releases/${roundId}`, carrier)).text).toBe(doc);
      // the round is over: its uploads are refused, and the period's one round is spent
      expectProblem(await upload(server.url, deviceReport(plan, roundId, secretOf(5000), rng)), 409, 'invalid_state', 'report.roundId');
      expectProblem(await get(server.url, '/v1/rounds/current'), 404, 'not_found', 'round');
    });

    it('serves Prometheus metrics', async () => {
      const m = await get(server.url, '/v1/metrics');
      expect(m.status).toBe(200);
      expect(m.type).toMatch(/^text\/plain/);
      expect(m.text).toMatch(/^pinhole_reports_total\{outcome="stored"\} \d+/m);
      expect(m.text).toMatch(/^pinhole_rounds_closed_total\{status="released"\} 1$/m);
      expect(m.text).toMatch(/^pinhole_commit_batch_rows_count \d+/m);
    });

    it('logs no token, report id, contributor token or report bytes', () => {
      const log = server.lines.join('\n');
      expect(log).toMatch(/round closed/);
      expect(log).not.toContain(CARRIER);
      expect(log).not.toContain(OPERATOR);
      expect(log).not.toMatch(/[0-9a-f]{32}/);
    });
  });

  describe('rounds, refusals and plan changes', () => {
    it('refuses a round below its minimum cohort whole, with the reason', async () => {
      const dir = tempDir('refuse');
      const plan = basePlan({ id: 'small' });
      const server = await startServer({ db: await store.database('refuse'), plan: writePlan(dir, plan) });
      try {
        const roundId = (await get(server.url, '/v1/rounds/current')).json.roundId;
        const rng = seededRng('refuse');
        for (let i = 0; i < 3; i++) expect((await upload(server.url, deviceReport(plan, roundId, secretOf(i), rng))).status).toBe(201);
        expect((await closeRound(server.url, roundId)).json.status).toBe('refused');
        const rel = (await get(server.url, `/v1/releases/${roundId}`, { authorization: `Bearer ${CARRIER}` })).json;
        expect(rel.status).toBe('refused');
        expect(rel.refusal.reason).toBe('min_cohort');
        expect(rel.reports).toBe(3);
        for (const c of rel.collections) {
          expect(c.status).toBe('refused');
          expect(c.groups).toEqual([]);
        }
      } finally {
        await server.stop();
      }
    });

    it('closes a round at its report count and opens the next while the period budget allows', async () => {
      const dir = tempDir('count');
      const plan = basePlan({ id: 'count', budget: { epsilon: 2, delta: 1e-6 }, schedule: { roundsPerPeriod: 2, roundSeconds: 3600, closeAtReports: 25 }, minCohort: 20 });
      const db = await store.database('count');
      const server = await startServer({ db, plan: writePlan(dir, plan), args: ['--keep-reports'] });
      try {
        const rng = seededRng('count');
        const r1 = (await get(server.url, '/v1/rounds/current')).json;
        expect(r1.closeAtReports).toBe(25);
        const acks = await pool(
          Array.from({ length: 30 }, (_, i) => i),
          8,
          (i) => upload(server.url, deviceReport(plan, r1.roundId, secretOf(i), rng)),
        );
        // exactly 25 are admitted; the rest find the round closed
        expect(acks.filter((a) => a.status === 201)).toHaveLength(25);
        for (const a of acks.filter((x) => x.status !== 201)) expectProblem(a, 409, 'invalid_state', 'report.roundId');
        let r2: any = null;
        for (let t = 0; t < 100 && !r2; t++) {
          const cur = await get(server.url, '/v1/rounds/current');
          if (cur.status === 200 && cur.json.roundId !== r1.roundId) r2 = cur.json;
          else await new Promise((r) => setTimeout(r, 100));
        }
        expect(r2.roundId).toBe(r1.roundId.replace(/r1$/, 'r2'));
        const rel = (await get(server.url, `/v1/releases/${r1.roundId}`, { authorization: `Bearer ${CARRIER}` })).json;
        expect(rel).toMatchObject({ status: 'released', reports: 25 });
        // --keep-reports: the raw reports stay
        expect((await query<{ n: number }>(db, 'SELECT count(*) AS n FROM reports WHERE round_id = ?', r1.roundId))[0]!.n).toBe(25);
        await pool(
          Array.from({ length: 25 }, (_, i) => 100 + i),
          8,
          (i) => upload(server.url, deviceReport(plan, r2.roundId, secretOf(i), rng)),
        );
        for (let t = 0; t < 100; t++) {
          if ((await get(server.url, '/v1/rounds/current')).status === 404 && (await query(db, 'SELECT 1 FROM releases WHERE round_id = ?', r2.roundId)).length === 1) break;
          await new Promise((r) => setTimeout(r, 100));
        }
        // two rounds of 1 spend the period budget of 2: no third round in this period
        expectProblem(await get(server.url, '/v1/rounds/current'), 404, 'not_found', 'round');
        const ledger = await query<{ spent_epsilon: number }>(db, 'SELECT spent_epsilon FROM rounds ORDER BY opened_at');
        expect(ledger.map((r) => r.spent_epsilon)).toEqual([1, 1]);
      } finally {
        await server.stop();
      }
    }, 120_000);

    it('refuses to start with a plan change that would let a device overspend, or a changed plan under the same revision', async () => {
      const dir = tempDir('change');
      const db = await store.database('change');
      const plan = basePlan({ id: 'chg' });
      const first = await startServer({ db, plan: writePlan(dir, plan) });
      await first.stop();
      const richer = basePlan({ id: 'chg', revision: 2, budget: { epsilon: 4, delta: 1e-6 } });
      const a = await runCli(['serve', '--db', db, '--plan', writePlan(dir, richer, 'richer.json'), '--port', '0']);
      expect(a.code).toBe(1);
      expect(a.stderr).toMatch(/budget_exceeded \(next\.budget\)/);
      const changed = basePlan({ id: 'chg', budget: { epsilon: 1, delta: 1e-6 } });
      const b = await runCli(['serve', '--db', db, '--plan', writePlan(dir, changed, 'same-revision.json'), '--port', '0']);
      expect(b.code).toBe(1);
      expect(b.stderr).toMatch(/invalid_argument \(plan\.revision\)/);
      // a smaller budget under a new revision is fine; the open round of revision 1 is released on the way
      const smaller = basePlan({ id: 'chg', revision: 2, budget: { epsilon: 1, delta: 1e-6 } });
      const next = await startServer({ db, plan: writePlan(dir, smaller, 'smaller.json') });
      try {
        const rounds = await query<{ round_id: string; plan_revision: number; status: string }>(db, 'SELECT round_id, plan_revision, status FROM rounds ORDER BY opened_at');
        expect(rounds[0]).toMatchObject({ plan_revision: 1, status: 'refused' });
        // revision 1 spent 2 of this period; revision 2's budget is 1: no round fits until the next period
        expect(rounds).toHaveLength(1);
        expect((await get(next.url, '/v1/rounds/current')).status).toBe(404);
      } finally {
        await next.stop();
      }
    }, 120_000);

    it('shuts down on SIGTERM after committing what it acknowledged', async () => {
      const dir = tempDir('term');
      const db = await store.database('term');
      const plan = basePlan({ id: 'term' });
      const server = await startServer({ db, plan: writePlan(dir, plan) });
      const roundId = (await get(server.url, '/v1/rounds/current')).json.roundId;
      const rng = seededRng('term');
      const bodies = Array.from({ length: 400 }, (_, i) => deviceReport(plan, roundId, secretOf(i), rng));
      const acked: string[] = [];
      const uploads = pool(bodies, 32, async (b) => {
        try {
          const r = await upload(server.url, b);
          if (r.status === 201) acked.push(r.json.reportId);
        } catch {
          /* refused connections after the listener closed */
        }
      });
      while (acked.length < 100) await new Promise((r) => setTimeout(r, 5));
      const exit = server.stop('SIGTERM');
      await uploads;
      expect(await exit).toEqual({ code: 0, signal: null });
      const stored = new Set((await query<{ report_id: string }>(db, 'SELECT report_id FROM reports')).map((r) => r.report_id));
      for (const id of acked) expect(stored.has(id)).toBe(true);
      expect(server.lines.join('\n')).toMatch(/shutting down/);
    }, 120_000);

    // the CLI's help and plan check touch no database: once is enough
    if (storage === 'sqlite')
      it('has a --help for every command, and plan check', async () => {
        for (const args of [['--help'], ['serve', '--help'], ['plan', '--help']]) {
          const r = await runCli(args);
          expect(r.code, args.join(' ')).toBe(0);
          expect(r.stdout).toMatch(/Usage|pinhole-aggregator plan check/);
        }
        const dir = tempDir('check');
        const ok = await runCli(['plan', 'check', writePlan(dir, basePlan())]);
        expect(ok.code).toBe(0);
        expect(ok.stdout).toMatch(/plan "srv" revision 1: valid/);
        const bad = JSON.parse(JSON.stringify(basePlan()));
        bad.collections[0].gate.k = -1;
        const no = await runCli(['plan', 'check', writePlan(dir, bad, 'bad.json')]);
        expect(no.code).toBe(1);
        expect(no.stderr).toMatch(/invalid_argument \(plan\.collections\[0\]\.gate\.k\)/);
        const unknown = await runCli(['frobnicate']);
        expect(unknown.code).toBe(1);
      }, 120_000);

    it('refuses to start with a short or shared token, without echoing it', async () => {
      const dir = tempDir('tokens');
      const planFile = writePlan(dir, basePlan({ id: 'tok' }));
      const db = await store.database('tokens');
      const short = await runCli(['serve', '--db', db, '--plan', planFile, '--port', '0'], { PINHOLE_CARRIER_TOKENS: 'acme=tooshort123' });
      expect(short.code).toBe(1);
      expect(short.stderr).toMatch(/invalid_argument \(carriers\[0\]\.token\)/);
      expect(short.stderr).not.toContain('tooshort123');
      const shared = await runCli(['serve', '--db', db, '--plan', planFile, '--port', '0'], { PINHOLE_CARRIER_TOKENS: `a=${CARRIER},b=${CARRIER}` });
      expect(shared.code).toBe(1);
      expect(shared.stderr).toMatch(/invalid_argument \(carriers\)/);
      expect(shared.stderr).not.toContain(CARRIER);
    }, 60_000);

    it('answers over-rate clients with 429 problem+json', async () => {
      const dir = tempDir('rate');
      const server = await startServer({ db: await store.database('rate'), plan: writePlan(dir, basePlan({ id: 'rate' })), args: ['--rate-limit', '5'] });
      try {
        const answers = [];
        for (let i = 0; i < 7; i++) answers.push(await get(server.url, '/v1/health'));
        expect(answers.slice(0, 5).every((a) => a.status === 200)).toBe(true);
        expectProblem(answers[6]!, 429, 'rate_limited');
      } finally {
        await server.stop();
      }
    });
  });

  describe('OpenAPI document', () => {
    it('documents every registered route, and every documented route is registered and answers', async () => {
      const running = await startInProcess({ db: await store.database('openapi'), plan: basePlan({ id: 'oa' }), port: 0, env: {} });
      try {
        const res = await fetch(`${running.url}/v1/openapi.json`);
        const doc = (await res.json()) as { paths: Record<string, Record<string, unknown>> };
        const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
        const registered = registeredRoutes(running.app).map((r) => `${r.method} ${r.url}`);
        expect(new Set(registered).size).toBeGreaterThanOrEqual(9);
        expect([...documented].sort()).toEqual([...new Set(registered)].sort());
        // each documented operation is routed (anything but the not-found problem of an unknown route)
        for (const op of documented) {
          const [method, path] = op.split(' ') as [string, string];
          const r = await fetch(`${running.url}${path.replace(/:\w+/g, 'x')}`, { method });
          const body = (await r.text()) || '{}';
          expect(JSON.parse(body.startsWith('{') ? body : '{}').param, op).not.toBe('url');
        }
        // every refusal a route documents is problem+json
        for (const ops of Object.values(doc.paths)) {
          for (const op of Object.values(ops) as { responses: Record<string, { content?: Record<string, unknown> }> }[]) {
            for (const [status, r] of Object.entries(op.responses)) if (Number(status) >= 400) expect(Object.keys(r.content ?? {})).toEqual(['application/problem+json']);
          }
        }
      } finally {
        await running.close();
      }
    });
  });
});

afterAll(removeTempDirs);
