/**
 * Test support: the real server as a child process on 127.0.0.1 (port 0, read back from its log),
 * and real HTTP (the databases it runs on: backends.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Plan, type Rng, contributorToken, encodeRoundReport, makeReportId } from '@pinhole/core';
import { deviceEntry, deviceMechanism } from '@pinhole/client';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.ts');

export const CARRIER = 'carrier-token-0123456789abcdef';
export const OPERATOR = 'operator-token-0123456789abcdef';
export const TOKENS_ENV = { PINHOLE_CARRIER_TOKENS: `acme=${CARRIER}`, PINHOLE_OPERATOR_TOKENS: `ops=${OPERATOR}` };

const dirs: string[] = [];

export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `pinhole-${label}-`));
  dirs.push(dir);
  return dir;
}

/** Removes the temporary directories (databases, plans) this test file made. */
export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export function writePlan(dir: string, plan: Plan, name = 'plan.json'): string {
  const file = join(dir, name);
  writeFileSync(file, JSON.stringify(plan, null, 2));
  return file;
}

export interface Child {
  readonly url: string;
  readonly proc: ChildProcess;
  /** every stdout/stderr line so far */
  readonly lines: string[];
  /** resolves with the exit code (or signal) */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `pinhole-aggregator serve` and resolves once it logged that it is ready. */
export function startServer(options: { db: string; plan: string; args?: readonly string[]; env?: Record<string, string> }): Promise<Child> {
  const args = ['--conditions=pinhole-source', '--import', 'tsx', CLI, 'serve', '--db', options.db, '--plan', options.plan, '--port', '0', '--host', '127.0.0.1', ...(options.args ?? [])];
  const proc = spawn(process.execPath, args, { env: { ...process.env, ...TOKENS_ENV, ...(options.env ?? {}) }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  return new Promise<Child>((resolve, reject) => {
    let settled = false;
    const onLine = (line: string) => {
      lines.push(line);
      if (settled || !line.includes('pinhole aggregator ready')) return;
      settled = true;
      const url = (JSON.parse(line) as { url: string }).url;
      resolve({
        url,
        proc,
        lines,
        exited,
        stop(signal: NodeJS.Signals = 'SIGTERM') {
          if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
          return exited;
        },
      });
    };
    for (const stream of [proc.stdout, proc.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          onLine(buf.slice(0, i));
          buf = buf.slice(i + 1);
        }
      });
    }
    void exited.then((r) => {
      if (!settled) reject(new Error(`server exited (${r.code ?? r.signal}) before it was ready:\n${lines.join('\n')}`));
    });
  });
}

/** Runs the CLI to completion (for refusals at start and `plan check`). */
export function runCli(args: readonly string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawn(process.execPath, ['--conditions=pinhole-source', '--import', 'tsx', CLI, ...args], { env: { ...process.env, ...TOKENS_ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => proc.on('exit', (code) => resolve({ code, stdout, stderr })));
}

export async function upload(url: string, body: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; type: string; json: any }> {
  const res = await fetch(`${url}/v1/reports`, { method: 'POST', headers: { 'content-type': 'application/msgpack', ...headers }, body: body as Uint8Array<ArrayBuffer> });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', json: text ? JSON.parse(text) : null };
}

export async function get(url: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; type: string; text: string; json: any }> {
  const res = await fetch(`${url}${path}`, { headers });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* CSV or metrics */
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, json };
}

export async function closeRound(url: string, roundId: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${url}/v1/rounds/${roundId}/close`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR}` } });
  return { status: res.status, json: await res.json() };
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return out;
}

/** A simulated device: its secret, and its report for a round (one uniformly random bucket per histogram collection). */
export function deviceReport(plan: Plan, roundId: string, secret: Uint8Array, rng: Rng, mechanisms = new Map<string, ReturnType<typeof deviceMechanism>>()): Uint8Array {
  const entries = plan.collections.map((c) => {
    let m = mechanisms.get(c.id);
    if (!m) {
      m = deviceMechanism(c, { allowInsecureRng: true });
      mechanisms.set(c.id, m);
    }
    const input = c.kind === 'histogram' ? { bucket: rng.int(c.domainSize) } : { group: rng.int(c.groups), value: 10 };
    return deviceEntry(c, input, rng, { mechanism: m });
  });
  return encodeRoundReport({
    planId: plan.id,
    planRevision: plan.revision,
    roundId,
    reportId: makeReportId(rng, { allowInsecureRng: true }),
    contributor: contributorToken(secret, { planId: plan.id, roundId }),
    entries,
  });
}

export function secretOf(i: number, salt = 'device'): Uint8Array {
  return createHash('sha256').update(`${salt}-${i}`).digest();
}
