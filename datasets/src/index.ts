/**
 * @pinhole/datasets: the seeded synthetic population (calibrated on real data), loaders for the
 * real mobilebandwidth files and for any CSV with a column mapping, all producing a columnar
 * `MeasurementTable`. Node-only.
 */
export {
  TABLE_NUMERIC_FIELDS,
  TABLE_STREAMING_FIELDS,
  TABLE_STREAMING_FIELD_NAMES,
  TIMESTAMP_PLACEHOLDER,
  checkTable,
  measurementAt,
  measurements,
  toNetworkSample,
  type ExtraColumn,
  type Measurement,
  type MeasurementTable,
  type SampleOptions,
  type TableColumns,
  type TableDomains,
  type TableNumericField,
  type TableStreamingField,
  type TableSource,
} from './table.js';
export { CsvParser, parseCsv, type CsvOptions, type CsvRow } from './csv.js';
export {
  REJECT_REASONS,
  CLEAR_REASONS,
  type RejectReason,
  type ClearReason,
  type ClearedField,
  type LoadReport,
  type LoadResult,
  type SourceFile,
  type Conversion,
  type FieldStats,
  type LoadWarning,
} from './load-report.js';
export { DEFAULT_NETWORK_TYPE_NAMES, DEFAULT_OPERATOR_CODES, UNKNOWN_OPERATOR_VALUES, PLACEHOLDERS, parseTimestamp, type MultiValue } from './cell-values.js';
export { type WhereCondition, type CsvLoadOptions } from './csv-options.js';
export { FIELD_UNITS, canonicalUnit, unitFactor, unitsFor, type UnitDimension, type UnitField } from './units.js';
export { OUT_OF_RANGE_WARNING_SHARE, PLAUSIBLE_MEDIAN } from './unit-checks.js';
export { parseColumnMap, MAP_FIELDS, type ColumnMap, type ColumnMapping, type MapField, type UnitMap } from './column-map.js';
export { loadCsv, loadCsvString } from './csv-loader.js';
export { loadMobileBandwidth, type MobileBandwidthOptions } from './mobilebandwidth.js';
export { findRealData, MOBILEBANDWIDTH_FILES, type MobileBandwidthFile, type RealDataLocation } from './real-data.js';
export { measureCalibration, knotsOf, quantileSorted, KNOT_LEVELS, type CalibrationFigures, type DownlinkFigures, type SignalFigures } from './calibrate.js';
export { generateSynthetic, generateSyntheticTable, syntheticChunks, type SyntheticDataset, type SyntheticDevice } from './synthetic/generate.js';
export { type SyntheticOptions } from './synthetic/options.js';
export { syntheticWorld, REGION_SHARE_OF_CELL_VARIANCE, type SyntheticWorld } from './synthetic/world.js';
export { syntheticModel, countExponent, copulaCorrelation, type SyntheticModel } from './synthetic/model.js';
export { expectedShare, type ExpectationQuery } from './synthetic/expectations.js';
export {
  DEVICE_CLASS_MODEL,
  CELLULAR_MIX,
  HOME_CELL_SHARE,
  POOR_CELL_SHARE,
  POOR_CELL_DROP,
  RTT_SIGMA,
  RTT_RANK_CORRELATION,
  UPLINK_SIGMA,
  HOUR_WEIGHTS,
  type OperatorSpec,
} from './synthetic/assumptions.js';
export { CALIBRATION } from './calibration-data.js';
export {
  VIDEO_SESSION_SHARE,
  VIDEO_REBUFFERING_SHARE,
  VIDEO_MEAN_REBUFFER_RATIO,
  VIDEO_STARTUP_OVER_2S,
  VIDEO_STARTUP_SIGMA,
  VIDEO_REBUFFERING_RISK,
  VIDEO_DOWNLINK_CORRELATION,
  VIDEO_LADDER_KBPS,
  VIDEO_THROUGHPUT_SAFETY,
  VIDEO_CAP_KBPS,
  VIDEO_BITRATE_SIGMA,
  videoModel,
  videoRung,
  type VideoModel,
} from './video.js';
export { type Knots } from './distributions.js';
export {
  OTHER_CELL,
  otherCellOf,
  restrictToDomains,
  boundRowsPerUnit,
  summarizeTable,
  type PublicDomains,
  type RestrictResult,
  type BoundResult,
  type TableSummary,
  type FieldSummary,
} from './transform.js';
export { MOBILEBANDWIDTH_OPERATORS, MOBILEBANDWIDTH_REGIONS, MOBILEBANDWIDTH_DOMAINS_SOURCE } from './public-domains.js';
