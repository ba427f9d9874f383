import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../packages/aggregator/test/support/server.js';
import { RTT_BOUNDS, collection, runDuo, truth } from './support/duo.js';

// Two aggregators end to end: a leader and a helper started as processes on 127.0.0.1, each with
// its own SQLite file, devices sharding through @pinhole/client/prio3 and uploading each share to
// its aggregator over HTTP, 1 % of them malformed (an out-of-range histogram entry with a proof
// made for it, a corrupted leader share, leader and helper shares of two different shardings).
// 200 devices in the insecure test mode (no noise): the release must equal the valid devices'
// truth exactly; 1,000 devices with the noise on (each aggregator adds N_Z(0, sigma^2) from the
// CSPRNG): the valid count exactly, the counts and means within the noise's bound.
// prio3-duo.slow.test.ts runs the 1,000 devices without noise, exactly.
afterAll(removeTempDirs);

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
  it('1,000 devices, 1 % malformed, with noise: counts only the valid reports, within the stated variance', async () => {
    const run = await runDuo({ devices: 1000, malformedEvery: 100, noise: true, seed: 'duo-slow' });
    const t = truth(run);
    expect(run.devices.filter((d) => d.malformed !== null)).toHaveLength(10);
    expect(t.valid).toBe(990);
    expect(run.release.status).toBe('released');
    const hist = collection(run, 'network-type-by-region');
    const mean = collection(run, 'rtt-by-operator');
    // the number of valid reports is exact (the cohort is public); the invalid ones are not in it
    expect(hist.cohort).toBe(990);
    expect(mean.cohort).toBe(990);
    expect(hist.notes.some((n) => n.startsWith('1000 shares received, 990 reports verified valid'))).toBe(true);
    expect(hist.notes.some((n) => n.includes('INSECURE'))).toBe(false);
    const sigma = (run.plan.collections[0]!.mechanism as { sigma: number }).sigma;
    expect(hist.noiseVariance).toBeGreaterThan(0);
    expect(hist.noiseVariance).toBeLessThanOrEqual(2 * sigma * sigma);
    // Tolerance: each coordinate's noise is Y1 + Y2 with Yi ~ N_Z(0, sigma_c^2) independent, and a
    // discrete Gaussian is sigma-sub-Gaussian (Canonne, Kamath, Steinke 2020, Cor. 9), so
    // P(|Y1 + Y2| >= t) <= 2 exp(-t^2 / (4 sigma_c^2)). Over the N coordinates checked, a union
    // bound gives a false failure below 1e-6 with t = 2 sigma_c sqrt(ln(2 N / 1e-6)).
    const tol = (s: number, n: number) => 2 * s * Math.sqrt(Math.log((2 * n) / 1e-6));
    const B = hist.buckets!.length;
    const raw = hist.groups.flatMap((g) => g.rawCounts ?? new Array<number>(B).fill(NaN));
    expect(hist.groups.every((g) => g.released)).toBe(true);
    const tHist = tol(sigma, raw.length);
    raw.forEach((x, i) => expect(Math.abs(x - (t.counts[i] as number))).toBeLessThanOrEqual(tHist));
    // the noise is there: all 30 counts exactly right would have probability < 0.2^30
    expect(raw.some((x, i) => x !== t.counts[i])).toBe(true);
    // means: slots [r, grid - r] per device, S the first slots' sum, C = S + S' the count times the
    // grid; with |e_S|, |e_S'| <= t (same bound) and each device's rounding within one step,
    // |S/C - u| = |rho + (1-u) e_S - u e_S'| / (n·grid + e_S + e_S') <= (n + t) / (n·grid - 2t)
    // for u the exact mean on [0, 1], and |C/grid - n| <= 2t / grid
    const m = run.plan.collections[1]!.mechanism as { sigma: number; grid: number };
    const tMean = tol(m.sigma, 2 * mean.groups.length);
    mean.groups.forEach((g, gi) => {
      const n = t.perGroup[gi] as number;
      expect(g.released).toBe(true);
      expect(Math.abs((g.contributors as number) - n)).toBeLessThanOrEqual((2 * tMean) / m.grid);
      const bound = ((n + tMean) / (n * m.grid - 2 * tMean)) * (RTT_BOUNDS[1] - RTT_BOUNDS[0]);
      expect(Math.abs((g.rawMean as number) - (t.means[gi] as number))).toBeLessThanOrEqual(bound);
    });
    // what each aggregator alone learns: only the other's noise, a larger epsilon, stated
    expect(hist.privacyLoss.aggregator!.epsilon).toBeGreaterThan(hist.privacyLoss.release.epsilon);
  });
});
