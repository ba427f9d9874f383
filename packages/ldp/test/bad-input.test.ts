/**
 * Bad-input sweeps over every public function: each bad value gives the documented PinholeError
 * code and param, and state that was already accepted is unchanged afterwards.
 */
import { cryptoRng } from '@pinhole/core';
import { encodeEnvelope } from '@pinhole/core/wire';
import { BAD_NUMBERS, expectPinholeError, expectPinholeRejection } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { NUMERIC_MECHANISMS, NUMERIC_NAMES, ORACLES, ORACLE_NAMES, auditLikelihoodRatio, clampAndNormalize, hierarchyConsistency, makeSquareWave, normSub, recommendOracle } from '../src/index.js';
import { distributionQuantile, squareWaveEm } from '../src/server.js';
import { squareWaveEmReference } from '../src/square-wave-em.js';

const BAD_EPSILON = [...BAD_NUMBERS, 0, -0, -1, 31];
const BAD_DOMAIN = [...BAD_NUMBERS, 0, -0, 1, -3, 2.5, 2 ** 40];
const BAD_BYTES: unknown[] = [
  new Uint8Array(0),
  new Uint8Array([1, 2, 3, 4, 5]),
  new Uint8Array([0x50, 0x48, 9, 0x90]), // unknown wire version
  new Uint8Array([0x50, 0x48, 1, 0x92, 0xa7]), // truncated
  'PH',
  null,
  [0x50, 0x48],
];
const rng = () => seededRng('bad-input');

