/**
 * Fuzz targets of @pinhole/secagg's state machines and message decoders. One round (n = 5, t = 3,
 * key directory) is driven to a phase; then every case hands the server (or client 1) a hostile
 * input: a genuine message of this or another phase or round with bytes truncated, extended,
 * flipped or spliced; random and oversized bytes; a genuine payload with one field replaced by a
 * value of another type; a value that is not bytes at all; a wrong sender; a call of another
 * phase. Each must be refused with a PinholeError of a protocol code, with every field of the
 * state machine unchanged (compared with a capture taken once per state); after all cases the round completes with the honest messages and the
 * exact sum. (A client that accepts a survivor set the fuzzer derived, which a server may send,
 * or a mutation that decodes to the genuine message, is rebuilt: those are not refusal cases.)
 */
import fc from 'fast-check';
import { type PinholeErrorCode } from '@pinhole/core';
import { type WireValue, decodeEnvelope, encodeEnvelope } from '@pinhole/core/wire';
import { Harness, config, plainSum, randomInputs } from '../../packages/secagg/test/helpers.js';
import { acceptOrReject, anything, mutate, mutations, sameValue, wirePayload } from './arbitraries.js';

export interface AsyncFuzzTarget {
  readonly name: string;
  run(numRuns: number, seed: number): Promise<void>;
}

const N = 5;
const BITS = 20;
const LENGTH = 4;
const PHASES = ['advertise', 'share', 'masked', 'consistency', 'unmask'] as const;
type Phase = (typeof PHASES)[number];
const REFUSALS: readonly PinholeErrorCode[] = ['protocol_violation', 'verify_failed', 'invalid_argument', 'invalid_state'];

/** A round driven to `phase`: everything before it delivered, and in it, clients 1..4 delivered (server side) or none (client side). */
interface Round {
  readonly h: Harness;
  readonly inputs: Uint32Array[];
  /** every genuine message seen so far, both directions, plus another round's */
  readonly pool: Uint8Array[];
  /** the server's messages to each client for the current phase */
  toClient: Map<number, Uint8Array>;
  /** completes the round from `phase`, returns the sum */
  finish(): Promise<Uint32Array>;
}

async function driveTo(phase: Phase, heldOut: readonly number[], label: string): Promise<Round> {
  const cfg = config({ roundId: `fuzz-${label}`, cohortSize: N, threshold: 3, bits: BITS, vectorLength: LENGTH });
  const h = new Harness(cfg, `fuzz-${label}`);
  const inputs = randomInputs(`fuzz-${label}`, N, LENGTH, BITS, 1000);
  const pool: Uint8Array[] = [];
  // a message of another round, for replays
  const other = new Harness(config({ roundId: 'fuzz-other', cohortSize: N, threshold: 3, bits: BITS, vectorLength: LENGTH }), 'fuzz-other');
  await other.advertise([1]);
  pool.push(other.sent.get(1) as Uint8Array);
  const all = h.all();
  const live = all.filter((id) => !heldOut.includes(id));
  const sentAll = () => {
    for (const b of h.sent.values()) pool.push(b);
  };
  const round: Round = { h, inputs, pool, toClient: new Map(), finish: async () => new Uint32Array() };
  const stage = PHASES.indexOf(phase);
  const ids = (i: number) => (i < stage ? all : live);
  await h.advertise(ids(0));
  sentAll();
  if (stage === 0) {
    round.finish = async () => {
      await h.advertise([...heldOut]);
      return complete(round, 1);
    };
    return round;
  }
  return continueFrom(round, 1, stage, ids, heldOut, sentAll);
}

async function continueFrom(round: Round, from: number, stage: number, ids: (i: number) => number[], heldOut: readonly number[], sentAll: () => void): Promise<Round> {
  const { h, inputs } = round;
  for (let i = from; i <= stage; i++) {
    const msgs = serverClose(h, i);
    for (const b of msgs.values()) round.pool.push(b);
    if (i === 1) round.pool.push(h.roster);
    round.toClient = msgs;
    await clientStep(h, i, msgs, inputs, ids(i));
    sentAll();
  }
  round.finish = async () => {
    await clientStep(h, stage, round.toClient, inputs, heldOut);
    return complete(round, stage + 1);
  };
  return round;
}

function serverClose(h: Harness, i: number): Map<number, Uint8Array> {
  if (i === 1) return h.closeAdvertise();
  if (i === 2) return h.server.closeShareKeys();
  if (i === 3) return h.server.closeMaskedInputCollection();
  return h.server.closeConsistencyCheck();
}

