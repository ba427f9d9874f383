/**
 * The on-device client: `record(sample)` keeps a validated measurement on the device; `sync()`
 * uploads what is queued, reads the plan and the current round, and when the device's budget
 * allows, builds the round's report from its samples, perturbs it with the plan's mechanism, charges
 * the budget ledger (persisted first) and uploads it, resending the same bytes until the server
 * acknowledges them. Secure-aggregation plans run through the `secureAggregation()` plug-in of
 * `@pinhole/client/secagg`.
 *
 * Raw measurements stay on the device: they are stored in the injected storage and used to build
 * reports; no error, result or log of the client contains a measured value.
 */
import {
  type NetworkSample,
  type Plan,
  type PlanCollection,
  type ReportEntry,
  type Rng,
  PinholeError,
  checkBoolean,
  checkInteger,
  checkNumber,
  checkObject,
  type PlanModeRules,
  centralCollectionRule,
  checkPlanWith,
  contributorTokenAsync,
  type HmacSha256,
  cryptoRng,
  encodeRoundReport,
  isPinholeError,
  makeContributorSecret,
  makeReportId,
  ldpCollectionRule,
  planChange,
  planPeriod,
  requireSecureRng,
  validateNetworkSample,
} from '@pinhole/core';
import { type AnyDeviceOracle, type DeviceNumericMechanism } from '@pinhole/ldp';
import { fromBase64, toBase64 } from './bytes.js';
import { deviceEntry, deviceMechanism } from './device.js';
import { deviceInputs } from './inputs.js';
import { type BudgetStatus, BudgetLedger } from './ledger.js';
import { isMemoised, memoisedEntry } from './memo.js';
import type { RoundView, SecureAggregation } from './plugin.js';
import { type QueueCounters, ReportQueue } from './queue.js';
import { type KeyValueStorage, isKeyValueStorage } from './storage.js';
import { type Fetch, type RetryPolicy, Aborted, DEFAULT_RETRY, Http, ServerProblem, Unreachable } from './transport.js';

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

/** What went wrong, as data (never a measured value). */
export interface SyncError {
  readonly code: string;
  readonly param: string;
  readonly message: string;
  /** the HTTP status when the server answered */
  readonly status: number | null;
}

export type SyncOutcome =
  /** this round's report reached the server (or, secure aggregation, the round completed with it) */
  | 'reported'
  /** this round's report is perturbed, charged and queued: the server was not reachable */
  | 'queued'
  /** this device already reported in the current round */
  | 'already_reported'
  /** no round is collecting now */
  | 'no_round'
  /** no recorded sample applies to the plan */
  | 'no_samples'
  /** the period's budget is spent: nothing was sent */
  | 'budget_exhausted'
  /** the served plan is refused by this device (see error) */
  | 'plan_refused'
  /** the plan's first period, or its change, has not started */
  | 'plan_not_effective'
  /** the server could not be reached */
  | 'offline'
  /** secure aggregation: this device left the round before it ended */
  | 'dropped_out'
  /** secure aggregation: the round aborted, or this device refused it */
  | 'round_aborted'
  /** the caller's signal aborted the sync */
  | 'aborted'
  /** anything else (see error) */
  | 'failed';

export interface SyncResult {
  readonly outcome: SyncOutcome;
  readonly plan: { readonly id: string; readonly revision: number } | null;
  readonly roundId: string | null;
  /** queued reports the server acknowledged during this sync */
  readonly delivered: number;
  /** reports still queued */
  readonly pending: number;
  readonly budget: BudgetStatus | null;
  /** samples that were not used because they fall outside the plan's public domains */
  readonly samplesOutsideDomains: number;
  readonly error: SyncError | null;
}

export interface ClientStatus {
  readonly samples: number;
  readonly samplesDropped: number;
  readonly pending: number;
  readonly queue: Readonly<QueueCounters>;
  readonly plan: { readonly id: string; readonly revision: number } | null;
  /** request body bytes sent and received since this client was created */
  readonly bytesSent: number;
  readonly bytesReceived: number;
}

export interface PinholeClient {
  /** Validates a measurement and keeps it on the device (persisted). Bad input: invalid_argument naming the field, never its value. */
  record(sample: NetworkSample): Promise<void>;
  /** Uploads what is queued and takes part in the current round when the budget allows. Resolves with what happened; throws only for misuse. */
  sync(options?: { readonly signal?: AbortSignal }): Promise<SyncResult>;
  /** The budget of the current period under the accepted plan (null before the first plan). */
  budget(): Promise<BudgetStatus | null>;
  status(): Promise<ClientStatus>;
}

