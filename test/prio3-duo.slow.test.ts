import { afterAll, describe, expect, it } from 'vitest';
import { removeTempDirs } from '../packages/aggregator/test/support/server.js';
import { RTT_BOUNDS, collection, runDuo, truth } from './support/duo.js';

// 1,000 devices, 1 % (10) malformed in rotation, in the insecure no-noise test mode: the release of
// the two aggregators must equal the valid devices' truth exactly (prio3-duo.e2e.test.ts runs the
// same with the noise on).
afterAll(removeTempDirs);

describe('prio3 with two aggregators: 1,000 devices, no noise', () => {
  it('the release counts exactly the 990 valid reports', async () => {
    const run = await runDuo({ devices: 1000, malformedEvery: 100, noise: false, seed: 'duo-slow-exact' });
    const t = truth(run);
    expect(t.valid).toBe(990);
    const hist = collection(run, 'network-type-by-region');
    expect(hist.cohort).toBe(990);
    expect(hist.groups.flatMap((g) => g.rawCounts ?? [])).toEqual(t.counts);
    const mean = collection(run, 'rtt-by-operator');
    mean.groups.forEach((g, gi) => {
      expect(g.contributors).toBe(t.perGroup[gi]);
      expect(Math.abs((g.rawMean as number) - (t.means[gi] as number))).toBeLessThanOrEqual((RTT_BOUNDS[1] - RTT_BOUNDS[0]) / 1024);
    });
  });
});
