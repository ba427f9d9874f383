/**
 * The report envelope: what one device uploads for one round of a plan. It names the plan (id and
 * revision) and the round, carries a random report id (a retried upload is the same report, so the
 * server stores it once) and one entry per collection with that collection's mechanism bytes:
 * - ldp histogram: the oracle's report (`oracle.encodeReport`);
 * - ldp mean: the numeric mechanism's report, with the device's group index in the clear (the plan
 *   declares that group public);
 * - central: the exact bucket (`encodeExactBucket`) or the exact value with its group
 *   (`encodeExactValue`), for a trusted curator.
 * Secure-aggregation collections travel in their own protocol messages, not here.
 * A contributor token (optional in the envelope, required by the aggregator's server) bounds a
 * device to one report per round without naming it: an HMAC of a secret the device keeps and the
 * round, so it is stable across retries and unlinkable across rounds.
 * Layout: core's wire envelope of type "pinhole/report" with payload
 * { plan, revision, round, id, contributor?, entries: [{ collection, group?, bytes }] }.
 */
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeEnvelope } from './codec.js';
import { decodeEnvelope } from './codec-decode.js';
import { PinholeError } from './errors.js';
import { type Rng, cryptoRng, requireSecureRng } from './rng.js';
import { checkInteger, checkObject, describeValue, invalid } from './validate.js';

export const REPORT_TYPE = 'pinhole/report';
export const EXACT_BUCKET_TYPE = 'central/bucket';
export const EXACT_VALUE_TYPE = 'central/value';
/** A report is a handful of small entries; a larger body is refused before parsing. */
export const MAX_REPORT_BYTES = 1 << 20;
export const MAX_REPORT_ENTRIES = 64;
const REPORT_ID = /^[0-9a-f]{32}$/;
const CONTRIBUTOR = /^[0-9a-f]{32}$/;
/** A device secret of fewer bytes would make contributor tokens guessable. */
export const MIN_CONTRIBUTOR_SECRET_BYTES = 16;
const CONTRIBUTOR_LABEL = 'pinhole/contributor/v1';
const ROUND_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const PLAN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ReportEntry {
  /** a collection of the plan */
  readonly collection: string;
  /** the device's group index, only where the plan declares the group public (ldp means) */
  readonly group?: number;
  /** the mechanism's own wire bytes */
  readonly bytes: Uint8Array;
}

export interface RoundReport {
  readonly planId: string;
  readonly planRevision: number;
  readonly roundId: string;
  /** 32 lowercase hex digits from a CSPRNG: the idempotence key of the upload */
  readonly reportId: string;
  /**
   * The device's contributor token for this round (`contributorToken`): 32 lowercase hex digits,
   * the same on every retry, different in every round. The server stores at most one report per
   * token and round.
   */
  readonly contributor?: string;
  readonly entries: readonly ReportEntry[];
}

/** A fresh report id: 128 random bits as 32 hex digits. Predictable ids would let anyone pre-empt a device's upload, so the rng must be secure. */
export function makeReportId(rng: Rng = cryptoRng(), options: { allowInsecureRng?: boolean } = {}): string {
  return hex(requireSecureRng(rng, options.allowInsecureRng).bytes(16));
}

function hex(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) out += b.toString(16).padStart(2, '0');
  return out;
}

/**
 * A fresh device secret for contributor tokens (32 bytes from a CSPRNG). The device keeps it in its
 * own storage and never sends it.
 */
export function makeContributorSecret(rng: Rng = cryptoRng(), options: { allowInsecureRng?: boolean } = {}): Uint8Array {
  return requireSecureRng(rng, options.allowInsecureRng).bytes(32);
}

/**
 * The device's contributor token for one round of one plan: the first 128 bits of
 * HMAC-SHA256(secret, "pinhole/contributor/v1" 0 planId 0 roundId), as 32 hex digits. Without the
 * secret, tokens of different rounds cannot be linked to each other or to the device; with it,
 * a retry gets the same token, so the server can keep one report per device per round.
 */
export function contributorToken(secret: Uint8Array, round: { readonly planId: string; readonly roundId: string }): string {
  return hex(hmac(sha256, secret, contributorMessage(secret, round)).subarray(0, 16));
}

/** HMAC-SHA256(key, message), 32 bytes. */
export type HmacSha256 = (key: Uint8Array, message: Uint8Array) => Uint8Array | Promise<Uint8Array>;

