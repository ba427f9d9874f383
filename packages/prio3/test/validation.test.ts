/**
 * Bad parameters and malformed shares/messages: every one is a PinholeError with a code and the
 * parameter's name, never a crash, a bare Error or a silently wrong result; garbage and truncated
 * encodings are fuzzed (fast-check).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BAD_INTEGERS } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { makePrio3Count, makePrio3Histogram, makePrio3Sum, makePrio3SumVec, type Prio3 } from '../src/index.js';
import { failure } from './helpers.js';

// every parameter swept here has a default, so undefined is not a bad value
const BAD = BAD_INTEGERS.filter((v) => v !== undefined);

const ctx = new TextEncoder().encode('validation');

interface Mutation {
  kind: string;
  at?: number;
  extra?: Uint8Array;
  bit?: number;
  bytes?: Uint8Array;
}

describe('constructors', () => {
  it('refuse bad shares, lengths, bounds and chunk lengths by name', () => {
    for (const shares of [...BAD, -1, 1, 256, 0]) {
      if (Object.is(shares, -0) || shares === 2n) continue;
      expect(failure(() => makePrio3Count({ shares: shares as number }))).toMatchObject({ code: 'invalid_argument', param: 'shares' });
    }
    for (const maxMeasurement of [...BAD, -1, 0, 2 ** 53])
      expect(failure(() => makePrio3Sum({ maxMeasurement: maxMeasurement as number }))).toMatchObject({ code: 'invalid_argument', param: 'maxMeasurement' });
    for (const length of [...BAD, -1, 0, 2 ** 21]) {
      expect(failure(() => makePrio3Histogram({ length: length as number }))).toMatchObject({ code: 'invalid_argument', param: 'length' });
      expect(failure(() => makePrio3SumVec({ length: length as number, maxMeasurement: 1 }))).toMatchObject({ code: 'invalid_argument', param: 'length' });
    }
    for (const chunkLength of [...BAD, -1, 0, 65])
      expect(failure(() => makePrio3Histogram({ length: 64, chunkLength: chunkLength as number }))).toMatchObject({ code: 'invalid_argument', param: 'chunkLength' });
    expect(failure(() => makePrio3Sum(null as never))).toMatchObject({ code: 'invalid_argument', param: 'params' });
  });

  it('default the chunk length to about the square root of the encoded length', () => {
    expect(makePrio3Histogram({ length: 64 }).flp.arity).toBe(16);
    expect(makePrio3SumVec({ length: 10, maxMeasurement: 255 }).flp.arity).toBe(2 * 9);
  });
});

describe('shard', () => {
  const sum = makePrio3Sum({ maxMeasurement: 1000 });
  const nonce = new Uint8Array(16);
  const rand = new Uint8Array(sum.randSize);

  it('refuses measurements outside the domain, naming them', () => {
    for (const m of [...BAD, -1, 1001]) expect(failure(() => sum.shard(ctx, m as number, nonce, rand))).toMatchObject({ code: 'invalid_argument', param: 'measurement' });
    const count = makePrio3Count();
    for (const m of [2, -1, 0.5, 'yes', null]) expect(failure(() => count.shard(ctx, m as number, nonce, new Uint8Array(count.randSize)))).toMatchObject({ param: 'measurement' });
    const hist = makePrio3Histogram({ length: 4 });
    for (const m of [4, -1, 1.5]) expect(failure(() => hist.shard(ctx, m, nonce, new Uint8Array(hist.randSize)))).toMatchObject({ param: 'measurement' });
    const vec = makePrio3SumVec({ length: 3, maxMeasurement: 7 });
    expect(failure(() => vec.shard(ctx, [1, 2], nonce, new Uint8Array(vec.randSize)))).toMatchObject({ param: 'measurement' });
    expect(failure(() => vec.shard(ctx, [1, 8, 2], nonce, new Uint8Array(vec.randSize)))).toMatchObject({ param: 'measurement[1]' });
  });

  it('refuses a nonce, rand or ctx of the wrong type or size', () => {
    expect(failure(() => sum.shard(ctx, 1, new Uint8Array(15), rand))).toMatchObject({ code: 'invalid_argument', param: 'nonce' });
    expect(failure(() => sum.shard(ctx, 1, nonce, rand.subarray(1)))).toMatchObject({ code: 'invalid_argument', param: 'rand' });
    expect(failure(() => sum.shard('ctx' as never, 1, nonce, rand))).toMatchObject({ code: 'invalid_argument', param: 'ctx' });
    expect(failure(() => sum.shard(new Uint8Array(65528), 1, nonce, rand))).toMatchObject({ code: 'invalid_argument', param: 'ctx' });
  });

  it('makeReport refuses a seeded generator unless allowed, and draws fresh nonces', () => {
    expect(failure(() => sum.makeReport(ctx, 1, { rng: seededRng('x') }))).toMatchObject({ code: 'insecure_rng', param: 'rng' });
    const a = sum.makeReport(ctx, 1);
    const b = sum.makeReport(ctx, 1);
    expect(a.nonce).not.toEqual(b.nonce);
    expect(sum.makeReport(ctx, 1, { rng: seededRng('x'), allowInsecureRng: true }).nonce).toHaveLength(16);
  });
});

/** A valid report for each instance, with what the aggregators need. */
function setup(vdaf: Prio3<unknown, unknown>, measurement: unknown) {
  const rng = seededRng(`setup-${vdaf.name}`);
  const verifyKey = rng.bytes(32);
  const report = vdaf.makeReport(ctx, measurement, { rng, allowInsecureRng: true });
  return { verifyKey, report };
}

