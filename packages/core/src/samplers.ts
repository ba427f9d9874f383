/**
 * Exact samplers for integer-valued noise after Canonne, Kamath and Steinke, "The Discrete Gaussian
 * for Differential Privacy", NeurIPS 2020 (Algorithms 1-3), and an exact Poisson sampler for the
 * Skellam noise of Agarwal, Kairouz and Liu, NeurIPS 2021, with whole Skellam vectors by Poisson
 * splitting, and an exact Bernoulli(p) for any double p. Only integer comparisons of uniform
 * integers decide every draw: no floating-point transcendental touches the output distribution.
 * Proofs and the supported ranges: samplers.proof.md.
 */
import { type Rng, checkRng } from './rng.js';
import { bitLength, type Fraction, isqrt, toFraction } from './rational.js';
import { checkNumber } from './validate.js';

const MAX_SAFE = Number.MAX_SAFE_INTEGER;

/** The parameter range every sampler supports exactly: [2^-20, 2^40]. */
export const SAMPLER_MIN_SCALE = 2 ** -20;
export const SAMPLER_MAX_SCALE = 2 ** 40;
/** Skellam/Poisson mu range: the exact Poisson sampler costs O(mu) draws. */
export const SKELLAM_MIN_MU = 2 ** -20;
export const SKELLAM_MAX_MU = 2 ** 16;

/** A uniform bigint in [0, n) for n >= 1, by rejection on whole 32-bit words. */
function uniformBig(n: bigint, rng: Rng): bigint {
  const bits = bitLength(n - 1n);
  if (bits === 0) return 0n;
  const words = Math.ceil(bits / 32);
  const mask = (1n << BigInt(bits)) - 1n;
  for (;;) {
    let x = 0n;
    for (let i = 0; i < words; i++) x = (x << 32n) | BigInt(rng.u32());
    x &= mask;
    if (x < n) return x;
  }
}

/** Bernoulli(num/den) for integers 0 <= num <= den, den >= 1 (bigint path). */
function bernoulliBig(num: bigint, den: bigint, rng: Rng): boolean {
  if (den <= BigInt(MAX_SAFE)) return rng.int(Number(den)) < Number(num);
  return uniformBig(den, rng) < num;
}

/** Bernoulli(exp(-1)), CKS Algorithm 1 with gamma = 1. */
function bernoulliExpOne(rng: Rng): boolean {
  // A_k ~ Bernoulli(1/k) until the first failure; the result is whether that index is odd.
  let k = 1;
  while (rng.int(k) === 0) k++;
  return (k & 1) === 1;
}

/** Bernoulli(exp(-num/den)) for safe integers num >= 0, den >= 1 (number fast path, bigint fallback). */
function bernoulliExp(num: number, den: number, rng: Rng): boolean {
  while (num > den) {
    if (!bernoulliExpOne(rng)) return false;
    num -= den;
  }
  let k = 1;
  for (;;) {
    const d = den * k;
    if (d > MAX_SAFE) return bernoulliExpBigTail(BigInt(num), BigInt(den), k, rng);
    if (!(rng.int(d) < num)) break;
    k++;
  }
  return (k & 1) === 1;
}

function bernoulliExpBigTail(num: bigint, den: bigint, k: number, rng: Rng): boolean {
  for (;;) {
    if (!bernoulliBig(num, den * BigInt(k), rng)) break;
    k++;
  }
  return (k & 1) === 1;
}

/** Bernoulli(exp(-num/den)) for bigints num >= 0, den >= 1. */
export function bernoulliExpBig(num: bigint, den: bigint, rng: Rng): boolean {
  if (num <= BigInt(MAX_SAFE) && den <= BigInt(MAX_SAFE) && num <= den) return bernoulliExp(Number(num), Number(den), rng);
  // Peel off whole units of exp(-1): exp(-g) = exp(-1)^floor(g) · exp(-(g - floor(g))).
  const whole = num / den;
  for (let i = 0n; i < whole; i++) if (!bernoulliExpOne(rng)) return false;
  num -= whole * den;
  return bernoulliExpBigTail(num, den, 1, rng);
}

/**
 * Bernoulli(exp(-gamma)) for a finite gamma >= 0, exact for the double's dyadic value (CKS Alg. 1).
 * Exported because the gate's and the tests' exact decisions use it.
 */
export function sampleBernoulliExp(gamma: number, rng: Rng): boolean {
  checkNumber('gamma', gamma, { ge: 0, le: 2 ** 40 });
  checkRng('rng', rng);
  const f = toFraction(gamma === 0 ? 0 : gamma);
  if (gamma === 0) return true;
  return bernoulliExpBig(f.num, f.den, rng);
}

