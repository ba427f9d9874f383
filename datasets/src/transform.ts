/**
 * Table transforms a privacy analysis needs before anything is released:
 * - `restrictToDomains`: keep only rows inside a public domain (operators, regions, cells) given
 *   from outside the data, re-indexed onto it; a row outside it is dropped and counted, never turned
 *   into a group of its own (the domain a release iterates over must not come from the rows);
 * - `boundRowsPerUnit`: contribution bounding, at most `max` rows per privacy unit, chosen
 *   uniformly, with the rows kept and dropped per unit reported;
 * - `summarizeTable`: what the mapped data holds (rows, units, groups, rows per unit, medians).
 */
import { NETWORK_TYPES, type Rng } from '@pinhole/core';
import { checkInteger, checkObject, invalid } from '@pinhole/core/validate';
import { deviceClassDomain, networkTypeDomain } from '@pinhole/core/schema';
import { categoricalDomainOrEmpty, type ExtraColumn, type MeasurementTable, TABLE_NUMERIC_FIELDS, TABLE_STREAMING_FIELD_NAMES, type TableColumns, type TableDomains } from './table.js';

/** The label of the cell that gathers a region's cells outside the public cell domain. */
export const OTHER_CELL = '(other)';
export const otherCellOf = (region: string): string => `${region}/${OTHER_CELL}`;

/** A public domain: labels (operators as MCC-MNC codes, as in the table) and each cell's region index. */
export interface PublicDomains {
  readonly operators: readonly string[];
  readonly regions: readonly string[];
  readonly cells: readonly string[];
  readonly cellRegion: ArrayLike<number>;
}

export interface RestrictResult {
  readonly table: MeasurementTable;
  readonly rows: number;
  readonly kept: number;
  /** rows dropped, by the first field outside its domain */
  readonly dropped: { readonly operator_outside_domain: number; readonly region_outside_domain: number; readonly cell_outside_domain: number };
  /** rows kept under their region's `(other)` cell because their own cell is outside the domain */
  readonly toOtherCell: number;
}

/** Copies rows `rows` of `t` with re-indexed operator, cell (and region) columns onto new domains. */
function rebuild(t: MeasurementTable, rows: Uint32Array, operatorOf: Int32Array, cellOf: Int32Array, domains: TableDomains): MeasurementTable {
  const n = rows.length;
  const src = t.columns;
  const pick = <T extends Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array>(a: T): T => {
    const out = new (a.constructor as new (n: number) => T)(n);
    for (let i = 0; i < n; i++) out[i] = a[rows[i] as number] as number;
    return out;
  };
  const cell = new Uint32Array(n);
  const operator = new Uint16Array(n);
  const region = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i] as number;
    operator[i] = operatorOf[src.operator[r] as number] as number;
    cell[i] = cellOf[src.cell[r] as number] as number;
    region[i] = domains.cellRegion[cell[i] as number] as number;
  }
  const columns: TableColumns = {
    networkType: pick(src.networkType),
    deviceClass: pick(src.deviceClass),
    operator,
    region,
    cell,
    device: pick(src.device),
    downlinkMbps: pick(src.downlinkMbps),
    uplinkMbps: pick(src.uplinkMbps),
    rttMs: pick(src.rttMs),
    rsrpDbm: pick(src.rsrpDbm),
    rsrqDb: pick(src.rsrqDb),
    sinrDb: pick(src.sinrDb),
    wifiRssiDbm: pick(src.wifiRssiDbm),
    timestamp: pick(src.timestamp),
    activity: pick(src.activity),
    videoBitrateKbps: pick(src.videoBitrateKbps),
    rebufferRatio: pick(src.rebufferRatio),
    stallCount: pick(src.stallCount),
    startupDelayMs: pick(src.startupDelayMs),
  };
  const extras: Record<string, ExtraColumn> = {};
  for (const [name, e] of Object.entries(t.extras)) extras[name] = Object.freeze({ values: e.values, codes: pick(e.codes) });
  return Object.freeze({
    length: n,
    domains,
    columns: Object.freeze(columns),
    extras: Object.freeze(extras),
    deviceStart: t.deviceStart,
    deviceCount: t.deviceCount,
    deviceId: t.deviceId,
    source: t.source,
  });
}

function checkLabels(param: string, value: unknown, allowEmpty = false): readonly string[] {
  if (!Array.isArray(value) || (!allowEmpty && value.length === 0) || value.some((x) => typeof x !== 'string' || x === '') || new Set(value).size !== value.length) {
    throw invalid(param, `${allowEmpty ? 'an' : 'a non-empty'} array of distinct non-empty strings`, value);
  }
  return value as readonly string[];
}

