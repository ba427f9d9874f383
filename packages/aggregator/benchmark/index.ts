/**
 * Perf suite of the aggregator server: durably acknowledged report uploads per second over real
 * HTTP on 127.0.0.1, measured with autocannon (bounded in time), against a bare Fastify route that
 * answers 201 without decoding or storing (measured in the same run), and per group-commit batch
 * size. Every server is a child process on a fresh SQLite file; after each run the rows on disk are
 * counted against the 201s. The machine load (1-minute load average) is recorded with every row.
 * Run alone:
 *   node --conditions=pinhole-source --import tsx packages/aggregator/benchmark/index.ts [--quick]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import { type PerfOptions, type PerfRow, type PerfSuite, PinholeError, contributorToken, encodeRoundReport, makeReportId, planPeriod } from '@pinhole/core';
import { seededRng } from '@pinhole/core/testing';
import { makePlan } from '@pinhole/aggregator';
import { deviceEntry, deviceMechanism } from '@pinhole/client';

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
    proc.stdout!.setEncoding('utf8');
    proc.stdout!.on('data', (d: string) => {
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
          req.body = bodies[next++ % bodies.length] as Buffer;
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

export const suites: PerfSuite[] = [
  async (options: PerfOptions): Promise<PerfRow[]> => {
    const log = options.log ?? (() => undefined);
    const seconds = options.quick ? 3 : 10;
    // [commit batch, connections]: the batch sizes at 64 connections, then the default with more uploads in flight
    const runs: [number, number][] = options.quick ? [[1, 64], [1024, 64]] : [[1, 64], [16, 64], [128, 64], [1024, 64], [1024, 128]];
    const bodies = makeBodies(options.quick ? 40_000 : 200_000);
    const dir = mkdtempSync(join(tmpdir(), 'pinhole-ingest-'));
    const planFile = join(dir, 'plan.json');
    writeFileSync(planFile, JSON.stringify(plan));
    const rows: PerfRow[] = [];
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
      for (const [batch, connections] of runs) {
        const db = join(dir, `batch-${batch}-${connections}.db`);
        const server = await start([CLI, 'serve', '--db', db, '--plan', planFile, '--port', '0', '--rate-limit', '0', '--log-level', 'info', '--commit-batch', String(batch)]);
        let run: Run;
        let meanBatch: number;
        try {
          run = await load(server.url, bodies, seconds, connections);
          meanBatch = (await metric(server.url, 'pinhole_commit_batch_rows_sum')) / (await metric(server.url, 'pinhole_commit_batch_rows_count'));
        } finally {
          await stop(server.proc);
        }
        // every 201 is a row on disk; beyond them only the uploads still in flight when autocannon stopped
        const d = new Database(db, { readonly: true });
        const stored = (d.prepare('SELECT count(*) AS n FROM reports').get() as { n: number }).n;
        d.close();
        if (stored < run.created || stored > run.created + connections || run.non2xx !== 0 || run.duplicates !== 0) {
          throw new PinholeError('invalid_state', 'benchmark', `batch ${batch}: ${run.created} stored (201), ${run.duplicates} duplicates (200), ${stored} rows, ${run.non2xx} refused`);
        }
        serverRows.push({
          suite: SUITE,
          name: `POST /v1/reports, SQLite WAL synchronous=FULL, group commit <= ${batch}, ${connections} connections`,
          opsPerSec: run.perSecond,
          unit: 'report',
          meanMs: run.meanMs,
          baseline: baseName,
          extra: { p50Ms: run.p50Ms, p99Ms: run.p99Ms, meanBatch, connections, errors: run.errors, load1: run.load1 },
        });
        log(`perf: aggregator batch<=${batch}, ${connections} connections: ${run.perSecond.toFixed(0)} reports/s, p99 ${run.p99Ms} ms, mean batch ${meanBatch.toFixed(1)} (load ${run.load1})`);
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
