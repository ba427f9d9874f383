/**
 * The empirical privacy auditor: a lower bound on the privacy loss a mechanism actually has, from
 * many runs on two neighbouring inputs, to hold against the epsilon it claims.
 *
 * Method (Jagielski, Ullman, Oprea, NeurIPS 2020; Nasr et al., IEEE S&P 2021; for local mechanisms
 * the LDP-Auditor of Arcolezi and Gambs, PoPETs 2024). A target runs on input x or its neighbour
 * x' and returns an output; each of its *features* maps an output to a number (ordered: threshold
 * events "value >= t" or "value <= t") or to a small key (categorical: events "key in S"). For
 * (epsilon, delta)-DP, every event E satisfies P[E | x] <= e^epsilon P[E | x'] + delta, and the
 * same with x and x' swapped. The audit:
 *  1. calibration: `calibrationTrials` runs on each input choose, per feature and per direction,
 *     the event whose bound projected to the measurement's size is largest (thresholds over the
 *     observed values; for keys, the Neyman–Pearson sets: keys in decreasing order of their
 *     observed likelihood ratio);
 *  2. measurement: `trials` fresh runs on each input count every chosen event;
 *  3. bound: with L = Clopper–Pearson lower bound of P[E | x] and U = upper bound of P[E | x'],
 *     epsilon_lower = ln((L - delta) / U) (0 when L <= delta), the largest over the chosen events.
 *
 * Confidence. m events are measured (two per feature) and each uses two one-sided Clopper–Pearson
 * bounds, each at level alpha / (2m). The events are fixed before the measurement runs, which are
 * independent of the calibration, so by the union bound all 2m bounds hold at once with
 * probability >= 1 - alpha; then for each event (L - delta)/U <= (P[E|x] - delta)/P[E|x'] <=
 * e^epsilon. Hence a mechanism that meets its claim gets epsilon_lower > epsilon (a false failure)
 * with probability <= alpha, whatever the number of features, the output distribution or how the
 * events were chosen. The default alpha is 1e-6 per audited target.
 *
 * The bounds are core's one-sided Clopper–Pearson bounds (`clopperPearson(..., 'one_sided')`).
 */
import type { PrivacyLoss, Rng } from '@pinhole/core';
import { clopperPearson, normalQuantile } from '@pinhole/core/stats';
import { seededRng } from '@pinhole/core/seeded';

/** A feature of an output: an ordered number (ties and ±Infinity allowed) or a categorical key. */
export type AuditFeature<O> = { readonly name: string; readonly kind: 'ordered'; value(output: O): number } | { readonly name: string; readonly kind: 'categorical'; key(output: O): string };

export type AuditFamily = 'ldp-oracle' | 'ldp-numeric' | 'central' | 'distributed' | 'selection' | 'pipeline';

export interface AuditTarget<O = unknown> {
  /** e.g. "ldp/grr", "pipeline/central-dp", "broken/grr-binary-p" */
  readonly id: string;
  readonly family: AuditFamily;
  /** what is audited, in words */
  readonly description: string;
  /** the deliberate defect of a broken variant (its audit must fail); absent for what ships */
  readonly broken?: string;
  /** the epsilon of the grid this target was built for */
  readonly epsilon: number;
  /** the loss the mechanism states for one run (its privacyMap, the plan, the release) */
  readonly claimed: PrivacyLoss;
  /** the two neighbouring inputs and the neighbouring relation, in words */
  readonly neighbours: string;
  /** one run on input x (0) or x' (1) */
  run(input: 0 | 1, rng: Rng): O;
  readonly features: readonly AuditFeature<O>[];
  /** runs cost this many times a cheap mechanism's: the auditor divides its trials by it (default 1) */
  readonly cost?: number;
}

