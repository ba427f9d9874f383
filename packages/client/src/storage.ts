/**
 * Where the client keeps what must survive an app restart (the privacy budget ledger, the queue
 * of perturbed reports, the device's secrets, the samples it has not reported yet): one small
 * key-value interface of strings, sync or async, so any store of a phone app or a browser backs
 * it. Shipped: an in-memory store (tests, simulations, short-lived processes), an adapter for
 * `localStorage`-style stores (also React Native's AsyncStorage, whose methods return promises),
 * and an IndexedDB store for browsers.
 */
import { PinholeError } from '@pinhole/core';
import { invalid } from '@pinhole/core/validate';

/** The storage the client needs. A method may return a value or a promise of it. */
export interface KeyValueStorage {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
  delete(key: string): void | Promise<void>;
}

/** `localStorage`, `sessionStorage`, React Native's AsyncStorage, or anything with these methods. */
export interface WebStorageLike {
  getItem(key: string): string | null | Promise<string | null>;
  setItem(key: string, value: string): void | Promise<void>;
  removeItem(key: string): void | Promise<void>;
}

export function isKeyValueStorage(value: unknown): value is KeyValueStorage {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.get === 'function' && typeof v.set === 'function' && typeof v.delete === 'function';
}

/** An in-memory store; `entries()` shows what the client wrote (tests check what a device keeps). */
export function memoryStorage(initial?: Iterable<readonly [string, string]>): KeyValueStorage & { entries(): [string, string][] } {
  const map = new Map<string, string>(initial === undefined ? [] : Array.from(initial, ([k, v]) => [k, v] as [string, string]));
  return {
    get: (key) => map.get(key) ?? null,
    set: (key, value) => {
      map.set(key, value);
    },
    delete: (key) => {
      map.delete(key);
    },
    entries: () => [...map.entries()],
  };
}

/**
 * A store over `localStorage` (or `sessionStorage`, or React Native's AsyncStorage), every key
 * under `prefix` (default "pinhole/") so the app's own keys are left alone.
 */
export function webStorage(backend: WebStorageLike, options: { readonly prefix?: string } = {}): KeyValueStorage {
  if (typeof backend !== 'object' || backend === null || typeof backend.getItem !== 'function' || typeof backend.setItem !== 'function' || typeof backend.removeItem !== 'function') {
    throw invalid('backend', 'a localStorage-style object with getItem, setItem and removeItem', backend);
  }
  const prefix = options.prefix ?? 'pinhole/';
  if (typeof prefix !== 'string') throw invalid('options.prefix', 'a string', prefix);
  return {
    get: (key) => backend.getItem(prefix + key),
    set: (key, value) => backend.setItem(prefix + key, value),
    delete: (key) => backend.removeItem(prefix + key),
  };
}

interface IdbRequestLike<T> {
  result: T;
  error: unknown;
  onsuccess: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

interface IdbFactoryLike {
  open(name: string, version?: number): IdbRequestLike<IDBDatabase> & { onupgradeneeded: ((ev: unknown) => void) | null };
}

function promised<T>(request: IdbRequestLike<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error instanceof Error ? request.error : new Error('IndexedDB request failed'));
  });
}

/**
 * A store in IndexedDB (browsers): one database `name` (default "pinhole") with one object store.
 * Every write waits for its transaction to complete, so what `set` acknowledged survives a reload.
 */
export function indexedDbStorage(options: { readonly name?: string; readonly indexedDB?: IdbFactoryLike } = {}): KeyValueStorage {
  const factory = options.indexedDB ?? (globalThis as { indexedDB?: IdbFactoryLike }).indexedDB;
  if (factory === undefined || typeof factory.open !== 'function') throw invalid('options.indexedDB', 'an IndexedDB factory (none on this platform)', factory);
  const name = options.name ?? 'pinhole';
  if (typeof name !== 'string' || name.length === 0) throw invalid('options.name', 'a non-empty database name', name);
  const STORE = 'kv';
  let db: Promise<IDBDatabase> | null = null;
  const open = (): Promise<IDBDatabase> => {
    db ??= new Promise<IDBDatabase>((resolve, reject) => {
      const req = factory.open(name, 1);
      req.onupgradeneeded = () => {
        const d = req.result;
        if (!d.objectStoreNames.contains(STORE)) d.createObjectStore(STORE);
      };
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => {
        db = null;
        reject(new PinholeError('invalid_state', 'storage', 'IndexedDB could not be opened'));
      };
    });
    return db;
  };
  const write = async (fn: (store: IDBObjectStore) => void): Promise<void> => {
    const d = await open();
    await new Promise<void>((resolve, reject) => {
      const tx = d.transaction(STORE, 'readwrite');
      fn(tx.objectStore(STORE));
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(new PinholeError('invalid_state', 'storage', 'an IndexedDB write failed'));
      tx.onabort = () => reject(new PinholeError('invalid_state', 'storage', 'an IndexedDB write was aborted (storage full?)'));
    });
  };
  return {
    async get(key) {
      const d = await open();
      const v = await promised(d.transaction(STORE, 'readonly').objectStore(STORE).get(key) as unknown as IdbRequestLike<unknown>);
      return typeof v === 'string' ? v : null;
    },
    set: (key, value) => write((s) => s.put(value, key)),
    delete: (key) => write((s) => s.delete(key)),
  };
}