describe('frequency oracles', () => {
  for (const name of ORACLE_NAMES) {
    const make = ORACLES[name];
    const o = make({ epsilon: 1, domainSize: 16, allowInsecureRng: true });
    const good = () => o.perturb(3, rng());

    it(`${name}: make validates params`, () => {
      for (const p of [null, 5, 'x', [], undefined]) expectPinholeError(() => make(p as never), 'invalid_argument', 'params');
      for (const e of BAD_EPSILON) expectPinholeError(() => make({ epsilon: e as number, domainSize: 16 }), 'invalid_argument', 'epsilon');
      for (const d of BAD_DOMAIN) expectPinholeError(() => make({ epsilon: 1, domainSize: d as number }), 'invalid_argument', 'domainSize');
      for (const a of ['yes', 1, null]) expectPinholeError(() => make({ epsilon: 1, domainSize: 16, allowInsecureRng: a as unknown as boolean }), 'invalid_argument', 'allowInsecureRng');
      expectPinholeError(() => make({ epsilon: 1, domainSize: 16, epsilo: 2 } as never), 'invalid_argument', 'epsilo');
    });

    it(`${name}: perturb validates value and rng; refuses an insecure rng unless allowed`, () => {
      for (const v of [...BAD_NUMBERS, -1, -0, 16, 1.5]) expectPinholeError(() => o.perturb(v as number, rng()), 'invalid_argument', 'value');
      for (const r of [null, {}, 5, Math]) expectPinholeError(() => o.perturb(1, r as never), 'invalid_argument', 'rng');
      const strict = make({ epsilon: 1, domainSize: 16 });
      expectPinholeError(() => strict.perturb(1, rng()), 'insecure_rng', 'rng');
      expect(() => strict.perturb(1, cryptoRng())).not.toThrow();
    });

    it(`${name}: decodeReport refuses garbage, truncated, foreign and out-of-range payloads`, () => {
      for (const b of BAD_BYTES) expectPinholeError(() => o.decodeReport(b as Uint8Array), 'decode_failed', 'bytes');
      const bytes = o.encodeReport(good());
      for (let cut = 1; cut < bytes.length; cut++) expectPinholeError(() => o.decodeReport(bytes.slice(0, cut)), 'decode_failed', 'bytes');
      expectPinholeError(() => o.decodeReport(encodeEnvelope('ldp/not-this-one', 1)), 'decode_failed', 'bytes');
      for (const payload of [-1, 1e9, 1.5, 'x', null, [1, 2], [0, 0, 1e6], { a: 1 }, new Uint8Array(99), new Uint8Array([255, 255, 0])]) {
        expectPinholeError(() => o.decodeReport(encodeEnvelope(`ldp/${name}`, payload)), 'decode_failed', 'bytes');
      }
    });

    it(`${name}: encodeReport, toVector and tallies refuse bad reports and keep their state`, () => {
      const badReports = [null, -1, 1e9, 1.5, 'x', new Uint8Array(99), { a: -1, b: 0, y: 0 }, { a: 0, b: 0, y: 1e6 }, undefined];
      for (const r of badReports) {
        expectPinholeError(() => o.encodeReport(r), 'invalid_argument', 'report');
        expectPinholeError(() => o.toVector(r), 'invalid_argument', 'report');
      }
      const t = o.makeTally();
      t.addBatch([good(), good()]);
      const before = Array.from(t.support());
      for (const r of badReports) expectPinholeError(() => t.add(r), 'invalid_argument', 'report');
      expectPinholeError(() => t.addBatch([good(), null as never, good()]), 'invalid_argument', 'reports[1]');
      expectPinholeError(() => t.addBatch('x' as never), 'invalid_argument', 'reports');
      expectPinholeError(() => t.addAggregate(new Float64Array(3), 1), 'invalid_argument', 'vector');
      expectPinholeError(() => t.addAggregate(new Float64Array(o.vectorLength).fill(2), 1), 'invalid_argument', 'vector[0]');
      expectPinholeError(() => t.addAggregate(new Float64Array(o.vectorLength).fill(0.5), 1), 'invalid_argument', 'vector[0]');
      for (const n of [-1, 1.5, Number.NaN]) expectPinholeError(() => t.addAggregate(new Float64Array(o.vectorLength), n), 'invalid_argument', 'n');
      const other = ORACLES[name]({ epsilon: 2, domainSize: 16 }).makeTally();
      expectPinholeError(() => t.merge(other as never), 'invalid_argument', 'other');
      expect(t.n).toBe(2);
      expect(Array.from(t.support())).toEqual(before);
    });

    it(`${name}: estimate, variance and simulateTally validate`, () => {
      expectPinholeError(() => o.estimate(o.makeTally()), 'invalid_state', 'tally');
      const foreign = ORACLES[name]({ epsilon: 1, domainSize: 17 }).makeTally();
      expectPinholeError(() => o.estimate(foreign as never), 'invalid_argument', 'tally');
      expectPinholeError(() => o.estimate({} as never), 'invalid_argument', 'tally');
      expectPinholeError(() => o.estimateCounts(o.makeTally()), 'invalid_state', 'tally');
      expectPinholeError(() => o.estimateCounts(foreign as never), 'invalid_argument', 'tally');
      for (const n of [0, -1, 1.5, Number.NaN, Infinity, '5']) expectPinholeError(() => o.variance(n as number), 'invalid_argument', 'n');
      for (const f of [-0.1, 1.1, Number.NaN, '0.5']) expectPinholeError(() => o.variance(10, f as number), 'invalid_argument', 'trueFrequency');
      for (const c of [null, [1, 2], new Float64Array(16), 'x']) expectPinholeError(() => o.simulateTally(c as never, rng()), 'invalid_argument', 'trueCounts');
      const counts = new Array(16).fill(1);
      counts[4] = -1;
      expectPinholeError(() => o.simulateTally(counts, rng()), 'invalid_argument', 'trueCounts[4]');
      counts[4] = 0.5;
      expectPinholeError(() => o.simulateTally(counts, rng()), 'invalid_argument', 'trueCounts[4]');
    });
  }
});

