/**
 * Reading the gate's input: per-bucket distinct-contributor counts, or contributor ids per bucket
 * (simulation and central settings), with contribution bounding to at most l0 buckets per
 * contributor, which every DP selection assumes.
 */
import { type Rng, cryptoRng } from '@pinhole/core';
import { checkInteger, checkRng, invalid } from '@pinhole/core/validate';

/** Per-bucket values keyed by bucket key ("cell=A|net=4g"): a Map or a plain object. */
export type BucketValues = ReadonlyMap<string, number> | Readonly<Record<string, number>>;

export const MAX_KEY_LENGTH = 256;

export function checkKey(param: string, key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
    throw invalid(param, `a non-empty string of at most ${MAX_KEY_LENGTH} characters`, key);
  }
  return key;
}

function entriesOf(param: string, input: unknown): Iterable<[unknown, unknown]> {
  if (input instanceof Map) return input.entries() as Iterable<[unknown, unknown]>;
  if (typeof input === 'object' && input !== null && !Array.isArray(input) && !ArrayBuffer.isView(input)) {
    return Object.entries(input as Record<string, unknown>);
  }
  throw invalid(param, 'a Map or an object from bucket key to number', input);
}

/**
 * Validates per-bucket integers. A Map is validated and returned as is (read during this call only,
 * never kept); a plain object is copied into a Map. `min` bounds every value (0 for contributor
 * counts; omitted for noisy counts, which can be negative).
 */
export function readBucketIntegers(param: string, input: unknown, min?: number): ReadonlyMap<string, number> {
  const lo = min ?? -Number.MAX_SAFE_INTEGER;
  const check = (key: unknown, value: unknown): void => {
    // fast path for valid entries; the validators (and their messages) only on failure
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH || typeof value !== 'number' || !Number.isSafeInteger(value) || value < lo || Object.is(value, -0)) {
      checkKey(`${param} key`, key);
      checkInteger(`${param}[${JSON.stringify(key)}]`, value, min === undefined ? {} : { ge: min });
    }
  };
  if (input instanceof Map) {
    input.forEach((value, key) => check(key, value));
    return input as ReadonlyMap<string, number>;
  }
  const out = new Map<string, number>();
  for (const [key, value] of entriesOf(param, input)) {
    check(key, value);
    out.set(key as string, value as number);
  }
  return out;
}

/** Contributor ids per bucket: a Map or object from bucket key to an array (or Set) of ids. */
export type ContributorIds = ReadonlyMap<string, Iterable<string | number>> | Readonly<Record<string, readonly (string | number)[]>>;

export interface CountContributorsOptions {
  /** keep each contributor in at most l0 buckets (chosen uniformly at random); omit to only count */
  readonly l0?: number;
  /** randomness for the bounding choice; default cryptoRng() */
  readonly rng?: Rng;
}

function checkId(param: string, id: unknown): string | number {
  if ((typeof id === 'string' && id.length > 0 && id.length <= MAX_KEY_LENGTH) || (typeof id === 'number' && Number.isSafeInteger(id))) {
    return id;
  }
  throw invalid(param, 'a contributor id (a non-empty string or a safe integer)', id);
}

/**
 * Distinct contributors per bucket. With `l0`, a contributor found in more than l0 buckets is kept
 * in l0 of them chosen uniformly at random (the choice depends only on that contributor's own
 * buckets, as the DP selections' sensitivity argument requires). A bucket with no contributor left
 * (an empty list, or every contributor kept elsewhere) is not in the result: a key exists only
 * through its contributors, so one contributor creates at most l0 keys, which is what the DP
 * selections' delta accounts for. Keys keep the input order.
 */
export function countContributors(ids: ContributorIds, options: CountContributorsOptions = {}): Map<string, number> {
  if (typeof options !== 'object' || options === null) throw invalid('options', 'an object', options);
  const l0 = options.l0 === undefined ? undefined : checkInteger('l0', options.l0, { ge: 1, le: 1 << 20 });
  const rng = options.rng === undefined ? undefined : checkRng('rng', options.rng);
  // contributor -> its buckets; validation is complete before any randomness is drawn.
  const byContributor = new Map<string | number, string[]>();
  const counts = new Map<string, number>();
  for (const [key, list] of entriesOf('ids', ids)) {
    checkKey('ids key', key);
    const k = key as string;
    const param = `ids[${JSON.stringify(k)}]`;
    if (typeof list !== 'object' || list === null || typeof (list as Iterable<unknown>)[Symbol.iterator] !== 'function' || typeof list === 'string') {
      throw invalid(param, 'an array or Set of contributor ids', list);
    }
    counts.set(k, 0);
    let i = 0;
    const seen = new Set<string | number>();
    for (const id of list as Iterable<unknown>) {
      const c = checkId(`${param}[${i++}]`, id);
      if (seen.has(c)) continue;
      seen.add(c);
      const buckets = byContributor.get(c);
      if (buckets) buckets.push(k);
      else byContributor.set(c, [k]);
    }
  }
  const draw = l0 === undefined ? undefined : (rng ?? cryptoRng());
  for (const buckets of byContributor.values()) {
    let kept = buckets;
    if (l0 !== undefined && draw && buckets.length > l0) {
      // partial Fisher-Yates: the first l0 entries become a uniform l0-subset
      kept = buckets.slice();
      for (let i = 0; i < l0; i++) {
        const j = i + draw.int(kept.length - i);
        const t = kept[i] as string;
        kept[i] = kept[j] as string;
        kept[j] = t;
      }
      kept.length = l0;
    }
    for (const k of kept) counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  // set to 0 above only to keep the input order
  for (const [k, n] of counts) if (n === 0) counts.delete(k);
  return counts;
}
