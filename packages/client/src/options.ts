/** The client's options (createClient) and their validation: what an app may set, checked once. */
import { type HmacSha256, type Rng, PinholeError, cryptoRng, requireSecureRng } from '@pinhole/core';
import { checkBoolean, checkInteger, checkNumber, checkObject } from '@pinhole/core/validate';
import type { SecureAggregation } from './plugin.js';
import { type KeyValueStorage, isKeyValueStorage } from './storage.js';
import { type Fetch, type RetryPolicy, DEFAULT_RETRY } from './transport.js';

export interface ClientOptions {
  /** the aggregator, e.g. "https://pinhole.example.org" (its API is under /v1) */
  readonly serverUrl: string;
  /** where the ledger, the queue, the device's secrets and its unreported samples live */
  readonly storage: KeyValueStorage;
  /** default globalThis.fetch */
  readonly fetch?: Fetch;
  /** ms since the epoch; default Date.now */
  readonly clock?: () => number;
  /** required for plans with secure-aggregation collections: `secureAggregation()` from @pinhole/client/secagg */
  readonly secureAggregation?: SecureAggregation;
  readonly retry?: Partial<RetryPolicy>;
  /** perturbed reports kept for upload (default 32); the oldest is dropped beyond it */
  readonly maxQueuedReports?: number;
  /** unreported samples kept (default 1,000); the oldest is dropped beyond it */
  readonly maxSamples?: number;
  /** samples older than this are not reported (default: the plan's period) */
  readonly maxSampleAgeMs?: number;
  /** refuse plans whose period budget exceeds this (default: no ceiling of the device's own) */
  readonly maxBudget?: { readonly epsilon: number; readonly delta: number };
  /**
   * Take part in collections of mode "central": the device sends its exact values and trusts the
   * aggregator to add the noise. Without it such a plan is refused (a server could otherwise
   * switch a device from local noise to raw values by serving another plan).
   */
  readonly trustAggregator?: boolean;
  /** randomness for noise, report ids, secrets; cryptoRng() by default */
  readonly rng?: Rng;
  /** accept a seeded rng: simulations and tests only */
  readonly allowInsecureRng?: boolean;
  /**
   * HMAC-SHA256 for the device's contributor tokens; default the platform's WebCrypto. Pass one
   * where `crypto.subtle` is missing, e.g. `(k, m) => hmac(sha256, k, m)` from @noble/hashes.
   */
  readonly hmacSha256?: HmacSha256;
}

/** ClientOptions checked, with the defaults filled in. */
export interface ClientConfig {
  readonly serverUrl: string;
  readonly storage: KeyValueStorage;
  readonly fetch: Fetch;
  readonly clock: () => number;
  readonly allowInsecureRng: boolean;
  readonly rng: Rng;
  readonly trustAggregator: boolean;
  readonly secagg: SecureAggregation | undefined;
  readonly hmacSha256: HmacSha256 | undefined;
  readonly retry: RetryPolicy;
  readonly maxQueued: number;
  readonly maxSamples: number;
  readonly maxSampleAgeMs: number | null;
  readonly maxBudget: { readonly epsilon: number; readonly delta: number } | null;
}

function checkUrl(param: string, value: unknown): string {
  if (typeof value !== 'string' || !/^https?:\/\/[^\s/]+/.test(value) || value.length > 2048) throw new PinholeError('invalid_argument', param, `"${param}" expected an http(s) URL`);
  return value;
}

