/**
 * The device mechanisms (DEVICE_ORACLES, DEVICE_NUMERIC_MECHANISMS) against the full ones: the same
 * parameters and exact profile, the same refusals, and from the same random stream the same
 * reports and wire bytes. What a device runs is the full mechanism's code, minus decoding and tallies.
 */
import { PinholeError } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { DEVICE_NUMERIC_MECHANISMS, DEVICE_ORACLES, NUMERIC_MECHANISMS, ORACLES, type OracleName, type NumericName } from '../src/index.js';
import { privacyProfile } from '../src/exact.js';

const DEVICE_KEYS = ['name', 'epsilon', 'domainSize', 'pStar', 'qStar', 'reportBits', 'vectorLength', 'simulation', 'perturb', 'encodeReport'];

/** The error a call throws, as comparable data (or null). */
function refusal(fn: () => unknown): { code: string; param: string; message: string } | null {
  try {
    fn();
    return null;
  } catch (e) {
    if (!(e instanceof PinholeError)) throw e;
    return { code: e.code, param: e.param, message: e.message };
  }
}

/** A profile as data: a threshold function (Duchi's plusAt) as its values over inputs in [-1, 1]. */
function comparable(x: unknown): unknown {
  if (typeof x === 'function') return [-1, -0.5, 0, 0.3, 1].map((t) => (x as (t: number) => unknown)(t));
  if (Array.isArray(x)) return x.map(comparable);
  if (typeof x === 'object' && x !== null) return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, comparable(v)]));
  return x;
}

const ORACLE_CASES: { epsilon: number; domainSize: number }[] = [
  { epsilon: 0.5, domainSize: 12 },
  { epsilon: 2, domainSize: 2 },
  { epsilon: 4, domainSize: 100 },
  { epsilon: 1e-9, domainSize: 50 }, // refused by every oracle: below what its grid can meet
  { epsilon: 31, domainSize: 10 }, // above MAX_EPSILON
  { epsilon: 1, domainSize: 1 },
];

describe('device mechanisms', () => {
  it('name the same mechanisms as the full registries', () => {
    expect(Object.keys(DEVICE_ORACLES).sort()).toEqual(Object.keys(ORACLES).sort());
    expect(Object.keys(DEVICE_NUMERIC_MECHANISMS).sort()).toEqual(Object.keys(NUMERIC_MECHANISMS).sort());
  });

  for (const name of Object.keys(ORACLES) as OracleName[]) {
    it(`${name}: same parameters, profile, refusals, reports and bytes as the full oracle`, () => {
      for (const params of [...ORACLE_CASES, { ...ORACLE_CASES[0], extra: 1 } as never, { epsilon: '1', domainSize: 4 } as never]) {
        const full = refusal(() => ORACLES[name]({ ...params, allowInsecureRng: true }));
        const dev = refusal(() => DEVICE_ORACLES[name]({ ...params, allowInsecureRng: true }));
        expect(dev).toEqual(full);
        if (full !== null) continue;
        const f = ORACLES[name]({ ...params, allowInsecureRng: true });
        const d = DEVICE_ORACLES[name]({ ...params, allowInsecureRng: true });
        for (const k of DEVICE_KEYS) expect(k in d, k).toBe(true);
        expect('decodeReport' in d || 'makeTally' in d || 'simulateTally' in d).toBe(false);
        for (const k of Object.keys(d))
          if (typeof (d as unknown as Record<string, unknown>)[k] !== 'function') expect((d as unknown as Record<string, unknown>)[k], k).toEqual((f as unknown as Record<string, unknown>)[k]);
        expect(privacyProfile(d)).toBeDefined();
        expect(comparable(privacyProfile(d))).toEqual(comparable(privacyProfile(f)));
        expect(Object.isFrozen(d)).toBe(true);
        const rf = seededRng(`device-${name}`);
        const rd = seededRng(`device-${name}`);
        for (let i = 0; i < 50; i++) {
          const v = i % params.domainSize;
          const a = f.perturb(v, rf);
          const b = d.perturb(v, rd);
          expect(b).toEqual(a);
          expect(d.encodeReport(b)).toEqual(f.encodeReport(a));
          expect(f.decodeReport(d.encodeReport(b))).toEqual(a);
        }
        // a seeded rng without the opt-in, and a bad value or report, are refused alike
        const strict = DEVICE_ORACLES[name]({ epsilon: params.epsilon, domainSize: params.domainSize });
        expect(refusal(() => strict.perturb(0, seededRng('x')))?.code).toBe('insecure_rng');
        expect(refusal(() => d.perturb(params.domainSize, rd))).toEqual(refusal(() => f.perturb(params.domainSize, rf)));
        expect(refusal(() => d.encodeReport(-1))).toEqual(refusal(() => f.encodeReport(-1)));
      }
    });
  }

  for (const name of Object.keys(NUMERIC_MECHANISMS) as NumericName[]) {
    it(`${name}: same parameters, profile, refusals, reports and bytes as the full mechanism`, () => {
      for (const epsilon of [0.1, 0.5, 1, 3, 1e-30, 31, Number.NaN]) {
        const full = refusal(() => NUMERIC_MECHANISMS[name]({ epsilon, allowInsecureRng: true }));
        const dev = refusal(() => DEVICE_NUMERIC_MECHANISMS[name]({ epsilon, allowInsecureRng: true }));
        expect(dev).toEqual(full);
        if (full !== null) continue;
        const f = NUMERIC_MECHANISMS[name]({ epsilon, allowInsecureRng: true });
        const d = DEVICE_NUMERIC_MECHANISMS[name]({ epsilon, allowInsecureRng: true });
        expect('decodeReport' in d || 'makeTally' in d).toBe(false);
        for (const k of Object.keys(d))
          if (typeof (d as unknown as Record<string, unknown>)[k] !== 'function') expect((d as unknown as Record<string, unknown>)[k], k).toEqual((f as unknown as Record<string, unknown>)[k]);
        expect(privacyProfile(d)).toBeDefined();
        expect(comparable(privacyProfile(d))).toEqual(comparable(privacyProfile(f)));
        const rf = seededRng(`device-${name}-${epsilon}`);
        const rd = seededRng(`device-${name}-${epsilon}`);
        for (let i = 0; i < 50; i++) {
          const t = (i / 49) * 2 - 1;
          const a = f.perturb(t, rf);
          const b = d.perturb(t, rd);
          expect(b).toBe(a);
          expect(d.encodeReport(b)).toEqual(f.encodeReport(a));
        }
        const strict = DEVICE_NUMERIC_MECHANISMS[name]({ epsilon });
        expect(refusal(() => strict.perturb(0, seededRng('x')))?.code).toBe('insecure_rng');
        expect(refusal(() => d.perturb(1.5, rd))).toEqual(refusal(() => f.perturb(1.5, rf)));
        expect(refusal(() => d.encodeReport(12345.678))).toEqual(refusal(() => f.encodeReport(12345.678)));
      }
    });
  }
});