function clientStep(h: Harness, i: number, msgs: Map<number, Uint8Array>, inputs: readonly Uint32Array[], ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return Promise.resolve();
  if (i === 0) return h.advertise([...ids]);
  if (i === 1) return h.share(msgs, [...ids]);
  if (i === 2) return h.mask(msgs, inputs, [...ids]);
  if (i === 3) return h.check(msgs, [...ids]);
  return h.unmask(msgs, [...ids]);
}

async function complete(round: Round, from: number): Promise<Uint32Array> {
  const { h, inputs } = round;
  for (let i = from; i <= 4; i++) {
    const msgs = serverClose(h, i);
    round.toClient = msgs;
    await clientStep(h, i, msgs, inputs, [...msgs.keys()]);
  }
  return (await h.server.closeUnmasking()).sum;
}

/** A hostile byte string or value built from the pool. */
type Hostile =
  | { kind: 'mutated'; base: number; m: Parameters<typeof mutate>[1] }
  | { kind: 'field'; base: number; field: number; value: WireValue }
  | { kind: 'random'; bytes: Uint8Array }
  | { kind: 'oversized'; base: number; extra: number }
  | { kind: 'confused'; value: unknown };

const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('mutated' as const), base: fc.nat(), m: mutations }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('field' as const), base: fc.nat(), field: fc.nat(), value: wirePayload }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('random' as const), bytes: fc.uint8Array({ maxLength: 300 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('oversized' as const), base: fc.nat(), extra: fc.integer({ min: 1_000, max: 300_000 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('confused' as const), value: anything }) },
);

function materialise(x: Hostile, pool: readonly Uint8Array[]): unknown {
  const base = 'base' in x ? (pool[x.base % pool.length] as Uint8Array) : new Uint8Array();
  switch (x.kind) {
    case 'mutated':
      return mutate(base, x.m);
    case 'field': {
      const { type, payload } = decodeEnvelope(base);
      const p = { ...(payload as Record<string, WireValue>) };
      const keys = Object.keys(p);
      p[keys[x.field % keys.length] as string] = x.value;
      try {
        return encodeEnvelope(type, p);
      } catch {
        return base.subarray(1);
      }
    }
    case 'random':
      return x.bytes;
    case 'oversized': {
      // not a spread: an array of 300,000 boxed bytes was most of a case's time
      const out = new Uint8Array(base.length + x.extra).fill(0x91);
      out.set(base);
      return out;
    }
    case 'confused':
      return x.value;
  }
}

/** Shared or fixed for the whole round, and holding no round state: left out of a state capture. */
const NOT_STATE = new Set(['crypto', 'directory', 'rng', 'config']);

/** A captured object: its prototype and its own fields, captured. */
interface Fields {
  readonly proto: object | null;
  readonly fields: ReadonlyMap<string, unknown>;
}
const FIELDS = new WeakSet<Fields>();

function capture(v: unknown, root = false): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (ArrayBuffer.isView(v)) return (v as Uint8Array).slice();
  if (v instanceof Map) return new Map(Array.from(v, ([k, e]) => [k, capture(e)]));
  if (v instanceof Set) return new Set(v);
  if (Array.isArray(v)) return v.map((e) => capture(e));
  const fields = new Map<string, unknown>();
  for (const k of Object.keys(v)) if (!(root && NOT_STATE.has(k))) fields.set(k, capture((v as Record<string, unknown>)[k]));
  const out: Fields = { proto: Object.getPrototypeOf(v) as object | null, fields };
  FIELDS.add(out);
  return out;
}

/**
 * Every field of a state machine, deeply (Maps and Sets in order, typed arrays by content), taken
 * once per state: a refused call must leave all of it as it was, not only the phase. Comparing
 * the live object with the capture allocates nothing, so it costs a case little.
 */
export function captureState(machine: object): unknown {
  return capture(machine, true);
}

/** The path of the first field where the live state machine differs from its capture, or null when none does. */
export function stateChange(machine: object, captured: unknown): string | null {
  return diff(machine, captured, 'state', true);
}

