/**
 * Measures, on a loaded real table, every figure the synthetic generator is calibrated on:
 * quantile knots of downlink per network type and of each signal, per-operator medians, the
 * share below 1 Mbit/s, tests per contributor, region sizes, and the dependence structure
 * (variance components of normal scores by city and by contributor, Spearman correlations of the
 * signals with downlink). `scripts/calibrate.ts` writes its output on the mobilebandwidth files
 * to `data/calibration.json`; a test recomputes it whenever the files are present.
 */
import { NETWORK_TYPES, type NetworkType } from '@pinhole/core';
import { checkObject } from '@pinhole/core/validate';
import { normalQuantile } from '@pinhole/core/stats';
import { type Knots } from './distributions.js';
import { type MeasurementTable } from './table.js';

/** Probability levels of the quantile knots: dense in the tails, where "poor" shares live. */
export const KNOT_LEVELS: readonly number[] = Object.freeze([
  0, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1, 0.125, 0.15, 0.175, 0.2, 0.225, 0.25, 0.275, 0.3, 0.325, 0.35, 0.375, 0.4, 0.425, 0.45, 0.475, 0.5,
  0.525, 0.55, 0.575, 0.6, 0.625, 0.65, 0.675, 0.7, 0.725, 0.75, 0.775, 0.8, 0.825, 0.85, 0.875, 0.9, 0.91, 0.92, 0.93, 0.94, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995, 0.999, 1,
]);

/** Empirical quantile, type 7 (linear between order statistics), of sorted values. */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  const a = sorted[lo] as number;
  return a + (h - lo) * ((sorted[hi] as number) - a);
}

function sortedOf(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

const round = (x: number, digits = 6): number => (x === 0 ? 0 : Number(x.toPrecision(digits)));

/**
 * Knots of a sample at `KNOT_LEVELS`. With `pin`, the knot (share of values < pin.value, value)
 * is added so the model reproduces that share exactly; neighbouring knots are clipped to keep x
 * non-decreasing.
 */
export function knotsOf(values: number[], scale: 'linear' | 'log', pin?: number): Knots {
  const s = sortedOf(values);
  let p = KNOT_LEVELS.slice();
  let x = p.map((q) => round(quantileSorted(s, q)));
  if (pin !== undefined) {
    let below = 0;
    while (below < s.length && (s[below] as number) < pin) below++;
    const share = round(below / s.length);
    const at = p.findIndex((q) => q >= share);
    if (p[at] === share) x[at] = pin;
    else {
      p = [...p.slice(0, at), share, ...p.slice(at)];
      x = [...x.slice(0, at), pin, ...x.slice(at)];
    }
    x = x.map((v, i) => ((p[i] as number) < share ? Math.min(v, pin) : (p[i] as number) > share ? Math.max(v, pin) : v));
  }
  return { scale, p, x };
}

/**
 * Knots of integer-valued readings (signal strengths are reported in whole dB): the values are
 * rounded, and reading v is spread uniformly over [v - 0.5, v + 0.5], one knot per distinct
 * value. A model that rounds its draws to whole dB then reproduces the rounded empirical
 * distribution exactly.
 */
export function integerKnots(values: number[]): Knots {
  const s = sortedOf(values.map((v) => Math.round(v)));
  const n = s.length;
  const p: number[] = [0];
  const x: number[] = [(s[0] as number) - 0.5];
  let i = 0;
  while (i < n) {
    const v = s[i] as number;
    while (i < n && s[i] === v) i++;
    p.push(round(i / n, 8));
    x.push(v + 0.5);
  }
  p[p.length - 1] = 1;
  return { scale: 'linear', p, x };
}

/** Normal scores of values (mid-ranks for ties, Blom-free (r)/(n+1) plotting positions). */
function normalScores(values: readonly number[]): Float64Array {
  const n = values.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => (values[a] as number) - (values[b] as number));
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[idx[j + 1] as number] === values[idx[i] as number]) j++;
    const z = normalQuantile(((i + j) / 2 + 1) / (n + 1));
    for (let k = i; k <= j; k++) out[idx[k] as number] = z;
    i = j + 1;
  }
  return out;
}

