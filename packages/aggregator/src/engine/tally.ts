/**
 * What the server received for one collection of one round, accumulated: an oracle tally (local DP
 * histograms), one numeric tally per public group (local DP means), exact counts or grid sums (a
 * trusted curator), or the unmasked modular sum with its survivor count (secure aggregation).
 * Every `add*` validates its whole input before changing anything, so a bad input loses nothing
 * already accepted. Inputs that fit another mode are refused with `invalid_state`.
 */
import { type PlanCollection, PinholeError } from '@pinhole/core';
import { checkInteger, invalid } from '@pinhole/core/validate';
import type { AnyFrequencyOracle, NumericMechanism, NumericTally, OracleTally } from '@pinhole/ldp';

/** A report entry decoded against its collection's mechanism. */
export interface DecodedEntry {
  readonly collection: string;
  /** public group index (ldp and central means) */
  readonly group: number | null;
  /** the mechanism's report (ldp), or the exact bucket index / value (central) */
  readonly report: unknown;
}

/** @internal the key of a tally's accumulated state, for the collection engine only (not exported by the package) */
export const TALLY_STATE = Symbol('tally state');
/** @internal adds one entry that the collection engine decoded (not exported by the package: entries are validated first) */
export const ADD_ENTRY = Symbol('add entry');

export type TallyState =
  | { readonly type: 'ldp-histogram'; readonly tally: OracleTally<unknown> }
  | { readonly type: 'ldp-mean'; readonly tallies: NumericTally[] }
  | { readonly type: 'central-histogram'; readonly counts: Float64Array; n: number }
  | { readonly type: 'central-mean'; readonly sums: Float64Array; readonly counts: Float64Array; n: number }
  | { readonly type: 'secagg'; sum: Uint32Array | null; survivors: number }
  | { readonly type: 'prio3'; received: number; sum: Float64Array | null; valid: number; noise: Prio3Noise };

/**
 * How a prio3 sum was noised: 'two_aggregators' (each aggregator added its N_Z(0, sigma^2) to its
 * aggregate share) or 'none_insecure_test' (an insecure test mode: nothing was added).
 */
export type Prio3Noise = 'two_aggregators' | 'none_insecure_test';

export interface TallyContext {
  readonly plan: PlanCollection;
  readonly oracle: AnyFrequencyOracle | null;
  readonly numeric: NumericMechanism | null;
  /** secagg: the modulus 2^modulusBits of the sum */
  readonly modulusBits: number;
}

export class CollectionTally {
  readonly collection: string;
  readonly #ctx: TallyContext;
  readonly #state: TallyState;

  constructor(ctx: TallyContext) {
    this.#ctx = ctx;
    const c = ctx.plan;
    this.collection = c.id;
    if (c.mode === 'ldp' && c.kind === 'histogram') this.#state = { type: 'ldp-histogram', tally: (ctx.oracle as AnyFrequencyOracle).makeTally() };
    else if (c.mode === 'ldp') this.#state = { type: 'ldp-mean', tallies: Array.from({ length: c.groups }, () => (ctx.numeric as NumericMechanism).makeTally()) };
    else if (c.mode === 'central' && c.kind === 'histogram') this.#state = { type: 'central-histogram', counts: new Float64Array(c.domainSize), n: 0 };
    else if (c.mode === 'central') this.#state = { type: 'central-mean', sums: new Float64Array(c.groups), counts: new Float64Array(c.groups), n: 0 };
    else if (c.mode === 'prio3') this.#state = { type: 'prio3', received: 0, sum: null, valid: 0, noise: 'two_aggregators' };
    else this.#state = { type: 'secagg', sum: null, survivors: 0 };
  }

  get mode(): PlanCollection['mode'] {
    return this.#ctx.plan.mode;
  }

  get kind(): PlanCollection['kind'] {
    return this.#ctx.plan.kind;
  }

