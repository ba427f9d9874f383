/**
 * Options of the CSV loader: their checks (`parseOptions`), row filters (`parseWhere`), and the
 * per-file row spec a header and the options make (`specFor`).
 */
import { basename } from 'node:path';
import { DEVICE_CLASSES, type DeviceClass, NETWORK_TYPES, type NetworkType, PinholeError } from '@pinhole/core';
import { checkObject, checkOneOf, checkString, invalid } from '@pinhole/core/validate';
import { DEFAULT_NETWORK_TYPE_NAMES, DEFAULT_OPERATOR_CODES, type MultiValue } from './cell-values.js';
import { ALIASES, type ColumnMap, MAP_FIELDS, NUMERIC_OF, parseColumnMap, STREAMING_OF, type UnitMap } from './column-map.js';
import { type RowSpec } from './ingest.js';
import { type Conversion } from './load-report.js';
import { type TableNumericField, type TableStreamingField } from './table.js';
import { FIELD_UNITS, type UnitField, unitFactor } from './units.js';

/** A row filter on a raw column: keep rows whose value is (or, negated, is not) one of `values` (trimmed, case-insensitive). */
export interface WhereCondition {
  readonly column: string;
  readonly values: readonly string[];
  readonly negate?: boolean;
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

export interface ParsedOptions {
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

export function conversionsOf(p: ParsedOptions): Conversion[] {
  return (Object.entries(p.units) as Array<[UnitField, { unit: string; factor: number; stated: boolean }]>).map(([field, u]) =>
    Object.freeze({ field, column: p.map[field] as string, unit: u.unit, stated: u.stated, factor: u.factor, schemaUnit: FIELD_UNITS[field] }),
  );
}

export function parseOptions(options: unknown): ParsedOptions {
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
    else if (scale[field] !== undefined) units[field] = { unit: `× ${scale[field]}`, factor: scale[field], stated: true };
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
export function specFor(file: string, header: readonly string[], p: ParsedOptions): RowSpec {
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
