/**
 * Who vouches for a signing key. In the malicious-server model a client accepts a neighbour's
 * advertisement only if a `KeyDirectory`, run by a party other than the aggregator, says that the
 * key is the enrolled, unrevoked key of the identity the advertisement names; otherwise the
 * aggregator could substitute its own keys and read every share. Two are shipped:
 * `pinnedKeyDirectory` (a fixed list: tests and small fleets) and `httpKeyDirectory` (the client
 * side of the `pinhole-directory` service, over an injected fetch, browser-safe).
 */
import { PinholeError } from '@pinhole/core';
import { checkInteger, checkObject, checkString, describeValue, invalid } from '@pinhole/core/validate';
import { toHex } from './crypto.js';
import { IDENTITY_PATTERN } from './messages.js';

export interface DirectoryEntry {
  readonly identity: string;
  readonly publicKey: Uint8Array;
}

export interface KeyDirectory {
  /** true when `publicKey` is the enrolled, unrevoked signing key of `identity` */
  verify(identity: string, publicKey: Uint8Array): boolean | Promise<boolean>;
  /** The same for many entries at once (one request instead of one per neighbour), when available. */
  verifyMany?(entries: readonly DirectoryEntry[]): Promise<boolean[]>;
}

export function isKeyDirectory(value: unknown): value is KeyDirectory {
  const d = value as Partial<KeyDirectory> | null;
  return typeof d === 'object' && d !== null && typeof d.verify === 'function' && (d.verifyMany === undefined || typeof d.verifyMany === 'function');
}

/** Asks the directory about every entry; a throwing or non-boolean directory is an error, never a yes. */
export async function verifyWithDirectory(directory: KeyDirectory, entries: readonly DirectoryEntry[]): Promise<boolean[]> {
  const answers = directory.verifyMany ? await directory.verifyMany(entries) : await Promise.all(entries.map((e) => Promise.resolve(directory.verify(e.identity, e.publicKey))));
  if (!Array.isArray(answers) || answers.length !== entries.length || answers.some((a) => typeof a !== 'boolean')) {
    throw new PinholeError('verify_failed', 'directory', `the key directory answered ${describeValue(answers)} instead of one boolean per entry`);
  }
  return answers;
}

function checkIdentity(param: string, value: unknown): string {
  const s = checkString(param, value, { nonEmpty: true, maxLength: 128 });
  if (!IDENTITY_PATTERN.test(s)) throw invalid(param, 'an identity of 1-128 characters [A-Za-z0-9._:@-]', value);
  return s;
}

/** A fixed list of identities and their signing public keys. */
export function pinnedKeyDirectory(entries: Iterable<readonly [string, Uint8Array]> | Readonly<Record<string, Uint8Array>>): KeyDirectory {
  const list = Symbol.iterator in Object(entries) ? [...(entries as Iterable<readonly [string, Uint8Array]>)] : Object.entries(checkObject('entries', entries) as Record<string, Uint8Array>);
  const pinned = new Map<string, string>();
  list.forEach(([identity, key], i) => {
    const id = checkIdentity(`entries[${i}].identity`, identity);
    if (!(key instanceof Uint8Array) || key.length !== 32) throw invalid(`entries[${i}].publicKey`, 'a 32-byte Ed25519 public key', key);
    if (pinned.has(id)) throw invalid(`entries[${i}].identity`, 'identities listed once', identity);
    pinned.set(id, toHex(key));
  });
  const verify = (identity: string, publicKey: Uint8Array): boolean => publicKey instanceof Uint8Array && pinned.get(identity) === toHex(publicKey);
  return { verify, verifyMany: async (es) => es.map((e) => verify(e.identity, e.publicKey)) };
}

