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
  PinholeError,
  contributorTokenAsync,
  encodeRoundReport,
  isPinholeError,
  makeContributorSecret,
  makeReportId,
  validateNetworkSample,
} from '@pinhole/core';
import { checkObject } from '@pinhole/core/validate';
import { planPeriod } from '@pinhole/core/plan';
import { type AnyDeviceOracle, type DeviceNumericMechanism } from '@pinhole/ldp';
import { fromBase64, toBase64 } from './bytes.js';
import { deviceEntry, deviceMechanism } from './device.js';
import { checkDevicePlan, devicePlanRules } from './device-plan.js';
import { deviceInputs } from './inputs.js';
import { type BudgetStatus, BudgetLedger } from './ledger.js';
import { isMemoised, memoisedEntry } from './memo.js';
import { type ClientOptions, clientConfig } from './options.js';
import type { RoundView, SecureAggregation } from './plugin.js';
import { ReportQueue } from './queue.js';
import { type ClientStatus, type PinholeClient, type SyncError, type SyncOutcome, type SyncResult, syncError } from './results.js';
import { Aborted, Http, ServerProblem, Unreachable } from './transport.js';

export type { ClientOptions } from './options.js';
export type { ClientStatus, PinholeClient, SyncError, SyncOutcome, SyncResult } from './results.js';
export { checkDevicePlan } from './device-plan.js';

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

export function createClient(options: ClientOptions): PinholeClient {
  const { serverUrl, storage, fetch: boundFetch, clock, allowInsecureRng, rng, trustAggregator, secagg, hmacSha256, retry, maxQueued, maxSamples, maxSampleAgeMs, maxBudget } = clientConfig(options);
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
      if (!secret || secret.length < 16)
        throw new PinholeError('invalid_state', 'storage', "the device's stored secret is unreadable: refusing to make a new one (its contributor tokens would change within a round)");
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
    const effectiveFrom = devicePlanRules(plan, st.plan, now, { trustAggregator, secagg, maxBudget });
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
