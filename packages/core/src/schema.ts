/**
 * Measurement domains: how a raw value becomes a bucket index in [0, size) or a bounded real.
 * Every out-of-range decision is explicit and counted, never silent.
 */
import { PinholeError } from './errors.js';
import { checkIncreasing, checkNumber, checkObject, checkOneOf, checkString, invalid, invalidPrivate } from './validate.js';

/** A categorical domain: an explicit list of values; bucket i is values[i]. */
export interface CategoricalDomain<T extends string = string> {
  readonly kind: 'categorical';
  readonly name: string;
  readonly values: readonly T[];
  readonly size: number;
  /** the bucket of a value; an unknown value is an `invalid_argument` naming the domain */
  index(value: T | string): number;
  label(bucket: number): T;
}

export type OutOfRange = 'clamp' | 'bucket' | 'reject';

/**
 * A numeric value bucketed by edges e0 < e1 < … < em into the m buckets [e_i, e_{i+1}) (the last
 * one closed). Out of range values follow `outOfRange`:
 * - `clamp` (default): below e0 counts in the first bucket, above em in the last;
 * - `bucket`: two more buckets, index 0 for underflow and size-1 for overflow (regular buckets shift by one);
 * - `reject`: an `invalid_argument` error.
 */
export interface BucketedDomain {
  readonly kind: 'bucketed';
  readonly name: string;
  readonly unit: string;
  readonly edges: readonly number[];
  readonly outOfRange: OutOfRange;
  readonly size: number;
  index(value: number): number;
  label(bucket: number): string;
  /** bucket indices of many values, with how many fell below and above the edges */
  bucketize(values: ArrayLike<number>): { indices: Int32Array; underflow: number; overflow: number };
}

/** A real value clamped to [min, max]; clamping is reported, and the bench counts it. */
export interface BoundedReal {
  readonly kind: 'bounded';
  readonly name: string;
  readonly unit: string;
  readonly min: number;
  readonly max: number;
  /** clamped value, and -1/0/1 for below/inside/above */
  clamp(value: number): { value: number; clamped: -1 | 0 | 1 };
  /** affine map of [min, max] onto [-1, 1] (after clamping), the input range of numeric mechanisms */
  toUnit(value: number): number;
  fromUnit(unit: number): number;
}

export type Domain = CategoricalDomain | BucketedDomain;

export function categoricalDomain<T extends string>(name: string, values: readonly T[]): CategoricalDomain<T> {
  checkString('name', name, { nonEmpty: true });
  if (!Array.isArray(values) || values.length < 1) throw invalid('values', 'a non-empty array of distinct strings', values);
  const lookup = new Map<string, number>();
  values.forEach((v, i) => {
    if (typeof v !== 'string' || lookup.has(v)) throw invalid(`values[${i}]`, 'a string not already in the list', v);
    lookup.set(v, i);
  });
  const frozen = Object.freeze(values.slice()) as readonly T[];
  return Object.freeze({
    kind: 'categorical' as const,
    name,
    values: frozen,
    size: frozen.length,
    index(value: T | string): number {
      const i = lookup.get(value);
      if (i === undefined) {
        throw invalidPrivate(name, `one of ${frozen.length <= 12 ? frozen.map((v) => JSON.stringify(v)).join(', ') : `${frozen.length} known values`}`, value);
      }
      return i;
    },
    label(bucket: number): T {
      checkBucket(bucket, frozen.length);
      return frozen[bucket] as T;
    },
  });
}

function checkBucket(bucket: unknown, size: number): number {
  if (typeof bucket !== 'number' || !Number.isInteger(bucket) || bucket < 0 || bucket >= size || Object.is(bucket, -0)) {
    throw invalid('bucket', `an integer >= 0 and < ${size}`, bucket);
  }
  return bucket;
}

