/**
 * The pinhole-directory command as a child process on loopback, spoken to over HTTP: enrolment
 * with proof of possession and an operator token, lookups, revocation, hostile requests, a SIGKILL
 * and restart on the same log; and secure-aggregation rounds whose clients ask it through
 * httpKeyDirectory: an honest round completes, a substituted key is refused.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/seeded';
import { httpKeyDirectory, makeRoundConfig, simulateRound } from '@pinhole/secagg';
import { enrolmentProof } from '../src/index.js';

const BIN = new URL('../bin/pinhole-directory.js', import.meta.url).pathname;
const TOKEN = 'operator-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'pinhole-directory-'));
const data = join(dir, 'keys.log');
const tokenFile = join(dir, 'token');
writeFileSync(tokenFile, `${TOKEN}\n`);

interface Running {
  child: ChildProcess;
  url: string;
}

/** Starts the command in its own process group (so a kill reaches the server behind the launcher). */
function start(): Promise<Running> {
  const child = spawn(process.execPath, [BIN, '--data', data, '--port', '0', '--admin-token-file', tokenFile, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`pinhole-directory did not start in 60 s: ${err}`)), 60_000);
    child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve({ child, url: (JSON.parse(line) as { listening: string }).listening });
      }
    });
    child.on('exit', (code) => reject(new Error(`pinhole-directory exited with ${code}: ${err}`)));
  });
}

function stop(r: Running, signal: NodeJS.Signals): Promise<number | null> {
  return new Promise((resolve) => {
    r.child.once('exit', (code) => resolve(code));
    // SIGTERM goes to the launcher, which passes it on; SIGKILL to the whole group, as a crash would.
    process.kill(signal === 'SIGKILL' ? -(r.child.pid as number) : (r.child.pid as number), signal);
  });
}

const secret = (id: number): Uint8Array => seededRng('directory-fleet').stream(id).bytes(32);
const identity = (id: number): string => `phone-${id}`;

