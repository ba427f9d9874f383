/**
 * Turning CSV rows into `MeasurementTable` rows, with every row that does not fit the schema
 * counted by reason (rejected), and every optional value that cannot be kept counted by field and
 * reason (cleared). Shared by the generic CSV loader and the real-data loaders (internal).
 */
import { ACTIVITIES, DEVICE_CLASSES, type DeviceClass, NETWORK_TYPES, type NetworkType, PinholeError } from '@pinhole/core';
import { NUMERIC_FIELDS, STREAMING_FIELDS } from '@pinhole/core/schema';
import { NOT_A_NUMBER, type MultiValue, parseCellNumber, parseTimestamp, PLACEHOLDERS, UNAVAILABLE, UNKNOWN_OPERATOR_VALUES } from './cell-values.js';
import { type CsvRow } from './csv.js';
import { type ClearedField, type ClearReason, type Conversion, Counters, type FieldStats, type LoadReport, type LoadResult, type RejectReason, type SourceFile } from './load-report.js';
import { unitWarnings } from './unit-checks.js';
import { Interner, TABLE_STREAMING_FIELDS, TableBuilder, type TableNumericField, type TableStreamingField } from './table.js';

/** How one file's columns map to the table (indices into the header; -1 = not present). */
export interface RowSpec {
  readonly file: string;
  readonly width: number;
  readonly downlink: number;
  readonly numeric: Partial<Record<Exclude<TableNumericField, 'downlinkMbps'>, number>>;
  /** streaming-context columns; `activity` says which rows are sessions (without it: a row with any of them) */
  readonly streaming: Partial<Record<TableStreamingField, number>>;
  readonly activity: number;
  readonly scale: Partial<Record<TableNumericField | TableStreamingField, number>>;
  /** row filters: column index, accepted values (lower-cased), negated, and the label counts go under */
  readonly where: ReadonlyArray<{ readonly column: number; readonly values: ReadonlySet<string>; readonly negate: boolean; readonly label: string }>;
  /** the mapped field name and column of every numeric table field (for the field statistics) */
  readonly fieldNames: Readonly<Partial<Record<TableNumericField | TableStreamingField, readonly [field: string, column: string]>>>;
  readonly networkType: number;
  readonly operator: number;
  readonly region: number;
  readonly cell: number;
  readonly device: number;
  readonly deviceClass: number;
  readonly timestamp: number;
  readonly extras: ReadonlyArray<readonly [name: string, column: number]>;
  readonly defaults: { readonly networkType?: NetworkType; readonly operator?: string; readonly region?: string; readonly deviceClass?: DeviceClass };
  readonly networkTypes: ReadonlyMap<string, NetworkType>;
  readonly operators: ReadonlyMap<string, string>;
  readonly unknownOperators: 'reject' | 'assign';
  readonly multiValue: MultiValue;
  readonly unavailable: ReadonlySet<number>;
  /** constant extra columns (name, value) written on every accepted row */
  readonly constants?: ReadonlyArray<readonly [name: string, value: string]>;
  /** a per-row override of the network type (e.g. 5G SA by a 24-bit TAC) */
  readonly networkTypeOf?: (fields: readonly string[], parsed: NetworkType) => NetworkType;
}

const MCC_MNC = /^(\d{3})-?(\d{2,3})$/;
const CELL_OK = /^[\x21-\x7e]{1,64}$/;
/** ITU-T E.212 MCC 001 is the test network: assigned codes can never collide with a real operator. */
const ASSIGNED_MCC = '001';
const TS_MIN = 946_684_800_000;
const TS_MAX = 4_102_444_800_000;

/** Accumulates rows from one or more files into one table (internal). */
export class Ingest {
  readonly builder = new TableBuilder(4096);
  private readonly operators = new Interner();
  private readonly operatorNames: string[] = [];
  private readonly regions = new Interner();
  private readonly cells = new Interner();
  private readonly cellRegion: number[] = [];
  private readonly devices = new Interner();
  private rowDevices = 0; // devices minted for rows without a device column
  private assigned = 0;
  private readonly files: string[] = [];
  private readonly perFile = new Map<string, Counters>();
  private readonly total = new Counters();
  private readonly numBuf: number[] = [];

  private readonly sources: SourceFile[] = [];
  /** per mapped field: counts, and the first values read (before the unit conversion) for the unit checks */
  readonly stats = new Map<string, { column: string; values: number; absent: number; notANumber: number; outOfRange: number; sample: number[] }>();