function formatEdge(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

export function bucketedDomain(name: string, options: { edges: readonly number[]; unit?: string; outOfRange?: OutOfRange }): BucketedDomain {
  checkString('name', name, { nonEmpty: true });
  checkObject('options', options);
  const edges = Object.freeze(checkIncreasing('edges', options.edges, 2).slice());
  const unit = options.unit === undefined ? '' : checkString('unit', options.unit);
  const outOfRange = options.outOfRange === undefined ? 'clamp' : checkOneOf('outOfRange', options.outOfRange, ['clamp', 'bucket', 'reject'] as const);
  const m = edges.length - 1;
  const shift = outOfRange === 'bucket' ? 1 : 0;
  const size = m + 2 * shift;
  const lo = edges[0] as number;
  const hi = edges[m] as number;

  // Regular bucket of an in-range value: the largest i with edges[i] <= x, capped at m-1.
  const inner = (x: number): number => {
    let a = 0;
    let b = m - 1;
    while (a < b) {
      const mid = (a + b + 1) >> 1;
      if ((edges[mid] as number) <= x) a = mid;
      else b = mid - 1;
    }
    return a;
  };

  const index = (value: number): number => {
    if (typeof value !== 'number' || Number.isNaN(value)) throw invalidPrivate(name, 'a number (not NaN)', value);
    if (value < lo || value > hi) {
      if (outOfRange === 'reject') throw invalidPrivate(name, `a number in [${lo}, ${hi}]`, value);
      if (outOfRange === 'clamp') return value < lo ? 0 : m - 1;
      return value < lo ? 0 : size - 1;
    }
    return inner(value) + shift;
  };

  return Object.freeze({
    kind: 'bucketed' as const,
    name,
    unit,
    edges,
    outOfRange,
    size,
    index,
    label(bucket: number): string {
      checkBucket(bucket, size);
      const u = unit ? ` ${unit}` : '';
      if (shift && bucket === 0) return `< ${formatEdge(lo)}${u}`;
      if (shift && bucket === size - 1) return `> ${formatEdge(hi)}${u}`;
      const i = bucket - shift;
      const close = i === m - 1 ? ']' : ')';
      return `[${formatEdge(edges[i] as number)}, ${formatEdge(edges[i + 1] as number)}${close}${u}`;
    },
    bucketize(values: ArrayLike<number>) {
      if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
        throw invalidPrivate('values', 'an array of numbers', values);
      }
      const indices = new Int32Array(values.length);
      let underflow = 0;
      let overflow = 0;
      for (let i = 0; i < values.length; i++) {
        const v = values[i] as number;
        if (v < lo) underflow++;
        else if (v > hi) overflow++;
        try {
          indices[i] = index(v);
        } catch (err) {
          if (err instanceof PinholeError) throw invalidPrivate(`values[${i}]`, `a number usable in "${name}"`, v);
          throw err;
        }
      }
      return { indices, underflow, overflow };
    },
  });
}

export function boundedReal(name: string, options: { min: number; max: number; unit?: string }): BoundedReal {
  checkString('name', name, { nonEmpty: true });
  checkObject('options', options);
  const min = checkNumber('min', options.min);
  const max = checkNumber('max', options.max, { gt: min });
  const unit = options.unit === undefined ? '' : checkString('unit', options.unit);
  const half = (max - min) / 2;
  const mid = min + half;
  const clamp = (value: number) => {
    if (typeof value !== 'number' || Number.isNaN(value)) throw invalidPrivate(name, 'a number (not NaN)', value);
    if (value < min) return { value: min, clamped: -1 as const };
    if (value > max) return { value: max, clamped: 1 as const };
    return { value, clamped: 0 as const };
  };
  return Object.freeze({
    kind: 'bounded' as const,
    name,
    unit,
    min,
    max,
    clamp,
    toUnit(value: number): number {
      const u = (clamp(value).value - mid) / half;
      return u > 1 ? 1 : u < -1 ? -1 : u;
    },
    fromUnit(u: number): number {
      if (typeof u !== 'number' || Number.isNaN(u)) throw invalid('unit', 'a number (not NaN)', u);
      return mid + u * half;
    },
  });
}
