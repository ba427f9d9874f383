/**
 * The release engine of a plan: one CollectionEngine per collection, the decoding of device
 * reports against the plan, and rounds that accumulate what the server received and release it.
 * Pure and synchronous, no I/O: the server adds transport, storage and scheduling around it, and
 * the bench feeds it simulated tallies.
 */
import { type Plan, type PrivacyLoss, type ReportEntry, type RoundReport, PinholeError, checkPlan, decodeRoundReport } from '@pinhole/core';
import { checkBoolean, checkInteger, checkObject, checkOneOf, checkString } from '@pinhole/core/validate';
import { longitudinalGuarantee, planRoundLoss } from '@pinhole/core/plan';
import { type SuppressionReason, SUPPRESSION_REASONS } from '@pinhole/gate';
import { type CollectionEngine, type EstimateOptions, makeCollectionEngine } from './collection.js';
import { type CollectionRelease, type RoundRelease, RELEASE_FORMAT, RELEASE_VERSION, freezeDeep } from './release.js';
import { type CollectionTally, type DecodedEntry, ADD_ENTRY } from './tally.js';

export interface EngineOptions {
  /** accept seeded generators for central noise, top-ups and the noise plans' device shares (simulation and tests only) */
  readonly allowInsecureRng?: boolean;
  /** prio3 collections: which aggregator's input shares this engine decodes (0: the leader, default; 1: the helper) */
  readonly prio3AggregatorId?: 0 | 1;
}

/** A device's round report, decoded and checked against the plan: every entry decoded by its collection's mechanism. */
export interface DecodedReport {
  readonly report: RoundReport;
  readonly entries: readonly DecodedEntry[];
}

export interface Round {
  readonly roundId: string;
  /** reports accepted (duplicates not counted) */
  readonly reports: number;
  readonly closed: boolean;
  /**
   * Adds one device report (bytes or already decoded). All its entries are checked before any is
   * counted; a report id seen before in this round is a retry: 'duplicate', counted once.
   */
  add(report: Uint8Array | DecodedReport): 'added' | 'duplicate';
  /** the accumulator of one collection (secure-aggregation sums, simulated or pre-aggregated input) */
  tally(collectionId: string): CollectionTally;
  /**
   * Closes the round and releases every collection. When any collection is below its minimum
   * cohort the whole round is refused ('min_cohort'), never released in part.
   */
  release(options?: EstimateOptions): RoundRelease;
  /**
   * Closes the round and publishes it refused, whole, for a reason found outside the engine (a
   * secure-aggregation round that aborted before unmasking: 'round_aborted'; too few devices joined:
   * 'min_cohort'). `cohort` is the number of devices that took part.
   */
  refuse(refusal: { readonly reason: SuppressionReason; readonly message: string }, cohort: number): RoundRelease;
}

export interface ReleaseEngine {
  readonly plan: Plan;
  readonly collections: readonly CollectionEngine[];
  collection(id: string): CollectionEngine;
  /**
   * Decodes a device's report envelope and every entry against the plan. Malformed bytes are
   * `decode_failed`; a report for another plan, revision or round, or naming a collection the plan
   * does not have (or one collected by secure aggregation), is `protocol_violation`; each names the
   * offending field in `param`.
   */
  decodeReport(bytes: Uint8Array, options?: { readonly roundId?: string }): DecodedReport;
  openRound(params: { readonly roundId: string }): Round;
}

function violation(param: string, message: string): PinholeError {
  return new PinholeError('protocol_violation', param, `"${param}" ${message}`);
}

