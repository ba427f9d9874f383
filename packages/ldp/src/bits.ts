/**
 * Bit-packed reports (unary encoding, subset selection): bucket v is bit (v & 7) of byte v >> 3,
 * padding bits of the last byte are zero. Batches are tallied through a per-byte-position
 * histogram (one increment per report byte, not per bit) that is expanded into bit counts once.
 */
import { invalidPrivate } from '@pinhole/core/validate';
import { decodeFailed } from './wire.js';

export function packedLength(d: number): number {
  return (d + 7) >>> 3;
}

/** The mask of the bits of the last byte that are real buckets. */
function lastMask(d: number): number {
  const r = d & 7;
  return r === 0 ? 0xff : (1 << r) - 1;
}

export function isPacked(report: unknown, d: number): report is Uint8Array {
  if (!(report instanceof Uint8Array) || report.length !== packedLength(d)) return false;
  return ((report[report.length - 1] as number) & ~lastMask(d)) === 0;
}

export function checkPacked(report: unknown, d: number, param: string): void {
  if (!isPacked(report, d)) throw invalidPrivate(param, `a Uint8Array of ${packedLength(d)} bytes with the ${d} bucket bits (padding bits zero)`, report);
}

export function decodePacked(payload: unknown, d: number): Uint8Array {
  if (!isPacked(payload, d)) throw decodeFailed(`${packedLength(d)} bytes holding ${d} bits (padding bits zero)`, payload);
  return payload;
}

export function popcount8(x: number): number {
  x = x - ((x >>> 1) & 0x55);
  x = (x & 0x33) + ((x >>> 2) & 0x33);
  return (x + (x >>> 4)) & 0x0f;
}

export function popcountPacked(report: Uint8Array): number {
  let c = 0;
  for (let i = 0; i < report.length; i++) c += popcount8(report[i] as number);
  return c;
}

export function getBit(report: Uint8Array, v: number): number {
  return ((report[v >>> 3] as number) >>> (v & 7)) & 1;
}

export function packedToVector(report: Uint8Array, d: number): Int32Array {
  const out = new Int32Array(d);
  for (let v = 0; v < d; v++) out[v] = getBit(report, v);
  return out;
}

/** Adds the bits of every report into acc (length d). */
export function accumulatePacked(acc: Float64Array, reports: readonly Uint8Array[], d: number): void {
  const nb = packedLength(d);
  if (reports.length < 64) {
    for (const r of reports) {
      for (let k = 0; k < nb; k++) {
        let byte = r[k] as number;
        let v = k << 3;
        while (byte !== 0) {
          if (byte & 1) acc[v]! += 1;
          byte >>>= 1;
          v++;
        }
      }
    }
    return;
  }
  // Histogram of byte values per byte position; Int32 counts are flushed before they could overflow.
  const hist = new Int32Array(nb << 8);
  const FLUSH = 1 << 30;
  let pending = 0;
  const flush = () => {
    for (let k = 0; k < nb; k++) {
      const base = k << 8;
      const v0 = k << 3;
      for (let b = 1; b < 256; b++) {
        const c = hist[base + b] as number;
        if (c === 0) continue;
        for (let j = 0; j < 8; j++) if ((b >>> j) & 1) acc[v0 + j]! += c;
      }
    }
    hist.fill(0);
    pending = 0;
  };
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i] as Uint8Array;
    for (let k = 0; k < nb; k++) hist[(k << 8) | (r[k] as number)]! += 1;
    if (++pending === FLUSH) flush();
  }
  flush();
}
