/**
 * Turns measurement tables into what the pipelines consume, one collection at a time: the
 * device-weighted truth, each device's report input (one sampled measurement, or its own mean),
 * and the sampled counts that aggregate simulation starts from. Tables may arrive in chunks of
 * whole devices, so populations of millions never sit in memory as rows.
 */
import type { Collection, InsightRow, Rng } from '@pinhole/core';
import type { InsightDomains } from '@pinhole/core/insights';
import type { MeasurementTable } from '@pinhole/datasets';

export interface HistogramData {
  readonly kind: 'histogram';
  readonly collection: Collection & { kind: 'histogram' };
  /** the public domains the plan declares (groups and buckets are laid out over them) */
  readonly domains: InsightDomains;
  readonly groups: readonly string[];
  readonly buckets: readonly string[];
  /** device-weighted truth: each device spreads weight 1 over its applicable measurements */
  readonly truth: Float64Array;
  /** how many reports fall in each bucket: one per contributing device, its sampled measurement */
  readonly sampledCounts: Int32Array;
  /** each contributing device's reported bucket (device mode); empty when not kept */
  readonly items: Int32Array;
  /** contributing devices (with at least one applicable measurement) */
  readonly n: number;
}

export interface MeanData {
  readonly kind: 'mean';
  readonly collection: Collection & { kind: 'mean' };
  readonly domains: InsightDomains;
  readonly groups: readonly string[];
  /** per contributing device: its mean value clamped to the bounds, and its group */
  readonly values: Float64Array;
  readonly groupOf: Int32Array;
  /** true mean per group and devices per group */
  readonly truth: Float64Array;
  readonly devices: Float64Array;
  readonly n: number;
}

export type CollectionData = HistogramData | MeanData;

interface HistAcc {
  kind: 'histogram';
  collection: Collection & { kind: 'histogram' };
  groups: string[];
  buckets: string[];
  truth: Float64Array;
  counts: Int32Array;
  items: number[] | null;
  n: number;
}

interface MeanAcc {
  kind: 'mean';
  collection: Collection & { kind: 'mean' };
  groups: string[];
  values: number[];
  groupOf: number[];
  sum: Float64Array;
  devices: Float64Array;
}

/** Accumulates collections over table chunks (every chunk must hold whole devices). */
export class CollectionBuilder {
  readonly #domains: InsightDomains;
  readonly #accs: (HistAcc | MeanAcc)[];
  readonly #rng: Rng;

