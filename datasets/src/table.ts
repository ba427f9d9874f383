/**
 * `MeasurementTable`: the columnar form every data source produces (the synthetic generator, the
 * real-data loaders, a user's CSV). One row is one measurement; categorical columns hold indices
 * into domains attached to the table; optional numeric columns hold NaN where a value is absent.
 * Columnar because the bench simulates millions of devices: a row object per measurement would
 * cost ~100 bytes of heap each, a row here costs 60.
 */
import { ACTIVITIES, type Activity, type DeviceClass, type NetworkSample, type NetworkType, NETWORK_TYPES } from '@pinhole/core';
import { type CategoricalDomain, categoricalDomain, deviceClassDomain, networkTypeDomain, NUMERIC_FIELDS } from '@pinhole/core/schema';
import { checkInteger, checkObject, invalid } from '@pinhole/core/validate';

/** The numeric columns; each is a `NetworkSample` field of the same name and unit. */
export const TABLE_NUMERIC_FIELDS = ['downlinkMbps', 'uplinkMbps', 'rttMs', 'rsrpDbm', 'rsrqDb', 'sinrDb', 'wifiRssiDbm'] as const;
export type TableNumericField = (typeof TABLE_NUMERIC_FIELDS)[number];

/** The streaming-context columns and the `StreamingContext` field each one holds (same unit). */
export const TABLE_STREAMING_FIELDS = Object.freeze({
  videoBitrateKbps: 'bitrateKbps',
  rebufferRatio: 'rebufferRatio',
  stallCount: 'stallCount',
  startupDelayMs: 'startupDelayMs',
} as const);
export type TableStreamingField = keyof typeof TABLE_STREAMING_FIELDS;
export const TABLE_STREAMING_FIELD_NAMES = Object.freeze(Object.keys(TABLE_STREAMING_FIELDS) as TableStreamingField[]);

export interface TableDomains {
  /** always core's `networkTypeDomain` (the schema's closed list) */
  readonly networkType: CategoricalDomain<NetworkType>;
  /** always core's `deviceClassDomain` */
  readonly deviceClass: CategoricalDomain<DeviceClass>;
  /** MCC-MNC codes, e.g. "460-01" */
  readonly operator: CategoricalDomain<string>;
  /** a human name per operator index ("China Unicom"), same order as `operator` */
  readonly operatorName: readonly string[];
  /** regions (provinces, states): the coarse area a cell belongs to */
  readonly region: CategoricalDomain<string>;
  /** coarse location cells; every cell sits in exactly one region */
  readonly cell: CategoricalDomain<string>;
  /** the region index of each cell */
  readonly cellRegion: Uint32Array;
}

export interface TableColumns {
  /** index into `domains.networkType` */
  readonly networkType: Uint8Array;
  /** index into `domains.deviceClass` */
  readonly deviceClass: Uint8Array;
  /** index into `domains.operator` */
  readonly operator: Uint16Array;
  /** index into `domains.region` (always `domains.cellRegion[cell]`) */
  readonly region: Uint32Array;
  /** index into `domains.cell` */
  readonly cell: Uint32Array;
  /** the contributor: a device index; its id is `table.deviceId(index)` */
  readonly device: Uint32Array;
  /** required, never NaN */
  readonly downlinkMbps: Float64Array;
  /** NaN = absent */
  readonly uplinkMbps: Float64Array;
  /** NaN = absent (float32: sub-millisecond precision is noise for RTT) */
  readonly rttMs: Float32Array;
  /** NaN = absent; cellular rows only */
  readonly rsrpDbm: Float32Array;
  readonly rsrqDb: Float32Array;
  readonly sinrDb: Float32Array;
  /** NaN = absent; wifi rows only */
  readonly wifiRssiDbm: Float32Array;
  /** milliseconds since the epoch; NaN = absent (the real files carry no time) */
  readonly timestamp: Float64Array;
  /** 0 = no streaming context, else 1 + the index of the activity in core's ACTIVITIES (1 = video) */
  readonly activity: Uint8Array;
  /** streaming context (NaN = absent): delivered video bitrate, kbit/s */
  readonly videoBitrateKbps: Float32Array;
  /** share of playback time stalled, [0, 1] */
  readonly rebufferRatio: Float32Array;
  /** stalls after playback started */
  readonly stallCount: Float32Array;
  /** play request to first frame, ms */
  readonly startupDelayMs: Float32Array;
}

