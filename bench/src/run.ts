/**
 * The utility sweep: for every insight × pipeline × epsilon × trial, estimate and score. Every
 * random choice comes from a seeded stream labelled by what it is for, so a run is reproducible
 * from its seed (timings aside) and adding a pipeline does not change the others' numbers.
 */
import type { CollectionRelease } from '@pinhole/aggregator';
import { COLLECTIONS, type Collection, type InsightDefinition, getInsight } from '@pinhole/core';
import { ERROR_METRICS, type InsightDomains } from '@pinhole/core/insights';
import { seededRng } from '@pinhole/core/seeded';
import type { MeasurementTable } from '@pinhole/datasets';
import { frequencyRmse, scoreHistogram, scoreMean } from './evaluate.js';
import type { InsightInfo, PipelineInfo, ResultPoint } from './output.js';
import { summarise } from './output.js';
import { type SimulationMode, SkipPipeline, allPipelines } from './pipelines.js';
import { type CollectionData, CollectionBuilder } from './prepare.js';
import type { WorkerPool } from './workers.js';

export interface SweepConfig {
  readonly insights: readonly string[];
  readonly pipelines: readonly string[];
  readonly epsilons: readonly number[];
  readonly delta: number;
  readonly k: number;
  readonly trials: number;
  readonly seed: string;
  readonly mode: SimulationMode;
}

export interface SweepResult {
  readonly points: ResultPoint[];
  readonly insights: InsightInfo[];
  readonly pipelines: PipelineInfo[];
  readonly collections: { id: string; n: number; domainSize: number; epsilonShare: number }[];
}

/** Collections the chosen insights need, in catalogue order. */
export function collectionsFor(insightIds: readonly string[]): Collection[] {
  const ids = new Set(insightIds.map((id) => getInsight(id).collection));
  return COLLECTIONS.filter((c) => ids.has(c.id));
}

export function prepareCollections(tables: Iterable<MeasurementTable>, domains: InsightDomains, collections: readonly Collection[], seed: string, keepItems: boolean): CollectionData[] {
  const builder = new CollectionBuilder(collections, domains, seededRng(seed).stream('sample-measurement'), { keepItems });
  for (const t of tables) builder.add(t);
  return builder.finish();
}

const FREQ_PREFIX = 'frequency-rmse.';

function insightInfo(ins: InsightDefinition): InsightInfo {
  return { id: ins.id, title: ins.title, question: ins.question, metric: ins.metric, metricDescription: ERROR_METRICS[ins.metric], collection: ins.collection, logScale: ins.metric !== 'miss_at_k' };
}

