/**
 * Perf suite of @pinhole/client: what one device spends per round on this machine, with the
 * example carrier plans (examples/plans).
 * - Local DP: building one round's report from a device's samples (inputs, perturbation of every
 *   collection, report id, contributor token, envelope), and the bytes it uploads; the baseline in
 *   the same run is the same envelope with exact (unperturbed) entries.
 * - Secure aggregation: each device's vector with its noise share (the plan's Skellam), then the
 *   SecAgg client's phases against an in-process server for a cohort of 1,000 (--quick: 100) with
 *   10 % dropouts, clients on WebCrypto as on a phone; per device: compute time and the bytes it
 *   uploads and downloads (protocol messages; the HTTP layer adds the join request and headers).
 * Standalone: node --conditions=pinhole-source --import tsx packages/client/benchmark/index.ts [--quick]
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { type NetworkSample, checkPlan, contributorToken, cryptoRng, encodeRoundReport, makeReportId } from '@pinhole/core';
import { type PerfOptions, type PerfRow, type PerfSuite } from '@pinhole/core/perf';
import { encodeExactBucket } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import { decodeRoundConfig, encodeRoundConfig, makeRoundConfig, secAggPlusParameters, simulateRound, type SimulationPhase } from '@pinhole/secagg';
import { nodeCryptoProvider } from '@pinhole/secagg/node';
import { deviceEntry, deviceInputs, deviceMechanism } from '../src/index.js';
import { roundVector, secaggLayout } from '../src/secagg.js';

const PLANS = new URL('../../../examples/plans/', import.meta.url);
const loadPlan = (name: string) => checkPlan(JSON.parse(readFileSync(new URL(name, PLANS), 'utf8')));

/** A device's measurements: `n` samples spread over the plan's domains (the values do not change the cost). */
function samplesFor(plan: ReturnType<typeof loadPlan>, n: number, seed: string): NetworkSample[] {
  const r = seededRng(seed);
  const { operators, cells } = plan.domains;
  const types = ['wifi', '4g', '5g-nsa'] as const;
  return Array.from({ length: n }, (_, i) => {
    const networkType = types[r.int(types.length)] as (typeof types)[number];
    return {
      networkType,
      operator: operators[r.int(operators.length)] as string,
      cell: cells[r.int(cells.length)] as string,
      downlinkMbps: 1 + r.float64() * 300,
      rttMs: 10 + r.float64() * 200,
      ...(networkType === 'wifi' ? {} : { rsrpDbm: -120 + r.float64() * 50 }),
      deviceClass: 'phone-mid',
      timestamp: Date.parse('2026-01-05T12:00:00Z') + i * 60_000,
    } satisfies NetworkSample;
  });
}

function time(label: string, fn: () => void, minMs: number): { ops: number; meanMs: number } {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < minMs) {
    fn();
    n++;
    t = performance.now();
  }
  void label;
  return { ops: (n / (t - t0)) * 1000, meanMs: (t - t0) / n };
}

async function ldpRows(options: PerfOptions): Promise<PerfRow[]> {
  const plan = loadPlan('carrier-ldp.json');
  const samples = samplesFor(plan, 20, 'bench-ldp');
  const rng = cryptoRng();
  const secret = rng.bytes(32);
  const minMs = options.quick ? 300 : 2000;
  const t0 = performance.now();
  const mechanisms = new Map(plan.collections.map((c) => [c.id, deviceMechanism(c)]));
  const setupMs = performance.now() - t0;
  let bytes = 0;
  const build = () => {
    const { inputs } = deviceInputs(plan, samples, rng);
    const entries = plan.collections.filter((c) => inputs.has(c.id)).map((c) => deviceEntry(c, inputs.get(c.id)!, rng, { mechanism: mechanisms.get(c.id)! }));
    const report = encodeRoundReport({
      planId: plan.id,
      planRevision: plan.revision,
      roundId: 'bench.p0.r1',
      reportId: makeReportId(rng),
      contributor: contributorToken(secret, { planId: plan.id, roundId: 'bench.p0.r1' }),
      entries,
    });
    bytes = report.byteLength;
  };
  const exact = () => {
    const entries = plan.collections.map((c) => ({ collection: c.id, bytes: encodeExactBucket(0) }));
    encodeRoundReport({
      planId: plan.id,
      planRevision: plan.revision,
      roundId: 'bench.p0.r1',
      reportId: makeReportId(rng),
      contributor: contributorToken(secret, { planId: plan.id, roundId: 'bench.p0.r1' }),
      entries,
    });
  };
  const base = time('baseline', exact, minMs);
  const ldp = time('ldp', build, minMs);
  options.log?.(`client ldp: ${ldp.meanMs.toFixed(3)} ms per report, ${bytes} bytes`);
  return [
    { suite: 'client/ldp', name: 'baseline: report envelope of exact entries (no perturbation)', opsPerSec: base.ops, unit: 'report', meanMs: base.meanMs },
    {
      suite: 'client/ldp',
      name: `build + perturb one round's report (${plan.collections.length} collections, 20 samples)`,
      opsPerSec: ldp.ops,
      unit: 'report',
      meanMs: ldp.meanMs,
      baseline: 'baseline: report envelope of exact entries (no perturbation)',
      ratio: ldp.ops / base.ops,
      extra: { uploadBytes: bytes, mechanismSetupMs: Number(setupMs.toFixed(2)) },
    },
  ];
}