/** Extra categorical columns a source keeps (brand, model, source file, …). */
export interface ExtraColumn {
  readonly values: readonly string[];
  readonly codes: Uint32Array;
}

export type TableSource = { readonly kind: 'synthetic'; readonly seed: string; readonly deviceStart: number; readonly devices: number } | { readonly kind: 'csv'; readonly files: readonly string[] };

export interface MeasurementTable {
  /** number of rows (measurements) */
  readonly length: number;
  readonly domains: TableDomains;
  readonly columns: TableColumns;
  readonly extras: Readonly<Record<string, ExtraColumn>>;
  /**
   * Device indices in `columns.device` lie in [deviceStart, deviceStart + deviceCount). A chunk of
   * a synthetic population keeps global indices so chunks can be merged.
   */
  readonly deviceStart: number;
  readonly deviceCount: number;
  /** the contributor id of a device index (synthetic: "syn-<index>"; real data: the file's user id); a plain function, copied between tables */
  readonly deviceId: (device: number) => string;
  readonly source: TableSource;
}

/** One measurement in row form: the contributor, its region, and the schema sample. */
export interface Measurement {
  readonly deviceId: string;
  readonly region: string;
  readonly sample: NetworkSample;
}

/**
 * The documented placeholder a `NetworkSample` gets when the table has no timestamp (the real
 * files carry none): 2021-08-01T00:00:00Z, the first day of the collection window of the
 * mobilebandwidth data. The table itself keeps NaN; only the conversion uses this value.
 */
export const TIMESTAMP_PLACEHOLDER = Date.UTC(2021, 7, 1);

export interface SampleOptions {
  /** used when the row has no timestamp; default `TIMESTAMP_PLACEHOLDER` */
  readonly timestampPlaceholder?: number;
}

function checkRow(table: MeasurementTable, row: unknown): number {
  return checkInteger('row', row, { ge: 0, lt: table.length });
}

/** Row `row` as a `NetworkSample` (absent optional fields are left out). */
export function toNetworkSample(table: MeasurementTable, row: number, options: SampleOptions = {}): NetworkSample {
  checkRow(table, row);
  checkObject('options', options);
  const placeholder =
    options.timestampPlaceholder === undefined ? TIMESTAMP_PLACEHOLDER : checkInteger('options.timestampPlaceholder', options.timestampPlaceholder, { ge: 946_684_800_000, le: 4_102_444_800_000 });
  return sampleAt(table, row, placeholder);
}

function sampleAt(table: MeasurementTable, row: number, placeholder: number): NetworkSample {
  const c = table.columns;
  const d = table.domains;
  const ts = c.timestamp[row] as number;
  const sample: NetworkSample = {
    networkType: NETWORK_TYPES[c.networkType[row] as number] as NetworkType,
    operator: d.operator.values[c.operator[row] as number] as string,
    cell: d.cell.values[c.cell[row] as number] as string,
    downlinkMbps: c.downlinkMbps[row] as number,
    deviceClass: d.deviceClass.values[c.deviceClass[row] as number] as DeviceClass,
    timestamp: Number.isNaN(ts) ? placeholder : ts,
  };
  for (const f of TABLE_NUMERIC_FIELDS) {
    if (f === 'downlinkMbps') continue;
    const v = c[f][row] as number;
    if (!Number.isNaN(v)) sample[f] = v;
  }
  const activity = c.activity[row] as number;
  if (activity > 0) {
    const streaming: NonNullable<NetworkSample['streaming']> = { activity: ACTIVITIES[activity - 1] as Activity };
    for (const f of TABLE_STREAMING_FIELD_NAMES) {
      const v = c[f][row] as number;
      if (!Number.isNaN(v)) streaming[TABLE_STREAMING_FIELDS[f]] = v;
    }
    sample.streaming = streaming;
  }
  return sample;
}

