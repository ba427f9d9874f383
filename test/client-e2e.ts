/**
 * The client end to end (shared by client.e2e.test.ts and client.e2e.slow.test.ts): the aggregator
 * and the key directory started as processes on 127.0.0.1 with a temporary SQLite file, N devices
 * each running @pinhole/client (createClient, one recorded measurement) over real HTTP with the
 * example carrier plans made for N devices, 10 % of them dropping out mid-round:
 * - an LDP round: the dropouts charge their budget and perturb their report, then lose the network
 *   before the upload;
 * - a secure-aggregation round with the key directory the plan names: half the dropouts go silent
 *   after advertising their keys, half after sharing them.
 * Each release is compared with the bench's simulation of the same plan on the same devices'
 * inputs, and the SQLite file of the secure-aggregation server is opened to check what it stored.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import { type CollectionRelease, type RoundRelease, makeReleaseEngine } from '@pinhole/aggregator';
import { type DeviceInput, type Fetch, deviceInputs } from '@pinhole/client';
import { deviceVector, noisePlanOf } from '@pinhole/client/secagg';
import { nodeCryptoProvider } from '@pinhole/secagg/node';
import { type NetworkSample, type Plan, type PlanCollection, COLLECTIONS } from '@pinhole/core';
import { decodeEnvelope } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import { twoSidedZ } from '@pinhole/core/stats';
import type { AnyFrequencyOracle } from '@pinhole/ldp';
import { makeSecaggDdpPipeline } from '../bench/src/ddp-pipeline.js';
import { allPipelines } from '../bench/src/pipelines.js';
import type { HistogramData } from '../bench/src/prepare.js';
import { loadFleetData } from '../examples/data.js';
import { closeRound, makeDevices, enrolDevices, startAggregator, startDirectory, syncAll, tempDir, waitForRelease } from '../examples/fleet.js';
import { carrierPlans } from '../examples/plans.js';

/** A device that vanishes: every request after `gone()` says so fails as a lost network would. */
function vanishing(): { fetch: Fetch; gone(): void; isGone(): boolean } {
  let off = false;
  return {
    fetch: async (input, init) => {
      if (off) throw new TypeError('fetch failed: the device lost its network');
      return fetch(input, init as RequestInit);
    },
    gone: () => {
      off = true;
    },
    isGone: () => off,
  };
}

/** One measurement per device (its first in the data set): its input per collection is then fixed, so the test knows it. */
function fleetSamples(n: number, seed: string): { samples: NetworkSample[][]; source: string } {
  const source = existsSync(join(import.meta.dirname, '..', 'datasets', 'data', 'mobilebandwidth-sigcomm22')) ? 'mobilebandwidth' : 'synthetic';
  const data = loadFleetData({ source: source, devices: n, seed });
  return { samples: data.samples.map((s) => s.slice(0, 1)), source };
}

function inputsOf(plan: Plan, samples: NetworkSample[][]): Map<string, DeviceInput>[] {
  // one sample per device: deviceInputs makes no random choice (the rng is never drawn)
  return samples.map((s) => deviceInputs(plan, s, seededRng('unused')).inputs as Map<string, DeviceInput>);
}

/** The bench's view of the devices whose reports reached the server: per bucket, how many reported it. */
function histogramData(plan: Plan, pc: PlanCollection, inputs: readonly Map<string, DeviceInput>[]): HistogramData {
  const col = COLLECTIONS.find((x) => x.id === pc.id);
  if (!col || col.kind !== 'histogram') throw new Error(`${pc.id}: the carrier plans have histogram collections only`);
  const domains = plan.domains;
  const { groups, buckets } = col.layout(domains);
  const counts = new Int32Array(groups.length * buckets.length);
  let n = 0;
  for (const x of inputs) {
    const b = x.get(pc.id) as { bucket: number } | undefined;
    if (b === undefined) continue;
    counts[b.bucket]! += 1;
    n++;
  }
  return { kind: 'histogram', collection: col, domains, groups, buckets, truth: Float64Array.from(counts), sampledCounts: counts, items: new Int32Array(0), n };
}

interface Check {
  label: string;
  d: number;
  sd: number;
}