function diff(live: unknown, captured: unknown, path: string, root = false): string | null {
  if (captured === null || typeof captured !== 'object') return Object.is(live, captured) ? null : path;
  if (ArrayBuffer.isView(captured)) {
    const a = captured as Uint8Array;
    if (!ArrayBuffer.isView(live) || live.constructor !== a.constructor || (live as Uint8Array).length !== a.length) return path;
    const b = live as Uint8Array;
    for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `${path}[${i}]`;
    return null;
  }
  if (captured instanceof Map) {
    if (!(live instanceof Map) || live.size !== captured.size) return path;
    const it = live.entries();
    for (const [k, e] of captured) {
      const [lk, le] = it.next().value as [unknown, unknown];
      if (!Object.is(lk, k)) return `${path}<key ${String(k)}>`;
      const d = diff(le, e, `${path}<${String(k)}>`);
      if (d !== null) return d;
    }
    return null;
  }
  if (captured instanceof Set) {
    if (!(live instanceof Set) || live.size !== captured.size) return path;
    const it = live.values();
    for (const e of captured) if (!Object.is(it.next().value, e)) return path;
    return null;
  }
  if (Array.isArray(captured)) {
    if (!Array.isArray(live) || live.length !== captured.length) return path;
    for (let i = 0; i < captured.length; i++) {
      const d = diff(live[i], captured[i], `${path}[${i}]`);
      if (d !== null) return d;
    }
    return null;
  }
  const c = captured as Fields;
  if (!FIELDS.has(c)) throw new Error(`stateChange: ${path} is not a capture`);
  if (live === null || typeof live !== 'object' || Object.getPrototypeOf(live) !== c.proto) return path;
  const keys = Object.keys(live).filter((k) => !(root && NOT_STATE.has(k)));
  if (keys.length !== c.fields.size) return path;
  let i = 0;
  for (const [k, e] of c.fields) {
    if (keys[i++] !== k) return `${path}.${k}`;
    const d = diff((live as Record<string, unknown>)[k], e, `${path}.${k}`);
    if (d !== null) return d;
  }
  return null;
}

async function refused(what: string, call: () => Promise<unknown>): Promise<boolean> {
  let threw = false;
  try {
    await call();
  } catch (err) {
    threw = true;
    acceptOrReject(
      () => {
        throw err;
      },
      REFUSALS,
      what,
    );
  }
  return threw;
}

/** Whether `x` is a message of the same type and payload as `genuine` (the same bytes, or another encoding). */
function samePayload(x: unknown, genuine: Uint8Array): boolean {
  if (!(x instanceof Uint8Array)) return false;
  let decoded;
  try {
    decoded = decodeEnvelope(x);
  } catch {
    return false;
  }
  const g = decodeEnvelope(genuine);
  return decoded.type === g.type && sameValue(decoded.payload, g.payload);
}

/** An input vector maskInput must accept: LENGTH integers in [0, 2^BITS). */
function isValidInput(x: unknown): boolean {
  if (!Array.isArray(x) && !(x instanceof Uint32Array)) return false;
  const v = x as ArrayLike<unknown>;
  return v.length === LENGTH && Array.from(v).every((e) => typeof e === 'number' && Number.isInteger(e) && e >= 0 && e < 2 ** BITS);
}

const SERVER_CLOSES = ['closeAdvertiseKeys', 'closeShareKeys', 'closeMaskedInputCollection', 'closeConsistencyCheck', 'closeUnmasking'] as const;

/** The server in `phase`, clients 1..4 delivered, client 5 not yet. */
function serverTarget(phase: Phase): AsyncFuzzTarget {
  const stage = PHASES.indexOf(phase);
  return {
    name: `secagg: server in phase ${phase} refuses hostile messages and calls, then completes exactly`,
    async run(numRuns, seed) {
      const round = await driveTo(phase, [5], `server-${phase}`);
      const h = round.h;
      // every case is refused, so the server's state is this one throughout
      const state = captureState(h.server);
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 2;
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.oneof(
              {
                weight: 8,
                arbitrary: fc.record({
                  call: fc.constant('receive' as const),
                  x: hostile,
                  sender: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom<unknown>(0, 6, -1, 1.5, NaN, '1', null, undefined, 2 ** 32) }),
                }),
              },
              { weight: 1, arbitrary: fc.record({ call: fc.constant('close' as const), which: fc.constantFrom(...SERVER_CLOSES.filter((_, i) => i !== stage)) }) },
            ),
            async (c) => {
              const ok =
                c.call === 'receive'
                  ? await refused('SecAggServer.receive', () => h.server.receive(materialise(c.x, round.pool) as Uint8Array, c.sender as number))
                  : await refused(`SecAggServer.${c.which}`, async () => h.server[c.which]());
              if (!ok) throw new Error(`the server accepted a hostile ${c.call === 'receive' ? 'message' : c.which} in phase ${phase}`);
              const changed = stateChange(h.server, state);
              if (changed !== null) throw new Error(`a refused ${c.call} changed the server's ${changed} in phase ${phase}`);
            },
          ),
          { numRuns, seed, endOnFailure: true },
        );
      } finally {
        Error.stackTraceLimit = limit;
      }
      const sum = await round.finish();
      const expected = plainSum(round.inputs, BITS);
      if (!sum.every((v, i) => v === expected[i])) throw new Error(`after the hostile cases the round in phase ${phase} released a wrong sum`);
    },
  };
}