/** Row `row` with its contributor id and region. */
export function measurementAt(table: MeasurementTable, row: number, options: SampleOptions = {}): Measurement {
  const sample = toNetworkSample(table, row, options);
  return {
    deviceId: table.deviceId(table.columns.device[row] as number),
    region: table.domains.region.values[table.columns.region[row] as number] as string,
    sample,
  };
}

/** Every row, in order, as a `Measurement`. */
export function* measurements(table: MeasurementTable, options: SampleOptions = {}): Generator<Measurement> {
  for (let i = 0; i < table.length; i++) yield measurementAt(table, i, options);
}

/**
 * Checks a table's internal consistency: column lengths, indices inside their domains, device
 * indices inside the device range, cells inside their region, downlink present and in range.
 * Loaders and the generator produce valid tables; this guards tables built by hand.
 */
export function checkTable(value: unknown, param = 'table'): MeasurementTable {
  const t = checkObject(param, value) as unknown as MeasurementTable;
  const n = checkInteger(`${param}.length`, t.length, { ge: 0 });
  const cols = checkObject(`${param}.columns`, t.columns) as unknown as TableColumns;
  const doms = checkObject(`${param}.domains`, t.domains) as unknown as TableDomains;
  checkInteger(`${param}.deviceStart`, t.deviceStart, { ge: 0 });
  checkInteger(`${param}.deviceCount`, t.deviceCount, { ge: 0 });
  if (typeof t.deviceId !== 'function') throw invalid(`${param}.deviceId`, 'a function', t.deviceId);
  const kinds: Record<keyof TableColumns, new (n: number) => ArrayLike<number>> = {
    networkType: Uint8Array,
    deviceClass: Uint8Array,
    operator: Uint16Array,
    region: Uint32Array,
    cell: Uint32Array,
    device: Uint32Array,
    downlinkMbps: Float64Array,
    uplinkMbps: Float64Array,
    rttMs: Float32Array,
    rsrpDbm: Float32Array,
    rsrqDb: Float32Array,
    sinrDb: Float32Array,
    wifiRssiDbm: Float32Array,
    timestamp: Float64Array,
    activity: Uint8Array,
    videoBitrateKbps: Float32Array,
    rebufferRatio: Float32Array,
    stallCount: Float32Array,
    startupDelayMs: Float32Array,
  };
  for (const [name, kind] of Object.entries(kinds)) {
    const col = (cols as unknown as Record<string, unknown>)[name];
    if (!(col instanceof kind) || col.length !== n) {
      throw invalid(`${param}.columns.${name}`, `a ${kind.name} of length ${n}`, col);
    }
  }
  for (const dom of ['operator', 'region', 'cell'] as const) {
    const d = doms[dom] as CategoricalDomain | undefined;
    if (!d || d.kind !== 'categorical') throw invalid(`${param}.domains.${dom}`, 'a categorical domain', d);
  }
  if (!(doms.cellRegion instanceof Uint32Array) || doms.cellRegion.length !== doms.cell.size) {
    throw invalid(`${param}.domains.cellRegion`, `a Uint32Array of length ${doms.cell.size}`, doms.cellRegion);
  }
  const bad = (column: string, row: number, rule: string, v: unknown) => invalid(`${param}.columns.${column}[${row}]`, rule, v);
  const devEnd = t.deviceStart + t.deviceCount;
  const dl = NUMERIC_FIELDS.downlinkMbps;
  for (let i = 0; i < n; i++) {
    if ((cols.networkType[i] as number) >= NETWORK_TYPES.length) throw bad('networkType', i, `an index < ${NETWORK_TYPES.length}`, cols.networkType[i]);
    if ((cols.deviceClass[i] as number) >= doms.deviceClass.size) throw bad('deviceClass', i, `an index < ${doms.deviceClass.size}`, cols.deviceClass[i]);
    if ((cols.operator[i] as number) >= doms.operator.size) throw bad('operator', i, `an index < ${doms.operator.size}`, cols.operator[i]);
    const cell = cols.cell[i] as number;
    if (cell >= doms.cell.size) throw bad('cell', i, `an index < ${doms.cell.size}`, cell);
    if (cols.region[i] !== doms.cellRegion[cell]) throw bad('region', i, `the region of cell ${cell} (${doms.cellRegion[cell]})`, cols.region[i]);
    const dev = cols.device[i] as number;
    if (dev < t.deviceStart || dev >= devEnd) throw bad('device', i, `a device index in [${t.deviceStart}, ${devEnd})`, dev);
    const v = cols.downlinkMbps[i] as number;
    if (!(v >= dl.min && v <= dl.max)) throw bad('downlinkMbps', i, `a number in [${dl.min}, ${dl.max}]`, v);
    if ((cols.activity[i] as number) > ACTIVITIES.length) throw bad('activity', i, `an index <= ${ACTIVITIES.length}`, cols.activity[i]);
  }
  return t;
}

