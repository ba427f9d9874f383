/**
 * The servers the HTTP fuzz suites speak to, each a real process on 127.0.0.1 with its own
 * temporary storage: the aggregator with an LDP plan, the aggregator with a secure-aggregation
 * plan (its round routes live), and pinhole-directory with its key log.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { encodeEnvelope } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import { makePlan } from '@pinhole/aggregator';
import { enrolmentProof } from '@pinhole/directory';
import { CARRIER, OPERATOR, type Child, deviceReport, get, removeTempDirs, secretOf, startServer, tempDir, writePlan } from '../../packages/aggregator/test/support/server.js';
import { sqliteTablesDigest as tablesDigest } from '../../packages/aggregator/test/support/backends.js';
import { type Answer, type FuzzRequest, type HttpFuzzServer, type Operation, operationsOf, requestsFor, fuzzOperation } from './http.js';

const domains = { operators: ['460-00', '460-01'], regions: ['north', 'south'], cells: ['n1', 'n2', 's1'] };
/** Bodies above this are refused with 413 (the servers' limit, set low so oversized bodies are cheap). */
const MAX_BODY = 64 * 1024;

export interface FuzzedServer extends HttpFuzzServer {
  readonly name: string;
  readonly operations: readonly Operation[];
  /** runs every operation's target */
  fuzz(op: Operation, numRuns: number, seed: number): Promise<void>;
  stop(): Promise<void>;
}

async function openapi(base: string): Promise<Operation[]> {
  const r = await fetch(`${base}/v1/openapi.json`);
  return operationsOf(await r.json());
}

function sessionLearner(sessions: string[]) {
  return (r: FuzzRequest, a: Answer): void => {
    if (r.method === 'POST' && /\/secagg\/[^/]+\/join$/.test(r.url.split('?')[0] as string)) {
      const s = (JSON.parse(a.text) as { session?: unknown }).session;
      if (typeof s === 'string' && sessions.length < 64) sessions.push(s);
    }
  };
}

/** The aggregator (`pinhole-aggregator serve`) with an LDP or a secure-aggregation plan. */
export async function aggregatorServer(mode: 'ldp' | 'secagg'): Promise<FuzzedServer> {
  const dir = tempDir(`fuzz-http-${mode}`);
  const db = join(dir, 'pinhole.db');
  const plan =
    mode === 'ldp'
      ? makePlan({ id: 'fuzz-ldp', insights: ['network-type-share', 'rtt-mean'], domains, budget: { epsilon: 2, delta: 1e-6 }, mode: 'ldp', expectedDevices: 1000 })
      : makePlan({ id: 'fuzz-secagg', insights: ['device-class-share'], domains, budget: { epsilon: 1, delta: 1e-6 }, mode: 'secagg', expectedDevices: 1000, secagg: { dropoutRate: 0.1 } });
  // no rate limit (the fuzzer is one client); phases far longer than a run so no timer changes the tables
  const child: Child = await startServer({
    db,
    plan: writePlan(dir, plan),
    args: ['--rate-limit', '0', '--max-body-bytes', String(MAX_BODY), '--secagg-join-seconds', '3600', '--secagg-phase-seconds', '3600'],
  });
  const roundId = (await get(child.url, '/v1/rounds/current')).json.roundId as string;
  const rng = seededRng(`fuzz-http-${mode}`);
  const sessions: string[] = [];
  const valid: Uint8Array[] = [];
  if (mode === 'ldp') for (let i = 0; i < 4; i++) valid.push(deviceReport(plan, roundId, secretOf(i, 'fuzz'), rng));
  else {
    valid.push(new TextEncoder().encode(JSON.stringify({ contributor: 'ab'.repeat(16) })));
    valid.push(
      encodeEnvelope('secagg/advertise', {
        round: roundId,
        id: 1,
        identity: 'device-1',
        vk: new Uint8Array(32),
        cPk: new Uint8Array(32),
        sPk: new Uint8Array(32),
        commitment: new Uint8Array(32),
        sig: new Uint8Array(64),
      }),
    );
  }
  const operations = await openapi(child.url);
  const tokens = () => [CARRIER, OPERATOR, ...sessions];
  const server: FuzzedServer = {
    name: `aggregator (${mode})`,
    base: child.url,
    operations,
    digest: () => tablesDigest(db),
    alive: () => child.proc.exitCode === null && child.proc.signalCode === null,
    fuzz: (op, numRuns, seed) => fuzzOperation(server, op, requestsFor(op, [roundId], { tokens }, valid, MAX_BODY), numRuns, seed, sessionLearner(sessions)),
    async stop() {
      const r = await child.stop();
      if (r.code !== 0) throw new Error(`the aggregator exited with ${r.code ?? r.signal} on SIGTERM:\n${child.lines.slice(-20).join('\n')}`);
    },
  };
  return server;
}