export interface AuditOptions {
  /** measurement runs on each input */
  readonly trials: number;
  /** calibration runs on each input; default ceil(trials / 4) */
  readonly calibrationTrials?: number;
  /** probability that a target meeting its claim fails; default 1e-6 */
  readonly alpha?: number;
  /** seed of the runs' streams (seeded: insecure, for reproducible audits) */
  readonly seed?: string;
  /** use this rng for every run instead of seeded streams (e.g. cryptoRng(): audits the production sampler path) */
  readonly rng?: Rng;
}

/** An event chosen by calibration: its words, and the counts and bounds of its measurement. */
export interface AuditEvent {
  readonly feature: string;
  /** which input the event favours: "x" (P[E|x] vs P[E|x']) or "x'" */
  readonly favours: 'x' | "x'";
  readonly description: string;
  /** measurement: runs in which the event occurred on the favoured input, and on the other */
  readonly events: number;
  readonly neighbourEvents: number;
  readonly trials: number;
  /** one-sided Clopper–Pearson bounds at level alpha / (2m) */
  readonly lower: number;
  readonly upper: number;
  /** ln((lower - delta) / upper), or 0 when lower <= delta */
  readonly epsilonLower: number;
  /** ln((events/trials - delta) / (neighbourEvents/trials)): the point estimate (Infinity when the neighbour never saw it) */
  readonly epsilonEstimate: number;
}

export interface AuditOutcome {
  readonly id: string;
  readonly family: AuditFamily;
  readonly description: string;
  readonly broken: string | null;
  readonly epsilon: number;
  readonly claimed: PrivacyLoss;
  readonly neighbours: string;
  /** the largest bound over the events (>= 0) */
  readonly epsilonLower: number;
  /** the event that gave it */
  readonly best: AuditEvent;
  readonly events: readonly AuditEvent[];
  readonly trials: number;
  readonly calibrationTrials: number;
  readonly alpha: number;
  /** fail: the bound exceeds the claim (a violation proven at confidence 1 - alpha) */
  readonly verdict: 'pass' | 'fail';
  /** for a broken variant: whether the audit caught it; null for what ships */
  readonly caught: boolean | null;
  readonly durationMs: number;
}

/** Wilson score bounds (for choosing events only: cheap and never 0 at k = 0). */
function wilson(p: number, n: number, z: number): { lower: number; upper: number } {
  const z2 = z * z;
  const den = 1 + z2 / n;
  const centre = p + z2 / (2 * n);
  const half = z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lower: Math.max(0, (centre - half) / den), upper: Math.min(1, (centre + half) / den) };
}

/** The bound an event would give on `n` measurement runs if it kept its calibration frequencies. */
function projected(c0: number, c1: number, nCal: number, n: number, z: number, delta: number): number {
  if (c0 === 0) return -Infinity;
  const lo = wilson(c0 / nCal, n, z).lower;
  // half a count where none was seen: an event the neighbour never showed is not assumed impossible
  const hi = wilson(Math.max(c1, 0.5) / nCal, n, z).upper;
  return lo > delta ? Math.log((lo - delta) / hi) : -Infinity;
}

type Chosen<O> = { feature: string; favours: 'x' | "x'"; description: string; test: (output: O) => boolean };

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(4) : String(Number(x.toPrecision(6)));
}

