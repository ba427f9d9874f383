/**
 * Perf suites of @pinhole/datasets: synthetic generation (devices per second, against a seedrandom
 * sub-stream per device, the obvious way to get per-device determinism) and CSV parsing (rows per
 * second, against a naive split that handles no quotes). Runnable on its own:
 *   node --conditions=pinhole-source --import tsx datasets/benchmark/index.ts [--quick]
 */
import { pathToFileURL } from 'node:url';
import { type PerfOptions, type PerfRow, type PerfSuite } from '@pinhole/core/perf';
import { seededRng } from '@pinhole/core/seeded';
import { generateSyntheticTable, parseCsv } from '../src/index.js';

function time(fn: () => void, minMs: number): { runs: number; ms: number } {
  fn(); // warm-up
  let runs = 0;
  const start = performance.now();
  let ms = 0;
  do {
    fn();
    runs++;
    ms = performance.now() - start;
  } while (ms < minMs);
  return { runs, ms };
}

const synthetic: PerfSuite = async (options: PerfOptions): Promise<PerfRow[]> => {
  const devices = options.quick ? 100_000 : 1_000_000;
  const minMs = options.quick ? 300 : 2000;
  options.log?.(`datasets/synthetic: ${devices} devices`);
  let rows = 0;
  const gen = time(() => {
    rows = generateSyntheticTable({ devices, seed: 1 }).length;
  }, minMs);
  // baseline: one seedrandom sub-stream per device and the same ~16 draws per measurement
  const baseDevices = devices / 10;
  const base = time(() => {
    const root = seededRng(1).stream('devices');
    let acc = 0;
    for (let d = 0; d < baseDevices; d++) {
      const s = root.stream(d);
      for (let j = 0; j < 16 * (rows / devices); j++) acc += s.float64();
    }
    if (acc < 0) throw new Error('unreachable');
  }, minMs);
  const genOps = (gen.runs * devices) / (gen.ms / 1000);
  const baseOps = (base.runs * baseDevices) / (base.ms / 1000);
  return [
    { suite: 'datasets/synthetic', name: 'seedrandom sub-stream per device (draws only)', opsPerSec: baseOps, unit: 'device', meanMs: 1000 / baseOps },
    {
      suite: 'datasets/synthetic',
      name: 'generateSyntheticTable (default model)',
      opsPerSec: genOps,
      unit: 'device',
      meanMs: 1000 / genOps,
      baseline: 'seedrandom sub-stream per device (draws only)',
      ratio: genOps / baseOps,
      extra: { devices, rowsPerDevice: Number((rows / devices).toFixed(3)), msPerRun: Number((gen.ms / gen.runs).toFixed(1)) },
    },
  ];
};

const csv: PerfSuite = async (options: PerfOptions): Promise<PerfRow[]> => {
  const n = options.quick ? 20_000 : 200_000;
  const minMs = options.quick ? 300 : 2000;
  options.log?.(`datasets/csv: ${n} rows`);
  const lines = ['brand,model,network_type,user_isp_id,bandwidth_Mbps,user_uid,cell_rsrp'];
  for (let i = 0; i < n; i++) lines.push(`vivo,V${i % 97},4G,China Mobile,${(i % 500) / 10},u${i % 4000},-84;-85;-86;-84`);
  const text = lines.join('\r\n');
  const naive = time(() => {
    const rows = text.split('\r\n').map((l) => l.split(','));
    if (rows.length !== n + 1) throw new Error('unreachable');
  }, minMs);
  const parsed = time(() => {
    if (parseCsv(text).length !== n + 1) throw new Error('unreachable');
  }, minMs);
  const naiveOps = (naive.runs * n) / (naive.ms / 1000);
  const ops = (parsed.runs * n) / (parsed.ms / 1000);
  return [
    { suite: 'datasets/csv', name: 'naive split (no quotes)', opsPerSec: naiveOps, unit: 'row', meanMs: 1000 / naiveOps },
    { suite: 'datasets/csv', name: 'parseCsv', opsPerSec: ops, unit: 'row', meanMs: 1000 / ops, baseline: 'naive split (no quotes)', ratio: ops / naiveOps },
  ];
};

export const suites: PerfSuite[] = [synthetic, csv];

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const rows: PerfRow[] = [];
  for (const suite of suites) rows.push(...(await suite({ quick, log: (l) => process.stderr.write(`${l}\n`) })));
  console.table(rows.map((r) => ({ suite: r.suite, name: r.name, 'ops/s': Math.round(r.opsPerSec), unit: r.unit, 'mean ms': r.meanMs.toPrecision(3), ratio: r.ratio?.toFixed(2) ?? '', ...r.extra })));
}