/** One-way random-effects variance components (ANOVA estimator) of scores grouped by key. */
function varianceComponents(keys: readonly (string | number)[], scores: Float64Array): { between: number; within: number; groups: number } {
  const groups = new Map<string | number, { n: number; sum: number; sq: number }>();
  let total = 0;
  keys.forEach((k, i) => {
    const v = scores[i] as number;
    total += v;
    const g = groups.get(k) ?? { n: 0, sum: 0, sq: 0 };
    g.n++;
    g.sum += v;
    g.sq += v * v;
    groups.set(k, g);
  });
  const n = scores.length;
  const K = groups.size;
  const mean = total / n;
  let ssb = 0;
  let ssw = 0;
  let sumN2 = 0;
  for (const g of groups.values()) {
    const m = g.sum / g.n;
    ssb += g.n * (m - mean) ** 2;
    ssw += g.sq - g.n * m * m;
    sumN2 += g.n * g.n;
  }
  const msb = ssb / (K - 1);
  const msw = ssw / (n - K);
  const n0 = (n - sumN2 / n) / (K - 1);
  return { between: round((msb - msw) / n0, 4), within: round(msw, 4), groups: K };
}

/** Spearman rank correlation (Pearson correlation of normal scores, which is close to it). */
function rankCorrelation(a: readonly number[], b: readonly number[]): number {
  const sa = normalScores(a);
  const sb = normalScores(b);
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < sa.length; i++) {
    ab += (sa[i] as number) * (sb[i] as number);
    aa += (sa[i] as number) ** 2;
    bb += (sb[i] as number) ** 2;
  }
  return round(ab / Math.sqrt(aa * bb), 4);
}

export interface DownlinkFigures {
  readonly rows: number;
  readonly median: number;
  readonly shareBelow1: number;
  readonly p10: number;
  readonly p90: number;
  /** median per operator code */
  readonly operatorMedian: Readonly<Record<string, number>>;
  readonly operatorRows: Readonly<Record<string, number>>;
  readonly knots: Knots;
  /** knots of each operator's own downlink (share below 1 Mbit/s pinned) */
  readonly operatorKnots: Readonly<Record<string, Knots>>;
  /** share below 1 Mbit/s per operator */
  readonly operatorShareBelow1: Readonly<Record<string, number>>;
  /** variance components of downlink normal scores: between cities ("province/city") and provinces, and between contributors */
  readonly cityComponent: number;
  readonly regionComponent: number;
  readonly deviceComponent: number;
}

export interface SignalFigures {
  readonly rows: number;
  readonly median: number;
  readonly knots: Knots;
  /** rank correlation with downlink on the same rows */
  readonly rankCorrelationWithDownlink: number;
}

export interface CalibrationFigures {
  /** the groups measured: 4g (4G.csv), 5g (5G.csv), wifi (wifi4+5+6 rows of type wifi) */
  readonly downlink: Readonly<Record<'4g' | '5g' | 'wifi', DownlinkFigures>>;
  readonly rsrp4g: SignalFigures;
  readonly rsrq4g: SignalFigures & { readonly rankCorrelationWithRsrp: number };
  readonly sinr4g: SignalFigures;
  readonly wifiRssi: SignalFigures;
  /** measurements per contributor over all files */
  readonly perDevice: { readonly devices: number; readonly mean: number; readonly max: number; readonly atLeast2: number; readonly atLeast11: number; readonly atLeast101: number };
  /** rows per region, largest first (the default region weights) */
  readonly regionRows: readonly number[];
  /** distinct "province/city" cells */
  readonly cells: number;
}

/** Groups the real data the way the generator's network types use it. */
function group(table: MeasurementTable, row: number): '4g' | '5g' | 'wifi' | null {
  const t = NETWORK_TYPES[table.columns.networkType[row] as number] as NetworkType;
  const file = table.extras.file;
  const f = file ? file.values[file.codes[row] as number] : undefined;
  if (t === '4g' && (f === undefined || f === '4G')) return '4g';
  if ((t === '5g-nsa' || t === '5g-sa') && (f === undefined || f === '5G')) return '5g';
  if (t === 'wifi') return 'wifi';
  return null;
}

