/**
 * What every frequency oracle shares. Each one is a "pure" protocol in the sense of Wang et al.
 * (USENIX Security 2017, §3): a report *supports* a set of buckets; a device holding v supports v
 * with probability p* and any other given bucket with probability q* < p*. With C(v) the number of
 * reports supporting v among n,
 *   f̂(v) = (C(v)/n - q*) / (p* - q*)                                  (unbiased)
 *   Var f̂(v) = q*(1-q*) / (n (p*-q*)²) + f(v)(1 - p* - q*) / (n (p*-q*)).
 * A tally keeps the sum of the reports' *aggregate vectors* (what a device would also feed to
 * secure aggregation) and turns it into support counts when asked.
 */
import { type PrivacyLoss, type Rng, PinholeError } from '@pinhole/core';
import { checkInteger, checkNumber, invalid, invalidPrivate } from '@pinhole/core/validate';
import { sampleBinomialUnchecked } from '@pinhole/core/samplers';

export type OracleName = 'grr' | 'sue' | 'oue' | 'blh' | 'olh' | 'subset-selection' | 'hadamard-response' | 'hadamard-one-bit';

export interface OracleTally<R> {
  readonly oracle: OracleName;
  readonly domainSize: number;
  /** the length of the aggregate vector (domainSize, or the Hadamard order) */
  readonly vectorLength: number;
  /** number of reports counted */
  readonly n: number;
  /** Counts one report. A bad report is an `invalid_argument` and changes nothing. */
  add(report: R): void;
  /** Counts many reports; all are checked first, so a bad one changes nothing. */
  addBatch(reports: readonly R[]): void;
  /**
   * Adds an already summed aggregate vector of `n` reports (e.g. the output of secure aggregation
   * over `oracle.toVector(report)`, or a simulation).
   */
  addAggregate(vector: ArrayLike<number>, n: number): void;
  /** Adds another tally of the same oracle (same name, epsilon and domainSize). */
  merge(other: OracleTally<R>): void;
  /** A copy of the summed aggregate vector. */
  aggregate(): Float64Array;
  /** Support counts C(v) per bucket (a fresh array). */
  support(): Float64Array;
}

export interface FrequencyOracle<R = unknown> {
  readonly name: OracleName;
  readonly epsilon: number;
  readonly domainSize: number;
  /** probability that a report supports the device's own bucket (as achieved, see probability.ts) */
  readonly pStar: number;
  /** probability that a report supports one given other bucket */
  readonly qStar: number;
  /** bits of one report's payload (before the envelope) */
  readonly reportBits: number;
  /** length of `toVector(report)` */
  readonly vectorLength: number;
  /** 'exact': simulateTally samples the joint law of the tally; 'marginal': each bucket's law exactly, buckets independent */
  readonly simulation: 'exact' | 'marginal';
  /** The randomized client step: value in [0, domainSize) → report. */
  perturb(value: number, rng: Rng): R;
  /** The report as a versioned wire envelope. */
  encodeReport(report: R): Uint8Array;
  /** Decodes and validates a report; anything malformed is `decode_failed`. */
  decodeReport(bytes: Uint8Array): R;
  /** The report's aggregate vector (its contribution to a tally's sum). */
  toVector(report: R): Int32Array;
  makeTally(): OracleTally<R>;
  /** Unbiased frequency estimates f̂(v) (fractions of n; they may be negative and need not sum to 1). */
  estimate(tally: OracleTally<R>): Float64Array;
  /** Unbiased count estimates n·f̂(v). */
  estimateCounts(tally: OracleTally<R>): Float64Array;
  /** Var f̂(v) for n reports and a bucket of true frequency `trueFrequency` (default 0). */
  variance(n: number, trueFrequency?: number): number;
  privacyMap(): PrivacyLoss;
  /**
   * A tally of `sum(trueCounts)` simulated devices (trueCounts[v] of them hold v), sampled from
   * the tally's law directly in O(domainSize + sqrt(n)) rather than per device. Simulation only:
   * the rng may be (and usually is) seeded.
   */
  simulateTally(trueCounts: Int32Array | readonly number[], rng: Rng): OracleTally<R>;
}

