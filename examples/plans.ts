/**
 * The example carrier plans (examples/plans/*.json), made with makePlan over the public domains of
 * the mobilebandwidth data: the carrier insights that data can answer (network-type share per
 * province, share of poor measurements per operator × province, median downlink per province),
 * for 1,000 devices a round, a budget of epsilon 8 per device per week.
 * - carrier-ldp.json: local DP (each device perturbs its report), the oracle chosen per collection;
 * - carrier-secagg.json: secure aggregation with distributed Skellam noise, 10 % dropouts planned,
 *   devices checking keys with a key directory (its URL in the plan).
 * Regenerate: npx tsx --conditions=pinhole-source examples/plans.ts (a test checks the files are current).
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import type { Plan } from '@pinhole/core';
import { mobileBandwidthDomains } from './data.js';

export const PLANS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'plans');
export const CARRIER_INSIGHTS = ['network-type-share', 'poor-share', 'downlink-median'];
/** where the example runs its key directory */
export const EXAMPLE_DIRECTORY = 'http://127.0.0.1:8787';

/**
 * The example plans; `devices` (default 1,000) and `keyDirectory` (default EXAMPLE_DIRECTORY) let
 * a test or a smaller fleet make the same plans for its own cohort and directory.
 */
export function carrierPlans(o: { readonly devices?: number; readonly keyDirectory?: string } = {}): { ldp: Plan; secagg: Plan } {
  const common = {
    insights: CARRIER_INSIGHTS,
    domains: mobileBandwidthDomains(),
    budget: { epsilon: 8, delta: 1e-6 },
    expectedDevices: o.devices ?? 1000,
  } as const;
  const ldp = makePlan({ ...common, id: 'carrier-ldp', description: 'example: carrier insights, local DP (examples/plans.ts)', mode: 'ldp' });
  const secagg = makePlan({
    ...common,
    id: 'carrier-secagg',
    description: 'example: carrier insights, secure aggregation with Skellam noise and a key directory (examples/plans.ts)',
    mode: 'secagg',
    secagg: { noise: 'skellam', dropoutRate: 0.1, keyDirectory: o.keyDirectory ?? EXAMPLE_DIRECTORY },
  });
  // the engine accepts them: every resolved parameter checked against the libraries
  makeReleaseEngine(ldp);
  makeReleaseEngine(secagg);
  return { ldp, secagg };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { ldp, secagg } = carrierPlans();
  for (const [name, plan] of [
    ['carrier-ldp.json', ldp],
    ['carrier-secagg.json', secagg],
  ] as const) {
    writeFileSync(join(PLANS_DIR, name), `${JSON.stringify(plan, null, 2)}\n`);
    process.stdout.write(`wrote ${join(PLANS_DIR, name)}\n`);
  }
}
