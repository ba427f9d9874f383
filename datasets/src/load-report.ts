/**
 * What a load reports: rows read, filtered, rejected (by reason) and cleared (by field and reason),
 * the unit conversions, field statistics, warnings and the files read, and the counters that
 * accumulate them (internal).
 */
import type { MeasurementTable, TableNumericField, TableStreamingField } from './table.js';

export const REJECT_REASONS = [
  'malformed_csv',
  'wrong_field_count',
  'downlink_missing',
  'downlink_invalid',
  'downlink_out_of_range',
  'network_type_missing',
  'network_type_unknown',
  'operator_unknown',
  'cell_invalid',
  'device_missing',
  'device_class_unknown',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export const CLEAR_REASONS = ['unavailable', 'not_a_number', 'out_of_range', 'wrong_network', 'wrong_activity'] as const;
export type ClearReason = (typeof CLEAR_REASONS)[number];
export type ClearedField = Exclude<TableNumericField, 'downlinkMbps'> | TableStreamingField | 'timestamp';

/** How the values of one mapped numeric column looked (before any row was rejected for another field). */
export interface FieldStats {
  /** the column it came from */
  readonly column: string;
  /** cells holding a number */
  readonly values: number;
  /** placeholders (`-`, empty, NaN, null, …) and sentinels: absent */
  readonly absent: number;
  readonly notANumber: number;
  /** numbers outside the field's valid range after the unit conversion */
  readonly outOfRange: number;
}

export interface LoadReport {
  /** data rows read (header excluded) */
  readonly rows: number;
  /** rows removed by the row filters (`where`), counted under the first condition they failed */
  readonly filtered: { readonly total: number; readonly byCondition: Readonly<Record<string, number>> };
  /** rows that did not fit the schema: none is dropped without a count here */
  readonly rejected: { readonly total: number; readonly byReason: Partial<Record<RejectReason, number>> };
  /** optional values set absent, by field and reason (the row itself was kept) */
  readonly cleared: { readonly total: number; readonly byField: Partial<Record<ClearedField, Partial<Record<ClearReason, number>>>> };
  /** kept rows with something worth knowing (unknown region kept as its own region, cell ids percent-encoded, …) */
  readonly notes: Readonly<Record<string, number>>;
}

/** What was read: the file's name, where it was found, and the SHA-256 of its (decompressed) content. */
export interface SourceFile {
  readonly name: string;
  readonly path: string;
  readonly bytes: number;
  readonly sha256: string;
}

/** The conversion applied to a mapped numeric column. */
export interface Conversion {
  readonly field: string;
  readonly column: string;
  /** the column's unit: stated in the mapping, or (stated = false) assumed to be the schema's */
  readonly unit: string;
  readonly stated: boolean;
  /** value in the schema's unit = value in the column's unit × factor */
  readonly factor: number;
  readonly schemaUnit: string;
}

/** Something about the data that probably makes the figures wrong (a wrong unit is the usual cause). */
export interface LoadWarning {
  readonly field: string;
  readonly column: string;
  readonly message: string;
  /** the unit the values look like they are in, when one fits */
  readonly suggestedUnit?: string;
}

export interface LoadResult extends LoadReport {
  readonly table: MeasurementTable;
  /** per mapped numeric field: the unit conversion applied */
  readonly conversions: readonly Conversion[];
  /** per mapped numeric field: how many values were present, absent, unreadable, out of range */
  readonly fieldStats: Readonly<Record<string, FieldStats>>;
  /** likely mistakes in the mapping (more than a few percent out of range, an implausible median) */
  readonly warnings: readonly LoadWarning[];
  /** every file read, in order, with the hash of its content (a figure can name the exact data) */
  readonly sources: readonly SourceFile[];
  /** the same counts per input file (one entry for a single file) */
  readonly byFile: Readonly<Record<string, LoadReport>>;
}

export class Counters {
  rows = 0;
  filteredTotal = 0;
  readonly byCondition: Record<string, number> = {};
  rejectedTotal = 0;
  readonly byReason: Partial<Record<RejectReason, number>> = {};
  clearedTotal = 0;
  readonly byField: Partial<Record<ClearedField, Partial<Record<ClearReason, number>>>> = {};
  readonly notes: Record<string, number> = {};
  filter(label: string): void {
    this.filteredTotal++;
    this.byCondition[label] = (this.byCondition[label] ?? 0) + 1;
  }
  reject(reason: RejectReason): void {
    this.rejectedTotal++;
    this.byReason[reason] = (this.byReason[reason] ?? 0) + 1;
  }
  clear(field: ClearedField, reason: ClearReason): void {
    this.clearedTotal++;
    const f = (this.byField[field] ??= {});
    f[reason] = (f[reason] ?? 0) + 1;
  }
  note(key: string): void {
    this.notes[key] = (this.notes[key] ?? 0) + 1;
  }
  report(): LoadReport {
    return Object.freeze({
      rows: this.rows,
      filtered: Object.freeze({ total: this.filteredTotal, byCondition: Object.freeze({ ...this.byCondition }) }),
      rejected: Object.freeze({ total: this.rejectedTotal, byReason: Object.freeze({ ...this.byReason }) }),
      cleared: Object.freeze({ total: this.clearedTotal, byField: Object.freeze(JSON.parse(JSON.stringify(this.byField)) as LoadReport['cleared']['byField']) }),
      notes: Object.freeze({ ...this.notes }),
    });
  }
}