/**
 * contributorToken through the platform's WebCrypto (`crypto.subtle`) or a given HMAC-SHA256:
 * what a device uses, so its app does not ship a hash implementation. Where `crypto.subtle` is
 * missing (React Native without a WebCrypto polyfill, insecure browser origins) it rejects with
 * `unsupported` (param `crypto`) unless `hmacSha256` is passed.
 */
export async function contributorTokenAsync(secret: Uint8Array, round: { readonly planId: string; readonly roundId: string }, hmacSha256: HmacSha256 = webCryptoHmacSha256): Promise<string> {
  const mac = await hmacSha256(secret, contributorMessage(secret, round));
  if (!(mac instanceof Uint8Array) || mac.length !== 32) throw new PinholeError('invalid_argument', 'hmacSha256', '"hmacSha256" expected a function resolving to the 32 bytes of HMAC-SHA256');
  return hex(mac.subarray(0, 16));
}

async function webCryptoHmacSha256(key: Uint8Array, message: Uint8Array): Promise<Uint8Array> {
  const subtle = (globalThis as { crypto?: { subtle?: SubtleCrypto } }).crypto?.subtle;
  if (subtle === undefined) {
    throw new PinholeError('unsupported', 'crypto', '"crypto" this platform has no WebCrypto crypto.subtle for HMAC-SHA256: pass hmacSha256 (e.g. (k, m) => hmac(sha256, k, m) from @noble/hashes)');
  }
  const k = await subtle.importKey('raw', new Uint8Array(key), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, new Uint8Array(message)));
}

/** The checked inputs of a contributor token as the HMAC's message. */
function contributorMessage(secret: Uint8Array, round: { readonly planId: string; readonly roundId: string }): Uint8Array {
  if (!(secret instanceof Uint8Array) || secret.length < MIN_CONTRIBUTOR_SECRET_BYTES) {
    throw privateInvalid('secret', `a Uint8Array of at least ${MIN_CONTRIBUTOR_SECRET_BYTES} bytes`);
  }
  const r = checkObject('round', round);
  if (typeof r.planId !== 'string' || !PLAN_ID.test(r.planId)) throw invalid('round.planId', 'a plan id', r.planId);
  if (typeof r.roundId !== 'string' || !ROUND_ID.test(r.roundId)) throw invalid('round.roundId', 'a round id', r.roundId);
  return new TextEncoder().encode(`${CONTRIBUTOR_LABEL}\0${r.planId}\0${r.roundId}`);
}

/** Whether a value has the contributor-token form. */
export function isContributorToken(value: unknown): value is string {
  return typeof value === 'string' && CONTRIBUTOR.test(value);
}

function checkRoundReport(value: unknown, param: string, fail: (param: string, rule: string, v: unknown) => PinholeError): RoundReport {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw fail(param, 'an object', value);
  const o = value as Record<string, unknown>;
  const str = (key: string, pattern: RegExp, rule: string): string => {
    const v = o[key];
    if (typeof v !== 'string' || !pattern.test(v)) throw fail(`${param}.${key}`, rule, v);
    return v;
  };
  const planId = str('planId', PLAN_ID, 'a plan id');
  const planRevision = o.planRevision;
  if (typeof planRevision !== 'number' || !Number.isSafeInteger(planRevision) || planRevision < 1) throw fail(`${param}.planRevision`, 'an integer >= 1', planRevision);
  const roundId = str('roundId', ROUND_ID, 'a round id of 1 to 128 letters, digits, ".", "_", ":" or "-"');
  const reportId = str('reportId', REPORT_ID, '32 lowercase hex digits');
  const contributor = o.contributor === undefined ? undefined : str('contributor', CONTRIBUTOR, 'a contributor token of 32 lowercase hex digits');
  const list = o.entries;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_REPORT_ENTRIES) throw fail(`${param}.entries`, `an array of 1 to ${MAX_REPORT_ENTRIES} entries`, list);
  const seen = new Set<string>();
  const entries = list.map((e: unknown, i): ReportEntry => {
    const p = `${param}.entries[${i}]`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw fail(p, 'an object { collection, group?, bytes }', e);
    const x = e as Record<string, unknown>;
    for (const key of Object.keys(x)) if (!['collection', 'group', 'bytes'].includes(key)) throw fail(`${p}.${key}`, 'no such field (known: collection, group, bytes)', x[key]);
    const collection = x.collection;
    if (typeof collection !== 'string' || collection.length === 0 || collection.length > 64) throw fail(`${p}.collection`, 'a collection id', collection);
    if (seen.has(collection)) throw fail(`${p}.collection`, 'one entry per collection', collection);
    seen.add(collection);
    const bytes = x.bytes;
    if (!(bytes instanceof Uint8Array) || bytes.length === 0) throw fail(`${p}.bytes`, 'non-empty bytes', bytes);
    if (x.group === undefined) return { collection, bytes };
    const group = x.group;
    if (typeof group !== 'number' || !Number.isSafeInteger(group) || group < 0 || group >= 2 ** 31) throw fail(`${p}.group`, 'an integer >= 0 and < 2^31', group);
    return { collection, group, bytes };
  });
  return { planId, planRevision, roundId, reportId, ...(contributor === undefined ? {} : { contributor }), entries };
}

