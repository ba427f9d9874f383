import { expect } from 'vitest';
import { PinholeError, type PinholeErrorCode } from '@pinhole/core';

/** Asserts that fn throws a PinholeError with the given code and param. */
export function expectPinholeError(fn: () => unknown, code: PinholeErrorCode, param?: string | RegExp): PinholeError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, 'expected a PinholeError to be thrown').toBeInstanceOf(PinholeError);
  const e = caught as PinholeError;
  expect(e.code).toBe(code);
  if (typeof param === 'string') expect(e.param).toBe(param);
  else if (param) expect(e.param).toMatch(param);
  return e;
}

/** The bad values every numeric parameter is swept with. */
export const BAD_NUMBERS: readonly unknown[] = [NaN, Infinity, -Infinity, -0, '1', null, undefined, {}, [], 1n, true];

/** The distance from sigma down to the grid point below it on the 12-significant-bit grid calibrated sigmas use. */
export function gridStep(sigma: number): number {
  return 2 ** (Math.floor(Math.log2(sigma * (1 - 2 ** -52))) - 11);
}