interface StoredPlan {
  v: 1;
  document: string;
  effectiveFrom: number;
}

interface State {
  ledger: BudgetLedger;
  queue: ReportQueue;
  samples: NetworkSample[];
  samplesDropped: number;
  secret: Uint8Array;
  plan: { plan: Plan; document: string; effectiveFrom: number } | null;
}

const MSGPACK = 'application/msgpack';

function syncError(e: unknown): SyncError {
  if (typeof e === 'object' && e !== null && !(e instanceof Error) && typeof (e as SyncError).code === 'string' && typeof (e as SyncError).message === 'string') {
    const x = e as SyncError;
    return { code: x.code, param: String(x.param), message: x.message, status: typeof x.status === 'number' ? x.status : null };
  }
  if (e instanceof ServerProblem) return { code: e.code, param: e.param, message: e.message, status: e.status };
  if (e instanceof Unreachable) return { code: 'unreachable', param: 'serverUrl', message: e.message, status: e.status };
  if (e instanceof Aborted) return { code: 'aborted', param: 'signal', message: e.message, status: null };
  if (isPinholeError(e)) return { code: e.code, param: e.param, message: e.message, status: null };
  return { code: 'internal', param: '', message: e instanceof Error ? e.message : String(e), status: null };
}

function checkUrl(param: string, value: unknown): string {
  if (typeof value !== 'string' || !/^https?:\/\/[^\s/]+/.test(value) || value.length > 2048) throw new PinholeError('invalid_argument', param, `"${param}" expected an http(s) URL`);
  return value;
}

/**
 * The check a client applies to a served plan: the server's rules (checkPlan) for the modes this
 * device takes part in (local DP, central, and secure aggregation with the plug-in); a collection
 * of another mode is refused before any of its fields is used. A plain function of the plug-in, so
 * an app's bundle carries only the rules of the modes it can run.
 */
export function checkDevicePlan(json: unknown, secureAggregation?: SecureAggregation): Plan {
  const rules: PlanModeRules = {
    ldp: ldpCollectionRule,
    central: centralCollectionRule,
    secagg:
      secureAggregation?.planRule ??
      (({ param, base }) => {
        throw new PinholeError('unsupported', `${param}.mode`, `collection "${base.id}" is collected by secure aggregation: pass secureAggregation() from @pinhole/client/secagg to createClient`);
      }),
    prio3: ({ param, base }) => {
      throw new PinholeError('unsupported', `${param}.mode`, `collection "${base.id}" is collected by two aggregators: report it with prio3Report from @pinhole/client/prio3`);
    },
  };
  return checkPlanWith(json, rules);
}

