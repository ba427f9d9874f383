/**
 * From the samples a device recorded to its input for each collection of a plan, exactly as the
 * bench assumes a device reports: a histogram collection takes one of the device's applicable
 * measurements chosen uniformly at random; a mean collection takes the mean of the device's values
 * clamped to the collection's bounds, under the group (operator) of its first measurement with a
 * value. A measurement whose operator or cell is outside the plan's public domains (or whose
 * cell's region the plan does not give) is not used, as the bench drops rows outside the declared
 * domains.
 */
import { type InsightRow, type NetworkSample, type Plan, type Rng, COLLECTIONS, DEVICE_CLASSES, NETWORK_TYPES } from '@pinhole/core';
import { hasRebuffering } from '@pinhole/core/schema';
import type { DeviceInput } from './device.js';

export interface DeviceInputs {
  /** collection id -> the device's input (absent: no applicable measurement) */
  readonly inputs: ReadonlyMap<string, DeviceInput>;
  /** samples whose operator, cell or region is outside the plan's domains */
  readonly outsideDomains: number;
}

/** A sample as indices into the plan's domains (InsightRow), or null when it falls outside them. */
export function sampleRow(sample: NetworkSample, plan: Plan, index: { operators: Map<string, number>; cells: Map<string, number>; regions: Map<string, number> }): InsightRow | null {
  const operator = index.operators.get(sample.operator);
  const cell = index.cells.get(sample.cell);
  const regionName = cell === undefined ? undefined : plan.domains.cellRegions?.[cell];
  const region = regionName === undefined ? undefined : index.regions.get(regionName);
  if (operator === undefined || cell === undefined || region === undefined) return null;
  const s = sample.streaming;
  const video = s !== undefined && s.activity === 'video';
  const rebuffered = video ? hasRebuffering(s) : undefined;
  return {
    networkType: NETWORK_TYPES.indexOf(sample.networkType),
    deviceClass: DEVICE_CLASSES.indexOf(sample.deviceClass),
    operator,
    region,
    cell,
    downlinkMbps: sample.downlinkMbps,
    rttMs: sample.rttMs ?? NaN,
    rsrpDbm: sample.rsrpDbm ?? NaN,
    video: video ? 1 : 0,
    videoBitrateKbps: video ? (s.bitrateKbps ?? NaN) : NaN,
    rebuffered: rebuffered === undefined ? NaN : rebuffered ? 1 : 0,
  };
}

/** Lookup tables of a plan's domains. */
export function domainIndex(plan: Plan): { operators: Map<string, number>; cells: Map<string, number>; regions: Map<string, number> } {
  const map = (list: readonly string[]) => new Map(list.map((v, i) => [v, i]));
  return { operators: map(plan.domains.operators), cells: map(plan.domains.cells), regions: map(plan.domains.regions) };
}

/**
 * The device's input per collection of the plan from its samples (in the order recorded). The
 * uniform choice of a histogram's measurement draws from `rng`.
 */
export function deviceInputs(plan: Plan, samples: readonly NetworkSample[], rng: Rng): DeviceInputs {
  const index = domainIndex(plan);
  const rows: InsightRow[] = [];
  let outsideDomains = 0;
  for (const s of samples) {
    const row = sampleRow(s, plan, index);
    if (row) rows.push(row);
    else outsideDomains++;
  }
  const inputs = new Map<string, DeviceInput>();
  for (const pc of plan.collections) {
    const col = COLLECTIONS.find((c) => c.id === pc.id);
    if (!col) continue;
    if (col.kind === 'histogram') {
      const items: number[] = [];
      for (const r of rows) {
        const b = col.item(r, plan.domains);
        if (b >= 0 && b < pc.domainSize) items.push(b);
      }
      if (items.length > 0) inputs.set(pc.id, { bucket: items[items.length === 1 ? 0 : rng.int(items.length)] as number });
    } else {
      const [lo, hi] = col.bounds;
      let sum = 0;
      let n = 0;
      let group = -1;
      for (const r of rows) {
        const v = col.value(r);
        if (Number.isNaN(v)) continue;
        sum += v < lo ? lo : v > hi ? hi : v;
        n++;
        if (group < 0) group = col.group(r);
      }
      if (n > 0 && group >= 0 && group < pc.groups) inputs.set(pc.id, { group, value: sum / n });
    }
  }
  return { inputs, outsideDomains };
}
