/**
 * Perf suites of @pinhole/ldp (run by `pinhole-bench perf`, or alone:
 * node --conditions=pinhole-source --import tsx packages/ldp/benchmark/index.ts [--quick]).
 *  - ldp/client: perturb + encode per report, every oracle at d = 16, 1024, 65536, and the numeric
 *    mechanisms; baseline: one cryptoRng().u32() draw.
 *  - ldp/construct: makeX for every mechanism over (ε, d) configurations, extremes included (the
 *    exact-arithmetic threshold choice and checks run here, once per mechanism); baseline: one
 *    certified bound of e^ε (expBounds).
 *  - ldp/server: tally (addBatch) + estimate per report, every oracle at the same d; baseline: the
 *    reference local-hashing decoder at d = 1024. Also the issue-3 goals (OLH decoding of 100,000
 *    reports, GRR/OUE tallies of 1,000,000 reports, at d = 1024), simulateTally of 10 million
 *    devices, and Square Wave EM on tfjs against the Float64Array reference.
 */
import { cryptoRng } from '@pinhole/core';
import { type PerfOptions, type PerfRow, type PerfSuite } from '@pinhole/core/perf';
import { expBounds } from '@pinhole/core/exact';
import { seededRng } from '@pinhole/core/seeded';
import { pathToFileURL } from 'node:url';
import { Bench } from 'tinybench';
import { type AnyFrequencyOracle, type LocalHashOracle, NUMERIC_MECHANISMS, NUMERIC_NAMES, ORACLES, ORACLE_NAMES, makeSquareWave } from '../src/index.js';
import { selectBackend, squareWaveEm } from '../src/server.js';
import { localHashSupportReference } from '../src/local-hashing.js';
import { squareWaveEmReference } from '../src/square-wave-em.js';

const DOMAINS = [16, 1024, 65536] as const;
const EPSILON = 1;

interface Measured {
  meanMs: number;
  opsPerSec: number;
}

/** Mean time of one call of fn (tinybench), divided by the operations one call performs. */
async function measure(fn: () => void, opsPerCall: number, options: PerfOptions): Promise<Measured> {
  const bench = new Bench({ time: options.quick ? 60 : 400, iterations: options.quick ? 3 : 10, warmup: true });
  bench.add('task', fn);
  await bench.run();
  const result = bench.tasks[0]?.result as { latency?: { mean: number } } | undefined;
  const callMs = result?.latency?.mean;
  if (callMs === undefined || !(callMs > 0)) throw new Error('tinybench produced no timing');
  const meanMs = callMs / opsPerCall;
  return { meanMs, opsPerSec: 1000 / meanMs };
}

/** One wall-clock run (for the multi-second goal figures, where one run is the operation). */
function once(fn: () => void): Measured {
  const t0 = performance.now();
  fn();
  const ms = performance.now() - t0;
  return { meanMs: ms, opsPerSec: 1000 / ms };
}

function row(suite: string, name: string, unit: string, m: Measured, baseline?: { name: string; opsPerSec: number }, extra?: Record<string, number | string>): PerfRow {
  return {
    suite,
    name,
    unit,
    opsPerSec: m.opsPerSec,
    meanMs: m.meanMs,
    ...(baseline ? { baseline: baseline.name, ratio: m.opsPerSec / baseline.opsPerSec } : {}),
    ...(extra ? { extra } : {}),
  };
}

function reportsFor(oracle: AnyFrequencyOracle, count: number, seed: string): unknown[] {
  const rng = seededRng(seed);
  return Array.from({ length: count }, (_, i): unknown => oracle.perturb((i * 7919) % oracle.domainSize, rng));
}

export const clientSuite: PerfSuite = async (options) => {
  const suite = 'ldp/client';
  const rows: PerfRow[] = [];
  const rng = cryptoRng();
  const base = await measure(
    () => {
      for (let i = 0; i < 1000; i++) rng.u32();
    },
    1000,
    options,
  );
  const baseline = { name: 'cryptoRng u32 draw', opsPerSec: base.opsPerSec };
  rows.push(row(suite, baseline.name, 'draw', base));
  for (const d of DOMAINS) {
    for (const name of ORACLE_NAMES) {
      let oracle: AnyFrequencyOracle;
      try {
        oracle = ORACLES[name]({ epsilon: EPSILON, domainSize: d });
      } catch {
        continue; // not offered at this domain size
      }
      options.log?.(`ldp/client ${name} d=${d}`);
      const batch = d >= 65536 ? 4 : 100;
      let v = 0;
      let bytes = 0;
      const m = await measure(
        () => {
          for (let i = 0; i < batch; i++) {
            bytes = oracle.encodeReport(oracle.perturb(v, rng)).length;
            v = (v + 1) % d;
          }
        },
        batch,
        options,
      );
      rows.push(row(suite, `${name} perturb+encode d=${d}`, 'report', m, baseline, { epsilon: EPSILON, domainSize: d, wireBytes: bytes, usPerReport: m.meanMs * 1000 }));
    }
  }
  for (const name of NUMERIC_NAMES) {
    const mech = NUMERIC_MECHANISMS[name]({ epsilon: EPSILON });
    let t = -1;
    const m = await measure(
      () => {
        for (let i = 0; i < 100; i++) {
          mech.encodeReport(mech.perturb(t, rng));
          t = t >= 0.99 ? -1 : t + 0.01;
        }
      },
      100,
      options,
    );
    rows.push(row(suite, `${name} perturb+encode`, 'report', m, baseline, { epsilon: EPSILON, usPerReport: m.meanMs * 1000 }));
  }
  return rows;
};