const CLIENT_METHODS = ['advertiseKeys', 'shareKeys', 'maskInput', 'consistencyCheck', 'unmask'] as const;

/** Client 1 waiting for the server's message of `phase` (its earlier steps done). */
function clientTarget(phase: Phase): AsyncFuzzTarget {
  const stage = PHASES.indexOf(phase);
  return {
    name: `secagg: client in phase ${phase} refuses hostile server messages, inputs and calls, then completes exactly`,
    async run(numRuns, seed) {
      // every client waits at `phase`: the server has closed the phase before
      let round = await driveTo(phase, [1, 2, 3, 4, 5], `client-${phase}`);
      // client 1's state, taken again when the round is rebuilt
      let state = captureState(round.h.client(1));
      let rebuilt = 0;
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 2;
      try {
        await fc.assert(
          fc.asyncProperty(
            fc.record({
              method: fc.oneof({ weight: 4, arbitrary: fc.constant(CLIENT_METHODS[stage] as (typeof CLIENT_METHODS)[number]) }, { weight: 1, arbitrary: fc.constantFrom(...CLIENT_METHODS) }),
              a: hostile,
              b: hostile,
              genuineFirst: fc.boolean(),
              input: fc.oneof(fc.constant(undefined), anything, fc.array(fc.oneof(fc.integer({ min: -2, max: 2 ** 21 }), fc.double()), { maxLength: 6 })),
            }),
            async (c) => {
              if (c.method === 'advertiseKeys' && stage === 0) return; // the genuine call of this phase
              if (c.method === 'maskInput' && c.genuineFirst && isValidInput(c.input)) return; // an honest input with the genuine inbox
              const client = round.h.client(1);
              const genuine = round.toClient.get(1) as Uint8Array;
              const a = materialise(c.a, round.pool);
              const b = materialise(c.b, round.pool);
              const badInput = c.genuineFirst && c.input !== undefined && stage === 2;
              const call = (): Promise<unknown> => {
                switch (c.method) {
                  case 'advertiseKeys':
                    return client.advertiseKeys();
                  case 'shareKeys':
                    return c.genuineFirst ? client.shareKeys(round.h.roster, b as Uint8Array) : client.shareKeys(a as Uint8Array, genuine);
                  case 'maskInput':
                    // a genuine inbox with a bad input, or a hostile inbox with the honest input
                    return badInput ? client.maskInput(genuine, c.input as Uint32Array) : client.maskInput(a as Uint8Array, round.inputs[0] as Uint32Array);
                  case 'consistencyCheck':
                    return client.consistencyCheck(a as Uint8Array);
                  case 'unmask':
                    return client.unmask(a as Uint8Array);
                }
              };
              // a mutation can give back the genuine message (a byte set to its own value, an empty
              // splice) or another encoding of its payload: the client may take it
              const genuineAgain =
                c.method === CLIENT_METHODS[stage] &&
                (c.method === 'shareKeys'
                  ? c.genuineFirst
                    ? samePayload(b, genuine)
                    : samePayload(a, round.h.roster)
                  : c.method === 'maskInput'
                    ? !badInput && samePayload(a, genuine)
                    : samePayload(a, genuine));
              const ok = await refused(`SecAggClient.${c.method}`, call);
              if (!ok) {
                // a server may send any survivor set it likes (the client checks its floors): a derived one that passes is not a refusal case
                if (genuineAgain || (c.method === 'consistencyCheck' && stage === 3)) {
                  rebuilt++;
                  round = await driveTo(phase, [1, 2, 3, 4, 5], `client-${phase}-${rebuilt}`);
                  state = captureState(round.h.client(1));
                  return;
                }
                throw new Error(`client 1 accepted a hostile ${c.method} in phase ${phase}`);
              }
              const changed = stateChange(client, state);
              if (changed !== null) throw new Error(`a refused ${c.method} changed client 1's ${changed} in phase ${phase}`);
            },
          ),
          { numRuns, seed, endOnFailure: true },
        );
      } finally {
        Error.stackTraceLimit = limit;
      }
      const sum = await round.finish();
      const expected = plainSum(round.inputs, BITS);
      if (!sum.every((v, i) => v === expected[i])) throw new Error(`after the hostile cases the round with client 1 in phase ${phase} released a wrong sum`);
    },
  };
}

export const SECAGG_TARGETS: readonly AsyncFuzzTarget[] = [...PHASES.map(serverTarget), ...PHASES.map(clientTarget)];
