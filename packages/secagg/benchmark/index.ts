/**
 * Perf suite of @pinhole/secagg: one full round in process per grid point (cohort × vector length
 * × dropout × graph), clients on WebCrypto (the phone code path) one after another, the server on
 * nodeCryptoProvider(). Reports server time, client time per client (mean, p95, max) and bytes per
 * client. Baselines measured in the same run: plain summation of the same n vectors (what the
 * server would do without secure aggregation) and the AES-256-CTR keystream rate.
 * Dropouts: exactly round(rate·n) clients, chosen at random, go silent after ShareKeys (before
 * sending their masked input), the case that costs the server most (their pairwise masks must be
 * rebuilt). Standalone: node --conditions=pinhole-source --import tsx packages/secagg/benchmark/index.ts [--quick]
 */
import { pathToFileURL } from 'node:url';
import type { PerfOptions, PerfRow, PerfSuite } from '@pinhole/core/perf';
import { seededRng } from '@pinhole/core/seeded';
import { chooseModulusBits, makeRoundConfig, nobleProvider, secAggPlusParameters, signingKeyFromSecret, simulateRound, webCryptoProvider, type SimulationPhase } from '../src/index.js';
import { nodeCryptoProvider } from '../src/node.js';

const SUITE = 'secagg/round';
const MAX_VALUE = 1000;
const CORRUPT_FRACTION = 0.05;
/**
 * Grid points whose estimated simulation (all clients, one after another) exceeds this are
 * skipped and reported as such. 1,800 s keeps the complete graph at 1,000 clients in the full grid;
 * `--max-seconds=N` lowers it for a shorter run.
 */
const DEFAULT_MAX_ESTIMATED_SECONDS = 1800;

interface Point {
  n: number;
  length: number;
  dropout: number;
  graph: 'complete' | 'secagg+';
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
}

/**
 * Simulated-round cost, calibrated on this machine (complete graph, n = 1,000, L = 10,000: 1,050 s;
 * SecAgg+ k = 98: 33 s): per client pair ~250 µs of agreements, HKDF and share encryption,
 * 10 ns per mask word, and 1.5 µs per threshold unit of Shamir evaluation.
 */
function estimatedSeconds(n: number, degree: number, length: number, threshold: number): number {
  return n * degree * (250e-6 + 10e-9 * length + 1.5e-6 * threshold);
}

/**
 * `--clock=cpu` times with the process CPU clock (user + system, all threads) instead of the wall
 * clock: on a machine shared with other jobs it is not inflated by their load. Default wall.
 */
const CPU_CLOCK = process.argv.includes('--clock=cpu');
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