export const constructSuite: PerfSuite = async (options) => {
  const suite = 'ldp/construct';
  const rows: PerfRow[] = [];
  const base = await measure(() => expBounds(EPSILON), 1, options);
  const baseline = { name: 'expBounds(1): one certified bound of e^ε', opsPerSec: base.opsPerSec };
  rows.push(row(suite, baseline.name, 'bound', base));
  const configs: [string, () => unknown, number, number][] = [];
  for (const name of ORACLE_NAMES) {
    for (const [epsilon, d] of [
      [1, 1024],
      [1e-6, 1024],
      [30, 1024],
      [1, 65536],
      [30, 65536],
      [0.1, 2 ** 31],
    ] as const) {
      try {
        ORACLES[name]({ epsilon, domainSize: d });
      } catch {
        continue; // not offered at this domain size
      }
      configs.push([name, () => ORACLES[name]({ epsilon, domainSize: d }), epsilon, d]);
    }
  }
  for (const name of NUMERIC_NAMES) {
    for (const epsilon of [1e-12, 0.01, 1, 30]) {
      try {
        NUMERIC_MECHANISMS[name]({ epsilon });
      } catch {
        continue; // below the mechanism's minimum epsilon
      }
      configs.push([name, () => NUMERIC_MECHANISMS[name]({ epsilon }), epsilon, 0]);
    }
  }
  for (const [name, make, epsilon, d] of configs) {
    options.log?.(`ldp/construct ${name} ε=${epsilon}${d ? ` d=${d}` : ''}`);
    const m = await measure(make, 1, options);
    rows.push(row(suite, `make ${name} ε=${epsilon}${d ? ` d=${d}` : ''}`, 'mechanism', m, baseline, { epsilon, ...(d ? { domainSize: d } : {}), msPerConstruction: m.meanMs }));
  }
  return rows;
};

