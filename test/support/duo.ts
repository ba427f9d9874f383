/**
 * A leader and a helper (two `pinhole-aggregator serve` processes, each with its own SQLite file)
 * on 127.0.0.1, simulated devices uploading over real HTTP through `@pinhole/client/prio3`, a
 * share of them malformed, an operator closing the round at the leader and a carrier reading the
 * release. What the devices sent is returned, so a test can compute the exact truth of the valid
 * ones.
 */
import { type CollectionRelease, type RoundRelease, makePlan } from '@pinhole/aggregator';
import { prio3Report } from '@pinhole/client/prio3';
import { type Plan, type Rng, contributorToken, encodeRoundReport } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { Field128, HELPER_ID, LEADER_ID, PRIO3_HISTOGRAM_ID, Prio3, encodePrio3Entry, prio3Context, prio3Nonce, prio3Vdaf } from '@pinhole/prio3';
import { HistogramCircuit } from '../../packages/prio3/src/circuits.js';
import { CARRIER, type Child, closeRound, get, pool, secretOf, startServer, tempDir, upload, writePlan } from '../../packages/aggregator/test/support/server.js';

export const PEER_TOKEN = 'peer-token-0123456789abcdef-duo';
export const VERIFY_KEY = '5a'.repeat(32);
export const DOMAINS = { operators: ['460-00', '460-01'], regions: ['north', 'south', 'east'], cells: ['n1', 's1', 'e1'] };
export const RTT_BOUNDS: readonly [number, number] = [0, 500];

export function duoPlan(expectedDevices: number): Plan {
  return makePlan({
    id: 'duo-e2e',
    insights: ['network-type-share', 'rtt-mean'],
    domains: DOMAINS,
    budget: { epsilon: 2, delta: 1e-6 },
    mode: 'prio3',
    expectedDevices,
    k: 20,
    schedule: { roundsPerPeriod: 4, roundSeconds: 3600 },
  });
}

export type Malformed = 'out_of_range' | 'corrupt_share' | 'mismatched_shares';
export const MALFORMED_KINDS: readonly Malformed[] = ['out_of_range', 'corrupt_share', 'mismatched_shares'];

export interface Device {
  readonly bucket: number;
  readonly group: number;
  readonly value: number;
  /** null: an honest device */
  readonly malformed: Malformed | null;
}

/**
 * A Prio3Histogram whose client encodes `weight` (not 1) at its bucket and proves that encoding
 * honestly: a measurement out of range with a proof forged for it, as a malicious phone would send.
 */
function outOfRangeHistogram(length: number, chunkLength: number, weight: bigint): Prio3<number, number[]> {
  class Inflated extends HistogramCircuit {
    override encode(bucket: number): Uint32Array {
      const v = super.encode(bucket);
      this.field.set(v, bucket, weight);
      return v;
    }
  }
  return new Prio3(PRIO3_HISTOGRAM_ID, 'Prio3Histogram', 2, new Inflated(Field128, length, chunkLength));
}

/** The leader's and the helper's envelopes of a malformed device. */
function malformedReport(plan: Plan, roundId: string, contributor: string, d: Device, rng: Rng): { leader: Uint8Array; helper: Uint8Array } {
  const honest = prio3Report(plan, {
    roundId,
    contributor,
    inputs: { 'network-type-by-region': { bucket: d.bucket }, 'rtt-by-operator': { group: d.group, value: d.value } },
    rng,
    allowInsecureRng: true,
  });
  if (d.malformed === 'mismatched_shares') {
    // the helper's envelope of another sharding (same report id, other randomness)
    const other = prio3Report(plan, {
      roundId,
      contributor,
      reportId: honest.reportId,
      inputs: { 'network-type-by-region': { bucket: d.bucket }, 'rtt-by-operator': { group: d.group, value: d.value } },
      rng,
      allowInsecureRng: true,
    });
    return { leader: honest.leader, helper: other.helper };
  }
  const hist = plan.collections.find((c) => c.id === 'network-type-by-region')!;
  const vdaf = prio3Vdaf(hist);
  const mech = hist.mechanism as { length: number; chunkLength: number };
  const nonce = prio3Nonce(honest.reportId);
  const evil = d.malformed === 'out_of_range' ? outOfRangeHistogram(mech.length, mech.chunkLength, 1000n) : vdaf;
  const shards = (evil as Prio3<number, unknown>).shard(prio3Context(plan, hist.id), d.bucket, nonce, rng.bytes(vdaf.randSize));
  const leaderShare = shards.inputShares[LEADER_ID] as Uint8Array;
  if (d.malformed === 'corrupt_share') leaderShare[3] = (leaderShare[3] as number) ^ 0x5a; // a byte of the first measurement share element
  // the rest of the report (the mean collection) is an honest sharding of the same device
  const meanPlan = plan.collections.find((c) => c.id === 'rtt-by-operator')!;
  const meanVdaf = prio3Vdaf(meanPlan);
  const meanShards = (meanVdaf as Prio3<readonly number[], unknown>).shard(
    prio3Context(plan, meanPlan.id),
    (() => {
      const v = new Array<number>(2 * meanPlan.groups).fill(0);
      v[2 * d.group] = 100;
      v[2 * d.group + 1] = (meanPlan.mechanism as { grid: number }).grid - 100;
      return v;
    })(),
    nonce,
    rng.bytes(meanVdaf.randSize),
  );
  const head = { planId: plan.id, planRevision: plan.revision, roundId, reportId: honest.reportId, contributor };
  return {
    leader: encodeRoundReport({
      ...head,
      entries: [
        { collection: hist.id, bytes: encodePrio3Entry(shards.publicShare, leaderShare) },
        { collection: meanPlan.id, bytes: encodePrio3Entry(meanShards.publicShare, meanShards.inputShares[LEADER_ID] as Uint8Array) },
      ],
    }),
    helper: encodeRoundReport({
      ...head,
      entries: [
        { collection: hist.id, bytes: encodePrio3Entry(shards.publicShare, shards.inputShares[HELPER_ID] as Uint8Array) },
        { collection: meanPlan.id, bytes: encodePrio3Entry(meanShards.publicShare, meanShards.inputShares[HELPER_ID] as Uint8Array) },
      ],
    }),
  };
}

