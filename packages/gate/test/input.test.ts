import { describe, expect, it } from 'vitest';
import { countContributors } from '@pinhole/gate';
import { expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { twoSidedZ } from '@pinhole/core/stats';

describe('countContributors', () => {
  it('counts distinct ids per bucket, from a Map of Sets or an object of arrays', () => {
    // 'y' has no contributor: it does not exist
    const a = countContributors({ x: ['u1', 'u2', 'u1', 3], y: [], z: [3] });
    expect([...a]).toEqual([
      ['x', 3],
      ['z', 1],
    ]);
    const b = countContributors(new Map([['x', new Set(['u1', 'u2'])]]));
    expect(b.get('x')).toBe(2);
  });

  it('with l0, keeps every contributor in at most l0 buckets, chosen uniformly', () => {
    // one heavy contributor in 4 buckets, l0 = 1: each bucket keeps it w.p. 1/4
    const N = 40_000;
    const kept = [0, 0, 0, 0];
    const rng = seededRng('bound');
    for (let i = 0; i < N; i++) {
      const c = countContributors({ a: ['h'], b: ['h'], c: ['h'], d: ['h', 'other'] }, { l0: 1, rng });
      let total = 0;
      ['a', 'b', 'c', 'd'].forEach((k, j) => {
        const hasH = (c.get(k) ?? 0) - (k === 'd' ? 1 : 0);
        kept[j] = (kept[j] as number) + hasH;
        total += hasH;
      });
      expect(total).toBe(1);
      expect(c.get('d')).toBeGreaterThanOrEqual(1); // 'other' stays: it is in one bucket only
    }
    // each share: sd sqrt(p(1-p)/N); two-sided 1e-5 per bucket
    for (const k of kept) expect(Math.abs(k / N - 0.25)).toBeLessThanOrEqual(twoSidedZ(1e-5) * Math.sqrt((0.25 * 0.75) / N));
  });

  it('with l0, a bucket whose only contributors were kept elsewhere does not exist (one contributor creates <= l0 keys)', () => {
    const ids: Record<string, string[]> = { shared: ['h', 'v'] };
    for (let j = 0; j < 50; j++) ids[`alone-${j}`] = ['h'];
    for (const l0 of [1, 3]) {
      for (let r = 0; r < 20; r++) {
        const c = countContributors(ids, { l0, rng: seededRng(`alone-${l0}-${r}`) });
        expect([...c.values()].every((n) => n >= 1)).toBe(true);
        // 'shared' always exists (v is only there); h's l0 kept buckets, one of which may be 'shared'
        expect(c.get('shared')).toBeGreaterThanOrEqual(1);
        const hKeys = [...c.keys()].filter((k) => k.startsWith('alone-'));
        expect(hKeys.length === l0 || (hKeys.length === l0 - 1 && c.get('shared') === 2)).toBe(true);
        // input order is kept
        expect([...c.keys()]).toEqual(Object.keys(ids).filter((k) => c.has(k)));
      }
    }
  });

  it('rejects bad ids, keys and options with the offending param', () => {
    expectPinholeError(() => countContributors({ x: ['ok', ''] }), 'invalid_argument', 'ids["x"][1]');
    expectPinholeError(() => countContributors({ x: [1.5] }), 'invalid_argument', 'ids["x"][0]');
    expectPinholeError(() => countContributors({ x: [null as unknown as string] }), 'invalid_argument', 'ids["x"][0]');
    expectPinholeError(() => countContributors({ x: 'abc' as unknown as string[] }), 'invalid_argument', 'ids["x"]');
    expectPinholeError(() => countContributors({ '': ['a'] }), 'invalid_argument', 'ids key');
    expectPinholeError(() => countContributors([] as unknown as Record<string, string[]>), 'invalid_argument', 'ids');
    expectPinholeError(() => countContributors(null as unknown as Record<string, string[]>), 'invalid_argument', 'ids');
    for (const l0 of [0, -1, 1.5, NaN, Infinity, -0, '2', 2 ** 21]) {
      expectPinholeError(() => countContributors({ x: ['a'] }, { l0: l0 as number }), 'invalid_argument', 'l0');
    }
    expectPinholeError(() => countContributors({ x: ['a'] }, { l0: 1, rng: {} as never }), 'invalid_argument', 'rng');
    expectPinholeError(() => countContributors({ x: ['a'] }, null as never), 'invalid_argument', 'options');
  });
});
