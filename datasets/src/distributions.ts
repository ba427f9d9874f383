/**
 * Distribution helpers for the synthetic generator: the normal CDF, empirical
 * quantile functions given as knots, Gaussian mixtures, and uniform-grid lookup tables that make
 * the per-row transforms one interpolation each. Simulation code, not privacy code.
 */

/** Standard normal CDF through erfc (Numerical Recipes' Chebyshev fit, fractional error < 1.2e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? 1 - r / 2 : r / 2;
}

/** The normal quantile is core's (one home); re-exported for the generator's modules that import it from here. */
export { normalQuantile } from '@pinhole/core/stats';

/**
 * A quantile function given by knots (p_j, x_j), p from 0 to 1 and x non-decreasing, interpolated
 * linearly in x (`scale: 'linear'`) or in log x (`scale: 'log'`, x > 0). Equal neighbouring x make
 * an atom, as ties in the data do.
 */
export interface Knots {
  readonly scale: 'linear' | 'log';
  readonly p: readonly number[];
  readonly x: readonly number[];
}

export function knotQuantile(k: Knots, p: number): number {
  const ps = k.p;
  const xs = k.x;
  if (p <= (ps[0] as number)) return xs[0] as number;
  const last = ps.length - 1;
  if (p >= (ps[last] as number)) return xs[last] as number;
  let a = 0;
  let b = last;
  while (b - a > 1) {
    const m = (a + b) >> 1;
    if ((ps[m] as number) <= p) a = m;
    else b = m;
  }
  const p0 = ps[a] as number;
  const p1 = ps[b] as number;
  const w = p1 > p0 ? (p - p0) / (p1 - p0) : 0;
  const x0 = xs[a] as number;
  const x1 = xs[b] as number;
  if (k.scale === 'log') return Math.exp(Math.log(x0) + w * (Math.log(x1) - Math.log(x0)));
  return x0 + w * (x1 - x0);
}

/** P(X < x) under the knot quantile function (strict: an atom at x is not counted). */
export function knotCdfBelow(k: Knots, x: number): number {
  const ps = k.p;
  const xs = k.x;
  const last = xs.length - 1;
  if (x <= (xs[0] as number)) return 0;
  if (x > (xs[last] as number)) return 1;
  // the first segment [x_j, x_{j+1}] with x_{j+1} >= x; inside it the map is strictly increasing
  let j = 0;
  while ((xs[j + 1] as number) < x) j++;
  const x0 = xs[j] as number;
  const x1 = xs[j + 1] as number;
  const p0 = ps[j] as number;
  const p1 = ps[j + 1] as number;
  if (x1 === x0) return p0;
  const w = k.scale === 'log' ? (Math.log(x) - Math.log(x0)) / (Math.log(x1) - Math.log(x0)) : (x - x0) / (x1 - x0);
  return p0 + w * (p1 - p0);
}

/** A Gaussian mixture Σ w_i N(m_i, s_i²) (weights sum to 1). */
export interface Mixture {
  readonly w: Float64Array;
  readonly m: Float64Array;
  readonly s: Float64Array;
}

export function mixtureCdf(mix: Mixture, z: number): number {
  let acc = 0;
  for (let i = 0; i < mix.w.length; i++) acc += (mix.w[i] as number) * normalCdf((z - (mix.m[i] as number)) / (mix.s[i] as number));
  return acc;
}

/** The p-quantile of a mixture, by bisection (the CDF is continuous and increasing). */
export function mixtureQuantile(mix: Mixture, p: number): number {
  let lo = -40;
  let hi = 40;
  for (let it = 0; it < 64; it++) {
    const mid = (lo + hi) / 2;
    if (mixtureCdf(mix, mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** z grid of the lookup tables: [-Z_RANGE, Z_RANGE] in GRID_STEPS steps (tails beyond clamp). */
export const Z_RANGE = 10;
export const GRID_STEPS = 8192;

/** Values of f on the uniform z grid, read back by linear interpolation. */
export function tabulate(f: (z: number) => number): Float64Array {
  const out = new Float64Array(GRID_STEPS + 1);
  for (let g = 0; g <= GRID_STEPS; g++) out[g] = f(-Z_RANGE + (2 * Z_RANGE * g) / GRID_STEPS);
  return out;
}

const SCALE = GRID_STEPS / (2 * Z_RANGE);

export function lookup(table: Float64Array, z: number): number {
  let u = (z + Z_RANGE) * SCALE;
  if (!(u > 0))
    u = 0; // NaN-safe clamp
  else if (u >= GRID_STEPS) return table[GRID_STEPS] as number;
  const g = u | 0;
  const a = table[g] as number;
  return a + (u - g) * ((table[g + 1] as number) - a);
}