  private stat(
    spec: RowSpec,
    field: TableNumericField | TableStreamingField,
  ): { column: string; values: number; absent: number; notANumber: number; outOfRange: number; sample: number[] } | undefined {
    const names = spec.fieldNames[field];
    if (names === undefined) return undefined;
    let st = this.stats.get(names[0]);
    if (!st) {
      st = { column: names[1], values: 0, absent: 0, notANumber: 0, outOfRange: 0, sample: [] };
      this.stats.set(names[0], st);
    }
    return st;
  }

  begin(file: string, source?: SourceFile): Counters {
    this.files.push(file);
    if (source) this.sources.push(source);
    const c = new Counters();
    this.perFile.set(file, c);
    return c;
  }

  /** One data row. */
  row(row: CsvRow, spec: RowSpec, counters: Counters): void {
    counters.rows++;
    this.total.rows++;
    const reject = (reason: RejectReason) => {
      counters.reject(reason);
      this.total.reject(reason);
    };
    const note = (key: string) => {
      counters.note(key);
      this.total.note(key);
    };
    const clear = (field: ClearedField, reason: ClearReason) => {
      counters.clear(field, reason);
      this.total.clear(field, reason);
    };
    const f = row.fields;
    if (row.malformed) return reject('malformed_csv');
    if (f.length !== spec.width) return reject('wrong_field_count');

    // row filters, before any schema check: a filtered row is not a rejected one
    for (const w of spec.where) {
      const hit = w.values.has((f[w.column] as string).trim().toLowerCase());
      if (hit === w.negate) {
        counters.filter(w.label);
        this.total.filter(w.label);
        return;
      }
    }

    // required: downlink
    const dlStat = this.stat(spec, 'downlinkMbps');
    const dlRaw = (f[spec.downlink] as string).trim();
    let dl = this.parseNumber(dlRaw, spec);
    if (dl === UNAVAILABLE) {
      if (dlStat) dlStat.absent++;
      return reject('downlink_missing');
    }
    if (dl === NOT_A_NUMBER) {
      if (dlStat) dlStat.notANumber++;
      return reject('downlink_invalid');
    }
    if (dlStat) {
      dlStat.values++;
      if (dlStat.sample.length < SAMPLE_MAX) dlStat.sample.push(dl);
    }
    dl *= spec.scale.downlinkMbps ?? 1;
    if (!(dl >= NUMERIC_FIELDS.downlinkMbps.min && dl <= NUMERIC_FIELDS.downlinkMbps.max)) {
      if (dlStat) dlStat.outOfRange++;
      return reject('downlink_out_of_range');
    }

    // required: network type
    let nt: NetworkType;
    if (spec.networkType >= 0) {
      const raw = (f[spec.networkType] as string).trim().toLowerCase();
      if (PLACEHOLDERS.has(raw)) return reject('network_type_missing');
      const t = spec.networkTypes.get(raw);
      if (t === undefined) return reject('network_type_unknown');
      nt = t;
    } else if (spec.defaults.networkType !== undefined) {
      nt = spec.defaults.networkType;
    } else {
      return reject('network_type_missing');
    }
    if (spec.networkTypeOf) nt = spec.networkTypeOf(f, nt);

    // required: operator
    let opIndex: number;
    if (spec.operator >= 0) {
      const raw = (f[spec.operator] as string).trim();
      const key = raw.toLowerCase();
      if (UNKNOWN_OPERATOR_VALUES.has(key) || PLACEHOLDERS.has(key)) return reject('operator_unknown');
      let code = spec.operators.get(key);
      if (code === undefined) {
        const m = MCC_MNC.exec(raw);
        if (m) code = `${m[1]}-${m[2]}`;
      }
      if (code === undefined) {
        if (spec.unknownOperators === 'reject') return reject('operator_unknown');
        // a name seen before keeps its code: operatorNames and operators.values are parallel (-1 reads undefined)
        const knownCode = this.operators.values[this.operatorNames.indexOf(raw)];
        if (knownCode !== undefined) code = knownCode;
        else {
          if (this.assigned >= 999) return reject('operator_unknown');
          this.assigned++;
          code = `${ASSIGNED_MCC}-${String(this.assigned).padStart(this.assigned < 100 ? 2 : 3, '0')}`;
          note('operator_code_assigned');
        }
      }
      opIndex = this.operators.index(code);
      if (opIndex === this.operatorNames.length) this.operatorNames.push(raw);
    } else if (spec.defaults.operator !== undefined) {
      opIndex = this.operators.index(spec.defaults.operator);
      if (opIndex === this.operatorNames.length) this.operatorNames.push(spec.defaults.operator);
    } else {
      return reject('operator_unknown');
    }

    // device class
    let dc = DEVICE_CLASSES.indexOf(spec.defaults.deviceClass ?? 'other');
    if (spec.deviceClass >= 0) {
      const raw = (f[spec.deviceClass] as string).trim().toLowerCase();
      dc = (DEVICE_CLASSES as readonly string[]).indexOf(raw);
      if (dc < 0) return reject('device_class_unknown');
    }

    // device (the contributor)
    let device: number;
    if (spec.device >= 0) {
      const raw = (f[spec.device] as string).trim();
      if (PLACEHOLDERS.has(raw.toLowerCase())) return reject('device_missing');
      device = this.devices.index(raw);
    } else {
      device = -1; // minted below, once the row is accepted
    }

    // location: region, then the cell inside it
    let region = spec.defaults.region ?? 'all';
    if (spec.region >= 0) {
      region = (f[spec.region] as string).trim();
      if (PLACEHOLDERS.has(region.toLowerCase())) {
        region = 'unknown';
        note('region_empty');
      }
    }
    let cellId: string;
    if (spec.cell >= 0) {
      let raw = (f[spec.cell] as string).trim();
      if (PLACEHOLDERS.has(raw.toLowerCase())) {
        raw = 'unknown';
        note('cell_empty');
      }
      cellId = spec.region >= 0 ? `${region}/${raw}` : raw;
    } else {
      cellId = region;
    }
    if (!CELL_OK.test(cellId)) {
      const enc = encodeURIComponent(cellId);
      if (!CELL_OK.test(enc)) return reject('cell_invalid');
      cellId = enc;
      note('cell_id_percent_encoded');
    }

    // accepted: write the row
    if (device < 0) {
      device = this.devices.index(`row-${this.rowDevices++}`);
      note('device_per_row');
    }
    const b = this.builder;
    const i = b.next();
    const c = b.cols;
    const regionIndex = this.regions.index(region);
    const cellIndex = this.cells.index(cellId);
    if (cellIndex === this.cellRegion.length) this.cellRegion.push(regionIndex);
    c.networkType.data[i] = NETWORK_TYPES.indexOf(nt);
    c.deviceClass.data[i] = dc;
    c.operator.data[i] = opIndex;
    c.region.data[i] = this.cellRegion[cellIndex] as number;
    c.cell.data[i] = cellIndex;
    c.device.data[i] = device;
    c.downlinkMbps.data[i] = dl;
    const wifi = nt === 'wifi';
    for (const [field, col] of Object.entries(spec.numeric) as Array<[Exclude<TableNumericField, 'downlinkMbps'>, number]>) {
      const v = this.optionalValue((f[col] as string).trim(), spec, field, NUMERIC_FIELDS[field], clear);
      if (Number.isNaN(v)) continue;
      const cellularOnly = field === 'rsrpDbm' || field === 'rsrqDb' || field === 'sinrDb';
      if ((cellularOnly && wifi) || (field === 'wifiRssiDbm' && !wifi)) {
        clear(field, 'wrong_network');
        continue;
      }
      c[field].data[i] = Object.is(v, -0) ? 0 : v;
    }
    this.streaming(f, spec, i, clear, note);
    if (spec.timestamp >= 0) {
      const raw = (f[spec.timestamp] as string).trim();
      if (!PLACEHOLDERS.has(raw.toLowerCase())) {
        const ts = parseTimestamp(raw);
        if (Number.isNaN(ts)) clear('timestamp', 'not_a_number');
        else if (ts < TS_MIN || ts > TS_MAX) clear('timestamp', 'out_of_range');
        else c.timestamp.data[i] = ts;
      }
    }
    for (const [name, col] of spec.extras) {
      const e = b.addExtra(name);
      e.codes.data[i] = e.interner.index((f[col] as string).trim());
    }
    if (spec.constants) {
      for (const [name, value] of spec.constants) {
        const e = b.addExtra(name);
        e.codes.data[i] = e.interner.index(value);
      }
    }
    // "weizhi" is the real files' pinyin for "unknown": kept as its own region / city, and counted
    if (region === 'weizhi') note('region_unknown_kept');
    if (spec.cell >= 0 && (f[spec.cell] as string).trim() === 'weizhi') note('cell_unknown_kept');
  }

