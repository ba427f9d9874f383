/**
 * What Pinhole is about: one network-quality measurement taken on a phone. Units, valid ranges and
 * default bucketings are part of the schema so that the client, the aggregator and the bench agree.
 */
import { bucketedDomain, type BucketedDomain, categoricalDomain, type CategoricalDomain } from './schema.js';
import { invalid, invalidPrivate } from './validate.js';

export const NETWORK_TYPES = ['wifi', '2g', '3g', '4g', '5g-nsa', '5g-sa'] as const;
export type NetworkType = (typeof NETWORK_TYPES)[number];

export const DEVICE_CLASSES = ['phone-low', 'phone-mid', 'phone-high', 'tablet', 'other'] as const;
export type DeviceClass = (typeof DEVICE_CLASSES)[number];

export interface NetworkSample {
  networkType: NetworkType;
  /** MCC-MNC, e.g. "460-01" */
  operator: string;
  /** a coarse location cell id (never finer than the collection plan allows) */
  cell: string;
  downlinkMbps: number;
  uplinkMbps?: number;
  rttMs?: number;
  /** cellular only */
  rsrpDbm?: number;
  rsrqDb?: number;
  sinrDb?: number;
  /** WiFi only */
  wifiRssiDbm?: number;
  deviceClass: DeviceClass;
  /** milliseconds since the Unix epoch */
  timestamp: number;
}

export type NumericField = 'downlinkMbps' | 'uplinkMbps' | 'rttMs' | 'rsrpDbm' | 'rsrqDb' | 'sinrDb' | 'wifiRssiDbm';

export interface NumericFieldSpec {
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  readonly optional: boolean;
  /** default bucketing, edges within [min, max]; out-of-range values clamp */
  readonly edges: readonly number[];
  readonly description: string;
}

/** Valid ranges: physical limits with headroom (3GPP TS 36.133 extended ranges for RSRP/RSRQ/SINR). */
export const NUMERIC_FIELDS: Readonly<Record<NumericField, NumericFieldSpec>> = Object.freeze({
  downlinkMbps: { unit: 'Mbit/s', min: 0, max: 10_000, optional: false, edges: [0, 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 10_000], description: 'downlink throughput' },
  uplinkMbps: { unit: 'Mbit/s', min: 0, max: 10_000, optional: true, edges: [0, 0.5, 1, 2, 5, 10, 25, 50, 100, 250, 10_000], description: 'uplink throughput' },
  rttMs: { unit: 'ms', min: 0, max: 60_000, optional: true, edges: [0, 10, 20, 30, 50, 75, 100, 150, 250, 500, 1000, 60_000], description: 'round-trip time' },
  rsrpDbm: { unit: 'dBm', min: -156, max: -31, optional: true, edges: [-156, -120, -110, -100, -90, -80, -31], description: 'LTE/NR reference signal received power' },
  rsrqDb: { unit: 'dB', min: -43, max: 20, optional: true, edges: [-43, -20, -15, -10, -5, 20], description: 'reference signal received quality' },
  sinrDb: { unit: 'dB', min: -23, max: 40, optional: true, edges: [-23, 0, 5, 10, 15, 20, 40], description: 'signal to interference plus noise ratio' },
  wifiRssiDbm: { unit: 'dBm', min: -127, max: 0, optional: true, edges: [-127, -80, -70, -67, -60, -50, 0], description: 'WiFi received signal strength' },
});

export const NUMERIC_FIELD_NAMES = Object.freeze(Object.keys(NUMERIC_FIELDS) as NumericField[]);

export const networkTypeDomain: CategoricalDomain<NetworkType> = categoricalDomain('networkType', NETWORK_TYPES);
export const deviceClassDomain: CategoricalDomain<DeviceClass> = categoricalDomain('deviceClass', DEVICE_CLASSES);

/** The default bucketing of a numeric field. */
export function defaultBucketing(field: NumericField): BucketedDomain {
  const spec = NUMERIC_FIELDS[field];
  if (!spec) throw invalid('field', `one of ${NUMERIC_FIELD_NAMES.join(', ')}`, field);
  return bucketedDomain(field, { edges: spec.edges, unit: spec.unit, outOfRange: 'clamp' });
}

