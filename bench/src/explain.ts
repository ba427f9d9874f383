/**
 * Results that cannot be computed are explained, not printed as NaN. An insight whose statistic
 * is undefined on the data (no measurement it applies to, fewer qualifying cells than a top-k
 * asks for) gets a reason; one that is computed on less than it asks for says what it used. A
 * private pipeline whose answer is no better than not answering at all (the uninformative answer
 * a carrier falls back on when nothing is released) is flagged: the population is too small for
 * it to say anything at that epsilon.
 */
import { type InsightDefinition, getInsight } from '@pinhole/core';
import { scoreHistogram, scoreMean } from './evaluate.js';
import type { CollectionData } from './prepare.js';

export interface InsightNote {
  /** `undefined`: not computable on this data; `partial`: computed on less than it asks for */
  readonly status: 'undefined' | 'partial';
  readonly reason: string;
}

const NO_DATA: Readonly<Record<string, string>> = {
  'video-rebuffering-by-operator-network': 'the data has no video session with a stall count or rebuffering ratio (map activity, stallCount or rebufferRatio)',
  'video-bitrate-by-operator-network': 'the data has no video session with a delivered bitrate (map videoBitrate)',
  'rtt-by-operator': 'the data has no RTT (map rtt)',
};

/** Why an insight cannot be computed (or is computed on less than it asks for) on this collection's data, or null. */
export function explainInsight(insight: InsightDefinition, data: CollectionData): InsightNote | null {
  if (data.n === 0) return { status: 'undefined', reason: `no device reports for it: ${NO_DATA[data.collection.id] ?? `no measurement applies to ${data.collection.description}`}` };
  const stat = insight.statistic;
  if (stat.kind === 'worst' && data.kind === 'histogram') {
    const B = data.buckets.length;
    let qualifying = 0;
    let largest = 0;
    for (let g = 0; g < data.groups.length; g++) {
      let devices = 0;
      for (let b = 0; b < B; b++) devices += data.truth[g * B + b] as number;
      largest = Math.max(largest, devices);
      if (devices >= stat.minDevices) qualifying++;
    }
    if (qualifying === 0) return { status: 'undefined', reason: `no group has at least ${stat.minDevices} devices (the largest has ${largest.toFixed(0)}): there is no top ${stat.k} to find` };
    if (qualifying < stat.k) return { status: 'partial', reason: `only ${qualifying} groups have at least ${stat.minDevices} devices: the top ${qualifying} is scored instead of the top ${stat.k}` };
  }
  return null;
}

/**
 * The error of the uninformative answer (nothing released: the uniform distribution, a share of
 * one half, a quantile of the empty histogram, the middle of a mean's bounds). NaN when the
 * statistic is undefined.
 */
export function uninformativeError(insightId: string, data: CollectionData): number {
  const insight = getInsight(insightId);
  if (data.kind === 'histogram') return scoreHistogram(insight, data, { insights: null });
  return scoreMean(data, { insights: null });
}
