/**
 * Two-aggregator rounds (plans whose collections are all of mode "prio3"): a leader and a helper,
 * two processes with their own databases, each receiving from every device its own input share
 * under the same report id.
 *
 *   open       the leader opens a round by its ledger and announces it to the helper, which
 *              opens it too only if its own ledger (the same plan) allows one more round: the
 *              helper is an independent guard on the period budget;
 *   verify     at close the leader runs verify-init on its shares and sends its verifier shares,
 *              a batch at a time; the helper (which stops taking uploads for the round) runs its
 *              own verify-init, combines both verifier shares into the verifier message (the
 *              FLP decision: an out-of-range measurement, a corrupt or mismatched share fails
 *              here) and verify-next, and answers the messages of the reports it accepts; the
 *              leader runs verify-next with them. A report counts only if both accepted it;
 *   aggregate  the leader sends the ids of the valid reports; the helper sums their output shares
 *              (only reports it accepted itself, at least every collection's minimum cohort, and
 *              once per round: the noisy share is stored and a retry gets the same one, never a
 *              fresh noise draw to average), adds N_Z(0, sigma^2) per coordinate from the CSPRNG,
 *              and answers its aggregate share; the leader adds its own noise to its share,
 *              combines both, and the release engine gates and publishes.
 *
 * Leader → helper requests carry a bearer token shared by the two operators; verifier shares,
 * messages and aggregate shares are the draft's encodings in core envelopes (MessagePack).
 */
import { createHash } from 'node:crypto';
import { type Plan, type PlanCollection, PinholeError } from '@pinhole/core';
import { decodeEnvelope, encodeEnvelope } from '@pinhole/core/wire';
import { planRoundLoss, addPrivacyLosses, roundsLeftInPeriod } from '@pinhole/core/plan';
import { type FieldVector, type Prio3CollectionVdaf, type VerifyState, HELPER_ID, LEADER_ID, addNoiseToAggShare, combineAggShares, prio3Context, prio3Nonce } from '@pinhole/prio3';
import type { Round } from '../engine/engine.js';
import type { ReleaseEngine } from '../engine/engine.js';
import { HttpProblem } from './problem.js';
import type { Storage, StoredRound } from './storage.js';

export const VERIFY_TYPE = 'pinhole/prio3-verify';
export const VERIFIED_TYPE = 'pinhole/prio3-verified';
export const AGGREGATE_TYPE = 'pinhole/prio3-aggregate';
export const AGGREGATE_SHARE_TYPE = 'pinhole/prio3-aggregate-share';
export const HELPER_RECORD_FORMAT = 'pinhole-prio3-helper-share';
/** reports per verify request */
export const VERIFY_BATCH = 256;
const MAX_PEER_BYTES = 64 << 20;

export type Prio3Role = 'leader' | 'helper';

export interface Prio3Config {
  readonly role: Prio3Role;
  /** the other aggregator's base URL */
  readonly peer: string;
  /** the bearer token both aggregators share (the leader sends it, the helper checks it) */
  readonly peerToken: string;
  /** the VDAF verification key both aggregators share (32 bytes), never known to devices */
  readonly verifyKey: Uint8Array;
  /** INSECURE, tests only: the aggregators add no noise */
  readonly insecureNoNoise: boolean;
  readonly fetch?: typeof fetch;
}

/** The prio3 collections of a plan, or null; a plan mixing prio3 with other modes is refused. */
export function prio3Layout(plan: Plan): (PlanCollection & { mode: 'prio3' })[] | null {
  const list = plan.collections.filter((c): c is PlanCollection & { mode: 'prio3' } => c.mode === 'prio3');
  if (list.length === 0) return null;
  if (list.length !== plan.collections.length) {
    throw new PinholeError('invalid_argument', 'plan.collections', '"plan.collections" mixes prio3 with other modes: a two-aggregator plan collects every collection through both aggregators');
  }
  return list;
}

interface Decoded {
  readonly reportId: string;
  readonly nonce: Uint8Array;
  readonly entries: readonly { readonly publicShare: Uint8Array; readonly inputShare: Uint8Array }[];
}

