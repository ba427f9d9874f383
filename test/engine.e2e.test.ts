import { describe, expect, it } from 'vitest';
import { type CollectionRelease, makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import { deviceEntry, deviceMechanism } from '@pinhole/client';
import { encodeRoundReport, makeReportId } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { twoSidedZ } from '@pinhole/core/stats';
import { generateSyntheticTable } from '@pinhole/datasets';
import { type AnyFrequencyOracle, type NumericMechanism } from '@pinhole/ldp';
import { allPipelines } from '../bench/src/pipelines.js';
import { benchDataOf, deviceInputsOf } from './support/bench-view.js';

// End to end in process: a plan made by makePlan, 10,000 synthetic devices each perturbing its
// reports with @pinhole/ldp and uploading one core report envelope, the engine decoding and
// releasing them; then the bench's aggregate simulation of the same plan and data (the oracle's
// tally sampled from its law) through the same engine. Both estimate the same counts.
const N = 10_000;
const INSIGHTS = ['network-type-share', 'poor-share', 'downlink-median', 'rtt-mean'];
const table = generateSyntheticTable({ devices: N, seed: 'engine-e2e' });
const domains = { operators: table.domains.operator.values.slice(), regions: table.domains.region.values.slice(), cells: table.domains.cell.values.slice() };
const plan = makePlan({ id: 'e2e', insights: INSIGHTS, domains, budget: { epsilon: 4, delta: 1e-6 }, mode: 'ldp', expectedDevices: N, ldp: { oracle: 'oue', numeric: 'duchi' } });

const inputs = deviceInputsOf(table, plan, domains, seededRng('e2e-pick'));

describe('engine end to end: 10,000 devices’ encoded reports vs the bench’s aggregate simulation of the same plan', () => {
  it('agree within their variances, and spend what the plan promised', async () => {
    const rng = seededRng('e2e-devices');
    const ids = seededRng('e2e-ids');
    const engine = makeReleaseEngine(plan, { allowInsecureRng: true });
    const round = engine.openRound({ roundId: 'e2e-1' });
    const mechs = new Map(plan.collections.map((c) => [c.id, deviceMechanism(c, { allowInsecureRng: true })]));
    for (const input of inputs) {
      const entries = Object.entries(input).map(([id, x]) =>
        deviceEntry(
          plan.collections.find((c) => c.id === id)!,
          x,
          rng,
          { mechanism: mechs.get(id)! },
        ),
      );
      const bytes = encodeRoundReport({ planId: plan.id, planRevision: plan.revision, roundId: 'e2e-1', reportId: makeReportId(ids, { allowInsecureRng: true }), entries });
      expect(round.add(bytes)).toBe('added');
    }
    expect(round.reports).toBe(N);
    const device = round.release({ rng });
    expect(device.status).toBe('released');

    const pipelines = allPipelines();
    const checks: { label: string; d: number; sd: number }[] = [];
    for (const pc of plan.collections) {
      const dev = device.collections.find((c) => c.collection === pc.id) as CollectionRelease;
      // (epsilon, delta): what the plan promised, what each device was charged, what the release achieved
      expect(dev.spent).toEqual(pc.privacyLoss);
      expect(dev.spent).toEqual({ epsilon: 1, delta: 0 });
      expect(dev.privacyLoss.release).toEqual({ epsilon: 1, delta: 0 });
      const data = benchDataOf(inputs, pc, domains);
      const input = { data, epsilon: pc.privacyLoss.epsilon, delta: 1e-6 / 4, k: pc.gate.k, rng: seededRng(`e2e-bench-${pc.id}`), mode: 'aggregate' as const };
      if (data.kind === 'histogram') {
        const out = await pipelines.find((p) => p.id === 'ldp-oue')!.histogram!(input as never);
        // the bench built the same collection plan: same mechanism and gate
        expect(out.release!.parameters).toEqual(dev.parameters);
        const oracle = engine.collection(pc.id).oracle as AnyFrequencyOracle;
        const n = data.n;
        const B = data.buckets.length;
        dev.groups.forEach((g, gi) => {
          if (!g.released) return;
          g.rawCounts!.forEach((x, b) => {
            const v = gi * B + b;
            const sd = Math.sqrt(2 * n * n * oracle.variance(n, (data.sampledCounts[v] as number) / n));
            checks.push({ label: `${pc.id}[${v}]`, d: x - (out.counts[v] as number), sd });
          });
        });
      } else {
        const out = await pipelines.find((p) => p.id === 'ldp-duchi')!.mean!(input as never);
        expect(out.release!.parameters).toEqual(dev.parameters);
        const mech = engine.collection(pc.id).numeric as NumericMechanism;
        const [lo, hi] = data.collection.bounds;
        const half = (hi - lo) / 2;
        dev.groups.forEach((g, gi) => {
          if (!g.released) return;
          let v = 0;
          data.groupOf.forEach((x, i) => {
            if (x === gi) v += mech.reportVariance(((data.values[i] as number) - lo) / half - 1);
          });
          const m = data.devices[gi] as number;
          checks.push({ label: `${pc.id}[${g.key}]`, d: (g.rawMean as number) - (out.means[gi] as number), sd: Math.sqrt((2 * v * half * half) / (m * m)) });
        });
      }
    }
    // Each difference is of two independent unbiased estimates of the same quantity with the same
    // variance, so d / sd is about N(0, 1) (10,000 devices: the binomial counts are near normal).
    // (1) Bonferroni over all M checks: |d| < twoSidedZ(1e-6 / M)·sd fails a correct engine with
    //     probability < 1e-6.
    // (2) Power against a wrong scale: OUE bucket counts are independent in both paths, so the
    //     squares sum to about chi-square(M); |sum/M - 1| < twoSidedZ(1e-6)·sqrt(2/M) (normal
    //     approximation of chi-square, M ~ 1,700) fails with probability about 1e-6.
    const M = checks.length;
    expect(M).toBeGreaterThan(1000);
    const z = twoSidedZ(1e-6 / M);
    for (const c of checks) expect(Math.abs(c.d), c.label).toBeLessThan(z * c.sd);
    const chi = checks.reduce((a, c) => a + (c.d / c.sd) ** 2, 0);
    expect(Math.abs(chi / M - 1)).toBeLessThan(twoSidedZ(1e-6) * Math.sqrt(2 / M));
  }, 300_000);
});
