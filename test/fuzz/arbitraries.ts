/**
 * Shared fast-check pieces of the fuzz suites: wire values, byte mutations of valid encodings,
 * type-confused inputs, and the check that a rejection is a PinholeError of an expected code.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { PinholeError, type PinholeErrorCode, type Rng } from '@pinhole/core';
import { type WireValue } from '@pinhole/core/wire';
import { rngFromU32 } from '@pinhole/core/seeded';

/** A fuzz target: an arbitrary and a check that throws on a violated property. */
export interface FuzzTarget {
  readonly name: string;
  run(numRuns: number, seed: number): void;
}

export function target<T>(name: string, arbitrary: fc.Arbitrary<T>, check: (value: T) => void): FuzzTarget {
  return {
    name,
    run(numRuns: number, seed: number): void {
      // expected rejections throw by the thousand: capturing their stacks would dominate the run
      const limit = Error.stackTraceLimit;
      Error.stackTraceLimit = 2;
      try {
        fc.assert(
          fc.property(arbitrary, (v) => {
            check(v);
          }),
          { numRuns, seed },
        );
      } finally {
        Error.stackTraceLimit = limit;
      }
    },
  };
}

/**
 * Runs fn; returns its value, or null when it threw a PinholeError whose code is one of `codes`.
 * Anything else (another error, another code) fails the property with a description.
 */
export function acceptOrReject<T>(fn: () => T, codes: readonly PinholeErrorCode[], what: string): T | null {
  try {
    return fn();
  } catch (err) {
    if (err instanceof PinholeError && codes.includes(err.code)) {
      if (typeof err.param !== 'string') throw new Error(`${what}: a PinholeError without a param`);
      return null;
    }
    throw new Error(`${what}: expected a PinholeError (${codes.join(' or ')}), got ${err instanceof PinholeError ? `${err.code} (${err.message})` : String((err as Error)?.stack ?? err)}`, {
      cause: err,
    });
  }
}

/** A property check without the cost of an assertion library (fast-check runs 100,000 cases). */
export function must(condition: boolean, message: string): void {
  if (!condition) throw new Error(message);
}

/** Deep equality of decoded values (typed arrays by content, NaN equal to NaN). */
export function sameValue(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a, b);
}

/** Asserts fn is rejected with a PinholeError of one of `codes`. */
export function mustReject(fn: () => unknown, codes: readonly PinholeErrorCode[], what: string): void {
  let accepted = false;
  const out = acceptOrReject(
    () => {
      fn();
      accepted = true;
      return true;
    },
    codes,
    what,
  );
  if (out !== null || accepted) throw new Error(`${what}: accepted an input it must refuse`);
}

const key = fc.oneof(
  { weight: 8, arbitrary: fc.string({ maxLength: 12 }) },
  { weight: 1, arbitrary: fc.constantFrom('constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto_', '__proto__') },
);

const leaf: fc.Arbitrary<WireValue> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 2 ** 31, 2 ** 32, 2 ** 53 - 1, -(2 ** 53), 2 ** 64, Number.MAX_VALUE, Number.MIN_VALUE, Infinity, -Infinity, NaN),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.string({ maxLength: 24 }),
  fc.uint8Array({ maxLength: 24 }),
  fc.int32Array({ maxLength: 8 }),
  fc.uint32Array({ maxLength: 8 }),
  fc.float64Array({ maxLength: 8 }),
  fc.int16Array({ maxLength: 8 }),
  fc.bigInt64Array({ maxLength: 4 }),
);

/** Wire values: JSON-like trees with bigints, non-finite numbers and typed arrays. */
export const wireValue: fc.Arbitrary<WireValue> = fc.letrec<{ value: WireValue }>((tie) => ({
  value: fc.oneof({ depthSize: 'xsmall', withCrossShrink: true }, leaf, fc.array(tie('value'), { maxLength: 4 }), fc.dictionary(key, tie('value'), { maxKeys: 4 })),
})).value;

/** Whether a tree has an own "__proto__" key (the encoder refuses it: msgpackr renames it on decode). */
export function hasProtoKey(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasProtoKey);
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) return Object.keys(v).some((k) => k === '__proto__' || hasProtoKey((v as Record<string, unknown>)[k]));
  return false;
}

