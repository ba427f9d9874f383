/**
 * Report envelopes: every report travels as core's versioned envelope with the message type
 * `ldp/<mechanism>` and a compact payload. Decoding checks the payload's shape and range against
 * the mechanism; anything else is `decode_failed` on "bytes".
 */
import { PinholeError } from '@pinhole/core';
import { type WireValue, decodeEnvelope, encodeEnvelope } from '@pinhole/core/wire';
import { describeValue } from '@pinhole/core/validate';

/** Reports are tiny; a larger input is refused before parsing. */
const MAX_REPORT_BYTES = 1 << 20;

export function wireType(name: string): string {
  return `ldp/${name}`;
}

export function encodeReportPayload(name: string, payload: WireValue): Uint8Array {
  return encodeEnvelope(wireType(name), payload);
}

export function decodeReportPayload(name: string, bytes: unknown): WireValue {
  return decodeEnvelope(bytes as Uint8Array, { type: wireType(name), maxBytes: MAX_REPORT_BYTES }).payload;
}

export function decodeFailed(rule: string, value: unknown): PinholeError {
  return new PinholeError('decode_failed', 'bytes', `"bytes" expected a report payload of ${rule}, got ${describeValue(value)}`);
}

/** An integer payload in [0, limit). */
export function decodeIndex(payload: WireValue, limit: number): number {
  if (typeof payload !== 'number' || !Number.isInteger(payload) || payload < 0 || payload >= limit) {
    throw decodeFailed(`an integer >= 0 and < ${limit}`, payload);
  }
  return payload;
}

/** encodeReport of an oracle whose report is one index (a device needs only this part). */
export function indexEncoder(name: string, checkReport: (report: unknown, param: string) => void): (report: number) => Uint8Array {
  return (report: number): Uint8Array => {
    checkReport(report, 'report');
    return encodeReportPayload(name, report);
  };
}

/**
 * decode/toVector of an oracle whose report is one index in [0, size): its aggregate vector is the
 * one-hot of that index.
 */
export function indexDecodeParts(name: string, size: number, checkReport: (report: unknown, param: string) => void) {
  return {
    decodeReport: (bytes: Uint8Array): number => decodeIndex(decodeReportPayload(name, bytes), size),
    toVector(report: number): Int32Array {
      checkReport(report, 'report');
      const v = new Int32Array(size);
      v[report] = 1;
      return v;
    },
  };
}
