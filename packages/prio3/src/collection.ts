/**
 * A plan collection of mode "prio3" bound to its VDAF: which instance, the application context
 * string, the device's measurement, the bytes of one report entry (public share and one
 * aggregator's input share), the noise an aggregator adds to its aggregate share, and the signed
 * integer vector two noisy aggregate shares combine to. The device, both aggregators and the bench
 * use these, so the layout exists once. Phone-safe: no `node:` imports.
 */
import { type PlanCollection, type Rng, PinholeError } from '@pinhole/core';
import { type Prio3Mechanism } from '@pinhole/core/plan';
import { checkObject } from '@pinhole/core/validate';
import { FieldVector, NONCE_SIZE } from './prio3.js';
import { type Prio3Histogram, type Prio3SumVec, makePrio3Histogram, makePrio3SumVec } from './instances.js';

export type Prio3CollectionVdaf = Prio3Histogram | Prio3SumVec;

/** Aggregator ids of the draft: the leader holds input share 0, the helper input share 1. */
export const LEADER_ID = 0;
export const HELPER_ID = 1;

const instances = new Map<string, Prio3CollectionVdaf>();

function mechanismOf(c: PlanCollection): Prio3Mechanism {
  if (c.mode !== 'prio3') throw new PinholeError('invalid_argument', 'collection', `"collection" expected a prio3 collection, got mode "${c.mode}"`);
  return c.mechanism;
}

/** The VDAF of a prio3 collection (cached per parameters: instances keep work buffers). */
export function prio3Vdaf(c: PlanCollection): Prio3CollectionVdaf {
  const m = mechanismOf(c);
  const key = `${m.vdaf}/${m.length}/${m.maxMeasurement}/${m.chunkLength}`;
  let v = instances.get(key);
  if (!v) {
    v =
      m.vdaf === 'Prio3Histogram'
        ? makePrio3Histogram({ length: m.length, chunkLength: m.chunkLength })
        : makePrio3SumVec({ length: m.length, maxMeasurement: m.maxMeasurement, chunkLength: m.chunkLength });
    instances.set(key, v);
  }
  return v;
}

const utf8 = new TextEncoder();

/** The application context: binds every proof to the plan, its revision and the collection (draft §4, `ctx`). */
export function prio3Context(plan: { readonly id: string; readonly revision: number }, collectionId: string): Uint8Array {
  return utf8.encode(`pinhole/prio3/v1/${plan.id}/${plan.revision}/${collectionId}`);
}