export async function sweep(data: readonly CollectionData[], config: SweepConfig, options: { log?: (line: string) => void; pool?: WorkerPool } = {}): Promise<SweepResult> {
  const insights = config.insights.map(getInsight);
  const pipelines = allPipelines().filter((p) => config.pipelines.includes(p.id));
  const share = 1 / data.length;
  const points: ResultPoint[] = [];
  const infos: InsightInfo[] = insights.map(insightInfo);
  for (const d of data) {
    if (d.kind === 'histogram') {
      infos.push({
        id: `${FREQ_PREFIX}${d.collection.id}`,
        title: `Frequency RMSE: ${d.collection.id}`,
        question: `How far are the estimated bucket frequencies of "${d.collection.id}" from the reported ones? The oracles' closed-form variance predicts it (dashed).`,
        metric: 'rmse',
        metricDescription: 'root mean squared error of the estimated frequencies (counts / n) over all buckets, before post-processing',
        collection: d.collection.id,
        logScale: true,
      });
    }
  }
  const models = new Map<string, { threatModel: Set<string>; treatsAsPublic: Set<string>; neighbours: Set<string> }>();
  const total = config.epsilons.length * pipelines.length * data.length;
  let done = 0;
  const t0 = performance.now();
  for (const epsilon of config.epsilons) {
    const epsilonC = epsilon * share;
    const deltaC = config.delta * share;
    for (const pipeline of pipelines) {
      for (const d of data) {
        done++;
        const users = insights.filter((i) => i.collection === d.collection.id);
        const errors = new Map<string, number[]>(users.map((u) => [u.id, []]));
        const freq: number[] = [];
        let theoryFreq: number | null = null;
        let theoryMean: number | null = null;
        let releasedSum = 0;
        let skipped = false;
        const seen = models.get(pipeline.id) ?? { threatModel: new Set<string>(), treatsAsPublic: new Set<string>(), neighbours: new Set<string>() };
        models.set(pipeline.id, seen);
        const note = (out: { release: CollectionRelease | null }) => {
          if (!out.release) return;
          seen.threatModel.add(out.release.threatModel.description);
          seen.neighbours.add(out.release.neighbours);
          for (const p of out.release.treatsAsPublic) seen.treatsAsPublic.add(p);
        };
        // No device reports in this collection (real data without its fields): nothing to estimate;
        // the points stay NaN and the output explains why.
        const trials = d.n === 0 ? 0 : config.trials;
        if (d.n === 0) releasedSum = NaN;
        for (let trial = 0; trial < trials; trial++) {
          const rng = seededRng(config.seed).stream(`trial=${trial}/pipeline=${pipeline.id}/collection=${d.collection.id}/epsilon=${epsilon}`);
          const input = { epsilon: epsilonC, delta: deltaC, k: config.k, rng, mode: config.mode, ...(options.pool ? { pool: options.pool } : {}) };
          try {
            if (d.kind === 'histogram') {
              if (!pipeline.histogram) {
                skipped = true;
                break;
              }
              const out = await pipeline.histogram({ ...input, data: d });
              note(out);
              for (const u of users) errors.get(u.id)?.push(scoreHistogram(u, d, out));
              freq.push(frequencyRmse(d, out.counts));
              if (out.frequencyVariance !== null) theoryFreq = Math.sqrt(out.frequencyVariance);
              releasedSum += out.released.reduce((a, b) => a + b, 0) / out.released.length;
            } else {
              if (!pipeline.mean) {
                skipped = true;
                break;
              }
              const out = await pipeline.mean({ ...input, data: d });
              note(out);
              for (const u of users) errors.get(u.id)?.push(scoreMean(d, out));
              if (out.variance) theoryMean = meanTheory(d, out.variance);
              releasedSum += out.released.reduce((a, b) => a + b, 0) / out.released.length;
            }
          } catch (err) {
            if (err instanceof SkipPipeline) {
              skipped = true;
              break;
            }
            throw err;
          }
        }
        if (!skipped) {
          const base = { pipeline: pipeline.id, epsilon, delta: config.delta, k: config.k, epsilonCollection: epsilonC, deltaCollection: deltaC, released: releasedSum / config.trials, n: d.n };
          for (const u of users) points.push({ ...base, insight: u.id, error: summarise(errors.get(u.id) ?? []), theory: u.metric === 'relative' && d.kind === 'mean' ? theoryMean : null });
          // raw answers from every measurement, not from the reports: its "estimation error" would be
          // the one-measurement sampling, which no mechanism adds, so it has no frequency point.
          if (d.kind === 'histogram' && pipeline.id !== 'raw') points.push({ ...base, insight: `${FREQ_PREFIX}${d.collection.id}`, error: summarise(freq), theory: theoryFreq });
        }
        if (options.log && (done % 25 === 0 || done === total)) {
          const elapsed = (performance.now() - t0) / 1000;
          options.log(`utility: ${done}/${total} (ε=${epsilon}, ${pipeline.id}, ${d.collection.id}) ${elapsed.toFixed(1)} s, ~${((elapsed / done) * (total - done)).toFixed(0)} s left`);
        }
      }
    }
  }
  const used = new Set(points.map((p) => p.pipeline));
  return {
    points,
    insights: infos.filter((i) => points.some((p) => p.insight === i.id)),
    pipelines: pipelines
      .filter((p) => used.has(p.id))
      .map((p) => {
        const m = models.get(p.id);
        const engine = m !== undefined && m.threatModel.size > 0;
        return {
          id: p.id,
          description: p.description,
          private: p.private,
          // what each engine release stated; the references are not releases
          threatModel: engine ? [...m.threatModel] : [p.private ? 'unknown' : 'none: not private (exact data, shown for reference)'],
          treatsAsPublic: engine ? [...m.treatsAsPublic] : ['everything: exact data'],
          ...(engine ? { neighbours: [...m.neighbours] } : {}),
        };
      }),
    collections: data.map((d) => ({ id: d.collection.id, n: d.n, domainSize: d.kind === 'histogram' ? d.sampledCounts.length : d.groups.length, epsilonShare: share })),
  };
}

/** Expected relative error of an unbiased Gaussian-approximate mean: E|N(0, v)| = sqrt(2v/π), weighted like scoreMean. */
function meanTheory(d: CollectionData & { kind: 'mean' }, variance: Float64Array): number | null {
  let num = 0;
  let den = 0;
  for (let g = 0; g < d.groups.length; g++) {
    const w = d.devices[g] as number;
    const v = variance[g] as number;
    if (!(w > 0) || !Number.isFinite(v)) continue;
    num += (w * Math.sqrt((2 * v) / Math.PI)) / (d.truth[g] as number);
    den += w;
  }
  return den > 0 ? num / den : null;
}
