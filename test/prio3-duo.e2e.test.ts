import { afterAll, describe, expect, it } from 'vitest';
import type { CollectionRelease } from '@pinhole/aggregator';
import { removeTempDirs } from '../packages/aggregator/test/support/server.js';
import { type DuoRun, DOMAINS, RTT_BOUNDS, runDuo } from './support/duo.js';

// Two aggregators end to end: a leader and a helper started as processes on 127.0.0.1, each with
// its own SQLite file, devices sharding through @pinhole/client/prio3 and uploading each share to
// its aggregator over HTTP, 1 % of them malformed (an out-of-range histogram entry with a proof
// made for it, a corrupted leader share, leader and helper shares of two different shardings).
// Here in the insecure test mode (no noise), so the release must equal the valid devices' truth
// exactly; prio3-duo.slow.test.ts runs 1,000 devices with the noise on.
afterAll(removeTempDirs);

export function truth(run: DuoRun) {
  const hist = run.plan.collections.find((c) => c.id === 'network-type-by-region')!;
  const counts = new Array<number>(hist.domainSize).fill(0);
  const perGroup = new Array<number>(DOMAINS.operators.length).fill(0);
  const sums = new Array<number>(DOMAINS.operators.length).fill(0);
  let valid = 0;
  for (const d of run.devices) {
    if (d.malformed !== null) continue;
    valid++;
    counts[d.bucket]! += 1;
    perGroup[d.group]! += 1;
    sums[d.group]! += d.value;
  }
  return { valid, counts, perGroup, means: sums.map((s, g) => s / (perGroup[g] as number)) };
}

export function collection(run: DuoRun, id: string): CollectionRelease {
  return run.release.collections.find((c) => c.collection === id)!;
}

describe('prio3 with two aggregators (leader and helper processes, real HTTP)', () => {
  it('200 devices, 3 malformed (one of each kind), no noise (insecure test mode): the release counts exactly the valid ones', async () => {
    const run = await runDuo({ devices: 200, malformedEvery: 66, noise: false, seed: 'duo-fast' });
    const t = truth(run);
    const malformed = run.devices.filter((d) => d.malformed !== null).map((d) => d.malformed);
    expect(malformed).toEqual(['out_of_range', 'corrupt_share', 'mismatched_shares']);
    expect(t.valid).toBe(197);
    expect(run.release.status).toBe('released');
    expect(run.release.reports).toBe(200);
    const hist = collection(run, 'network-type-by-region');
    expect(hist.mode).toBe('prio3');
    expect(hist.cohort).toBe(t.valid);
    expect(hist.threatModel.kind).toBe('two_aggregators');
    expect(hist.notes.some((n) => n.startsWith('200 shares received, 197 reports verified valid'))).toBe(true);
    expect(hist.notes.some((n) => n.includes('INSECURE TEST MODE'))).toBe(true);
    expect(hist.noiseVariance).toBe(0);
    // every group of three regions: its raw counts are the valid devices' exact counts
    const B = hist.buckets!.length;
    const raw = hist.groups.flatMap((g, gi) => (g.released ? g.rawCounts! : t.counts.slice(gi * B, (gi + 1) * B).map(() => NaN)));
    expect(hist.groups.every((g) => g.released)).toBe(true);
    expect(raw).toEqual(t.counts);
    const mean = collection(run, 'rtt-by-operator');
    expect(mean.cohort).toBe(t.valid);
    mean.groups.forEach((g, gi) => {
      expect(g.released).toBe(true);
      // the count slot is exact; the value was rounded to the grid by each device (unbiased), so
      // the mean is within one grid step of the exact mean, deterministically
      expect(g.contributors).toBe(t.perGroup[gi]);
      const step = (RTT_BOUNDS[1] - RTT_BOUNDS[0]) / 1024;
      expect(Math.abs((g.rawMean as number) - (t.means[gi] as number))).toBeLessThanOrEqual(step);
    });
  });
});