/**
 * Every check is a difference of two independent estimates of the same count (the server's
 * release and the bench's simulation), each unbiased, with standard deviation `sd` from the
 * mechanism's variance formula, so d / sd is close to N(0, 1) (LDP: a sum of N independent
 * reports; secure aggregation: the difference of two Skellam sums, symmetric with variance
 * 2·Var). Bonferroni over the M checks of a round: |d| < twoSidedZ(1e-6 / M)·sd fails a correct
 * client, server and bench together with probability < 1e-6 (normal approximation; the Skellam
 * and binomial tails are lighter than the bound's at these sizes).
 */
function expectAgreement(name: string, checks: readonly Check[]): void {
  const M = checks.length;
  expect(M, `${name}: compared counts`).toBeGreaterThan(0);
  const z = twoSidedZ(1e-6 / M);
  for (const c of checks) expect(Math.abs(c.d), `${name} ${c.label}: |d| ${Math.abs(c.d).toFixed(2)} vs ${(z * c.sd).toFixed(2)}`).toBeLessThan(z * c.sd);
  const maxZ = Math.max(...checks.map((c) => Math.abs(c.d / c.sd)));
  console.log(`${name}: M = ${M} compared counts, max |z| = ${maxZ.toFixed(2)} (bound ${z.toFixed(2)}), mean z^2 = ${(checks.reduce((a, c) => a + (c.d / c.sd) ** 2, 0) / M).toFixed(3)}`);
}

/** log P(X >= m) for X ~ Binomial(n, p), summed exactly in log space. */
function logBinomialTail(n: number, p: number, m: number): number {
  let logTerm = 0;
  // log C(n, m) p^m (1-p)^(n-m)
  for (let i = 0; i < m; i++) logTerm += Math.log(n - i) - Math.log(i + 1);
  logTerm += m * Math.log(p) + (n - m) * Math.log1p(-p);
  let total = logTerm;
  for (let k = m; k < n; k++) {
    logTerm += Math.log(n - k) - Math.log(k + 1) + Math.log(p) - Math.log1p(-p);
    const hi = Math.max(total, logTerm);
    total = hi + Math.log(Math.exp(total - hi) + Math.exp(logTerm - hi));
    if (logTerm < total - 40) break;
  }
  return total;
}

export interface EndToEndOptions {
  readonly devices: number;
  readonly seed: string;
  /**
   * the server closes a phase once 90 % answered and nothing came for this long: long enough that
   * no honest device is cut off on a loaded machine (a cut-off device would take the survivors
   * below the plan's minimum and abort the round)
   */
  readonly quietMs: number;
  /** each protocol phase's deadline: 1,000 devices sharing keys with 98 neighbours each need minutes on a loaded 2-core machine */
  readonly phaseSeconds: number;
}

