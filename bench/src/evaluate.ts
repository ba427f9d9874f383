/**
 * Scores a pipeline's output against the truth with the insight's error metric. Estimated counts
 * are clipped at zero before any statistic (post-processing). A group the pipeline did not release
 * is scored with the pipeline's pooled estimate over the groups it did release (what a carrier
 * would fall back on), or the uninformative one if it released nothing; groups weigh by their
 * true number of devices.
 */
import type { InsightDefinition } from '@pinhole/core';
import type { HistogramData, MeanData } from './prepare.js';

export interface HistogramEstimate {
  /** estimated counts per bucket (may be negative) */
  readonly counts: Float64Array;
  /** per group: was it released */
  readonly released: Uint8Array;
}

export interface MeanEstimate {
  /** estimated mean per group (NaN when not released) */
  readonly means: Float64Array;
  readonly released: Uint8Array;
}

function groupVector(counts: ArrayLike<number>, g: number, B: number, clip: boolean): Float64Array {
  const out = new Float64Array(B);
  for (let b = 0; b < B; b++) {
    const x = counts[g * B + b] as number;
    out[b] = clip && x < 0 ? 0 : x;
  }
  return out;
}

function pooled(est: HistogramEstimate, G: number, B: number): Float64Array | null {
  const out = new Float64Array(B);
  let any = false;
  for (let g = 0; g < G; g++) {
    if (!est.released[g]) continue;
    any = true;
    const v = groupVector(est.counts, g, B, true);
    for (let b = 0; b < B; b++) out[b]! += v[b] as number;
  }
  return any && out.some((x) => x > 0) ? out : null;
}

function normalise(v: Float64Array): Float64Array | null {
  let s = 0;
  for (const x of v) s += x;
  if (!(s > 0)) return null;
  return v.map((x) => x / s);
}

/** The q-quantile of a histogram over `edges`, interpolating geometrically inside buckets with a positive lower edge. */
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

export function scoreHistogram(insight: InsightDefinition, data: HistogramData, est: HistogramEstimate): number {
  const G = data.groups.length;
  const B = data.buckets.length;
  const stat = insight.statistic;
  const fallback = pooled(est, G, B);
  const estimateOf = (g: number): Float64Array | null => (est.released[g] ? groupVector(est.counts, g, B, true) : fallback);

  if (stat.kind === 'worst') {
    const share = (v: ArrayLike<number>) => {
      const t = (v[0] as number) + (v[1] as number);
      return t > 0 ? (v[stat.bucket] as number) / t : 0;
    };
    const truthRank: [number, number][] = [];
    const estRank: [number, number][] = [];
    for (let g = 0; g < G; g++) {
      const t = groupVector(data.truth, g, B, false);
      if ((t[0] as number) + (t[1] as number) >= stat.minDevices) truthRank.push([g, share(t)]);
      if (est.released[g]) {
        const e = groupVector(est.counts, g, B, true);
        if ((e[0] as number) + (e[1] as number) >= stat.minDevices) estRank.push([g, share(e)]);
      }
    }
    const top = (r: [number, number][], k: number) => new Set(r.sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, k).map(([g]) => g));
    const k = Math.min(stat.k, truthRank.length);
    if (k === 0) return NaN;
    const truthTop = top(truthRank, k);
    const estTop = top(estRank, k);
    let hit = 0;
    for (const g of estTop) if (truthTop.has(g)) hit++;
    return 1 - hit / k;
  }

  let num = 0;
  let den = 0;
  for (let g = 0; g < G; g++) {
    const t = groupVector(data.truth, g, B, false);
    let weight = 0;
    for (const x of t) weight += x;
    if (!(weight > 0)) continue;
    const e = estimateOf(g);
    let err: number;
    if (stat.kind === 'distribution') {
      const p = normalise(t) as Float64Array;
      const qv = (e && normalise(e)) ?? new Float64Array(B).fill(1 / B);
      err = 0;
      for (let b = 0; b < B; b++) err += Math.abs((p[b] as number) - (qv[b] as number));
      err /= 2;
    } else if (stat.kind === 'share') {
      const p = (t[stat.bucket] as number) / weight;
      const en = e && normalise(e);
      const q = en ? (en[stat.bucket] as number) : 0.5;
      err = Math.abs(p - q) * 100;
    } else if (stat.kind === 'quantile') {
      const p = histogramQuantile(t, stat.edges, stat.q);
      const q = e ? histogramQuantile(e, stat.edges, stat.q) : NaN;
      err = Number.isNaN(q) ? 1 : Math.abs(q - p) / p;
    } else {
      throw new Error(`statistic ${stat.kind} does not apply to a histogram`);
    }
    num += weight * err;
    den += weight;
  }
  return den > 0 ? num / den : NaN;
}

export function scoreMean(data: MeanData, est: MeanEstimate): number {
  const G = data.groups.length;
  let pooledSum = 0;
  let pooledN = 0;
  for (let g = 0; g < G; g++) {
    if (est.released[g] && Number.isFinite(est.means[g])) {
      pooledSum += (est.means[g] as number) * (data.devices[g] as number);
      pooledN += data.devices[g] as number;
    }
  }
  const [lo, hi] = data.collection.bounds;
  const fallback = pooledN > 0 ? pooledSum / pooledN : (lo + hi) / 2;
  let num = 0;
  let den = 0;
  for (let g = 0; g < G; g++) {
    const w = data.devices[g] as number;
    if (!(w > 0)) continue;
    const truth = data.truth[g] as number;
    const e = est.released[g] && Number.isFinite(est.means[g]) ? Math.min(hi, Math.max(lo, est.means[g] as number)) : fallback;
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
