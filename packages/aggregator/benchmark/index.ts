/**
 * Perf suite of the aggregator server: durably acknowledged report uploads per second over real
 * HTTP on 127.0.0.1, measured with autocannon (bounded in time), against a bare Fastify route that
 * answers 201 without decoding or storing (measured in the same run), per group-commit batch size
 * on SQLite, and two instances sharing one PostgreSQL server (started here from Debian's binaries,
 * see scripts/setup-postgres.sh) with the load split between them. Every server is a child process
 * on a fresh database; after each run the rows stored are counted against the 201s. Each row
 * carries the measured per-report costs: server CPU ms per report (all instances), PostgreSQL's own
 * CPU ms per report, database bytes per stored report (and WAL bytes on PostgreSQL), and the mean
 * commit time per batch. The machine load (1-minute load average) is recorded with every row.
 * Run alone:
 *   node --conditions=pinhole-source --import tsx packages/aggregator/benchmark/index.ts [--quick]
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';
import { PinholeError, contributorToken, encodeRoundReport, makeReportId } from '@pinhole/core';
import { type PerfOptions, type PerfRow, type PerfSuite } from '@pinhole/core/perf';
import { planPeriod } from '@pinhole/core/plan';
import { seededRng } from '@pinhole/core/seeded';
import { makePlan } from '@pinhole/aggregator';
import { deviceEntry, deviceMechanism } from '@pinhole/client';
import { type PostgresServer, startPostgres } from '../test/support/postgres.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const CLI = join(HERE, '..', 'src', 'cli.ts');
const SUITE = 'aggregator/ingest';
const CONNECTIONS = 64;

const plan = makePlan({
  id: 'bench',
  insights: ['network-type-share', 'poor-share', 'downlink-median'],
  domains: { operators: ['460-00', '460-01', '460-02'], regions: ['north', 'south', 'east', 'west'], cells: ['n1', 'n2', 's1', 'e1', 'w1'] },
  budget: { epsilon: 4, delta: 1e-6 },
  mode: 'ldp',
  expectedDevices: 100_000,
});

/** Distinct device reports for the round every fresh database opens first (same id in each). */
function makeBodies(count: number): Buffer[] {
  const roundId = `${plan.id}.p${planPeriod(plan, Date.now()).index}.r1`;
  const rng = seededRng('aggregator-bench');
  const mechs = new Map(plan.collections.map((c) => [c.id, deviceMechanism(c, { allowInsecureRng: true })]));
  // 512 perturbed entry sets; every body has its own report id and contributor token
  const entrySets = Array.from({ length: 512 }, () => plan.collections.map((c) => deviceEntry(c, { bucket: rng.int(c.domainSize) }, rng, { mechanism: mechs.get(c.id)! })));
  const secret = new Uint8Array(32);
  return Array.from({ length: count }, (_, i) => {
    new DataView(secret.buffer).setUint32(0, i);
    const bytes = encodeRoundReport({
      planId: plan.id,
      planRevision: plan.revision,
      roundId,
      reportId: makeReportId(rng, { allowInsecureRng: true }),
      contributor: contributorToken(secret, { planId: plan.id, roundId }),
      entries: entrySets[i % entrySets.length]!,
    });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  });
}

function start(args: string[]): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, ['--conditions=pinhole-source', '--import', 'tsx', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.setEncoding('utf8');
    proc.stdout.on('data', (d: string) => {
      buf += d;
      const line = buf.split('\n').find((l) => l.includes('pinhole aggregator ready'));
      if (line) resolve({ url: (JSON.parse(line) as { url: string }).url, proc });
    });
    proc.on('exit', (code) => reject(new PinholeError('invalid_state', 'server', `benchmark server exited (${code}) before it was ready`)));
  });
}

