/**
 * Perf suite of @pinhole/core: exact sampler throughput against the raw CSPRNG word rate measured in
 * the same run, plus the error of each sampler's mean and variance over the measured draws.
 * Run alone: node --conditions=pinhole-source --import tsx packages/core/benchmark/index.ts
 */
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { type Rng, cryptoRng } from '@pinhole/core';
import { type PerfOptions, type PerfRow, type PerfSuite } from '@pinhole/core/perf';
import { makeDiscreteGaussianSampler, discreteGaussianVariance, makeDiscreteLaplaceSampler, discreteLaplaceVariance, makeSkellamSampler } from '@pinhole/core/samplers';

const BATCH = 1000;

interface SamplerCase {
  name: string;
  draw: (rng: Rng) => number;
  variance: number;
}

async function samplers(options: PerfOptions): Promise<PerfRow[]> {
  const rng = cryptoRng();
  const cases: SamplerCase[] = [];
  for (const sigma of [1, 10, 1000]) {
    cases.push({ name: `discreteLaplace scale=${sigma}`, draw: makeDiscreteLaplaceSampler(sigma), variance: discreteLaplaceVariance(sigma) });
    cases.push({ name: `discreteGaussian sigma=${sigma}`, draw: makeDiscreteGaussianSampler(sigma), variance: discreteGaussianVariance(sigma) });
  }
  cases.push({ name: 'skellam mu=5', draw: makeSkellamSampler(5), variance: 10 });

  const bench = new Bench({ name: 'core/samplers', time: options.quick ? 150 : 600, warmup: true });
  const sinks = new Map<string, { n: number; sum: number; sumSq: number }>();
  const baseline = 'cryptoRng u32 (baseline)';
  bench.add(baseline, () => {
    let acc = 0;
    for (let i = 0; i < BATCH; i++) acc ^= rng.u32();
    if (acc === -1) throw new Error('unreachable');
  });
  for (const c of cases) {
    const stats = { n: 0, sum: 0, sumSq: 0 };
    sinks.set(c.name, stats);
    bench.add(c.name, () => {
      for (let i = 0; i < BATCH; i++) {
        const x = c.draw(rng);
        stats.n++;
        stats.sum += x;
        stats.sumSq += x * x;
      }
    });
  }
  options.log?.(`core/samplers: ${cases.length + 1} tasks`);
  await bench.run();
  const rate = (name: string) => {
    const task = bench.getTask(name);
    const r = task?.result as { period?: number } | undefined;
    return r?.period ? (BATCH * 1000) / r.period : NaN;
  };
  const base = rate(baseline);
  const rows: PerfRow[] = [{ suite: 'core/samplers', name: baseline, opsPerSec: base, unit: 'word', meanMs: 1000 / base, ratio: 1, baseline }];
  for (const c of cases) {
    const ops = rate(c.name);
    const s = sinks.get(c.name) as { n: number; sum: number; sumSq: number };
    const mean = s.sum / s.n;
    const variance = s.sumSq / s.n - mean * mean;
    rows.push({
      suite: 'core/samplers',
      name: c.name,
      opsPerSec: ops,
      unit: 'sample',
      meanMs: 1000 / ops,
      baseline,
      ratio: ops / base,
      extra: {
        draws: s.n,
        // mean error in units of its standard error: |z| above ~4 would be suspicious
        meanZ: Number((mean / Math.sqrt(c.variance / s.n)).toFixed(2)),
        varianceRelErr: Number((variance / c.variance - 1).toExponential(2)),
      },
    });
  }
  return rows;
}

export const suites: PerfSuite[] = [samplers];

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = (await Promise.all(suites.map((s) => s({ quick: process.argv.includes('--quick'), log: (l) => process.stderr.write(`${l}\n`) })))).flat();
  console.table(rows.map((r) => ({ name: r.name, 'ops/s': Math.round(r.opsPerSec).toLocaleString('en-US'), unit: r.unit, ratio: r.ratio?.toFixed(3), ...r.extra })));
}
