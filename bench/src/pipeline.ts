/**
 * What a bench pipeline is: a collection configuration of the aggregator's release engine (a plan
 * made with `makePlan`, so the bench measures what a generated plan ships) plus a way to simulate
 * the engine's input — simulated tallies in aggregate mode, per-device perturbation in device
 * mode, simulated secure-aggregation sums, exact counts. `raw` and `kanon-only` are references
 * outside the engine (not private, never deployable).
 */
import {
  type CollectionEngine,
  type CollectionEstimate,
  type CollectionRelease,
  type InsightRelease,
  type MakePlanOptions,
  type ReleaseEngine,
  makePlan,
  makeReleaseEngine,
} from '@pinhole/aggregator';
import { type Rng, INSIGHTS, PinholeError } from '@pinhole/core';
import { type InsightDomains } from '@pinhole/core/insights';
import type { HistogramData, MeanData } from './prepare.js';
import type { WorkerPool } from './workers.js';

export type SimulationMode = 'aggregate' | 'device';

export interface PipelineInput<D> {
  readonly data: D;
  /** this collection's share of the round's budget */
  readonly epsilon: number;
  readonly delta: number;
  readonly k: number;
  readonly rng: Rng;
  readonly mode: SimulationMode;
  readonly pool?: WorkerPool;
}

export interface HistogramOutput {
  /** estimated counts per bucket before post-processing (may be negative) */
  readonly counts: Float64Array;
  readonly released: Uint8Array;
  /** closed-form mean per-bucket variance of the frequency estimate (counts / n), when known */
  readonly frequencyVariance: number | null;
  /** the insight statistics a carrier receives (the engine's), or null for the references */
  readonly insights: readonly InsightRelease[] | null;
  /** the engine's release, or null for the references */
  readonly release: CollectionRelease | null;
}

export interface MeanOutput {
  readonly means: Float64Array;
  readonly released: Uint8Array;
  /** closed-form variance of each group's mean estimate, when known */
  readonly variance: Float64Array | null;
  readonly insights: readonly InsightRelease[] | null;
  readonly release: CollectionRelease | null;
}

export interface Pipeline {
  readonly id: string;
  readonly description: string;
  readonly private: boolean;
  /** the engine configuration of a private pipeline (absent for the references): what the auditor and the poisoning experiment run */
  readonly config?: EngineConfig;
  histogram?(input: PipelineInput<HistogramData>): Promise<HistogramOutput>;
  mean?(input: PipelineInput<MeanData>): Promise<MeanOutput>;
}

export class SkipPipeline extends Error {}

export type EngineConfig = Pick<MakePlanOptions, 'mode' | 'ldp' | 'secagg' | 'central'>;

const engines = new Map<string, ReleaseEngine>();

/**
 * The engine of a one-collection plan for this data and budget (every insight of the catalogue that
 * reads the collection), cached: trials reuse it. A mechanism that cannot serve the collection
 * (an oracle and a domain size it does not support) skips the pipeline.
 */
export function engineFor(config: EngineConfig, data: HistogramData | MeanData, epsilon: number, delta: number, k: number, expectedDevices = data.n): CollectionEngine {
  const key = JSON.stringify([config, data.collection.id, epsilon, delta, k, expectedDevices, domainsKey(data.domains)]);
  let engine = engines.get(key);
  if (!engine) {
    let plan;
    try {
      plan = makePlan({
        id: 'pinhole-bench',
        insights: INSIGHTS.filter((i) => i.collection === data.collection.id).map((i) => i.id),
        domains: data.domains,
        budget: { epsilon, delta },
        expectedDevices,
        k,
        ...config,
      });
    } catch (err) {
      if (err instanceof PinholeError && err.code === 'invalid_argument' && config.mode === 'ldp') throw new SkipPipeline(err.message);
      throw err;
    }
    engine = makeReleaseEngine(plan, { allowInsecureRng: true });
    if (engines.size > 256) engines.clear();
    engines.set(key, engine);
  }
  return engine.collections[0] as CollectionEngine;
}

const domainKeys = new WeakMap<InsightDomains, string>();
function domainsKey(d: InsightDomains): string {
  let k = domainKeys.get(d);
  if (k === undefined) {
    k = JSON.stringify([d.operators, d.regions, d.cells]);
    domainKeys.set(d, k);
  }
  return k;
}

/** Per group: 1 if the release published it. */
export function releasedFlags(release: CollectionRelease, groups: number): Uint8Array {
  const out = new Uint8Array(groups);
  if (release.status === 'released') release.groups.forEach((g, i) => (out[i] = g.released ? 1 : 0));
  return out;
}

/** Estimates and publishes a filled tally: the histogram output every engine pipeline returns. */
export function publishHistogram(c: CollectionEngine, tally: ReturnType<CollectionEngine['makeTally']>, rng: Rng, domainSize: number, groups: number, n: number): HistogramOutput {
  const est = c.estimate(tally, { rng });
  const release = c.publish(est);
  return {
    counts: rawValues(est, domainSize),
    released: releasedFlags(release, groups),
    frequencyVariance: est.noiseVariance === null ? null : est.noiseVariance / (n * n),
    insights: release.insights,
    release,
  };
}

/** The estimate's raw values, or zeros when the engine refused the round. */
export function rawValues(est: CollectionEstimate, length: number, fill = 0): Float64Array {
  return est.values ? Float64Array.from(est.values) : new Float64Array(length).fill(fill);
}
