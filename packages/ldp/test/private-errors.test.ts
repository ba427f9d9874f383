/**
 * Errors on the device path never carry the private value (issue 16, item 7): an app that logs or
 * uploads its errors must not leak the input it failed to perturb. perturb, encodeReport and
 * toVector (and the tallies, which share the report checks) name the parameter and the expected
 * range; the value itself does not appear in the message.
 */
import { PinholeError } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { NUMERIC_MECHANISMS, NUMERIC_NAMES, ORACLES, ORACLE_NAMES } from '../src/index.js';

/** Distinctive values whose text cannot occur in a rule by accident. */
const SECRET_NUMBERS = [1.0000001, -1.0000001, 987654.321, 12345678, -3.14159, 1e300];
const SECRET_OTHER = ['secret-460-99', { cell: 'secret-cell' }];

function messageOf(fn: () => unknown): PinholeError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PinholeError);
    return err as PinholeError;
  }
  throw new Error('expected a PinholeError');
}

function expectHidden(fn: () => unknown, secret: unknown, param: string): void {
  const e = messageOf(fn);
  expect(e.code).toBe('invalid_argument');
  expect(e.param).toBe(param);
  const text = typeof secret === 'number' ? String(secret) : JSON.stringify(secret).replace(/[{}"]/g, '').split(':').pop()!;
  expect(e.message, `message of ${param}`).not.toContain(text);
  expect(`${e.stack ?? ''}`, `stack of ${param}`).not.toContain(text);
  // it still says what was expected
  expect(e.message).toMatch(new RegExp(`^"${param.replace(/[[\]]/g, '\\$&')}" expected `));
}

describe('frequency oracles: perturb, encodeReport, toVector and tallies do not echo the value', () => {
  for (const name of ORACLE_NAMES) {
    it(name, () => {
      const o = ORACLES[name]({ epsilon: 1, domainSize: 16, allowInsecureRng: true });
      const rng = seededRng('private-errors');
      for (const v of [...SECRET_NUMBERS, ...SECRET_OTHER]) {
        expectHidden(() => o.perturb(v as number, rng), v, 'value');
        expectHidden(() => o.perturb(1, v as never), v, 'rng'); // arguments swapped by mistake
        expectHidden(() => o.encodeReport(v), v, 'report');
        expectHidden(() => o.toVector(v), v, 'report');
        expectHidden(() => o.makeTally().add(v), v, 'report');
        expectHidden(() => o.makeTally().addBatch([o.perturb(1, rng), v as never]), v, 'reports[1]');
      }
    });
  }
});

describe('numeric mechanisms: perturb, encodeReport and tallies do not echo the value', () => {
  for (const name of NUMERIC_NAMES) {
    it(name, () => {
      const m = NUMERIC_MECHANISMS[name]({ epsilon: 1, allowInsecureRng: true });
      const rng = seededRng('private-errors');
      for (const v of [...SECRET_NUMBERS, ...SECRET_OTHER]) {
        expectHidden(() => m.perturb(v as number, rng), v, 'value');
        expectHidden(() => m.perturb(0, v as never), v, 'rng');
      }
      // a raw value handed to encodeReport by mistake (perturb forgotten) is not echoed either
      for (const v of [0.123456789, 1e300, -987654.321, 'secret-460-99']) {
        expectHidden(() => m.encodeReport(v as number), v, 'report');
        expectHidden(() => m.unbias(v as number), v, 'report');
        expectHidden(() => m.makeTally().add(v as number), v, 'report');
      }
    });
  }
});
