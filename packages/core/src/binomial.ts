/**
 * Samplers for SIMULATION ONLY (aggregate tallies of millions of simulated devices in the bench):
 * binomial by inversion searched outward from the mode, with the pmf of Loader ("Fast and accurate
 * computation of binomial probabilities", 2000; the saddle-point form R's dbinom uses), and uniform
 * multinomials by conditional binomials. They use floating point and are meant for seeded,
 * insecure generators: they never produce privacy noise. Cost O(1 + sqrt(n·p·(1-p))) per draw.
 * The `*Unchecked` draws skip validation for the simulation's inner loops.
 */
import { type Rng, checkRng } from './rng.js';
import { checkInteger, checkProbability, invalid } from './validate.js';

const LN_SQRT_2PI = 0.9189385332046728;

/** log(n!) - log(sqrt(2πn)(n/e)^n), the error of Stirling's formula, for integers n >= 1. */
function stirlerr(n: number): number {
  if (n <= 15) {
    let lf = 0;
    for (let i = 2; i <= n; i++) lf += Math.log(i);
    return lf - (LN_SQRT_2PI + 0.5 * Math.log(n) + n * Math.log(n) - n);
  }
  const nn = n * n;
  const S0 = 1 / 12;
  const S1 = 1 / 360;
  const S2 = 1 / 1260;
  const S3 = 1 / 1680;
  const S4 = 1 / 1188;
  return (S0 - (S1 - (S2 - (S3 - S4 / nn) / nn) / nn) / nn) / n;
}

/** x·log(x/m) + m - x, without cancellation when x ≈ m. */
function bd0(x: number, m: number): number {
  if (Math.abs(x - m) < 0.1 * (x + m)) {
    const v = (x - m) / (x + m);
    let s = (x - m) * v;
    let ej = 2 * x * v;
    const v2 = v * v;
    for (let j = 1; j < 1000; j++) {
      ej *= v2;
      const s1 = s + ej / (2 * j + 1);
      if (s1 === s) return s1;
      s = s1;
    }
    return s;
  }
  return x * Math.log(x / m) + m - x;
}

/** P[Binomial(n, p) = x] for 0 < p < 1. */
export function binomialPmf(x: number, n: number, p: number): number {
  const q = 1 - p;
  if (x === 0) return Math.exp(n * Math.log1p(-p));
  if (x === n) return Math.exp(n * Math.log(p));
  const lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(x, n * p) - bd0(n - x, n * q);
  return Math.exp(lc) * Math.sqrt(n / (2 * Math.PI * x * (n - x)));
}

/**
 * One Binomial(n, p) draw for an integer n >= 0 and p in [0, 1]. Inversion: a uniform u is matched
 * against the pmf visited in the order mode, mode+1, mode-1, mode+2, … (any fixed order of the
 * support is a valid inversion; this one needs O(sd) steps).
 */
export function sampleBinomialUnchecked(n: number, p: number, rng: Rng): number {
  if (n === 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (p > 0.5) return n - sampleBinomialUnchecked(n, 1 - p, rng);
  const ratio = p / (1 - p);
  if (n * p < 16) {
    // plain inversion from 0, pmf by recurrence
    let f = Math.exp(n * Math.log1p(-p));
    let u = rng.float64();
    for (let k = 0; k <= n; k++) {
      if (u < f) return k;
      u -= f;
      f *= ((n - k) / (k + 1)) * ratio;
    }
    return n; // float shortfall: the remaining mass is below 2^-50
  }
  const m = Math.floor((n + 1) * p);
  const pm = binomialPmf(m, n, p);
  let u = rng.float64();
  if (u < pm) return m;
  u -= pm;
  let up = m;
  let fu = pm;
  let lo = m;
  let fl = pm;
  for (;;) {
    let moved = false;
    if (up < n && fu > 0) {
      fu *= ((n - up) / (up + 1)) * ratio;
      up++;
      if (u < fu) return up;
      u -= fu;
      moved = true;
    }
    if (lo > 0 && fl > 0) {
      fl *= lo / ((n - lo + 1) * ratio);
      lo--;
      if (u < fl) return lo;
      u -= fl;
      moved = true;
    }
    if (!moved) return m; // float shortfall: the unvisited mass is below double precision
  }
}

/**
 * Adds a Multinomial(m; uniform over k cells) draw through `add(cell, count)`: m single draws when
 * m < k, else k conditional binomials (cell i gets Binomial(remaining, 1/(k - i))).
 */
export function sampleUniformMultinomialUnchecked(m: number, k: number, rng: Rng, add: (cell: number, count: number) => void): void {
  if (m <= 0) return;
  if (m < k) {
    for (let i = 0; i < m; i++) add(rng.int(k), 1);
    return;
  }
  let remaining = m;
  for (let i = 0; i < k - 1 && remaining > 0; i++) {
    const c = sampleBinomialUnchecked(remaining, 1 / (k - i), rng);
    if (c > 0) add(i, c);
    remaining -= c;
  }
  if (remaining > 0) add(k - 1, remaining);
}

/** One Binomial(n, p) draw, validated (simulation only: see the top of this file). */
export function sampleBinomial(n: number, p: number, rng: Rng): number {
  checkInteger('n', n, { ge: 0 });
  // 0 is a valid probability here; checkProbability refuses -0 like every validator
  checkProbability('p', p);
  checkRng('rng', rng);
  return sampleBinomialUnchecked(n, p, rng);
}

/** Validated uniform multinomial: `m` items over `k` cells, reported through `add(cell, count)`. */
export function sampleUniformMultinomial(m: number, k: number, rng: Rng, add: (cell: number, count: number) => void): void {
  checkInteger('m', m, { ge: 0 });
  checkInteger('k', k, { ge: 1 });
  checkRng('rng', rng);
  if (typeof add !== 'function') throw invalid('add', 'a function (cell, count) => void', add);
  sampleUniformMultinomialUnchecked(m, k, rng, add);
}