/**
 * What a device runs of a frequency oracle (`makeXDevice`): its parameters, the randomized step
 * and the report's wire form, with the same parameter and exact-profile checks as the full oracle
 * (`makeX`, which adds decoding, tallies, estimates and simulation on top of the same parts).
 */
export type DeviceOracle<R = unknown> = Pick<FrequencyOracle<R>, 'name' | 'epsilon' | 'domainSize' | 'pStar' | 'qStar' | 'reportBits' | 'vectorLength' | 'simulation' | 'perturb' | 'encodeReport'>;

/** The per-oracle pieces a generic tally needs. */
export interface TallySpec<R> {
  readonly oracle: OracleName;
  readonly key: string;
  readonly domainSize: number;
  readonly vectorLength: number;
  /** aggregate entries may be negative (one-bit Hadamard's signed sums) */
  readonly signed: boolean;
  /** throws `invalid_argument` naming `param` when the report is malformed */
  checkReport(report: unknown, param: string): void;
  /** adds checked reports into the aggregate vector */
  accumulate(acc: Float64Array, reports: readonly R[]): void;
  /** support counts from the aggregate vector of n reports */
  support(acc: Float64Array, n: number): Float64Array;
}

export class AggregateTally<R> implements OracleTally<R> {
  readonly #spec: TallySpec<R>;
  readonly #acc: Float64Array;
  #n = 0;

  constructor(spec: TallySpec<R>) {
    this.#spec = spec;
    this.#acc = new Float64Array(spec.vectorLength);
  }

  get oracle(): OracleName {
    return this.#spec.oracle;
  }
  get domainSize(): number {
    return this.#spec.domainSize;
  }
  get vectorLength(): number {
    return this.#spec.vectorLength;
  }
  get n(): number {
    return this.#n;
  }
  /** @internal identity of the oracle configuration */
  get key(): string {
    return this.#spec.key;
  }

  add(report: R): void {
    this.#spec.checkReport(report, 'report');
    this.#spec.accumulate(this.#acc, [report]);
    this.#n += 1;
  }

  addBatch(reports: readonly R[]): void {
    if (!Array.isArray(reports)) throw invalidPrivate('reports', 'an array of reports', reports);
    for (let i = 0; i < reports.length; i++) this.#spec.checkReport(reports[i], `reports[${i}]`);
    this.#spec.accumulate(this.#acc, reports);
    this.#n += reports.length;
  }

  addAggregate(vector: ArrayLike<number>, n: number): void {
    checkInteger('n', n, { ge: 0 });
    const len = this.#spec.vectorLength;
    if (!(Array.isArray(vector) || ArrayBuffer.isView(vector)) || (vector as ArrayLike<number>).length !== len) {
      throw invalid('vector', `an array of ${len} integers`, vector);
    }
    const lo = this.#spec.signed ? -n : 0;
    for (let i = 0; i < len; i++) {
      const x: unknown = vector[i];
      if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < lo || x > n) {
        throw invalid(`vector[${i}]`, `an integer >= ${lo} and <= ${n} (n)`, x);
      }
    }
    for (let i = 0; i < len; i++) this.#acc[i]! += vector[i] as number;
    this.#n += n;
  }

  merge(other: OracleTally<R>): void {
    if (!(other instanceof AggregateTally) || other.key !== this.#spec.key) {
      throw invalid('other', `a tally of the same oracle (${this.#spec.key})`, other);
    }
    const src = (other as AggregateTally<R>).aggregate();
    for (let i = 0; i < src.length; i++) this.#acc[i]! += src[i] as number;
    this.#n += other.n;
  }

  aggregate(): Float64Array {
    return this.#acc.slice();
  }

  support(): Float64Array {
    return this.#spec.support(this.#acc, this.#n);
  }
}