function decodeStored(engine: ReleaseEngine, bytes: Uint8Array): Decoded {
  const d = engine.decodeReport(bytes);
  const byId = new Map(d.entries.map((e) => [e.collection, e.report as { publicShare: Uint8Array; inputShare: Uint8Array }]));
  // the plan's collection order; a report lacking one is invalid (an empty entry fails verification)
  const entries = engine.collections.map((c) => byId.get(c.id) ?? { publicShare: new Uint8Array(0), inputShare: new Uint8Array(0) });
  return { reportId: d.report.reportId, nonce: prio3Nonce(d.report.reportId), entries };
}

function vdafs(engine: ReleaseEngine): { vdaf: Prio3CollectionVdaf; ctx: Uint8Array }[] {
  return engine.collections.map((c) => ({ vdaf: (c.prio3 as NonNullable<typeof c.prio3>).vdaf, ctx: prio3Context(engine.plan, c.id) }));
}

function bytesList(param: string, v: unknown, length: number): Uint8Array[] {
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => x instanceof Uint8Array)) throw new PinholeError('decode_failed', param, `"${param}" expected ${length} byte strings`);
  return v;
}

function digestIds(ids: readonly string[]): string {
  const h = createHash('sha256');
  for (const id of [...ids].sort()) h.update(id);
  return h.digest('hex');
}

function noiseFor(engine: ReleaseEngine, i: number, config: Prio3Config): Int32Array | null {
  if (config.insecureNoNoise) return null;
  const c = engine.collections[i];
  return (c?.prio3 as NonNullable<NonNullable<typeof c>['prio3']>).noise();
}

/** The leader's side: announcing rounds, and verifying and aggregating with the helper at close. */
export class Prio3Leader {
  readonly #config: Prio3Config;
  readonly #fetch: typeof fetch;
  readonly #announced = new Set<string>();

  constructor(config: Prio3Config) {
    this.#config = config;
    this.#fetch = config.fetch ?? fetch;
  }