const instances: [string, Prio3<unknown, unknown>, unknown][] = [
  ['Count', makePrio3Count(), 1],
  ['Sum', makePrio3Sum({ maxMeasurement: 1000 }), 999],
  ['SumVec', makePrio3SumVec({ length: 3, maxMeasurement: 5 }), [5, 0, 3]],
  ['Histogram', makePrio3Histogram({ length: 10, chunkLength: 3 }), 7],
];

describe.each(instances)('%s aggregator steps', (_name, vdaf, measurement) => {
  const { verifyKey, report } = setup(vdaf, measurement);
  const init = (j: number, input = report.inputShares[j] as Uint8Array, pub = report.publicShare) => vdaf.verifyInit(verifyKey, ctx, j, report.nonce, pub, input);

  it('refuse bad arguments by name', () => {
    expect(failure(() => vdaf.verifyInit(verifyKey.subarray(1), ctx, 0, report.nonce, report.publicShare, report.inputShares[0] as Uint8Array))).toMatchObject({
      code: 'invalid_argument',
      param: 'verifyKey',
    });
    for (const id of [-1, 2, 0.5, NaN, '0'])
      expect(failure(() => vdaf.verifyInit(verifyKey, ctx, id as number, report.nonce, report.publicShare, report.inputShares[0] as Uint8Array))).toMatchObject({
        code: 'invalid_argument',
        param: 'aggregatorId',
      });
    expect(failure(() => vdaf.verifyInit(verifyKey, ctx, 0, report.nonce.subarray(2), report.publicShare, report.inputShares[0] as Uint8Array))).toMatchObject({ param: 'nonce' });
    expect(failure(() => vdaf.verifierSharesToMessage(ctx, [init(0).verifierShare]))).toMatchObject({ code: 'invalid_argument', param: 'verifierShares' });
    expect(failure(() => vdaf.verifyNext(ctx, {} as never, new Uint8Array(0)))).toMatchObject({ code: 'invalid_argument', param: 'state' });
    expect(failure(() => vdaf.unshard([vdaf.aggInit()], 1))).toMatchObject({ code: 'invalid_argument', param: 'aggShares' });
    expect(failure(() => vdaf.unshard([vdaf.aggInit(), vdaf.aggInit()], 0))).toMatchObject({ code: 'invalid_argument', param: 'numMeasurements' });
    const other = makePrio3Histogram({ length: 11 });
    expect(failure(() => vdaf.aggUpdate(vdaf.aggInit(), other.aggInit()))).toMatchObject({ code: 'invalid_argument', param: 'outShare' });
  });

  it('truncated, extended or garbage encodings are decode_failed or verify_failed, never another error', () => {
    const shares = [init(0), init(1)];
    const message = vdaf.verifierSharesToMessage(
      ctx,
      shares.map((s) => s.verifierShare),
    );
    const mutate = fc.oneof(
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('extend' as const), extra: fc.uint8Array({ minLength: 1, maxLength: 40 }) }),
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('garbage' as const), bytes: fc.uint8Array({ maxLength: 600 }) }),
    );
    const apply = (b: Uint8Array, m: Mutation): Uint8Array => {
      if (m.kind === 'truncate') return b.slice(0, b.length ? (m.at as number) % b.length : 0);
      if (m.kind === 'extend') return Uint8Array.from([...b, ...(m.extra as Uint8Array)]);
      if (m.kind === 'flip' && b.length) {
        const c = b.slice();
        const i = (m.at as number) % b.length;
        c[i] = (c[i] as number) ^ (1 << (m.bit as number));
        return c;
      }
      return m.bytes ?? b;
    };
    const expectRejected = (fn: () => unknown): void => {
      try {
        fn();
      } catch (e) {
        expect(e).toMatchObject({ name: 'PinholeError' });
        expect(['decode_failed', 'verify_failed']).toContain((e as { code: string }).code);
        return;
      }
      throw new Error('a mutated encoding was accepted');
    };
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4 }), mutate, (target, m) => {
        switch (target) {
          case 0: {
            // leader input share: mutated → decode error, or a failed proof (every byte is bound)
            const bad = apply(report.inputShares[0] as Uint8Array, m);
            if (bad.length === (report.inputShares[0] as Uint8Array).length && bad.every((x, i) => x === (report.inputShares[0] as Uint8Array)[i])) return;
            expectRejected(() => vdaf.verifierSharesToMessage(ctx, [init(0, bad).verifierShare, shares[1]!.verifierShare]));
            return;
          }
          case 1: {
            const bad = apply(report.inputShares[1] as Uint8Array, m);
            if (bad.length === (report.inputShares[1] as Uint8Array).length && bad.every((x, i) => x === (report.inputShares[1] as Uint8Array)[i])) return;
            expectRejected(() => vdaf.verifierSharesToMessage(ctx, [shares[0]!.verifierShare, init(1, bad).verifierShare]));
            return;
          }
          case 2: {
            const bad = apply(shares[1]!.verifierShare, m);
            if (bad.length === shares[1]!.verifierShare.length && bad.every((x, i) => x === shares[1]!.verifierShare[i])) return;
            expectRejected(() => {
              const msg = vdaf.verifierSharesToMessage(ctx, [shares[0]!.verifierShare, bad]);
              vdaf.verifyNext(ctx, shares[0]!.state, msg);
            });
            return;
          }
          case 3: {
            const bad = apply(message, m);
            if (bad.length === message.length && bad.every((x, i) => x === message[i])) return;
            expectRejected(() => vdaf.verifyNext(ctx, shares[0]!.state, bad));
            return;
          }
          default: {
            const agg = vdaf.aggregate([vdaf.verifyNext(ctx, shares[0]!.state, message)]).encode();
            const bad = apply(agg, m);
            if (bad.length === agg.length) return; // any in-range vector is a valid aggregate share
            expectRejected(() => vdaf.decodeAggShare(bad));
          }
        }
      }),
      { numRuns: 150, seed: 20260624 },
    );
  });

  it('refuses a forged or foreign verify state by name', () => {
    // found by fuzzing (test/fuzz/prio3.ts): a state whose correctedJointRandSeed is null crashed with a TypeError
    const { state } = init(0);
    const shares = [init(0), init(1)];
    const message = vdaf.verifierSharesToMessage(
      ctx,
      shares.map((s) => s.verifierShare),
    );
    for (const forged of [
      { ...state, correctedJointRandSeed: null },
      { ...state, correctedJointRandSeed: new Uint8Array(3) },
      { ...state, aggregatorId: 2 },
      { ...state, aggregatorId: '0' },
      { ...state, outShare: makePrio3Histogram({ length: 11 }).aggInit() },
    ]) {
      if (forged.correctedJointRandSeed === null && state.correctedJointRandSeed === null) continue;
      expect(failure(() => vdaf.verifyNext(ctx, forged as never, message))).toMatchObject({ code: 'invalid_argument', param: 'state' });
    }
  });

  it('a public share of the wrong length is decode_failed (publicShare)', () => {
    const pub = Uint8Array.from([...report.publicShare, 0]);
    expect(failure(() => init(0, undefined, pub))).toMatchObject({ code: 'decode_failed', param: 'publicShare' });
  });
});

describe('field elements at or above the modulus', () => {
  it('are decode_failed in an input share, a verifier share and an aggregate share', () => {
    const hist = makePrio3Histogram({ length: 4, chunkLength: 2 });
    const { verifyKey, report } = setup(hist, 1);
    const leader = (report.inputShares[0] as Uint8Array).slice();
    leader.fill(0xff, 0, 16); // 2^128 − 1 > p
    expect(failure(() => hist.verifyInit(verifyKey, ctx, 0, report.nonce, report.publicShare, leader))).toMatchObject({ code: 'decode_failed', param: 'inputShare' });
    const share = hist.verifyInit(verifyKey, ctx, 0, report.nonce, report.publicShare, report.inputShares[0] as Uint8Array).verifierShare.slice();
    share.fill(0xff, 0, 16);
    expect(failure(() => hist.verifierSharesToMessage(ctx, [share, share]))).toMatchObject({ code: 'decode_failed', param: 'verifierShares[0]' });
    const agg = new Uint8Array(4 * 16).fill(0xff);
    expect(failure(() => hist.unshard([agg, agg], 1))).toMatchObject({ code: 'decode_failed', param: 'aggShares[0]' });
  });
});
