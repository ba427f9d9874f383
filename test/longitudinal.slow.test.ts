/**
 * The averaging attack through the shipped client against the real aggregator (a child process on
 * 127.0.0.1, its SQLite file read back): devices whose network type never changes report in R
 * rounds; the attacker reads every stored report of a device and guesses the most frequent bucket.
 * The plan decides: `memo: "none"` re-perturbs every round and the attack recovers the value;
 * `memo: "per_value"` (the default) sends one stored report in every round, so the attacker holds
 * exactly one report's worth (packages/client/test/longitudinal.test.ts measures that statistic).
 *
 * GRR, ε = 2, d = 12: p = e^2/(e^2 + 11) = 0.4018, q = 1/(e^2 + 11) = 0.0544. With R = 30 rounds
 * the true bucket's count X ~ Bin(30, p) and a competitor's Y ~ Bin(30, q); summed exactly,
 * P(Y >= X) = 3.4e-4 (ties count as a miss), so a device is missed with probability at most
 * 11 · 3.4e-4 = 3.7e-3. "At least 8 of 10 devices recovered" then fails a working attack with
 * probability 6.1e-6 (binomial tail, exact).
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { type NetworkSample, createClient, memoryStorage } from '@pinhole/client';
import { NETWORK_TYPES, decodeRoundReport } from '@pinhole/core';
import { type AnyFrequencyOracle, ORACLES } from '@pinhole/ldp';
import { ldpPlan } from '../packages/client/test/helpers.js';
import { closeRound, startAggregator, tempDir, waitForNextRound, waitForRelease } from '../examples/fleet.js';

const tmp = tempDir('longitudinal');
afterAll(() => tmp.remove());

const ROUNDS = 30;
const DEVICES = 10;
const TYPES = NETWORK_TYPES;

/** R rounds of D devices, each with a fixed network type; returns per device its network-type entries in round order, and one release. */
async function run(memo: 'per_value' | 'none'): Promise<{ entries: Uint8Array[][]; buckets: number[]; release: any; oracle: AnyFrequencyOracle }> {
  const plan = ldpPlan({ id: `longitudinal-${memo.replace('_', '-')}`, rounds: ROUNDS, epsilon: 2, memo });
  const db = join(tmp.dir, `${memo}.sqlite`);
  const proc = await startAggregator({ db, plan, dir: tmp.dir, args: ['--keep-reports'] });
  try {
    const devices = Array.from({ length: DEVICES }, (_, i) => ({
      client: createClient({ serverUrl: proc.url, storage: memoryStorage(), retry: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50, timeoutMs: 10_000 } }),
      networkType: TYPES[i % TYPES.length]!,
      cell: i % 2 === 0 ? 'n1' : 's1',
    }));
    let round: string | null = null;
    for (let r = 0; r < ROUNDS; r++) {
      round = await waitForNextRound(proc.url, round);
      for (const d of devices) {
        const sample: NetworkSample = {
          networkType: d.networkType,
          operator: '460-00',
          cell: d.cell,
          downlinkMbps: 42,
          rttMs: 40,
          ...(d.networkType === 'wifi' ? {} : { rsrpDbm: -95 }),
          deviceClass: 'phone-mid',
          timestamp: Date.now() - 60_000,
        };
        await d.client.record(sample);
        const s = await d.client.sync();
        expect(s.outcome, `round ${r}`).toBe('reported');
      }
      expect((await closeRound(proc.url, round)).status).toBe(200);
    }
    const release = await waitForRelease(proc.url, round as string, 20_000);
    // what the server stored: contributor tokens differ per round (unlinkable), but devices sync one
    // after another, so within a round the insertion order is the device order
    const d = new Database(db, { readonly: true });
    const rows = d.prepare('SELECT round_id, bytes FROM reports ORDER BY rowid').all() as { round_id: string; bytes: Buffer }[];
    d.close();
    expect(rows).toHaveLength(ROUNDS * DEVICES);
    const entries: Uint8Array[][] = devices.map(() => []);
    rows.forEach((row, k) => {
      const report = decodeRoundReport(new Uint8Array(row.bytes));
      const entry = report.entries.find((e) => e.collection === 'network-type-by-region');
      if (!entry) throw new Error('a report without its network-type entry');
      expect(row.round_id).toBe(rows[k - (k % DEVICES)]!.round_id);
      entries[k % DEVICES]!.push(entry.bytes);
    });
    // the device's true bucket (the catalogue's layout): its region (n1: north, s1: south) times the types, plus its type
    const buckets = devices.map((x) => (x.cell === 'n1' ? 0 : 1) * TYPES.length + TYPES.indexOf(x.networkType));
    // the attacker decodes with the server's side of the plan's oracle
    const c = plan.collections[0]!;
    if (c.mode !== 'ldp' || c.kind !== 'histogram') throw new Error("the plan's first collection is a local-DP histogram");
    return { entries, buckets, release, oracle: ORACLES[c.mechanism.name]({ epsilon: c.mechanism.epsilon, domainSize: c.mechanism.domainSize }) };
  } finally {
    await proc.stop();
  }
}

function mostFrequent(oracle: AnyFrequencyOracle, reports: readonly Uint8Array[]): number {
  const counts = new Array<number>(12).fill(0);
  for (const b of reports) counts[oracle.decodeReport(b) as number]! += 1;
  return counts.indexOf(Math.max(...counts));
}

describe('longitudinal privacy through createClient and the real server', () => {
  it('memo "none": fresh reports every round, and averaging them recovers the devices’ values', async () => {
    const { entries, buckets, oracle } = await run('none');
    let recovered = 0;
    entries.forEach((list, i) => {
      expect(list).toHaveLength(ROUNDS);
      expect(new Set(list.map((b) => b.join())).size).toBeGreaterThan(1);
      if (mostFrequent(oracle, list) === buckets[i]) recovered++;
    });
    expect(recovered).toBeGreaterThanOrEqual(8);
  }, 180_000);

  it('memo "per_value" (the default): one report per value in every round, and the release states the guarantee', async () => {
    const { entries, release } = await run('per_value');
    for (const list of entries) {
      expect(list).toHaveLength(ROUNDS);
      // every round repeats the first report: the attacker holds one report, whatever R is
      expect(new Set(list.map((b) => b.join())).size).toBe(1);
    }
    expect(release.longitudinal).toMatchObject({
      charge: 'every_round',
      perRound: { epsilon: 4, delta: 0 },
      perPeriod: { epsilon: ROUNDS * 4, delta: 0 },
      memoScope: 'plan_revision',
      memoised: [{ collection: 'network-type-by-region', perValue: { epsilon: 2, delta: 0 } }],
    });
  }, 180_000);
});