export async function clientEndToEnd(o: EndToEndOptions): Promise<void> {
  const N = o.devices;
  const dropouts = Math.round(N / 10);
  const tmp = tempDir('client-e2e');
  const directory = await startDirectory({ dir: tmp.dir });
  const { ldp, secagg } = carrierPlans({ devices: N, keyDirectory: directory.url });
  const { samples, source } = fleetSamples(N, o.seed);
  const ldpInputs = inputsOf(ldp, samples);
  const secaggInputs = inputsOf(secagg, samples);
  console.log(`client e2e: ${N} devices, ${source} data, ${dropouts} dropouts per round`);
  // which devices drop out: a seeded choice of 10 %
  const order = Array.from({ length: N }, (_, i) => i);
  const pick = seededRng(`${o.seed}/dropouts`);
  for (let i = N - 1; i > 0; i--) {
    const j = pick.int(i + 1);
    [order[i], order[j]] = [order[j] as number, order[i] as number];
  }
  const dropped = new Set(order.slice(0, dropouts));
  const pipelines = allPipelines();

  try {
    // ---- the LDP round -------------------------------------------------------------------------
    {
      const server = await startAggregator({ db: join(tmp.dir, 'ldp.db'), plan: ldp, dir: tmp.dir });
      let release: RoundRelease;
      try {
        const nets = Array.from({ length: N }, () => vanishing());
        const devices = await makeDevices(samples, {
          serverUrl: server.url,
          rng: (i) => seededRng(`${o.seed}/ldp-device-${i}`),
          // a dropout loses the network once its report is built: the upload never arrives
          fetch: (i) => (input, init) => {
            if (dropped.has(i) && init?.method === 'POST' && input.endsWith('/v1/reports')) nets[i]!.gone();
            return nets[i]!.fetch(input, init);
          },
        });
        const results = await syncAll(devices, { concurrency: 64 });
        const outcomes = tally(results.map((r) => r.outcome));
        expect(outcomes, 'LDP sync outcomes').toEqual({ reported: N - dropouts, queued: dropouts });
        // every device was charged one round; the dropouts' reports stay queued (perturbed once, resent later)
        for (const [i, r] of results.entries()) {
          expect(r.budget?.roundsReported, `device ${i}`).toBe(1);
          expect(r.pending).toBe(dropped.has(i) ? 1 : 0);
        }
        const roundId = results[0]!.roundId as string;
        expect(await closeRound(server.url, roundId)).toEqual({ status: 200, json: { roundId, status: 'released' } });
        release = (await waitForRelease(server.url, roundId)) as RoundRelease;
      } finally {
        await server.stop();
      }
      expect(release.status).toBe('released');
      expect(release.reports).toBe(N - dropouts);
      const reporting = ldpInputs.filter((_, i) => !dropped.has(i));
      const engine = makeReleaseEngine(ldp, { allowInsecureRng: true });
      const checks: Check[] = [];
      for (const pc of ldp.collections) {
        const dev = release.collections.find((c) => c.collection === pc.id) as CollectionRelease;
        expect(dev.spent).toEqual(pc.privacyLoss);
        const data = histogramData(ldp, pc, reporting);
        const m = pc.mechanism as { name: string };
        const pipeline = pipelines.find((p) => p.id === `ldp-${m.name}`);
        expect(pipeline, `the bench's ldp-${m.name}`).toBeDefined();
        const out = await pipeline!.histogram!({ data, epsilon: pc.privacyLoss.epsilon, delta: 0, k: pc.gate.k, rng: seededRng(`${o.seed}/bench-${pc.id}`), mode: 'aggregate' } as never);
        // the bench built the same collection: same mechanism, parameters and gate
        expect(out.release!.parameters).toEqual(dev.parameters);
        const oracle = engine.collection(pc.id).oracle as AnyFrequencyOracle;
        const n = data.n;
        const B = data.buckets.length;
        dev.groups.forEach((g, gi) => {
          if (!g.released) return;
          g.rawCounts!.forEach((x, b) => {
            const v = gi * B + b;
            // Var(count estimate) = n^2 · Var(frequency estimate), doubled for the difference of two
            checks.push({ label: `${pc.id}[${v}]`, d: x - (out.counts[v] as number), sd: Math.sqrt(2 * n * n * oracle.variance(n, (data.sampledCounts[v] as number) / n)) });
          });
        });
      }
      expectAgreement('LDP round', checks);
    }

    // ---- the secure-aggregation round ----------------------------------------------------------
    {
      const db = join(tmp.dir, 'secagg.db');
      const server = await startAggregator({ db, plan: secagg, dir: tmp.dir, args: ['--keep-reports', '--secagg-quiet-ms', String(o.quietMs), '--secagg-phase-seconds', String(o.phaseSeconds)] });
      let release: RoundRelease;
      const afterAdvertise = new Set(order.slice(0, Math.floor(dropouts / 2)));
      const afterShare = new Set(order.slice(Math.floor(dropouts / 2), dropouts));
      try {
        const nets = Array.from({ length: N }, () => vanishing());
        const posted = new Map<number, number>();
        const devices = await makeDevices(samples, {
          serverUrl: server.url,
          keyDirectory: directory.url,
          waitSeconds: 20,
          // All the devices share this process. WebCrypto (the client's default, tested in its own
          // package) costs a thread-pool hop per key import, agreement and signature check, about
          // 600 per device when it shares keys: with 1,000 devices released into that phase at once,
          // the queued callbacks kept their key-directory answers unread past the lookup timeout.
          crypto: nodeCryptoProvider(),
          rng: (i) => seededRng(`${o.seed}/secagg-device-${i}`),
          // a dropout vanishes once its advertise (or share) message was acknowledged
          fetch: (i) => async (input, init) => {
            const res = await nets[i]!.fetch(input, init);
            if (init?.method === 'POST' && input.endsWith('/messages') && res.status < 300) {
              const k = (posted.get(i) ?? 0) + 1;
              posted.set(i, k);
              if ((afterAdvertise.has(i) && k === 1) || (afterShare.has(i) && k === 2)) nets[i]!.gone();
            }
            return res;
          },
        });
        await enrolDevices(directory.url, devices);
        const results = await syncAll(devices);
        const outcomes = tally(results.map((r) => r.outcome));
        if (outcomes.round_aborted || outcomes.dropped_out !== dropouts) {
          // why devices left: the first place to look when the round fails
          console.log(
            server.lines
              .filter((l) => l.includes('phase'))
              .slice(-8)
              .join('\n'),
          );
          console.log(
            Object.entries(
              tally(
                results
                  .filter((r) => r.outcome !== 'reported')
                  .map((r) => `${r.outcome} in ${r.error?.param ?? '?'}: ${(r.error?.message ?? '').replace(/http:\/\/127\.0\.0\.1:\d+/g, '<url>').slice(0, 160)}`),
              ),
            )
              .sort((a, b) => b[1] - a[1])
              .map(([k, n]) => `${n} × ${k}`)
              .join('\n'),
          );
        }
        expect(outcomes, `secure-aggregation sync outcomes (${results.find((r) => r.outcome === 'round_aborted')?.error?.message ?? ''})`).toEqual({ reported: N - dropouts, dropped_out: dropouts });
        for (const [i, r] of results.entries()) {
          // a device that dropped out before masking spent nothing
          expect(r.budget?.roundsReported ?? 0, `device ${i}`).toBe(dropped.has(i) ? 0 : 1);
        }
        const roundId = results.find((r) => r.outcome === 'reported')!.roundId as string;
        release = (await waitForRelease(server.url, roundId)) as RoundRelease;
      } finally {
        await server.stop();
      }
      expect(release.status).toBe('released');
      const survivors = secaggInputs.filter((_, i) => !dropped.has(i));
      const engine = makeReleaseEngine(secagg, { allowInsecureRng: true });
      const s0 = (secagg.collections[0] as PlanCollection & { mode: 'secagg' }).secagg;
      // the bench's secagg-ddp configured as the plan (its planned survivors, refusing a shortfall); the survivors' inputs are the data
      const pipeline = makeSecaggDdpPipeline({ dropoutRate: 0, minSurvivorFraction: 1 - s0.dropoutRate, onShortfall: 'refuse' });
      const checks: Check[] = [];
      for (const pc of secagg.collections) {
        const dev = release.collections.find((c) => c.collection === pc.id) as CollectionRelease;
        const data = { ...histogramData(secagg, pc, survivors), n: N };
        const out = await pipeline.histogram!({
          data,
          epsilon: pc.privacyLoss.epsilon,
          delta: pc.privacyLoss.delta,
          k: pc.gate.k,
          rng: seededRng(`${o.seed}/bench-${pc.id}`),
          mode: 'aggregate',
        } as never);
        // the same noise, estimator and gate; the protocol section (graph, threshold, threat model,
        // directory) differs because the bench does not simulate the masks, which cancel exactly
        const noMasking = (p: Readonly<Record<string, unknown>>) => Object.fromEntries(Object.entries(p).filter(([k]) => !k.startsWith('secagg.')));
        expect(noMasking(out.release!.parameters)).toEqual(noMasking(dev.parameters));
        expect(Object.keys(noMasking(dev.parameters)).length).toBeGreaterThan(10);
        const np = engine.collection(pc.id).noisePlan!;
        // both sums carry the noise of N - dropouts survivors' shares: Var(d) = 2 · variance(survivors)
        const sd = Math.sqrt(2 * np.variance(N - dropouts));
        const B = data.buckets.length;
        dev.groups.forEach((g, gi) => {
          if (!g.released) return;
          g.rawCounts!.forEach((x, b) => checks.push({ label: `${pc.id}[${gi * B + b}]`, d: x - (out.counts[gi * B + b] as number), sd }));
        });
      }
      expectAgreement('secure-aggregation round', checks);
      expectOnlyMaskedStored(db, secagg, secaggInputs, N - dropouts);
    }
  } finally {
    await directory.stop();
    tmp.remove();
  }
}

