/**
 * The helper of a two-aggregator plan, as a process over HTTP, spoken to as a (possibly malicious)
 * leader would: its routes need the shared bearer token; it opens only rounds of its plan's current
 * period; it verifies with the leader's verifier shares; it gives its aggregate share only over
 * reports it verified itself, at least the minimum cohort, and once per round (a retry gets the same
 * noisy share, other reports nothing); it serves no releases.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePlan } from '@pinhole/aggregator';
import { prio3Report } from '@pinhole/client/prio3';
import { contributorToken, decodeRoundReport } from '@pinhole/core';
import { decodeEnvelope, encodeEnvelope } from '@pinhole/core/wire';
import { planPeriod } from '@pinhole/core/plan';
import { seededRng } from '@pinhole/core/seeded';
import { LEADER_ID, decodePrio3Entry, prio3Context, prio3Nonce, prio3Vdaf } from '@pinhole/prio3';
import { CARRIER, type Child, get, removeTempDirs, secretOf, startServer, tempDir, upload, writePlan } from './support/server.js';

const TOKEN = 'peer-token-0123456789abcdef-helper';
const KEY_HEX = '3c'.repeat(32);
const KEY = Uint8Array.from(Buffer.from(KEY_HEX, 'hex'));
const DOMAINS = { operators: ['460-00', '460-01'], regions: ['north', 'south'], cells: ['n1', 's1'] };
const plan = makePlan({
  id: 'helper-test',
  insights: ['network-type-share'],
  domains: DOMAINS,
  budget: { epsilon: 1, delta: 1e-6 },
  mode: 'prio3',
  expectedDevices: 100,
  k: 2,
  schedule: { roundsPerPeriod: 2, roundSeconds: 3600 },
});
const ROUND = 'helper-test.r1';
let helper: Child;
const reports: ReturnType<typeof prio3Report>[] = [];

const peer = (path: string, body: Uint8Array | string, token: string | null = TOKEN) =>
  fetch(`${helper.url}/v1/prio3/rounds/${ROUND}/${path}`, {
    method: 'POST',
    headers: { ...(token === null ? {} : { authorization: `Bearer ${token}` }), 'content-type': typeof body === 'string' ? 'application/json' : 'application/octet-stream' },
    body: body as BodyInit,
  });

function announce(over: Record<string, unknown> = {}): string {
  const p = planPeriod(plan, Date.now());
  return JSON.stringify({
    planId: plan.id,
    planRevision: plan.revision,
    periodStart: p.startMs,
    periodEnd: p.endMs,
    openedAt: Date.now(),
    closesAt: Date.now() + 3_600_000,
    closeAtReports: null,
    ...over,
  });
}

/** The leader's verifier shares of a report (the test plays the leader). */
function leaderShares(i: number): Uint8Array[] {
  const r = decodeRoundReport(reports[i]!.leader);
  return plan.collections.map((c, j) => {
    const vdaf = prio3Vdaf(c);
    const e = decodePrio3Entry(vdaf, LEADER_ID, r.entries[j]!.bytes);
    return vdaf.verifyInit(KEY, prio3Context(plan, c.id), LEADER_ID, prio3Nonce(r.reportId), e.publicShare, e.inputShare).verifierShare;
  });
}

beforeAll(async () => {
  const dir = tempDir('helper');
  helper = await startServer({
    db: `${dir}/helper.db`,
    plan: writePlan(dir, plan),
    args: ['--role', 'helper', '--rate-limit', '0'],
    env: { PINHOLE_PEER_TOKEN: TOKEN, PINHOLE_PRIO3_VERIFY_KEY: KEY_HEX },
  });
  for (let i = 0; i < 3; i++) {
    reports.push(
      prio3Report(plan, {
        roundId: ROUND,
        contributor: contributorToken(secretOf(i, 'helper'), { planId: plan.id, roundId: ROUND }),
        inputs: { 'network-type-by-region': { bucket: i } },
        rng: seededRng(`helper-${i}`),
        allowInsecureRng: true,
      }),
    );
  }
}, 60_000);

afterAll(async () => {
  await helper?.stop();
  removeTempDirs();
});

