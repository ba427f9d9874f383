/**
 * Units a mapped CSV column may be in (`--map downlink=DL_bitrate:kbps`), and the conversion into
 * the schema's unit of each field. A column without a stated unit is taken to be in the schema's
 * unit, and the load result says so, so a figure computed on the wrong scale is never silent.
 */
import { invalid } from '@pinhole/core/validate';

export type UnitDimension = 'rate' | 'time' | 'power' | 'level' | 'ratio' | 'count';

interface UnitDef {
  readonly name: string;
  readonly dimension: UnitDimension;
  /** multiplier into the dimension's base: Mbit/s, ms, dBm, dB, fraction, count */
  readonly toBase: number;
}

const DEFS: readonly UnitDef[] = [
  { name: 'Gbit/s', dimension: 'rate', toBase: 1000 },
  { name: 'Mbit/s', dimension: 'rate', toBase: 1 },
  { name: 'kbit/s', dimension: 'rate', toBase: 1e-3 },
  { name: 'bit/s', dimension: 'rate', toBase: 1e-6 },
  { name: 'MB/s', dimension: 'rate', toBase: 8 },
  { name: 'kB/s', dimension: 'rate', toBase: 8e-3 },
  { name: 'B/s', dimension: 'rate', toBase: 8e-6 },
  { name: 'min', dimension: 'time', toBase: 60_000 },
  { name: 's', dimension: 'time', toBase: 1000 },
  { name: 'ms', dimension: 'time', toBase: 1 },
  { name: 'µs', dimension: 'time', toBase: 1e-3 },
  { name: 'dBm', dimension: 'power', toBase: 1 },
  { name: 'dB', dimension: 'level', toBase: 1 },
  { name: 'ratio', dimension: 'ratio', toBase: 1 },
  { name: '%', dimension: 'ratio', toBase: 0.01 },
  { name: 'count', dimension: 'count', toBase: 1 },
];

/** Spellings, matched case-insensitively except the byte rates (MB/s is not Mb/s). */
const SPELLINGS: Readonly<Record<string, string>> = {
  gbps: 'Gbit/s',
  'gbit/s': 'Gbit/s',
  'gb/s': 'Gbit/s',
  mbps: 'Mbit/s',
  'mbit/s': 'Mbit/s',
  kbps: 'kbit/s',
  'kbit/s': 'kbit/s',
  'kb/s': 'kbit/s',
  bps: 'bit/s',
  'bit/s': 'bit/s',
  'b/s': 'bit/s',
  min: 'min',
  s: 's',
  sec: 's',
  ms: 'ms',
  us: 'µs',
  µs: 'µs',
  dbm: 'dBm',
  db: 'dB',
  ratio: 'ratio',
  fraction: 'ratio',
  '%': '%',
  percent: '%',
  pct: '%',
  count: 'count',
};
const EXACT: Readonly<Record<string, string>> = {
  'MB/s': 'MB/s',
  MBps: 'MB/s',
  'kB/s': 'kB/s',
  'KB/s': 'kB/s',
  kBps: 'kB/s',
  KBps: 'kB/s',
  'B/s': 'B/s',
  Bps: 'B/s',
  'Mb/s': 'Mbit/s',
  'Gb/s': 'Gbit/s',
};

/** Mapped fields with a unit: their schema unit, expressed as a unit above. */
export const FIELD_UNITS = Object.freeze({
  downlink: 'Mbit/s',
  uplink: 'Mbit/s',
  rtt: 'ms',
  rsrp: 'dBm',
  rsrq: 'dB',
  sinr: 'dB',
  wifiRssi: 'dBm',
  videoBitrate: 'kbit/s',
  rebufferRatio: 'ratio',
  stallCount: 'count',
  startupDelay: 'ms',
} as const);
export type UnitField = keyof typeof FIELD_UNITS;

const byName = new Map(DEFS.map((d) => [d.name, d]));

/** The canonical unit for a spelling ("kbps" → "kbit/s"), or undefined. */
export function canonicalUnit(spelling: string): string | undefined {
  const t = spelling.trim();
  if (EXACT[t] !== undefined) return EXACT[t];
  // a capital B in a rate means bytes: only the exact spellings above are taken
  if (/B(\/[sS]|[pP][sS])$/.test(t)) return undefined;
  return SPELLINGS[t.toLowerCase()];
}

/** Every spelling accepted for a field, canonical names first (for error messages). */
export function unitsFor(field: UnitField): string[] {
  const dim = (byName.get(FIELD_UNITS[field]) as UnitDef).dimension;
  return DEFS.filter((d) => d.dimension === dim).map((d) => d.name);
}

/** The factor from `unit` into the field's schema unit; refuses a unit of another dimension. */
export function unitFactor(field: UnitField, unit: string, param = `map.${field}`): { unit: string; factor: number } {
  const canonical = canonicalUnit(unit);
  const def = canonical === undefined ? undefined : byName.get(canonical);
  const target = byName.get(FIELD_UNITS[field]) as UnitDef;
  if (def === undefined || def.dimension !== target.dimension) {
    throw invalid(param, `a unit of ${target.dimension} for ${field}: one of ${unitsFor(field).join(', ')}${target.dimension === 'rate' ? ' (or Mbps, kbps, bps)' : ''}`, unit);
  }
  return { unit: def.name, factor: def.toBase / target.toBase };
}