/**
 * The rows of `table` inside `domains`, re-indexed onto them (the new table's domains are exactly
 * `domains`, in their order). A row whose operator or region is outside is dropped; a row whose
 * cell is outside is dropped too, unless `otherCells` is set and the domain lists its region's
 * `(other)` cell (see `otherCellOf`), which then takes it.
 */
export function restrictToDomains(table: MeasurementTable, domains: PublicDomains, options: { readonly otherCells?: boolean } = {}): RestrictResult {
  checkObject('domains', domains);
  checkObject('options', options);
  // an empty domain is allowed: a DP selection may keep nothing, and then no row is released
  const operators = checkLabels('domains.operators', domains.operators, true);
  const regions = checkLabels('domains.regions', domains.regions, true);
  const cells = checkLabels('domains.cells', domains.cells, true);
  if (domains.cellRegion === null || typeof domains.cellRegion !== 'object' || domains.cellRegion.length !== cells.length) {
    throw invalid('domains.cellRegion', `a region index per cell (${cells.length})`, domains.cellRegion);
  }
  const cellRegion = new Uint32Array(cells.length);
  for (let c = 0; c < cells.length; c++) cellRegion[c] = checkInteger(`domains.cellRegion[${c}]`, domains.cellRegion[c], { ge: 0, lt: regions.length });
  const index = (list: readonly string[]) => new Map(list.map((v, i) => [v, i]));
  const opIndex = index(operators);
  const regionIndex = index(regions);
  const cellIndex = index(cells);
  const d = table.domains;
  const operatorOf = Int32Array.from(d.operator.values, (v) => opIndex.get(v) ?? -1);
  const regionOf = Int32Array.from(d.region.values, (v) => regionIndex.get(v) ?? -1);
  const otherOf = Int32Array.from(regions, (r) => (options.otherCells ? (cellIndex.get(otherCellOf(r)) ?? -1) : -1));
  const cellOf = new Int32Array(d.cell.size);
  const viaOther = new Uint8Array(d.cell.size);
  for (let c = 0; c < d.cell.size; c++) {
    const own = cellIndex.get(d.cell.values[c] as string);
    const r = regionOf[d.cellRegion[c] as number] as number;
    if (own !== undefined && cellRegion[own] === r) cellOf[c] = own;
    else if (r >= 0 && (otherOf[r] as number) >= 0) {
      cellOf[c] = otherOf[r] as number;
      viaOther[c] = 1;
    } else cellOf[c] = -1;
  }
  const keep: number[] = [];
  const dropped = { operator_outside_domain: 0, region_outside_domain: 0, cell_outside_domain: 0 };
  let toOther = 0;
  const cols = table.columns;
  for (let i = 0; i < table.length; i++) {
    if ((operatorOf[cols.operator[i] as number] as number) < 0) dropped.operator_outside_domain++;
    else if ((regionOf[cols.region[i] as number] as number) < 0) dropped.region_outside_domain++;
    else if ((cellOf[cols.cell[i] as number] as number) < 0) dropped.cell_outside_domain++;
    else {
      keep.push(i);
      if (viaOther[cols.cell[i] as number]) toOther++;
    }
  }
  const names = new Map(d.operator.values.map((v, i) => [v, d.operatorName[i] ?? v]));
  const newDomains: TableDomains = Object.freeze({
    networkType: networkTypeDomain,
    deviceClass: deviceClassDomain,
    operator: categoricalDomainOrEmpty('operator', operators),
    operatorName: Object.freeze(operators.map((o) => names.get(o) ?? o)),
    region: categoricalDomainOrEmpty('region', regions),
    cell: categoricalDomainOrEmpty('cell', cells),
    cellRegion,
  });
  const rows = Uint32Array.from(keep);
  return Object.freeze({ table: rebuild(table, rows, operatorOf, cellOf, newDomains), rows: table.length, kept: rows.length, dropped: Object.freeze(dropped), toOtherCell: toOther });
}

export interface BoundResult {
  readonly table: MeasurementTable;
  /** the most rows a unit keeps */
  readonly bound: number;
  readonly units: number;
  /** units that had more rows than the bound */
  readonly unitsOverBound: number;
  readonly rowsKept: number;
  readonly rowsDropped: number;
}

/**
 * Contribution bounding: each unit keeps at most `max` of its rows, a uniformly random subset
 * (partial Fisher–Yates with `rng`), in their original order.
 */