/** Discrete Laplace with scale t/s (pmf ∝ exp(-|y|·s/t)) for positive safe integers; CKS Alg. 2. */
function discreteLaplaceST(s: number, t: number, rng: Rng): number {
  for (;;) {
    const u = t === 1 ? 0 : rng.int(t);
    if (u !== 0 && !bernoulliExp(u, t, rng)) continue;
    let v = 0;
    while (bernoulliExpOne(rng)) v++;
    const x = u + t * v;
    const y = Number.isSafeInteger(x) ? (s === 1 ? x : Math.floor(x / s)) : Number((BigInt(u) + BigInt(t) * BigInt(v)) / BigInt(s));
    const negative = (rng.u32() & 1) === 1;
    if (negative && y === 0) continue;
    return negative ? -y : y;
  }
}

interface LaplaceParams {
  s: number;
  t: number;
}

function laplaceParams(scale: number): LaplaceParams {
  const f = toFraction(scale); // scale = num/den = t/s
  return { t: Number(f.num), s: Number(f.den) };
}

function checkScale(param: string, value: number): number {
  return checkNumber(param, value, { ge: SAMPLER_MIN_SCALE, le: SAMPLER_MAX_SCALE });
}

/**
 * One draw of the discrete Laplace distribution on the integers: P[Y = y] ∝ exp(-|y| / scale).
 * Variance 2e^{-1/scale} / (1 - e^{-1/scale})^2. Exact for scale in [2^-20, 2^40] (any double there).
 */
export function sampleDiscreteLaplace(scale: number, rng: Rng): number {
  checkScale('scale', scale);
  checkRng('rng', rng);
  const { s, t } = laplaceParams(scale);
  return discreteLaplaceST(s, t, rng);
}

/** A reusable discrete-Laplace sampler: validation and parameter conversion done once. */
export function makeDiscreteLaplaceSampler(scale: number): (rng: Rng) => number {
  checkScale('scale', scale);
  const { s, t } = laplaceParams(scale);
  return (rng) => discreteLaplaceST(s, t, rng);
}

interface GaussianParams {
  /** sigma^2 = p/q */
  p: bigint;
  q: bigint;
  t: number;
  fast: boolean;
  pN: number;
  qN: number;
  twoPqT2: number;
}

function gaussianParams(sigma: number): GaussianParams {
  const f = toFraction(sigma); // sigma = a/b, sigma^2 = a^2/b^2
  const p = f.num * f.num;
  const q = f.den * f.den;
  const t = Number(isqrt(p / q)) + 1; // floor(sigma) + 1, exactly
  const den = 2n * p * q * BigInt(t) * BigInt(t);
  const fast = den <= BigInt(MAX_SAFE) && p <= BigInt(MAX_SAFE);
  return { p, q, t, fast, pN: Number(p), qN: Number(q), twoPqT2: fast ? Number(den) : 0 };
}

/** CKS Alg. 3: Y ~ DLap(t), accepted with probability exp(-(|Y| - sigma^2/t)^2 / (2 sigma^2)). */
function discreteGaussianFromParams(g: GaussianParams, rng: Rng): number {
  for (;;) {
    const y = discreteLaplaceST(1, g.t, rng);
    const ay = y < 0 ? -y : y;
    if (g.fast) {
      // (|Y| - p/(q t))^2 / (2 p/q) = (|Y| q t - p)^2 / (2 p q t^2)
      const a = ay * g.qN * g.t - g.pN;
      const num = a * a;
      if (Number.isSafeInteger(num)) {
        if (bernoulliExp(num, g.twoPqT2, rng)) return y;
        continue;
      }
    }
    const a = BigInt(ay) * g.q * BigInt(g.t) - g.p;
    if (bernoulliExpBig(a * a, 2n * g.p * g.q * BigInt(g.t) * BigInt(g.t), rng)) return y;
  }
}

/**
 * One draw of the discrete Gaussian N_Z(0, sigma^2): P[Y = y] ∝ exp(-y^2 / (2 sigma^2)). Exact for
 * sigma in [2^-20, 2^40]; fastest when sigma has a short mantissa (see `roundUpSignificant`).
 */
export function sampleDiscreteGaussian(sigma: number, rng: Rng): number {
  checkScale('sigma', sigma);
  checkRng('rng', rng);
  return discreteGaussianFromParams(gaussianParams(sigma), rng);
}