/** Thresholds: the events "value >= t" and "value <= t" over the observed values, best per direction. */
function chooseOrdered<O>(f: Extract<AuditFeature<O>, { kind: 'ordered' }>, a: Float64Array, b: Float64Array, n: number, z: number, delta: number): Chosen<O>[] {
  const sa = Float64Array.from(a).sort();
  const sb = Float64Array.from(b).sort();
  // candidate thresholds: every distinct value, thinned to at most 4096 quantiles of the pooled runs
  const pooled = new Float64Array(sa.length + sb.length);
  pooled.set(sa);
  pooled.set(sb, sa.length);
  pooled.sort();
  const distinct: number[] = [];
  for (let i = 0; i < pooled.length; i++) if (i === 0 || pooled[i] !== pooled[i - 1]) distinct.push(pooled[i] as number);
  const step = Math.max(1, Math.ceil(distinct.length / 4096));
  const candidates = distinct.filter((_, i) => i % step === 0 || i === distinct.length - 1);
  const below = (s: Float64Array, t: number, strict: boolean): number => {
    let lo = 0;
    let hi = s.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (strict ? (s[mid] as number) < t : (s[mid] as number) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const nCal = sa.length;
  const best: Record<'x' | "x'", { score: number; chosen: Chosen<O> | null }> = { x: { score: -Infinity, chosen: null }, "x'": { score: -Infinity, chosen: null } };
  for (const t of candidates) {
    const geA = nCal - below(sa, t, true);
    const geB = nCal - below(sb, t, true);
    const leA = below(sa, t, false);
    const leB = below(sb, t, false);
    const options: [number, number, 'x' | "x'", '>=' | '<='][] = [
      [geA, geB, 'x', '>='],
      [leA, leB, 'x', '<='],
      [geB, geA, "x'", '>='],
      [leB, leA, "x'", '<='],
    ];
    for (const [c0, c1, favours, op] of options) {
      const s = projected(c0, c1, nCal, n, z, delta);
      if (s > best[favours].score) {
        const v = f.value.bind(f);
        best[favours] = {
          score: s,
          chosen: { feature: f.name, favours, description: `${f.name} ${op} ${fmt(t)}`, test: op === '>=' ? (o: O) => v(o) >= t : (o: O) => v(o) <= t },
        };
      }
    }
  }
  return (['x', "x'"] as const).map((d) => best[d].chosen ?? { feature: f.name, favours: d, description: `${f.name}: no event seen`, test: () => false });
}

/** Neyman–Pearson sets of keys: in decreasing order of the observed ratio, the best prefix per direction. */
function chooseCategorical<O>(f: Extract<AuditFeature<O>, { kind: 'categorical' }>, a: Map<string, number>, b: Map<string, number>, nCal: number, n: number, z: number, delta: number): Chosen<O>[] {
  const keys = [...new Set([...a.keys(), ...b.keys()])].sort();
  const out: Chosen<O>[] = [];
  for (const favours of ['x', "x'"] as const) {
    const [p, q] = favours === 'x' ? [a, b] : [b, a];
    const ordered = keys.slice().sort((k1, k2) => ((q.get(k1) ?? 0) + 0.5) * ((p.get(k2) ?? 0) + 0.5) - ((p.get(k1) ?? 0) + 0.5) * ((q.get(k2) ?? 0) + 0.5));
    let c0 = 0;
    let c1 = 0;
    let bestScore = -Infinity;
    let bestLen = 0;
    ordered.forEach((k, i) => {
      c0 += p.get(k) ?? 0;
      c1 += q.get(k) ?? 0;
      const s = projected(c0, c1, nCal, n, z, delta);
      if (s > bestScore) {
        bestScore = s;
        bestLen = i + 1;
      }
    });
    const set = new Set(ordered.slice(0, bestLen));
    const key = f.key.bind(f);
    out.push({
      feature: f.name,
      favours,
      description: bestLen === 0 ? `${f.name}: no event seen` : `${f.name} in {${[...set].join(', ')}}`,
      test: (o: O) => set.has(key(o)),
    });
  }
  return out;
}

/** Audits one target. Deterministic for a seed (without `rng`). */
export function audit<O>(target: AuditTarget<O>, options: AuditOptions): AuditOutcome {
  const t0 = performance.now();
  const cost = target.cost ?? 1;
  const trials = Math.max(50, Math.ceil(options.trials / cost));
  const nCal = Math.max(50, Math.ceil((options.calibrationTrials ?? Math.ceil(options.trials / 4)) / cost));
  const alpha = options.alpha ?? 1e-6;
  const delta = target.claimed.delta;
  const root = seededRng(options.seed ?? 'pinhole-audit').stream(target.id);
  const rngFor = (phase: string, input: 0 | 1): Rng => options.rng ?? root.stream(`${phase}/${input}`);
  const m = 2 * target.features.length;
  const level = alpha / (2 * m);
  const z = normalQuantile(1 - level);

  // 1. calibration
  const ordered = target.features.map(() => [new Float64Array(nCal), new Float64Array(nCal)] as const);
  const categorical = target.features.map(() => [new Map<string, number>(), new Map<string, number>()] as const);
  for (const input of [0, 1] as const) {
    const rng = rngFor('calibration', input);
    for (let i = 0; i < nCal; i++) {
      const o = target.run(input, rng);
      target.features.forEach((f, j) => {
        if (f.kind === 'ordered') (ordered[j] as readonly [Float64Array, Float64Array])[input][i] = f.value(o);
        else {
          const map = (categorical[j] as readonly [Map<string, number>, Map<string, number>])[input];
          const k = f.key(o);
          map.set(k, (map.get(k) ?? 0) + 1);
        }
      });
    }
  }
  const chosen: Chosen<O>[] = target.features.flatMap((f, j) =>
    f.kind === 'ordered'
      ? chooseOrdered(f, (ordered[j] as readonly [Float64Array, Float64Array])[0], (ordered[j] as readonly [Float64Array, Float64Array])[1], trials, z, delta)
      : chooseCategorical(
          f,
          (categorical[j] as readonly [Map<string, number>, Map<string, number>])[0],
          (categorical[j] as readonly [Map<string, number>, Map<string, number>])[1],
          nCal,
          trials,
          z,
          delta,
        ),
  );

  // 2. measurement
  const counts = chosen.map(() => [0, 0]);
  for (const input of [0, 1] as const) {
    const rng = rngFor('measurement', input);
    for (let i = 0; i < trials; i++) {
      const o = target.run(input, rng);
      chosen.forEach((c, j) => {
        if (c.test(o)) (counts[j] as number[])[input]! += 1;
      });
    }
  }

  // 3. bounds
  const events: AuditEvent[] = chosen.map((c, j) => {
    const [k0, k1] = counts[j] as [number, number];
    const [kf, kn] = c.favours === 'x' ? [k0, k1] : [k1, k0];
    const lower = clopperPearson(kf, trials, level, 'one_sided').lower;
    const upper = clopperPearson(kn, trials, level, 'one_sided').upper;
    const epsilonLower = lower > delta ? Math.max(0, Math.log((lower - delta) / upper)) : 0;
    const pf = kf / trials;
    const pn = kn / trials;
    const epsilonEstimate = pf > delta ? (pn === 0 ? Infinity : Math.log((pf - delta) / pn)) : 0;
    return { feature: c.feature, favours: c.favours, description: c.description, events: kf, neighbourEvents: kn, trials, lower, upper, epsilonLower, epsilonEstimate };
  });
  // the event that proves most; among events that prove nothing, the one whose point estimate is largest
  const finite = (e: AuditEvent) => (Number.isFinite(e.epsilonEstimate) ? e.epsilonEstimate : Number.MAX_VALUE);
  const best = events.reduce((a, b) => (b.epsilonLower > a.epsilonLower || (b.epsilonLower === a.epsilonLower && finite(b) > finite(a)) ? b : a), events[0] as AuditEvent);
  const verdict = best.epsilonLower > target.claimed.epsilon ? 'fail' : 'pass';
  return {
    id: target.id,
    family: target.family,
    description: target.description,
    broken: target.broken ?? null,
    epsilon: target.epsilon,
    claimed: target.claimed,
    neighbours: target.neighbours,
    epsilonLower: best.epsilonLower,
    best,
    events,
    trials,
    calibrationTrials: nCal,
    alpha,
    verdict,
    caught: target.broken === undefined ? null : verdict === 'fail',
    durationMs: performance.now() - t0,
  };
}
