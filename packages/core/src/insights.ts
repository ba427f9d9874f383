/**
 * The insight catalogue: the questions a carrier asks, each with what devices report (its
 * collection), the statistic, and how its error is measured. Product code: the client's collection
 * plan, the aggregator's releases and the bench all read these definitions.
 *
 * Statistics are device-weighted: each contributor counts once however many measurements it took
 * (the privacy unit is the device). For a histogram collection a device reports one of its
 * applicable measurements, chosen uniformly; for a mean collection it reports the mean of its own
 * values, clamped to the collection's bounds.
 */
import { NETWORK_TYPES, DEVICE_CLASSES } from './network-sample.js';
import { checkObject, invalid } from './validate.js';

/** A measurement as indices into the plan's domains, plus its numeric fields (NaN = absent). */
export interface InsightRow {
  networkType: number;
  deviceClass: number;
  operator: number;
  region: number;
  cell: number;
  downlinkMbps: number;
  rttMs: number;
  rsrpDbm: number;
  /** 1 when the measurement belongs to a video session (it has a streaming context), else 0; absent = 0 */
  video?: number;
  /** delivered video bitrate, kbit/s; NaN or absent = unknown */
  videoBitrateKbps?: number;
  /** 1 when the video session rebuffered, 0 when it played without a stall; NaN or absent = unknown */
  rebuffered?: number;
}

/** The public domains a collection plan is built over (a carrier knows its operators, regions and cells). */
export interface InsightDomains {
  readonly operators: readonly string[];
  readonly regions: readonly string[];
  readonly cells: readonly string[];
}

export type ErrorMetric = 'tvd' | 'absolute_pp' | 'relative' | 'miss_at_k';

export const ERROR_METRICS: Readonly<Record<ErrorMetric, string>> = Object.freeze({
  tvd: 'total variation distance, averaged over groups weighted by their devices',
  absolute_pp: 'absolute error in percentage points, averaged over groups weighted by their devices',
  relative: 'relative error |estimate - truth| / truth, averaged over groups weighted by their devices',
  miss_at_k: '1 - precision@k: the share of the true top k missing from the estimated top k',
});

/** A collection whose report is one bucket of a histogram split into groups. */
export interface HistogramCollection {
  readonly kind: 'histogram';
  readonly id: string;
  readonly description: string;
  /** group labels and bucket labels within a group for these domains */
  layout(domains: InsightDomains): { groups: string[]; buckets: string[] };
  /** the bucket index in [0, groups·buckets) a measurement falls in, or -1 if it does not apply */
  item(row: InsightRow, domains: InsightDomains): number;
}

/** A collection whose report is one bounded number in a public group (the operator is public). */
export interface MeanCollection {
  readonly kind: 'mean';
  readonly id: string;
  readonly description: string;
  readonly bounds: readonly [number, number];
  readonly unit: string;
  groups(domains: InsightDomains): string[];
  group(row: InsightRow): number;
  /** the measurement's value, or NaN if it has none */
  value(row: InsightRow): number;
}

export type Collection = HistogramCollection | MeanCollection;

export type InsightStatistic =
  | { readonly kind: 'distribution' }
  | { readonly kind: 'share'; readonly bucket: number }
  | { readonly kind: 'quantile'; readonly q: number; readonly edges: readonly number[] }
  | { readonly kind: 'mean' }
  | { readonly kind: 'worst'; readonly k: number; readonly bucket: number; readonly minDevices: number };

export interface InsightDefinition {
  readonly id: string;
  readonly title: string;
  readonly question: string;
  readonly collection: string;
  readonly statistic: InsightStatistic;
  readonly metric: ErrorMetric;
}

/** A measurement is poor when its downlink is below this (Mbit/s) … */
export const POOR_DOWNLINK_MBPS = 5;
/** … or its RSRP is below this (dBm). */
export const POOR_RSRP_DBM = -110;

export function isPoor(row: InsightRow): boolean {
  return row.downlinkMbps < POOR_DOWNLINK_MBPS || row.rsrpDbm < POOR_RSRP_DBM;
}

/** Log-spaced downlink buckets, 8 per decade from 0.1 to 10,000 Mbit/s, plus [0, 0.1). */
export const DOWNLINK_QUANTILE_EDGES: readonly number[] = Object.freeze([0, ...Array.from({ length: 41 }, (_, i) => Number((0.1 * 10 ** (i / 8)).toPrecision(6)))]);

function downlinkBucket(x: number): number {
  return logBucket(DOWNLINK_QUANTILE_EDGES, x);
}