/** A reusable discrete-Gaussian sampler: validation and parameter conversion done once. */
export function makeDiscreteGaussianSampler(sigma: number): (rng: Rng) => number {
  checkScale('sigma', sigma);
  const g = gaussianParams(sigma);
  return (rng) => discreteGaussianFromParams(g, rng);
}

/**
 * Poisson(lambda) for 0 < lambda = n/d <= 1 by rejection from the fair-coin geometric proposal
 * Q(k) = 2^-(k+1): the acceptance probability (2 lambda)^k / (k! c), c = max_j (2 lambda)^j / j!,
 * is rational, so the draw is exact. Acceptance rate e^lambda / (2c) >= 1/2 for lambda in (0, 1].
 */
function poissonSmall(f: Fraction, c: Fraction, rng: Rng): number {
  for (;;) {
    let k = 0;
    while ((rng.u32() & 1) === 1) k++;
    // accept w.p. (2n)^k / (d^k k!) / (c.num / c.den)
    let num = c.den;
    let den = c.num;
    for (let i = 1; i <= k; i++) {
      num *= 2n * f.num;
      den *= f.den * BigInt(i);
    }
    if (num >= den || bernoulliBig(num, den, rng)) return k;
  }
}

/** c = max_j (2 lambda)^j / j! as a fraction. */
function poissonBound(f: Fraction): Fraction {
  let best: Fraction = { num: 1n, den: 1n };
  let cur: Fraction = { num: 1n, den: 1n };
  for (let j = 1; j < 64; j++) {
    cur = { num: cur.num * 2n * f.num, den: cur.den * f.den * BigInt(j) };
    if (cur.num * best.den > best.num * cur.den) best = cur;
    else break; // the sequence is unimodal: once it falls it keeps falling
  }
  return best;
}

/** Poisson(1), the whole-unit piece, with numbers only while they stay exact. */
function poissonOne(rng: Rng): number {
  for (;;) {
    let k = 0;
    while ((rng.u32() & 1) === 1) k++;
    // accept w.p. 2^k / k! / 2 = 2^(k-1)/k!  (c = 2 for lambda = 1)
    if (k === 0) {
      if ((rng.u32() & 1) === 1) return 0;
      continue;
    }
    if (k <= 2) return k; // 2^(k-1)/k! = 1 for k = 1, 2
    if (k <= 18) {
      let den = 1;
      for (let i = 2; i <= k; i++) den *= i;
      if (rng.int(den) < 2 ** (k - 1)) return k;
      continue;
    }
    let den = 1n;
    for (let i = 2n; i <= BigInt(k); i++) den *= i;
    if (bernoulliBig(1n << BigInt(k - 1), den, rng)) return k;
  }
}

interface PoissonParams {
  whole: number;
  frac: Fraction | null;
  bound: Fraction | null;
}

function poissonParams(mu: number): PoissonParams {
  const whole = Math.floor(mu);
  const rest = mu - whole; // exact: mu has at most 53 significant bits and whole is its integer part
  if (rest === 0) return { whole, frac: null, bound: null };
  const frac = toFraction(rest);
  return { whole, frac, bound: poissonBound(frac) };
}

function poissonFromParams(p: PoissonParams, rng: Rng): number {
  let total = 0;
  for (let i = 0; i < p.whole; i++) total += poissonOne(rng);
  if (p.frac && p.bound) total += poissonSmall(p.frac, p.bound, rng);
  return total;
}

function checkMu(mu: number): number {
  return checkNumber('mu', mu, { ge: SKELLAM_MIN_MU, le: SKELLAM_MAX_MU });
}

/** One exact Poisson(mu) draw, mu in [2^-20, 2^16]; cost O(mu) uniform draws. */
export function samplePoisson(mu: number, rng: Rng): number {
  checkMu(mu);
  checkRng('rng', rng);
  return poissonFromParams(poissonParams(mu), rng);
}

/**
 * One draw of the symmetric Skellam distribution Sk(mu, mu): the difference of two independent
 * Poisson(mu) draws, mean 0 and variance 2·mu. Exact for mu in [2^-20, 2^16].
 */
export function sampleSkellam(mu: number, rng: Rng): number {
  checkMu(mu);
  checkRng('rng', rng);
  const p = poissonParams(mu);
  return poissonFromParams(p, rng) - poissonFromParams(p, rng);
}

export function makeSkellamSampler(mu: number): (rng: Rng) => number {
  checkMu(mu);
  const p = poissonParams(mu);
  return (rng) => poissonFromParams(p, rng) - poissonFromParams(p, rng);
}

