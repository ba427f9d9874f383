/**
 * Validators for public parameters. Messages follow one format, the rule then the value:
 * `"epsilon" expected a finite number > 0, got NaN`. A private value (a measurement, the input of
 * perturb, a report on the device) is never echoed: `invalidPrivate` names its kind only.
 */
import { PinholeError } from './errors.js';

/** Renders a received value for an error message without throwing on any input. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') {
    if (Object.is(value, -0)) return '-0';
    return String(value);
  }
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as Uint8Array).length ?? '?'}`;
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export function invalid(param: string, rule: string, value: unknown): PinholeError {
  return new PinholeError('invalid_argument', param, `"${param}" expected ${rule}, got ${describeValue(value)}`);
}

/** The kind of a value without any of its content: 'a number', 'a string', 'null', 'a Uint8Array', … */
export function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  const t = typeof value;
  return t === 'object' ? 'an object' : `a ${t}`;
}

/**
 * The error for a bad private value: it names the parameter, the rule and the value's kind, never
 * the value, so an app that logs or uploads its errors does not leak what the device measured.
 */
export function invalidPrivate(param: string, rule: string, value: unknown): PinholeError {
  return new PinholeError('invalid_argument', param, `"${param}" expected ${rule}, got ${describeKind(value)} (its value is private and not shown)`);
}

export interface NumberBounds {
  /** exclusive lower bound */
  gt?: number;
  /** inclusive lower bound */
  ge?: number;
  /** exclusive upper bound */
  lt?: number;
  /** inclusive upper bound */
  le?: number;
}

function boundsText(b: NumberBounds): string {
  const parts: string[] = [];
  if (b.gt !== undefined) parts.push(`> ${b.gt}`);
  if (b.ge !== undefined) parts.push(`>= ${b.ge}`);
  if (b.lt !== undefined) parts.push(`< ${b.lt}`);
  if (b.le !== undefined) parts.push(`<= ${b.le}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

function inBounds(v: number, b: NumberBounds): boolean {
  return (b.gt === undefined || v > b.gt) && (b.ge === undefined || v >= b.ge) && (b.lt === undefined || v < b.lt) && (b.le === undefined || v <= b.le);
}

/**
 * A finite number within bounds. `-0` is refused wherever zero itself is out of bounds, and also
 * where `allowNegativeZero` is false (a signed zero is almost always a caller's bug).
 */
export function checkNumber(param: string, value: unknown, bounds: NumberBounds = {}): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || !inBounds(value, bounds) || Object.is(value, -0)) {
    throw invalid(param, `a finite number${boundsText(bounds)}`, value);
  }
  return value;
}

/** A safe integer within bounds. */
export function checkInteger(param: string, value: unknown, bounds: NumberBounds = {}): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || !inBounds(value, bounds) || Object.is(value, -0)) {
    throw invalid(param, `an integer${boundsText(bounds)}`, value);
  }
  return value;
}

export function checkPositive(param: string, value: unknown): number {
  return checkNumber(param, value, { gt: 0 });
}

export function checkEpsilon(value: unknown, param = 'epsilon'): number {
  return checkNumber(param, value, { gt: 0 });
}

/** delta in [0, 1). */
export function checkDelta(value: unknown, param = 'delta'): number {
  return checkNumber(param, value, { ge: 0, lt: 1 });
}

/** A probability in [0, 1] (or the open interval when `open` is set). */
export function checkProbability(param: string, value: unknown, open = false): number {
  return checkNumber(param, value, open ? { gt: 0, lt: 1 } : { ge: 0, le: 1 });
}

export function checkBoolean(param: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw invalid(param, 'a boolean', value);
  return value;
}

export function checkString(param: string, value: unknown, opts: { nonEmpty?: boolean; maxLength?: number } = {}): string {
  if (typeof value !== 'string' || (opts.nonEmpty && value.length === 0) || (opts.maxLength !== undefined && value.length > opts.maxLength)) {
    const rule = `a${opts.nonEmpty ? ' non-empty' : ''} string${opts.maxLength !== undefined ? ` of at most ${opts.maxLength} characters` : ''}`;
    throw invalid(param, rule, value);
  }
  return value;
}

export function checkOneOf<T extends string | number>(param: string, value: unknown, allowed: readonly T[]): T {
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw invalid(param, `one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`, value);
  }
  return value as T;
}

/** Array.isArray that keeps a typed array's element type (the built-in narrows a readonly array to any[]). */
export function isArray(value: unknown): value is readonly unknown[] {
  return Array.isArray(value);
}

export function checkObject(param: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(param, 'an object', value);
  return value as Record<string, unknown>;
}

export function checkUint8Array(param: string, value: unknown, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array) || (length !== undefined && value.length !== length)) {
    throw invalid(param, length === undefined ? 'a Uint8Array' : `a Uint8Array of length ${length}`, value);
  }
  return value;
}

/** A strictly increasing array of finite numbers with at least `minLength` entries. */
export function checkIncreasing(param: string, value: unknown, minLength = 1): number[] {
  if (!Array.isArray(value) || value.length < minLength) {
    throw invalid(param, `an array of at least ${minLength} strictly increasing finite numbers`, value);
  }
  for (let i = 0; i < value.length; i++) {
    const v: unknown = value[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || Object.is(v, -0) || (i > 0 && v <= (value[i - 1] as number))) {
      throw invalid(`${param}[${i}]`, 'a finite number greater than the previous entry', v);
    }
  }
  return value as number[];
}

/** Any finite number, -0 included: for data values rather than parameters. */
export function checkFinite(param: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(param, 'a finite number', value);
  return value;
}
