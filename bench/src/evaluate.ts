/**
 * Scores what a pipeline published against the truth with the insight's error metric. The
 * statistics scored are the engine's (the carrier-facing `InsightRelease`, computed from the
 * post-processed estimates of the released groups); the truth side applies the same statistic
 * functions to the true counts. A group the pipeline did not release is scored with the release's
 * pooled statistic over the groups it did release (what a carrier would fall back on), or the
 * uninformative one if it released nothing; groups weigh by their true number of devices.
 */
import { type InsightRelease, type StatisticValue, histogramStatistic, normalise } from '@pinhole/aggregator';
import type { InsightDefinition } from '@pinhole/core';
import type { HistogramData, MeanData } from './prepare.js';

export interface Published {
  /** the insight statistics the pipeline published */
  readonly insights: readonly InsightRelease[] | null;
}

function groupVector(counts: ArrayLike<number>, g: number, B: number): Float64Array {
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) out[b] = counts[g * B + b] as number;
  return out;
}

function insightOf(insight: InsightDefinition, est: Published): InsightRelease | null {
  return est.insights?.find((i) => i.insight === insight.id) ?? null;
}

/** The published value of each group (released groups only) by group label. */
function valuesByKey(ins: InsightRelease | null): Map<string, StatisticValue> {
  return new Map((ins?.groups ?? []).map((g) => [g.key, g.value]));
}

export function scoreHistogram(insight: InsightDefinition, data: HistogramData, est: Published): number {
  const G = data.groups.length;
  const B = data.buckets.length;
  const stat = insight.statistic;
  const ins = insightOf(insight, est);
  const published = valuesByKey(ins);
  const fallback = ins?.overall ?? null;

  if (stat.kind === 'worst') {
    const truthRank: [number, number][] = [];
    for (let g = 0; g < G; g++) {
      const t = groupVector(data.truth, g, B);
      let total = 0;
      for (const x of t) total += x;
      if (total >= stat.minDevices) truthRank.push([g, histogramStatistic(stat, t) as number]);
    }
    const k = Math.min(stat.k, truthRank.length);
    if (k === 0) return NaN;
    const truthTop = new Set(
      truthRank
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, k)
        .map(([g]) => data.groups[g] as string),
    );
    const estTop = (ins?.top ?? []).slice(0, k);
    let hit = 0;
    for (const { key } of estTop) if (truthTop.has(key)) hit++;
    return 1 - hit / k;
  }

  let num = 0;
  let den = 0;
  for (let g = 0; g < G; g++) {
    const t = groupVector(data.truth, g, B);
    let weight = 0;
    for (const x of t) weight += x;
    if (!(weight > 0)) continue;
    const key = data.groups[g] as string;
    // released: its own statistic (null when its estimate says nothing); withheld: the pooled one
    const e = published.has(key) ? (published.get(key) ?? null) : fallback;
    let err: number;
    if (stat.kind === 'distribution') {
      const p = normalise(t) as Float64Array;
      const q = (e as readonly number[] | null) ?? new Array<number>(B).fill(1 / B);
      err = 0;
      for (let b = 0; b < B; b++) err += Math.abs((p[b] as number) - (q[b] as number));
      err /= 2;
    } else if (stat.kind === 'share') {
      const p = histogramStatistic(stat, t) as number;
      const q = (e as number | null) ?? 0.5;
      err = Math.abs(p - q) * 100;
    } else if (stat.kind === 'quantile') {
      const p = histogramStatistic(stat, t) as number;
      err = e === null ? 1 : Math.abs((e as number) - p) / p;
    } else {
      throw new Error(`statistic ${stat.kind} does not apply to a histogram`);
    }
    num += weight * err;
    den += weight;
  }
  return den > 0 ? num / den : NaN;
}

export function scoreMean(data: MeanData, est: Published): number {
  const ins = est.insights?.find((i) => i.statistic === 'mean') ?? null;
  const published = valuesByKey(ins);
  const [lo, hi] = data.collection.bounds;
  const fallback = typeof ins?.overall === 'number' ? ins.overall : (lo + hi) / 2;
  let num = 0;
  let den = 0;
  for (let g = 0; g < data.groups.length; g++) {
    const w = data.devices[g] as number;
    if (!(w > 0)) continue;
    const truth = data.truth[g] as number;
    const v = published.get(data.groups[g] as string);
    const e = typeof v === 'number' ? v : fallback;
    num += (w * Math.abs(e - truth)) / truth;
    den += w;
  }
  return den > 0 ? num / den : NaN;
}

/** Root mean squared error of frequency estimates (counts / n) against the sampled counts: the oracles' closed form applies to it. */
export function frequencyRmse(data: HistogramData, counts: Float64Array): number {
  let s = 0;
  for (let v = 0; v < counts.length; v++) {
    const d = ((counts[v] as number) - (data.sampledCounts[v] as number)) / data.n;
    s += d * d;
  }
  return Math.sqrt(s / counts.length);
}
