import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { PinholeError } from '@pinhole/core';
import { WIRE_VERSION, decodeEnvelope, encodeEnvelope, type WireValue } from '@pinhole/core/wire';
import { expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';

const VALUES: [string, WireValue][] = [
  ['null', null],
  ['undefined', undefined],
  ['booleans', [true, false]],
  ['integers', [0, 1, -1, 127, 128, -33, 65_535, 2 ** 31, -(2 ** 31), 2 ** 53 - 1, -(2 ** 53 - 1)]],
  ['floats', [0.1, -2.5e-300, 1.7976931348623157e308, Number.MIN_VALUE]],
  ['non-finite', [NaN, Infinity, -Infinity]],
  ['bigint', [2n ** 64n - 1n, -(2n ** 63n), 12345678901234567890123n]],
  ['strings', ['', 'plain', 'ünïcödé ✓', 'x'.repeat(70_000)]],
  ['Uint8Array', new Uint8Array([0, 1, 255])],
  ['Int8Array', new Int8Array([-128, 127])],
  ['Uint16Array', new Uint16Array([65_535, 1])],
  ['Int16Array', new Int16Array([-32_768, 5])],
  ['Uint32Array', new Uint32Array([2 ** 32 - 1, 0, 7])],
  ['Int32Array', new Int32Array([-(2 ** 31), 2 ** 31 - 1])],
  ['Float32Array', new Float32Array([0.5, -1.25])],
  ['Float64Array', new Float64Array([0.1, -1e-300])],
  ['BigInt64Array', new BigInt64Array([-5n, 2n ** 62n])],
  ['BigUint64Array', new BigUint64Array([2n ** 64n - 1n])],
  ['empty containers', { a: [], b: {}, c: new Uint8Array(0) }],
  ['nested', { round: 3, phase: 'masked', vector: new Uint32Array([1, 2, 3]), meta: { ids: [1, 2, 3], ok: true, list: [{ x: 1 }, null] } }],
];

describe('wire codec', () => {
  it('a Node Buffer holding bytes written as MessagePack bin (as a browser writes a Uint8Array) decodes to plain Uint8Arrays', () => {
    // a Packr without moreTypes writes a Uint8Array as bin, as msgpackr's browser build does
    const body = new Packr({ useRecords: false, moreTypes: false }).pack(['pinhole/test', { bytes: new Uint8Array([1, 2, 3]), list: [new Uint8Array([4])] }]);
    // a server receives the request body as a Buffer
    const envelope = Buffer.from([0x50, 0x48, WIRE_VERSION, ...body]);
    const payload = decodeEnvelope(envelope, { type: 'pinhole/test' }).payload as unknown as { bytes: Uint8Array; list: Uint8Array[] };
    expect(payload.bytes.constructor).toBe(Uint8Array);
    expect([...payload.bytes]).toEqual([1, 2, 3]);
    expect(payload.list[0]!.constructor).toBe(Uint8Array);
  });

  it.each(VALUES)('round-trips %s', (_name, value) => {
    const bytes = encodeEnvelope('test.value', value);
    expect(Array.from(bytes.subarray(0, 3))).toEqual([0x50, 0x48, WIRE_VERSION]);
    const out = decodeEnvelope(bytes, { type: 'test.value' });
    expect(out.type).toBe('test.value');
    expect(out.version).toBe(WIRE_VERSION);
    expect(out.payload).toEqual(value);
    if (ArrayBuffer.isView(value)) expect((out.payload as object).constructor).toBe(value.constructor);
  });

  it('checks the type, version, magic, length and trailing bytes', () => {
    const bytes = encodeEnvelope('report', { x: 1 });
    expect(decodeEnvelope(bytes, { type: ['a', 'report'] }).payload).toEqual({ x: 1 });
    expectPinholeError(() => decodeEnvelope(bytes, { type: 'other' }), 'decode_failed', 'bytes');
    const v2 = bytes.slice();
    v2[2] = 2;
    expect(expectPinholeError(() => decodeEnvelope(v2), 'decode_failed', 'bytes').message).toMatch(/version/);
    const magic = bytes.slice();
    magic[0] = 0;
    expectPinholeError(() => decodeEnvelope(magic), 'decode_failed', 'bytes');
    expectPinholeError(() => decodeEnvelope(bytes.subarray(0, bytes.length - 1)), 'decode_failed', 'bytes');
    expectPinholeError(() => decodeEnvelope(new Uint8Array([...bytes, 0xc0])), 'decode_failed', 'bytes');
    expectPinholeError(() => decodeEnvelope(bytes, { maxBytes: 4 }), 'decode_failed', 'bytes');
    expectPinholeError(() => decodeEnvelope('abc' as never), 'decode_failed', 'bytes');
  });

  it('refuses values that are not wire values on encode, naming the path', () => {
    expectPinholeError(() => encodeEnvelope('t', { f: (() => 1) as never }), 'invalid_argument', 'payload.f');
    expectPinholeError(() => encodeEnvelope('t', [1, new Map() as never]), 'invalid_argument', 'payload[1]');
    expectPinholeError(() => encodeEnvelope('t', { d: new Date() as never }), 'invalid_argument', 'payload.d');
    expectPinholeError(() => encodeEnvelope('t', Symbol('s') as never), 'invalid_argument', 'payload');
    expectPinholeError(() => encodeEnvelope('', 1), 'invalid_argument', 'type');
    let deep: WireValue = 1;
    for (let i = 0; i < 100; i++) deep = [deep];
    expectPinholeError(() => encodeEnvelope('t', deep), 'invalid_argument', /payload/);
  });

  it('refuses a key named __proto__ on encode: msgpackr renames it on decode, so it could not round-trip', () => {
    // found by fuzzing (test/fuzz/core.ts): { "__proto__": null } decoded as { "__proto_": null }
    const payload = JSON.parse('{"a": {"__proto__": null}}') as WireValue;
    expect(expectPinholeError(() => encodeEnvelope('t', payload), 'invalid_argument', 'payload.a.__proto__').message).toMatch(/other than "__proto__"/);
  });

  it('refuses an envelope whose type the encoder would refuse (empty or longer than 128)', () => {
    // found by fuzzing (test/fuzz/core.ts): "PH", 1, ["", 0] decoded with the type ""
    expectPinholeError(() => decodeEnvelope(new Uint8Array([0x50, 0x48, 1, 0x92, 0xa0, 0x00])), 'decode_failed', 'bytes');
    const long = new TextEncoder().encode('t'.repeat(129));
    expectPinholeError(() => decodeEnvelope(new Uint8Array([0x50, 0x48, 1, 0x92, 0xd9, 129, ...long, 0x00])), 'decode_failed', 'bytes');
    expect(decodeEnvelope(new Uint8Array([0x50, 0x48, 1, 0x92, 0xa1, 0x74, 0x00])).type).toBe('t');
  });

  it('decodes a key named __proto__ without touching prototypes', () => {
    // hand-made MessagePack: { "__proto__": { "polluted": 1 } } (the encoder refuses the key)
    const body = [0x92, 0xa1, 0x74, 0x81, 0xa9, ...new TextEncoder().encode('__proto__'), 0x81, 0xa8, ...new TextEncoder().encode('polluted'), 0x01];
    decodeEnvelope(new Uint8Array([0x50, 0x48, 1, ...body]));
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('10,000 random and mutated byte strings raise nothing but decode_failed', () => {
    const rng = seededRng('codec-fuzz');
    const seeds = VALUES.map(([, v]) => encodeEnvelope('fuzz', v));
    // the unmutated seeds decode back: a decoder that refuses everything fails here
    VALUES.forEach(([, v], i) => expect(decodeEnvelope(seeds[i] as Uint8Array).payload).toEqual(v));
    let accepted = 0;
    let refused = 0;
    for (let i = 0; i < 10_000; i++) {
      let bytes: Uint8Array;
      const kind = i % 4;
      if (kind === 0) {
        bytes = rng.bytes(rng.int(64));
      } else if (kind === 1) {
        // A valid header followed by random MessagePack-ish bytes.
        bytes = new Uint8Array([0x50, 0x48, 1, ...rng.bytes(rng.int(48))]);
      } else {
        const base = seeds[rng.int(seeds.length)] as Uint8Array;
        bytes = base.slice(0, Math.min(base.length, 4096));
        const flips = 1 + rng.int(4);
        for (let f = 0; f < flips; f++) bytes[3 + rng.int(Math.max(1, bytes.length - 3))] = rng.int(256);
        if (kind === 3) bytes = bytes.subarray(0, rng.int(bytes.length + 1));
      }
      try {
        decodeEnvelope(bytes);
        accepted++;
      } catch (err) {
        if (!(err instanceof PinholeError) || err.code !== 'decode_failed') throw new Error(`case ${i} raised ${String(err)}`);
        refused++;
      }
    }
    // Some mutations land on bytes that still decode; the point is that nothing else escapes.
    expect(accepted + refused).toBe(10_000);
    expect(refused).toBeGreaterThan(5_000);
  });
});