function tally(xs: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[x] = (out[x] ?? 0) + 1;
  return out;
}

/**
 * What the secure-aggregation server stored is only masked: every stored masked-input vector is
 * compared with every device's plain vector (its one-hot buckets, encoded as the device encodes
 * them; its noise share is almost always 0 at these share parameters, and the comparison below
 * does not rely on it). A masked vector is uniform mod 2^bits whatever the input, so the number
 * of coordinates where it equals a given plain vector is Binomial(L, 2^-bits); an unmasked
 * vector would match in (nearly) all L. The bound m is the smallest with
 * pairs · P(Binomial(L, 2^-bits) >= m) < 1e-6, so a correct server fails it with probability
 * below 1e-6 (union bound over the pairs). Then the pooled values' histogram in 64 bins is
 * chi-square with 63 degrees of freedom under uniformity: compared with its 1 - 1e-6 quantile
 * (Wilson–Hilferty approximation).
 */
function expectOnlyMaskedStored(file: string, plan: Plan, inputs: readonly Map<string, DeviceInput>[], expected: number): void {
  const db = new Database(file, { readonly: true });
  let rows: { phase: string; slot: number; bytes: Buffer }[];
  try {
    rows = db.prepare('SELECT phase, slot, bytes FROM secagg_messages').all() as typeof rows;
    // no report table row either: a secure-aggregation round takes no reports
    expect((db.prepare('SELECT COUNT(*) AS n FROM reports').get() as { n: number }).n).toBe(0);
  } finally {
    db.close();
  }
  const masked = rows.filter((r) => r.phase === 'masked').map((r) => decodeEnvelope(new Uint8Array(r.bytes), { type: 'secagg/masked' }).payload as { y: Uint32Array });
  expect(masked.length).toBe(expected);
  const collections = plan.collections as (PlanCollection & { mode: 'secagg' })[];
  const L = collections.reduce((a, c) => a + c.mechanism.vectorLength, 0);
  const bits = Math.max(...collections.map((c) => c.mechanism.modulusBits));
  // each device's plain vector, as its support (index -> encoded value); every other coordinate is 0
  const plain = inputs.map((input) => {
    const support = new Map<number, number>();
    let offset = 0;
    for (const c of collections) {
      const x = input.get(c.id);
      if (x !== undefined) {
        const v = deviceVector(c, x, seededRng('unused'), { allowInsecureRng: true });
        const np = noisePlanOf(c, true);
        const enc = np.toRing(v);
        v.forEach((value, j) => value !== 0 && support.set(offset + j, enc[j] as number));
      }
      offset += c.mechanism.vectorLength;
    }
    return support;
  });
  const pairs = masked.length * plain.length;
  const p = 2 ** -bits;
  let bound = 1;
  while (Math.log(pairs) + logBinomialTail(L, p, bound) >= Math.log(1e-6)) bound++;
  let worst = 0;
  const bins = new Float64Array(64);
  for (const { y } of masked) {
    expect(y.length).toBe(L);
    let zeros = 0;
    for (let j = 0; j < L; j++) {
      if (y[j] === 0) zeros++;
      bins[Math.floor(((y[j] as number) * 64) / 2 ** bits)]! += 1;
    }
    for (const support of plain) {
      let matches = zeros;
      for (const [j, v] of support) matches += (y[j] === v ? 1 : 0) - (y[j] === 0 ? 1 : 0);
      if (matches > worst) worst = matches;
    }
  }
  const total = masked.length * L;
  const chi = bins.reduce((a, c) => a + (c - total / 64) ** 2 / (total / 64), 0);
  // Wilson–Hilferty: chi2_k quantile ≈ k (1 - 2/(9k) + z sqrt(2/(9k)))^3, z the normal 1 - 1e-6 quantile
  const k = 63;
  const q = k * (1 - 2 / (9 * k) + twoSidedZ(2e-6) * Math.sqrt(2 / (9 * k))) ** 3;
  console.log(
    `secure-aggregation storage: ${masked.length} masked vectors of ${L} entries mod 2^${bits} vs ${plain.length} devices: most coordinates equal to a plain vector ${worst} (bound ${bound}); chi2(63) of the values ${chi.toFixed(1)} (bound ${q.toFixed(1)})`,
  );
  expect(worst).toBeLessThan(bound);
  expect(chi).toBeLessThan(q);
}