/** Every calibration figure of a loaded table (normally `loadMobileBandwidth().table`). */
export function measureCalibration(table: MeasurementTable): CalibrationFigures {
  checkObject('table', table);
  const c = table.columns;
  const ops = table.domains.operator.values;
  const cellOf = (i: number) => c.cell[i] as number;
  const downlink = {} as Record<'4g' | '5g' | 'wifi', DownlinkFigures>;
  for (const g of ['4g', '5g', 'wifi'] as const) {
    const rows: number[] = [];
    for (let i = 0; i < table.length; i++) if (group(table, i) === g) rows.push(i);
    const dl = rows.map((i) => c.downlinkMbps[i] as number);
    const s = sortedOf(dl);
    const byOp: Record<string, number[]> = {};
    for (const i of rows) (byOp[ops[c.operator[i] as number] as string] ??= []).push(c.downlinkMbps[i] as number);
    const scores = normalScores(dl);
    downlink[g] = {
      rows: rows.length,
      median: round(quantileSorted(s, 0.5)),
      shareBelow1: round(dl.filter((v) => v < 1).length / dl.length),
      p10: round(quantileSorted(s, 0.1)),
      p90: round(quantileSorted(s, 0.9)),
      operatorMedian: Object.fromEntries(
        Object.entries(byOp)
          .sort()
          .map(([k, v]) => [k, round(quantileSorted(sortedOf(v), 0.5))]),
      ),
      operatorRows: Object.fromEntries(
        Object.entries(byOp)
          .sort()
          .map(([k, v]) => [k, v.length]),
      ),
      knots: knotsOf(dl, 'log', 1),
      operatorKnots: Object.fromEntries(
        Object.entries(byOp)
          .sort()
          .map(([k, v]) => [k, knotsOf(v, 'log', 1)]),
      ),
      operatorShareBelow1: Object.fromEntries(
        Object.entries(byOp)
          .sort()
          .map(([k, v]) => [k, round(v.filter((x) => x < 1).length / v.length)]),
      ),
      cityComponent: varianceComponents(rows.map(cellOf), scores).between,
      regionComponent: varianceComponents(
        rows.map((i) => c.region[i] as number),
        scores,
      ).between,
      deviceComponent: varianceComponents(
        rows.map((i) => c.device[i] as number),
        scores,
      ).between,
    };
  }
  const signal = (g: '4g' | 'wifi', col: Float32Array): SignalFigures & { rows4: number[] } => {
    const rows: number[] = [];
    for (let i = 0; i < table.length; i++) if (group(table, i) === g && !Number.isNaN(col[i])) rows.push(i);
    const v = rows.map((i) => col[i] as number);
    return {
      rows: rows.length,
      median: round(quantileSorted(sortedOf(v), 0.5)),
      knots: integerKnots(v),
      rankCorrelationWithDownlink: rankCorrelation(
        v,
        rows.map((i) => c.downlinkMbps[i] as number),
      ),
      rows4: rows,
    };
  };
  const strip = <T extends { rows4: number[] }>(x: T): Omit<T, 'rows4'> => {
    const { rows4: _, ...rest } = x;
    return rest;
  };
  const rsrp = signal('4g', c.rsrpDbm);
  const rsrq = signal('4g', c.rsrqDb);
  const both = rsrq.rows4.filter((i) => !Number.isNaN(c.rsrpDbm[i] as number));
  const perDev = new Map<number, number>();
  for (let i = 0; i < table.length; i++) perDev.set(c.device[i] as number, (perDev.get(c.device[i] as number) ?? 0) + 1);
  const counts = [...perDev.values()];
  const regionRows = new Array<number>(table.domains.region.size).fill(0);
  for (let i = 0; i < table.length; i++) regionRows[c.region[i] as number] = (regionRows[c.region[i] as number] as number) + 1;
  return {
    downlink,
    rsrp4g: strip(rsrp),
    rsrq4g: {
      ...strip(rsrq),
      rankCorrelationWithRsrp: rankCorrelation(
        both.map((i) => c.rsrqDb[i] as number),
        both.map((i) => c.rsrpDbm[i] as number),
      ),
    },
    sinr4g: strip(signal('4g', c.sinrDb)),
    wifiRssi: strip(signal('wifi', c.wifiRssiDbm)),
    perDevice: {
      devices: counts.length,
      mean: round(table.length / counts.length, 4),
      max: Math.max(...counts),
      atLeast2: round(counts.filter((n) => n >= 2).length / counts.length, 4),
      atLeast11: round(counts.filter((n) => n >= 11).length / counts.length, 4),
      atLeast101: round(counts.filter((n) => n >= 101).length / counts.length, 4),
    },
    regionRows: regionRows.sort((a, b) => b - a),
    cells: table.domains.cell.size,
  };
}