const DIRECTORY_BIN = new URL('../../packages/directory/bin/pinhole-directory.js', import.meta.url).pathname;
const DIRECTORY_TOKEN = 'operator-token-fuzz-0123456789';

/** pinhole-directory with a fresh key log (two enrolled keys); its body limit is fixed at 256 kB. */
export async function directoryServer(): Promise<FuzzedServer> {
  const dir = tempDir('fuzz-http-directory');
  const data = join(dir, 'keys.log');
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${DIRECTORY_TOKEN}\n`);
  const child: ChildProcess = spawn(process.execPath, [DIRECTORY_BIN, '--data', data, '--port', '0', '--admin-token-file', tokenFile, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const base = await new Promise<string>((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve((JSON.parse(line) as { listening: string }).listening);
    });
    child.on('exit', (code) => reject(new Error(`pinhole-directory exited with ${code}: ${err}`)));
  });
  const secret = (i: number) => seededRng('fuzz-directory').stream(i).bytes(32);
  const enrol = (i: number) => ({ identity: `phone-${i}`, ...enrolmentProof(`phone-${i}`, secret(i)) });
  for (const i of [1, 2]) {
    const r = await fetch(`${base}/v1/keys`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${DIRECTORY_TOKEN}` }, body: JSON.stringify(enrol(i)) });
    if (r.status !== 201) throw new Error(`enrolment failed: ${r.status}`);
  }
  const valid = [3, 4].map((i) => new TextEncoder().encode(JSON.stringify(enrol(i))));
  valid.push(new TextEncoder().encode(JSON.stringify({ identities: ['phone-1', 'phone-2'] })));
  const operations = await openapi(base);
  const server: FuzzedServer = {
    name: 'directory',
    base,
    operations,
    digest: () => (existsSync(data) ? createHash('sha256').update(readFileSync(data)).digest('hex') : 'none'),
    alive: () => child.exitCode === null && child.signalCode === null,
    fuzz: (op, numRuns, seed) => fuzzOperation(server, op, requestsFor(op, ['phone-1', 'phone-2', 'phone-3'], { tokens: () => [DIRECTORY_TOKEN] }, valid, 256 * 1024), numRuns, seed),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pinhole-directory exited with ${code} on SIGTERM`))));
        child.kill('SIGTERM');
      }),
  };
  return server;
}

/** The HTTP fuzz suite over every server (the short CI run and the long run differ in count, seed and time). */
export function describeHttpFuzz(run: 'short' | 'long', runs: number, seed: number, timeoutMs: number): void {
  afterAll(removeTempDirs);
  for (const [label, start] of [
    ['aggregator, LDP plan', () => aggregatorServer('ldp')],
    ['aggregator, secure-aggregation plan', () => aggregatorServer('secagg')],
    ['pinhole-directory', directoryServer],
  ] as const) {
    describe(`fuzz (${run}) over HTTP: ${label}`, () => {
      it(
        'every route from the OpenAPI document: never 5xx, refusals are problem+json and change nothing stored, the process stays up',
        async () => {
          const server: FuzzedServer = await start();
          try {
            for (const op of server.operations) await server.fuzz(op, runs, seed);
          } finally {
            await server.stop();
          }
        },
        timeoutMs,
      );
    });
  }
}
