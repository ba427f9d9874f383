import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CollectionRelease, type RoundRelease, makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import { deviceEntry, deviceMechanism } from '@pinhole/client';
import { contributorToken, encodeRoundReport, makeReportId } from '@pinhole/core';
import { planRoundLoss } from '@pinhole/core/plan';
import { seededRng } from '@pinhole/core/seeded';
import { twoSidedZ } from '@pinhole/core/stats';
import { generateSyntheticTable } from '@pinhole/datasets';
import { type AnyFrequencyOracle, type NumericMechanism } from '@pinhole/ldp';
import { allPipelines } from '../bench/src/pipelines.js';
import { CARRIER, closeRound, get, pool, removeTempDirs, secretOf, startServer, tempDir, upload, writePlan } from '../packages/aggregator/test/support/server.js';
import { benchDataOf, deviceInputsOf } from './support/bench-view.js';

// End to end over HTTP: a plan made by makePlan, the server started as a process on 127.0.0.1 with
// a SQLite file, 10,000 synthetic devices each perturbing its reports with @pinhole/ldp and
// uploading one report envelope (with its contributor token) concurrently, an operator closing the
// round, a carrier fetching the release; then the bench's aggregate simulation of the same plan and
// data (each oracle's tally sampled from its law) through the same engine. Both estimate the same
// counts and means, so they must agree within their variances.
const N = 10_000;
const INSIGHTS = ['network-type-share', 'poor-share', 'downlink-median', 'rtt-mean'];
const table = generateSyntheticTable({ devices: N, seed: 'server-e2e' });
const domains = { operators: table.domains.operator.values.slice(), regions: table.domains.region.values.slice(), cells: table.domains.cell.values.slice() };
const plan = makePlan({ id: 'e2e-server', insights: INSIGHTS, domains, budget: { epsilon: 4, delta: 1e-6 }, mode: 'ldp', expectedDevices: N, ldp: { oracle: 'oue', numeric: 'duchi' } });

const inputs = deviceInputsOf(table, plan, domains, seededRng('server-e2e-pick'));

describe('server end to end: 10,000 devices over HTTP vs the bench’s aggregate simulation of the same plan', () => {
  it('releases estimates that agree within their variances, spending what the plan promised', async () => {
    const dir = tempDir('e2e');
    const server = await startServer({ db: join(dir, 'pinhole.db'), plan: writePlan(dir, plan), args: ['--rate-limit', '0'] });
    let release: RoundRelease;
    try {
      const round = (await get(server.url, '/v1/rounds/current')).json;
      const roundId = round.roundId as string;
      expect(round.spent).toEqual(planRoundLoss(plan));
      // the devices (simulation: seeded, so insecure by choice)
      const rng = seededRng('server-e2e-devices');
      const ids = seededRng('server-e2e-ids');
      const mechs = new Map(plan.collections.map((c) => [c.id, deviceMechanism(c, { allowInsecureRng: true })]));
      const bodies = inputs.map((input, i) => {
        const entries = Object.entries(input).map(([id, x]) =>
          deviceEntry(
            plan.collections.find((c) => c.id === id)!,
            x,
            rng,
            { mechanism: mechs.get(id)! },
          ),
        );
        return encodeRoundReport({
          planId: plan.id,
          planRevision: plan.revision,
          roundId,
          reportId: makeReportId(ids, { allowInsecureRng: true }),
          contributor: contributorToken(secretOf(i, 'e2e'), { planId: plan.id, roundId }),
          entries,
        });
      });
      const acks = await pool(bodies, 64, (b) => upload(server.url, b));
      expect(acks.filter((a) => a.status === 201)).toHaveLength(N);
      expect(await closeRound(server.url, roundId)).toEqual({ status: 200, json: { roundId, status: 'released' } });
      const fetched = await get(server.url, `/v1/releases/${roundId}`, { authorization: `Bearer ${CARRIER}` });
      expect(fetched.status).toBe(200);
      release = fetched.json as RoundRelease;
    } finally {
      await server.stop();
    }
    expect(release.status).toBe('released');
    expect(release.reports).toBe(N);
    // (epsilon, delta): what the plan promised for the round, per collection and in total
    expect(release.spent).toEqual(planRoundLoss(plan));
    const engine = makeReleaseEngine(plan);

    const pipelines = allPipelines();
    const checks: { label: string; d: number; sd: number }[] = [];
    for (const pc of plan.collections) {
      const dev = release.collections.find((c) => c.collection === pc.id) as CollectionRelease;
      // (epsilon, delta): what the plan promised, what each device was charged, what the release achieved
      expect(dev.spent).toEqual(pc.privacyLoss);
      expect(dev.spent).toEqual({ epsilon: 1, delta: 0 });
      expect(dev.privacyLoss.release).toEqual({ epsilon: 1, delta: 0 });
      const data = benchDataOf(inputs, pc, domains);
      const input = { data, epsilon: pc.privacyLoss.epsilon, delta: 1e-6 / 4, k: pc.gate.k, rng: seededRng(`server-e2e-bench-${pc.id}`), mode: 'aggregate' as const };
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
    // Together: a correct server fails this test with probability about 2e-6.
    const M = checks.length;
    expect(M).toBeGreaterThan(1000);
    const z = twoSidedZ(1e-6 / M);
    for (const c of checks) expect(Math.abs(c.d), c.label).toBeLessThan(z * c.sd);
    const chi = checks.reduce((a, c) => a + (c.d / c.sd) ** 2, 0);
    console.log(`server e2e: M = ${M} checks, chi2/M = ${(chi / M).toFixed(3)}, max |z| = ${Math.max(...checks.map((c) => Math.abs(c.d / c.sd))).toFixed(2)} (bound ${z.toFixed(2)})`);
    expect(Math.abs(chi / M - 1)).toBeLessThan(twoSidedZ(1e-6) * Math.sqrt(2 / M));
  }, 300_000);
});

afterAll(removeTempDirs);
