/**
 * HTTP to the aggregator over the injected `fetch`: a timeout per attempt, retries of what may
 * succeed later (network failures, 408, 425, 429, 5xx) with exponential backoff and full jitter
 * (AWS Architecture Blog, "Exponential Backoff and Jitter", 2015: a delay uniform in
 * [0, min(cap, base · 2^attempt)]), `Retry-After` honoured up to the cap, and the server's RFC 9457
 * problem details turned into a `ServerProblem`. Jitter is drawn from the injected Rng (the
 * CSPRNG by default): it is not privacy noise, but no non-cryptographic generator is used anywhere.
 */
import type { Rng } from '@pinhole/core';

export type Fetch = (input: string, init?: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string; signal?: AbortSignal }) => Promise<FetchResponse>;

/** The part of a fetch Response the client reads. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface RetryPolicy {
  /** attempts per request, the first included (default 5) */
  readonly attempts: number;
  /** backoff base (default 500 ms) */
  readonly baseDelayMs: number;
  /** backoff cap, and the longest Retry-After honoured (default 30 s) */
  readonly maxDelayMs: number;
  /** one attempt's timeout (default 30 s; long polls add their wait) */
  readonly timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ attempts: 5, baseDelayMs: 500, maxDelayMs: 30_000, timeoutMs: 30_000 });

/** An answer of the server that is not a success and will not become one by retrying. */
export class ServerProblem extends Error {
  override readonly name = 'ServerProblem';
  readonly status: number;
  /** the problem's `code` (a PinholeError code or a transport code such as not_found) */
  readonly code: string;
  readonly param: string;
  constructor(status: number, code: string, param: string, detail: string) {
    super(detail);
    this.status = status;
    this.code = code;
    this.param = param;
  }
}

/** The server could not be reached, or kept failing, within the retry policy. */
export class Unreachable extends Error {
  override readonly name = 'Unreachable';
  /** the last HTTP status seen, or null when no answer came */
  readonly status: number | null;
  constructor(message: string, status: number | null) {
    super(message);
    this.status = status;
  }
}

/** The caller's signal aborted the request. */
export class Aborted extends Error {
  override readonly name = 'Aborted';
}

export interface HttpResponse {
  readonly status: number;
  readonly contentType: string;
  readonly body: Uint8Array;
  json<T = unknown>(): T;
}

export interface RequestOptions {
  readonly method?: 'GET' | 'POST';
  readonly body?: Uint8Array | string;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
  readonly signal?: AbortSignal;
  /** added to the attempt timeout (long polls) */
  readonly extraTimeoutMs?: number;
  /** statuses returned as answers rather than retried or thrown (besides 2xx) */
  readonly accept?: readonly number[];
}

const RETRYABLE = new Set([408, 425, 429, 500, 502, 503, 504]);
const decoder = new TextDecoder();

function retryAfterMs(value: string | null, now: number): number | null {
  if (value === null) return null;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - now) : null;
}

function abortError(): Aborted {
  return new Aborted('the request was aborted by the caller');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError());
    const onAbort = () => {
      clearTimeout(t);
      reject(abortError());
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export class Http {
  readonly baseUrl: string;
  readonly #fetch: Fetch;
  readonly #retry: RetryPolicy;
  readonly #rng: Rng;
  /** body bytes sent and received, for the client's cost figures */
  bytesSent = 0;
  bytesReceived = 0;

  constructor(baseUrl: string, fetchFn: Fetch, retry: RetryPolicy, rng: Rng) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#fetch = fetchFn;
    this.#retry = retry;
    this.#rng = rng;
  }

  /** The backoff before retry number `attempt` (1 = the first retry): uniform in [0, min(cap, base · 2^(attempt-1))]. */
  backoffMs(attempt: number): number {
    const ceiling = Math.min(this.#retry.maxDelayMs, this.#retry.baseDelayMs * 2 ** (attempt - 1));
    return this.#rng.float64() * ceiling;
  }

  async request(path: string, options: RequestOptions = {}): Promise<HttpResponse> {
    const { attempts, timeoutMs, maxDelayMs } = this.#retry;
    let lastStatus: number | null = null;
    let lastReason = '';
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (options.signal?.aborted) throw abortError();
      let waitMs: number | null = null;
      const controller = new AbortController();
      const onAbort = () => controller.abort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const timer = setTimeout(() => controller.abort(), timeoutMs + (options.extraTimeoutMs ?? 0));
      try {
        const headers: Record<string, string> = { accept: 'application/json, application/msgpack, application/problem+json', ...(options.headers ?? {}) };
        if (options.contentType !== undefined) headers['content-type'] = options.contentType;
        const res = await this.#fetch(`${this.baseUrl}${path}`, {
          method: options.method ?? 'GET',
          headers,
          ...(options.body === undefined ? {} : { body: options.body }),
          signal: controller.signal,
        });
        if (options.body !== undefined) this.bytesSent += typeof options.body === 'string' ? options.body.length : options.body.byteLength;
        const body = new Uint8Array(await res.arrayBuffer());
        this.bytesReceived += body.byteLength;
        const contentType = (res.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        if ((res.status >= 200 && res.status < 300) || options.accept?.includes(res.status)) {
          return {
            status: res.status,
            contentType,
            body,
            json: <T>() => JSON.parse(decoder.decode(body)) as T,
          };
        }
        lastStatus = res.status;
        if (!RETRYABLE.has(res.status)) throw problemOf(res.status, contentType, body);
        lastReason = `HTTP ${res.status}`;
        waitMs = retryAfterMs(res.headers.get('retry-after'), Date.now());
      } catch (e) {
        if (e instanceof ServerProblem) throw e;
        if (options.signal?.aborted) throw abortError();
        lastReason = controller.signal.aborted ? 'timed out' : e instanceof Error ? e.message : String(e);
      } finally {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
      }
      if (attempt + 1 < attempts) {
        const backoff = this.backoffMs(attempt + 1);
        await sleep(waitMs === null ? backoff : Math.min(maxDelayMs, Math.max(waitMs, backoff)), options.signal);
      }
    }
    throw new Unreachable(`${this.baseUrl}${path.split('?')[0] ?? ''} unreachable after ${attempts} attempts (${lastReason})`, lastStatus);
  }
}

function problemOf(status: number, contentType: string, body: Uint8Array): ServerProblem {
  let code = 'http_error';
  let param = '';
  let detail = `HTTP ${status}`;
  if (contentType.endsWith('json')) {
    try {
      const p = JSON.parse(decoder.decode(body)) as Record<string, unknown>;
      if (typeof p.code === 'string') code = p.code;
      if (typeof p.param === 'string') param = p.param;
      if (typeof p.detail === 'string') detail = p.detail.slice(0, 500);
    } catch {
      // not a problem document: keep the status
    }
  }
  return new ServerProblem(status, code, param, detail);
}
