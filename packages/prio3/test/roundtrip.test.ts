/**
 * End to end in process: clients shard, two or three aggregators verify and aggregate, the
 * collector unshards the exact sum; a client whose encoded measurement is out of range (an
 * honest prover of a false statement) is rejected at the verifier-message step.
 */
import { describe, expect, it } from 'vitest';
import { isPinholeError } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { makePrio3Count, makePrio3Histogram, makePrio3Sum, makePrio3SumVec, generateVerifyKey, type Prio3 } from '../src/index.js';

const ctx = new TextEncoder().encode('pinhole round trip');

/** Runs every report through the aggregators; returns the result and the rejected report indices. */
function run<M, R>(vdaf: Prio3<M, R>, measurements: M[], seed: string): { result: R | null; rejected: number[] } {
  const rng = seededRng(seed);
  const verifyKey = generateVerifyKey(rng);
  const aggs = Array.from({ length: vdaf.shares }, () => vdaf.aggInit());
  const rejected: number[] = [];
  let accepted = 0;
  measurements.forEach((m, i) => {
    const report = vdaf.makeReport(ctx, m, { rng, allowInsecureRng: true });
    const inits = report.inputShares.map((s, j) => vdaf.verifyInit(verifyKey, ctx, j, report.nonce, report.publicShare, s));
    try {
      const message = vdaf.verifierSharesToMessage(
        ctx,
        inits.map((x) => x.verifierShare),
      );
      inits.forEach((x, j) => vdaf.aggUpdate(aggs[j]!, vdaf.verifyNext(ctx, x.state, message)));
      accepted++;
    } catch (e) {
      if (!isPinholeError(e, 'verify_failed')) throw e;
      rejected.push(i);
    }
  });
  const encoded = aggs.map((a) => a.encode()); // as they travel to the collector
  return { result: accepted ? vdaf.unshard(encoded, accepted) : null, rejected };
}

describe('round trips', () => {
  const rng = seededRng('measurements');
  it('Count, 2 and 3 aggregators', () => {
    const ms = Array.from({ length: 40 }, () => rng.int(2));
    for (const shares of [2, 3]) expect(run(makePrio3Count({ shares }), ms, `count${shares}`)).toEqual({ result: ms.reduce((a, b) => a + b, 0), rejected: [] });
  });
  it('Sum near the range edges, including a max that is not 2^k − 1', () => {
    for (const max of [1, 2, 255, 1337, 2 ** 32 - 1, Number.MAX_SAFE_INTEGER]) {
      const ms = [0, max, Math.floor(max / 2), ...Array.from({ length: 10 }, () => rng.int(Math.min(max, 2 ** 32 - 1) + 1))];
      expect(run(makePrio3Sum({ maxMeasurement: max }), ms, `sum${max}`)).toEqual({ result: ms.reduce((a, b) => a + BigInt(b), 0n), rejected: [] });
    }
  });
  it('SumVec', () => {
    const vdaf = makePrio3SumVec({ length: 5, maxMeasurement: 100, shares: 3 });
    const ms = Array.from({ length: 20 }, () => Array.from({ length: 5 }, () => rng.int(101)));
    const expected = [0, 1, 2, 3, 4].map((k) => ms.reduce((a, m) => a + BigInt(m[k]!), 0n));
    expect(run(vdaf, ms, 'sumvec')).toEqual({ result: expected, rejected: [] });
  });
  it('Histogram with 64 buckets', () => {
    const vdaf = makePrio3Histogram({ length: 64, chunkLength: 8 });
    const ms = Array.from({ length: 100 }, () => rng.int(64));
    const expected = Array.from({ length: 64 }, (_, b) => ms.filter((m) => m === b).length);
    expect(run(vdaf, ms, 'hist')).toEqual({ result: expected, rejected: [] });
  });
});

describe('a malicious client is rejected, and only it', () => {
  it('Histogram: two buckets set, or a bucket set to 2', () => {
    const honest = makePrio3Histogram({ length: 8, chunkLength: 3 });
    const evil = makePrio3Histogram({ length: 8, chunkLength: 3 });
    const encode = evil.circuit.encode.bind(evil.circuit);
    // The client's FLP proves whatever it encodes; an invalid encoding cannot be proven valid.
    (evil.circuit as { encode: (m: number) => Uint32Array }).encode = (m: number) => {
      const v = encode(m % 8);
      evil.field.add(v, m >= 8 ? (m + 1) % 8 : m % 8, v, m >= 8 ? (m + 1) % 8 : m % 8, evil.field.constant(1), 0);
      return v;
    };
    const ms = [1, 2, 3];
    const ok = run(honest, ms, 'evil');
    expect(ok.rejected).toEqual([]);
    expect(run(evil, [3, 11], 'evil2').rejected).toEqual([0, 1]);
  });

  it('Sum: a bit that is not 0 or 1', () => {
    const evil = makePrio3Sum({ maxMeasurement: 255 });
    const encode = evil.circuit.encode.bind(evil.circuit);
    (evil.circuit as { encode: (m: number) => Uint32Array }).encode = (m: number) => {
      const v = encode(m);
      evil.field.copy(v, 0, evil.field.constant(2), 0);
      return v;
    };
    expect(run(evil, [4, 4], 'evil-sum').rejected).toEqual([0, 1]);
  });
});