describe('numeric mechanisms', () => {
  for (const name of NUMERIC_NAMES) {
    const make = NUMERIC_MECHANISMS[name];
    const m = make({ epsilon: 1, allowInsecureRng: true });
    it(`${name}: make, perturb, decode, tally, estimate and variance validate`, () => {
      for (const p of [null, 5, 'x', []]) expectPinholeError(() => make(p as never), 'invalid_argument', 'params');
      for (const e of BAD_EPSILON) expectPinholeError(() => make({ epsilon: e as number }), 'invalid_argument', 'epsilon');
      expectPinholeError(() => make({ epsilon: 1, domainSize: 4 } as never), 'invalid_argument', 'domainSize');
      // -0 is a value in [-1, 1]
      for (const v of [...BAD_NUMBERS.filter((b) => !Object.is(b, -0)), 1.01, -1.01]) expectPinholeError(() => m.perturb(v as number, rng()), 'invalid_argument', 'value');
      expectPinholeError(() => m.perturb(0, null as never), 'invalid_argument', 'rng');
      expectPinholeError(() => make({ epsilon: 1 }).perturb(0, rng()), 'insecure_rng', 'rng');
      for (const b of BAD_BYTES) expectPinholeError(() => m.decodeReport(b as Uint8Array), 'decode_failed', 'bytes');
      for (const payload of ['x', null, 1e300, 2 ** -40, Number.NaN, [1]]) {
        expectPinholeError(() => m.decodeReport(encodeEnvelope(`ldp/${name}`, payload)), 'decode_failed', 'bytes');
      }
      const t = m.makeTally();
      t.add(m.perturb(0.5, rng()));
      for (const r of [Number.NaN, Infinity, 'x', null, 1e300]) expectPinholeError(() => t.add(r as number), 'invalid_argument', 'report');
      expectPinholeError(() => t.addBatch([m.perturb(0, rng()), Number.NaN]), 'invalid_argument', 'reports[1]');
      expectPinholeError(() => t.merge(make({ epsilon: 2 }).makeTally()), 'invalid_argument', 'other');
      expect(t.n).toBe(1);
      expectPinholeError(() => m.estimate(m.makeTally()), 'invalid_state', 'tally');
      expectPinholeError(() => m.estimate({} as never), 'invalid_argument', 'tally');
      for (const n of [0, 1.5, Number.NaN]) expectPinholeError(() => m.variance(n), 'invalid_argument', 'n');
      for (const v of [1.5, Number.NaN, '0']) expectPinholeError(() => m.variance(10, v as number), 'invalid_argument', 'trueValue');
      expectPinholeError(() => m.reportVariance(2), 'invalid_argument', 'trueValue');
      expectPinholeError(() => m.encodeReport(Number.NaN), 'invalid_argument', 'report');
      for (const r of [Number.NaN, 'x', 1e300]) expectPinholeError(() => m.unbias(r as number), 'invalid_argument', 'report');
    });
  }
  it('square-wave: bins and small epsilon', () => {
    for (const b of [1, 4097, 2.5, '8']) expectPinholeError(() => makeSquareWave({ epsilon: 1, bins: b as number }), 'invalid_argument', 'bins');
    expectPinholeError(() => makeSquareWave({ epsilon: 0.001 }), 'invalid_argument', 'epsilon');
    for (const t of [1.5, Number.NaN]) expectPinholeError(() => makeSquareWave({ epsilon: 1 }).reportMoments(t), 'invalid_argument', 'trueValue');
  });
});

