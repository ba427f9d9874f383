/**
 * The e2e tests' two views of one synthetic table: each device's input per collection as a client
 * chooses it, and the bench's aggregate data for the same inputs (what its simulation releases from).
 */
import type { DeviceInput } from '@pinhole/client';
import { type InsightRow, type Plan, type PlanCollection, type Rng, COLLECTIONS } from '@pinhole/core';
import type { InsightDomains } from '@pinhole/core/insights';
import type { MeasurementTable } from '@pinhole/datasets';
import type { HistogramData, MeanData } from '../../bench/src/prepare.js';

/** Each device's input per collection, chosen as the bench assumes (one applicable measurement uniformly; a mean of its clamped values under the operator of its first). */
export function deviceInputsOf(table: MeasurementTable, plan: Plan, domains: InsightDomains, pick: Rng): Record<string, DeviceInput>[] {
  const c = table.columns;
  const byDevice = new Map<number, number[]>();
  for (let i = 0; i < table.length; i++) {
    const d = c.device[i] as number;
    const rows = byDevice.get(d) ?? [];
    rows.push(i);
    byDevice.set(d, rows);
  }
  const cols = plan.collections.map((pc) => COLLECTIONS.find((x) => x.id === pc.id)!);
  const out: Record<string, DeviceInput>[] = [];
  for (const rows of [...byDevice.entries()].sort((a, b) => a[0] - b[0]).map(([, r]) => r)) {
    const input: Record<string, DeviceInput> = {};
    for (const col of cols) {
      const items: number[] = [];
      const values: number[] = [];
      let group = -1;
      for (const i of rows) {
        const row = insightRowOf(table, i);
        if (col.kind === 'histogram') {
          const b = col.item(row, domains);
          if (b >= 0) items.push(b);
        } else {
          const v = col.value(row);
          if (!Number.isNaN(v)) {
            const [lo, hi] = col.bounds;
            values.push(v < lo ? lo : v > hi ? hi : v);
            if (group < 0) group = col.group(row);
          }
        }
      }
      if (items.length) input[col.id] = { bucket: items[items.length === 1 ? 0 : pick.int(items.length)] as number };
      if (values.length) input[col.id] = { group, value: values.reduce((a, b) => a + b, 0) / values.length };
    }
    out.push(input);
  }
  return out;
}

/** The bench's view of the same data: per collection the reported buckets (or values) of the devices that report it. */
export function benchDataOf(inputs: readonly Record<string, DeviceInput>[], pc: PlanCollection, domains: InsightDomains): HistogramData | MeanData {
  const col = COLLECTIONS.find((x) => x.id === pc.id)!;
  const mine = inputs.map((x) => x[pc.id]).filter((x): x is DeviceInput => x !== undefined);
  if (col.kind === 'histogram') {
    const { groups, buckets } = col.layout(domains);
    const counts = new Int32Array(groups.length * buckets.length);
    for (const x of mine) counts[(x as { bucket: number }).bucket]! += 1;
    return { kind: 'histogram', collection: col, domains, groups, buckets, truth: Float64Array.from(counts), sampledCounts: counts, items: new Int32Array(0), n: mine.length };
  }
  const groups = col.groups(domains);
  const g = Int32Array.from(mine, (x) => (x as { group: number }).group);
  const v = Float64Array.from(mine, (x) => (x as { value: number }).value);
  const devices = new Float64Array(groups.length);
  const sums = new Float64Array(groups.length);
  g.forEach((gi, i) => {
    devices[gi]! += 1;
    sums[gi]! += v[i] as number;
  });
  return { kind: 'mean', collection: col, domains, groups, values: v, groupOf: g, truth: sums.map((s, i) => s / (devices[i] as number)), devices, n: mine.length };
}

/** A table row as the insights read it (the video fields included: the bench's rows carry them too). */
export function insightRowOf(table: MeasurementTable, i: number): InsightRow {
  const c = table.columns;
  const stalls = c.stallCount[i] as number;
  const ratio = c.rebufferRatio[i] as number;
  return {
    networkType: c.networkType[i] as number,
    deviceClass: c.deviceClass[i] as number,
    operator: c.operator[i] as number,
    region: c.region[i] as number,
    cell: c.cell[i] as number,
    downlinkMbps: c.downlinkMbps[i] as number,
    rttMs: c.rttMs[i] as number,
    rsrpDbm: c.rsrpDbm[i] as number,
    video: c.activity[i] === 1 ? 1 : 0,
    videoBitrateKbps: c.videoBitrateKbps[i] as number,
    rebuffered: Number.isNaN(stalls) && Number.isNaN(ratio) ? NaN : stalls > 0 || ratio > 0 ? 1 : 0,
  };
}
