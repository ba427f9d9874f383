import { isPinholeError, type PinholeErrorCode } from '@pinhole/core';
import { expect } from 'vitest';

/** Asserts that `fn` throws a PinholeError with this code and param. */
export function expectPinholeError(fn: () => unknown, code: PinholeErrorCode, param: string): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(isPinholeError(thrown), `expected a PinholeError, got ${String(thrown)}`).toBe(true);
  expect({ code: (thrown as { code: string }).code, param: (thrown as { param: string }).param }).toEqual({ code, param });
}

/** Two-sided normal quantile for a false-failure rate of 1e-5 per check. */
export const Z_1E5 = 4.42;

/** Wrong-typed and out-of-range values every numeric parameter is swept with. */
export const BAD_NUMBERS: readonly unknown[] = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, '1', null, undefined, {}, [], true];