describe('a two-aggregator helper', () => {
  it('refuses peer requests without the shared token (401) or with another token (403)', async () => {
    expect((await peer('open', announce(), null)).status).toBe(401);
    expect((await peer('open', announce(), 'another-token-0123456789abcdef')).status).toBe(403);
  });

  it('opens only a round of its plan in the current period, and takes shares for it', async () => {
    expect((await peer('open', announce({ planId: 'other' }))).status).toBe(409);
    const p = planPeriod(plan, Date.now());
    expect((await peer('open', announce({ periodStart: p.startMs - 604_800_000, periodEnd: p.startMs }))).status).toBe(409);
    // no round yet: an upload is refused
    expect((await upload(helper.url, reports[0]!.helper)).status).toBe(404);
    const opened = await peer('open', announce());
    expect(opened.status).toBe(200);
    expect(((await opened.json()) as { status: string }).status).toBe('collecting');
    for (const r of reports) expect((await upload(helper.url, r.helper)).status).toBe(201);
    // a leader's share sent to the helper does not decode there
    const wrong = await upload(helper.url, reports[0]!.leader);
    expect(wrong.status).toBe(400);
    expect(wrong.json.code).toBe('decode_failed');
  });

  it('gives no aggregate share before verification, and refuses garbage', async () => {
    expect((await peer('aggregate-share', encodeEnvelope('pinhole/prio3-aggregate', { reports: [reports[0]!.reportId, reports[1]!.reportId] }))).status).toBe(409);
    const garbage = await peer('verify', new Uint8Array([1, 2, 3]));
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { code: string }).code).toBe('decode_failed');
  });

  it('verifies with the leader’s verifier shares: a wrong share is rejected, the right ones accepted', async () => {
    const body = encodeEnvelope('pinhole/prio3-verify', {
      reports: [
        { id: reports[0]!.reportId, shares: leaderShares(0) },
        { id: reports[1]!.reportId, shares: leaderShares(1) },
        { id: reports[2]!.reportId, shares: leaderShares(0) }, // report 0's shares for report 2
        { id: 'ff'.repeat(16), shares: leaderShares(0) }, // a report the helper never received
      ],
    });
    const res = await peer('verify', body);
    expect(res.status).toBe(200);
    const out = decodeEnvelope(new Uint8Array(await res.arrayBuffer()), { type: 'pinhole/prio3-verified' }).payload as { results: { id: string; messages: Uint8Array[] | null }[] };
    expect(out.results.map((r) => r.messages !== null)).toEqual([true, true, false, false]);
    // uploads stop once verification started
    const late = prio3Report(plan, {
      roundId: ROUND,
      contributor: contributorToken(secretOf(9, 'helper'), { planId: plan.id, roundId: ROUND }),
      inputs: { 'network-type-by-region': { bucket: 1 } },
      rng: seededRng('late'),
      allowInsecureRng: true,
    });
    expect((await upload(helper.url, late.helper)).status).toBe(409);
  });

  it('gives its aggregate share once: over reports it verified, at least the minimum cohort; a retry gets the same bytes, other reports nothing', async () => {
    const ask = (ids: string[]) => peer('aggregate-share', encodeEnvelope('pinhole/prio3-aggregate', { reports: ids }));
    // report 2 failed verification; a single report is below the minimum cohort (k = 2)
    expect((await ask([reports[0]!.reportId, reports[2]!.reportId])).status).toBe(409);
    expect((await ask([reports[0]!.reportId])).status).toBe(409);
    const first = await ask([reports[0]!.reportId, reports[1]!.reportId]);
    expect(first.status).toBe(200);
    const a = new Uint8Array(await first.arrayBuffer());
    const payload = decodeEnvelope(a, { type: 'pinhole/prio3-aggregate-share' }).payload as { count: number; noise: string };
    expect(payload.count).toBe(2);
    expect(payload.noise).toBe('two_aggregators');
    const again = await ask([reports[1]!.reportId, reports[0]!.reportId]);
    expect(again.status).toBe(200);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(a);
    expect((await ask([reports[0]!.reportId])).status).toBe(409);
  });

  it('serves no releases (the leader publishes them)', async () => {
    expect((await get(helper.url, `/v1/releases/${ROUND}`, { authorization: `Bearer ${CARRIER}` })).status).toBe(404);
    expect((await get(helper.url, '/v1/releases', { authorization: `Bearer ${CARRIER}` })).status).toBe(404);
  });
});