/** The nonce of a report: its 128-bit report id (fresh from a CSPRNG on the device, one per report). */
export function prio3Nonce(reportId: string): Uint8Array {
  if (typeof reportId !== 'string' || !/^[0-9a-f]{32}$/.test(reportId)) throw new PinholeError('invalid_argument', 'reportId', '"reportId" expected 32 lowercase hex digits');
  const out = new Uint8Array(NONCE_SIZE);
  for (let i = 0; i < NONCE_SIZE; i++) out[i] = parseInt(reportId.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * The device's measurement: its bucket index (histograms), or (means) the vector of 2 · groups
 * entries with its value mapped onto r in [0, grid] by unbiased randomized rounding, r in its
 * group's first slot and grid - r in the second (the group's count is the two slots' sum / grid).
 * With every entry proven within [0, grid], a device can move a group's sum no further up than an
 * honest device at the top of the bounds, and its count by at most two devices. Errors name the
 * rule, never the value.
 */
export function prio3Measurement(c: PlanCollection, input: { readonly bucket: number } | { readonly group: number; readonly value: number }, rng: Rng): number | number[] {
  const m = mechanismOf(c);
  checkObject('input', input);
  if (c.kind === 'histogram') {
    const b = (input as { bucket?: unknown }).bucket;
    if (typeof b !== 'number' || !Number.isSafeInteger(b) || b < 0 || b >= m.length)
      throw new PinholeError('invalid_argument', 'input.bucket', `"input.bucket" expected an integer >= 0 and < ${m.length}`);
    return b;
  }
  const { group, value } = input as { group?: unknown; value?: unknown };
  if (typeof group !== 'number' || !Number.isSafeInteger(group) || group < 0 || group >= c.groups)
    throw new PinholeError('invalid_argument', 'input.group', `"input.group" expected an integer >= 0 and < ${c.groups}`);
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new PinholeError('invalid_argument', 'input.value', '"input.value" expected a finite number');
  const [lo, hi] = m.bounds as readonly [number, number];
  const grid = m.grid as number;
  const v = value < lo ? lo : value > hi ? hi : value;
  const t = ((v - lo) / (hi - lo)) * grid;
  const f = Math.floor(t);
  const r = Math.min(grid, f + (rng.float64() < t - f ? 1 : 0));
  const out = new Array<number>(m.length).fill(0);
  out[2 * group] = r;
  out[2 * group + 1] = grid - r;
  return out;
}

/** One report entry's bytes: u32 length of the public share ‖ public share ‖ this aggregator's input share. */
export function encodePrio3Entry(publicShare: Uint8Array, inputShare: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + publicShare.length + inputShare.length);
  new DataView(out.buffer).setUint32(0, publicShare.length);
  out.set(publicShare, 4);
  out.set(inputShare, 4 + publicShare.length);
  return out;
}

/**
 * The public share and input share of an entry, with their lengths checked against the VDAF for
 * this aggregator (`decode_failed`, param `param`). The shares' contents are checked by verifyInit.
 */
export function decodePrio3Entry(vdaf: Prio3CollectionVdaf, aggregatorId: number, bytes: Uint8Array, param = 'bytes'): { publicShare: Uint8Array; inputShare: Uint8Array } {
  const fail = (rule: string) => new PinholeError('decode_failed', param, `"${param}" expected ${rule}`);
  if (!(bytes instanceof Uint8Array) || bytes.length < 4) throw fail('a prio3 entry (public share and input share)');
  const pubLen = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  const expectedPub = prio3PublicShareSize(vdaf);
  if (pubLen !== expectedPub) throw fail(`a public share of ${expectedPub} bytes`);
  const expectedInput = prio3InputShareSize(vdaf, aggregatorId);
  if (bytes.length !== 4 + pubLen + expectedInput) throw fail(`an input share of ${expectedInput} bytes for aggregator ${aggregatorId}`);
  return { publicShare: bytes.subarray(4, 4 + pubLen), inputShare: bytes.subarray(4 + pubLen) };
}

export function prio3PublicShareSize(vdaf: Prio3CollectionVdaf): number {
  return vdaf.circuit.jointRandLen > 0 ? vdaf.shares * 32 : 0;
}

export function prio3InputShareSize(vdaf: Prio3CollectionVdaf, aggregatorId: number): number {
  const blind = vdaf.circuit.jointRandLen > 0 ? 32 : 0;
  if (aggregatorId === LEADER_ID) return (vdaf.circuit.measLen + vdaf.flp.proofLen) * vdaf.field.encodedSize + blind;
  return 32 + blind;
}

/**
 * Adds a signed integer noise vector to an aggregate share in place (mod p): what each aggregator
 * does before its share leaves it.
 */
export function addNoiseToAggShare(vdaf: Prio3CollectionVdaf, aggShare: FieldVector, noise: ArrayLike<number>): FieldVector {
  const F = vdaf.field;
  const n = aggShare.length;
  if (noise.length !== n) throw new PinholeError('invalid_argument', 'noise', `"noise" expected ${n} integers`);
  const p = F.modulus;
  const v = F.vec(n);
  for (let i = 0; i < n; i++) {
    const x = noise[i] as number;
    if (!Number.isSafeInteger(x)) throw new PinholeError('invalid_argument', `noise[${i}]`, `"noise[${i}]" expected a safe integer`);
    F.set(v, i, ((BigInt(x) % p) + p) % p);
  }
  return vdaf.aggUpdate(aggShare, new FieldVector(F, v));
}

/**
 * The leader's combination of both noisy aggregate shares: their sum mod p read as signed integers
 * (an element above p/2 is negative: noise can push a small count below zero).
 */
export function combineAggShares(vdaf: Prio3CollectionVdaf, aggShares: readonly (FieldVector | Uint8Array)[]): Float64Array {
  const sum = vdaf.merge(aggShares.map((s) => (s instanceof Uint8Array ? vdaf.decodeAggShare(s) : s)));
  const p = vdaf.field.modulus;
  const half = p / 2n;
  return Float64Array.from(sum.toBigints(), (x) => Number(x > half ? x - p : x));
}