describe('post-processing, recommender, audit, simulation samplers', () => {
  it('normSub and clampAndNormalize', () => {
    for (const fn of [normSub, clampAndNormalize]) {
      for (const e of [[], 'x', null, [1, Number.NaN], [1, 'a']]) expect(() => fn(e as never)).toThrow(/estimates/);
      expectPinholeError(() => fn([1, Number.NaN]), 'invalid_argument', 'estimates[1]');
      expectPinholeError(() => fn([]), 'invalid_argument', 'estimates');
      for (const t of [0, -1, Number.NaN]) expectPinholeError(() => fn([0.5, 0.5], t), 'invalid_argument', 'total');
    }
  });
  it('hierarchyConsistency', () => {
    expectPinholeError(() => hierarchyConsistency([], { branching: 2 }), 'invalid_argument', 'levels');
    expectPinholeError(() => hierarchyConsistency([[1], [1, 2, 3]], { branching: 2 }), 'invalid_argument', 'levels[1]');
    expectPinholeError(() => hierarchyConsistency([[1], [1, 0]], { branching: 1 }), 'invalid_argument', 'branching');
    expectPinholeError(() => hierarchyConsistency([[1], [1, 0]], null as never), 'invalid_argument', 'options');
    expectPinholeError(() => hierarchyConsistency([[1], [1, 0]], { branching: 2, variances: [1] }), 'invalid_argument', 'variances');
    expectPinholeError(() => hierarchyConsistency([[1], [1, 0]], { branching: 2, variances: [1, -1] }), 'invalid_argument', 'variances[1]');
  });
  it('recommendOracle', () => {
    expectPinholeError(() => recommendOracle(null as never), 'invalid_argument', 'params');
    expectPinholeError(() => recommendOracle({ domainSize: 1, epsilon: 1, n: 10 }), 'invalid_argument', 'domainSize');
    expectPinholeError(() => recommendOracle({ domainSize: 8, epsilon: Number.NaN, n: 10 }), 'invalid_argument', 'epsilon');
    expectPinholeError(() => recommendOracle({ domainSize: 8, epsilon: 1, n: 0 }), 'invalid_argument', 'n');
    expectPinholeError(() => recommendOracle({ domainSize: 8, epsilon: 1, n: 5, d: 3 } as never), 'invalid_argument', 'd');
  });
  it('auditLikelihoodRatio', () => {
    expectPinholeError(() => auditLikelihoodRatio({ events: 5, trials: 4, neighbourEvents: 0, neighbourTrials: 1 }), 'invalid_argument', 'successes');
    expectPinholeError(() => auditLikelihoodRatio({ events: 1, trials: 4, neighbourEvents: 0, neighbourTrials: 1 }, 1), 'invalid_argument', 'alpha');
    expectPinholeError(() => auditLikelihoodRatio(null as never), 'invalid_argument', 'counts');
    expectPinholeError(() => auditLikelihoodRatio({ events: 1, trials: 0, neighbourEvents: 0, neighbourTrials: 1 }), 'invalid_argument', 'trials');
  });
  it('Square Wave EM and quantiles', async () => {
    const m = makeSquareWave({ epsilon: 1, bins: 8 });
    const hist = new Float64Array(m.outputBins).fill(1);
    for (const fn of [squareWaveEmReference, squareWaveEm]) {
      const run = (...a: unknown[]) => Promise.resolve().then(() => (fn as (...x: unknown[]) => unknown)(...a));
      await expectPinholeRejection(() => run(null, hist), 'invalid_argument', 'mechanism');
      await expectPinholeRejection(() => run(NUMERIC_MECHANISMS.duchi({ epsilon: 1 }), hist), 'invalid_argument', 'mechanism');
      await expectPinholeRejection(() => run(m, new Float64Array(3)), 'invalid_argument', 'histogram');
      await expectPinholeRejection(() => run(m, new Float64Array(m.outputBins)), 'invalid_argument', 'histogram');
      await expectPinholeRejection(
        () =>
          run(
            m,
            Float64Array.from(hist, (_, i) => (i === 2 ? -1 : 1)),
          ),
        'invalid_argument',
        'histogram[2]',
      );
      await expectPinholeRejection(() => run(m, hist, { maxIterations: 0 }), 'invalid_argument', 'maxIterations');
      await expectPinholeRejection(() => run(m, hist, { tolerance: -1 }), 'invalid_argument', 'tolerance');
      await expectPinholeRejection(() => run(m, hist, { smoothing: 'yes' }), 'invalid_argument', 'smoothing');
      await expectPinholeRejection(() => run(m, hist, { checkEvery: 0 }), 'invalid_argument', 'checkEvery');
    }
    expectPinholeError(() => distributionQuantile([], 0.5), 'invalid_argument', 'distribution');
    expectPinholeError(() => distributionQuantile([0, 0], 0.5), 'invalid_argument', 'distribution');
    expectPinholeError(() => distributionQuantile([1, -1], 0.5), 'invalid_argument', 'distribution[1]');
    expectPinholeError(() => distributionQuantile([1, 1], 1.5), 'invalid_argument', 'q');
  });
});
