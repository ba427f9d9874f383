/**
 * Post-processing of frequency estimates (never costs privacy). Raw unbiased estimates can be
 * negative and need not sum to one; these make them consistent, trading a little bias for a
 * (often much) lower error. Wang, Lopuhaä-Zwakenberg, Li, Škorić, Li, "Locally Differentially
 * Private Frequency Estimation with Consistency", NDSS 2020 (Norm-Sub, Base-Pos + Norm);
 * Hay, Rastogi, Miklau, Suciu, "Boosting the Accuracy of Differentially Private Histograms Through
 * Consistency", VLDB 2010 (hierarchy), here with per-level variances (weighted least squares).
 */
import { checkInteger, checkNumber, checkObject, invalid } from '@pinhole/core/validate';

function checkEstimates(param: string, value: unknown, minLength = 1): Float64Array {
  if (!(Array.isArray(value) || value instanceof Float64Array) || value.length < minLength) {
    throw invalid(param, `an array or Float64Array of at least ${minLength} finite numbers`, value);
  }
  const out = new Float64Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const x = (value as ArrayLike<unknown>)[i];
    if (typeof x !== 'number' || !Number.isFinite(x)) throw invalid(`${param}[${i}]`, 'a finite number', x);
    out[i] = x;
  }
  return out;
}

/**
 * Norm-Sub: the Euclidean projection onto { x >= 0, Σx = total }: x_v = max(f̂_v - δ, 0) with δ
 * chosen so the result sums to `total` (default 1). O(d log d).
 */
export function normSub(estimates: ArrayLike<number>, total = 1): Float64Array {
  const f = checkEstimates('estimates', estimates);
  checkNumber('total', total, { gt: 0 });
  const sorted = Float64Array.from(f).sort().reverse();
  let cum = 0;
  let delta = 0;
  for (let i = 0; i < sorted.length; i++) {
    cum += sorted[i] as number;
    const cand = (cum - total) / (i + 1);
    if (i === sorted.length - 1 || (sorted[i + 1] as number) <= cand) {
      delta = cand;
      break;
    }
  }
  const out = new Float64Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.max((f[i] as number) - delta, 0);
  return out;
}

/** Base-Pos + Norm: negative estimates become 0, then all are scaled to sum to `total` (uniform if all were <= 0). */
export function clampAndNormalize(estimates: ArrayLike<number>, total = 1): Float64Array {
  const f = checkEstimates('estimates', estimates);
  checkNumber('total', total, { gt: 0 });
  let sum = 0;
  for (let i = 0; i < f.length; i++) {
    const x = Math.max(f[i] as number, 0);
    f[i] = x;
    sum += x;
  }
  if (sum === 0) return f.fill(total / f.length);
  for (let i = 0; i < f.length; i++) f[i]! *= total / sum;
  return f;
}

export interface HierarchyOptions {
  /** each node has this many children (levels[l].length = levels[l-1].length · branching) */
  readonly branching: number;
  /** the estimate variance of each level (equal by default, which is Hay et al.'s case) */
  readonly variances?: readonly number[];
}

/**
 * Consistency across a hierarchy: levels[0] is the coarsest level, each node's children are the
 * `branching` consecutive entries of the next level. Returns the weighted least-squares estimates
 * (independent errors with the given per-level variances) under "every node equals the sum of its
 * children": a bottom-up pass combines each node with its children's sum by inverse variance, a
 * top-down pass spreads each parent's residual over its children in proportion to their variances.
 */
export function hierarchyConsistency(levels: readonly ArrayLike<number>[], options: HierarchyOptions): Float64Array[] {
  if (!Array.isArray(levels) || levels.length < 1) throw invalid('levels', 'a non-empty array of levels', levels);
  checkObject('options', options);
  const branching = checkInteger('branching', options.branching, { ge: 2 });
  const L = levels.length;
  const x = levels.map((lv, l) => checkEstimates(`levels[${l}]`, lv));
  for (let l = 1; l < L; l++) {
    if ((x[l] as Float64Array).length !== (x[l - 1] as Float64Array).length * branching) {
      throw invalid(`levels[${l}]`, `${(x[l - 1] as Float64Array).length * branching} entries (previous level × branching)`, levels[l]);
    }
  }
  let variances: number[];
  if (options.variances === undefined) variances = new Array<number>(L).fill(1);
  else {
    if (!Array.isArray(options.variances) || options.variances.length !== L) throw invalid('variances', `an array of ${L} variances`, options.variances);
    variances = options.variances.map((v, l) => checkNumber(`variances[${l}]`, v, { gt: 0 }));
  }
  // Bottom-up: z = inverse-variance combination of the node and the sum of its children's z.
  const z = x.map((lv) => Float64Array.from(lv));
  const vz = x.map((lv, l) => new Float64Array(lv.length).fill(variances[l] as number));
  for (let l = L - 2; l >= 0; l--) {
    const zl = z[l] as Float64Array;
    const vl = vz[l] as Float64Array;
    const zc = z[l + 1] as Float64Array;
    const vc = vz[l + 1] as Float64Array;
    for (let i = 0; i < zl.length; i++) {
      let s = 0;
      let vs = 0;
      for (let c = i * branching; c < (i + 1) * branching; c++) {
        s += zc[c] as number;
        vs += vc[c] as number;
      }
      const w1 = 1 / (vl[i] as number);
      const w2 = 1 / vs;
      zl[i] = ((zl[i] as number) * w1 + s * w2) / (w1 + w2);
      vl[i] = 1 / (w1 + w2);
    }
  }
  // Top-down: the parent's final value minus its children's z sum, shared by variance.
  const out = z.map((lv) => Float64Array.from(lv));
  for (let l = 0; l < L - 1; l++) {
    const parent = out[l] as Float64Array;
    const child = out[l + 1] as Float64Array;
    const vc = vz[l + 1] as Float64Array;
    const zc = z[l + 1] as Float64Array;
    for (let i = 0; i < parent.length; i++) {
      let s = 0;
      let vs = 0;
      for (let c = i * branching; c < (i + 1) * branching; c++) {
        s += zc[c] as number;
        vs += vc[c] as number;
      }
      const r = (parent[i] as number) - s;
      for (let c = i * branching; c < (i + 1) * branching; c++) child[c] = (zc[c] as number) + (r * (vc[c] as number)) / vs;
    }
  }
  return out;
}
