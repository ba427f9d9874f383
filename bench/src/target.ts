/**
 * "How much epsilon do I need for this insight to be useful?": for each insight and pipeline, the
 * smallest epsilon at which the error falls below a target, read from the error-vs-epsilon curve.
 *
 * Rule (stated in the report): on the grid eps_0 < … < eps_m, let j be the smallest index from
 * which the curve stays at or below the target at every larger grid epsilon. If j = 0 the answer
 * is "at most eps_0"; if no such j exists (the error at eps_m is above the target), "more than
 * eps_m". Otherwise the answer lies between eps_{j-1} and eps_j, interpolated linearly in
 * (log epsilon, log error) — the curves are close to power laws there — or in (log epsilon, error)
 * when an error is 0 or the metric is plotted on a linear scale (miss@k). The interval applies the
 * same rule to the lower and upper ends of the trials' 95 % intervals of the mean error: the curve
 * of lower ends crosses first and gives the interval's lower end. It is a band, not a confidence
 * interval of its own: it says how far the answer moves within the trials' noise.
 *
 * A grid point whose statistic cannot be computed (nothing released, no data) counts as above the
 * target: nothing useful comes out there. When the point just below the crossing is such a point,
 * there is nothing to interpolate from and the answer is "at most eps_j". An insight with no
 * computable point at all has no answer.
 */
import type { ErrorMetric } from '@pinhole/core/insights';
import type { ResultPoint } from './output.js';

/** Default targets per metric: what a carrier would call usable. */
export const DEFAULT_TARGETS: Readonly<Record<ErrorMetric, number>> = Object.freeze({
  /** total variation 0.05: every share within a few points */
  tvd: 0.05,
  /** 2 percentage points on a share */
  absolute_pp: 2,
  /** 10 % relative error on a median, a percentile or a mean */
  relative: 0.1,
  /** 8 of the true 10 worst cells found */
  miss_at_k: 0.2,
});

/** An epsilon read off a curve: exact (interpolated), or bounded by the grid. */
export interface EpsilonBound {
  readonly epsilon: number;
  /** `exact`: interpolated; `at_most`: below target already at the smallest epsilon; `more_than`: still above at the largest */
  readonly kind: 'exact' | 'at_most' | 'more_than';
}

export interface EpsilonForTarget {
  readonly insight: string;
  readonly pipeline: string;
  readonly metric: string;
  readonly target: number;
  /** from the mean error; null when the error is not computable at some grid epsilon */
  readonly epsilon: EpsilonBound | null;
  /** the same rule on the lower / upper ends of the 95 % intervals */
  readonly lo: EpsilonBound | null;
  readonly hi: EpsilonBound | null;
}

/** The crossing of one curve (ascending epsilon) with the target, by the rule above. */
export function crossing(epsilons: readonly number[], errors: readonly number[], target: number, logError: boolean): EpsilonBound | null {
  if (epsilons.length === 0 || !errors.some((e) => Number.isFinite(e))) return null;
  const above = (e: number) => !Number.isFinite(e) || e > target;
  const m = epsilons.length - 1;
  if (above(errors[m] as number)) return { epsilon: epsilons[m] as number, kind: 'more_than' };
  let j = m;
  while (j > 0 && !above(errors[j - 1] as number)) j--;
  if (j === 0) return { epsilon: epsilons[0] as number, kind: 'at_most' };
  const e0 = errors[j - 1] as number;
  if (!Number.isFinite(e0)) return { epsilon: epsilons[j] as number, kind: 'at_most' };
  const e1 = errors[j] as number;
  const useLog = logError && e1 > 0 && target > 0;
  const g = (x: number) => (useLog ? Math.log(x) : x);
  const t = (g(e0) - g(target)) / (g(e0) - g(e1));
  const a = Math.log(epsilons[j - 1] as number);
  const b = Math.log(epsilons[j] as number);
  return { epsilon: Math.exp(a + t * (b - a)), kind: 'exact' };
}

/** The table: every (insight, pipeline) with points, in the given orders. */
export function epsilonForTarget(
  points: readonly ResultPoint[],
  insights: readonly { id: string; metric: string; logScale: boolean }[],
  pipelines: readonly string[],
  targets: Readonly<Record<string, number>>,
): EpsilonForTarget[] {
  const out: EpsilonForTarget[] = [];
  for (const ins of insights) {
    const target = targets[ins.id] ?? targets[ins.metric];
    if (target === undefined) continue;
    for (const pl of pipelines) {
      const pts = points.filter((p) => p.insight === ins.id && p.pipeline === pl).sort((a, b) => a.epsilon - b.epsilon);
      if (pts.length === 0) continue;
      const eps = pts.map((p) => p.epsilon);
      const read = (f: (p: ResultPoint) => number) => crossing(eps, pts.map(f), target, ins.logScale);
      out.push({ insight: ins.id, pipeline: pl, metric: ins.metric, target, epsilon: read((p) => p.error.mean), lo: read((p) => p.error.lo), hi: read((p) => p.error.hi) });
    }
  }
  return out;
}

/** "1.7", "≤ 0.5", "> 16", "—". */
export function formatBound(b: EpsilonBound | null): string {
  if (b === null) return '—';
  const v = b.epsilon >= 10 ? b.epsilon.toFixed(0) : b.epsilon >= 1 ? b.epsilon.toFixed(1) : b.epsilon.toPrecision(2);
  return b.kind === 'exact' ? v : b.kind === 'at_most' ? `≤ ${v}` : `> ${v}`;
}

/** "1.7 [1.2, 2.5]" with the interval when it differs from the value. */
export function formatEntry(e: EpsilonForTarget): string {
  const v = formatBound(e.epsilon);
  if (e.epsilon === null) return v;
  const lo = formatBound(e.lo);
  const hi = formatBound(e.hi);
  return lo === v && hi === v ? v : `${v} [${lo}, ${hi}]`;
}
