/**
 * Loaders: any CSV with a column mapping (`loadCsv`), and the real mobilebandwidth data
 * (`loadMobileBandwidth`), found through `findRealData`. Node-only (reads files).
 */
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import {
  checkObject,
  checkOneOf,
  checkString,
  DEVICE_CLASSES,
  type DeviceClass,
  invalid,
  NETWORK_TYPES,
  type NetworkType,
  PinholeError,
} from '@pinhole/core';
import { CsvParser } from './csv.js';
import { VENDORED_DATA_DIR } from './data-dir.js';
import {
  DEFAULT_NETWORK_TYPE_NAMES,
  DEFAULT_OPERATOR_CODES,
  Ingest,
  type LoadResult,
  type MultiValue,
  type RowSpec,
  type SourceFile,
  type Conversion,
  type WhereCondition,
} from './ingest.js';
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

const NUMERIC_OF: Record<'downlink' | 'uplink' | 'rtt' | 'rsrp' | 'rsrq' | 'sinr' | 'wifiRssi', TableNumericField> = {
  downlink: 'downlinkMbps',
  uplink: 'uplinkMbps',
  rtt: 'rttMs',
  rsrp: 'rsrpDbm',
  rsrq: 'rsrqDb',
  sinr: 'sinrDb',
  wifiRssi: 'wifiRssiDbm',
};
const STREAMING_OF: Record<'videoBitrate' | 'rebufferRatio' | 'stallCount' | 'startupDelay', TableStreamingField> = {
  videoBitrate: 'videoBitrateKbps',
  rebufferRatio: 'rebufferRatio',
  stallCount: 'stallCount',
  startupDelay: 'startupDelayMs',
};
/** `NetworkSample` and `StreamingContext` names are accepted as aliases (downlinkMbps = downlink, …). */
const ALIASES: Record<string, MapField> = Object.fromEntries([
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

/** Parses a row filter `column=a,b` (keep rows whose value is a or b) or `column!=a,b`. */
export function parseWhere(text: string, param = 'where'): WhereCondition {
  checkString(param, text, { nonEmpty: true });
  const m = /^([^=!]+?)\s*(!?=)\s*(.+)$/.exec(text.trim());
  if (!m) throw invalid(param, 'a filter column=value[,value…] or column!=value[,value…]', text);
  const values = (m[3] as string).split(',').map((v) => v.trim());
  if (values.some((v) => v === '')) throw invalid(param, 'non-empty values separated by commas', text);
  return { column: (m[1] as string).trim(), values, negate: m[2] === '!=' };
}

export interface CsvLoadOptions {
  /** which column feeds which field (`downlink` is required), or the CLI string with optional `:unit`s */
  readonly map: ColumnMap | string;
  /** units of numeric columns, e.g. `{ downlink: 'kbps', rtt: 's' }` (default: the schema's) */
  readonly units?: UnitMap;
  /**
   * keep only rows matching every condition (`'NetworkMode=LTE,5G'`, `'Operator!=test'`, or
   * `{ column, values, negate }`); a removed row is counted under its first failed condition
   */
  readonly where?: string | readonly (string | WhereCondition)[];
  /**
   * without a `device` column every row is its own privacy unit, which overstates how many people
   * the data covers: a file without one is refused unless this says so
   */
  readonly rowsAreUnits?: boolean;
  /** one character, default "," */
  readonly delimiter?: string;
  /** constants for fields without a column */
  readonly defaults?: { readonly networkType?: NetworkType; readonly operator?: string; readonly region?: string; readonly deviceClass?: DeviceClass };
  /** extra spellings of network types (matched case-insensitively), added to the built-in ones */
  readonly networkTypes?: Readonly<Record<string, NetworkType>>;
  /** operator value → MCC-MNC, added to the built-in names (China Mobile/Unicom/Telecom) */
  readonly operators?: Readonly<Record<string, string>>;
  /**
   * An operator that is neither an MCC-MNC nor a known name: `assign` (default) gives it a code
   * under the test-network MCC 001 (001-01, 001-02, … in order of appearance; the name stays in
   * `domains.operatorName`); `reject` counts the row as `operator_unknown`.
   */
  readonly unknownOperators?: 'reject' | 'assign';
  /** reduction of ';'-separated readings, default `median` */
  readonly multiValue?: MultiValue;
  /** values that mean "unavailable", default [2147483647] (Java Integer.MAX_VALUE) */
  readonly unavailable?: readonly number[];
  /** raw multipliers into the schema's units, e.g. `{ downlink: 0.001 }` for kbit/s (prefer `units`) */
  readonly scale?: Partial<Record<UnitField, number>>;
  /** columns kept as extra categorical columns (`table.extras[name]`) */
  readonly extras?: readonly string[];
}

const MCC_MNC = /^\d{3}-\d{2,3}$/;

interface ParsedOptions {
  map: ColumnMap;
  /** per mapped numeric field: the unit and the factor into the schema's unit */
  units: Partial<Record<UnitField, { unit: string; factor: number; stated: boolean }>>;
  where: WhereCondition[];
  rowsAreUnits: boolean;
  delimiter: string;
  defaults: RowSpec['defaults'];
  networkTypes: Map<string, NetworkType>;
  operators: Map<string, string>;
  unknownOperators: 'reject' | 'assign';
  multiValue: MultiValue;
  unavailable: Set<number>;
  extras: string[];
}

function conversionsOf(p: ParsedOptions): Conversion[] {
  return (Object.entries(p.units) as Array<[UnitField, { unit: string; factor: number; stated: boolean }]>).map(([field, u]) =>
    Object.freeze({ field, column: p.map[field] as string, unit: u.unit, stated: u.stated, factor: u.factor, schemaUnit: FIELD_UNITS[field] }),
  );
}

function parseOptions(options: unknown): ParsedOptions {
  const o = checkObject('options', options);
  const known = new Set(['map', 'units', 'where', 'rowsAreUnits', 'delimiter', 'defaults', 'networkTypes', 'operators', 'unknownOperators', 'multiValue', 'unavailable', 'scale', 'extras']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw invalid(`options.${k}`, 'no such option', o[k]);
  let map: ColumnMap;
  const stated: UnitMap = {};
  if (typeof o.map === 'string') {
    const parsed = parseColumnMap(o.map);
    map = { ...parsed.map };
    Object.assign(stated, parsed.units);
  } else {
    const m = checkObject('options.map', o.map);
    map = {};
    for (const [k, v] of Object.entries(m)) {
      const field = ALIASES[k.toLowerCase()];
      if (field === undefined) throw invalid(`options.map.${k}`, `one of ${MAP_FIELDS.join(', ')}`, k);
      map[field] = checkString(`options.map.${k}`, v, { nonEmpty: true });
    }
  }
  if (map.downlink === undefined) throw invalid('options.map.downlink', 'a column name (downlink is required)', undefined);
  if (o.units !== undefined) {
    for (const [k, v] of Object.entries(checkObject('options.units', o.units))) {
      const field = ALIASES[k.toLowerCase()];
      if (field === undefined || !(field in FIELD_UNITS)) throw invalid(`options.units.${k}`, `one of ${Object.keys(FIELD_UNITS).join(', ')}`, k);
      if (stated[field as UnitField] !== undefined) throw invalid(`options.units.${k}`, 'a unit stated once (it is also in the map)', v);
      stated[field as UnitField] = checkString(`options.units.${k}`, v, { nonEmpty: true });
    }
  }
  if (o.rowsAreUnits !== undefined && typeof o.rowsAreUnits !== 'boolean') throw invalid('options.rowsAreUnits', 'a boolean', o.rowsAreUnits);
  const rowsAreUnits = o.rowsAreUnits === true;
  const where: WhereCondition[] = [];
  if (o.where !== undefined) {
    const list: unknown[] = typeof o.where === 'string' ? [o.where] : Array.isArray(o.where) ? o.where : [o.where];
    list.forEach((w, i) => {
      if (typeof w === 'string') where.push(parseWhere(w, `options.where[${i}]`));
      else {
        const c = checkObject(`options.where[${i}]`, w);
        const values = c.values;
        if (!Array.isArray(values) || values.length === 0) throw invalid(`options.where[${i}].values`, 'a non-empty array of strings', values);
        where.push({
          column: checkString(`options.where[${i}].column`, c.column, { nonEmpty: true }),
          values: values.map((v: unknown, j: number) => checkString(`options.where[${i}].values[${j}]`, v)),
          negate: c.negate === true,
        });
      }
    });
  }
  const delimiter = o.delimiter === undefined ? ',' : checkString('options.delimiter', o.delimiter, { nonEmpty: true });

  const d = o.defaults === undefined ? {} : checkObject('options.defaults', o.defaults);
  for (const k of Object.keys(d)) if (!['networkType', 'operator', 'region', 'deviceClass'].includes(k)) throw invalid(`options.defaults.${k}`, 'no such default', d[k]);
  const defaults: { networkType?: NetworkType; operator?: string; region?: string; deviceClass?: DeviceClass } = {};
  if (d.networkType !== undefined) defaults.networkType = checkOneOf('options.defaults.networkType', d.networkType, NETWORK_TYPES);
  if (d.operator !== undefined) {
    if (typeof d.operator !== 'string' || !MCC_MNC.test(d.operator)) throw invalid('options.defaults.operator', 'an MCC-MNC string like "460-01"', d.operator);
    defaults.operator = d.operator;
  }
  if (d.region !== undefined) defaults.region = checkString('options.defaults.region', d.region, { nonEmpty: true, maxLength: 64 });
  if (d.deviceClass !== undefined) defaults.deviceClass = checkOneOf('options.defaults.deviceClass', d.deviceClass, DEVICE_CLASSES);

  const networkTypes = new Map<string, NetworkType>(Object.entries(DEFAULT_NETWORK_TYPE_NAMES));
  for (const t of NETWORK_TYPES) networkTypes.set(t, t);
  if (o.networkTypes !== undefined) {
    for (const [k, v] of Object.entries(checkObject('options.networkTypes', o.networkTypes))) {
      networkTypes.set(k.trim().toLowerCase(), checkOneOf(`options.networkTypes.${k}`, v, NETWORK_TYPES));
    }
  }
  const operators = new Map<string, string>(Object.entries(DEFAULT_OPERATOR_CODES));
  if (o.operators !== undefined) {
    for (const [k, v] of Object.entries(checkObject('options.operators', o.operators))) {
      if (typeof v !== 'string' || !MCC_MNC.test(v)) throw invalid(`options.operators.${k}`, 'an MCC-MNC string like "460-01"', v);
      operators.set(k.trim().toLowerCase(), v);
    }
  }
  const unknownOperators = o.unknownOperators === undefined ? 'assign' : checkOneOf('options.unknownOperators', o.unknownOperators, ['reject', 'assign'] as const);
  const multiValue = o.multiValue === undefined ? 'median' : checkOneOf('options.multiValue', o.multiValue, ['first', 'median', 'mean'] as const);
  let unavailable = new Set<number>([2147483647]);
  if (o.unavailable !== undefined) {
    if (!Array.isArray(o.unavailable)) throw invalid('options.unavailable', 'an array of finite numbers', o.unavailable);
    unavailable = new Set();
    o.unavailable.forEach((v: unknown, i: number) => {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw invalid(`options.unavailable[${i}]`, 'a finite number', v);
      unavailable.add(v);
    });
  }
  const scale: Partial<Record<UnitField, number>> = {};
  if (o.scale !== undefined) {
    for (const [k, v] of Object.entries(checkObject('options.scale', o.scale))) {
      const field = ALIASES[k.toLowerCase()];
      if (field === undefined || !(field in FIELD_UNITS)) throw invalid(`options.scale.${k}`, `one of ${Object.keys(FIELD_UNITS).join(', ')}`, k);
      if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) throw invalid(`options.scale.${k}`, 'a finite number > 0', v);
      if (stated[field as UnitField] !== undefined) throw invalid(`options.scale.${k}`, 'either a unit or a scale for a field, not both', v);
      scale[field as UnitField] = v;
    }
  }
  const units: ParsedOptions['units'] = {};
  for (const field of Object.keys(FIELD_UNITS) as UnitField[]) {
    if (map[field] === undefined) continue;
    const unit = stated[field];
    if (unit !== undefined) units[field] = { ...unitFactor(field, unit, `map.${field}`), stated: true };
    else if (scale[field] !== undefined) units[field] = { unit: `× ${scale[field]}`, factor: scale[field] as number, stated: true };
    else units[field] = { unit: FIELD_UNITS[field], factor: 1, stated: false };
  }
  let extras: string[] = [];
  if (o.extras !== undefined) {
    if (!Array.isArray(o.extras)) throw invalid('options.extras', 'an array of column names', o.extras);
    extras = o.extras.map((v: unknown, i: number) => checkString(`options.extras[${i}]`, v, { nonEmpty: true }));
  }
  if (map.device === undefined && !rowsAreUnits) {
    throw invalid('options.map.device', 'a column naming the privacy unit (a device or user id); a file without one is refused unless every row is its own unit (rowsAreUnits: true)', undefined);
  }
  return { map, units, where, rowsAreUnits, delimiter, defaults, networkTypes, operators, unknownOperators, multiValue, unavailable, extras };
}

function specFor(file: string, header: readonly string[], p: ParsedOptions): RowSpec {
  const index = new Map<string, number>();
  header.forEach((h, i) => {
    const name = h.trim();
    if (index.has(name)) throw new PinholeError('invalid_argument', 'header', `"header" expected distinct column names, got "${name}" twice in ${file}`);
    index.set(name, i);
  });
  const col = (param: string, name: string | undefined): number => {
    if (name === undefined) return -1;
    const i = index.get(name);
    if (i === undefined) {
      const list = header.length <= 30 ? header.join(', ') : `${header.slice(0, 30).join(', ')}, …`;
      throw new PinholeError('invalid_argument', param, `"${param}" expected a column of ${basename(file)} (${list}), got ${JSON.stringify(name)}`);
    }
    return i;
  };
  const numeric: Partial<Record<Exclude<TableNumericField, 'downlinkMbps'>, number>> = {};
  const scale: Partial<Record<TableNumericField | TableStreamingField, number>> = {};
  const fieldNames: Partial<Record<TableNumericField | TableStreamingField, readonly [string, string]>> = {};
  for (const short of ['uplink', 'rtt', 'rsrp', 'rsrq', 'sinr', 'wifiRssi'] as const) {
    const c = col(`map.${short}`, p.map[short]);
    if (c >= 0) numeric[NUMERIC_OF[short] as Exclude<TableNumericField, 'downlinkMbps'>] = c;
  }
  const streaming: Partial<Record<TableStreamingField, number>> = {};
  for (const short of ['videoBitrate', 'rebufferRatio', 'stallCount', 'startupDelay'] as const) {
    const c = col(`map.${short}`, p.map[short]);
    if (c >= 0) streaming[STREAMING_OF[short]] = c;
  }
  for (const [field, u] of Object.entries(p.units) as Array<[UnitField, { factor: number }]>) {
    const target = field in NUMERIC_OF ? NUMERIC_OF[field as keyof typeof NUMERIC_OF] : STREAMING_OF[field as keyof typeof STREAMING_OF];
    if (u.factor !== 1) scale[target] = u.factor;
    fieldNames[target] = [field, p.map[field] as string];
  }
  const where = p.where.map((w, i) => ({
    column: col(`where[${i}]`, w.column),
    values: new Set(w.values.map((v) => v.trim().toLowerCase())),
    negate: w.negate === true,
    label: `${w.column}${w.negate ? '!=' : '='}${w.values.join(',')}`,
  }));
  return {
    file,
    width: header.length,
    downlink: col('map.downlink', p.map.downlink),
    numeric,
    streaming,
    activity: col('map.activity', p.map.activity),
    where,
    fieldNames,
    scale,
    networkType: col('map.networkType', p.map.networkType),
    operator: col('map.operator', p.map.operator),
    region: col('map.region', p.map.region),
    cell: col('map.cell', p.map.cell),
    device: col('map.device', p.map.device),
    deviceClass: col('map.deviceClass', p.map.deviceClass),
    timestamp: col('map.timestamp', p.map.timestamp),
    extras: p.extras.map((name) => [name, col(`extras.${name}`, name)] as const),
    defaults: p.defaults,
    networkTypes: p.networkTypes,
    operators: p.operators,
    unknownOperators: p.unknownOperators,
    multiValue: p.multiValue,
    unavailable: p.unavailable,
  };
}

/** A file's text; a name ending in `.gz` is gunzipped. */
function readText(param: string, path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new PinholeError('invalid_argument', param, `"${param}" expected a readable file, got ${JSON.stringify(path)} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  if (path.endsWith('.gz')) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      throw new PinholeError('invalid_argument', param, `"${param}" expected a gzip file, got ${JSON.stringify(path)} (${(err as Error).message})`, { cause: err });
    }
  }
  return bytes.toString('utf8');
}

function describeSource(name: string, path: string, text: string): SourceFile {
  const buf = Buffer.from(text, 'utf8');
  return Object.freeze({ name, path, bytes: buf.length, sha256: createHash('sha256').update(buf).digest('hex') });
}

/** Feeds one file through the parser into `ingest`; the first row is the header. */
function ingestText(ingest: Ingest, file: string, text: string, makeSpec: (header: readonly string[]) => RowSpec, delimiter: string, path = file): void {
  const counters = ingest.begin(file, describeSource(file, path, text));
  let spec: RowSpec | undefined;
  const parser = new CsvParser(
    (row) => {
      if (spec === undefined) {
        spec = makeSpec(row.fields);
        return;
      }
      ingest.row(row, spec, counters);
    },
    { delimiter },
  );
  parser.push(text);
  parser.end();
  if (spec === undefined) throw new PinholeError('invalid_argument', 'path', `"path" expected a CSV file with a header row, got an empty file ${JSON.stringify(file)}`);
}

/**
 * Loads any CSV file with a column mapping, e.g.
 * `loadCsv('cells.csv', { map: 'downlink=DL_bitrate,networkType=NetworkMode', scale: { downlink: 0.001 } })`.
 * Rows that do not fit the schema are counted in `rejected.byReason`, never dropped silently.
 */
export function loadCsv(path: string, options: CsvLoadOptions): LoadResult {
  checkString('path', path, { nonEmpty: true });
  const p = parseOptions(options);
  const text = readText('path', path);
  return loadCsvText(text, p, path, resolve(path));
}

/** The same from a string already in memory (`name` labels it in the report). */
export function loadCsvString(text: string, options: CsvLoadOptions, name = 'input.csv'): LoadResult {
  checkString('text', text);
  checkString('name', name, { nonEmpty: true });
  return loadCsvText(text, parseOptions(options), name);
}

function loadCsvText(text: string, p: ParsedOptions, name: string, path = name): LoadResult {
  const ingest = new Ingest();
  ingestText(ingest, name, text, (header) => specFor(name, header, p), p.delimiter, path);
  return ingest.finish(conversionsOf(p));
}

// ---------------------------------------------------------------------------------------------
// mobilebandwidth-sigcomm22 (see PROVENANCE.md beside the files)

export const MOBILEBANDWIDTH_FOLDER = 'mobilebandwidth-sigcomm22';
export const MOBILEBANDWIDTH_FILES = ['4G', '5G', 'wifi4', 'wifi5', 'wifi6'] as const;
export type MobileBandwidthFile = (typeof MOBILEBANDWIDTH_FILES)[number];

export interface MobileBandwidthOptions {
  /** the folder holding 4G.csv …; default: `findRealData()` */
  readonly dir?: string;
  /** which files, default all five */
  readonly files?: readonly MobileBandwidthFile[];
  /**
   * 5G rows: `5g-nsa` (default, as the data set does not say), `5g-sa`, or `tac`: `5g-sa` when the
   * row's `cell_tac` is a 24-bit 5GS tracking area code (> 65535, impossible for an EPS TAC,
   * 3GPP TS 23.003 §19.4.2.3), else `5g-nsa`.
   */
  readonly fiveG?: '5g-nsa' | '5g-sa' | 'tac';
  /** reduction of the ';'-separated signal readings, default `median` */
  readonly multiValue?: MultiValue;
}

/** The column mapping of each file (documented in README.md). */
export const MOBILEBANDWIDTH_MAPS: Readonly<Record<MobileBandwidthFile, ColumnMap>> = Object.freeze({
  '4G': { downlink: 'bandwidth_Mbps', networkType: 'network_type', operator: 'user_isp_id', region: 'user_region_id', cell: 'user_city_id', device: 'user_uid', rsrp: 'cell_rsrp', rsrq: 'cell_rsrq', sinr: 'cell_rssnr' },
  // The NR signal columns are sentinels (-44) or sign-flipped; no LTE anchor signal is in the file.
  '5G': { downlink: 'bandwidth_Mbps', networkType: 'network_type', operator: 'user_isp_id', region: 'user_region_id', cell: 'user_city_id', device: 'user_uid' },
  wifi4: { downlink: 'bandwidth_Mbps', networkType: 'network_type', operator: 'user_isp_id', region: 'user_region_id', cell: 'user_city_id', device: 'user_uid', wifiRssi: 'wifi_rssi' },
  wifi5: { downlink: 'bandwidth_Mbps', networkType: 'network_type', operator: 'user_isp_id', region: 'user_region_id', cell: 'user_city_id', device: 'user_uid', wifiRssi: 'wifi_rssi' },
  wifi6: { downlink: 'bandwidth_Mbps', networkType: 'network_type', operator: 'user_isp_id', region: 'user_region_id', cell: 'user_city_id', device: 'user_uid', wifiRssi: 'wifi_rssi' },
});

/** Units of the mapped columns, from the data set's column documentation (data/Readme.md). */
const MOBILEBANDWIDTH_UNITS: Readonly<Record<MobileBandwidthFile, UnitMap>> = Object.freeze({
  '4G': { downlink: 'Mbit/s', rsrp: 'dBm', rsrq: 'dB', sinr: 'dB' },
  '5G': { downlink: 'Mbit/s' },
  wifi4: { downlink: 'Mbit/s', wifiRssi: 'dBm' },
  wifi5: { downlink: 'Mbit/s', wifiRssi: 'dBm' },
  wifi6: { downlink: 'Mbit/s', wifiRssi: 'dBm' },
});

/**
 * Loads the mobilebandwidth files into one table: operator = `user_isp_id` (China Mobile 460-00,
 * China Unicom 460-01, China Telecom 460-11; the unknown-ISP mojibake and `nan` are rejected as
 * `operator_unknown`), region = province, cell = "province/city", device = `user_uid`, device
 * class "other" (the files have models but no class), no timestamps (NaN). Extras: `file`,
 * `brand`, `model`.
 */
export function loadMobileBandwidth(options: MobileBandwidthOptions = {}): LoadResult {
  const o = checkObject('options', options);
  for (const k of Object.keys(o)) if (!['dir', 'files', 'fiveG', 'multiValue'].includes(k)) throw invalid(`options.${k}`, 'no such option', o[k]);
  let files: readonly MobileBandwidthFile[] = MOBILEBANDWIDTH_FILES;
  if (o.files !== undefined) {
    if (!Array.isArray(o.files) || o.files.length === 0) throw invalid('options.files', `a non-empty array of ${MOBILEBANDWIDTH_FILES.join(', ')}`, o.files);
    const seen = new Set<string>();
    files = o.files.map((f: unknown, i: number) => {
      const v = checkOneOf(`options.files[${i}]`, f, MOBILEBANDWIDTH_FILES);
      if (seen.has(v)) throw invalid(`options.files[${i}]`, 'a file named once', v);
      seen.add(v);
      return v;
    });
  }
  const fiveG = o.fiveG === undefined ? '5g-nsa' : checkOneOf('options.fiveG', o.fiveG, ['5g-nsa', '5g-sa', 'tac'] as const);
  const multiValue = o.multiValue === undefined ? 'median' : checkOneOf('options.multiValue', o.multiValue, ['first', 'median', 'mean'] as const);

  // options are checked before the data is looked for, so a bad option is reported as such
  let dir: string;
  if (o.dir === undefined) {
    const found = findRealData();
    if (found === null || found.mobilebandwidth === null) {
      throw new PinholeError(
        'invalid_argument',
        'dir',
        `"dir" expected a folder holding the ${MOBILEBANDWIDTH_FOLDER} files; none was given and none was found (PINHOLE_DATA_DIR points elsewhere, or the vendored copy in datasets/data is missing)`,
      );
    }
    dir = found.mobilebandwidth;
  } else dir = checkString('options.dir', o.dir, { nonEmpty: true });

  const ingest = new Ingest();
  const conversions: Conversion[] = [];
  for (const name of files) {
    const path = mobileBandwidthFile(dir, name);
    const text = readText('options.dir', path);
    const p = parseOptions({ map: MOBILEBANDWIDTH_MAPS[name], units: MOBILEBANDWIDTH_UNITS[name], unknownOperators: 'reject', multiValue, extras: ['brand', 'model'] });
    for (const c of conversionsOf(p)) if (!conversions.some((x) => x.field === c.field && x.column === c.column)) conversions.push(c);
    if (name === '5G') p.networkTypes.set('5g', fiveG === '5g-sa' ? '5g-sa' : '5g-nsa');
    ingestText(
      ingest,
      `${name}.csv`,
      text,
      (header) => {
        const spec: RowSpec = { ...specFor(`${name}.csv`, header, p), constants: [['file', name]] };
        if (name !== '5G' || fiveG !== 'tac') return spec;
        const tac = header.indexOf('cell_tac');
        if (tac < 0) throw new PinholeError('invalid_argument', 'options.fiveG', '"options.fiveG" expected a 5G.csv with a cell_tac column for "tac", got none');
        return {
          ...spec,
          networkTypeOf: (fields, parsed) => {
            const v = Number(fields[tac]);
            return parsed === '5g-nsa' && Number.isInteger(v) && v > 65535 && v !== 2147483647 ? '5g-sa' : parsed;
          },
        };
      },
      ',',
      path,
    );
  }
  return ingest.finish(conversions);
}

// ---------------------------------------------------------------------------------------------
// finding the real data

export interface RealDataLocation {
  /** the datasets folder (holding one folder per data set) */
  readonly dir: string;
  /** the mobilebandwidth folder when its five files are there (as .csv or .csv.gz), else null */
  readonly mobilebandwidth: string | null;
  /**
   * where it was found: `env` (PINHOLE_DATA_DIR), `shared` (../shared/datasets beside the
   * repository) or `vendored` (the gzipped copy in datasets/data, always there in a clone)
   */
  readonly source: 'env' | 'shared' | 'vendored';
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The path of one mobilebandwidth file in `dir`: `<name>.csv`, else `<name>.csv.gz`. */
function mobileBandwidthFile(dir: string, name: MobileBandwidthFile): string {
  const plain = join(dir, `${name}.csv`);
  return isFile(plain) || !isFile(`${plain}.gz`) ? plain : `${plain}.gz`;
}

function hasMobileBandwidth(dir: string): boolean {
  return MOBILEBANDWIDTH_FILES.every((f) => isFile(join(dir, `${f}.csv`)) || isFile(join(dir, `${f}.csv.gz`)));
}

function repoRoot(start: string): string | null {
  let d = resolve(start);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { workspaces?: unknown };
      if (pkg.workspaces !== undefined) return d;
    } catch {
      // no package.json here: keep climbing
    }
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

function locate(c: string, source: RealDataLocation['source']): RealDataLocation | null {
  if (!isDir(c)) return null;
  if (hasMobileBandwidth(c)) return { dir: dirname(c), mobilebandwidth: c, source };
  const mb = join(c, MOBILEBANDWIDTH_FOLDER);
  return { dir: c, mobilebandwidth: hasMobileBandwidth(mb) ? mb : null, source };
}

/**
 * Where the real data is. `PINHOLE_DATA_DIR` when set (the datasets folder, or the
 * mobilebandwidth folder itself; null when it holds nothing). Otherwise `../shared/datasets`
 * beside the repository root (found from this module and from the working directory) when it
 * holds the mobilebandwidth files, else the gzipped copy vendored in `datasets/data`. Both
 * overrides are optional: a clone reads the vendored copy.
 */
export function findRealData(options: { readonly env?: Readonly<Record<string, string | undefined>>; readonly cwd?: string } = {}): RealDataLocation | null {
  checkObject('options', options);
  const env = options.env ?? process.env;
  const fromEnv = env.PINHOLE_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return locate(resolve(fromEnv), 'env');
  for (const start of [dirname(fileURLToPath(import.meta.url)), options.cwd ?? process.cwd()]) {
    const root = repoRoot(start);
    if (root === null) continue;
    const shared = locate(join(root, '..', 'shared', 'datasets'), 'shared');
    if (shared?.mobilebandwidth) return shared;
  }
  return locate(VENDORED_DATA_DIR, 'vendored');
}
