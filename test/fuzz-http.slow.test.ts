/**
 * HTTP fuzzing, long run: 500 requests per route (29 routes over three server processes) instead
 * of 100,000: a request is a real round trip plus a digest of the stored tables (20-45 ms on this
 * 2-core machine under load), so 100,000 per route would take days of CPU; 500 per route keeps the
 * run to about ten minutes (14,500 requests). FUZZ_HTTP_RUNS overrides the count. The short run: fuzz-http.e2e.test.ts.
 */
import { describeHttpFuzz } from './fuzz/servers.js';

describeHttpFuzz('long', Number(process.env.FUZZ_HTTP_RUNS ?? 500), 1_300_013, 3_600_000);