/** Exact variance of the discrete Laplace with the given scale. */
export function discreteLaplaceVariance(scale: number): number {
  const r = Math.exp(-1 / scale);
  return (2 * r) / ((1 - r) * (1 - r));
}

/**
 * Variance of N_Z(0, sigma^2), summed from its pmf (it is slightly below sigma^2 for small sigma
 * and equal to it to double precision from sigma ≈ 3 on).
 */
export function discreteGaussianVariance(sigma: number): number {
  // From sigma = 8 on, sigma^2 - Var < sigma^2 · 4π²·e^(-2π²σ²)·… far below one ulp (CKS 2020, Prop. 19).
  if (sigma >= 8) return sigma * sigma;
  const limit = Math.ceil(sigma * 40) + 2;
  let z = 1;
  let m2 = 0;
  for (let y = 1; y <= limit; y++) {
    const w = Math.exp((-y * y) / (2 * sigma * sigma));
    z += 2 * w;
    m2 += 2 * w * y * y;
    if (w === 0) break;
  }
  return m2 / z;
}

// ---------------------------------------------------------------------------------------------
// Exact Skellam vectors by Poisson splitting

const POISSON_CHUNK = SKELLAM_MAX_MU; // 2^16

/**
 * Poisson(total) as a sum of exact draws of samplePoisson (parameters in [2^-20, 2^16]): whole
 * chunks of 2^16 and the rest; a rest below 2^-20 is merged with one chunk and the pair halved.
 * Every piece is an exact double: total and k·2^16 are multiples of ulp(total).
 */
function poissonOfMass(total: number, rng: Rng): number {
  if (total <= POISSON_CHUNK) return samplePoisson(total, rng);
  let n = 0;
  let whole = Math.floor(total / POISSON_CHUNK);
  let rest = total - whole * POISSON_CHUNK;
  if (rest > 0 && rest < SKELLAM_MIN_MU) {
    whole -= 1;
    const pair = (POISSON_CHUNK + rest) / 2;
    n += samplePoisson(pair, rng) + samplePoisson(pair, rng);
    rest = 0;
  }
  for (let i = 0; i < whole; i++) n += samplePoisson(POISSON_CHUNK, rng);
  if (rest > 0) n += samplePoisson(rest, rng);
  return n;
}

/**
 * Adds Sk(mu, mu) to every coordinate of `out`, exactly: a sum of d independent Poisson(mu) is
 * Poisson(d·mu) and, given the total, each event falls on a uniform coordinate (Poisson splitting),
 * so one Poisson(d·mu) and d·mu uniform indices per sign replace d Poisson draws. d·mu must be an
 * exact double >= 2^-20 (plans keep mu to 20 significant bits and d·count < 2^33).
 */
export function addSkellamVector(out: Int32Array, mu: number, rng: Rng): void {
  const d = out.length;
  const total = d * mu;
  const plus = poissonOfMass(total, rng);
  for (let i = 0; i < plus; i++) {
    const j = d === 1 ? 0 : rng.int(d);
    out[j] = (out[j] as number) + 1;
  }
  const minus = poissonOfMass(total, rng);
  for (let i = 0; i < minus; i++) {
    const j = d === 1 ? 0 : rng.int(d);
    out[j] = (out[j] as number) - 1;
  }
}

const TWO_32 = 4294967296;

/**
 * An exact Bernoulli(p) draw for any double p in [0, 1]. A double is a dyadic rational, so
 * "U < p" for a uniform U in [0, 1) is decided exactly by comparing U's binary expansion with p's,
 * 32 bits at a time, drawing more words only while the prefixes are equal (probability 2^-32 per
 * word). Unlike `rng.float64() < p`, which rounds p to a multiple of 2^-53 (and turns every
 * p < 2^-53 into 0 or 2^-53), the draw has probability exactly p. Not validated: hot path.
 */
export function bernoulliExact(p: number, rng: Rng): boolean {
  // x holds the not-yet-compared bits of p, shifted so the next word is its integer part. Each
  // product and difference is exact: multiplying by 2^32 only moves the exponent, and w <= x.
  let x = p;
  for (;;) {
    x *= TWO_32;
    const w = Math.floor(x);
    const u = rng.u32();
    if (u < w) return true; // U < prefix + 2^-32k <= p
    if (u > w) return false; // U >= prefix(w + 1) > p
    x -= w;
    if (x === 0) return false; // p's bits are exhausted: U >= p
  }
}