  constructor(collections: readonly Collection[], domains: InsightDomains, rng: Rng, options: { keepItems: boolean }) {
    this.#domains = domains;
    this.#rng = rng;
    this.#accs = collections.map((c) => {
      if (c.kind === 'histogram') {
        const { groups, buckets } = c.layout(domains);
        const d = groups.length * buckets.length;
        return { kind: 'histogram', collection: c, groups, buckets, truth: new Float64Array(d), counts: new Int32Array(d), items: options.keepItems ? [] : null, n: 0 } satisfies HistAcc;
      }
      const groups = c.groups(domains);
      return { kind: 'mean', collection: c, groups, values: [], groupOf: [], sum: new Float64Array(groups.length), devices: new Float64Array(groups.length) } satisfies MeanAcc;
    });
  }

  /** Adds one table (or chunk). Rows of one device must be contiguous or at least all in this table. */
  add(table: MeasurementTable): void {
    const c = table.columns;
    const row: InsightRow = { networkType: 0, deviceClass: 0, operator: 0, region: 0, cell: 0, downlinkMbps: 0, rttMs: NaN, rsrpDbm: NaN, video: 0, videoBitrateKbps: NaN, rebuffered: NaN };
    // Rows grouped by device: an index sort keeps order stable for any source.
    let sorted = true;
    for (let i = 1; i < table.length && sorted; i++) if ((c.device[i] as number) < (c.device[i - 1] as number)) sorted = false;
    const order = Uint32Array.from({ length: table.length }, (_, i) => i);
    if (!sorted) order.sort((a, b) => (c.device[a] as number) - (c.device[b] as number) || a - b);
    const histItems: number[][] = this.#accs.map(() => []);
    const meanVals: number[][] = this.#accs.map(() => []);
    const meanGroup: number[] = this.#accs.map(() => -1);
    const flush = () => {
      this.#accs.forEach((acc, k) => {
        if (acc.kind === 'histogram') {
          const list = histItems[k] as number[];
          if (list.length === 0) return;
          const w = 1 / list.length;
          for (const b of list) acc.truth[b]! += w;
          const pick = list[list.length === 1 ? 0 : this.#rng.int(list.length)] as number;
          acc.counts[pick]! += 1;
          acc.items?.push(pick);
          acc.n += 1;
          list.length = 0;
        } else {
          const list = meanVals[k] as number[];
          if (list.length === 0) return;
          const [lo, hi] = acc.collection.bounds;
          let s = 0;
          for (const v of list) s += v < lo ? lo : v > hi ? hi : v;
          const mean = s / list.length;
          const g = meanGroup[k] as number;
          acc.values.push(mean);
          acc.groupOf.push(g);
          acc.sum[g]! += mean;
          acc.devices[g]! += 1;
          list.length = 0;
        }
      });
    };
    let current = -1;
    for (let j = 0; j < order.length; j++) {
      const i = order[j] as number;
      const dev = c.device[i] as number;
      if (dev !== current) {
        flush();
        current = dev;
        meanGroup.fill(-1);
      }
      row.networkType = c.networkType[i] as number;
      row.deviceClass = c.deviceClass[i] as number;
      row.operator = c.operator[i] as number;
      row.region = c.region[i] as number;
      row.cell = c.cell[i] as number;
      row.downlinkMbps = c.downlinkMbps[i] as number;
      row.rttMs = c.rttMs[i] as number;
      row.rsrpDbm = c.rsrpDbm[i] as number;
      row.video = c.activity[i] === 1 ? 1 : 0;
      row.videoBitrateKbps = c.videoBitrateKbps[i] as number;
      const stalls = c.stallCount[i] as number;
      const stalled = c.rebufferRatio[i] as number;
      // as core's hasRebuffering: unknown when neither is there
      row.rebuffered = Number.isNaN(stalls) && Number.isNaN(stalled) ? NaN : stalls > 0 || stalled > 0 ? 1 : 0;
      this.#accs.forEach((acc, k) => {
        if (acc.kind === 'histogram') {
          const b = acc.collection.item(row, this.#domains);
          if (b >= 0) (histItems[k] as number[]).push(b);
        } else {
          const v = acc.collection.value(row);
          if (!Number.isNaN(v)) {
            (meanVals[k] as number[]).push(v);
            // A device reports under the operator of its first measurement with a value.
            if (meanGroup[k] === -1) meanGroup[k] = acc.collection.group(row);
          }
        }
      });
    }
    flush();
  }

  finish(): CollectionData[] {
    return this.#accs.map((acc) => {
      if (acc.kind === 'histogram') {
        return {
          kind: 'histogram',
          collection: acc.collection,
          domains: this.#domains,
          groups: acc.groups,
          buckets: acc.buckets,
          truth: acc.truth,
          sampledCounts: acc.counts,
          items: Int32Array.from(acc.items ?? []),
          n: acc.n,
        };
      }
      const truth = acc.sum.map((s, g) => (acc.devices[g]! > 0 ? s / acc.devices[g]! : NaN));
      return {
        kind: 'mean',
        collection: acc.collection,
        domains: this.#domains,
        groups: acc.groups,
        values: Float64Array.from(acc.values),
        groupOf: Int32Array.from(acc.groupOf),
        truth,
        devices: acc.devices,
        n: acc.values.length,
      };
    });
  }
}

/** The plan's public domains from a table's attached domains. */
export function domainsOf(table: MeasurementTable): InsightDomains {
  return { operators: table.domains.operator.values.slice(), regions: table.domains.region.values.slice(), cells: table.domains.cell.values.slice() };
}