  /** The streaming context of an accepted row: whether it is a session, and its quality fields. */
  private streaming(f: readonly string[], spec: RowSpec, i: number, clear: (field: ClearedField, reason: ClearReason) => void, note: (key: string) => void): void {
    const entries = Object.entries(spec.streaming) as Array<[TableStreamingField, number]>;
    if (spec.activity < 0 && entries.length === 0) return;
    const c = this.builder.cols;
    let session: boolean;
    if (spec.activity >= 0) {
      const raw = (f[spec.activity] as string).trim().toLowerCase();
      const a = (ACTIVITIES as readonly string[]).indexOf(raw);
      if (a < 0 && !PLACEHOLDERS.has(raw)) note('activity_unknown');
      session = a >= 0;
      if (session) c.activity.data[i] = a + 1;
    } else {
      session = entries.some(([, col]) => !PLACEHOLDERS.has((f[col] as string).trim().toLowerCase()));
      if (session) c.activity.data[i] = 1; // a row with video fields and no activity column is a video session
    }
    for (const [field, col] of entries) {
      const range = STREAMING_FIELDS[TABLE_STREAMING_FIELDS[field]];
      const v = this.optionalValue((f[col] as string).trim(), spec, field, range, clear);
      if (Number.isNaN(v)) continue;
      if (range.integer && !Number.isInteger(v)) {
        clear(field, 'not_a_number');
        continue;
      }
      if (!session) {
        clear(field, 'wrong_activity');
        continue;
      }
      c[field].data[i] = Object.is(v, -0) ? 0 : v;
    }
  }

