/**
 * Construction-time privacy checks in exact arithmetic. Every mechanism describes the thresholds its
 * sampler uses as a privacy profile (integers and fractions, no floating point); its worst-case
 * likelihood ratio is computed from the profile in both directions and compared with a certified
 * rational bound of e^ε (core's ratioWithinExp, from the exact dyadic value of the double ε). A
 * configuration whose thresholds cannot meet ε at the available precision is refused, with the
 * smallest epsilon that would work. The profile of each mechanism is kept here for the tests
 * (privacyProfile); it is not part of the public entry.
 */
import { PinholeError } from '@pinhole/core';
import { type Fraction, expBounds, ratioWithinExp, toFraction } from '@pinhole/core/exact';
import { MAX_EPSILON } from './params.js';
import { TWO_64 } from './probability.js';

export const TWO_53 = 1n << 53n;

/** The thresholds a sampler uses, enough to compute its worst-case likelihood ratio exactly. */
export type PrivacyProfile =
  /** keep the own output with T/2^64, else one of the other outputs - 1 uniformly (GRR; BLH/OLH over g; Hadamard: 2 halves) */
  | { readonly kind: 'randomized-response'; readonly keep: bigint; readonly outputs: number }
  /** include the own bucket with T/2^64 in a uniform k-subset of [0, d) */
  | { readonly kind: 'subset'; readonly keep: bigint; readonly domainSize: number; readonly k: number }
  /** independent bits: the own bucket's 1 with p, every other's with q */
  | { readonly kind: 'unary'; readonly p: Fraction; readonly q: Fraction }
  /** +C with probability plusAt(t)/2^53, which lies in [2^53 - plus, plus] for every t */
  | { readonly kind: 'duchi'; readonly plus: bigint; readonly plusAt: (t: number) => bigint }
  /** N = window + outside points; under any input each point has mass center/(2^64·window) or (2^64-center)/(2^64·outside) */
  | { readonly kind: 'window'; readonly center: bigint; readonly window: number; readonly outside: number }
  /** discrete Laplace of scale `scale` on multiples of `granularity`; inputs at most `shift` multiples apart */
  | { readonly kind: 'laplace'; readonly scale: number; readonly granularity: number; readonly shift: number }
  /** an input-independent choice between the parts */
  | { readonly kind: 'mixture'; readonly parts: readonly PrivacyProfile[] };

const profiles = new WeakMap<object, PrivacyProfile>();

/** Records the profile of a constructed mechanism (for the tests); returns the mechanism. */
export function withProfile<T extends object>(mechanism: T, profile: PrivacyProfile): T {
  profiles.set(mechanism, profile);
  return mechanism;
}

/** The thresholds a mechanism made by this package samples with (tests only). */
export function privacyProfile(mechanism: object): PrivacyProfile | undefined {
  return profiles.get(mechanism);
}

/** A certified lower bound of e^x for x a double or an exact fraction. */
export function expLower(x: number | Fraction): Fraction {
  return expBounds(x, 96).lo;
}

/** ε/2 exactly (the dyadic value of the double ε, halved). */
export function half(epsilon: number): Fraction {
  const f = toFraction(epsilon);
  return { num: f.num, den: f.den * 2n };
}

/** floor(2^64 · a / (a + b)) for a >= 0, b >= 0 given as fractions' parts: the largest T with T·b <= (2^64 - T)·a. */
export function splitThreshold(aNum: bigint, aDen: bigint, bNum: bigint, bDen: bigint): bigint {
  // a/(a+b) = aNum·bDen / (aNum·bDen + bNum·aDen)
  const x = aNum * bDen;
  return (TWO_64 * x) / (x + bNum * aDen);
}

/** hi/lo within e^ε in both directions, and hi > lo: the problems found ([] when none). */
function twoLevel(hiNum: bigint, hiDen: bigint, loNum: bigint, loDen: bigint, epsilon: number, label: string): string[] {
  if (hiNum <= 0n || loNum <= 0n) return [`${label}: a probability is zero`];
  const out: string[] = [];
  // hi/lo = hiNum·loDen / (hiDen·loNum)
  const a = hiNum * loDen;
  const b = hiDen * loNum;
  if (!ratioWithinExp(a, b, epsilon)) out.push(`${label}: the likelihood ratio exceeds e^epsilon`);
  if (!ratioWithinExp(b, a, epsilon)) out.push(`${label}: the inverse likelihood ratio exceeds e^epsilon`);
  if (!(a > b)) out.push(`${label}: no signal left (the two probabilities are equal or inverted)`);
  return out;
}

