/**
 * A fleet of simulated devices against a real aggregator: the server (`pinhole-aggregator serve`)
 * and, for key-directory plans, the key directory (`pinhole-directory`) as child processes on
 * 127.0.0.1, and N devices running the real @pinhole/client over real HTTP, each with its own
 * storage. Used by examples/simulate.ts and the end-to-end tests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Fetch, type KeyValueStorage, type NetworkSample, type PinholeClient, type Plan, type SyncResult, createClient, memoryStorage } from '@pinhole/client';
import { type SecAggCrypto, secureAggregation } from '@pinhole/client/secagg';
import type { Rng } from '@pinhole/core';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const AGGREGATOR_CLI = join(ROOT, 'packages', 'aggregator', 'src', 'cli.ts');
const DIRECTORY_CLI = join(ROOT, 'packages', 'directory', 'src', 'cli.ts');

export const CARRIER_TOKEN = 'example-carrier-token-0123456789';
export const OPERATOR_TOKEN = 'example-operator-token-0123456789';
export const DIRECTORY_TOKEN = 'example-directory-token-0123456789';

export interface Process {
  readonly url: string;
  readonly proc: ChildProcess;
  readonly lines: string[];
  stop(signal?: NodeJS.Signals): Promise<void>;
}

function spawnReady(args: string[], env: Record<string, string>, ready: (line: string) => string | null, label: string): Promise<Process> {
  const proc = spawn(process.execPath, ['--conditions=pinhole-source', '--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  const exited = new Promise<void>((resolve) => proc.on('exit', () => resolve()));
  return new Promise((resolve, reject) => {
    let settled = false;
    for (const stream of [proc.stdout, proc.stderr]) {
      let buf = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          if (lines.length < 20_000) lines.push(line);
          const url = settled ? null : ready(line);
          if (url !== null) {
            settled = true;
            resolve({
              url,
              proc,
              lines,
              async stop(signal: NodeJS.Signals = 'SIGTERM') {
                if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
                await exited;
              },
            });
          }
        }
      });
    }
    void exited.then(() => {
      if (!settled) reject(new Error(`${label} exited before it was ready:\n${lines.slice(-20).join('\n')}`));
    });
  });
}

export interface AggregatorOptions {
  readonly db: string;
  readonly plan: Plan;
  readonly dir: string;
  readonly args?: readonly string[];
}

/** Starts `pinhole-aggregator serve` on 127.0.0.1 (a free port) with the example tokens. */
export function startAggregator(o: AggregatorOptions): Promise<Process> {
  const planFile = join(o.dir, `plan-${o.plan.id}-${o.plan.revision}.json`);
  writeFileSync(planFile, JSON.stringify(o.plan, null, 2));
  return spawnReady(
    [AGGREGATOR_CLI, 'serve', '--db', o.db, '--plan', planFile, '--port', '0', '--host', '127.0.0.1', '--rate-limit', '0', '--log-level', 'info', ...(o.args ?? [])],
    { PINHOLE_CARRIER_TOKENS: `example=${CARRIER_TOKEN}`, PINHOLE_OPERATOR_TOKENS: `ops=${OPERATOR_TOKEN}` },
    (line) => (line.includes('pinhole aggregator ready') ? (JSON.parse(line) as { url: string }).url : null),
    'pinhole-aggregator',
  );
}

/** Starts `pinhole-directory` on 127.0.0.1 (port 0: a free one) with a fresh key log. */
export function startDirectory(o: { readonly dir: string; readonly port?: number }): Promise<Process> {
  const tokenFile = join(o.dir, 'directory-token');
  writeFileSync(tokenFile, DIRECTORY_TOKEN);
  return spawnReady(
    [DIRECTORY_CLI, '--data', join(o.dir, 'keys.log'), '--host', '127.0.0.1', '--port', String(o.port ?? 0), '--admin-token-file', tokenFile, '--log-level', 'warn'],
    {},
    (line) => (line.startsWith('{"listening"') ? (JSON.parse(line) as { listening: string }).listening : null),
    'pinhole-directory',
  );
}