const OPERATOR = /^\d{3}-\d{2,3}$/;
const CELL = /^[\x21-\x7e]{1,64}$/;
/** 2000-01-01 and 2100-01-01, as milliseconds */
const TIME_MIN = 946_684_800_000;
const TIME_MAX = 4_102_444_800_000;

const KNOWN_KEYS = new Set(['networkType', 'operator', 'cell', 'deviceClass', 'timestamp', ...NUMERIC_FIELD_NAMES]);

/**
 * Checks an untrusted value against the schema and returns it as a `NetworkSample` (a fresh object
 * with only known fields). The error's `param` names the bad field, e.g. `sample.rttMs`; the
 * message gives the rule but never the value (a measurement is private).
 */
export function validateNetworkSample(value: unknown, param = 'sample'): NetworkSample {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalidPrivate(param, 'an object', value);
  const o = value as Record<string, unknown>;
  for (const key of Object.keys(o)) {
    if (!KNOWN_KEYS.has(key)) throw invalidPrivate(`${param}.${key}`, 'no such field (unknown fields are refused)', o[key]);
  }
  if (!(NETWORK_TYPES as readonly unknown[]).includes(o.networkType)) {
    throw invalidPrivate(`${param}.networkType`, `one of ${NETWORK_TYPES.map((t) => JSON.stringify(t)).join(', ')}`, o.networkType);
  }
  if (typeof o.operator !== 'string' || !OPERATOR.test(o.operator)) {
    throw invalidPrivate(`${param}.operator`, 'an MCC-MNC string like "460-01"', o.operator);
  }
  if (typeof o.cell !== 'string' || !CELL.test(o.cell)) {
    throw invalidPrivate(`${param}.cell`, 'a cell id of 1 to 64 printable ASCII characters', o.cell);
  }
  if (!(DEVICE_CLASSES as readonly unknown[]).includes(o.deviceClass)) {
    throw invalidPrivate(`${param}.deviceClass`, `one of ${DEVICE_CLASSES.map((t) => JSON.stringify(t)).join(', ')}`, o.deviceClass);
  }
  if (typeof o.timestamp !== 'number' || !Number.isSafeInteger(o.timestamp) || o.timestamp < TIME_MIN || o.timestamp > TIME_MAX) {
    throw invalidPrivate(`${param}.timestamp`, `an integer of milliseconds in [${TIME_MIN}, ${TIME_MAX}] (years 2000 to 2100)`, o.timestamp);
  }
  const out: Record<string, unknown> = {
    networkType: o.networkType,
    operator: o.operator,
    cell: o.cell,
    deviceClass: o.deviceClass,
    timestamp: o.timestamp,
  };
  for (const field of NUMERIC_FIELD_NAMES) {
    const spec = NUMERIC_FIELDS[field];
    const v = o[field];
    if (v === undefined) {
      if (!spec.optional) throw invalidPrivate(`${param}.${field}`, `a number in [${spec.min}, ${spec.max}] ${spec.unit} (required)`, v);
      continue;
    }
    if (typeof v !== 'number' || !Number.isFinite(v) || v < spec.min || v > spec.max) {
      throw invalidPrivate(`${param}.${field}`, `a number in [${spec.min}, ${spec.max}] ${spec.unit}`, v);
    }
    out[field] = Object.is(v, -0) ? 0 : v;
  }
  const cellular = o.networkType !== 'wifi';
  for (const f of ['rsrpDbm', 'rsrqDb', 'sinrDb'] as const) {
    if (!cellular && o[f] !== undefined) throw invalidPrivate(`${param}.${f}`, 'no value on a wifi sample (cellular only)', o[f]);
  }
  if (cellular && o.wifiRssiDbm !== undefined) {
    throw invalidPrivate(`${param}.wifiRssiDbm`, 'no value on a cellular sample (wifi only)', o.wifiRssiDbm);
  }
  return out as unknown as NetworkSample;
}
