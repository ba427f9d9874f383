/**
 * HTTP fuzzing, long run: 500 requests per route (29 routes over three server processes) instead
 * of 100,000: a request is a real round trip plus a digest of the stored tables (20-45 ms on this
 * 2-core machine under load), so 100,000 per route would take days of CPU; 500 per route keeps the
 * run to about ten minutes (14,500 requests). FUZZ_HTTP_RUNS overrides the count. The short run: fuzz-http.test.ts.
 */
import { afterAll, describe, it } from 'vitest';
import { removeTempDirs } from '../packages/aggregator/test/support/server.js';
import { type FuzzedServer, aggregatorServer, directoryServer } from './fuzz/servers.js';

const RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 500);
const SEED = 1_300_013;

afterAll(removeTempDirs);

for (const [label, start] of [
  ['aggregator, LDP plan', () => aggregatorServer('ldp')],
  ['aggregator, secure-aggregation plan', () => aggregatorServer('secagg')],
  ['pinhole-directory', directoryServer],
] as const) {
  describe(`fuzz (long) over HTTP: ${label}`, () => {
    it('every route from the OpenAPI document: never 5xx, refusals are problem+json and change nothing stored, the process stays up', async () => {
      const server: FuzzedServer = await start();
      try {
        for (const op of server.operations) await server.fuzz(op, RUNS, SEED);
      } finally {
        await server.stop();
      }
    }, 3_600_000);
  });
}
