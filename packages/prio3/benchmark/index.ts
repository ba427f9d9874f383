/**
 * Perf suite of @pinhole/prio3 against @divviup/prio3 0.8.0 (draft 08, the only Prio3 on npm;
 * a devDependency used here and nowhere else), measured in the same run on the same reports:
 *
 * - client sharding time per report (`shard`);
 * - aggregator verification time per report: both aggregators' `verifyInit` (draft 08:
 *   `prepareInit`) plus the verifier-message step (`verifierSharesToMessage`, draft 08:
 *   `unshardPreparationShares`), i.e. the whole cost of deciding one report's validity.
 *
 * Cases: Histogram with 64 buckets (chunk length 8 in both) and Sum over [0, 255] (draft 08's
 * Prio3Sum takes `bits` = 8, the width of its own test vectors; draft 20 takes maxMeasurement =
 * 255, the same range), plus Sum over 32 bits. Two aggregators. The two implementations run in
 * alternating batches (order flipped every round) and each figure is the median over rounds, so
 * a change in machine load hits both sides alike. Randomness is drawn before timing.
 *
 * Standalone: node --conditions=pinhole-source --import tsx packages/prio3/benchmark/index.ts [--quick]
 */
import { pathToFileURL } from 'node:url';
import { Prio3Histogram as DivviupHistogram, Prio3Sum as DivviupSum } from '@divviup/prio3';
import type { PerfOptions, PerfRow, PerfSuite } from '@pinhole/core/perf';
import { seededRng } from '@pinhole/core/seeded';
import { makePrio3Histogram, makePrio3Sum, type Prio3 } from '../src/index.js';

const SUITE = 'prio3/vdaf';
const CTX = new TextEncoder().encode('pinhole prio3 benchmark');

/** The slice of @divviup/prio3's (async) API the benchmark drives. */
interface DivviupVdaf {
  randSize: number;
  verifyKeySize: number;
  shard(measurement: unknown, nonce: Buffer, rand: Buffer): Promise<{ publicShare: unknown; inputShares: unknown[] }>;
  prepareInit(verifyKey: Buffer, aggregatorId: number, aggParam: null, nonce: Buffer, publicShare: unknown, inputShare: unknown): Promise<{ preparationShare: unknown }>;
  unshardPreparationShares(aggParam: null, shares: unknown[]): Promise<unknown>;
}

interface Case {
  name: string;
  ours: Prio3<number, unknown>;
  theirs: DivviupVdaf;
  measurement: (i: number) => number;
}