/** Growable typed column (doubling), trimmed by `finish`. */
class Column<T extends Uint8Array | Uint16Array | Uint32Array | Float32Array | Float64Array> {
  data: T;
  constructor(
    private readonly make: (n: number) => T,
    capacity: number,
  ) {
    this.data = make(capacity);
  }
  grow(capacity: number): void {
    const next = this.make(capacity);
    next.set(this.data);
    this.data = next;
  }
  finish(n: number): T {
    return n === this.data.length ? this.data : (this.data.slice(0, n) as T);
  }
}

/** Interns strings to indices in first-seen order. */
export class Interner {
  readonly values: string[] = [];
  private readonly map = new Map<string, number>();
  index(value: string): number {
    let i = this.map.get(value);
    if (i === undefined) {
      i = this.values.length;
      this.values.push(value);
      this.map.set(value, i);
    }
    return i;
  }
  get size(): number {
    return this.values.length;
  }
}

const U8 = (n: number) => new Uint8Array(n);
const U16 = (n: number) => new Uint16Array(n);
const U32 = (n: number) => new Uint32Array(n);
const F32 = (n: number) => new Float32Array(n).fill(Number.NaN);
const F64 = (n: number) => new Float64Array(n).fill(Number.NaN);

/** A row-at-a-time builder used by the loaders and the generator (internal). */
export class TableBuilder {
  length = 0;
  private capacity: number;
  readonly cols: {
    networkType: Column<Uint8Array>;
    deviceClass: Column<Uint8Array>;
    operator: Column<Uint16Array>;
    region: Column<Uint32Array>;
    cell: Column<Uint32Array>;
    device: Column<Uint32Array>;
    downlinkMbps: Column<Float64Array>;
    uplinkMbps: Column<Float64Array>;
    rttMs: Column<Float32Array>;
    rsrpDbm: Column<Float32Array>;
    rsrqDb: Column<Float32Array>;
    sinrDb: Column<Float32Array>;
    wifiRssiDbm: Column<Float32Array>;
    timestamp: Column<Float64Array>;
    activity: Column<Uint8Array>;
    videoBitrateKbps: Column<Float32Array>;
    rebufferRatio: Column<Float32Array>;
    stallCount: Column<Float32Array>;
    startupDelayMs: Column<Float32Array>;
  };
  readonly extras = new Map<string, { interner: Interner; codes: Column<Uint32Array> }>();

  constructor(capacity = 1024) {
    this.capacity = Math.max(16, capacity);
    const c = this.capacity;
    this.cols = {
      networkType: new Column(U8, c),
      deviceClass: new Column(U8, c),
      operator: new Column(U16, c),
      region: new Column(U32, c),
      cell: new Column(U32, c),
      device: new Column(U32, c),
      downlinkMbps: new Column(F64, c),
      uplinkMbps: new Column(F64, c),
      rttMs: new Column(F32, c),
      rsrpDbm: new Column(F32, c),
      rsrqDb: new Column(F32, c),
      sinrDb: new Column(F32, c),
      wifiRssiDbm: new Column(F32, c),
      timestamp: new Column(F64, c),
      activity: new Column(U8, c),
      videoBitrateKbps: new Column(F32, c),
      rebufferRatio: new Column(F32, c),
      stallCount: new Column(F32, c),
      startupDelayMs: new Column(F32, c),
    };
  }