async function runPoint(p: Point, log: (l: string) => void, maxSeconds = DEFAULT_MAX_ESTIMATED_SECONDS): Promise<PerfRow> {
  const bits = chooseModulusBits({ n: p.n, maxValue: MAX_VALUE });
  let graph: { kind: 'complete' } | { kind: 'harary'; degree: number } = { kind: 'complete' };
  let threshold = Math.floor(p.n / 2) + 1;
  let note = 'threshold floor(n/2)+1';
  let degree = p.n - 1;
  if (p.graph === 'secagg+') {
    try {
      const choice = secAggPlusParameters({ n: p.n, dropoutRate: p.dropout, corruptFraction: CORRUPT_FRACTION });
      threshold = choice.threshold;
      degree = choice.degree;
      note = `k=${choice.degree} t=${choice.threshold} sec 2^-${choice.securityBits.toFixed(0)} corr 2^-${Math.min(999, choice.correctnessBits).toFixed(0)}`;
      if (choice.graph === 'harary') graph = { kind: 'harary', degree: choice.degree };
      else note += ' (complete graph chosen)';
    } catch {
      note = 'no SecAgg+ parameters reach 2^-40/2^-30 at this n: complete graph, t=floor(n/2)+1';
    }
  }
  const name = `n=${p.n} L=${p.length} drop=${Math.round(p.dropout * 100)}% ${p.graph}`;
  const est = estimatedSeconds(p.n, degree, p.length, threshold);
  if (est > maxSeconds) {
    log(`skip ${name}: estimated ${est.toFixed(0)} s of simulated client work`);
    return { suite: SUITE, name, opsPerSec: 0, unit: 'round', meanMs: NaN, extra: { skipped: `infeasible here: ~${est.toFixed(0)} s to simulate all clients sequentially`, params: note } };
  }
  const config = makeRoundConfig({
    roundId: `bench-${name}`,
    cohortSize: p.n,
    threshold,
    bits,
    vectorLength: p.length,
    graph,
    threatModel: 'key_directory',
    ...(p.graph === 'secagg+' && graph.kind === 'harary' ? { assumptions: { dropoutRate: p.dropout, corruptFraction: CORRUPT_FRACTION } } : {}),
  });
  const rng = seededRng(`inputs-${name}`);
  const inputs = Array.from({ length: p.n }, () => Uint32Array.from({ length: p.length }, () => rng.int(MAX_VALUE + 1)));
  const dropouts = new Map<number, SimulationPhase>();
  const order = Array.from({ length: p.n }, (_, i) => i + 1);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  for (const id of order.slice(0, Math.round(p.dropout * p.n))) dropouts.set(id, 'masked');
  const clientRng = seededRng(`clients-${name}`);
  const start = performance.now();
  const report = await simulateRound({
    config,
    inputs,
    dropouts,
    clientRng: (id) => clientRng.stream(id),
    allowInsecureRng: true,
    clientCrypto: webCryptoProvider(),
    serverCrypto: nodeCryptoProvider(),
    ...(CPU_CLOCK ? { clock: cpuMs } : {}),
  });
  const wall = performance.now() - start;
  const cms = [...report.clientMs].sort((a, b) => a - b);
  const mean = (a: number[]): number => a.reduce((s, v) => s + v, 0) / a.length;
  log(`${name}: server ${report.serverMs.toFixed(0)} ms, client mean ${mean(cms).toFixed(1)} ms (${CPU_CLOCK ? 'CPU' : 'wall'} clock) (wall ${(wall / 1000).toFixed(1)} s)`);
  return {
    suite: SUITE,
    name,
    opsPerSec: 1000 / report.serverMs,
    unit: 'round (server)',
    meanMs: report.serverMs,
    extra: {
      params: note,
      bits,
      clientMsMean: +mean(cms).toFixed(2),
      clientMsP95: +quantile(cms, 0.95).toFixed(2),
      clientMsMax: +(cms[cms.length - 1] as number).toFixed(2),
      upBytesPerClient: Math.round(mean(report.clientUpBytes)),
      downBytesPerClient: Math.round(mean(report.clientDownBytes)),
      contributors: report.result.contributors.length,
      wallSeconds: +(wall / 1000).toFixed(1),
    },
  };
}

function plainSumBaseline(n: number, length: number): PerfRow {
  const rng = seededRng('baseline');
  const inputs = Array.from({ length: n }, () => Uint32Array.from({ length }, () => rng.int(MAX_VALUE + 1)));
  const reps = Math.max(3, Math.ceil(2e7 / (n * length)));
  const acc = new Uint32Array(length);
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) for (const x of inputs) for (let i = 0; i < length; i++) acc[i] = (acc[i] as number) + (x[i] as number);
  const ms = (performance.now() - t0) / reps;
  return { suite: SUITE, name: `baseline: plain sum n=${n} L=${length}`, opsPerSec: 1000 / ms, unit: 'sum', meanMs: ms, extra: { check: acc[0] as number } };
}

async function keystreamBaseline(provider: 'webcrypto' | 'node'): Promise<PerfRow> {
  const c = provider === 'node' ? nodeCryptoProvider() : webCryptoProvider();
  const keys = Array.from({ length: 64 }, (_, i) => seededRng(`k${i}`).bytes(32));
  const bytes = 40_000;
  await c.keystreams(keys, bytes);
  const reps = 20;
  const t0 = performance.now();
  for (let r = 0; r < reps; r++) await c.keystreams(keys, bytes);
  const ms = (performance.now() - t0) / (reps * keys.length);
  return { suite: SUITE, name: `baseline: AES-256-CTR mask of 10,000 words (${provider})`, opsPerSec: 1000 / ms, unit: 'mask', meanMs: ms, extra: { MBps: +(bytes / 1e6 / (ms / 1000)).toFixed(0) } };
}

/**
 * Ed25519 cost on each client provider, and what one client of a SecAgg+ round at n = 1,000
 * (k = 98, t = 63) spends on it: 2 signatures, k advertisement verifications and t consistency
 * verifications.
 */