function stop(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve();
    proc.on('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}

interface Run {
  readonly perSecond: number;
  readonly created: number;
  /** 200s: a body sent again after the distinct ones ran out (acknowledged, not stored again) */
  readonly duplicates: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly load1: string;
}

async function load(url: string, bodies: Buffer[], seconds: number, connections = CONNECTIONS): Promise<Run> {
  let next = 0;
  const before = loadavg()[0] as number;
  const result = await autocannon({
    url: `${url}/v1/reports`,
    method: 'POST',
    connections,
    duration: seconds,
    headers: { 'content-type': 'application/msgpack' },
    requests: [
      {
        setupRequest: (req) => {
          req.body = bodies[next++ % bodies.length];
          return req;
        },
      },
    ],
  });
  const after = loadavg()[0] as number;
  const codes = (result as unknown as { statusCodeStats?: Record<string, { count: number }> }).statusCodeStats ?? {};
  const ok = result['2xx'];
  return {
    perSecond: ok / result.duration,
    created: codes['201']?.count ?? 0,
    duplicates: codes['200']?.count ?? 0,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    meanMs: result.latency.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    load1: `${before.toFixed(2)}→${after.toFixed(2)}`,
  };
}

async function metric(url: string, name: string): Promise<number> {
  const text = await (await fetch(`${url}/v1/metrics`)).text();
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

/** What the servers report about themselves: CPU seconds, commit batches (rows and seconds). */
async function serverCounters(urls: readonly string[]): Promise<{ cpu: number; rows: number; batches: number; commitSeconds: number }> {
  let cpu = 0;
  let rows = 0;
  let batches = 0;
  let commitSeconds = 0;
  for (const url of urls) {
    cpu += await metric(url, 'pinhole_process_cpu_seconds_total');
    rows += await metric(url, 'pinhole_commit_batch_rows_sum');
    batches += await metric(url, 'pinhole_commit_batch_rows_count');
    commitSeconds += await metric(url, 'pinhole_commit_seconds_sum');
  }
  return { cpu, rows, batches, commitSeconds };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds of a PostgreSQL server: the postmaster (with the backends that exited) and its live children, from /proc. */
function postgresCpuSeconds(server: PostgresServer): number {
  const pid = Number(readFileSync(join(server.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  let ticks = 0;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    // fields after "(comm) ": state ppid … utime(11) stime(12) cutime(13) cstime(14)
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    if (Number(entry) === pid) ticks += (f[11] ?? 0) + (f[12] ?? 0) + (f[13] ?? 0) + (f[14] ?? 0);
    else if (f[1] === pid) ticks += (f[11] ?? 0) + (f[12] ?? 0);
  }
  return ticks / CLOCK_TICKS;
}

interface Measured {
  readonly run: Run;
  /** per-instance p99, ms */
  readonly p99s: number[];
  readonly meanBatch: number;
  readonly commitMsPerBatch: number;
  readonly serverCpuMsPerReport: number;
}

/** Loads every instance at once (connections split evenly, each with its own share of the bodies) and sums what they did. */
async function measure(urls: readonly string[], bodies: Buffer[], seconds: number, connections: number): Promise<Measured> {
  const before = await serverCounters(urls);
  const shares = urls.map((_, k) => bodies.filter((__, i) => i % urls.length === k));
  const runs = await Promise.all(urls.map((url, k) => load(url, shares[k] as Buffer[], seconds, Math.floor(connections / urls.length))));
  const after = await serverCounters(urls);
  const sum = (f: (r: Run) => number) => runs.reduce((a, r) => a + f(r), 0);
  const created = sum((r) => r.created);
  const run: Run = {
    perSecond: sum((r) => r.perSecond),
    created,
    duplicates: sum((r) => r.duplicates),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    meanMs: sum((r) => r.meanMs * r.created) / Math.max(1, created),
    p50Ms: Math.max(...runs.map((r) => r.p50Ms)),
    p99Ms: Math.max(...runs.map((r) => r.p99Ms)),
    load1: runs[0]!.load1,
  };
  const batches = after.batches - before.batches;
  return {
    run,
    p99s: runs.map((r) => r.p99Ms),
    meanBatch: (after.rows - before.rows) / batches,
    commitMsPerBatch: ((after.commitSeconds - before.commitSeconds) * 1000) / batches,
    serverCpuMsPerReport: ((after.cpu - before.cpu) * 1000) / Math.max(1, created),
  };
}

/** Every 201 is a stored row; beyond them only the uploads still in flight when autocannon stopped. */
function checkStored(label: string, run: Run, stored: number, connections: number): void {
  if (stored < run.created || stored > run.created + connections || run.non2xx !== 0 || run.duplicates !== 0) {
    throw new PinholeError('invalid_state', 'benchmark', `${label}: ${run.created} stored (201), ${run.duplicates} duplicates (200), ${stored} rows, ${run.non2xx} refused`);
  }
}

const serveArgs = (db: string, planFile: string, batch: number) => [
  CLI,
  'serve',
  '--db',
  db,
  '--plan',
  planFile,
  '--port',
  '0',
  '--rate-limit',
  '0',
  '--log-level',
  'info',
  '--commit-batch',
  String(batch),
];

export const suites: PerfSuite[] = [
  async (options: PerfOptions): Promise<PerfRow[]> => {
    const log = options.log ?? (() => undefined);
    const seconds = options.quick ? 3 : 10;
    // SQLite [commit batch, connections]: the batch sizes at 64 connections, then the default with more uploads in flight
    const runs: [number, number][] = options.quick
      ? [
          [128, 64],
          [1024, 64],
        ]
      : [
          [1, 64],
          [16, 64],
          [128, 64],
          [1024, 64],
          [1024, 128],
        ];
    // two instances on PostgreSQL [commit batch per instance, connections in all]
    const pgRuns: [number, number][] = options.quick
      ? [[128, 64]]
      : [
          [128, 64],
          [1024, 128],
        ];
    const bodies = makeBodies(options.quick ? 40_000 : 200_000);
    const meanBodyBytes = bodies.reduce((a, b) => a + b.length, 0) / bodies.length;
    const dir = mkdtempSync(join(tmpdir(), 'pinhole-ingest-'));
    const planFile = join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    const rows: PerfRow[] = [];
    // started first: a missing PostgreSQL fails the suite with the install command before anything is measured
    const postgres = await startPostgres();
    try {
      // the baseline before and after the server rows: on a shared machine the load moves during a run
      const baseline = async (): Promise<Run> => {
        const bare = await start([join(HERE, 'bare-server.ts')]);
        try {
          return await load(bare.url, bodies, seconds);
        } finally {
          await stop(bare.proc);
        }
      };
      const first = await baseline();
      log(`perf: aggregator baseline ${first.perSecond.toFixed(0)}/s p99 ${first.p99Ms} ms (load ${first.load1})`);
      const baseName = 'bare Fastify route answering 201 (no decode, no storage), mean of before and after';
      const serverRows: PerfRow[] = [];
      const sqlite = new Map<string, number>();
      for (const [batch, connections] of runs) {
        const db = join(dir, `batch-${batch}-${connections}.db`);
        const server = await start(serveArgs(db, planFile, batch));
        let m: Measured;
        try {
          m = await measure([server.url], bodies, seconds, connections);
        } finally {
          await stop(server.proc);
        }
        const d = new Database(db, { readonly: true });
        const stored = (d.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n;
        const fileBytes = (d.pragma('page_count', { simple: true }) as number) * (d.pragma('page_size', { simple: true }) as number);
        d.close();
        checkStored(`SQLite batch ${batch}`, m.run, stored, connections);
        sqlite.set(`${batch}/${connections}`, m.run.perSecond);
        serverRows.push({
          suite: SUITE,
          name: `POST /v1/reports, one instance on SQLite WAL synchronous=FULL, group commit <= ${batch}, ${connections} connections`,
          opsPerSec: m.run.perSecond,
          unit: 'report',
          meanMs: m.run.meanMs,
          baseline: baseName,
          extra: {
            p50Ms: m.run.p50Ms,
            p99Ms: m.run.p99Ms,
            meanBatch: m.meanBatch,
            commitMsPerBatch: m.commitMsPerBatch,
            serverCpuMsPerReport: m.serverCpuMsPerReport,
            bytesPerReport: fileBytes / stored,
            uploadBytes: meanBodyBytes,
            connections,
            errors: m.run.errors,
            load1: m.run.load1,
          },
        });
        log(
          `perf: aggregator SQLite batch<=${batch}, ${connections} connections: ${m.run.perSecond.toFixed(0)} reports/s, p99 ${m.run.p99Ms} ms, mean batch ${m.meanBatch.toFixed(1)}, ${m.commitMsPerBatch.toFixed(2)} ms/commit, ${m.serverCpuMsPerReport.toFixed(3)} CPU ms/report, ${(fileBytes / stored).toFixed(0)} B/report (load ${m.run.load1})`,
        );
      }
      for (const [batch, connections] of pgRuns) {
        const url = await postgres.createDatabase(`ingest_${batch}_${connections}`);
        // the first instance migrates; the second finds the schema and the open round
        const a = await start(serveArgs(url, planFile, batch));
        const b = await start(serveArgs(url, planFile, batch)).catch(async (e: unknown) => {
          await stop(a.proc);
          throw e;
        });
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        let m: Measured;
        let pgCpu: number;
        let walBytes: number;
        try {
          const wal = async () => Number((await client.query<{ b: string }>("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0') AS b")).rows[0]!.b);
          const cpu0 = postgresCpuSeconds(postgres);
          const wal0 = await wal();
          m = await measure([a.url, b.url], bodies, seconds, connections);
          pgCpu = postgresCpuSeconds(postgres) - cpu0;
          walBytes = (await wal()) - wal0;
        } finally {
          await Promise.all([stop(a.proc), stop(b.proc)]);
        }
        let stored: number;
        let tableBytes: number;
        try {
          const r = (await client.query<{ n: string; b: string }>("SELECT count(*) AS n, pg_total_relation_size('reports') AS b FROM reports")).rows[0]!;
          stored = Number(r.n);
          tableBytes = Number(r.b);
        } finally {
          await client.end();
        }
        checkStored(`PostgreSQL batch ${batch}`, m.run, stored, connections);
        const vsSqlite = sqlite.get(`${batch}/${connections}`) ?? sqlite.get(`1024/${connections}`);
        serverRows.push({
          suite: SUITE,
          name: `POST /v1/reports, two instances on one PostgreSQL (synchronous_commit=on), group commit <= ${batch} each, ${connections} connections split between them`,
          opsPerSec: m.run.perSecond,
          unit: 'report',
          meanMs: m.run.meanMs,
          baseline: baseName,
          extra: {
            p50Ms: m.run.p50Ms,
            p99Ms: m.run.p99Ms,
            p99MsPerInstance: m.p99s.join('/'),
            ...(vsSqlite === undefined ? {} : { ratioToSqliteSameBatchAndConnections: m.run.perSecond / vsSqlite }),
            meanBatch: m.meanBatch,
            commitMsPerBatch: m.commitMsPerBatch,
            serverCpuMsPerReport: m.serverCpuMsPerReport,
            postgresCpuMsPerReport: (pgCpu * 1000) / Math.max(1, m.run.created),
            bytesPerReport: tableBytes / stored,
            walBytesPerReport: walBytes / Math.max(1, stored),
            uploadBytes: meanBodyBytes,
            connections,
            errors: m.run.errors,
            load1: m.run.load1,
          },
        });
        log(
          `perf: aggregator 2 × PostgreSQL batch<=${batch}, ${connections} connections: ${m.run.perSecond.toFixed(0)} reports/s${vsSqlite === undefined ? '' : ` (${(m.run.perSecond / vsSqlite).toFixed(2)}× SQLite)`}, p99 ${m.p99s.join('/')} ms, mean batch ${m.meanBatch.toFixed(1)}, ${m.commitMsPerBatch.toFixed(2)} ms/commit, ` +
            `${m.serverCpuMsPerReport.toFixed(3)} server + ${((pgCpu * 1000) / m.run.created).toFixed(3)} PostgreSQL CPU ms/report, ${(tableBytes / stored).toFixed(0)} B/report, ${(walBytes / stored).toFixed(0)} WAL B/report (load ${m.run.load1})`,
        );
      }
      const last = await baseline();
      log(`perf: aggregator baseline again ${last.perSecond.toFixed(0)}/s p99 ${last.p99Ms} ms (load ${last.load1})`);
      const base = (first.perSecond + last.perSecond) / 2;
      rows.push({
        suite: SUITE,
        name: baseName,
        opsPerSec: base,
        unit: 'request',
        meanMs: (first.meanMs + last.meanMs) / 2,
        extra: { before: first.perSecond, after: last.perSecond, p99MsBefore: first.p99Ms, p99MsAfter: last.p99Ms, connections: CONNECTIONS, load1: `${first.load1}, ${last.load1}` },
      });
      for (const r of serverRows) rows.push({ ...r, ratio: r.opsPerSec / base });
    } finally {
      await postgres.stop();
      rmSync(dir, { recursive: true, force: true });
    }
    return rows;
  },
];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  for (const suite of suites) {
    const rows = await suite({ quick, log: (l) => process.stderr.write(`${l}\n`) });
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
  }
}
