/**
 * The carrier-facing statistics of each insight, computed from the post-processed estimates of
 * the released groups only (post-processing: no privacy cost). The bench scores exactly these
 * values against the truth, applying the same functions to the true counts.
 */
import type { InsightDefinition } from '@pinhole/core';
import type { InsightStatistic } from '@pinhole/core/insights';
import type { InsightRelease, StatisticValue } from './release.js';

/** v / sum(v), or null when the sum is not positive. */
export function normalise(v: ArrayLike<number>): Float64Array | null {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] as number;
  if (!(s > 0)) return null;
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / s;
  return out;
}

/** The q-quantile of a histogram over `edges`, interpolating geometrically inside buckets with a positive lower edge; NaN when empty. */
export function histogramQuantile(weights: ArrayLike<number>, edges: readonly number[], q: number): number {
  let total = 0;
  for (let b = 0; b < weights.length; b++) total += Math.max(0, weights[b] as number);
  if (!(total > 0)) return NaN;
  const target = q * total;
  let acc = 0;
  for (let b = 0; b < weights.length; b++) {
    const w = Math.max(0, weights[b] as number);
    if (w > 0 && acc + w >= target) {
      const frac = (target - acc) / w;
      const lo = edges[b] as number;
      const hi = edges[b + 1] as number;
      return lo > 0 ? lo * (hi / lo) ** frac : lo + (hi - lo) * frac;
    }
    acc += w;
  }
  return edges[edges.length - 1] as number;
}

/** The share of `bucket` in a group's counts (0 for an empty group), the ranking key of worst-k insights. */
export function bucketShare(counts: ArrayLike<number>, bucket: number): number {
  let t = 0;
  for (let i = 0; i < counts.length; i++) t += counts[i] as number;
  return t > 0 ? (counts[bucket] as number) / t : 0;
}

/**
 * One group's statistic from its (non-negative) counts: a distribution, a share, a quantile, or
 * the worst-k ranking key; null when the counts say nothing (all zero).
 */
export function histogramStatistic(stat: InsightStatistic, counts: ArrayLike<number>): StatisticValue {
  switch (stat.kind) {
    case 'distribution': {
      const p = normalise(counts);
      return p ? Array.from(p) : null;
    }
    case 'share': {
      const p = normalise(counts);
      return p ? (p[stat.bucket] as number) : null;
    }
    case 'quantile': {
      const x = histogramQuantile(counts, stat.edges, stat.q);
      return Number.isNaN(x) ? null : x;
    }
    case 'worst':
      return bucketShare(counts, stat.bucket);
    case 'mean':
      throw new TypeError('a mean statistic does not apply to a histogram');
  }
}

export interface HistogramGroupEstimate {
  readonly key: string;
  readonly released: boolean;
  /** post-processed (clipped) counts */
  readonly counts: Float64Array;
}

export interface MeanGroupEstimate {
  readonly key: string;
  readonly released: boolean;
  /** clamped mean, NaN when not estimable */
  readonly mean: number;
  /** estimated contributors (weights the overall mean) */
  readonly contributors: number;
}

/** The top k released groups by share of `bucket` among those with >= minDevices estimated contributors (ties: domain order). */
export function worstGroups(groups: readonly HistogramGroupEstimate[], stat: Extract<InsightStatistic, { kind: 'worst' }>): { key: string; value: number }[] {
  const ranked: { index: number; key: string; value: number }[] = [];
  groups.forEach((g, index) => {
    if (!g.released) return;
    let t = 0;
    for (const x of g.counts) t += x;
    if (t >= stat.minDevices) ranked.push({ index, key: g.key, value: bucketShare(g.counts, stat.bucket) });
  });
  ranked.sort((a, b) => b.value - a.value || a.index - b.index);
  return ranked.slice(0, stat.k).map(({ key, value }) => ({ key, value }));
}

export function histogramInsight(insight: InsightDefinition, groups: readonly HistogramGroupEstimate[], buckets: number): InsightRelease {
  const stat = insight.statistic;
  const pooled = new Float64Array(buckets);
  const out: { key: string; value: StatisticValue }[] = [];
  for (const g of groups) {
    if (!g.released) continue;
    for (let b = 0; b < buckets; b++) pooled[b]! += g.counts[b] as number;
    out.push({ key: g.key, value: histogramStatistic(stat, g.counts) });
  }
  const any = out.length > 0 && pooled.some((x) => x > 0);
  return {
    insight: insight.id,
    title: insight.title,
    statistic: stat.kind,
    groups: out,
    overall: any ? histogramStatistic(stat, pooled) : null,
    top: stat.kind === 'worst' ? worstGroups(groups, stat) : null,
  };
}

export function meanInsight(insight: InsightDefinition, groups: readonly MeanGroupEstimate[]): InsightRelease {
  let sum = 0;
  let weight = 0;
  const out: { key: string; value: StatisticValue }[] = [];
  for (const g of groups) {
    if (!g.released) continue;
    const ok = Number.isFinite(g.mean);
    out.push({ key: g.key, value: ok ? g.mean : null });
    if (ok && g.contributors > 0) {
      sum += g.mean * g.contributors;
      weight += g.contributors;
    }
  }
  return { insight: insight.id, title: insight.title, statistic: 'mean', groups: out, overall: weight > 0 ? sum / weight : null, top: null };
}
