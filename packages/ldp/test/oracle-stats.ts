/**
 * The statistical check of one oracle configuration, shared by the fast and the slow suites.
 * R independent runs of n simulated devices (per-device perturb, the real client path) holding a
 * Zipf distribution; for each run S = Σ_v (f̂_v - f_v)². Checks:
 *  1. MSE: E[S] = Σ_v Var(n, f_v) (the closed form). mean(S) over R runs is compared with a
 *     one-sample t-test: |mean(S) - μ| <= t_{R-1}(1e-5) · sd(S)/√R, false failure ~1e-5 (CLT over runs).
 *  2. Unbiasedness: for every bucket, |mean_r f̂_v - f_v| <= z · sqrt(Var(n, f_v)/R) with z the
 *     Bonferroni normal quantile for 1e-5 over the d buckets: false failure <= 1e-5.
 */
import { seededRng } from '@pinhole/core/seeded';
import { expect } from 'vitest';
import { ORACLES, type OracleName } from '../src/index.js';
import { tQuantile, valuesOf, zQuantile, zipfCounts } from './helpers.js';

export function checkOracleStatistics(name: OracleName, epsilon: number, d: number, n: number, R: number, seed: string): void {
  const oracle = ORACLES[name]({ epsilon, domainSize: d, allowInsecureRng: true });
  const counts = zipfCounts(d, n);
  const values = valuesOf(counts);
  const f = Float64Array.from(counts, (c) => c / n);
  const sumEst = new Float64Array(d);
  const S: number[] = [];
  for (let r = 0; r < R; r++) {
    const rng = seededRng(`${seed}/${name}/${epsilon}/${d}/${r}`);
    const tally = oracle.makeTally();
    const reports = new Array(n);
    for (let i = 0; i < n; i++) reports[i] = oracle.perturb(values[i] as number, rng);
    tally.addBatch(reports);
    const est = oracle.estimate(tally);
    let s = 0;
    for (let v = 0; v < d; v++) {
      const e = (est[v] as number) - (f[v] as number);
      s += e * e;
      sumEst[v]! += est[v] as number;
    }
    S.push(s);
  }
  let mu = 0;
  for (let v = 0; v < d; v++) mu += oracle.variance(n, f[v]);
  const meanS = S.reduce((a, b) => a + b, 0) / R;
  const sdS = Math.sqrt(S.reduce((a, b) => a + (b - meanS) ** 2, 0) / (R - 1));
  const tol = (tQuantile(1e-5, R - 1) * sdS) / Math.sqrt(R);
  expect(Math.abs(meanS - mu), `${name} eps=${epsilon} d=${d}: mean S=${meanS} vs closed form ${mu} (tol ${tol})`).toBeLessThanOrEqual(tol);
  const z = zQuantile(1e-5 / d);
  for (let v = 0; v < d; v++) {
    const bias = (sumEst[v] as number) / R - (f[v] as number);
    const tolV = z * Math.sqrt(oracle.variance(n, f[v]) / R);
    if (Math.abs(bias) > tolV) expect.fail(`${name} eps=${epsilon} d=${d} bucket ${v}: mean error ${bias} > ${tolV}`);
  }
}
