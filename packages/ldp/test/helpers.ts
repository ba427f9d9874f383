/** Shared test helpers: the quantiles the statistical tolerances use, and bucket counts. */
import { incompleteBeta } from '@pinhole/core/stats';

/** P[|T| > t] for Student's t with nu degrees of freedom. */
function tTwoSided(t: number, nu: number): number {
  return incompleteBeta(nu / (nu + t * t), nu / 2, 0.5);
}

/** The two-sided (1 - alpha) quantile of Student's t with nu degrees of freedom. */
export function tQuantile(alpha: number, nu: number): number {
  let lo = 0;
  let hi = 1000;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (tTwoSided(mid, nu) > alpha) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** The two-sided (1 - alpha) normal quantile (t with infinite degrees of freedom). */
export function zQuantile(alpha: number): number {
  return tQuantile(alpha, 1e12);
}

/** A Zipf-like distribution over d buckets realised as exact integer counts summing to n. */
export function zipfCounts(d: number, n: number): Int32Array {
  const w = Array.from({ length: d }, (_, v) => 1 / (v + 1));
  const total = w.reduce((a, b) => a + b, 0);
  const counts = new Int32Array(d);
  let given = 0;
  const rema: [number, number][] = [];
  for (let v = 0; v < d; v++) {
    const exact = (n * (w[v] as number)) / total;
    counts[v] = Math.floor(exact);
    given += counts[v] as number;
    rema.push([exact - Math.floor(exact), v]);
  }
  rema.sort((a, b) => b[0] - a[0]);
  for (let i = 0; i < n - given; i++) counts[(rema[i] as [number, number])[1]]! += 1;
  return counts;
}

export function valuesOf(counts: Int32Array): Int32Array {
  let n = 0;
  for (const c of counts) n += c;
  const out = new Int32Array(n);
  let i = 0;
  counts.forEach((c, v) => {
    for (let k = 0; k < c; k++) out[i++] = v;
  });
  return out;
}