  addExtra(name: string): { interner: Interner; codes: Column<Uint32Array> } {
    let e = this.extras.get(name);
    if (!e) {
      e = { interner: new Interner(), codes: new Column(U32, this.capacity) };
      this.extras.set(name, e);
    }
    return e;
  }

  /** Reserves row `this.length` (growing the columns) and returns its index. */
  next(): number {
    if (this.length === this.capacity) {
      this.capacity = Math.ceil(this.capacity * 1.5);
      for (const col of Object.values(this.cols)) (col as Column<Float64Array>).grow(this.capacity);
      for (const e of this.extras.values()) e.codes.grow(this.capacity);
    }
    return this.length++;
  }

  finish(args: {
    operators: readonly string[];
    operatorNames: readonly string[];
    regions: readonly string[];
    cells: readonly string[];
    cellRegion: Uint32Array;
    deviceStart: number;
    deviceCount: number;
    deviceId: (device: number) => string;
    source: TableSource;
    domains?: TableDomains;
  }): MeasurementTable {
    const n = this.length;
    const c = this.cols;
    const domains: TableDomains =
      args.domains ??
      Object.freeze({
        networkType: networkTypeDomain,
        deviceClass: deviceClassDomain,
        operator: categoricalDomainOrEmpty('operator', args.operators),
        operatorName: Object.freeze(args.operatorNames.slice()),
        region: categoricalDomainOrEmpty('region', args.regions),
        cell: categoricalDomainOrEmpty('cell', args.cells),
        cellRegion: args.cellRegion,
      });
    const extras: Record<string, ExtraColumn> = {};
    for (const [name, e] of this.extras) extras[name] = Object.freeze({ values: Object.freeze(e.interner.values.slice()), codes: e.codes.finish(n) });
    return Object.freeze({
      length: n,
      domains,
      columns: Object.freeze({
        networkType: c.networkType.finish(n),
        deviceClass: c.deviceClass.finish(n),
        operator: c.operator.finish(n),
        region: c.region.finish(n),
        cell: c.cell.finish(n),
        device: c.device.finish(n),
        downlinkMbps: c.downlinkMbps.finish(n),
        uplinkMbps: c.uplinkMbps.finish(n),
        rttMs: c.rttMs.finish(n),
        rsrpDbm: c.rsrpDbm.finish(n),
        rsrqDb: c.rsrqDb.finish(n),
        sinrDb: c.sinrDb.finish(n),
        wifiRssiDbm: c.wifiRssiDbm.finish(n),
        timestamp: c.timestamp.finish(n),
        activity: c.activity.finish(n),
        videoBitrateKbps: c.videoBitrateKbps.finish(n),
        rebufferRatio: c.rebufferRatio.finish(n),
        stallCount: c.stallCount.finish(n),
        startupDelayMs: c.startupDelayMs.finish(n),
      }),
      extras: Object.freeze(extras),
      deviceStart: args.deviceStart,
      deviceCount: args.deviceCount,
      deviceId: args.deviceId,
      source: args.source,
    });
  }
}

/**
 * core's `categoricalDomain` refuses an empty list; a table with no accepted rows still needs
 * domains, so an empty one is a frozen stand-in whose `index` always fails.
 */
export function categoricalDomainOrEmpty(name: string, values: readonly string[]): CategoricalDomain<string> {
  if (values.length > 0) return categoricalDomain(name, values);
  return Object.freeze({
    kind: 'categorical' as const,
    name,
    values: Object.freeze([]),
    size: 0,
    index(value: string): number {
      throw invalid(name, 'a value of an empty domain (the table has no rows)', value);
    },
    label(bucket: number): string {
      throw invalid('bucket', 'an index of an empty domain', bucket);
    },
  });
}