export function createClient(options: ClientOptions): PinholeClient {
  const o = checkObject('options', options);
  const serverUrl = checkUrl('options.serverUrl', o.serverUrl);
  if (!isKeyValueStorage(o.storage)) throw new PinholeError('invalid_argument', 'options.storage', '"options.storage" expected a key-value storage (get, set, delete): memoryStorage(), webStorage(localStorage), indexedDbStorage()');
  const storage = o.storage as KeyValueStorage;
  const fetchFn = (o.fetch ?? (globalThis as { fetch?: Fetch }).fetch) as Fetch | undefined;
  if (typeof fetchFn !== 'function') throw new PinholeError('invalid_argument', 'options.fetch', '"options.fetch" expected a fetch function (this platform has none)');
  const boundFetch: Fetch = o.fetch === undefined ? (input, init) => (fetchFn as Fetch).call(globalThis, input, init) : fetchFn;
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
  if (hmacSha256 !== undefined && typeof hmacSha256 !== 'function') throw new PinholeError('invalid_argument', 'options.hmacSha256', '"options.hmacSha256" expected a function (key, message) => HMAC-SHA256 bytes');
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
  const http = new Http(serverUrl, boundFetch, retry, rng);
  const checkPlan = (json: unknown): Plan => checkDevicePlan(json, secagg);

  // one operation at a time: the ledger, the queue and the samples change together
  let chain: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn, fn);
    chain = next.catch(() => undefined);
    return next;
  };

  let loaded: Promise<State> | null = null;
  const state = (): Promise<State> => {
    loaded ??= load().catch((e: unknown) => {
      loaded = null;
      throw e;
    });
    return loaded;
  };

  async function load(): Promise<State> {
    const ledger = await BudgetLedger.open(storage);
    const queue = await ReportQueue.open(storage, maxQueued);
    let samples: NetworkSample[] = [];
    let samplesDropped = 0;
    const rawSamples = await storage.get('samples');
    if (rawSamples) {
      try {
        const s = JSON.parse(rawSamples) as { samples?: unknown[]; dropped?: number };
        // a stored sample that no longer validates is dropped, silently and without its value
        for (const x of s.samples ?? []) {
          try {
            samples.push(validateNetworkSample(x));
          } catch {
            samplesDropped++;
          }
        }
        if (typeof s.dropped === 'number' && Number.isSafeInteger(s.dropped)) samplesDropped += s.dropped;
      } catch {
        samples = [];
      }
    }
    let secret: Uint8Array | null = null;
    const rawDevice = await storage.get('device');
    if (rawDevice) {
      try {
        const d = JSON.parse(rawDevice) as { v?: number; secret?: string };
        secret = typeof d.secret === 'string' ? fromBase64(d.secret) : null;
      } catch {
        secret = null;
      }
      if (!secret || secret.length < 16) throw new PinholeError('invalid_state', 'storage', "the device's stored secret is unreadable: refusing to make a new one (its contributor tokens would change within a round)");
    } else {
      secret = makeContributorSecret(rng, { allowInsecureRng });
      await storage.set('device', JSON.stringify({ v: 1, secret: toBase64(secret) }));
    }
    let plan: State['plan'] = null;
    const rawPlan = await storage.get('plan');
    if (rawPlan) {
      const p = JSON.parse(rawPlan) as StoredPlan;
      plan = { plan: checkPlan(JSON.parse(p.document)), document: p.document, effectiveFrom: p.effectiveFrom };
    }
    return { ledger, queue, samples, samplesDropped, secret, plan };
  }

  async function saveSamples(st: State): Promise<void> {
    await storage.set('samples', JSON.stringify({ samples: st.samples, dropped: st.samplesDropped }));
  }

  /** Accepts the served plan if this device may follow it; persists it. Throws the refusal. */
  async function acceptPlan(st: State, json: unknown, now: number): Promise<NonNullable<State['plan']>> {
    const plan = checkPlan(json);
    const document = JSON.stringify(plan);
    if (st.plan && st.plan.document === document) return st.plan;
    plan.collections.forEach((c: PlanCollection, i) => {
      if (c.mode === 'central' && !trustAggregator) {
        throw new PinholeError('protocol_violation', `plan.collections[${i}].mode`, `collection "${c.id}" is "central": the device would send exact values; refused unless the app sets trustAggregator`);
      }
    });
    if (plan.collections.some((c) => c.mode === 'secagg') && plan.collections.some((c) => c.mode !== 'secagg')) {
      throw new PinholeError('unsupported', 'plan.collections', 'a plan that mixes secure aggregation with report collections is not supported by this client');
    }
    if (secagg !== undefined && plan.collections.some((c) => c.mode === 'secagg')) secagg.checkPlan(plan);
    if (maxBudget && (plan.budget.epsilon > maxBudget.epsilon || plan.budget.delta > maxBudget.delta)) {
      throw new PinholeError('budget_exceeded', 'plan.budget', `the plan's period budget (epsilon ${plan.budget.epsilon}, delta ${plan.budget.delta}) exceeds this app's ceiling (epsilon ${maxBudget.epsilon}, delta ${maxBudget.delta})`);
    }
    let effectiveFrom = now;
    if (st.plan) {
      const prev = st.plan.plan;
      if (prev.id === plan.id && prev.revision === plan.revision) {
        throw new PinholeError('protocol_violation', 'plan.revision', `the server changed plan "${plan.id}" revision ${plan.revision} without a new revision`);
      }
      // the server's own rule, enforced by the device: no change lets a period's spend grow
      effectiveFrom = Math.max(planChange(prev, plan, now).effectiveFromMs, st.plan.effectiveFrom);
    }
    const accepted = { plan, document, effectiveFrom };
    await storage.set('plan', JSON.stringify({ v: 1, document, effectiveFrom } satisfies StoredPlan));
    st.plan = accepted;
    return accepted;
  }

  /** Tries every queued report once (each with the retry policy). Returns how many were delivered, whether the server was unreachable, and the server's refusals by report id. */
  async function flush(st: State, signal: AbortSignal | undefined): Promise<{ delivered: number; offline: boolean; refusals: Map<string, ServerProblem> }> {
    let delivered = 0;
    const refusals = new Map<string, ServerProblem>();
    for (const item of [...st.queue.items]) {
      try {
        await st.queue.attempted(item.reportId);
        await http.request('/v1/reports', { method: 'POST', body: item.bytes, contentType: MSGPACK, ...(signal ? { signal } : {}) });
        await st.queue.settle(item.reportId, 'delivered');
        delivered++;
      } catch (e) {
        if (e instanceof Unreachable) return { delivered, offline: true, refusals };
        if (e instanceof ServerProblem) {
          // 409 invalid_state / 404: the round no longer takes reports; anything else is a refusal for good
          const closed = (e.status === 409 && e.code === 'invalid_state') || e.status === 404;
          await st.queue.settle(item.reportId, closed ? 'expired' : 'refused');
          refusals.set(item.reportId, e);
          continue;
        }
        throw e;
      }
    }
    return { delivered, offline: false, refusals };
  }

  function usableSamples(st: State, plan: Plan, now: number): NetworkSample[] {
    const maxAge = maxSampleAgeMs ?? plan.budget.periodSeconds * 1000;
    return st.samples.filter((s) => s.timestamp >= now - maxAge && s.timestamp <= now + 60_000);
  }

  const mechanisms = new Map<string, AnyDeviceOracle | DeviceNumericMechanism>();
  function mechanismOf(plan: Plan, c: PlanCollection): AnyDeviceOracle | DeviceNumericMechanism {
    const key = `${plan.id}#${plan.revision}#${c.id}`;
    let m = mechanisms.get(key);
    if (!m) {
      m = deviceMechanism(c, { allowInsecureRng });
      mechanisms.set(key, m);
    }
    return m;
  }

  async function syncOnce(signal: AbortSignal | undefined): Promise<SyncResult> {
    const st = await state();
    let now = await st.ledger.observe(clock());
    let planRef: SyncResult['plan'] = st.plan ? { id: st.plan.plan.id, revision: st.plan.plan.revision } : null;
    let roundId: string | null = null;
    let outside = 0;
    let delivered = 0;
    const result = (outcome: SyncOutcome, error: unknown = null): SyncResult => {
      let budget: BudgetStatus | null = null;
      try {
        budget = st.plan ? st.ledger.status(st.plan.plan, now) : null;
      } catch {
        budget = null;
      }
      return Object.freeze({ outcome, plan: planRef, roundId, delivered, pending: st.queue.items.length, budget, samplesOutsideDomains: outside, error: error === null ? null : syncError(error) });
    };
    try {
      const flushed = await flush(st, signal);
      delivered += flushed.delivered;
      if (flushed.offline) return result('offline', new Unreachable('queued reports could not be uploaded: the server is unreachable', null));

      let accepted: NonNullable<State['plan']>;
      try {
        const res = await http.request('/v1/plan', signal ? { signal } : {});
        accepted = await acceptPlan(st, res.json(), now);
      } catch (e) {
        if (isPinholeError(e)) return result('plan_refused', e);
        throw e;
      }
      const plan = accepted.plan;
      planRef = { id: plan.id, revision: plan.revision };
      if (now < accepted.effectiveFrom || now < Date.parse(plan.budget.periodStart)) return result('plan_not_effective');

      const res = await http.request('/v1/rounds/current', { accept: [404], ...(signal ? { signal } : {}) });
      if (res.status === 404) return result('no_round');
      const round = res.json<RoundView>();
      if (typeof round?.roundId !== 'string') return result('failed', new PinholeError('protocol_violation', 'round', 'the server described the current round without a round id'));
      roundId = round.roundId;
      if (round.planId !== plan.id || round.planRevision !== plan.revision) return result('no_round');
      if (st.ledger.entry(round.roundId)) return result(st.queue.has(round.roundId) ? 'queued' : 'already_reported');
      if (st.ledger.status(plan, now).roundsLeft < 1) return result('budget_exhausted');

      const samples = usableSamples(st, plan, now);
      const built = deviceInputs(plan, samples, rng);
      outside = built.outsideDomains;
      if (built.inputs.size === 0) return result('no_samples');
      const contributor = await contributorTokenAsync(st.secret, { planId: plan.id, roundId: round.roundId }, hmacSha256);
      const consumeSamples = async () => {
        const used = new Set(samples);
        st.samples = st.samples.filter((s) => !used.has(s));
        await saveSamples(st);
      };

      if (plan.collections.some((c) => c.mode === 'secagg')) {
        const out = await (secagg as SecureAggregation).run({
          plan,
          round,
          http,
          storage,
          rng,
          allowInsecureRng,
          inputs: built.inputs,
          contributor,
          signal,
          now: () => st.ledger.now(clock()),
          charge: async () => {
            now = await st.ledger.observe(clock());
            await st.ledger.charge(plan, round.roundId, now);
          },
          consumeSamples,
        });
        if (out.outcome === 'reported') return result('reported');
        if (out.outcome === 'dropped_out') return result('dropped_out', new PinholeError('invalid_state', out.phase, out.reason));
        return result('round_aborted', { code: out.code, param: out.phase, message: out.reason, status: null } satisfies SyncError);
      }

      // local DP (or central): charge first, then perturb once and queue the bytes
      await st.ledger.charge(plan, round.roundId, now);
      const entries: ReportEntry[] = [];
      for (const c of plan.collections) {
        const input = built.inputs.get(c.id);
        if (input === undefined) continue;
        const draw = () => (c.mode === 'ldp' ? deviceEntry(c, input, rng, { mechanism: mechanismOf(plan, c), allowInsecureRng }) : deviceEntry(c, input, rng, { allowInsecureRng }));
        // the same bucket reuses its report: averaging rounds learns no more than one (memo.ts)
        entries.push(isMemoised(c) && 'bucket' in input ? await memoisedEntry(storage, plan, c, input.bucket, draw) : draw());
      }
      const reportId = makeReportId(rng, { allowInsecureRng });
      const bytes = encodeRoundReport({ planId: plan.id, planRevision: plan.revision, roundId: round.roundId, reportId, contributor, entries });
      await st.queue.add({ roundId: round.roundId, reportId, planId: plan.id, revision: plan.revision, bytes, queuedAt: now, attempts: 0 });
      await consumeSamples();
      const sent = await flush(st, signal);
      delivered += sent.delivered;
      if (st.queue.has(round.roundId)) return result('queued', sent.offline ? new Unreachable('the report is queued: the server is unreachable', null) : null);
      // refused (or the round closed meanwhile): its budget stays spent, and the caller hears why
      const refusal = sent.refusals.get(reportId);
      if (refusal) return result('failed', refusal);
      return result('reported');
    } catch (e) {
      if (e instanceof Aborted) return result('aborted', e);
      if (e instanceof Unreachable) return result('offline', e);
      if (e instanceof ServerProblem) return result('failed', e);
      if (isPinholeError(e, 'budget_exceeded')) return result('budget_exhausted', e);
      if (isPinholeError(e)) return result('failed', e);
      throw e;
    }
  }

  return Object.freeze({
    async record(sample: NetworkSample): Promise<void> {
      const s = validateNetworkSample(sample);
      return exclusive(async () => {
        const st = await state();
        st.samples.push(s);
        while (st.samples.length > maxSamples) {
          st.samples.shift();
          st.samplesDropped++;
        }
        await saveSamples(st);
      });
    },
    sync(opts: { readonly signal?: AbortSignal } = {}): Promise<SyncResult> {
      checkObject('options', opts);
      return exclusive(() => syncOnce(opts.signal));
    },
    budget(): Promise<BudgetStatus | null> {
      return exclusive(async () => {
        const st = await state();
        if (!st.plan) return null;
        const now = st.ledger.now(clock());
        try {
          planPeriod(st.plan.plan, now);
        } catch {
          return null;
        }
        return st.ledger.status(st.plan.plan, now);
      });
    },
    status(): Promise<ClientStatus> {
      return exclusive(async () => {
        const st = await state();
        return Object.freeze({
          samples: st.samples.length,
          samplesDropped: st.samplesDropped,
          pending: st.queue.items.length,
          queue: st.queue.counters,
          plan: st.plan ? { id: st.plan.plan.id, revision: st.plan.plan.revision } : null,
          bytesSent: http.bytesSent,
          bytesReceived: http.bytesReceived,
        });
      });
    },
  });
}
