/**
 * `@pinhole/client/prio3`: a device's round report for a plan collected by two aggregators
 * (collections of mode "prio3"). Each collection's measurement is sharded with its Prio3 VDAF
 * (a validity proof included); the leader's envelope carries the public share and the leader's
 * input share of every collection, the helper's envelope the same public share and the helper's
 * input share, both under the same report id (the VDAF nonce) and contributor token. Each is
 * uploaded to its own aggregator over HTTPS: neither aggregator alone learns anything about the
 * measurement from its share; TLS keeps the shares from the network, and the transport does not
 * hide from either aggregator that this device reported (its address, timing, contributor token).
 * Phone-safe: no `node:` imports; randomness from the CSPRNG (WebCrypto).
 */
import { type Plan, type ReportEntry, type Rng, PinholeError, cryptoRng, encodeRoundReport, makeReportId, requireSecureRng } from '@pinhole/core';
import { checkObject } from '@pinhole/core/validate';
import { HELPER_ID, LEADER_ID, encodePrio3Entry, prio3Context, prio3Measurement, prio3Nonce, prio3Vdaf } from '@pinhole/prio3';
import type { DeviceInput } from './device.js';
import { type Fetch, type RetryPolicy, DEFAULT_RETRY, Http } from './transport.js';

export const REPORT_MEDIA_TYPE = 'application/msgpack';

export interface Prio3Report {
  readonly reportId: string;
  readonly roundId: string;
  /** the envelope for the leader (public shares and leader input shares) */
  readonly leader: Uint8Array;
  /** the envelope for the helper (public shares and helper input shares) */
  readonly helper: Uint8Array;
}

export interface Prio3ReportParams {
  readonly roundId: string;
  /** the device's per-round contributor token (contributorToken(secret, { planId, roundId })) */
  readonly contributor?: string;
  /** one input per prio3 collection of the plan, by collection id */
  readonly inputs: Readonly<Record<string, DeviceInput>>;
  /** a retry passes the report id of the first attempt (with the same shards: keep the report, do not reshard) */
  readonly reportId?: string;
  readonly rng?: Rng;
  /** tests and simulations only */
  readonly allowInsecureRng?: boolean;
}

/** Shards a device's inputs for every prio3 collection of the plan into the leader's and the helper's envelopes. */
export function prio3Report(plan: Plan, params: Prio3ReportParams): Prio3Report {
  const p = checkObject('params', params);
  const rng = requireSecureRng(params.rng ?? cryptoRng(), params.allowInsecureRng === true);
  const reportId = params.reportId ?? makeReportId(rng, { allowInsecureRng: params.allowInsecureRng === true });
  const nonce = prio3Nonce(reportId);
  const inputs = checkObject('params.inputs', p.inputs) as Record<string, DeviceInput>;
  const collections = plan.collections.filter((c) => c.mode === 'prio3');
  if (collections.length === 0) throw new PinholeError('invalid_argument', 'plan', '"plan" expected a plan with prio3 collections');
  if (collections.length !== plan.collections.length)
    throw new PinholeError('invalid_argument', 'plan', '"plan" mixes prio3 collections with other modes: a prio3 plan collects every collection through both aggregators');
  const leader: ReportEntry[] = [];
  const helper: ReportEntry[] = [];
  for (const c of collections) {
    const input = inputs[c.id];
    if (input === undefined) throw new PinholeError('invalid_argument', `params.inputs.${c.id}`, `"params.inputs.${c.id}" expected the device's input for collection "${c.id}"`);
    const vdaf = prio3Vdaf(c);
    const measurement = prio3Measurement(c, input, rng);
    const shards = (vdaf.shard as (ctx: Uint8Array, m: unknown, nonce: Uint8Array, rand: Uint8Array) => { publicShare: Uint8Array; inputShares: Uint8Array[] })(
      prio3Context(plan, c.id),
      measurement,
      nonce,
      rng.bytes(vdaf.randSize),
    );
    leader.push({ collection: c.id, bytes: encodePrio3Entry(shards.publicShare, shards.inputShares[LEADER_ID] as Uint8Array) });
    helper.push({ collection: c.id, bytes: encodePrio3Entry(shards.publicShare, shards.inputShares[HELPER_ID] as Uint8Array) });
  }
  const head = { planId: plan.id, planRevision: plan.revision, roundId: params.roundId, reportId, ...(params.contributor === undefined ? {} : { contributor: params.contributor }) };
  return Object.freeze({ reportId, roundId: params.roundId, leader: encodeRoundReport({ ...head, entries: leader }), helper: encodeRoundReport({ ...head, entries: helper }) });
}

export interface Prio3UploadOptions {
  readonly leaderUrl: string;
  readonly helperUrl: string;
  readonly fetch?: Fetch;
  readonly retry?: RetryPolicy;
  readonly rng?: Rng;
  readonly signal?: AbortSignal;
}

/**
 * Uploads both envelopes, each to its aggregator, retrying transient failures; resolves with each
 * side's answer ('stored', or 'duplicate' for a retry). A report counts only if both sides have it:
 * when one upload fails, retry the same report (same bytes) later.
 */
export async function uploadPrio3(report: Prio3Report, options: Prio3UploadOptions): Promise<{ readonly leader: string; readonly helper: string }> {
  const o = checkObject('options', options);
  const fetchFn = (o.fetch as Fetch | undefined) ?? (globalThis.fetch as unknown as Fetch);
  const rng = options.rng ?? cryptoRng();
  const retry = options.retry ?? DEFAULT_RETRY;
  const send = async (base: string, body: Uint8Array): Promise<string> => {
    const res = await new Http(base, fetchFn, retry, rng).request('/v1/reports', { method: 'POST', body, contentType: REPORT_MEDIA_TYPE, ...(options.signal ? { signal: options.signal } : {}) });
    return res.json<{ status: string }>().status;
  };
  const [leader, helper] = await Promise.all([send(options.leaderUrl, report.leader), send(options.helperUrl, report.helper)]);
  return Object.freeze({ leader, helper });
}
