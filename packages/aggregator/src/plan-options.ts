/**
 * What a plan is made from: the options of makePlan and makeCollectionPlan with their defaults, the
 * check that refuses unknown keys, and the shape (kind, groups, buckets) a collection id names.
 */
import { type PlanDomains, type PlanMode, type PrivacyLoss, COLLECTIONS } from '@pinhole/core';
import { type InsightDomains } from '@pinhole/core/insights';
import { type SecaggThreatModel, type PlanMemo } from '@pinhole/core/plan';
import { invalid } from '@pinhole/core/validate';
import { type NumericName, type OracleName } from '@pinhole/ldp';
import { type Prio3Options } from './prio3-plan.js';

/** Default integer grid of mean values for the central and secure-aggregation modes. */
export const MEAN_MAX_GRID = 1024;
/**
 * Largest total Skellam mu per coordinate a secure-aggregation mean plans for: exact Poisson
 * sampling costs O(mu), for the server's top-up and for simulations of the sum.
 */
export const MEAN_MU_CAP = 2 ** 17;
/** A Monday: periods of a plan made without a start are counted from here. */
export const DEFAULT_PERIOD_START = '2025-01-06T00:00:00Z';
export const DEFAULT_PERIOD_SECONDS = 7 * 86400;
export const DEFAULT_K = 20;

export interface LdpOptions {
  /** the frequency oracle of histogram collections; 'auto' (default) takes recommendOracle's choice */
  readonly oracle?: OracleName | 'auto';
  /** the numeric mechanism of mean collections; 'auto' (default) takes the least worst-case variance */
  readonly numeric?: NumericName | 'auto';
  /** histogram collections across rounds: 'per_value' (default) reuses one report per true bucket, 'none' perturbs afresh each round (PLAN_MEMO) */
  readonly memo?: PlanMemo;
}

export interface SecaggOptions {
  /** default 'skellam' */
  readonly noise?: 'skellam' | 'discrete_gaussian';
  /** expected share of the cohort that drops out (secure-aggregation floors); default 0 */
  readonly dropoutRate?: number;
  /** noise shares are sized for ceil(cohort · minSurvivorFraction) survivors; default 1 - dropoutRate */
  readonly minSurvivorFraction?: number;
  /** default 'refuse' */
  readonly onShortfall?: 'refuse' | 'top_up';
  /**
   * top_up only: rounds with fewer survivors than ceil(cohort · minCohortFraction) are refused; the
   * aggregator's own loss at that floor (it sees the sum before the top-up) is what devices are
   * charged, so the release's target is calibrated below the collection's budget. Default
   * max(0.5, 1 - 2 · dropoutRate), never above minSurvivorFraction.
   */
  readonly minCohortFraction?: number;
  /** share of clients that may collude with the server; default 0.05 */
  readonly corruptFraction?: number;
  /** secure aggregation fails with probability <= 2^-securityBits; default 40 */
  readonly securityBits?: number;
  /** default 30 */
  readonly correctnessBits?: number;
  /** default 'key_directory' when keyDirectory is given, else 'honest_but_curious' */
  readonly threatModel?: SecaggThreatModel;
  /** the base URL of the key directory devices check keys with (written into the plan; key_directory only) */
  readonly keyDirectory?: string;
  readonly wrapProbability?: number;
  /** largest grid of mean values; default 1024 */
  readonly meanMaxGrid?: number;
  /** largest total Skellam mu per coordinate of a mean; default 2^17 */
  readonly meanNoiseCap?: number;
}

export interface CentralOptions {
  /** the integer grid of mean values; default 1024 */
  readonly meanGrid?: number;
}

export interface CollectionPlanOptions {
  readonly collection: string;
  readonly mode: PlanMode;
  /** what every device is charged for this collection per round */
  readonly budget: PrivacyLoss;
  readonly domains: InsightDomains;
  /** devices expected per round (the secure-aggregation cohort; the oracle choice) */
  readonly expectedDevices: number;
  readonly k?: number;
  /** default: k for ldp and central; the survivor floor for secagg */
  readonly minCohort?: number;
  readonly ldp?: LdpOptions;
  readonly secagg?: SecaggOptions;
  readonly central?: CentralOptions;
  readonly prio3?: Prio3Options;
}

export interface MakePlanOptions {
  readonly id: string;
  readonly revision?: number;
  readonly description?: string;
  readonly insights: readonly string[];
  /** the PUBLIC domains, declared by the carrier (never derived from the data) */
  readonly domains: PlanDomains;
  /** per device, per period */
  readonly budget: { readonly epsilon: number; readonly delta: number; readonly periodSeconds?: number; readonly periodStart?: string };
  readonly schedule?: { readonly roundsPerPeriod?: number; readonly roundSeconds?: number | null; readonly closeAtReports?: number | null };
  readonly mode: PlanMode;
  /** devices expected per round, or per collection id */
  readonly expectedDevices: number | Readonly<Record<string, number>>;
  readonly k?: number;
  readonly minCohort?: number;
  readonly ldp?: LdpOptions;
  readonly secagg?: SecaggOptions;
  readonly central?: CentralOptions;
  readonly prio3?: Prio3Options;
}

/** Refuses a key of `o` that is not one of `allowed` (a misspelt option is an error, not a default). */
export function only(param: string, o: Record<string, unknown>, allowed: readonly string[]): void {
  for (const key of Object.keys(o)) if (!allowed.includes(key)) throw invalid(`${param}.${key}`, `no such option (known: ${allowed.join(', ')})`, o[key]);
}

/** A collection's shape on the declared domains. */
export interface CollectionLayout {
  readonly kind: 'histogram' | 'mean';
  readonly groups: number;
  readonly buckets: number;
  readonly bounds: readonly [number, number] | null;
}

/** What every mode's collection shares: its size, the gate's k and the minCohort asked for (if any). */
export interface CollectionBase {
  readonly groups: number;
  readonly domainSize: number;
  readonly k: number;
  readonly minCohort: number | undefined;
}

/** The shape of the collection `collectionId` names; refuses an id that names none. */
export function layoutOf(collectionId: string, domains: InsightDomains): CollectionLayout {
  const c = COLLECTIONS.find((x) => x.id === collectionId);
  if (!c) throw invalid('collection', `one of ${COLLECTIONS.map((x) => JSON.stringify(x.id)).join(', ')}`, collectionId);
  if (c.kind === 'histogram') {
    const l = c.layout(domains);
    return { kind: 'histogram', groups: l.groups.length, buckets: l.buckets.length, bounds: null };
  }
  return { kind: 'mean', groups: c.groups(domains).length, buckets: 1, bounds: c.bounds };
}
