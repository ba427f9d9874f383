/**
 * Error assertions and bad-input sweeps shared by every package's tests. They throw a plain Error
 * on a mismatch (no test framework here: the testing entry is also loaded by simulations).
 */
import { PinholeError, type PinholeErrorCode } from '../errors.js';

function describeThrown(thrown: unknown): string {
  if (thrown instanceof PinholeError) return `PinholeError { code: '${thrown.code}', param: '${thrown.param}' }: ${thrown.message}`;
  if (thrown instanceof Error) return `${thrown.name}: ${thrown.message}`;
  return String(thrown);
}

function check(thrown: unknown, threw: boolean, code: PinholeErrorCode, param: string | RegExp): PinholeError {
  const wanted = `PinholeError { code: '${code}', param: ${typeof param === 'string' ? `'${param}'` : String(param)} }`;
  if (!threw) throw new Error(`expected ${wanted}, but nothing was thrown`);
  if (!(thrown instanceof PinholeError)) throw new Error(`expected ${wanted}, got ${describeThrown(thrown)}`, { cause: thrown });
  const paramOk = typeof param === 'string' ? thrown.param === param : param.test(thrown.param);
  if (thrown.code !== code || !paramOk) throw new Error(`expected ${wanted}, got ${describeThrown(thrown)}`, { cause: thrown });
  return thrown;
}

/**
 * Asserts that `fn` throws a PinholeError with this code and param (exactly, or matching a RegExp),
 * and returns it. The param is required: an error about the wrong parameter is a wrong error.
 */
export function expectPinholeError(fn: () => unknown, code: PinholeErrorCode, param: string | RegExp): PinholeError {
  try {
    fn();
  } catch (err) {
    return check(err, true, code, param);
  }
  return check(undefined, false, code, param);
}

/** As `expectPinholeError`, for a function whose promise must reject. */
export async function expectPinholeRejection(fn: () => Promise<unknown>, code: PinholeErrorCode, param: string | RegExp): Promise<PinholeError> {
  try {
    await fn();
  } catch (err) {
    return check(err, true, code, param);
  }
  return check(undefined, false, code, param);
}

/** Values every numeric parameter is swept with: non-finite, negative zero, and wrong types. */
export const BAD_NUMBERS: readonly unknown[] = Object.freeze([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -0, '1', null, undefined, {}, [], 1n, true]);

/** Values every integer parameter is swept with: the bad numbers and a fraction. */
export const BAD_INTEGERS: readonly unknown[] = Object.freeze([...BAD_NUMBERS, 1.5]);