  /** reports counted (secure aggregation: survivors of the unmasked sum) */
  get cohort(): number {
    const s = this.#state;
    switch (s.type) {
      case 'ldp-histogram':
        return s.tally.n;
      case 'ldp-mean':
        return s.tallies.reduce((a, t) => a + t.n, 0);
      case 'central-histogram':
      case 'central-mean':
        return s.n;
      case 'secagg':
        return s.survivors;
      case 'prio3':
        return s.valid;
    }
  }

  #wrong(what: string): PinholeError {
    return new PinholeError('invalid_state', 'tally', `collection "${this.collection}" (${this.#ctx.plan.mode} ${this.#ctx.plan.kind}) does not take ${what}`);
  }

  #group(param: string, group: unknown): number {
    return checkInteger(param, group, { ge: 0, lt: this.#ctx.plan.groups });
  }

  [ADD_ENTRY](entry: DecodedEntry): void {
    const s = this.#state;
    switch (s.type) {
      case 'ldp-histogram':
        s.tally.add(entry.report);
        return;
      case 'ldp-mean':
        (s.tallies[entry.group as number] as NumericTally).add(entry.report as number);
        return;
      case 'central-histogram':
        s.counts[entry.report as number]! += 1;
        s.n += 1;
        return;
      case 'central-mean':
        this.#addExact(s, entry.group as number, entry.report as number);
        return;
      case 'secagg':
        throw this.#wrong('report entries: secure-aggregation input arrives as the unmasked sum (setSecureSum)');
      case 'prio3':
        // a share only: what counts is the verified, combined sum (setPrio3Sum)
        s.received += 1;
        return;
    }
  }

  #addExact(s: Extract<TallyState, { type: 'central-mean' }>, group: number, value: number): void {
    const m = this.#ctx.plan.mechanism as { bounds: readonly [number, number]; grid: number };
    const [lo, hi] = m.bounds;
    const v = value < lo ? lo : value > hi ? hi : value;
    s.sums[group]! += Math.round(((v - lo) / (hi - lo)) * m.grid);
    s.counts[group]! += 1;
    s.n += 1;
  }

  /** local DP histogram: a tally of this collection's oracle (simulated, or summed by secure aggregation over `oracle.toVector`) */
  addOracleTally(tally: OracleTally<unknown>): void {
    const s = this.#state;
    if (s.type !== 'ldp-histogram') throw this.#wrong('an oracle tally');
    s.tally.merge(tally);
  }

  /** local DP histogram: the summed aggregate vector of `reports` reports */
  addAggregate(vector: ArrayLike<number>, reports: number): void {
    const s = this.#state;
    if (s.type !== 'ldp-histogram') throw this.#wrong('an aggregate vector');
    s.tally.addAggregate(vector, reports);
  }

  /** local DP mean: a numeric tally of the reports of one public group */
  addNumericTally(group: number, tally: NumericTally): void {
    const s = this.#state;
    if (s.type !== 'ldp-mean') throw this.#wrong('a numeric tally');
    const g = this.#group('group', group);
    (s.tallies[g] as NumericTally).merge(tally);
  }

  /** central histogram: exact counts per bucket (one device, one count) */
  addExactCounts(counts: ArrayLike<number>): void {
    const s = this.#state;
    if (s.type !== 'central-histogram') throw this.#wrong('exact counts');
    const d = s.counts.length;
    if (!(Array.isArray(counts) || ArrayBuffer.isView(counts)) || counts.length !== d) throw invalid('counts', `an array of ${d} counts`, counts);
    let n = 0;
    for (let i = 0; i < d; i++) n += checkInteger(`counts[${i}]`, counts[i], { ge: 0 });
    for (let i = 0; i < d; i++) s.counts[i]! += counts[i] as number;
    s.n += n;
  }

  /** central mean: many devices' exact values (clamped to the bounds, then onto the grid) with their groups */
  addExactValues(groups: ArrayLike<number>, values: ArrayLike<number>): void {
    const s = this.#state;
    if (s.type !== 'central-mean') throw this.#wrong('exact values');
    if (!(Array.isArray(groups) || ArrayBuffer.isView(groups)) || !(Array.isArray(values) || ArrayBuffer.isView(values)) || groups.length !== values.length) {
      throw invalid('values', 'two arrays of equal length (groups, values)', values);
    }
    for (let i = 0; i < groups.length; i++) {
      this.#group(`groups[${i}]`, groups[i]);
      const v: unknown = values[i];
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new PinholeError('invalid_argument', `values[${i}]`, `"values[${i}]" expected a finite number`);
    }
    for (let i = 0; i < groups.length; i++) this.#addExact(s, groups[i] as number, values[i] as number);
  }

  /** secure aggregation: the unmasked sum mod 2^modulusBits and the number of devices in it (once) */
  setSecureSum(sum: ArrayLike<number>, survivors: number): void {
    const s = this.#state;
    if (s.type !== 'secagg') throw this.#wrong('a secure-aggregation sum');
    if (s.sum !== null) throw new PinholeError('invalid_state', 'sum', `collection "${this.collection}" already has its secure-aggregation sum for this round`);
    const m = this.#ctx.plan.mechanism as { vectorLength: number; expectedClients: number };
    const modulus = 2 ** this.#ctx.modulusBits;
    if (!(Array.isArray(sum) || ArrayBuffer.isView(sum)) || sum.length !== m.vectorLength) throw invalid('sum', `an array of ${m.vectorLength} integers in [0, ${modulus})`, sum);
    const out = new Uint32Array(m.vectorLength);
    for (let i = 0; i < out.length; i++) {
      const x: unknown = sum[i];
      if (typeof x !== 'number' || !Number.isInteger(x) || x < 0 || x >= modulus) throw invalid(`sum[${i}]`, `an integer in [0, ${modulus})`, x);
      out[i] = x;
    }
    s.survivors = checkInteger('survivors', survivors, { ge: 0, le: m.expectedClients });
    s.sum = out;
  }

  /**
   * prio3: the combined noisy aggregate of the reports both aggregators verified (signed integers,
   * one per coordinate of the VDAF's output) and how many reports it sums (once); null with a
   * count below the minimum cohort, when no aggregate share was released.
   */
  setPrio3Sum(sum: ArrayLike<number> | null, validReports: number, options: { readonly noise?: Prio3Noise } = {}): void {
    const s = this.#state;
    if (s.type !== 'prio3') throw this.#wrong('a prio3 sum');
    if (s.sum !== null) throw new PinholeError('invalid_state', 'sum', `collection "${this.collection}" already has its prio3 sum for this round`);
    if (sum === null) {
      // below the minimum cohort: no aggregate share was asked for, only the count is known
      const n = checkInteger('validReports', validReports, { ge: 0 });
      if (n >= this.#ctx.plan.minCohort) throw invalid('sum', `the combined sum (${n} valid reports reach the minimum cohort)`, sum);
      s.valid = n;
      return;
    }
    const m = this.#ctx.plan.mechanism as { length: number };
    if (!(Array.isArray(sum) || ArrayBuffer.isView(sum)) || sum.length !== m.length) throw invalid('sum', `an array of ${m.length} integers`, sum);
    const out = new Float64Array(m.length);
    for (let i = 0; i < out.length; i++) {
      const x: unknown = sum[i];
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) throw invalid(`sum[${i}]`, 'a safe integer', x);
      out[i] = x;
    }
    const noise = options.noise ?? 'two_aggregators';
    if (noise !== 'two_aggregators' && noise !== 'none_insecure_test') throw invalid('options.noise', '"two_aggregators" or "none_insecure_test"', noise);
    s.valid = checkInteger('validReports', validReports, { ge: 0 });
    s.sum = out;
    s.noise = noise;
  }

  get [TALLY_STATE](): TallyState {
    return this.#state;
  }
}