async function enrol(url: string, id: number, token = TOKEN, sk = secret(id)): Promise<Response> {
  return fetch(`${url}/v1/keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ identity: identity(id), ...enrolmentProof(identity(id), sk) }),
  });
}

let server: Running;

beforeAll(async () => {
  server = await start();
}, 90_000);

afterAll(async () => {
  if (server.child.exitCode === null) expect(await stop(server, 'SIGTERM')).toBe(0);
  rmSync(dir, { recursive: true, force: true });
});

describe('pinhole-directory over HTTP', () => {
  it('enrols with proof of possession, looks up, revokes', async () => {
    for (let id = 1; id <= 8; id++) expect((await enrol(server.url, id)).status).toBe(201);
    expect((await enrol(server.url, 1)).status).toBe(200); // the same key again: idempotent
    const again = await enrol(server.url, 1, TOKEN, secret(99));
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'invalid_state', param: 'identity' });
    const one = (await (await fetch(`${server.url}/v1/keys/phone-3`)).json()) as { publicKey: string; status: string };
    expect(one).toMatchObject({ identity: 'phone-3', status: 'active', publicKey: enrolmentProof('phone-3', secret(3)).publicKey });
    const looked = (await (
      await fetch(`${server.url}/v1/keys/lookup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identities: ['phone-2', 'nobody'] }) })
    ).json()) as { keys: unknown[] };
    expect(looked.keys[0]).toMatchObject({ identity: 'phone-2', status: 'active' });
    expect(looked.keys[1]).toBeNull();
    const revoked = await fetch(`${server.url}/v1/keys/phone-8`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await revoked.json()).toMatchObject({ identity: 'phone-8', status: 'revoked' });
    const d = httpKeyDirectory({ baseUrl: server.url, cacheMs: 0 });
    const key = (id: number) => Uint8Array.from(Buffer.from(enrolmentProof(identity(id), secret(id)).publicKey, 'hex'));
    expect(
      await d.verifyMany?.([
        { identity: 'phone-1', publicKey: key(1) },
        { identity: 'phone-1', publicKey: key(2) },
        { identity: 'phone-8', publicKey: key(8) },
        { identity: 'nobody', publicKey: key(1) },
      ]),
    ).toEqual([true, false, false, false]);
  });

  it('serves an OpenAPI document that lists every route', async () => {
    const doc = (await (await fetch(`${server.url}/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toMatch(/^3\./);
    const routes = Object.entries(doc.paths)
      .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    expect(routes).toEqual(['DELETE /v1/keys/{identity}', 'GET /v1/health', 'GET /v1/keys/{identity}', 'POST /v1/keys', 'POST /v1/keys/lookup']);
  });

  it('answers hostile requests with problem+json and stays up, the log unchanged', async () => {
    const before = readFileSync(data, 'utf8');
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    const cases: [Promise<Response>, number, string, string][] = [
      [post('/v1/keys/lookup', '{"identities": ['), 400, 'decode_failed', 'body'],
      [post('/v1/keys/lookup', JSON.stringify({ identities: Array.from({ length: 1025 }, (_, i) => `p-${i}`) })), 400, 'invalid_argument', 'body'],
      [post('/v1/keys/lookup', JSON.stringify({ identities: ['has space'] })), 400, 'invalid_argument', 'body'],
      [post('/v1/keys/lookup', 'x'.repeat(300 * 1024)), 413, 'invalid_argument', 'body'],
      [post('/v1/keys/lookup', 'identities=a', { 'content-type': 'application/xml' }), 415, 'decode_failed', 'body'],
      [enrol(server.url, 9, 'wrong-token-0123456789'), 401, 'invalid_argument', 'authorization'],
      [post('/v1/keys', JSON.stringify({ identity: 'phone-9', ...enrolmentProof('phone-9', secret(9)) })), 401, 'invalid_argument', 'authorization'],
      [
        post('/v1/keys', JSON.stringify({ identity: 'phone-9', publicKey: enrolmentProof('phone-9', secret(9)).publicKey, proof: enrolmentProof('phone-9', secret(10)).proof }), {
          authorization: `Bearer ${TOKEN}`,
        }),
        400,
        'verify_failed',
        'proof',
      ],
      [fetch(`${server.url}/v1/keys/phone-404`), 404, 'invalid_argument', 'identity'],
      [fetch(`${server.url}/v1/nothing`), 404, 'invalid_argument', 'path'],
      // found by the HTTP fuzz suite: a path that is not valid percent-encoding got Fastify's own JSON
      [fetch(`${server.url}/v1/keys/%ff%fe`), 400, 'invalid_argument', 'path'],
      [fetch(`${server.url}/v1/keys/%E0%A4%A`, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } }), 400, 'invalid_argument', 'path'],
    ];
    for (const [res, status, code, param] of cases) {
      const r = await res;
      expect(r.status).toBe(status);
      expect(r.headers.get('content-type')).toMatch(/application\/problem\+json/);
      const body = (await r.json()) as Record<string, unknown>;
      expect(body).toMatchObject({ code, param, status });
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts|node_modules|stack/);
    }
    expect(readFileSync(data, 'utf8')).toBe(before);
    expect((await fetch(`${server.url}/v1/health`)).status).toBe(200);
  });

  it('keeps every acknowledged enrolment across a SIGKILL and restart', async () => {
    expect((await enrol(server.url, 20)).status).toBe(201);
    await stop(server, 'SIGKILL');
    server = await start();
    const r = (await (await fetch(`${server.url}/v1/keys/phone-20`)).json()) as { status: string };
    expect(r.status).toBe('active');
    expect(((await (await fetch(`${server.url}/v1/keys/phone-8`)).json()) as { status: string }).status).toBe('revoked');
  }, 90_000);
});

describe('secure aggregation with the directory service', () => {
  const n = 6;
  const config = (roundId: string) => makeRoundConfig({ roundId, cohortSize: n, threshold: 4, bits: 16, vectorLength: 4, threatModel: 'key_directory' });
  const inputs = Array.from({ length: n }, (_, i) => Uint32Array.from([i, 1, 2, 3]));

  it('an honest round whose clients ask the directory over HTTP completes with the exact sum', async () => {
    const base = seededRng('dir-round');
    const report = await simulateRound({
      config: config('dir-round'),
      inputs,
      clientRng: (id) => base.stream(id),
      allowInsecureRng: true,
      directory: httpKeyDirectory({ baseUrl: server.url }),
      signingKeys: (id) => ({ identity: identity(id), secretKey: secret(id) }),
    });
    expect(Array.from(report.result.sum)).toEqual([15, 6, 12, 18]);
    expect(report.result.threatModel).toBe('key_directory');
  });

  it('a device whose key is not the enrolled one is refused by its neighbours', async () => {
    const base = seededRng('dir-round-2');
    const err = await simulateRound({
      config: config('dir-round-2'),
      inputs,
      clientRng: (id) => base.stream(id),
      allowInsecureRng: true,
      directory: httpKeyDirectory({ baseUrl: server.url }),
      // phone-5 signs with a key the directory does not hold for it (a key the server made up)
      signingKeys: (id) => ({ identity: identity(id), secretKey: id === 5 ? secret(55) : secret(id) }),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'verify_failed', param: expect.stringMatching(/^vks\[\d\]$/) });
    expect((err as Error).message).toMatch(/does not vouch for the signing key of 5 \(identity phone-5\)/);
  });
});
