/**
 * Checks that a mapped column is on the scale its unit says: more than a few percent of values
 * outside the field's valid range, or a median no real network produces, is the usual sign of a
 * wrong unit (kbit/s read as Mbit/s, seconds read as ms, a percentage read as a ratio). The check
 * also tries every unit of the field's dimension and names the one the values fit.
 */
import { NUMERIC_FIELDS, STREAMING_FIELDS } from '@pinhole/core/schema';
import type { Conversion, FieldStats, LoadWarning } from './load-report.js';
import { type UnitField, unitFactor, unitsFor } from './units.js';

/** Share of a field's values outside its valid range above which the load warns. */
export const OUT_OF_RANGE_WARNING_SHARE = 0.02;
/** Fewest values a field needs before its scale is judged. */
const MIN_VALUES = 10;

const RANGE: Readonly<Record<UnitField, { readonly min: number; readonly max: number }>> = {
  downlink: NUMERIC_FIELDS.downlinkMbps,
  uplink: NUMERIC_FIELDS.uplinkMbps,
  rtt: NUMERIC_FIELDS.rttMs,
  rsrp: NUMERIC_FIELDS.rsrpDbm,
  rsrq: NUMERIC_FIELDS.rsrqDb,
  sinr: NUMERIC_FIELDS.sinrDb,
  wifiRssi: NUMERIC_FIELDS.wifiRssiDbm,
  videoBitrate: STREAMING_FIELDS.bitrateKbps,
  rebufferRatio: STREAMING_FIELDS.rebufferRatio,
  stallCount: STREAMING_FIELDS.stallCount,
  startupDelay: STREAMING_FIELDS.startupDelayMs,
};

/**
 * Medians outside these bands (schema units) are implausible for a whole data set: mobile and WiFi
 * speed tests have medians between tens of kbit/s and a few Gbit/s, RTTs between 1 ms and seconds.
 */
export const PLAUSIBLE_MEDIAN: Readonly<Partial<Record<UnitField, readonly [number, number]>>> = Object.freeze({
  downlink: [0.05, 5000],
  uplink: [0.01, 2000],
  rtt: [1, 5000],
  videoBitrate: [30, 100_000],
  startupDelay: [50, 60_000],
});

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? (s[h] as number) : ((s[h - 1] as number) + (s[h] as number)) / 2;
}

function fit(field: UnitField, raw: readonly number[], factor: number): { inRange: number; median: number } {
  const r = RANGE[field];
  const inside: number[] = [];
  for (const x of raw) {
    const v = x * factor;
    if (v >= r.min && v <= r.max) inside.push(v);
  }
  return { inRange: inside.length / raw.length, median: inside.length ? median(inside) : NaN };
}

function plausible(field: UnitField, m: number): boolean {
  const band = PLAUSIBLE_MEDIAN[field];
  return band === undefined || (m >= band[0] && m <= band[1]);
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(2));

/** Warnings for the mapped fields whose values do not fit their stated (or assumed) unit. */
export function unitWarnings(stats: ReadonlyMap<string, FieldStats & { readonly sample: readonly number[] }>, conversions: readonly Conversion[]): LoadWarning[] {
  const out: LoadWarning[] = [];
  for (const conv of conversions) {
    const field = conv.field as UnitField;
    const st = stats.get(field);
    if (!st || st.values < MIN_VALUES || st.sample.length === 0) continue;
    const now = fit(field, st.sample, conv.factor);
    const outShare = st.outOfRange / st.values;
    const badRange = outShare > OUT_OF_RANGE_WARNING_SHARE;
    const badMedian = !Number.isNaN(now.median) && !plausible(field, now.median);
    if (!badRange && !badMedian) continue;
    // the unit of this dimension the values fit best (nearly all in range, plausible median)
    let best: { unit: string; inRange: number } | undefined;
    for (const unit of unitsFor(field)) {
      if (unit === conv.unit) continue;
      const f = fit(field, st.sample, unitFactor(field, unit).factor);
      if (f.inRange >= 1 - OUT_OF_RANGE_WARNING_SHARE && plausible(field, f.median) && (best === undefined || f.inRange > best.inRange)) best = { unit, inRange: f.inRange };
    }
    const r = RANGE[field];
    const reading = `column ${conv.column} read as ${conv.unit}${conv.stated ? '' : ' (no unit stated: the schema unit is assumed)'}`;
    const problem = badRange
      ? `${(outShare * 100).toFixed(1)} % of ${field} values fall outside [${r.min}, ${r.max}] ${conv.schemaUnit}`
      : `the median ${field} is ${fmt(now.median)} ${conv.schemaUnit}, implausible for real data (expected ${(PLAUSIBLE_MEDIAN[field] as readonly number[]).join(' to ')} ${conv.schemaUnit})`;
    const cause = best
      ? `; the values fit ${best.unit}: write ${field}=${conv.column}:${best.unit.replace('/s', 'ps').replace('bitps', 'bps')}`
      : "; a wrong unit is the usual cause: state the column's unit (" + unitsFor(field).join(', ') + ')';
    out.push(Object.freeze({ field, column: conv.column, message: `${problem} (${reading})${cause}`, ...(best ? { suggestedUnit: best.unit } : {}) }));
  }
  return out;
}