/** The envelope bytes of a round report; the report is validated first. */
export function encodeRoundReport(report: RoundReport): Uint8Array {
  const r = checkRoundReport(report, 'report', invalid);
  const entries = r.entries.map((e) => (e.group === undefined ? { collection: e.collection, bytes: e.bytes } : { collection: e.collection, group: e.group, bytes: e.bytes }));
  return encodeEnvelope(REPORT_TYPE, {
    plan: r.planId,
    revision: r.planRevision,
    round: r.roundId,
    id: r.reportId,
    ...(r.contributor === undefined ? {} : { contributor: r.contributor }),
    entries,
  });
}

function decodeFailure(param: string, rule: string, value: unknown): PinholeError {
  return new PinholeError('decode_failed', param, `"${param}" expected ${rule}, got ${describeValue(value)}`);
}

/**
 * Decodes and checks the structure of a round report (not its entries' mechanism bytes, which the
 * aggregator decodes against the plan). Anything malformed is `decode_failed` naming the field.
 */
export function decodeRoundReport(bytes: Uint8Array, options: { maxBytes?: number } = {}): RoundReport {
  checkObject('options', options);
  const maxBytes = options.maxBytes === undefined ? MAX_REPORT_BYTES : checkInteger('options.maxBytes', options.maxBytes, { ge: 16 });
  const { payload } = decodeEnvelope(bytes, { type: REPORT_TYPE, maxBytes });
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload) || ArrayBuffer.isView(payload)) throw decodeFailure('report', 'an object', payload);
  const p = payload as Record<string, unknown>;
  for (const key of Object.keys(p)) if (!['plan', 'revision', 'round', 'id', 'contributor', 'entries'].includes(key)) throw decodeFailure(`report.${key}`, 'no such field', p[key]);
  const r = checkRoundReport(
    { planId: p.plan, planRevision: p.revision, roundId: p.round, reportId: p.id, ...(p.contributor === undefined ? {} : { contributor: p.contributor }), entries: p.entries },
    'report',
    decodeFailure,
  );
  return Object.freeze({ ...r, entries: Object.freeze(r.entries.map((e) => Object.freeze(e))) });
}

/** Device-side errors name the rule, never the value: the value is the device's private data. */
function privateInvalid(param: string, rule: string): PinholeError {
  return new PinholeError('invalid_argument', param, `"${param}" expected ${rule}`);
}

/** A trusted curator's entry for a histogram collection: the device's exact bucket index. */
export function encodeExactBucket(index: number): Uint8Array {
  if (typeof index !== 'number' || !Number.isSafeInteger(index) || index < 0 || index >= 2 ** 31 || Object.is(index, -0)) {
    throw privateInvalid('index', 'an integer >= 0 and < 2^31');
  }
  return encodeEnvelope(EXACT_BUCKET_TYPE, index);
}

export function decodeExactBucket(bytes: Uint8Array, domainSize: number): number {
  const v = decodeEnvelope(bytes, { type: EXACT_BUCKET_TYPE, maxBytes: 64 }).payload;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0 || v >= domainSize) {
    throw new PinholeError('decode_failed', 'bytes', `"bytes" expected a bucket index >= 0 and < ${domainSize}`);
  }
  return v;
}

/** A trusted curator's entry for a mean collection: the device's exact value (its group goes in the entry). */
export function encodeExactValue(value: number): Uint8Array {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw privateInvalid('value', 'a finite number');
  return encodeEnvelope(EXACT_VALUE_TYPE, value);
}

export function decodeExactValue(bytes: Uint8Array): number {
  const v = decodeEnvelope(bytes, { type: EXACT_VALUE_TYPE, maxBytes: 64 }).payload;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new PinholeError('decode_failed', 'bytes', '"bytes" expected a finite number');
  return v;
}

/** Whether a value has the report-id form (servers check ids in URLs and logs with it). */
export function isReportId(value: unknown): value is string {
  return typeof value === 'string' && REPORT_ID.test(value);
}