/** The oracle-independent parts: estimator, variance, tally ownership. */
export function checkTally<R>(tally: unknown, key: string): AggregateTally<R> {
  if (!(tally instanceof AggregateTally) || tally.key !== key) throw invalid('tally', `a tally created by this oracle (${key})`, tally);
  if (tally.n === 0) throw new PinholeError('invalid_state', 'tally', '"tally" expected at least one report, got an empty tally');
  return tally as AggregateTally<R>;
}

export function estimateFromSupport(support: Float64Array, n: number, pStar: number, qStar: number): Float64Array {
  const out = new Float64Array(support.length);
  const scale = 1 / (n * (pStar - qStar));
  for (let v = 0; v < support.length; v++) out[v] = ((support[v] as number) - n * qStar) * scale;
  return out;
}

export function pureVariance(n: unknown, trueFrequency: unknown, pStar: number, qStar: number): number {
  const nn = checkInteger('n', n, { ge: 1 });
  const f = trueFrequency === undefined ? 0 : checkNumber('trueFrequency', trueFrequency, { ge: 0, le: 1 });
  const d = pStar - qStar;
  return (qStar * (1 - qStar)) / (nn * d * d) + (f * (1 - pStar - qStar)) / (nn * d);
}

/** Validates true counts for simulation: non-negative safe integers, one per bucket. */
export function checkTrueCounts(trueCounts: unknown, domainSize: number): { counts: number[]; n: number } {
  if (!(Array.isArray(trueCounts) || trueCounts instanceof Int32Array) || trueCounts.length !== domainSize) {
    throw invalid('trueCounts', `an Int32Array or array of ${domainSize} counts`, trueCounts);
  }
  const counts: number[] = new Array<number>(domainSize);
  let n = 0;
  for (let v = 0; v < domainSize; v++) {
    const c = (trueCounts as ArrayLike<unknown>)[v];
    if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0) throw invalid(`trueCounts[${v}]`, 'an integer >= 0', c);
    counts[v] = c;
    n += c;
  }
  if (!Number.isSafeInteger(n)) throw invalid('trueCounts', 'counts whose sum is a safe integer', trueCounts);
  return { counts, n };
}

/** The standard oracle members built from (pStar, qStar) and a tally spec. */
export function oracleCommon<R>(spec: TallySpec<R>, epsilon: number, pStar: number, qStar: number) {
  const estimate = (tally: OracleTally<R>): Float64Array => {
    const t = checkTally<R>(tally, spec.key);
    return estimateFromSupport(t.support(), t.n, pStar, qStar);
  };
  return {
    makeTally: (): OracleTally<R> => new AggregateTally<R>(spec),
    estimate,
    estimateCounts: (tally: OracleTally<R>): Float64Array => {
      const f = estimate(tally);
      const n = tally.n;
      for (let v = 0; v < f.length; v++) f[v]! *= n;
      return f;
    },
    variance: (n: number, trueFrequency?: number): number => pureVariance(n, trueFrequency, pStar, qStar),
    privacyMap: (): PrivacyLoss => Object.freeze({ epsilon, delta: 0 }),
  };
}

/** Simulation helper: a tally whose aggregate vector is given directly. */
export function tallyFromAggregate<R>(spec: TallySpec<R>, vector: Float64Array, n: number): OracleTally<R> {
  const t = new AggregateTally<R>(spec);
  t.addAggregate(vector, n);
  return t;
}

/**
 * A tally whose bucket v counts Bin(c_v, p*) + Bin(n - c_v, q*) supports, buckets drawn
 * independently: the exact joint law for unary encodings (bits independent given the value), each
 * bucket's exact marginal for local hashing and subset selection.
 */
export function simulatePerBucket<R>(spec: TallySpec<R>, trueCounts: unknown, pStar: number, qStar: number, rng: Rng): OracleTally<R> {
  const { counts, n } = checkTrueCounts(trueCounts, spec.domainSize);
  const acc = new Float64Array(spec.domainSize);
  for (let v = 0; v < spec.domainSize; v++) {
    const c = counts[v] as number;
    acc[v] = sampleBinomialUnchecked(c, pStar, rng) + sampleBinomialUnchecked(n - c, qStar, rng);
  }
  return tallyFromAggregate(spec, acc, n);
}
