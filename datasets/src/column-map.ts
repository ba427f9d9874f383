/**
 * Column maps: which CSV column feeds which table field, by short names (`downlink`, `rtt`, …) or
 * the schema's own (`downlinkMbps`, …), with the unit stated per numeric column.
 */
import { checkString, invalid } from '@pinhole/core/validate';
import { type TableNumericField, type TableStreamingField } from './table.js';
import { FIELD_UNITS, type UnitField, unitFactor } from './units.js';

/** The table fields a CSV column can feed, by their short names (`--map downlink=DL_bitrate`). */
export const MAP_FIELDS = [
  'downlink',
  'uplink',
  'rtt',
  'rsrp',
  'rsrq',
  'sinr',
  'wifiRssi',
  'networkType',
  'operator',
  'region',
  'cell',
  'deviceClass',
  'device',
  'timestamp',
  'activity',
  'videoBitrate',
  'rebufferRatio',
  'stallCount',
  'startupDelay',
] as const;
export type MapField = (typeof MAP_FIELDS)[number];
export type ColumnMap = Partial<Record<MapField, string>>;
/** Units stated per numeric field (`kbps`, `s`, `%`, …; see `FIELD_UNITS`). */
export type UnitMap = Partial<Record<UnitField, string>>;

/** A column mapping with the units stated in it. */
export interface ColumnMapping {
  readonly map: ColumnMap;
  readonly units: UnitMap;
}

/** The table field each numeric short name feeds. */
export const NUMERIC_OF: Record<'downlink' | 'uplink' | 'rtt' | 'rsrp' | 'rsrq' | 'sinr' | 'wifiRssi', TableNumericField> = {
  downlink: 'downlinkMbps',
  uplink: 'uplinkMbps',
  rtt: 'rttMs',
  rsrp: 'rsrpDbm',
  rsrq: 'rsrqDb',
  sinr: 'sinrDb',
  wifiRssi: 'wifiRssiDbm',
};
/** The table field each streaming short name feeds. */
export const STREAMING_OF: Record<'videoBitrate' | 'rebufferRatio' | 'stallCount' | 'startupDelay', TableStreamingField> = {
  videoBitrate: 'videoBitrateKbps',
  rebufferRatio: 'rebufferRatio',
  stallCount: 'stallCount',
  startupDelay: 'startupDelayMs',
};
/** `NetworkSample` and `StreamingContext` names are accepted as aliases (downlinkMbps = downlink, …). */
export const ALIASES: Record<string, MapField> = Object.fromEntries([
  ...MAP_FIELDS.map((f) => [f.toLowerCase(), f]),
  ...Object.entries(NUMERIC_OF).map(([short, long]) => [long.toLowerCase(), short]),
  ...Object.entries(STREAMING_OF).map(([short, long]) => [long.toLowerCase(), short]),
  ['bitratekbps', 'videoBitrate'],
]) as Record<string, MapField>;

/**
 * Parses the CLI form `downlink=DL_bitrate:kbps,rtt=Ping:s,operator=Operator` (field names are
 * case-insensitive, column names are kept as written; `:unit` after a numeric field's column states
 * its unit; a column name may not contain ',' or '=').
 */
export function parseColumnMap(text: string): ColumnMapping {
  checkString('map', text, { nonEmpty: true });
  const map: ColumnMap = {};
  const units: UnitMap = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0 || eq === part.length - 1 || part.indexOf('=', eq + 1) >= 0) throw invalid('map', 'comma-separated field=column pairs', part);
    const key = part.slice(0, eq).trim();
    const field = ALIASES[key.toLowerCase()];
    if (field === undefined) throw invalid(`map.${key}`, `one of ${MAP_FIELDS.join(', ')}`, key);
    if (map[field] !== undefined) throw invalid(`map.${field}`, 'a field named once', part);
    let column = part.slice(eq + 1).trim();
    const colon = column.lastIndexOf(':');
    if (colon > 0 && field in FIELD_UNITS) {
      const unit = column.slice(colon + 1).trim();
      unitFactor(field as UnitField, unit); // refuses an unknown unit here, naming the field
      units[field as UnitField] = unit;
      column = column.slice(0, colon).trim();
    }
    if (column === '') throw invalid(`map.${field}`, 'a column name', part);
    map[field] = column;
  }
  return { map, units };
}