function cases(): Case[] {
  return [
    {
      name: 'Histogram length=64 chunk=8',
      ours: makePrio3Histogram({ length: 64, chunkLength: 8 }),
      theirs: new DivviupHistogram({ shares: 2, length: 64, chunkLength: 8 }),
      measurement: (i) => i % 64,
    },
    {
      name: 'Sum 8 bits (max 255)',
      ours: makePrio3Sum({ maxMeasurement: 255 }),
      theirs: new DivviupSum({ shares: 2, bits: 8 }),
      measurement: (i) => (i * 37) % 256,
    },
    {
      name: 'Sum 32 bits (max 2^32-1)',
      ours: makePrio3Sum({ maxMeasurement: 2 ** 32 - 1 }),
      theirs: new DivviupSum({ shares: 2, bits: 32 }),
      measurement: (i) => (i * 2654435761) % 2 ** 32,
    },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

async function timeBatch(n: number, fn: (i: number) => unknown): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return (performance.now() - t0) / n;
}

async function runCase(c: Case, quick: boolean, log: (l: string) => void): Promise<PerfRow[]> {
  const rounds = quick ? 5 : 15;
  const batch = quick ? 20 : 60;
  const rng = seededRng(`prio3-bench-${c.name}`);
  const n = batch;
  const nonces = Array.from({ length: n }, () => rng.bytes(16));
  const ourRand = Array.from({ length: n }, () => rng.bytes(c.ours.randSize));
  const theirRand = Array.from({ length: n }, () => Buffer.from(rng.bytes(c.theirs.randSize)));
  const verifyKey = rng.bytes(32);
  const theirKey = Buffer.from(rng.bytes(c.theirs.verifyKeySize));

  const ourReports = Array.from({ length: n }, (_, i) => c.ours.shard(CTX, c.measurement(i), nonces[i] as Uint8Array, ourRand[i] as Uint8Array));
  const theirReports = await Promise.all(Array.from({ length: n }, (_, i) => c.theirs.shard(c.measurement(i), Buffer.from(nonces[i] as Uint8Array), theirRand[i] as Buffer)));

  const ourShard = (i: number): unknown => c.ours.shard(CTX, c.measurement(i), nonces[i] as Uint8Array, ourRand[i] as Uint8Array);
  const theirShard = (i: number): Promise<unknown> => c.theirs.shard(c.measurement(i), Buffer.from(nonces[i] as Uint8Array), theirRand[i] as Buffer);
  const ourVerify = (i: number): Uint8Array => {
    const r = ourReports[i] as (typeof ourReports)[number];
    const nonce = nonces[i] as Uint8Array;
    const shares = r.inputShares.map((s, j) => c.ours.verifyInit(verifyKey, CTX, j, nonce, r.publicShare, s).verifierShare);
    return c.ours.verifierSharesToMessage(CTX, shares);
  };
  const theirVerify = async (i: number): Promise<unknown> => {
    const r = theirReports[i] as (typeof theirReports)[number];
    const nonce = Buffer.from(nonces[i] as Uint8Array);
    const shares = [];
    for (let j = 0; j < r.inputShares.length; j++) shares.push((await c.theirs.prepareInit(theirKey, j, null, nonce, r.publicShare, r.inputShares[j])).preparationShare);
    return c.theirs.unshardPreparationShares(null, shares);
  };

  // Warm-up: both JITs see (and settle on) every path before timing.
  for (let k = 0; k < (quick ? 3 : 6); k++) {
    for (let i = 0; i < n; i++) {
      ourShard(i);
      await theirShard(i);
      ourVerify(i);
      await theirVerify(i);
    }
  }
  const t = { ourShard: [] as number[], theirShard: [] as number[], ourVerify: [] as number[], theirVerify: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      t.ourShard.push(await timeBatch(n, ourShard));
      t.theirShard.push(await timeBatch(n, theirShard));
      t.ourVerify.push(await timeBatch(n, ourVerify));
      t.theirVerify.push(await timeBatch(n, theirVerify));
    } else {
      t.theirShard.push(await timeBatch(n, theirShard));
      t.ourShard.push(await timeBatch(n, ourShard));
      t.theirVerify.push(await timeBatch(n, theirVerify));
      t.ourVerify.push(await timeBatch(n, ourVerify));
    }
  }
  const row = (op: string, impl: string, ms: number, baselineMs?: number, baseline?: string): PerfRow => ({
    suite: SUITE,
    name: `${c.name} ${op} (${impl})`,
    opsPerSec: 1000 / ms,
    unit: 'report',
    meanMs: ms,
    ...(baseline !== undefined && baselineMs !== undefined ? { baseline, ratio: baselineMs / ms } : {}),
    extra: { rounds, batch, statistic: 'median over rounds' },
  });
  const ds = median(t.theirShard);
  const dv = median(t.theirVerify);
  const os = median(t.ourShard);
  const ov = median(t.ourVerify);
  const dsName = `${c.name} shard (@divviup/prio3 0.8.0, draft 08)`;
  const dvName = `${c.name} verify (@divviup/prio3 0.8.0, draft 08)`;
  log(`${c.name}: shard ${os.toFixed(3)} ms vs ${ds.toFixed(3)} ms (${(ds / os).toFixed(1)}×), verify ${ov.toFixed(3)} ms vs ${dv.toFixed(3)} ms (${(dv / ov).toFixed(1)}×)`);
  return [
    row('shard', '@divviup/prio3 0.8.0, draft 08', ds),
    row('shard', '@pinhole/prio3, draft 20', os, ds, dsName),
    row('verify', '@divviup/prio3 0.8.0, draft 08', dv),
    row('verify', '@pinhole/prio3, draft 20', ov, dv, dvName),
  ];
}

const vdafSuite: PerfSuite = async (options: PerfOptions) => {
  const log = options.log ?? (() => {});
  const rows: PerfRow[] = [];
  for (const c of cases()) rows.push(...(await runCase(c, options.quick, log)));
  return rows;
};

export const suites: PerfSuite[] = [vdafSuite];

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const quick = process.argv.includes('--quick');
  const rows = await vdafSuite({ quick, log: (l) => console.error(l) });
  for (const r of rows) console.log(`${r.name.padEnd(70)} ${r.meanMs.toFixed(3).padStart(8)} ms/report${r.ratio === undefined ? '' : `  ${r.ratio.toFixed(1)}× faster`}`);
}
