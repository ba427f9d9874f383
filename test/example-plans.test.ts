/**
 * The committed example plans (examples/plans/*.json, which the README's server command and the
 * client benchmark load) are what examples/plans.ts makes today: a calibration change that is not
 * regenerated would leave them describing noise the code no longer adds.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PLANS_DIR, carrierPlans } from '../examples/plans.js';

describe('example plans', () => {
  it('match what examples/plans.ts makes (regenerate: npx tsx --conditions=pinhole-source examples/plans.ts)', () => {
    const { ldp, secagg } = carrierPlans();
    for (const [name, plan] of [
      ['carrier-ldp.json', ldp],
      ['carrier-secagg.json', secagg],
    ] as const) {
      expect(JSON.parse(readFileSync(join(PLANS_DIR, name), 'utf8')), name).toEqual(JSON.parse(JSON.stringify(plan)));
    }
  });
});