/** Checks createClient's options; bad ones are `invalid_argument` naming the option. */
export function clientConfig(options: ClientOptions): ClientConfig {
  const o = checkObject('options', options);
  const serverUrl = checkUrl('options.serverUrl', o.serverUrl);
  if (!isKeyValueStorage(o.storage))
    throw new PinholeError('invalid_argument', 'options.storage', '"options.storage" expected a key-value storage (get, set, delete): memoryStorage(), webStorage(localStorage), indexedDbStorage()');
  const storage = o.storage;
  const fetchFn = (o.fetch ?? (globalThis as { fetch?: Fetch }).fetch) as Fetch | undefined;
  if (typeof fetchFn !== 'function') throw new PinholeError('invalid_argument', 'options.fetch', '"options.fetch" expected a fetch function (this platform has none)');
  const boundFetch: Fetch = o.fetch === undefined ? (input, init) => fetchFn.call(globalThis, input, init) : fetchFn;
  const clock = (o.clock ?? Date.now) as () => number;
  if (typeof clock !== 'function') throw new PinholeError('invalid_argument', 'options.clock', '"options.clock" expected a function returning ms since the epoch');
  const allowInsecureRng = o.allowInsecureRng === undefined ? false : checkBoolean('options.allowInsecureRng', o.allowInsecureRng);
  const rng = requireSecureRng((o.rng ?? cryptoRng()) as Rng, allowInsecureRng);
  const trustAggregator = o.trustAggregator === undefined ? false : checkBoolean('options.trustAggregator', o.trustAggregator);
  const secagg = o.secureAggregation as SecureAggregation | undefined;
  if (secagg !== undefined && (typeof secagg !== 'object' || secagg === null || secagg.kind !== 'pinhole/secure-aggregation')) {
    throw new PinholeError('invalid_argument', 'options.secureAggregation', '"options.secureAggregation" expected secureAggregation() from @pinhole/client/secagg');
  }
  const hmacSha256 = o.hmacSha256 as HmacSha256 | undefined;
  if (hmacSha256 !== undefined && typeof hmacSha256 !== 'function')
    throw new PinholeError('invalid_argument', 'options.hmacSha256', '"options.hmacSha256" expected a function (key, message) => HMAC-SHA256 bytes');
  const r = o.retry === undefined ? {} : checkObject('options.retry', o.retry);
  const retry: RetryPolicy = {
    attempts: r.attempts === undefined ? DEFAULT_RETRY.attempts : checkInteger('options.retry.attempts', r.attempts, { ge: 1, le: 100 }),
    baseDelayMs: r.baseDelayMs === undefined ? DEFAULT_RETRY.baseDelayMs : checkNumber('options.retry.baseDelayMs', r.baseDelayMs, { ge: 0, le: 3_600_000 }),
    maxDelayMs: r.maxDelayMs === undefined ? DEFAULT_RETRY.maxDelayMs : checkNumber('options.retry.maxDelayMs', r.maxDelayMs, { ge: 0, le: 3_600_000 }),
    timeoutMs: r.timeoutMs === undefined ? DEFAULT_RETRY.timeoutMs : checkNumber('options.retry.timeoutMs', r.timeoutMs, { gt: 0, le: 3_600_000 }),
  };
  const maxQueued = o.maxQueuedReports === undefined ? 32 : checkInteger('options.maxQueuedReports', o.maxQueuedReports, { ge: 1, le: 10_000 });
  const maxSamples = o.maxSamples === undefined ? 1000 : checkInteger('options.maxSamples', o.maxSamples, { ge: 1, le: 1_000_000 });
  const maxSampleAgeMs = o.maxSampleAgeMs === undefined ? null : checkNumber('options.maxSampleAgeMs', o.maxSampleAgeMs, { gt: 0 });
  let maxBudget: { epsilon: number; delta: number } | null = null;
  if (o.maxBudget !== undefined) {
    const b = checkObject('options.maxBudget', o.maxBudget);
    maxBudget = { epsilon: checkNumber('options.maxBudget.epsilon', b.epsilon, { gt: 0 }), delta: checkNumber('options.maxBudget.delta', b.delta, { ge: 0, lt: 1 }) };
  }
  return { serverUrl, storage, fetch: boundFetch, clock, allowInsecureRng, rng, trustAggregator, secagg, hmacSha256, retry, maxQueued, maxSamples, maxSampleAgeMs, maxBudget };
}
