/**
 * A fleet of simulated devices against a real aggregator: starts the key directory (secure
 * aggregation) and the aggregator on 127.0.0.1, creates N devices running @pinhole/client over
 * HTTP (each records its measurements from the mobilebandwidth data, or the synthetic generator),
 * runs one round and prints the release as a table.
 * Run: npx tsx --conditions=pinhole-source examples/simulate.ts [--mode ldp|secagg] [--devices 1000] [--source mobilebandwidth|synthetic] [--dropouts 0.1]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { seededRng } from '@pinhole/core/seeded';
import type { RoundRelease } from '@pinhole/aggregator';
import { loadFleetData } from './data.js';
import { closeRound, makeDevices, enrolDevices, startAggregator, startDirectory, syncAll, tempDir, waitForRelease } from './fleet.js';
import { carrierPlans } from './plans.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'ldp' },
    devices: { type: 'string', default: '1000' },
    source: { type: 'string', default: 'mobilebandwidth' },
    dropouts: { type: 'string', default: '0' },
    seed: { type: 'string', default: 'example' },
  },
});
const N = Number(values.devices);
const mode = values.mode === 'secagg' ? 'secagg' : 'ldp';
const dropRate = Number(values.dropouts);
const tmp = tempDir('simulate');
const directory = mode === 'secagg' ? await startDirectory({ dir: tmp.dir }) : null;
try {
  const plan = carrierPlans({ devices: N, ...(directory ? { keyDirectory: directory.url } : {}) })[mode];
  const data = loadFleetData({ source: values.source === 'synthetic' ? 'synthetic' : 'mobilebandwidth', devices: N, seed: values.seed });
  const server = await startAggregator({ db: join(tmp.dir, 'pinhole.db'), plan, dir: tmp.dir, args: ['--secagg-quiet-ms', '20000'] });
  try {
    // simulation: seeded randomness per device (marked insecure); a device that drops out loses its network after its first upload
    const pick = seededRng(`${values.seed}/dropouts`);
    const gone = new Set(Array.from({ length: N }, (_, i) => i).filter(() => pick.float64() < dropRate));
    const devices = await makeDevices(data.samples, {
      serverUrl: server.url,
      ...(directory ? { keyDirectory: directory.url } : {}),
      rng: (i) => seededRng(`${values.seed}/device-${i}`),
      fetch: (i, device) => async (input, init) => {
        if (gone.has(i) && init?.method === 'POST' && (input.endsWith('/v1/reports') || device().messagesPosted >= 1)) throw new TypeError('the device lost its network');
        return fetch(input, init as RequestInit);
      },
    });
    if (directory) await enrolDevices(directory.url, devices);
    const t0 = Date.now();
    const results = await syncAll(devices, { concurrency: mode === 'secagg' ? N : 64 });
    const outcomes: Record<string, number> = {};
    for (const r of results) outcomes[r.outcome] = (outcomes[r.outcome] ?? 0) + 1;
    process.stdout.write(`${N} devices (${data.source}), ${mode}: ${JSON.stringify(outcomes)} in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    const roundId = results.find((r) => r.roundId)?.roundId as string;
    if (mode === 'ldp') await closeRound(server.url, roundId);
    const release = (await waitForRelease(server.url, roundId)) as RoundRelease;
    process.stdout.write(`release ${roundId}: ${release.status}, spent epsilon ${release.spent.epsilon}, delta ${release.spent.delta}\n`);
    for (const c of release.collections) {
      process.stdout.write(`\n${c.collection}\n`);
      const rows = c.groups.filter((g) => g.released).slice(0, 15);
      console.table(rows.map((g) => ({ group: g.key, ...Object.fromEntries((g.rawCounts ?? []).slice(0, 6).map((x, b) => [`bucket ${b}`, Math.round(x)])) })));
      process.stdout.write(`${c.groups.filter((g) => g.released).length} of ${c.groups.length} groups released (the others: too few devices for the gate)\n`);
    }
  } finally {
    await server.stop();
  }
} finally {
  await directory?.stop();
  tmp.remove();
}
