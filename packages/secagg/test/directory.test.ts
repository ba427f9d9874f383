/** KeyDirectory implementations: the pinned list, and the HTTP client over an injected fetch (the service itself is tested in @pinhole/directory). */
import { describe, expect, it } from 'vitest';
import { seededRng } from '@pinhole/core/seeded';
import { httpKeyDirectory, pinnedKeyDirectory, signingKeyFromSecret } from '../src/index.js';
import { failure } from './helpers.js';

const key = (i: number) => signingKeyFromSecret(seededRng('dir').stream(i).bytes(32)).publicKey;
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('pinnedKeyDirectory', () => {
  it('vouches exactly for the listed pairs, and refuses bad lists', async () => {
    const d = pinnedKeyDirectory([
      ['a', key(1)],
      ['b', key(2)],
    ]);
    expect(d.verify('a', key(1))).toBe(true);
    expect(d.verify('a', key(2))).toBe(false);
    expect(d.verify('c', key(1))).toBe(false);
    expect(
      await d.verifyMany?.([
        { identity: 'b', publicKey: key(2) },
        { identity: 'b', publicKey: new Uint8Array(32) },
      ]),
    ).toEqual([true, false]);
    expect(pinnedKeyDirectory({ a: key(1) }).verify('a', key(1))).toBe(true);
    expect(() =>
      pinnedKeyDirectory([
        ['a', key(1)],
        ['a', key(2)],
      ]),
    ).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'entries[1].identity' }));
    expect(() => pinnedKeyDirectory([['a b', key(1)]])).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'entries[0].identity' }));
    expect(() => pinnedKeyDirectory([['a', new Uint8Array(31)]])).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'entries[0].publicKey' }));
  });
});

describe('httpKeyDirectory', () => {
  function fakeFetch(answer: (identities: string[]) => unknown, log: string[][] = []) {
    return async (url: string, init?: { body?: string }) => {
      expect(url).toBe('https://keys.example/v1/keys/lookup');
      const ids = (JSON.parse(init?.body ?? '{}') as { identities: string[] }).identities;
      log.push(ids);
      const body = answer(ids);
      return { ok: body !== 'http-500', status: body === 'http-500' ? 500 : 200, json: async () => body };
    };
  }
  const enrolled = new Map([
    ['a', hex(key(1))],
    ['b', hex(key(2))],
  ]);
  const honest = (ids: string[]) => ({ keys: ids.map((id) => (enrolled.has(id) ? { identity: id, publicKey: enrolled.get(id), status: id === 'b' ? 'revoked' : 'active' } : null)) });

  it('asks once per identity (batched, cached), vouches only for active matching keys', async () => {
    const log: string[][] = [];
    let now = 0;
    const d = httpKeyDirectory({ baseUrl: 'https://keys.example/', fetch: fakeFetch(honest, log), now: () => now });
    expect(
      await d.verifyMany?.([
        { identity: 'a', publicKey: key(1) },
        { identity: 'a', publicKey: key(3) },
        { identity: 'b', publicKey: key(2) },
        { identity: 'zz', publicKey: key(1) },
        { identity: 'bad id', publicKey: key(1) },
      ]),
    ).toEqual([true, false, false, false, false]);
    expect(log).toEqual([['a', 'b', 'zz']]);
    expect(await d.verify('a', key(1))).toBe(true);
    expect(log.length).toBe(1);
    now = 61_000;
    expect(await d.verify('a', key(1))).toBe(true);
    expect(log.length).toBe(2);
  });
  it('coalesces concurrent lookups: one request in flight, the identities asked meanwhile in the next, none twice', async () => {
    const log: string[][] = [];
    const d = httpKeyDirectory({ baseUrl: 'https://keys.example', fetch: fakeFetch(honest, log) });
    const asked = [['a'], ['a', 'b'], ['b', 'zz'], ['a']].map((ids) => d.verifyMany!(ids.map((identity) => ({ identity, publicKey: key(1) }))));
    const later = d.verify('zz', key(1));
    expect(await Promise.all(asked)).toEqual([[true], [true, false], [false, false], [true]]);
    expect(await later).toBe(false);
    // the calls of one turn share the first request; nothing was asked twice
    expect(log).toEqual([['a', 'b', 'zz']]);
    // while a request is in flight, the next ones wait and go together
    const slow: string[][] = [];
    let release = (): void => {};
    const gate = new Promise<void>((r) => (release = r));
    const held = httpKeyDirectory({
      baseUrl: 'https://keys.example',
      cacheMs: 0,
      fetch: async (url, init) => {
        if (slow.length === 0) await gate;
        return fakeFetch(honest, slow)(url, init);
      },
    });
    const first = held.verify('a', key(1));
    await new Promise((r) => setTimeout(r, 5));
    // verify may answer synchronously by its type; this directory answers with promises
    const rest = [held.verify('b', key(2)), held.verify('zz', key(1)), held.verify('b', key(2))].map((v) => Promise.resolve(v));
    await new Promise((r) => setTimeout(r, 5));
    expect(slow).toEqual([]);
    release();
    expect(await first).toBe(true);
    expect(await Promise.all(rest)).toEqual([false, false, false]);
    expect(slow).toEqual([['a'], ['b', 'zz']]);
  });
  it('splits lookups above 1,024 identities', async () => {
    const log: string[][] = [];
    const d = httpKeyDirectory({ baseUrl: 'https://keys.example', fetch: fakeFetch(honest, log) });
    await d.verifyMany?.(Array.from({ length: 2000 }, (_, i) => ({ identity: `p${i}`, publicKey: key(1) })));
    expect(log.map((l) => l.length)).toEqual([1024, 976]);
  });
  it('an unreachable or malformed directory is verify_failed, never a yes', async () => {
    const cases: unknown[] = ['http-500', null, { keys: 'x' }, { keys: [] }];
    for (const answer of cases) {
      const d = httpKeyDirectory({ baseUrl: 'https://keys.example', fetch: fakeFetch(() => answer) });
      expect(await failure(() => d.verify('a', key(1))), JSON.stringify(answer)).toMatchObject({ code: 'verify_failed', param: 'directory' });
    }
    const down = httpKeyDirectory({ baseUrl: 'https://keys.example', fetch: async () => Promise.reject(new Error('ECONNREFUSED')) });
    expect(await failure(() => down.verify('a', key(1)))).toMatchObject({ code: 'verify_failed', param: 'directory' });
    // a forged record for another identity, or a non-hex key, does not count
    const lying = httpKeyDirectory({ baseUrl: 'https://keys.example', fetch: fakeFetch((ids) => ({ keys: ids.map(() => ({ identity: 'other', publicKey: hex(key(1)), status: 'active' })) })) });
    expect(await lying.verify('a', key(1))).toBe(false);
  });
  it('validates its options', () => {
    expect(() => httpKeyDirectory({ baseUrl: 'ftp://x' })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'baseUrl' }));
    expect(() => httpKeyDirectory({ baseUrl: 'https://x', timeoutMs: 0 })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'timeoutMs' }));
    expect(() => httpKeyDirectory({ baseUrl: 'https://x', cacheMs: -1 })).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'cacheMs' }));
    expect(() => httpKeyDirectory(null as never)).toThrow(expect.objectContaining({ code: 'invalid_argument', param: 'options' }));
  });
});
