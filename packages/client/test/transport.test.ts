/**
 * The HTTP layer against a real HTTP server on 127.0.0.1 whose answers the test scripts: retries of
 * what may succeed later, none of what will not, Retry-After, the backoff's bounds, timeouts, aborts.
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/seeded';
import { Aborted, Http, ServerProblem, Unreachable } from '../src/transport.js';

type Handler = (req: IncomingMessage, res: ServerResponse, hit: number) => void;
let handler: Handler = (_q, r) => r.end();
let hits = 0;
const times: number[] = [];
const server = createServer((req, res) => {
  hits++;
  times.push(performance.now());
  handler(req, res, hits);
});
let base = '';

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function reset(h: Handler): void {
  handler = h;
  hits = 0;
  times.length = 0;
}

const http = (over: Partial<{ attempts: number; baseDelayMs: number; maxDelayMs: number; timeoutMs: number }> = {}) =>
  new Http(base, (i, init) => fetch(i, init as RequestInit), { attempts: 4, baseDelayMs: 5, maxDelayMs: 50, timeoutMs: 2000, ...over }, seededRng('transport'));

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  return null;
}

describe('http with retries', () => {
  it('retries 503 and 429 and returns the first success', async () => {
    reset((_q, res, n) => {
      if (n === 1) res.writeHead(503).end();
      else if (n === 2) res.writeHead(429, { 'retry-after': '0' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const r = await http().request('/x');
    expect(r.json()).toEqual({ ok: true });
    expect(hits).toBe(3);
  });
  it('does not retry a refusal: a 4xx comes back as the server’s problem', async () => {
    reset((_q, res) =>
      res
        .writeHead(409, { 'content-type': 'application/problem+json' })
        .end(JSON.stringify({ type: 't', title: 'x', status: 409, detail: 'round closed', code: 'invalid_state', param: 'report.roundId' })),
    );
    const e = await failure(http().request('/x', { method: 'POST', body: new Uint8Array([1]) }));
    expect(e).toBeInstanceOf(ServerProblem);
    expect(e).toMatchObject({ status: 409, code: 'invalid_state', param: 'report.roundId', message: 'round closed' });
    expect(hits).toBe(1);
  });
  it('gives up after the attempts with Unreachable (a refused connection, or 5xx every time)', async () => {
    reset((_q, res) => res.writeHead(500).end());
    const e = await failure(http().request('/x'));
    expect(e).toBeInstanceOf(Unreachable);
    expect((e as Unreachable).status).toBe(500);
    expect(hits).toBe(4);
    const closed = new Http('http://127.0.0.1:1', (i, init) => fetch(i, init as RequestInit), { attempts: 2, baseDelayMs: 1, maxDelayMs: 1, timeoutMs: 1000 }, seededRng('t'));
    expect(await failure(closed.request('/x'))).toBeInstanceOf(Unreachable);
  });
  it('honours Retry-After (seconds) up to the cap', async () => {
    reset((_q, res, n) => (n === 1 ? res.writeHead(503, { 'retry-after': '0.2' }).end() : res.writeHead(200).end()));
    await http({ maxDelayMs: 1000 }).request('/x');
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(180);
  });
  it('times out an attempt that hangs and retries it', async () => {
    reset((_q, res, n) => {
      if (n > 1) res.writeHead(200).end();
      // the first request never gets an answer
    });
    const r = await http({ timeoutMs: 100 }).request('/x');
    expect(r.status).toBe(200);
    expect(hits).toBe(2);
  });
  it('the caller’s signal aborts waiting, between attempts too', async () => {
    reset((_q, res) => res.writeHead(503).end());
    const c = new AbortController();
    const p = http({ baseDelayMs: 10_000, maxDelayMs: 10_000 }).request('/x', { signal: c.signal });
    setTimeout(() => c.abort(), 50);
    expect(await failure(p)).toBeInstanceOf(Aborted);
  });
  it('backoff is uniform in [0, min(cap, base·2^(k-1))] (full jitter)', () => {
    const h = new Http(base, fetch as never, { attempts: 5, baseDelayMs: 100, maxDelayMs: 1000, timeoutMs: 1 }, seededRng('jitter'));
    for (let k = 1; k <= 8; k++) {
      const ceiling = Math.min(1000, 100 * 2 ** (k - 1));
      const draws = Array.from({ length: 2000 }, () => h.backoffMs(k));
      expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...draws)).toBeLessThanOrEqual(ceiling);
      // mean of 2,000 uniforms on [0, c]: sd c/sqrt(12·2000); 6 sd fails a correct draw with probability ~2e-9
      const mean = draws.reduce((a, b) => a + b, 0) / draws.length;
      expect(Math.abs(mean - ceiling / 2)).toBeLessThan((6 * ceiling) / Math.sqrt(12 * 2000));
    }
  });
});
