/** Local hashing: the fast decoder equals the reference exactly; the hash family's collision law. */
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { makeBlh, makeOlh } from '../src/index.js';
import { localHashSupportFast } from '../src/server.js';
import { localHashSupportReference } from '../src/local-hashing.js';
import { bucketSizes, collisionProbability, hashBucket } from './internals.js';

describe('local hashing decoders', () => {
  for (const [label, make, epsilon, d] of [
    ['olh eps=1 d=1024', makeOlh, 1, 1024],
    ['olh eps=4 d=1000', makeOlh, 4, 1000],
    ['olh eps=0.5 d=65536', makeOlh, 0.5, 65536],
    ['blh eps=2 d=333', makeBlh, 2, 333],
  ] as const) {
    it(`${label}: fast support == reference support, so the estimates are identical`, () => {
      const o = make({ epsilon, domainSize: d, allowInsecureRng: true });
      const rng = seededRng(`olh-decoder/${label}`);
      const n = d > 10000 ? 300 : 3000;
      const reports = Array.from({ length: n }, (_, i) => o.perturb((i * 31) % d, rng));
      // adversarial seeds too: a = 0, b = 0, a = 2^32 - 1, y at both ends
      reports.push({ a: 0, b: 0, y: 0 }, { a: 4294967295, b: 4294967295, y: o.g - 1 }, { a: 65536, b: 123, y: 0 });
      const fast = localHashSupportFast(reports, d, o.g);
      const ref = localHashSupportReference(reports, d, o.g);
      expect(Array.from(fast)).toEqual(Array.from(ref));
      const tally = o.makeTally();
      tally.addBatch(reports);
      expect(Array.from(tally.support())).toEqual(Array.from(ref));
      const refTally = o.makeTally();
      refTally.addAggregate(ref, reports.length);
      expect(Array.from(o.estimate(tally))).toEqual(Array.from(o.estimate(refTally)));
    });
  }

  it('olh picks g = round(e^epsilon + 1) and blh g = 2', () => {
    expect(makeOlh({ epsilon: 1, domainSize: 16 }).g).toBe(4);
    expect(makeOlh({ epsilon: 4, domainSize: 16 }).g).toBe(56);
    expect(makeBlh({ epsilon: 4, domainSize: 16 }).g).toBe(2);
  });
});

describe('the multiply-add-shift hash family', () => {
  it('bucket sizes cover the 2^16 outputs; kappa = 1/g when g divides 2^16', () => {
    for (const g of [2, 3, 4, 7, 56, 1000]) {
      const s = bucketSizes(g);
      expect(s.reduce((a, b) => a + b, 0)).toBe(65536);
      expect(Math.max(...s) - Math.min(...s)).toBeLessThanOrEqual(1);
    }
    expect(collisionProbability(4)).toBe(0.25);
    expect(collisionProbability(3)).toBeGreaterThan(1 / 3);
    expect(collisionProbability(3) - 1 / 3).toBeLessThan(3 / 2 ** 34);
  });

  it('two fixed values collide with probability kappa over random seeds', () => {
    // 400,000 seeds, g = 3: |rate - kappa| <= 4.42 sqrt(kappa(1-kappa)/N) (false failure ~1e-5)
    const rng = seededRng('hash-collisions');
    const g = 3;
    const N = 400_000;
    let hits = 0;
    for (let i = 0; i < N; i++) {
      const a = rng.u32();
      const b = rng.u32();
      if (hashBucket(a, b, 12, g) === hashBucket(a, b, 12 + 4096, g)) hits++; // values differing in a high bit only
    }
    const k = collisionProbability(g);
    expect(Math.abs(hits / N - k)).toBeLessThanOrEqual(4.42 * Math.sqrt((k * (1 - k)) / N));
  });
});
