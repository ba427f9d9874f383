/**
 * Devices for the examples: each device's measurements as the app would record them
 * (`NetworkSample`s), from the real mobilebandwidth data (vendored in datasets/data) or the seeded
 * synthetic generator, with the public domains a carrier would declare for them.
 * - mobilebandwidth: operators and provinces are public (datasets' MOBILEBANDWIDTH_* lists); its
 *   cities are not, so every measurement is reported under its province's "(other)" cell, the
 *   coarse cell a plan allows, and the plan declares one such cell per province.
 * - synthetic: the generator's declared world (operators, regions, cells and each cell's region).
 * The measurements' timestamps are set to recent times (the files have none).
 */
import type { NetworkSample, PlanDomains } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import {
  type MeasurementTable,
  MOBILEBANDWIDTH_OPERATORS,
  MOBILEBANDWIDTH_REGIONS,
  generateSyntheticTable,
  loadMobileBandwidth,
  otherCellOf,
  restrictToDomains,
  syntheticWorld,
  toNetworkSample,
} from '@pinhole/datasets';

export type DataSource = 'mobilebandwidth' | 'synthetic';

export interface FleetData {
  readonly source: DataSource;
  readonly domains: PlanDomains;
  /** per device, its measurements in the order the app recorded them */
  readonly samples: NetworkSample[][];
  /** devices in the data set the fleet was drawn from */
  readonly population: number;
}

/** The public domains of the mobilebandwidth data (no row read): operators, provinces, one "(other)" cell per province. */
export function mobileBandwidthDomains(): PlanDomains {
  const regions = MOBILEBANDWIDTH_REGIONS.slice();
  return { operators: MOBILEBANDWIDTH_OPERATORS.slice(), regions, cells: regions.map(otherCellOf), cellRegions: regions.slice() };
}

/** The synthetic generator's declared world for a seed. */
export function syntheticDomains(seed: string): PlanDomains {
  const w = syntheticWorld({ seed });
  const t = generateSyntheticTable({ devices: 1, seed });
  return { operators: t.domains.operator.values.slice(), regions: w.regions.slice(), cells: w.cells.slice(), cellRegions: Array.from(w.cellRegion, (r) => w.regions[r] as string) };
}

function devicesOf(table: MeasurementTable, count: number, seed: string, now: number): NetworkSample[][] {
  const rows = new Map<number, number[]>();
  for (let i = 0; i < table.length; i++) {
    const d = table.columns.device[i] as number;
    const list = rows.get(d);
    if (list) list.push(i);
    else rows.set(d, [i]);
  }
  const ids = [...rows.keys()].sort((a, b) => a - b);
  // a seeded choice of `count` devices (Fisher–Yates on the first `count` positions)
  const rng = seededRng(`${seed}/devices`);
  for (let i = 0; i < Math.min(count, ids.length); i++) {
    const j = i + rng.int(ids.length - i);
    [ids[i], ids[j]] = [ids[j] as number, ids[i] as number];
  }
  return ids.slice(0, count).map((d) => (rows.get(d) as number[]).map((r, k) => ({ ...toNetworkSample(table, r), timestamp: now - 60_000 * (k + 1) })));
}

export function loadFleetData(o: { readonly source: DataSource; readonly devices: number; readonly seed: string; readonly now?: number }): FleetData {
  const now = o.now ?? Date.now();
  if (o.source === 'synthetic') {
    const table = generateSyntheticTable({ devices: o.devices, seed: o.seed });
    return { source: 'synthetic', domains: syntheticDomains(o.seed), samples: devicesOf(table, o.devices, o.seed, now), population: table.deviceCount };
  }
  const domains = mobileBandwidthDomains();
  const loaded = loadMobileBandwidth();
  const { table } = restrictToDomains(
    loaded.table,
    { operators: domains.operators, regions: domains.regions, cells: domains.cells, cellRegion: domains.regions.map((_, i) => i) },
    { otherCells: true },
  );
  return { source: 'mobilebandwidth', domains, samples: devicesOf(table, o.devices, o.seed, now), population: table.deviceCount };
}