export function boundRowsPerUnit(table: MeasurementTable, max: number, rng: Rng): BoundResult {
  checkInteger('max', max, { ge: 1 });
  const byUnit = new Map<number, number[]>();
  for (let i = 0; i < table.length; i++) {
    const d = table.columns.device[i] as number;
    let list = byUnit.get(d);
    if (!list) byUnit.set(d, (list = []));
    list.push(i);
  }
  const keep = new Uint8Array(table.length);
  let over = 0;
  for (const list of byUnit.values()) {
    if (list.length <= max) {
      for (const i of list) keep[i] = 1;
      continue;
    }
    over++;
    for (let j = 0; j < max; j++) {
      const k = j + rng.int(list.length - j);
      const t = list[j] as number;
      list[j] = list[k] as number;
      list[k] = t;
      keep[list[j] as number] = 1;
    }
  }
  const rows: number[] = [];
  for (let i = 0; i < table.length; i++) if (keep[i]) rows.push(i);
  const identity = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  const bounded = rebuild(table, Uint32Array.from(rows), identity(table.domains.operator.size), identity(table.domains.cell.size), table.domains);
  return Object.freeze({ table: bounded, bound: max, units: byUnit.size, unitsOverBound: over, rowsKept: rows.length, rowsDropped: table.length - rows.length });
}

export interface FieldSummary {
  readonly unit: string;
  readonly values: number;
  readonly p10: number;
  readonly median: number;
  readonly p90: number;
}

export interface TableSummary {
  readonly rows: number;
  /** privacy units (devices) with at least one row */
  readonly units: number;
  readonly rowsPerUnit: { readonly min: number; readonly median: number; readonly mean: number; readonly p90: number; readonly max: number };
  /** group counts: labels in the table's domains that hold at least one row */
  readonly groups: { readonly operators: number; readonly regions: number; readonly cells: number };
  readonly networkTypes: Readonly<Partial<Record<(typeof NETWORK_TYPES)[number], number>>>;
  readonly videoSessions: number;
  /** per numeric column with values: its quantiles in the schema's unit */
  readonly fields: Readonly<Record<string, FieldSummary>>;
}

const UNIT: Readonly<Record<string, string>> = {
  downlinkMbps: 'Mbit/s',
  uplinkMbps: 'Mbit/s',
  rttMs: 'ms',
  rsrpDbm: 'dBm',
  rsrqDb: 'dB',
  sinrDb: 'dB',
  wifiRssiDbm: 'dBm',
  videoBitrateKbps: 'kbit/s',
  rebufferRatio: 'ratio',
  stallCount: 'count',
  startupDelayMs: 'ms',
};

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return (sorted[lo] as number) + ((sorted[hi] as number) - (sorted[lo] as number)) * (pos - lo);
}

/** What a table holds, for the summary printed before a run. */
export function summarizeTable(table: MeasurementTable): TableSummary {
  const c = table.columns;
  const perUnit = new Map<number, number>();
  for (let i = 0; i < table.length; i++) perUnit.set(c.device[i] as number, (perUnit.get(c.device[i] as number) ?? 0) + 1);
  const counts = Float64Array.from(perUnit.values()).sort();
  const used = (col: ArrayLike<number>) => new Set(Array.from(col)).size;
  const networkTypes: Partial<Record<(typeof NETWORK_TYPES)[number], number>> = {};
  for (let i = 0; i < table.length; i++) {
    const t = NETWORK_TYPES[c.networkType[i] as number] as (typeof NETWORK_TYPES)[number];
    networkTypes[t] = (networkTypes[t] ?? 0) + 1;
  }
  const fields: Record<string, FieldSummary> = {};
  for (const f of [...TABLE_NUMERIC_FIELDS, ...TABLE_STREAMING_FIELD_NAMES]) {
    const vals = Float64Array.from(Array.from(c[f] as ArrayLike<number>).filter((v) => !Number.isNaN(v))).sort();
    if (vals.length === 0) continue;
    fields[f] = Object.freeze({ unit: UNIT[f] as string, values: vals.length, p10: quantile(vals, 0.1), median: quantile(vals, 0.5), p90: quantile(vals, 0.9) });
  }
  let video = 0;
  for (let i = 0; i < table.length; i++) if ((c.activity[i] as number) > 0) video++;
  return Object.freeze({
    rows: table.length,
    units: perUnit.size,
    rowsPerUnit: Object.freeze({
      min: counts.length ? (counts[0] as number) : 0,
      median: quantile(counts, 0.5),
      mean: perUnit.size ? table.length / perUnit.size : 0,
      p90: quantile(counts, 0.9),
      max: counts.length ? (counts[counts.length - 1] as number) : 0,
    }),
    groups: Object.freeze({ operators: used(c.operator), regions: used(c.region), cells: used(c.cell) }),
    networkTypes: Object.freeze(networkTypes),
    videoSessions: video,
    fields: Object.freeze(fields),
  });
}
