import { describe, expect, it } from 'vitest';
import { contributorToken, contributorTokenAsync, makeContributorSecret, decodeRoundReport, encodeRoundReport, makeReportId } from '@pinhole/core';
import { MAX_REPORT_ENTRIES, isContributorToken, decodeExactBucket, decodeExactValue, encodeEnvelope, encodeExactBucket, encodeExactValue, isReportId } from '@pinhole/core/wire';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';

const ID = '0123456789abcdef0123456789abcdef';
const report = () => ({
  planId: 'carrier',
  planRevision: 2,
  roundId: '2025-01-06.r1',
  reportId: ID,
  entries: [
    { collection: 'network-type-by-region', bytes: new Uint8Array([1, 2, 3]) },
    { collection: 'rtt-by-operator', group: 3, bytes: new Uint8Array([9]) },
  ],
});

describe('round report envelope', () => {
  it('round-trips', () => {
    const bytes = encodeRoundReport(report());
    const back = decodeRoundReport(bytes);
    expect(back).toEqual(report());
    expect(Object.isFrozen(back.entries[0])).toBe(true);
  });

  it('makes 128-bit report ids from a secure rng only', () => {
    const a = makeReportId();
    const b = makeReportId();
    expect(isReportId(a)).toBe(true);
    expect(a).not.toBe(b);
    expectPinholeError(() => makeReportId(seededRng('x')), 'insecure_rng', 'rng');
    expect(isReportId(makeReportId(seededRng('x'), { allowInsecureRng: true }))).toBe(true);
    expect(isReportId('ABC')).toBe(false);
  });

  it('refuses bad reports when encoding, naming the field', () => {
    const bad: [string, (r: any) => void][] = [
      ['report.planId', (r) => (r.planId = '')],
      ['report.planRevision', (r) => (r.planRevision = 0)],
      ['report.planRevision', (r) => (r.planRevision = NaN)],
      ['report.roundId', (r) => (r.roundId = 'has space')],
      ['report.reportId', (r) => (r.reportId = ID.toUpperCase())],
      ['report.entries', (r) => (r.entries = [])],
      ['report.entries[1].collection', (r) => (r.entries[1].collection = 'network-type-by-region')],
      ['report.entries[0].bytes', (r) => (r.entries[0].bytes = [1, 2])],
      ['report.entries[1].group', (r) => (r.entries[1].group = -1)],
      ['report.entries[1].group', (r) => (r.entries[1].group = 1.5)],
      ['report.entries[0].extra', (r) => (r.entries[0].extra = 1)],
    ];
    for (const [param, mutate] of bad) {
      const r = report();
      mutate(r);
      expectPinholeError(() => encodeRoundReport(r), 'invalid_argument', param);
    }
    const many = report();
    many.entries = Array.from({ length: MAX_REPORT_ENTRIES + 1 }, (_, i) => ({ collection: `c${i}`, bytes: new Uint8Array([1]) }));
    expectPinholeError(() => encodeRoundReport(many), 'invalid_argument', 'report.entries');
  });

  it('decodes garbage, truncated or foreign bytes as decode_failed', () => {
    const good = encodeRoundReport(report());
    for (let cut = 0; cut < good.length; cut += 7) expectPinholeError(() => decodeRoundReport(good.subarray(0, cut)), 'decode_failed', 'bytes');
    expectPinholeError(() => decodeRoundReport(new Uint8Array(100).fill(0xc1)), 'decode_failed', 'bytes');
    expectPinholeError(() => decodeRoundReport(encodeEnvelope('ldp/oue', 1)), 'decode_failed', 'bytes');
    expectPinholeError(() => decodeRoundReport(encodeEnvelope('pinhole/report', [1, 2])), 'decode_failed', 'report');
    expectPinholeError(
      () => decodeRoundReport(encodeEnvelope('pinhole/report', { plan: 'p', revision: 1, round: 'r', id: ID, entries: [{ collection: 'c', bytes: 'x' }] })),
      'decode_failed',
      'report.entries[0].bytes',
    );
    expectPinholeError(() => decodeRoundReport(encodeEnvelope('pinhole/report', { plan: 'p', revision: 1, round: 'r', id: 'nope', entries: [] })), 'decode_failed', 'report.reportId');
    expectPinholeError(() => decodeRoundReport(encodeEnvelope('pinhole/report', { plan: 'p', revision: 1, round: 'r', id: ID, entries: [], more: 1 })), 'decode_failed', 'report.more');
    expectPinholeError(() => decodeRoundReport(good, { maxBytes: 16 }), 'decode_failed', 'bytes');
    expectPinholeError(() => decodeRoundReport('x' as never), 'decode_failed', 'bytes');
  });

  it('exact entries for a trusted curator, whose errors never echo the private value', () => {
    expect(decodeExactBucket(encodeExactBucket(7), 10)).toBe(7);
    expect(decodeExactValue(encodeExactValue(31.5))).toBe(31.5);
    const e = expectPinholeError(() => encodeExactBucket(-3), 'invalid_argument', 'index');
    expect(e.message).not.toMatch(/-3/);
    const v = expectPinholeError(() => encodeExactValue(NaN), 'invalid_argument', 'value');
    expect(v.message).not.toMatch(/NaN/);
    const d = expectPinholeError(() => decodeExactBucket(encodeExactBucket(12), 10), 'decode_failed', 'bytes');
    expect(d.message).not.toMatch(/12/);
    expectPinholeError(() => decodeExactValue(encodeExactBucket(1)), 'decode_failed', 'bytes');
  });

  it('carries a contributor token: stable for a device and round, different across rounds and devices', () => {
    const secret = makeContributorSecret();
    expect(secret.length).toBe(32);
    const t1 = contributorToken(secret, { planId: 'carrier', roundId: 'r1' });
    expect(isContributorToken(t1)).toBe(true);
    expect(contributorToken(secret, { planId: 'carrier', roundId: 'r1' })).toBe(t1);
    expect(contributorToken(secret, { planId: 'carrier', roundId: 'r2' })).not.toBe(t1);
    expect(contributorToken(secret, { planId: 'other', roundId: 'r1' })).not.toBe(t1);
    expect(contributorToken(makeContributorSecret(), { planId: 'carrier', roundId: 'r1' })).not.toBe(t1);
    // a fixed vector (node:crypto's createHmac('sha256', secret) gives the same), for the client SDK
    const fixed = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(contributorToken(fixed, { planId: 'carrier', roundId: '2025-01-06.r1' })).toBe('c98999c4df87a910b1ef16493168ad02');
    const bytes = encodeRoundReport({ ...report(), contributor: t1 });
    expect(decodeRoundReport(bytes)).toEqual({ ...report(), contributor: t1 });
    expect(decodeRoundReport(encodeRoundReport(report())).contributor).toBeUndefined();
  });

  it('gives the same contributor token through WebCrypto (what a device uses) or a passed HMAC', async () => {
    const fixed = Uint8Array.from({ length: 32 }, (_, i) => i);
    expect(await contributorTokenAsync(fixed, { planId: 'carrier', roundId: '2025-01-06.r1' })).toBe('c98999c4df87a910b1ef16493168ad02');
    for (let i = 0; i < 20; i++) {
      const secret = makeContributorSecret();
      const round = { planId: `p${i}`, roundId: `2025-01-06.r${i}` };
      const token = contributorToken(secret, round);
      expect(await contributorTokenAsync(secret, round)).toBe(token);
      expect(await contributorTokenAsync(secret, round, (k, m) => hmac(sha256, k, m))).toBe(token);
    }
    // the same refusals as the sync token, before any hashing
    await expect(contributorTokenAsync(new Uint8Array(15), { planId: 'p', roundId: 'r' })).rejects.toMatchObject({ code: 'invalid_argument', param: 'secret' });
    await expect(contributorTokenAsync(new Uint8Array(16), { planId: 'p', roundId: 'a b' })).rejects.toMatchObject({ code: 'invalid_argument', param: 'round.roundId' });
    await expect(contributorTokenAsync(fixed, { planId: 'p', roundId: 'r' }, () => new Uint8Array(16))).rejects.toMatchObject({ code: 'invalid_argument', param: 'hmacSha256' });
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    Object.defineProperty(globalThis, 'crypto', { value: { getRandomValues: globalThis.crypto.getRandomValues.bind(globalThis.crypto) }, configurable: true });
    try {
      await expect(contributorTokenAsync(fixed, { planId: 'p', roundId: 'r' })).rejects.toMatchObject({ code: 'unsupported', param: 'crypto' });
      expect(await contributorTokenAsync(fixed, { planId: 'p', roundId: 'r' }, (k, m) => hmac(sha256, k, m))).toBe(contributorToken(fixed, { planId: 'p', roundId: 'r' }));
    } finally {
      Object.defineProperty(globalThis, 'crypto', saved as PropertyDescriptor);
    }
  });

  it('refuses bad contributor tokens and secrets without echoing the secret', () => {
    expectPinholeError(() => encodeRoundReport({ ...report(), contributor: 'ABC' }), 'invalid_argument', 'report.contributor');
    expectPinholeError(
      () => decodeRoundReport(encodeEnvelope('pinhole/report', { plan: 'p', revision: 1, round: 'r', id: ID, contributor: 7, entries: [{ collection: 'c', bytes: new Uint8Array([1]) }] })),
      'decode_failed',
      'report.contributor',
    );
    const e = expectPinholeError(() => contributorToken(new Uint8Array(15).fill(0xab), { planId: 'p', roundId: 'r' }), 'invalid_argument', 'secret');
    expect(e.message).not.toMatch(/171|ab/i);
    expectPinholeError(() => contributorToken('secret' as never, { planId: 'p', roundId: 'r' }), 'invalid_argument', 'secret');
    expectPinholeError(() => contributorToken(new Uint8Array(16), { planId: '', roundId: 'r' }), 'invalid_argument', 'round.planId');
    expectPinholeError(() => contributorToken(new Uint8Array(16), { planId: 'p', roundId: 'a b' }), 'invalid_argument', 'round.roundId');
    expectPinholeError(() => makeContributorSecret(seededRng('x')), 'insecure_rng', 'rng');
  });
});
