/**
 * The wire codec: a versioned envelope over MessagePack.
 * Layout: the magic bytes "PH", one version byte, then MessagePack of [type, payload].
 * Encoding uses @msgpack/msgpack (a device ships its encoder alone, a quarter of msgpackr's bundle),
 * writing the bytes msgpackr's Packr wrote before; decoding uses msgpackr's Unpackr (fast, and on
 * Node natively accelerated for the server's ingestion).
 * Decoding (codec-decode.ts, its own module so an app that only encodes ships no decoder) never
 * lets an error from inside msgpackr escape: anything malformed is `decode_failed`.
 */
import { Encoder, ExtData } from '@msgpack/msgpack';
import { checkString, invalid } from './validate.js';

/**
 * What travels on the wire: JSON-like trees plus bigint, undefined, non-finite numbers and the
 * typed arrays Pinhole uses for vectors. -0 travels as 0.
 */
export type WireValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array
  | BigInt64Array
  | BigUint64Array
  | readonly WireValue[]
  | { readonly [key: string]: WireValue };

export const WIRE_VERSION = 1;
export const SUPPORTED_WIRE_VERSIONS: readonly number[] = Object.freeze([1]);
export const MAGIC0 = 0x50; // 'P'
export const MAGIC1 = 0x48; // 'H'
const MAX_DEPTH = 64;
export const MAX_TYPE_LENGTH = 128;
export const DEFAULT_MAX_WIRE_BYTES = 64 * 1024 * 1024;

const TYPED = [Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Int32Array, Float32Array, Float64Array, BigInt64Array, BigUint64Array];

/** msgpackr's typed-array extension: ext type 0x74, then the index of the class in this list. */
const MSGPACKR_TYPED = ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array', 'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array', 'Float64Array', 'BigInt64Array', 'BigUint64Array'];

/** The Encoder's own methods that the three msgpackr forms below write through (pinned version; the codec test compares bytes). */
interface EncoderInternals {
  doEncode(value: unknown, depth: number): void;
  encodeExtension(ext: ExtData): void;
  writeU8(value: number): void;
  writeU16(value: number): void;
  writeU32(value: number): void;
  writeU8a(values: ArrayLike<number>): void;
  writeBigInt64(value: bigint): void;
  writeBigUint64(value: bigint): void;
}

/** msgpackr's bytes for a bigint beyond 64 bits: ext 0x42, big-endian two's complement. */
function bigBytes(value: bigint): Uint8Array {
  const empty = value < 0n ? -1n : 0n;
  if (value >> 0x10000n === empty) {
    const chunks: bigint[] = [];
    for (;;) {
      chunks.push(value & 0xffff_ffff_ffff_ffffn);
      if (value >> 63n === empty) break;
      value >>= 64n;
    }
    return new Uint8Array(new BigUint64Array(chunks).buffer).reverse();
  }
  const invert = value < 0n;
  let hex = (invert ? ~value : value).toString(16);
  if (hex.length % 2) hex = '0' + hex;
  else if (parseInt(hex.charAt(0), 16) >= 8) hex = '00' + hex;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  if (invert) for (let i = 0; i < out.length; i++) out[i] = ~(out[i] as number) & 0xff;
  return out;
}

/**
 * useBigInt64 makes integers beyond 32 bits float64, as msgpackr writes them. undefined, bigints,
 * objects and typed arrays other than Uint8Array take msgpackr's forms, which no Encoder option gives.
 */
function makeEncoder(): Encoder {
  const encoder = new Encoder({ useBigInt64: true, initialBufferSize: 256 });
  const e = encoder as unknown as EncoderInternals;
  const base = e.doEncode.bind(encoder);
  e.doEncode = (value, depth) => {
    if (value === undefined) {
      e.writeU8(0xd4); // fixext 1, type 0, data 0
      e.writeU8(0);
      e.writeU8(0);
    } else if (typeof value === 'bigint') {
      if (value >= -(2n ** 63n) && value < 2n ** 63n) {
        e.writeU8(0xd3);
        e.writeBigInt64(value);
      } else if (value > 0n && value < 2n ** 64n) {
        e.writeU8(0xcf);
        e.writeBigUint64(value);
      } else e.encodeExtension(new ExtData(0x42, bigBytes(value)));
    } else if (value !== null && typeof value === 'object' && !Array.isArray(value) && !ArrayBuffer.isView(value)) {
      // msgpackr writes every object with a map16 header, whatever its size
      const keys = Object.keys(value);
      if (keys.length < 0x10000) {
        e.writeU8(0xde);
        e.writeU16(keys.length);
      } else {
        e.writeU8(0xdf);
        e.writeU32(keys.length);
      }
      for (const key of keys) {
        e.doEncode(key, depth + 1);
        e.doEncode((value as Record<string, unknown>)[key], depth + 1);
      }
    } else if (ArrayBuffer.isView(value) && value.constructor !== Uint8Array) {
      const length = value.byteLength + 1; // the class index leads the data
      if (length < 0x100) {
        e.writeU8(0xc7);
        e.writeU8(length);
      } else if (length < 0x10000) {
        e.writeU8(0xc8);
        e.writeU16(length);
      } else {
        e.writeU8(0xc9);
        e.writeU32(length);
      }
      e.writeU8(0x74);
      e.writeU8(MSGPACKR_TYPED.indexOf(value.constructor.name));
      e.writeU8a(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    } else base(value, depth);
  };
  return encoder;
}
const encoder = makeEncoder();

function isTyped(v: object): boolean {
  return TYPED.some((T) => v.constructor === T);
}

/** Walks a tree and returns the path of the first value that is not a `WireValue`, or null. */
export function firstBadPath(value: unknown, path: string, depth: number): { path: string; value: unknown; rule?: string } | null {
  if (depth > MAX_DEPTH) return { path, value: `nesting deeper than ${MAX_DEPTH}` };
  switch (typeof value) {
    case 'undefined':
    case 'boolean':
    case 'number':
    case 'bigint':
    case 'string':
      return null;
    case 'object': {
      if (value === null) return null;
      if (ArrayBuffer.isView(value)) return isTyped(value) ? null : { path, value };
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const bad = firstBadPath(value[i], `${path}[${i}]`, depth + 1);
          if (bad) return bad;
        }
        return null;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return { path, value };
      for (const [k, v] of Object.entries(value)) {
        // msgpackr renames this key on decode (a prototype guard): it could not round-trip
        if (k === '__proto__') return { path: `${path}.${k}`, value: k, rule: 'an object key other than "__proto__"' };
        const bad = firstBadPath(v, `${path}.${k}`, depth + 1);
        if (bad) return bad;
      }
      return null;
    }
    default:
      return { path, value };
  }
}

/** Encodes a payload of the given message type into a versioned envelope. */
export function encodeEnvelope(type: string, payload: WireValue): Uint8Array {
  checkString('type', type, { nonEmpty: true, maxLength: MAX_TYPE_LENGTH });
  const bad = firstBadPath(payload, 'payload', 0);
  if (bad) throw invalid(bad.path, bad.rule ?? 'a wire value (null, boolean, number, bigint, string, typed array, array or plain object)', bad.value);
  const body = encoder.encodeSharedRef([type, payload]);
  const out = new Uint8Array(body.length + 3);
  out[0] = MAGIC0;
  out[1] = MAGIC1;
  out[2] = WIRE_VERSION;
  out.set(body, 3);
  return out;
}
