/**
 * HTTP fuzzing, short run (CI): every route of the aggregator (with an LDP plan and with a
 * secure-aggregation plan) and of pinhole-directory, each server a real process on 127.0.0.1 with
 * temporary storage; requests generated from each server's /v1/openapi.json (test/fuzz/http.ts).
 * FUZZ_HTTP_RUNS overrides the count per route; the long run is fuzz-http.slow.test.ts.
 */
import { describeHttpFuzz } from './fuzz/servers.js';

describeHttpFuzz('short', Number(process.env.FUZZ_HTTP_RUNS ?? 25), 20_261_204, 300_000);
