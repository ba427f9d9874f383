/**
 * Perf suite of @pinhole/gate: bucket decisions per second for 10k and 1M buckets, per mode,
 * against a plain threshold loop (`n >= k` over the same Map, collecting released keys) measured
 * in the same run. Run alone:
 *   node --conditions=pinhole-source --import tsx packages/gate/benchmark/index.ts [--quick]
 */
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { PinholeError } from '@pinhole/core';
import { type PerfOptions, type PerfRow, type PerfSuite } from '@pinhole/core/perf';
import { seededRng } from '@pinhole/core/seeded';
import { type Gate, makeGate, makeGaussianThresholdSelection, makeKAnonymity, makeLaplaceThresholdSelection, makeOptimalSelection } from '@pinhole/gate';

const SUITE = 'gate/decisions';

/** Contributor counts with a heavy tail like real cells: most buckets small, some large. */
function makeCounts(buckets: number): Map<string, number> {
  const rng = seededRng(`gate-bench-${buckets}`);
  const counts = new Map<string, number>();
  for (let i = 0; i < buckets; i++) {
    const u = rng.float64();
    counts.set(`cell=${i >> 2}|net=${['2g', '3g', '4g', '5g'][i & 3]}`, Math.floor(2 / (u + 0.002)) - 1);
  }
  return counts;
}

function baselineLoop(counts: Map<string, number>, k: number): string[] {
  const out: string[] = [];
  for (const [key, n] of counts) if (n >= k) out.push(key);
  return out;
}

async function measure(name: string, fn: () => unknown, quick: boolean, buckets: number): Promise<number> {
  const big = buckets >= 1_000_000;
  const bench = new Bench({
    time: quick ? (big ? 0 : 200) : big ? 3000 : 1000,
    iterations: quick ? (big ? 2 : 5) : big ? 5 : 20,
    warmupIterations: 1,
    warmupTime: 0,
  });
  bench.add(name, fn);
  await bench.run();
  const task = bench.tasks[0];
  const r = task?.result as { latency?: { mean: number } } | undefined;
  const mean = r?.latency?.mean;
  if (typeof mean !== 'number' || !(mean > 0)) throw new PinholeError('invalid_state', 'benchmark', `benchmark ${name} produced no timing`);
  return mean;
}

export const suites: PerfSuite[] = [
  async (options: PerfOptions): Promise<PerfRow[]> => {
    const rows: PerfRow[] = [];
    const rng = seededRng('gate-bench-rng');
    const gates: [string, Gate][] = [
      ['k-anonymity k=10', makeGate({ selection: makeKAnonymity({ k: 10 }) })],
      ['optimal selection eps=1 delta=1e-8', makeGate({ selection: makeOptimalSelection({ epsilon: 1, delta: 1e-8 }) })],
      ['Laplace threshold eps=1 delta=1e-8', makeGate({ selection: makeLaplaceThresholdSelection({ epsilon: 1, delta: 1e-8 }) })],
      ['Gaussian threshold eps=1 delta=1e-8', makeGate({ selection: makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-8 }) })],
    ];
    for (const buckets of [10_000, 1_000_000]) {
      const counts = makeCounts(buckets);
      const label = buckets >= 1_000_000 ? '1M' : `${buckets / 1000}k`;
      options.log?.(`${SUITE}: ${label} buckets, baseline`);
      const baseName = `plain threshold loop, ${label} buckets`;
      const baseMs = await measure(baseName, () => baselineLoop(counts, 10), options.quick, buckets);
      const baseOps = (buckets * 1000) / baseMs;
      rows.push({ suite: SUITE, name: baseName, opsPerSec: baseOps, unit: 'bucket decision', meanMs: baseMs / buckets, extra: { callMs: baseMs, buckets } });
      for (const [name, gate] of gates) {
        options.log?.(`${SUITE}: ${label} buckets, ${name}`);
        const rowName = `${name}, ${label} buckets`;
        const ms = await measure(rowName, () => gate.decide(counts, { rng, allowInsecureRng: true }), options.quick, buckets);
        const ops = (buckets * 1000) / ms;
        rows.push({
          suite: SUITE,
          name: rowName,
          opsPerSec: ops,
          unit: 'bucket decision',
          meanMs: ms / buckets,
          baseline: baseName,
          ratio: ops / baseOps,
          extra: { callMs: ms, buckets },
        });
      }
    }
    return rows;
  },
];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const rows: PerfRow[] = [];
  for (const suite of suites) rows.push(...(await suite({ quick, log: (l) => process.stderr.write(`${l}\n`) })));
  const fmt = (x: number) => (x >= 100 ? x.toExponential(3) : x.toPrecision(4));
  console.log(['name', 'decisions/s', 'ms/call', 'ratio vs baseline'].join(' | '));
  for (const r of rows) console.log([r.name, fmt(r.opsPerSec), fmt(Number(r.extra?.callMs)), r.ratio === undefined ? '(baseline)' : r.ratio.toPrecision(3)].join(' | '));
}
