/**
 * The client chooses each device's input per collection exactly as the bench assumes: the same
 * contributing devices, the same means and groups, a histogram bucket among the device's
 * applicable measurements and chosen uniformly among them.
 */
import { describe, expect, it } from 'vitest';
import { makePlan } from '@pinhole/aggregator';
import { deviceInputs } from '@pinhole/client';
import { type NetworkSample, COLLECTIONS, INSIGHTS } from '@pinhole/core';
import { type HistogramCollection } from '@pinhole/core/insights';
import { seededRng } from '@pinhole/core/seeded';
import { twoSidedZ } from '@pinhole/core/stats';
import { generateSyntheticTable, toNetworkSample } from '@pinhole/datasets';
import { CollectionBuilder } from '../bench/src/prepare.js';
import { insightRowOf } from './support/bench-view.js';

const table = generateSyntheticTable({ devices: 3000, seed: 'client-inputs' });
const d = table.domains;
const domains = { operators: d.operator.values.slice(), regions: d.region.values.slice(), cells: d.cell.values.slice() };
const plan = makePlan({
  id: 'inputs',
  insights: INSIGHTS.map((i) => i.id),
  domains: { ...domains, cellRegions: Array.from(d.cellRegion, (r) => d.region.values[r] as string) },
  budget: { epsilon: 8, delta: 1e-6 },
  mode: 'ldp',
  expectedDevices: 3000,
});

function devicesOf(): { rows: number[]; samples: NetworkSample[] }[] {
  const by = new Map<number, number[]>();
  for (let i = 0; i < table.length; i++) {
    const dev = table.columns.device[i] as number;
    by.set(dev, [...(by.get(dev) ?? []), i]);
  }
  return [...by.entries()].sort((a, b) => a[0] - b[0]).map(([, rows]) => ({ rows, samples: rows.map((r) => toNetworkSample(table, r)) }));
}

describe('device inputs: the client chooses as the bench assumes', () => {
  const devices = devicesOf();
  const rng = seededRng('client-inputs-pick');
  const client = devices.map((dev) => deviceInputs(plan, dev.samples, rng));
  const bench = new CollectionBuilder(
    plan.collections.map((pc) => COLLECTIONS.find((c) => c.id === pc.id)!),
    domains,
    seededRng('bench-pick'),
    { keepItems: true },
  );
  bench.add(table);
  const data = bench.finish();

  it('every sample of the synthetic world is inside the plan’s domains', () => {
    expect(client.every((c) => c.outsideDomains === 0)).toBe(true);
  });

  it('means: the same devices, groups and clamped means', () => {
    for (const [k, pc] of plan.collections.entries()) {
      const dd = data[k]!;
      if (dd.kind !== 'mean') continue;
      const mean = dd;
      const mine = client.map((c) => c.inputs.get(pc.id)).filter((x) => x !== undefined) as { group: number; value: number }[];
      expect(mine.length, pc.id).toBe(mean.n);
      mine.forEach((x, i) => {
        expect(x.group).toBe(mean.groupOf[i]);
        expect(x.value).toBeCloseTo(mean.values[i] as number, 9);
      });
    }
  });

  it('histograms: the same contributing devices, a bucket among each device’s applicable ones, chosen uniformly', () => {
    let checked = 0;
    for (const [k, pc] of plan.collections.entries()) {
      const dd = data[k]!;
      if (dd.kind !== 'histogram') continue;
      const col = COLLECTIONS.find((c) => c.id === pc.id) as HistogramCollection;
      let contributors = 0;
      // uniform choice: over devices with several distinct buckets, how often the client picked the
      // bucket of the device's first applicable measurement. Expected sum of p_d = (its share of the
      // device's items), variance sum p_d(1 - p_d); |z| < twoSidedZ(1e-6) fails a uniform choice with probability 1e-6 per collection.
      let hits = 0;
      let expected = 0;
      let variance = 0;
      devices.forEach((dev, i) => {
        const items = dev.rows.map((r) => col.item(insightRowOf(table, r), domains)).filter((b) => b >= 0);
        const got = client[i]!.inputs.get(pc.id) as { bucket: number } | undefined;
        if (items.length === 0) {
          expect(got).toBeUndefined();
          return;
        }
        contributors++;
        expect(items).toContain(got!.bucket);
        const first = items[0]!;
        const p = items.filter((b) => b === first).length / items.length;
        if (p < 1) {
          hits += got!.bucket === first ? 1 : 0;
          expected += p;
          variance += p * (1 - p);
        }
      });
      expect(contributors, pc.id).toBe(dd.n);
      if (variance > 20) {
        expect(Math.abs(hits - expected) / Math.sqrt(variance), pc.id).toBeLessThan(twoSidedZ(1e-6));
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(2);
  });
});