export const serverSuite: PerfSuite = async (options) => {
  const suite = 'ldp/server';
  const rows: PerfRow[] = [];
  const olh1024 = ORACLES.olh({ epsilon: EPSILON, domainSize: 1024, allowInsecureRng: true }) as LocalHashOracle;
  const refReports = reportsFor(olh1024, options.quick ? 1000 : 5000, 'bench/olh-ref') as Parameters<typeof localHashSupportReference>[0];
  const base = await measure(() => localHashSupportReference(refReports, 1024, olh1024.g), refReports.length, options);
  const baseline = { name: 'olh reference decoder d=1024', opsPerSec: base.opsPerSec };
  rows.push(row(suite, baseline.name, 'report', base));

  for (const d of DOMAINS) {
    for (const name of ORACLE_NAMES) {
      let oracle: AnyFrequencyOracle;
      try {
        oracle = ORACLES[name]({ epsilon: EPSILON, domainSize: d, allowInsecureRng: true });
      } catch {
        continue;
      }
      options.log?.(`ldp/server ${name} d=${d}`);
      const count = d >= 65536 ? (options.quick ? 100 : 1000) : options.quick ? 2000 : 20000;
      const reports = reportsFor(oracle, count, `bench/${name}/${d}`);
      const m = await measure(
        () => {
          const t = oracle.makeTally();
          t.addBatch(reports);
          oracle.estimate(t);
        },
        count,
        options,
      );
      rows.push(row(suite, `${name} tally+estimate d=${d}`, 'report', m, baseline, { epsilon: EPSILON, domainSize: d, reports: count, usPerReport: m.meanMs * 1000 }));
    }
  }

  // The issue-3 goals at d = 1024 (quick mode: a tenth of the reports).
  const scale = options.quick ? 10 : 1;
  {
    const n = 100_000 / scale;
    options.log?.(`ldp/server goal: olh decode ${n}`);
    const reports = reportsFor(olh1024, n, 'bench/goal/olh') as Parameters<typeof localHashSupportReference>[0];
    const fast = once(() => {
      const t = olh1024.makeTally();
      t.addBatch(reports);
      olh1024.estimate(t);
    });
    rows.push(row(suite, `goal: olh decode ${n} reports d=1024 (goal < 0.3 s at 100,000)`, 'run', fast, undefined, { seconds: fast.meanMs / 1000, reports: n, goalSeconds: 0.3 / scale }));
    const ref = once(() => localHashSupportReference(reports, 1024, olh1024.g));
    rows.push(row(suite, `olh reference decode ${n} reports d=1024`, 'run', ref, undefined, { seconds: ref.meanMs / 1000, reports: n }));
  }
  for (const name of ['grr', 'oue'] as const) {
    const n = 1_000_000 / scale;
    options.log?.(`ldp/server goal: ${name} tally ${n}`);
    const oracle = ORACLES[name]({ epsilon: EPSILON, domainSize: 1024, allowInsecureRng: true });
    // OUE: 100,000 distinct perturbed reports, each counted ten times (memory stays ~15 MB)
    const distinct = reportsFor(oracle, name === 'oue' ? n / 10 : n, `bench/goal/${name}`);
    const reports = Array.from({ length: n }, (_, i) => distinct[i % distinct.length]);
    const m = once(() => {
      const t = oracle.makeTally();
      t.addBatch(reports);
      oracle.estimate(t);
    });
    rows.push(row(suite, `goal: ${name} tally+estimate ${n} reports d=1024 (goal < 1 s at 1,000,000)`, 'run', m, undefined, { seconds: m.meanMs / 1000, reports: n, goalSeconds: 1 / scale }));
  }

  // Aggregate simulation (the bench's 10-million-device path).
  for (const name of ['grr', 'oue', 'olh', 'hadamard-response'] as const) {
    const devices = options.quick ? 1_000_000 : 10_000_000;
    options.log?.(`ldp/server simulateTally ${name} ${devices}`);
    const oracle = ORACLES[name]({ epsilon: EPSILON, domainSize: 1024 });
    const counts = new Int32Array(1024).fill(Math.floor(devices / 1024));
    const rng = seededRng(`bench/sim/${name}`);
    const m = once(() => oracle.simulateTally(counts, rng));
    rows.push(row(suite, `${name} simulateTally ${devices} devices d=1024`, 'run', m, undefined, { seconds: m.meanMs / 1000, devices }));
  }

  // Square Wave EM: tfjs against the Float64Array reference, 64 bins, 200 iterations.
  {
    options.log?.('ldp/server square-wave EM');
    const sw = makeSquareWave({ epsilon: EPSILON, bins: 64, allowInsecureRng: true });
    const rng = seededRng('bench/sw');
    const tally = sw.makeTally();
    for (let i = 0; i < 100_000; i++) tally.add(sw.perturb(Math.tanh(rng.float64() * 2 - 1), rng));
    const opts = { maxIterations: 200, tolerance: 0 };
    const ref = once(() => squareWaveEmReference(sw, tally, opts));
    const refBase = { name: 'square-wave EM reference (Float64Array)', opsPerSec: ref.opsPerSec };
    rows.push(row(suite, refBase.name, 'reconstruction', ref, undefined, { bins: 64, iterations: 200 }));
    const { backend } = await selectBackend();
    await squareWaveEm(sw, tally, { maxIterations: 5, tolerance: 0 }); // warm the backend up
    const t0 = performance.now();
    await squareWaveEm(sw, tally, opts);
    const ms = performance.now() - t0;
    rows.push(row(suite, `square-wave EM tfjs (${backend})`, 'reconstruction', { meanMs: ms, opsPerSec: 1000 / ms }, refBase, { bins: 64, iterations: 200, backend }));
  }
  return rows;
};

export const suites: PerfSuite[] = [clientSuite, constructSuite, serverSuite];

function printTable(rows: PerfRow[]): void {
  const lines = rows.map((r) => [
    r.suite,
    r.name,
    r.meanMs < 1 ? `${(r.meanMs * 1000).toFixed(2)} µs` : `${r.meanMs.toFixed(1)} ms`,
    `${r.opsPerSec.toFixed(1)} ${r.unit}/s`,
    r.ratio === undefined ? '' : `x${r.ratio.toPrecision(3)} vs ${r.baseline}`,
  ]);
  const widths = [0, 1, 2, 3, 4].map((i) => Math.max(...lines.map((l) => (l[i] as string).length)));
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(widths[i] as number)).join('  '));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const all: PerfRow[] = [];
  for (const s of suites) all.push(...(await s({ quick, log: (line) => process.stderr.write(`${line}\n`) })));
  printTable(all);
}