/** Wire values the encoder accepts. */
export const wirePayload: fc.Arbitrary<WireValue> = wireValue.filter((v) => !hasProtoKey(v));

const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
/** Hand-picked values of every JavaScript kind a decoder or validator might be handed by mistake. */
export const CONFUSED: readonly unknown[] = [
  undefined,
  null,
  true,
  0,
  -0,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 53,
  -(2 ** 31),
  10n,
  '',
  '0',
  'x'.repeat(300),
  Symbol('s'),
  [],
  [1, 2],
  [[]],
  {},
  { length: 3 },
  nullProto,
  new Map([[1, 2]]),
  new Set([1]),
  new Date(0),
  /re/,
  new Error('e'),
  () => 1,
  class {},
  Promise.resolve(1),
  new ArrayBuffer(4),
  new DataView(new ArrayBuffer(4)),
  new Uint8ClampedArray(3),
  new Int8Array(2),
  new Uint16Array(2),
  new Float32Array([NaN]),
  new Float64Array([Infinity]),
  new BigUint64Array(1),
  Buffer.from([1, 2]),
  Object(1),
  Object('s'),
  Object(true),
  new Proxy({}, {}),
  Object.assign(new Array<number>(3), { 0: 1, 2: 3 }) /* [1, hole, 3] */,
  { valueOf: () => 3 },
  { toString: () => '1' },
];

/** Values of every JavaScript kind, for type confusion (functions, Maps, Dates, typed arrays, boxed values, null prototypes). */
export const anything: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...CONFUSED) },
  {
    weight: 1,
    arbitrary: fc.anything({
      maxDepth: 2,
      withBigInt: true,
      withBoxedValues: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withObjectString: true,
      withSparseArray: true,
      withTypedArray: true,
    }),
  },
);

/** A fast seeded rng for the cases (splitmix32 of the case's seed; insecure, for tests only). */
export function caseRng(seed: number): Rng {
  let s = seed >>> 0;
  return rngFromU32(() => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  });
}

export type Mutation =
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'extend'; readonly extra: Uint8Array }
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'splice'; readonly at: number; readonly remove: number; readonly insert: Uint8Array }
  | { readonly kind: 'garbage'; readonly bytes: Uint8Array };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.constantFrom(0x00, 0x7f, 0x80, 0xc0, 0xc1, 0xc4, 0xcb, 0xcf, 0xd3, 0xd4, 0xd8, 0xdc, 0xdd, 0xde, 0xdf, 0xe0, 0xff) }),
  fc.record({ kind: fc.constant('splice' as const), at: fc.nat(), remove: fc.integer({ min: 0, max: 8 }), insert: fc.uint8Array({ maxLength: 12 }) }),
  fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 200 }) }),
);

/** Applies mutations to a copy of valid bytes (the header is kept for some, so the parser runs deep). */
export function mutate(base: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let b = base.slice();
  for (const m of mutations) {
    const at = b.length && 'at' in m ? m.at % b.length : 0;
    switch (m.kind) {
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'extend':
        b = Uint8Array.from([...b, ...m.extra]);
        break;
      case 'flip':
        if (b.length) b[at] = (b[at] as number) ^ (1 << m.bit);
        break;
      case 'set':
        if (b.length) b[at] = m.byte;
        break;
      case 'splice':
        b = Uint8Array.from([...b.subarray(0, at), ...m.insert, ...b.subarray(Math.min(b.length, at + m.remove))]);
        break;
      case 'garbage':
        // random bytes, half of the time behind a valid envelope header so the MessagePack parser runs
        b = m.bytes.length % 2 === 0 ? Uint8Array.from([0x50, 0x48, 0x01, ...m.bytes]) : m.bytes.slice();
        break;
    }
  }
  return b;
}

export const mutations: fc.Arbitrary<Mutation[]> = fc.array(mutation, { minLength: 1, maxLength: 3 });

/** Same length and bytes. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** -0 travels as 0 on the wire: the expected decode of a value. */
export function wireNormalise(v: unknown): unknown {
  if (typeof v === 'number') return Object.is(v, -0) ? 0 : v;
  if (Array.isArray(v)) return v.map(wireNormalise);
  if (v && typeof v === 'object' && !ArrayBuffer.isView(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wireNormalise(x)]));
  return v;
}