  async #call(path: string, init: { method: string; body?: Uint8Array | string; contentType?: string }): Promise<Uint8Array> {
    const res = await this.#fetch(`${this.#config.peer.replace(/\/+$/, '')}/v1/prio3${path}`, {
      method: init.method,
      headers: { authorization: `Bearer ${this.#config.peerToken}`, ...(init.contentType ? { 'content-type': init.contentType } : {}), accept: 'application/msgpack, application/json' },
      ...(init.body === undefined ? {} : { body: init.body as BodyInit }),
      signal: AbortSignal.timeout(120_000),
    });
    const body = new Uint8Array(await res.arrayBuffer());
    if (res.status < 200 || res.status >= 300) {
      let detail = `HTTP ${res.status}`;
      try {
        const p = JSON.parse(new TextDecoder().decode(body)) as { code?: string; detail?: string };
        detail = `${p.code ?? res.status}: ${p.detail ?? ''}`;
      } catch {
        // not a problem document
      }
      throw new PinholeError('protocol_violation', 'helper', `the helper refused ${init.method} ${path.split('/').slice(-1)[0]}: ${detail.slice(0, 500)}`);
    }
    return body;
  }

  /** Opens the round at the helper (idempotent); true once the helper acknowledged it. */
  async announce(round: StoredRound): Promise<boolean> {
    if (this.#announced.has(round.roundId)) return true;
    const body = JSON.stringify({
      planId: round.planId,
      planRevision: round.planRevision,
      periodStart: round.periodStart,
      periodEnd: round.periodEnd,
      openedAt: round.openedAt,
      closesAt: round.closesAt,
      closeAtReports: round.closeAtReports,
    });
    await this.#call(`/rounds/${encodeURIComponent(round.roundId)}/open`, { method: 'POST', body, contentType: 'application/json' });
    this.#announced.add(round.roundId);
    return true;
  }

  /**
   * Verifies the round's reports with the helper and sets every collection's combined noisy sum
   * in the engine's round (or only the valid count, when it is below a minimum cohort: then no
   * aggregate share is asked for and the round is refused).
   */
  async aggregate(roundId: string, engine: ReleaseEngine, round: Round, reports: readonly Uint8Array[]): Promise<void> {
    const vs = vdafs(engine);
    const key = this.#config.verifyKey;
    const valid: { id: string; messages: Uint8Array[]; outShares: FieldVector[] }[] = [];
    for (let start = 0; start < reports.length; start += VERIFY_BATCH) {
      const batch = reports.slice(start, start + VERIFY_BATCH).map((b) => decodeStored(engine, b));
      const mine = batch.map((r) => {
        try {
          return r.entries.map((e, i) => {
            const { vdaf, ctx } = vs[i] as (typeof vs)[number];
            return vdaf.verifyInit(key, ctx, LEADER_ID, r.nonce, e.publicShare, e.inputShare);
          });
        } catch (e) {
          if (e instanceof PinholeError) return null; // a malformed share: rejected without asking the helper
          throw e;
        }
      });
      const ask = batch.flatMap((r, j) => (mine[j] ? [{ id: r.reportId, shares: (mine[j] as { verifierShare: Uint8Array }[]).map((x) => x.verifierShare) }] : []));
      if (ask.length === 0) continue;
      const answer = decodeEnvelope(
        await this.#call(`/rounds/${encodeURIComponent(roundId)}/verify`, { method: 'POST', body: encodeEnvelope(VERIFY_TYPE, { reports: ask }), contentType: 'application/octet-stream' }),
        { type: VERIFIED_TYPE, maxBytes: MAX_PEER_BYTES },
      );
      const results = (answer.payload as { results?: unknown }).results;
      if (!Array.isArray(results) || results.length !== ask.length) throw new PinholeError('protocol_violation', 'helper', 'the helper answered another number of verify results');
      const index = new Map(batch.map((r, j) => [r.reportId, j]));
      results.forEach((res: unknown, n) => {
        const r = res as { id?: unknown; messages?: unknown };
        if (r.id !== (ask[n] as { id: string }).id) throw new PinholeError('protocol_violation', 'helper', 'the helper answered verify results out of order');
        if (r.messages === null) return; // the helper rejected it (or never received its share)
        const messages = bytesList('messages', r.messages, vs.length);
        const states = mine[index.get(r.id) as number] as { state: VerifyState }[];
        try {
          const outShares = states.map((s, i) => (vs[i] as (typeof vs)[number]).vdaf.verifyNext((vs[i] as (typeof vs)[number]).ctx, s.state, messages[i] as Uint8Array));
          valid.push({ id: r.id, messages, outShares });
        } catch (e) {
          if (!(e instanceof PinholeError)) throw e;
          // the leader's joint randomness disagrees: rejected here; the helper counts only what is listed below
        }
      });
    }
    const count = valid.length;
    const short = engine.collections.some((c) => count < c.plan.minCohort);
    if (short) {
      for (const c of engine.collections) round.tally(c.id).setPrio3Sum(null, count);
      return;
    }
    const answer = decodeEnvelope(
      await this.#call(`/rounds/${encodeURIComponent(roundId)}/aggregate-share`, {
        method: 'POST',
        body: encodeEnvelope(AGGREGATE_TYPE, { reports: valid.map((v) => v.id) }),
        contentType: 'application/octet-stream',
      }),
      { type: AGGREGATE_SHARE_TYPE, maxBytes: MAX_PEER_BYTES },
    );
    const p = answer.payload as { count?: unknown; shares?: unknown; noise?: unknown };
    if (p.count !== count) throw new PinholeError('protocol_violation', 'helper', `the helper aggregated ${String(p.count)} reports, the leader ${count}`);
    const helperShares = bytesList('shares', p.shares, vs.length);
    const noise = this.#config.insecureNoNoise ? 'none_insecure_test' : 'two_aggregators';
    if (p.noise !== noise) throw new PinholeError('protocol_violation', 'helper', `the helper's noise mode is ${String(p.noise)}, the leader's ${noise}`);
    vs.forEach(({ vdaf }, i) => {
      let share = vdaf.aggregate(valid.map((v) => v.outShares[i] as FieldVector));
      const n = noiseFor(engine, i, this.#config);
      if (n) share = addNoiseToAggShare(vdaf, share, n);
      const sum = combineAggShares(vdaf, [share, helperShares[i] as Uint8Array]);
      round.tally((engine.collections[i] as { id: string }).id).setPrio3Sum(sum, count, { noise });
    });
  }
}

/** The helper's side: opening announced rounds, verifying with the leader, its aggregate share once. */
export class Prio3Helper {
  readonly #config: Prio3Config;
  readonly #storage: Storage;
  readonly #owner: string;
  readonly #engine: () => ReleaseEngine;
  readonly #refresh: () => Promise<void>;
  readonly #now: () => number;
  /** per round being verified: its decoded shares, and the reports accepted with their output shares */
  readonly #rounds = new Map<string, { reports: Map<string, Decoded>; accepted: Map<string, FieldVector[]> }>();