/** Builds the engine of a plan (validated with checkPlan, its resolved parameters checked against the libraries). */
export function makeReleaseEngine(planInput: unknown, options: EngineOptions = {}): ReleaseEngine {
  checkObject('options', options);
  const allowInsecureRng = options.allowInsecureRng === undefined ? false : checkBoolean('options.allowInsecureRng', options.allowInsecureRng);
  const prio3AggregatorId = options.prio3AggregatorId === undefined ? 0 : checkOneOf('options.prio3AggregatorId', options.prio3AggregatorId, [0, 1] as const);
  const plan = checkPlan(planInput);
  const collections = plan.collections.map((_, i) => makeCollectionEngine(plan, i, { allowInsecureRng, prio3AggregatorId }));
  const byId = new Map(collections.map((c) => [c.id, c]));
  const roundLoss: PrivacyLoss = planRoundLoss(plan);
  const longitudinal = longitudinalGuarantee(plan);
  // decoded reports this engine issued: a round takes no other object in their place
  const issued = new WeakSet<DecodedReport>();

  function collection(id: string): CollectionEngine {
    const c = byId.get(id);
    if (!c)
      throw new PinholeError(
        'invalid_argument',
        'collection',
        `"collection" expected a collection of plan "${plan.id}" (${[...byId.keys()].map((k) => JSON.stringify(k)).join(', ')}), got ${JSON.stringify(String(id).slice(0, 64))}`,
      );
    return c;
  }

  function decodeReport(bytes: Uint8Array, opts: { readonly roundId?: string } = {}): DecodedReport {
    const report = decodeRoundReport(bytes);
    if (report.planId !== plan.id) throw violation('report.planId', `expected plan "${plan.id}", got ${JSON.stringify(report.planId)}`);
    if (report.planRevision !== plan.revision) throw violation('report.planRevision', `expected revision ${plan.revision} of plan "${plan.id}", got ${report.planRevision}`);
    if (opts.roundId !== undefined && report.roundId !== opts.roundId) throw violation('report.roundId', `expected round ${JSON.stringify(opts.roundId)}, got ${JSON.stringify(report.roundId)}`);
    const entries = report.entries.map((e: ReportEntry, i) => {
      const c = byId.get(e.collection);
      if (!c) throw violation(`report.entries[${i}].collection`, `expected a collection of plan "${plan.id}", got ${JSON.stringify(e.collection)}`);
      if (c.mode === 'secagg') throw violation(`report.entries[${i}].collection`, `names "${c.id}", which is collected by secure aggregation, not by report entries`);
      return c.decodeEntry(e, `report.entries[${i}]`);
    });
    const decoded: DecodedReport = Object.freeze({ report, entries: Object.freeze(entries) });
    issued.add(decoded);
    return decoded;
  }

  function openRound(params: { readonly roundId: string }): Round {
    checkObject('params', params);
    const roundId = checkString('params.roundId', params.roundId, { nonEmpty: true, maxLength: 128 });
    const tallies = new Map(collections.map((c) => [c.id, c.makeTally()]));
    const seen = new Set<string>();
    let closed = false;
    const open = () => {
      if (closed) throw new PinholeError('invalid_state', 'round', `round ${JSON.stringify(roundId)} is closed: it was released`);
    };
    const roundRelease = (refusal: RoundRelease['refusal'], out: CollectionRelease[]): RoundRelease =>
      freezeDeep({
        format: RELEASE_FORMAT,
        version: RELEASE_VERSION,
        plan: { id: plan.id, revision: plan.revision },
        round: roundId,
        status: refusal ? 'refused' : 'released',
        refusal,
        privacyUnit: 'device',
        neighbours: plan.neighbours,
        longitudinal,
        spent: roundLoss,
        reports: seen.size,
        collections: out,
      } satisfies RoundRelease);
    const round: Round = {
      roundId,
      get reports() {
        return seen.size;
      },
      get closed() {
        return closed;
      },
      add(input: Uint8Array | DecodedReport): 'added' | 'duplicate' {
        open();
        let decoded: DecodedReport;
        if (input instanceof Uint8Array) decoded = decodeReport(input, { roundId });
        else {
          if (!issued.has(input)) throw new PinholeError('invalid_argument', 'report', '"report" expected the bytes of a report or what this engine\'s decodeReport returned');
          if (input.report.roundId !== roundId) throw violation('report.roundId', `expected round ${JSON.stringify(roundId)}, got ${JSON.stringify(input.report.roundId)}`);
          decoded = input;
        }
        if (seen.has(decoded.report.reportId)) return 'duplicate';
        seen.add(decoded.report.reportId);
        for (const e of decoded.entries) (tallies.get(e.collection) as CollectionTally)[ADD_ENTRY](e);
        return 'added';
      },
      tally(collectionId: string): CollectionTally {
        open();
        return tallies.get(collection(collectionId).id) as CollectionTally;
      },
      release(opts: EstimateOptions = {}): RoundRelease {
        open();
        const short = collections.filter((c) => (tallies.get(c.id) as CollectionTally).cohort < c.plan.minCohort);
        let out: CollectionRelease[];
        let refusal: RoundRelease['refusal'] = null;
        if (short.length > 0) {
          const message = `below the minimum cohort: ${short.map((c) => `"${c.id}" has ${(tallies.get(c.id) as CollectionTally).cohort} of ${c.plan.minCohort}`).join(', ')}; nothing of the round is released`;
          refusal = { reason: 'min_cohort', message };
          // a short collection states its own cohort (and what the aggregator saw if a sum was unmasked anyway)
          out = collections.map((c) => (short.includes(c) ? c.release(tallies.get(c.id) as CollectionTally, opts) : c.refused('min_cohort', message, (tallies.get(c.id) as CollectionTally).cohort)));
        } else {
          out = collections.map((c) => c.release(tallies.get(c.id) as CollectionTally, opts));
        }
        closed = true;
        return roundRelease(refusal, out);
      },
      refuse(refusal: { readonly reason: SuppressionReason; readonly message: string }, cohort: number): RoundRelease {
        open();
        const r = checkObject('refusal', refusal);
        const reason = checkOneOf('refusal.reason', r.reason, SUPPRESSION_REASONS);
        const message = checkString('refusal.message', r.message, { nonEmpty: true, maxLength: 2000 });
        const n = checkInteger('cohort', cohort, { ge: 0 });
        closed = true;
        return roundRelease(
          { reason, message },
          collections.map((c) => c.refused(reason, message, n)),
        );
      },
    };
    return Object.freeze(round);
  }

  return Object.freeze({ plan, collections: Object.freeze(collections), collection, decodeReport, openRound });
}