/** Why the profile's worst-case likelihood ratio is not within e^ε both ways (empty: it is). */
export function profileProblems(p: PrivacyProfile, epsilon: number): string[] {
  switch (p.kind) {
    case 'randomized-response':
      return twoLevel(p.keep * BigInt(p.outputs - 1), TWO_64, TWO_64 - p.keep, TWO_64, epsilon, 'keep threshold');
    case 'subset':
      return twoLevel(p.keep * BigInt(p.domainSize - p.k), TWO_64, (TWO_64 - p.keep) * BigInt(p.k), TWO_64, epsilon, 'inclusion threshold');
    case 'unary':
      return twoLevel(p.p.num * (p.q.den - p.q.num), p.p.den * p.q.den, p.q.num * (p.p.den - p.p.num), p.p.den * p.q.den, epsilon, 'bit thresholds');
    case 'duchi':
      return twoLevel(p.plus, TWO_53, TWO_53 - p.plus, TWO_53, epsilon, 'P[+C] on the 2^-53 grid');
    case 'window': {
      const w = BigInt(p.window);
      const m = BigInt(p.outside);
      return twoLevel(p.center * m, TWO_64 * w, (TWO_64 - p.center) * w, TWO_64 * w, epsilon, 'centre threshold');
    }
    case 'laplace': {
      const b = toFraction(p.scale);
      const g = toFraction(p.granularity);
      const e = toFraction(epsilon);
      // the pmf changes by e^{γ/b} per grid step: shift·γ/b <= ε
      return BigInt(p.shift) * g.num * b.den * e.den <= e.num * g.den * b.num ? [] : ['noise scale: below 2/epsilon'];
    }
    case 'mixture':
      return p.parts.flatMap((part) => profileProblems(part, epsilon));
  }
}

/** Rounds x > 0 up to two significant digits (for messages). */
function roundUp2(x: number): number {
  const unit = 10 ** (Math.floor(Math.log10(x)) - 1);
  return Number((Math.ceil(x / unit) * unit).toPrecision(2));
}

/**
 * The profile `design(epsilon)` if its ratio is within e^ε both ways; else an `invalid_argument`
 * on epsilon that gives the smallest epsilon (to two digits) the design can meet, found by
 * bisection on a log scale. `what` names the configuration ("grr with domainSize 2147483648").
 */
export function requireWithinEpsilon<P extends PrivacyProfile>(what: string, epsilon: number, design: (epsilon: number) => P, grid: string): P {
  const p = design(epsilon);
  const problems = profileProblems(p, epsilon);
  if (problems.length === 0) return p;
  const feasible = (e: number) => profileProblems(design(e), e).length === 0;
  if (!feasible(MAX_EPSILON)) {
    throw new PinholeError('invalid_argument', 'epsilon', `"epsilon" cannot be met by ${what} at any value up to ${MAX_EPSILON} (${problems[0]}), got ${epsilon}`);
  }
  let lo = Math.log(Math.max(epsilon, Number.MIN_VALUE));
  let hi = Math.log(MAX_EPSILON);
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (feasible(Math.exp(mid))) hi = mid;
    else lo = mid;
  }
  let min = roundUp2(Math.exp(hi));
  if (!feasible(min)) min = Math.exp(hi);
  throw new PinholeError(
    'invalid_argument',
    'epsilon',
    `"epsilon" expected at least ${min} for ${what}: below it ${grid} cannot keep the likelihood ratio within e^epsilon in both directions (${problems[0]}), got ${epsilon}`,
  );
}

/**
 * Randomized response over `outputs` values: keep with T/2^64, T = floor(2^64·L/(L + outputs - 1))
 * for L <= e^ε, the largest threshold whose ratio T(g-1)/(2^64-T) provably stays within e^ε.
 */
export function randomizedResponse(epsilon: number, outputs: number): Extract<PrivacyProfile, { kind: 'randomized-response' }> {
  const l = expLower(epsilon);
  return { kind: 'randomized-response', keep: splitThreshold(l.num, l.den, BigInt(outputs - 1), 1n), outputs };
}