export interface DuoRun {
  readonly plan: Plan;
  readonly devices: readonly Device[];
  readonly release: RoundRelease;
  readonly leaderLines: readonly string[];
  readonly helperLines: readonly string[];
}

/**
 * Starts a helper then a leader (the leader announces its round to the helper), uploads every
 * device's two envelopes, closes the round at the leader and reads the release. `malformedEvery`:
 * device i is malformed when i % malformedEvery === malformedEvery - 1 (kinds in rotation).
 */
export async function runDuo(options: { devices: number; malformedEvery: number; noise: boolean; seed: string }): Promise<DuoRun> {
  const plan = duoPlan(options.devices);
  const dir = tempDir('duo');
  const planFile = writePlan(dir, plan);
  const env = { PINHOLE_PEER_TOKEN: PEER_TOKEN, PINHOLE_PRIO3_VERIFY_KEY: VERIFY_KEY };
  const common = ['--rate-limit', '0', ...(options.noise ? [] : ['--insecure-test-no-noise'])];
  const children: Child[] = [];
  try {
    const helper = await startServer({ db: `${dir}/helper.db`, plan: planFile, args: ['--role', 'helper', ...common], env });
    children.push(helper);
    const leader = await startServer({ db: `${dir}/leader.db`, plan: planFile, args: ['--role', 'leader', '--peer', helper.url, ...common], env });
    children.push(leader);
    const current = await get(leader.url, '/v1/rounds/current');
    if (current.status !== 200) throw new Error(`no round at the leader: ${current.text}`);
    const roundId = current.json.roundId as string;
    const rng = seededRng(options.seed);
    const groups = DOMAINS.operators.length;
    const buckets = plan.collections.find((c) => c.id === 'network-type-by-region')!.domainSize;
    const devices: Device[] = Array.from({ length: options.devices }, (_, i) => ({
      bucket: rng.int(buckets),
      group: rng.int(groups),
      value: RTT_BOUNDS[0] + rng.float64() * (RTT_BOUNDS[1] - RTT_BOUNDS[0]),
      malformed: i % options.malformedEvery === options.malformedEvery - 1 ? (MALFORMED_KINDS[Math.floor(i / options.malformedEvery) % MALFORMED_KINDS.length] as Malformed) : null,
    }));
    await pool(devices, 16, async (d, i) => {
      const deviceRng = seededRng(`${options.seed}-device-${i}`);
      const contributor = contributorToken(secretOf(i, options.seed), { planId: plan.id, roundId });
      const r =
        d.malformed === null
          ? prio3Report(plan, {
              roundId,
              contributor,
              inputs: { 'network-type-by-region': { bucket: d.bucket }, 'rtt-by-operator': { group: d.group, value: d.value } },
              rng: deviceRng,
              allowInsecureRng: true,
            })
          : malformedReport(plan, roundId, contributor, d, deviceRng);
      const [a, b] = await Promise.all([upload(leader.url, r.leader), upload(helper.url, r.helper)]);
      if (a.status !== 201 || b.status !== 201) throw new Error(`device ${i}: leader ${a.status} ${JSON.stringify(a.json)}, helper ${b.status} ${JSON.stringify(b.json)}`);
    });
    const closed = await closeRound(leader.url, roundId);
    if (closed.status !== 200) throw new Error(`close: ${closed.status} ${JSON.stringify(closed.json)}\n${leader.lines.join('\n')}`);
    const rel = await get(leader.url, `/v1/releases/${roundId}`, { authorization: `Bearer ${CARRIER}` });
    if (rel.status !== 200) throw new Error(`release: ${rel.status} ${rel.text}`);
    return { plan, devices, release: rel.json as RoundRelease, leaderLines: leader.lines, helperLines: helper.lines };
  } finally {
    await Promise.all(children.map((c) => c.stop()));
  }
}

/** The exact truth of the valid devices: counts per bucket, devices and exact mean per operator. */
export function truth(run: DuoRun) {
  const hist = run.plan.collections.find((c) => c.id === 'network-type-by-region')!;
  const counts = new Array<number>(hist.domainSize).fill(0);
  const perGroup = new Array<number>(DOMAINS.operators.length).fill(0);
  const sums = new Array<number>(DOMAINS.operators.length).fill(0);
  let valid = 0;
  for (const d of run.devices) {
    if (d.malformed !== null) continue;
    valid++;
    counts[d.bucket]! += 1;
    perGroup[d.group]! += 1;
    sums[d.group]! += d.value;
  }
  return { valid, counts, perGroup, means: sums.map((s, g) => s / (perGroup[g] as number)) };
}

/** One collection's release. */
export function collection(run: DuoRun, id: string): CollectionRelease {
  return run.release.collections.find((c) => c.collection === id)!;
}