const bucketLabels = (edges: readonly number[]) => edges.slice(0, -1).map((lo, i) => `[${lo}, ${edges[i + 1]})`);

/** Log-spaced video bitrate buckets, 8 per decade from 100 kbit/s to 100 Mbit/s, plus [0, 100): kbit/s. */
export const VIDEO_BITRATE_EDGES: readonly number[] = Object.freeze([0, ...Array.from({ length: 25 }, (_, i) => Number((100 * 10 ** (i / 8)).toPrecision(6)))]);

function logBucket(edges: readonly number[], x: number): number {
  if (!(x >= 0)) return -1;
  if (x >= (edges[edges.length - 1] as number)) return edges.length - 2;
  let a = 0;
  let b = edges.length - 2;
  while (a < b) {
    const mid = (a + b + 1) >> 1;
    if ((edges[mid] as number) <= x) a = mid;
    else b = mid - 1;
  }
  return a;
}

/** Groups "operator|network type": a carrier compares its own 4G, 5G and WiFi sessions. */
const operatorNetworkGroups = (d: InsightDomains) => d.operators.flatMap((o) => NETWORK_TYPES.map((t) => `${o}|${t}`));

export const COLLECTIONS: readonly Collection[] = Object.freeze([
  {
    kind: 'histogram',
    id: 'network-type-by-region',
    description: 'network type of one measurement, with its region',
    layout: (d) => ({ groups: d.regions.slice(), buckets: NETWORK_TYPES.slice() }),
    item: (r) => r.region * NETWORK_TYPES.length + r.networkType,
  },
  {
    kind: 'histogram',
    id: 'poor-by-operator-region',
    description: `whether one measurement is poor (downlink < ${POOR_DOWNLINK_MBPS} Mbit/s or RSRP < ${POOR_RSRP_DBM} dBm), with its operator and region`,
    layout: (d) => ({ groups: d.operators.flatMap((o) => d.regions.map((g) => `${o}|${g}`)), buckets: ['ok', 'poor'] }),
    item: (r, d) => (r.operator * d.regions.length + r.region) * 2 + (isPoor(r) ? 1 : 0),
  },
  {
    kind: 'histogram',
    id: 'downlink-by-region',
    description: 'downlink bucket (8 per decade) of one measurement, with its region',
    layout: (d) => ({ groups: d.regions.slice(), buckets: bucketLabels(DOWNLINK_QUANTILE_EDGES) }),
    item: (r) => {
      const b = downlinkBucket(r.downlinkMbps);
      return b < 0 ? -1 : r.region * (DOWNLINK_QUANTILE_EDGES.length - 1) + b;
    },
  },
  {
    kind: 'mean',
    id: 'rtt-by-operator',
    description: 'mean RTT of the device, clamped to [0, 500] ms, under its (public) operator',
    bounds: [0, 500],
    unit: 'ms',
    groups: (d) => d.operators.slice(),
    group: (r) => r.operator,
    value: (r) => r.rttMs,
  },
  {
    kind: 'histogram',
    id: 'poor-by-cell',
    description: 'whether one measurement is poor, with its cell',
    layout: (d) => ({ groups: d.cells.slice(), buckets: ['ok', 'poor'] }),
    item: (r) => r.cell * 2 + (isPoor(r) ? 1 : 0),
  },
  {
    kind: 'histogram',
    id: 'device-class',
    description: 'device class',
    layout: () => ({ groups: ['all'], buckets: DEVICE_CLASSES.slice() }),
    item: (r) => r.deviceClass,
  },
  {
    kind: 'histogram',
    id: 'video-rebuffering-by-operator-network',
    description: 'whether one video session rebuffered (a stall after playback started), with its operator and network type; measurements without a video session do not apply',
    layout: (d) => ({ groups: operatorNetworkGroups(d), buckets: ['smooth', 'rebuffered'] }),
    item: (r) => (r.video === 1 && (r.rebuffered === 0 || r.rebuffered === 1) ? (r.operator * NETWORK_TYPES.length + r.networkType) * 2 + r.rebuffered : -1),
  },
  {
    kind: 'histogram',
    id: 'video-bitrate-by-operator-network',
    description: 'delivered video bitrate bucket (8 per decade, kbit/s) of one video session, with its operator and network type',
    layout: (d) => ({ groups: operatorNetworkGroups(d), buckets: bucketLabels(VIDEO_BITRATE_EDGES) }),
    item: (r) => {
      const b = r.video === 1 ? logBucket(VIDEO_BITRATE_EDGES, r.videoBitrateKbps ?? NaN) : -1;
      return b < 0 ? -1 : (r.operator * NETWORK_TYPES.length + r.networkType) * (VIDEO_BITRATE_EDGES.length - 1) + b;
    },
  },
] satisfies Collection[]);

