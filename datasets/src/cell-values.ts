/**
 * What the text of one CSV cell means: placeholders that stand for "no value", numbers with
 * ';'-separated readings and sentinels, timestamps, and the spellings of network types and
 * operators seen in public data sets (internal, but for the exported vocabularies).
 */
import type { NetworkType } from '@pinhole/core';

/** Cell values that mean "no value": read as absent, never as an error or a zero (compared trimmed, lower-cased). */
export const PLACEHOLDERS: ReadonlySet<string> = new Set(['', '-', '--', 'nan', 'null', 'na', 'n/a']);

/** How the ';'-separated readings of one cell reduce to one value. */
export type MultiValue = 'first' | 'median' | 'mean';

/** Spellings of network types seen in public data sets, lower-cased. */
export const DEFAULT_NETWORK_TYPE_NAMES: Readonly<Record<string, NetworkType>> = Object.freeze({
  wifi: 'wifi',
  'wi-fi': 'wifi',
  wlan: 'wifi',
  '2g': '2g',
  gsm: '2g',
  gprs: '2g',
  edge: '2g',
  '3g': '3g',
  umts: '3g',
  wcdma: '3g',
  hspa: '3g',
  'hspa+': '3g',
  hsdpa: '3g',
  hsupa: '3g',
  evdo: '3g',
  '4g': '4g',
  lte: '4g',
  'lte-a': '4g',
  '4g+': '4g',
  '5g': '5g-nsa',
  nr: '5g-nsa',
  '5g-nsa': '5g-nsa',
  nsa: '5g-nsa',
  '5g-sa': '5g-sa',
  sa: '5g-sa',
});

/**
 * Operator names with a known MCC-MNC. China Mobile's main MNC is 00 (also 02/04/07/08), China
 * Unicom's 01 (also 06/09), China Telecom's LTE MNC 11 (03/05 for CDMA): ITU-T E.212 list.
 */
export const DEFAULT_OPERATOR_CODES: Readonly<Record<string, string>> = Object.freeze({
  'china mobile': '460-00',
  'china unicom': '460-01',
  'china telecom': '460-11',
});

/** Values meaning "unknown operator": never assigned a code (the mojibake is GBK "未知" read as UTF-8). */
export const UNKNOWN_OPERATOR_VALUES: ReadonlySet<string> = new Set(['', 'nan', 'null', 'na', 'n/a', 'unknown', '\u03b4\u05aa', '未知']);

/** A cell that holds no number: a placeholder or a sentinel. */
export const UNAVAILABLE = Number.NEGATIVE_INFINITY;
/** A cell that holds text that is not a number. */
export const NOT_A_NUMBER = Number.POSITIVE_INFINITY;

/**
 * Numeric value of a cell, reducing ';'-separated readings by `multiValue`; placeholders and the
 * `unavailable` sentinels give UNAVAILABLE, unreadable text NOT_A_NUMBER. `buf` is scratch space
 * the caller reuses across rows.
 */
export function parseCellNumber(raw: string, unavailable: ReadonlySet<number>, multiValue: MultiValue, buf: number[]): number {
  if (PLACEHOLDERS.has(raw.toLowerCase())) return UNAVAILABLE;
  if (raw.indexOf(';') < 0) {
    const v = Number(raw);
    if (Number.isNaN(v) || !Number.isFinite(v)) return NOT_A_NUMBER;
    return unavailable.has(v) ? UNAVAILABLE : v;
  }
  buf.length = 0;
  let bad = false;
  for (const part of raw.split(';')) {
    const t = part.trim();
    if (PLACEHOLDERS.has(t.toLowerCase())) continue;
    const v = Number(t);
    if (!Number.isFinite(v)) {
      bad = true;
      continue;
    }
    if (!unavailable.has(v)) buf.push(v);
  }
  if (buf.length === 0) return bad ? NOT_A_NUMBER : UNAVAILABLE;
  if (multiValue === 'first') return buf[0] as number;
  if (multiValue === 'mean') return buf.reduce((a, x) => a + x, 0) / buf.length;
  buf.sort((a, x) => a - x);
  const h = buf.length >> 1;
  return buf.length % 2 ? (buf[h] as number) : ((buf[h - 1] as number) + (buf[h] as number)) / 2;
}

/** Epoch seconds (< 1e11) or milliseconds, or a date string `Date.parse` reads; NaN otherwise. */
export function parseTimestamp(raw: string): number {
  if (/^-?\d+(\.\d+)?$/.test(raw)) {
    const v = Number(raw);
    return Math.round(Math.abs(v) < 1e11 ? v * 1000 : v);
  }
  return Date.parse(raw);
}
