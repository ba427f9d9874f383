/**
 * HTTP fuzzing, short run (CI): every route of the aggregator (with an LDP plan and with a
 * secure-aggregation plan) and of pinhole-directory, each server a real process on 127.0.0.1 with
 * temporary storage; requests generated from each server's /v1/openapi.json (test/fuzz/http.ts).
 * FUZZ_HTTP_RUNS overrides the count per route; the long run is fuzz-http.slow.test.ts.
 */
import { afterAll, describe, it } from 'vitest';
import { removeTempDirs } from '../packages/aggregator/test/support/server.js';
import { type FuzzedServer, aggregatorServer, directoryServer } from './fuzz/servers.js';

const RUNS = Number(process.env.FUZZ_HTTP_RUNS ?? 25);
const SEED = 20_261_204;

afterAll(removeTempDirs);

for (const [label, start] of [
  ['aggregator, LDP plan', () => aggregatorServer('ldp')],
  ['aggregator, secure-aggregation plan', () => aggregatorServer('secagg')],
  ['pinhole-directory', directoryServer],
] as const) {
  describe(`fuzz (short) over HTTP: ${label}`, () => {
    it('every route from the OpenAPI document: never 5xx, refusals are problem+json and change nothing stored, the process stays up', async () => {
      const server: FuzzedServer = await start();
      try {
        for (const op of server.operations) await server.fuzz(op, RUNS, SEED);
      } finally {
        await server.stop();
      }
    }, 300_000);
  });
}
