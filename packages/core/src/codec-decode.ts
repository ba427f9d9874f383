/**
 * Decoding of the wire codec's envelopes (codec.ts) with msgpackr's Unpackr: fast, and on Node
 * natively accelerated for the server's ingestion. Its own module, so an app that only encodes
 * (a device uploading local-DP reports) does not ship the decoder.
 * Never lets an error from inside msgpackr escape: anything malformed is `decode_failed`.
 */
// msgpackr's decoder alone in apps; on Node its main entry, which adds the native accelerator
import { Unpackr } from '#msgpack-decoder';
import { DEFAULT_MAX_WIRE_BYTES, MAGIC0, MAGIC1, MAX_TYPE_LENGTH, SUPPORTED_WIRE_VERSIONS, type WireValue, firstBadPath } from './codec.js';
import { PinholeError } from './errors.js';
import { describeValue } from './validate.js';

const unpackr = new Unpackr({ useRecords: false, moreTypes: true, int64AsType: 'bigint', mapsAsObjects: true });

export interface DecodedEnvelope {
  readonly version: number;
  readonly type: string;
  readonly payload: WireValue;
}

function fail(message: string, cause?: unknown): PinholeError {
  return new PinholeError('decode_failed', 'bytes', `"bytes" ${message}`, cause === undefined ? undefined : { cause });
}

/**
 * Decodes an envelope. `type` (one name or a list) is what the caller expects; anything else,
 * an unknown version, truncated or trailing bytes, or values outside `WireValue` is `decode_failed`.
 */
export function decodeEnvelope(bytes: Uint8Array, options: { type?: string | readonly string[]; maxBytes?: number } = {}): DecodedEnvelope {
  if (!(bytes instanceof Uint8Array)) throw fail(`expected a Uint8Array, got ${describeValue(bytes)}`);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_WIRE_BYTES;
  if (bytes.length > maxBytes) throw fail(`expected at most ${maxBytes} bytes, got ${bytes.length}`);
  if (bytes.length < 4 || bytes[0] !== MAGIC0 || bytes[1] !== MAGIC1) throw fail('expected a Pinhole envelope (magic "PH"), got other bytes');
  const version = bytes[2] as number;
  if (!SUPPORTED_WIRE_VERSIONS.includes(version)) {
    throw fail(`expected wire version ${SUPPORTED_WIRE_VERSIONS.join(' or ')}, got ${version}`);
  }
  let values: unknown[];
  try {
    // A fresh copy: msgpackr may keep views into its input, and the caller may reuse the buffer.
    // A plain Uint8Array even when the input is a Node Buffer (a server's request body): msgpackr
    // hands out `bin` values (what a browser's msgpackr writes for a Uint8Array) as slices of its
    // input's class, and a Buffer is not a wire value.
    values = unpackr.unpackMultiple(new Uint8Array(bytes.subarray(3))) as unknown[];
  } catch (err) {
    throw fail('are not valid MessagePack (truncated or corrupt)', err);
  }
  if (!Array.isArray(values) || values.length !== 1) throw fail(`expected exactly one message, got ${Array.isArray(values) ? values.length : 0}`);
  const body = values[0];
  // the type as the encoder allows it (found by fuzzing: an empty type decoded but could not be re-encoded)
  if (!Array.isArray(body) || body.length !== 2 || typeof body[0] !== 'string' || body[0].length === 0 || body[0].length > MAX_TYPE_LENGTH) {
    throw fail(`expected [type, payload] inside the envelope, the type a string of 1 to ${MAX_TYPE_LENGTH} characters`);
  }
  const [type, payload] = body as [string, unknown];
  const bad = firstBadPath(payload, 'payload', 0);
  if (bad) throw fail(`contain a value that is not a wire value at ${bad.path}`);
  if (options.type !== undefined) {
    const expected = typeof options.type === 'string' ? [options.type] : options.type;
    if (!expected.includes(type)) throw fail(`expected a message of type ${expected.map((t) => JSON.stringify(t)).join(' or ')}, got ${JSON.stringify(type.slice(0, 64))}`);
  }
  return Object.freeze({ version, type, payload: payload as WireValue });
}