export function tempDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `pinhole-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Device {
  readonly index: number;
  readonly storage: KeyValueStorage;
  readonly client: PinholeClient;
  readonly secagg: ReturnType<typeof secureAggregation> | null;
  /** protocol messages this device posted (secure aggregation) */
  messagesPosted: number;
}

export interface DeviceOptions {
  readonly serverUrl: string;
  /** the key directory devices trust (key-directory plans) */
  readonly keyDirectory?: string;
  readonly honestButCurious?: boolean;
  readonly waitSeconds?: number;
  /** for a simulation: seeded randomness per device (marked insecure); default the CSPRNG */
  readonly rng?: (index: number) => Rng;
  readonly crypto?: SecAggCrypto;
  /** wraps each device's fetch (dropped responses, vanishing devices) */
  readonly fetch?: (index: number, device: () => Device) => Fetch;
  readonly clock?: () => number;
}

/** A device's timeout per request (a phone's would be shorter): the simulated devices share one event loop. */
const TIMEOUT_MS = 60_000;

/** Creates the devices' clients (each with its own storage) and records their samples. */
export async function makeDevices(samples: readonly (readonly NetworkSample[])[], o: DeviceOptions): Promise<Device[]> {
  const devices: Device[] = [];
  for (let i = 0; i < samples.length; i++) {
    const storage = memoryStorage();
    const rng = o.rng?.(i);
    const secagg =
      o.keyDirectory !== undefined || o.honestButCurious
        ? secureAggregation({
            ...(o.keyDirectory === undefined ? {} : { keyDirectory: o.keyDirectory }),
            ...(o.honestButCurious ? { honestButCurious: true } : {}),
            waitSeconds: o.waitSeconds ?? 20,
            // the same allowance as the server requests below: one process runs every device, so a
            // device's wall-clock wait includes the others' work (a whole cohort shares keys at once)
            directoryTimeoutMs: TIMEOUT_MS,
            ...(o.crypto ? { crypto: o.crypto } : {}),
            ...(rng ? { rng, allowInsecureRng: true } : {}),
          })
        : null;
    let device: Device | null = null;
    const baseFetch: Fetch = (input, init) => fetch(input, init as RequestInit);
    const wrapped = o.fetch ? o.fetch(i, () => device as Device) : baseFetch;
    const counting: Fetch = async (input, init) => {
      const res = await wrapped(input, init);
      if (init?.method === 'POST' && input.endsWith('/messages') && res.status < 300) (device as Device).messagesPosted++;
      return res;
    };
    const client = createClient({
      serverUrl: o.serverUrl,
      storage,
      fetch: counting,
      retry: { attempts: 6, baseDelayMs: 200, maxDelayMs: 5_000, timeoutMs: TIMEOUT_MS },
      ...(secagg ? { secureAggregation: secagg } : {}),
      ...(rng ? { rng, allowInsecureRng: true } : {}),
      ...(o.clock ? { clock: o.clock } : {}),
    });
    device = { index: i, storage, client, secagg, messagesPosted: 0 };
    for (const s of samples[i] ?? []) await client.record(s);
    devices.push(device);
  }
  return devices;
}

/** Enrols every device's signing key with the directory, as the operator's provisioning would. */
export async function enrolDevices(directoryUrl: string, devices: readonly Device[], concurrency = 16): Promise<void> {
  await pool(devices, concurrency, async (d) => {
    if (!d.secagg) return;
    const e = await d.secagg.enrolment(d.storage);
    const res = await fetch(`${directoryUrl}/v1/keys`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${DIRECTORY_TOKEN}` }, body: JSON.stringify(e) });
    if (res.status !== 201 && res.status !== 200) throw new Error(`enrolment of device ${d.index} refused: ${res.status} ${await res.text()}`);
  });
}

/** Runs `fn` over `items` with at most `concurrency` in flight. */
export async function pool<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i] as T, i);
      }
    }),
  );
  return out;
}

/** Every device syncs once (secure-aggregation devices all at once: they wait for each other's phases). */
export function syncAll(devices: readonly Device[], o: { readonly concurrency?: number; readonly signal?: (index: number) => AbortSignal | undefined } = {}): Promise<SyncResult[]> {
  return pool(devices, o.concurrency ?? devices.length, (d) => {
    const signal = o.signal?.(d.index);
    return d.client.sync(signal ? { signal } : {});
  });
}

/** A parsed response body as the callers read it, field by field, per route (the routes' bodies differ). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON of many routes, read by tests and examples as each route documents it
type JsonBody = any;

export async function getJson(url: string, path: string, token?: string): Promise<{ status: number; json: JsonBody }> {
  const res = await fetch(`${url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, json };
}

export async function closeRound(url: string, roundId: string): Promise<{ status: number; json: JsonBody }> {
  const res = await fetch(`${url}/v1/rounds/${roundId}/close`, { method: 'POST', headers: { authorization: `Bearer ${OPERATOR_TOKEN}` } });
  const json: unknown = await res.json();
  return { status: res.status, json };
}

/** Waits until the server's current round is another than `after` (null: any round) and returns its id. */
export async function waitForNextRound(url: string, after: string | null, timeoutMs = 20_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await getJson(url, '/v1/rounds/current');
    const body: unknown = r.json;
    const roundId = typeof body === 'object' && body !== null && 'roundId' in body ? body.roundId : undefined;
    if (r.status === 200 && typeof roundId === 'string' && roundId !== after) return roundId;
    if (Date.now() > until) throw new Error(`no round after ${String(after)} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the round's release is published (carriers' view) and returns it. */
export async function waitForRelease(url: string, roundId: string, timeoutMs = 600_000): Promise<JsonBody> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const r = await getJson(url, `/v1/releases/${roundId}`, CARRIER_TOKEN);
    if (r.status === 200) return r.json;
    if (Date.now() > until) throw new Error(`no release of ${roundId} after ${timeoutMs} ms (last answer ${r.status})`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