async function signatureBaseline(provider: 'webcrypto' | 'noble'): Promise<PerfRow> {
  const c = provider === 'noble' ? nobleProvider() : webCryptoProvider();
  const sk = seededRng('sig-bench').bytes(32);
  const pks: Uint8Array[] = [];
  const sigs: Uint8Array[] = [];
  const message = seededRng('sig-msg').bytes(200);
  const keys = Array.from({ length: 98 }, (_, i) => seededRng(`sig-${i}`).bytes(32));
  for (const k of keys) {
    pks.push(signingKeyFromSecret(k).publicKey);
    sigs.push(await c.sign(k, message));
  }
  const reps = provider === 'noble' ? 2 : 10;
  let t0 = performance.now();
  for (let r = 0; r < reps * 10; r++) await c.sign(sk, message);
  const signMs = (performance.now() - t0) / (reps * 10);
  t0 = performance.now();
  for (let r = 0; r < reps; r++) await c.verify(pks, [message], sigs);
  const verifyMs = (performance.now() - t0) / (reps * pks.length);
  const perRound = 2 * signMs + (98 + 63) * verifyMs;
  return {
    suite: SUITE,
    name: `baseline: Ed25519 (${provider})`,
    opsPerSec: 1000 / verifyMs,
    unit: 'verify',
    meanMs: verifyMs,
    extra: { signMs: +signMs.toFixed(3), verifyMs: +verifyMs.toFixed(3), perClientRoundMs_k98: +perRound.toFixed(1) },
  };
}

function grid(quick: boolean): Point[] {
  const out: Point[] = [];
  const ns = quick ? [100] : [100, 1000, 10000];
  const ls = [64, 10000];
  const ds = quick ? [0, 0.1] : [0, 0.1, 0.3];
  for (const n of ns) for (const length of ls) for (const dropout of ds) for (const graph of ['complete', 'secagg+'] as const) out.push({ n, length, dropout, graph });
  return out;
}

async function gridSuite(options: PerfOptions, maxSeconds = DEFAULT_MAX_ESTIMATED_SECONDS): Promise<PerfRow[]> {
  {
    const log = options.log ?? (() => undefined);
    const rows: PerfRow[] = [];
    const baselines = new Map<string, PerfRow>();
    rows.push(await keystreamBaseline('webcrypto'), await keystreamBaseline('node'), await signatureBaseline('webcrypto'), await signatureBaseline('noble'));
    for (const p of grid(options.quick)) {
      const key = `${p.n}/${p.length}`;
      if (!baselines.has(key)) {
        const b = plainSumBaseline(p.n, p.length);
        baselines.set(key, b);
        rows.push(b);
      }
      const row = await runPoint(p, log, maxSeconds);
      const base = baselines.get(key) as PerfRow;
      rows.push(row.opsPerSec > 0 ? { ...row, baseline: base.name, ratio: row.opsPerSec / base.opsPerSec } : row);
    }
    return rows;
  }
}

export const suites: PerfSuite[] = [(options) => gridSuite(options)];

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  const only = process.argv.find((a) => a.startsWith('--only='));
  const maxArg = process.argv.find((a) => a.startsWith('--max-seconds='));
  const maxSeconds = maxArg ? Number(maxArg.slice(14)) : DEFAULT_MAX_ESTIMATED_SECONDS;
  const log = (l: string): void => void process.stderr.write(`${l}\n`);
  let rows: PerfRow[];
  if (only) {
    // --only=n,length,dropout,graph  e.g. --only=1000,10000,0.1,secagg+
    const [n, length, dropout, graph] = only.slice(7).split(',');
    rows = [
      plainSumBaseline(Number(n), Number(length)),
      await signatureBaseline('webcrypto'),
      await signatureBaseline('noble'),
      await runPoint({ n: Number(n), length: Number(length), dropout: Number(dropout), graph: graph as Point['graph'] }, log),
    ];
  } else rows = await gridSuite({ quick, log }, maxSeconds);
  const extraText = (r: PerfRow): string =>
    r.extra
      ? Object.entries(r.extra)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')
      : '';
  console.log('| name | server ms / mean ms | ops/s | ratio | details |');
  console.log('|---|---:|---:|---:|---|');
  for (const r of rows)
    console.log(`| ${r.name} | ${Number.isNaN(r.meanMs) ? 'skipped' : r.meanMs.toFixed(2)} | ${r.opsPerSec.toFixed(3)} | ${r.ratio === undefined ? '' : r.ratio.toExponential(2)} | ${extraText(r)} |`);
}