type Fetch = (
  input: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<{
  ok: boolean;
  status: number;
  json(): Promise<unknown>;
}>;

export interface HttpKeyDirectoryOptions {
  /** the directory's base URL, e.g. https://keys.example.org (its own operator, not the aggregator's) */
  baseUrl: string;
  /** globalThis.fetch by default */
  fetch?: Fetch;
  /** per request; default 10,000 ms */
  timeoutMs?: number;
  /** how long an answer is reused; default 60,000 ms (a revocation takes effect within it) */
  cacheMs?: number;
  /** clock for the cache; Date.now by default */
  now?: () => number;
}

/** Identities per lookup request; the service enforces the same bound. */
export const DIRECTORY_LOOKUP_MAX = 1024;

/**
 * The client of a `pinhole-directory` service: `POST {baseUrl}/v1/keys/lookup` with
 * `{ identities }` answers `{ keys: [{ identity, publicKey (hex), status } | null] }`. An entry
 * verifies when its status is `active` and its key equals the advertised one. Unreachable or
 * malformed answers throw `verify_failed`; they never count as a yes.
 */
export function httpKeyDirectory(options: HttpKeyDirectoryOptions): KeyDirectory {
  checkObject('options', options);
  const base = checkString('baseUrl', options.baseUrl, { nonEmpty: true, maxLength: 2048 }).replace(/\/+$/, '');
  if (!/^https?:\/\//.test(base)) throw invalid('baseUrl', 'an http(s) URL', options.baseUrl);
  const fetchFn: Fetch | undefined = options.fetch ?? (globalThis as { fetch?: Fetch }).fetch;
  if (typeof fetchFn !== 'function') throw invalid('fetch', 'a fetch function (none on this platform)', options.fetch);
  const timeoutMs = checkInteger('timeoutMs', options.timeoutMs ?? 10_000, { ge: 1, le: 600_000 });
  const cacheMs = checkInteger('cacheMs', options.cacheMs ?? 60_000, { ge: 0, le: 86_400_000 });
  const now = options.now ?? Date.now;
  const cache = new Map<string, { key: string | null; at: number }>();

  async function lookup(identities: string[]): Promise<void> {
    for (let start = 0; start < identities.length; start += DIRECTORY_LOOKUP_MAX) {
      const chunk = identities.slice(start, start + DIRECTORY_LOOKUP_MAX);
      const controller = typeof AbortController === 'function' ? new AbortController() : undefined;
      const timer = controller ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
      let body: unknown;
      try {
        const res = await (fetchFn as Fetch)(`${base}/v1/keys/lookup`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json' },
          body: JSON.stringify({ identities: chunk }),
          ...(controller ? { signal: controller.signal } : {}),
        });
        if (!res.ok) throw new Error(`HTTP ${res.status}`);
        body = await res.json();
      } catch (err) {
        throw new PinholeError('verify_failed', 'directory', `the key directory at ${base} could not be asked: ${(err as Error).message}`, { cause: err });
      } finally {
        if (timer !== undefined) clearTimeout(timer);
      }
      const keys = (body as { keys?: unknown } | null)?.keys;
      if (!Array.isArray(keys) || keys.length !== chunk.length) throw new PinholeError('verify_failed', 'directory', `the key directory at ${base} answered a malformed lookup`);
      const at = now();
      chunk.forEach((identity, i) => {
        const e = keys[i] as { identity?: unknown; publicKey?: unknown; status?: unknown } | null;
        const valid = e !== null && typeof e === 'object' && e.identity === identity && e.status === 'active' && typeof e.publicKey === 'string' && /^[0-9a-f]{64}$/.test(e.publicKey);
        cache.set(identity, { key: valid ? (e.publicKey as string) : null, at });
      });
    }
  }

  // Lookups are coalesced: while one batch is in flight, identities asked for meanwhile wait and go
  // in the next batch, and an identity already on its way is not asked again. A server verifying
  // each advertisement as it arrives then sends a few requests per round instead of one per device.
  const inflight = new Map<string, Promise<void>>();
  let queued = new Set<string>();
  let next: Promise<void> | null = null;
  let busy: Promise<void> = Promise.resolve();

  function request(ids: readonly string[]): Promise<void[]> {
    const waits: Promise<void>[] = [];
    for (const id of ids) {
      let p = inflight.get(id);
      if (p === undefined) {
        queued.add(id);
        next ??= busy.then(
          () => send(),
          () => send(),
        );
        p = next;
        inflight.set(id, p);
      }
      waits.push(p);
    }
    return Promise.all(waits);
  }

  function send(): Promise<void> {
    const batch = [...queued];
    queued = new Set();
    next = null;
    const done = lookup(batch).finally(() => {
      for (const id of batch) inflight.delete(id);
    });
    busy = done;
    return done;
  }

  async function verifyMany(entries: readonly DirectoryEntry[]): Promise<boolean[]> {
    const t = now();
    const missing = [...new Set(entries.map((e) => e.identity).filter((id) => IDENTITY_PATTERN.test(id)))].filter((id) => {
      const c = cache.get(id);
      return c === undefined || t - c.at > cacheMs;
    });
    if (missing.length > 0) await request(missing);
    return entries.map((e) => IDENTITY_PATTERN.test(e.identity) && e.publicKey instanceof Uint8Array && cache.get(e.identity)?.key === toHex(e.publicKey));
  }

  return {
    verifyMany,
    verify: async (identity, publicKey) => (await verifyMany([{ identity, publicKey }]))[0] as boolean,
  };
}