export const INSIGHTS: readonly InsightDefinition[] = Object.freeze([
  {
    id: 'network-type-share',
    title: 'Network-type share per region',
    question: 'What share of measurements in each region were on WiFi, 4G, 5G NSA, 5G SA…?',
    collection: 'network-type-by-region',
    statistic: { kind: 'distribution' },
    metric: 'tvd',
  },
  {
    id: 'poor-share',
    title: 'Share of poor measurements per operator × region',
    question: `What share of measurements per operator and region had downlink < ${POOR_DOWNLINK_MBPS} Mbit/s or RSRP < ${POOR_RSRP_DBM} dBm?`,
    collection: 'poor-by-operator-region',
    statistic: { kind: 'share', bucket: 1 },
    metric: 'absolute_pp',
  },
  {
    id: 'downlink-median',
    title: 'Median downlink per region',
    question: 'What is the median downlink throughput in each region?',
    collection: 'downlink-by-region',
    statistic: { kind: 'quantile', q: 0.5, edges: DOWNLINK_QUANTILE_EDGES },
    metric: 'relative',
  },
  {
    id: 'downlink-p90',
    title: '90th-percentile downlink per region',
    question: 'What downlink throughput do the best 10 % of measurements in each region reach?',
    collection: 'downlink-by-region',
    statistic: { kind: 'quantile', q: 0.9, edges: DOWNLINK_QUANTILE_EDGES },
    metric: 'relative',
  },
  {
    id: 'rtt-mean',
    title: 'Mean RTT per operator',
    question: 'What is the mean round-trip time on each operator?',
    collection: 'rtt-by-operator',
    statistic: { kind: 'mean' },
    metric: 'relative',
  },
  {
    id: 'worst-cells',
    title: 'The 10 worst cells',
    question: 'Which 10 cells (with at least 30 devices) have the highest share of poor measurements?',
    collection: 'poor-by-cell',
    statistic: { kind: 'worst', k: 10, bucket: 1, minDevices: 30 },
    metric: 'miss_at_k',
  },
  {
    id: 'device-class-share',
    title: 'Device-class share',
    question: 'What share of devices are low-, mid-, high-end phones, tablets?',
    collection: 'device-class',
    statistic: { kind: 'distribution' },
    metric: 'tvd',
  },
  {
    id: 'video-rebuffering-share',
    title: 'Share of video sessions with rebuffering per operator × network type',
    question: 'What share of video sessions on each operator and network type stalled at least once after playback started?',
    collection: 'video-rebuffering-by-operator-network',
    statistic: { kind: 'share', bucket: 1 },
    metric: 'absolute_pp',
  },
  {
    id: 'video-bitrate-median',
    title: 'Median delivered video bitrate per operator × network type',
    question: 'What video bitrate does the median session on each operator and network type get delivered?',
    collection: 'video-bitrate-by-operator-network',
    statistic: { kind: 'quantile', q: 0.5, edges: VIDEO_BITRATE_EDGES },
    metric: 'relative',
  },
] satisfies InsightDefinition[]);

export function getInsight(id: string): InsightDefinition {
  const found = INSIGHTS.find((i) => i.id === id);
  if (!found) throw invalid('insight', `one of ${INSIGHTS.map((i) => JSON.stringify(i.id)).join(', ')}`, id);
  return found;
}

export function getCollection(id: string): Collection {
  const found = COLLECTIONS.find((c) => c.id === id);
  if (!found) throw invalid('collection', `one of ${COLLECTIONS.map((c) => JSON.stringify(c.id)).join(', ')}`, id);
  return found;
}

/** Checks that domains are usable for a plan (non-empty, distinct labels). */
export function checkInsightDomains(value: unknown, param = 'domains'): InsightDomains {
  const o = checkObject(param, value);
  for (const key of ['operators', 'regions', 'cells'] as const) {
    const list = o[key];
    if (!Array.isArray(list) || list.length === 0 || list.some((x) => typeof x !== 'string') || new Set(list).size !== list.length) {
      throw invalid(`${param}.${key}`, 'a non-empty array of distinct strings', list);
    }
  }
  return o as unknown as InsightDomains;
}