  /**
   * An optional field's value in the schema's unit, counted in the field's stats; NaN when it is
   * absent or cleared, `clear` having recorded why.
   */
  private optionalValue(
    raw: string,
    spec: RowSpec,
    field: Exclude<TableNumericField, 'downlinkMbps'> | TableStreamingField,
    range: { readonly min: number; readonly max: number },
    clear: (field: ClearedField, reason: ClearReason) => void,
  ): number {
    const st = this.stat(spec, field);
    let v = this.parseNumber(raw, spec);
    if (v === UNAVAILABLE) {
      if (st) st.absent++;
      // a sentinel is counted as cleared; a placeholder is simply absent
      if (!PLACEHOLDERS.has(raw.toLowerCase())) clear(field, 'unavailable');
      return Number.NaN;
    }
    if (v === NOT_A_NUMBER) {
      if (st) st.notANumber++;
      clear(field, 'not_a_number');
      return Number.NaN;
    }
    if (st) {
      st.values++;
      if (st.sample.length < SAMPLE_MAX) st.sample.push(v);
    }
    v *= spec.scale[field] ?? 1;
    if (!(v >= range.min && v <= range.max)) {
      if (st) st.outOfRange++;
      clear(field, 'out_of_range');
      return Number.NaN;
    }
    return v;
  }

  /** Numeric value of a cell (see parseCellNumber). */
  private parseNumber(raw: string, spec: RowSpec): number {
    return parseCellNumber(raw, spec.unavailable, spec.multiValue, this.numBuf);
  }

  /** The table and every count; `conversions` are the unit conversions the caller applied (for the report and the unit checks). */
  finish(conversions: readonly Conversion[] = []): LoadResult {
    const devices = this.devices.values;
    const table = this.builder.finish({
      operators: this.operators.values,
      operatorNames: this.operatorNames,
      regions: this.regions.values,
      cells: this.cells.values,
      cellRegion: Uint32Array.from(this.cellRegion),
      deviceStart: 0,
      deviceCount: devices.length,
      deviceId: (d: number) => {
        const id = devices[d];
        if (id === undefined) throw new PinholeError('invalid_argument', 'device', `"device" expected an integer >= 0 and < ${devices.length}, got ${d}`);
        return id;
      },
      source: Object.freeze({ kind: 'csv' as const, files: Object.freeze(this.files.slice()) }),
    });
    const byFile: Record<string, LoadReport> = {};
    for (const [file, c] of this.perFile) byFile[file] = c.report();
    const fieldStats: Record<string, FieldStats> = {};
    for (const [field, st] of this.stats) fieldStats[field] = Object.freeze({ column: st.column, values: st.values, absent: st.absent, notANumber: st.notANumber, outOfRange: st.outOfRange });
    return Object.freeze({
      table,
      ...this.total.report(),
      byFile: Object.freeze(byFile),
      sources: Object.freeze(this.sources.slice()),
      conversions: Object.freeze(conversions.slice()),
      fieldStats: Object.freeze(fieldStats),
      warnings: Object.freeze(unitWarnings(this.stats, conversions)),
    });
  }
}

/** values kept per field for the unit checks */
const SAMPLE_MAX = 100_000;