async function secaggRows(options: PerfOptions): Promise<PerfRow[]> {
  const plan = loadPlan('carrier-secagg.json');
  const layout = secaggLayout(plan);
  const s = layout.collections[0]!.secagg;
  const n = options.quick ? 100 : Math.min(1000, s.cohort);
  const rng = cryptoRng();
  // each device's vector with its noise share (what the device computes before masking)
  const t0 = performance.now();
  const inputs: Uint32Array[] = [];
  for (let i = 0; i < n; i++) inputs.push(roundVector(plan, deviceInputs(plan, samplesFor(plan, 5, `bench-secagg-${i}`), rng).inputs, { rng, allowInsecureRng: false }));
  const vectorMs = (performance.now() - t0) / n;
  let graph: { kind: 'complete' } | { kind: 'harary'; degree: number };
  let threshold: number;
  if (n === s.cohort) {
    graph = s.graph === 'complete' ? { kind: 'complete' } : { kind: 'harary', degree: s.degree };
    threshold = s.threshold;
  } else {
    const p = secAggPlusParameters({ n, dropoutRate: s.dropoutRate, corruptFraction: s.corruptFraction, sigma: s.securityBits, eta: s.correctnessBits });
    graph = p.degree >= n - 1 ? { kind: 'complete' } : { kind: 'harary', degree: p.degree };
    threshold = p.threshold;
  }
  const config = decodeRoundConfig(
    encodeRoundConfig(
      makeRoundConfig({
        roundId: 'bench-secagg',
        cohortSize: n,
        threshold,
        bits: layout.bits,
        vectorLength: layout.vectorLength,
        graph,
        threatModel: 'key_directory',
        assumptions: { dropoutRate: s.dropoutRate, corruptFraction: s.corruptFraction, securityBits: s.securityBits },
        minContributors: Math.min(n, layout.minCohort),
      }),
    ),
  );
  // 10 % drop out, spread over the phases after advertising
  const dropouts = new Map<number, SimulationPhase>();
  const phases: SimulationPhase[] = ['share', 'masked', 'consistency'];
  const pick = seededRng('bench-dropouts');
  while (dropouts.size < Math.round(0.1 * n)) dropouts.set(1 + pick.int(n), phases[dropouts.size % 3] as SimulationPhase);
  options.log?.(`client secagg: ${n} devices, L = ${layout.vectorLength}, ${config.graph.kind === 'complete' ? 'complete graph' : `k = ${config.graph.degree}`}, t = ${threshold} …`);
  const report = await simulateRound({ config, inputs, dropouts, clientRng: () => cryptoRng(), serverCrypto: nodeCryptoProvider() });
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const sorted = [...report.clientMs].sort((a, b) => a - b);
  const p95 = sorted[Math.floor(0.95 * (sorted.length - 1))] as number;
  const clientMs = mean(report.clientMs) + vectorMs;
  return [
    {
      suite: 'client/secagg',
      name: `one round as a device: vector + noise share + SecAgg phases (n = ${n}, L = ${layout.vectorLength}, 10 % dropouts)`,
      opsPerSec: 1000 / clientMs,
      unit: 'device-round',
      meanMs: clientMs,
      extra: {
        vectorAndNoiseMs: Number(vectorMs.toFixed(2)),
        protocolMsMean: Number(mean(report.clientMs).toFixed(1)),
        protocolMsP95: Number(p95.toFixed(1)),
        uploadBytes: Math.round(mean(report.clientUpBytes)),
        downloadBytes: Math.round(mean(report.clientDownBytes)),
        serverMs: Math.round(report.serverMs),
        contributors: report.result.contributors.length,
      },
    },
  ];
}

export const suites: PerfSuite[] = [ldpRows, secaggRows];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  for (const suite of suites) for (const row of await suite({ quick, log: (l) => process.stderr.write(`${l}\n`) })) process.stdout.write(`${JSON.stringify(row)}\n`);
}
