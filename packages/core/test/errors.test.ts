import { describe, expect, it } from 'vitest';
import { PINHOLE_ERROR_CODES, PinholeError, isPinholeError } from '@pinhole/core';
import {
  checkBoolean,
  checkDelta,
  checkEpsilon,
  checkFinite,
  checkIncreasing,
  checkInteger,
  checkNumber,
  checkOneOf,
  checkProbability,
  checkString,
  checkUint8Array,
  describeValue,
} from '@pinhole/core/validate';
import { roundUpSignificant, toDyadic } from '@pinhole/core/exact';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';

describe('PinholeError and validators', () => {
  it('carries code, param and the documented message format', () => {
    const e = expectPinholeError(() => checkEpsilon(NaN), 'invalid_argument', 'epsilon');
    expect(e.message).toBe('"epsilon" expected a finite number > 0, got NaN');
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe('PinholeError');
    expect(isPinholeError(e, 'invalid_argument')).toBe(true);
    expect(isPinholeError(new Error('x'))).toBe(false);
    expect(e.toProblem()).toMatchObject({ code: 'invalid_argument', param: 'epsilon', detail: e.message });
    expect(PINHOLE_ERROR_CODES).toContain('budget_exceeded');
    expect(new PinholeError('decode_failed', 'bytes', 'x', { cause: 1 }).cause).toBe(1);
  });

  it('describes every kind of received value', () => {
    expect(describeValue(-0)).toBe('-0');
    expect(describeValue('a')).toBe('"a"');
    expect(describeValue(1n)).toBe('1n');
    expect(describeValue(null)).toBe('null');
    expect(describeValue(undefined)).toBe('undefined');
    expect(describeValue([1, 2])).toBe('an array of length 2');
    expect(describeValue(new Uint8Array(3))).toBe('a Uint8Array of length 3');
    expect(describeValue({})).toBe('an object');
    expect(describeValue(() => 1)).toBe('a function');
  });

  it('numeric validators sweep bad values', () => {
    for (const bad of BAD_NUMBERS) {
      expectPinholeError(() => checkNumber('x', bad), 'invalid_argument', 'x');
      expectPinholeError(() => checkInteger('n', bad), 'invalid_argument', 'n');
      expectPinholeError(() => checkEpsilon(bad), 'invalid_argument', 'epsilon');
      expectPinholeError(() => checkDelta(bad), 'invalid_argument', 'delta');
      expectPinholeError(() => checkProbability('p', bad), 'invalid_argument', 'p');
    }
    expectPinholeError(() => checkInteger('n', 1.5), 'invalid_argument', 'n');
    expectPinholeError(() => checkInteger('n', 2 ** 53), 'invalid_argument', 'n');
    expectPinholeError(() => checkNumber('x', 5, { lt: 5 }), 'invalid_argument', 'x');
    expectPinholeError(() => checkNumber('x', 5, { le: 4 }), 'invalid_argument', 'x');
    expectPinholeError(() => checkNumber('x', 1, { gt: 1 }), 'invalid_argument', 'x');
    expectPinholeError(() => checkDelta(1), 'invalid_argument', 'delta');
    expectPinholeError(() => checkProbability('p', 0, true), 'invalid_argument', 'p');
    expect(checkFinite('v', -0)).toBe(-0);
    expectPinholeError(() => checkFinite('v', Infinity), 'invalid_argument', 'v');
  });

  it('other validators', () => {
    expect(checkBoolean('b', false)).toBe(false);
    expectPinholeError(() => checkBoolean('b', 0), 'invalid_argument', 'b');
    expectPinholeError(() => checkString('s', 1), 'invalid_argument', 's');
    expectPinholeError(() => checkString('s', '', { nonEmpty: true }), 'invalid_argument', 's');
    expectPinholeError(() => checkString('s', 'abc', { maxLength: 2 }), 'invalid_argument', 's');
    expectPinholeError(() => checkOneOf('o', 'c', ['a', 'b']), 'invalid_argument', 'o');
    expectPinholeError(() => checkUint8Array('u', [1]), 'invalid_argument', 'u');
    expectPinholeError(() => checkUint8Array('u', new Uint8Array(2), 3), 'invalid_argument', 'u');
    expectPinholeError(() => checkIncreasing('e', [0, 2, 1]), 'invalid_argument', 'e[2]');
  });

  it('exact rationals of doubles', () => {
    expect(toDyadic(10)).toEqual({ mantissa: 5n, exponent: 1 });
    expect(toDyadic(0.75)).toEqual({ mantissa: 3n, exponent: -2 });
    expect(toDyadic(-3)).toEqual({ mantissa: -3n, exponent: 0 });
    expect(toDyadic(Number.MIN_VALUE)).toEqual({ mantissa: 1n, exponent: -1074 });
    for (const x of [0.1, 3.7, 1234.5678, 1e-7]) {
      const r = roundUpSignificant(x, 20);
      expect(r).toBeGreaterThanOrEqual(x);
      expect(r / x - 1).toBeLessThan(2 ** -19);
      const { mantissa } = toDyadic(r);
      expect(mantissa < 2n ** 20n).toBe(true);
    }
  });
});
