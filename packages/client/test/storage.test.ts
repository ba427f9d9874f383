import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isPinholeError } from '@pinhole/core';
import { fromBase64, toBase64 } from '../src/bytes.js';
import { indexedDbStorage, memoryStorage, webStorage } from '../src/storage.js';

describe('bytes as text', () => {
  it('base64 round-trips any bytes and matches the platform encoder', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = toBase64(bytes);
        expect(text).toBe(Buffer.from(bytes).toString('base64'));
        expect(fromBase64(text)).toEqual(bytes);
      }),
      { numRuns: 500, seed: 7 },
    );
  });
  it('malformed base64 is null, not garbage', () => {
    for (const bad of ['a', 'ab=', 'a===', '@@@@', 'ab=c', 'AA=A', 'é123']) expect(fromBase64(bad), bad).toBeNull();
  });
});

describe('storage adapters', () => {
  it('webStorage keeps its keys under a prefix, sync (localStorage) or async (AsyncStorage)', async () => {
    const map = new Map<string, string>([['app-key', 'untouched']]);
    const local = { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v), removeItem: (k: string) => void map.delete(k) };
    const s = webStorage(local);
    await s.set('ledger', 'x');
    expect(map.get('pinhole/ledger')).toBe('x');
    expect(await s.get('ledger')).toBe('x');
    await s.delete('ledger');
    expect(await s.get('ledger')).toBeNull();
    expect(map.get('app-key')).toBe('untouched');
    const asyncMap = new Map<string, string>();
    const asyncStorage = {
      getItem: async (k: string) => asyncMap.get(k) ?? null,
      setItem: async (k: string, v: string) => void asyncMap.set(k, v),
      removeItem: async (k: string) => void asyncMap.delete(k),
    };
    const a = webStorage(asyncStorage, { prefix: 'app1:' });
    await a.set('queue', 'q');
    expect([...asyncMap.keys()]).toEqual(['app1:queue']);
    expect(await a.get('queue')).toBe('q');
  });
  it('refuses what is not a store', () => {
    for (const bad of [null, {}, { getItem: 1 }, 'localStorage']) {
      let e: unknown;
      try {
        webStorage(bad as never);
      } catch (x) {
        e = x;
      }
      expect(isPinholeError(e, 'invalid_argument')).toBe(true);
    }
    let e: unknown;
    try {
      indexedDbStorage();
    } catch (x) {
      e = x;
    }
    // Node has no IndexedDB: the adapter says so (the browser example runs it in Chromium)
    expect(isPinholeError(e, 'invalid_argument')).toBe(true);
  });
  it('memoryStorage shows what was written', async () => {
    const m = memoryStorage();
    await m.set('a', '1');
    expect(m.entries()).toEqual([['a', '1']]);
  });
});