  constructor(config: Prio3Config, storage: Storage, host: { owner: string; engine: () => ReleaseEngine; refresh: () => Promise<void>; now: () => number }) {
    this.#config = config;
    this.#storage = storage;
    this.#owner = host.owner;
    this.#engine = host.engine;
    this.#refresh = host.refresh;
    this.#now = host.now;
  }

  get config(): Prio3Config {
    return this.#config;
  }

  async open(roundId: string, body: Record<string, unknown>): Promise<{ roundId: string; status: string }> {
    const plan = this.#engine().plan;
    if (body.planId !== plan.id || body.planRevision !== plan.revision) {
      throw new HttpProblem(
        409,
        'protocol_violation',
        'planId',
        `the helper serves plan "${plan.id}" revision ${plan.revision}, the leader announced ${JSON.stringify(body.planId)} revision ${JSON.stringify(body.planRevision)}`,
      );
    }
    const known = await this.#storage.round(roundId);
    if (known) return { roundId, status: known.status };
    const num = (k: string, nullable = false): number | null => {
      const v = body[k];
      if (nullable && v === null) return null;
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw new HttpProblem(400, 'invalid_argument', k, `"${k}" expected a time in ms`);
      return v;
    };
    const periodStart = num('periodStart') as number;
    const periodEnd = num('periodEnd') as number;
    const now = this.#now();
    // the helper's own reading of the schedule: the announced period must be the plan's period now
    const start = Date.parse(plan.budget.periodStart);
    const length = plan.budget.periodSeconds * 1000;
    if ((periodStart - start) % length !== 0 || periodEnd - periodStart !== length || now < periodStart || now >= periodEnd) {
      throw new HttpProblem(409, 'protocol_violation', 'periodStart', 'the announced round is not in the plan’s current period');
    }
    const spent = addPrivacyLosses([planRoundLoss(plan)]);
    const opened = await this.#storage.openRound(
      { roundId, planId: plan.id, planRevision: plan.revision, periodStart, periodEnd, openedAt: now, closesAt: num('closesAt', true), closeAtReports: num('closeAtReports', true), spent },
      (ledger) => roundsLeftInPeriod(plan, { spent: addPrivacyLosses(ledger.map((r) => r.spent)), rounds: ledger.length }) > 0,
    );
    if (!opened) throw new HttpProblem(409, 'budget_exceeded', 'roundId', 'the helper’s ledger has no round left in this period (or a round is still open)');
    await this.#refresh();
    return { roundId, status: opened.status };
  }

  async #load(roundId: string): Promise<{ reports: Map<string, Decoded>; accepted: Map<string, FieldVector[]> }> {
    let r = this.#rounds.get(roundId);
    if (r) return r;
    const round = await this.#storage.round(roundId);
    if (!round) throw new HttpProblem(404, 'not_found', 'roundId', '"roundId" names no round of this helper');
    if (round.status === 'released' || round.status === 'refused') throw new HttpProblem(409, 'invalid_state', 'roundId', 'the helper already gave its aggregate share for this round');
    // no upload is taken for the round from now on
    if (!(await this.#storage.claimClose(roundId, this.#owner, this.#now(), 3_600_000, { force: true }))) throw new HttpProblem(409, 'invalid_state', 'roundId', 'the round could not be claimed');
    await this.#refresh();
    const engine = this.#engine();
    const reports = new Map<string, Decoded>();
    for await (const page of this.#storage.reportPages(roundId, 2000)) {
      for (const bytes of page) {
        const d = decodeStored(engine, bytes);
        reports.set(d.reportId, d);
      }
    }
    r = { reports, accepted: new Map() };
    this.#rounds.set(roundId, r);
    while (this.#rounds.size > 4) this.#rounds.delete(this.#rounds.keys().next().value as string);
    return r;
  }

  async verify(roundId: string, body: Uint8Array): Promise<Uint8Array> {
    const payload = decodeEnvelope(body, { type: VERIFY_TYPE, maxBytes: MAX_PEER_BYTES }).payload as { reports?: unknown };
    const engine = this.#engine();
    const vs = vdafs(engine);
    if (!Array.isArray(payload.reports) || payload.reports.length > 10 * VERIFY_BATCH) throw new PinholeError('decode_failed', 'reports', '"reports" expected an array of verify requests');
    const state = await this.#load(roundId);
    const key = this.#config.verifyKey;
    const results = payload.reports.map((x: unknown, n) => {
      const q = x as { id?: unknown; shares?: unknown };
      if (typeof q.id !== 'string') throw new PinholeError('decode_failed', `reports[${n}].id`, `"reports[${n}].id" expected a report id`);
      const leaderShares = bytesList(`reports[${n}].shares`, q.shares, vs.length);
      const mine = state.reports.get(q.id);
      if (!mine) return { id: q.id, messages: null };
      try {
        const messages: Uint8Array[] = [];
        const outShares: FieldVector[] = [];
        mine.entries.forEach((e, i) => {
          const { vdaf, ctx } = vs[i] as (typeof vs)[number];
          const { state: s, verifierShare } = vdaf.verifyInit(key, ctx, HELPER_ID, mine.nonce, e.publicShare, e.inputShare);
          const message = vdaf.verifierSharesToMessage(ctx, [leaderShares[i] as Uint8Array, verifierShare]);
          outShares.push(vdaf.verifyNext(ctx, s, message));
          messages.push(message);
        });
        state.accepted.set(q.id, outShares);
        return { id: q.id, messages };
      } catch (e) {
        if (e instanceof PinholeError) {
          state.accepted.delete(q.id);
          return { id: q.id, messages: null };
        }
        throw e;
      }
    });
    return encodeEnvelope(VERIFIED_TYPE, { results });
  }

  async aggregateShare(roundId: string, body: Uint8Array): Promise<Uint8Array> {
    const payload = decodeEnvelope(body, { type: AGGREGATE_TYPE, maxBytes: MAX_PEER_BYTES }).payload as { reports?: unknown };
    const ids = payload.reports;
    if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string') || new Set(ids).size !== ids.length)
      throw new PinholeError('decode_failed', 'reports', '"reports" expected distinct report ids');
    const digest = digestIds(ids);
    const noiseMode = this.#config.insecureNoNoise ? 'none_insecure_test' : 'two_aggregators';
    const published = await this.#storage.release(roundId);
    if (published) {
      // once per round: a retry gets the same noisy share, a different set of reports nothing
      const doc = JSON.parse(published.document) as { format?: string; reportsDigest?: string; count?: number; shares?: string[]; noise?: string };
      if (doc.format !== HELPER_RECORD_FORMAT || doc.reportsDigest !== digest)
        throw new HttpProblem(409, 'invalid_state', 'reports', 'the helper already gave its aggregate share for this round, over other reports');
      return encodeEnvelope(AGGREGATE_SHARE_TYPE, { count: doc.count ?? 0, shares: (doc.shares ?? []).map((s) => new Uint8Array(Buffer.from(s, 'base64'))), noise: doc.noise ?? '' });
    }
    const engine = this.#engine();
    const state = this.#rounds.get(roundId);
    if (!state) throw new HttpProblem(409, 'invalid_state', 'roundId', 'verify the round’s reports with the helper first');
    const missing = ids.find((id) => !state.accepted.has(id));
    if (missing !== undefined) throw new HttpProblem(409, 'protocol_violation', 'reports', 'a listed report was not verified valid by the helper');
    const count = ids.length;
    for (const c of engine.collections) {
      if (count < c.plan.minCohort)
        throw new HttpProblem(409, 'invalid_state', 'reports', `at least ${c.plan.minCohort} reports (collection "${c.id}"'s minimum cohort) before the helper gives an aggregate share`);
    }
    const vs = vdafs(engine);
    const shares = vs.map(({ vdaf }, i) => {
      let share = vdaf.aggregate(ids.map((id) => (state.accepted.get(id) as FieldVector[])[i] as FieldVector));
      const n = noiseFor(engine, i, this.#config);
      if (n) share = addNoiseToAggShare(vdaf, share, n);
      return share.encode();
    });
    const document = JSON.stringify({
      format: HELPER_RECORD_FORMAT,
      roundId,
      count,
      reportsDigest: digest,
      noise: noiseMode,
      shares: shares.map((s) => Buffer.from(s).toString('base64')),
    });
    const ok = await this.#storage.publish(roundId, this.#owner, { status: 'released', document, at: this.#now() }, true);
    if (!ok) throw new HttpProblem(409, 'invalid_state', 'roundId', 'the helper lost its claim on the round; retry');
    this.#rounds.delete(roundId);
    return encodeEnvelope(AGGREGATE_SHARE_TYPE, { count, shares, noise: noiseMode });
  }
}
