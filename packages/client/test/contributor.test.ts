/**
 * Contributor tokens on the device: WebCrypto's HMAC by default; where `crypto.subtle` is missing
 * the sync fails with `unsupported` before anything is charged or queued, and an app-supplied
 * HMAC-SHA256 (`hmacSha256`) gives the token the server expects.
 */
import { createHmac } from 'node:crypto';
import { type Plan, contributorToken, decodeRoundReport } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { afterEach, describe, expect, it } from 'vitest';
import { type Fetch, createClient, memoryStorage } from '../src/index.js';
import { T0, ldpPlan, sample } from './helpers.js';

/** A server that serves one plan and one round and keeps the uploaded report bodies. */
function fakeServer(plan: Plan): { fetch: Fetch; uploads: Uint8Array[] } {
  const uploads: Uint8Array[] = [];
  const answer = (status: number, body: Uint8Array | string, type = 'application/json') => ({
    status,
    headers: { get: (n: string) => (n.toLowerCase() === 'content-type' ? type : null) },
    arrayBuffer: async () => (typeof body === 'string' ? new TextEncoder().encode(body) : body).slice().buffer,
  });
  const fetch: Fetch = async (url, init) => {
    const path = new URL(url).pathname;
    if (path === '/v1/plan') return answer(200, JSON.stringify(plan));
    if (path === '/v1/rounds/current')
      return answer(200, JSON.stringify({ roundId: 'r1', planId: plan.id, planRevision: plan.revision, status: 'collecting', openedAt: new Date(T0).toISOString(), closesAt: null }));
    if (path === '/v1/reports' && init?.method === 'POST') {
      uploads.push(init.body as Uint8Array);
      return answer(202, '{}');
    }
    return answer(404, '{}');
  };
  return { fetch, uploads };
}

const saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto') as PropertyDescriptor;
afterEach(() => {
  Object.defineProperty(globalThis, 'crypto', saved);
});

describe('contributor tokens on the device', () => {
  it('refuses an hmacSha256 that is not a function', () => {
    expect(() => createClient({ serverUrl: 'http://127.0.0.1:1', storage: memoryStorage(), hmacSha256: 'sha' as never })).toThrow(
      expect.objectContaining({ code: 'invalid_argument', param: 'options.hmacSha256' }),
    );
  });

  it('without crypto.subtle: fails before charging; with hmacSha256: reports with the token the server expects', async () => {
    const plan = ldpPlan();
    const server = fakeServer(plan);
    const storage = memoryStorage();
    const options = { serverUrl: 'http://pinhole.test', storage, fetch: server.fetch, clock: () => T0 + 1000, rng: seededRng('contributor'), allowInsecureRng: true };
    const bare = createClient(options);
    await bare.record(sample({ timestamp: T0 }));
    Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues: globalThis.crypto.getRandomValues.bind(globalThis.crypto) }, configurable: true });
    const failed = await bare.sync();
    expect(failed.outcome).toBe('failed');
    expect(failed.error).toMatchObject({ code: 'unsupported', param: 'crypto' });
    expect(failed.budget?.roundsReported).toBe(0);
    expect(failed.pending).toBe(0);
    expect(server.uploads).toHaveLength(0);

    const withHmac = createClient({ ...options, hmacSha256: (k, m) => new Uint8Array(createHmac('sha256', k).update(m).digest()) });
    const done = await withHmac.sync();
    expect(done.outcome).toBe('reported');
    expect(done.budget?.roundsReported).toBe(1);
    expect(server.uploads).toHaveLength(1);
    const device = JSON.parse((await storage.get('device')) as string) as { secret: string };
    const secret = Uint8Array.from(atob(device.secret), (c) => c.charCodeAt(0));
    expect(decodeRoundReport(server.uploads[0]!).contributor).toBe(contributorToken(secret, { planId: plan.id, roundId: 'r1' }));
  });
});
