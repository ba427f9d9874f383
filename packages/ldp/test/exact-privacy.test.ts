/**
 * The likelihood ratio of every two-level oracle, Duchi's mechanism and Laplace, computed exactly
 * from the thresholds the sampling code actually uses. The thresholds are read off behaviour: a
 * scripted rng feeds perturb chosen words and bisection finds where the output flips, so nothing
 * here trusts the library's own description of itself. Each configuration must either keep both
 * directions of the ratio within e^ε (compared with a certified rational lower bound of e^ε from
 * the exact dyadic value of the double ε) with p* > q*, or be refused at construction with a
 * PinholeError naming epsilon or domainSize. The sweep holds the extremes of issue 16.
 */
import { PinholeError } from '@pinhole/core';
import { describe, expect, it } from 'vitest';
import { type AnyFrequencyOracle, NUMERIC_MECHANISMS, ORACLES, type OracleName, makeDuchi, makeHybrid, makeLaplaceNumeric } from '../src/index.js';
import { ProbeRng, type Ratio, TWO_53, TWO_64, atMostExp, bothWays, excessNats, probeThreshold53, probeThreshold64 } from './exact.js';

type Built<T> = { ok: true; value: T } | { ok: false; error: PinholeError };

function build<T>(fn: () => T, params: readonly string[]): Built<T> {
  try {
    return { ok: true, value: fn() };
  } catch (err) {
    expect(err, 'construction may only fail with a PinholeError').toBeInstanceOf(PinholeError);
    const e = err as PinholeError;
    expect(e.code).toBe('invalid_argument');
    expect(params).toContain(e.param);
    return { ok: false, error: e };
  }
}

/** Both directions of hi/lo within e^ε, and hi > lo (the estimator's denominator is not zero). */
function checkTwoLevel(what: string, hi: Ratio, lo: Ratio, epsilon: number): string[] {
  const problems: string[] = [];
  if (lo.num === 0n || hi.num === 0n) return [`${what}: a zero probability (${hi.num}/${hi.den} vs ${lo.num}/${lo.den})`];
  const [up, down] = bothWays(hi, lo);
  if (!atMostExp(up, epsilon)) problems.push(`${what}: ratio exceeds e^ε by ${excessNats(up, epsilon)} nats`);
  if (!atMostExp(down, epsilon)) problems.push(`${what}: inverse ratio exceeds e^ε by ${excessNats(down, epsilon)} nats`);
  if (!(up.num > up.den)) problems.push(`${what}: p* <= q* (no signal: the estimator divides by zero)`);
  return problems;
}

const r = (num: bigint, den: bigint): Ratio => ({ num, den });

/** The keep threshold of a "keep with p, else one of the other g - 1 uniformly" draw, read off perturb. */
function oracleProblems(name: OracleName, o: AnyFrequencyOracle, epsilon: number): string[] {
  const d = o.domainSize;
  // bytes of 0xff: every other word is at the top of its range (never below a threshold, no tie)
  const kept = (words: (w1: number, w2: number) => number[], isKept: (report: unknown) => boolean) => probeThreshold64((w1, w2) => isKept(o.perturb(0, new ProbeRng(words(w1, w2), [], [], 0xff))));
  switch (name) {
    case 'grr': {
      // P[y = v] = T/2^64; P[y = u] = (2^64 - T)/(2^64 (d-1)) for each u ≠ v
      const T = kept(
        (a, b) => [a, b],
        (y) => y === 0,
      );
      return checkTwoLevel(`grr(ε=${epsilon}, d=${d})`, r(T * BigInt(d - 1), TWO_64), r(TWO_64 - T, TWO_64), epsilon);
    }
    case 'blh':
    case 'olh': {
      // seed (0, 0) hashes everything to 0; then GRR over [0, g)
      const g = (o as unknown as { g: number }).g;
      const T = kept(
        (a, b) => [0, 0, a, b],
        (rep) => (rep as { y: number }).y === 0,
      );
      return checkTwoLevel(`${name}(ε=${epsilon}, d=${d}, g=${g})`, r(T * BigInt(g - 1), TWO_64), r(TWO_64 - T, TWO_64), epsilon);
    }
    case 'subset-selection': {
      // P[S | v] = p/C(d-1,k-1) when v ∈ S, (1-p)/C(d-1,k) when not: ratio p(d-k) / ((1-p) k)
      const k = BigInt((o as unknown as { k: number }).k);
      const T = kept(
        (a, b) => [a, b],
        (rep) => ((rep as Uint8Array)[0]! & 1) === 1,
      );
      return checkTwoLevel(`subset(ε=${epsilon}, d=${d}, k=${k})`, r(T * (BigInt(d) - k), TWO_64), r((TWO_64 - T) * k, TWO_64), epsilon);
    }
    case 'hadamard-response':
    case 'hadamard-one-bit': {
      // inside/outside halves (or kept/flipped bit): ratio p/(1-p)
      const isKept = name === 'hadamard-response' ? (y: unknown) => y === 0 : (y: unknown) => y === 1;
      const T = kept((a, b) => [a, b], isKept);
      return checkTwoLevel(`${name}(ε=${epsilon}, d=${d})`, r(T, TWO_64), r(TWO_64 - T, TWO_64), epsilon);
    }
    case 'sue':
    case 'oue': {
      // the true bucket's bit: last u32 draw(s); bucket 1's bit: its word from rng.bytes
      const pT = kept(
        (a, b) => [a, b],
        (rep) => ((rep as Uint8Array)[0]! & 1) === 1,
      );
      const probe = new ProbeRng();
      o.perturb(0, probe);
      const wordBytes = (probe.bytesCalls[0] as number) / d;
      const withWord = (w: number) => {
        const buf = new ArrayBuffer(d * wordBytes);
        new Uint8Array(buf).fill(0xff);
        if (wordBytes === 2) new Uint16Array(buf)[1] = w;
        else new Uint32Array(buf)[1] = w;
        return new Uint8Array(buf);
      };
      const bit1 = (rep: Uint8Array) => ((rep[0]! >> 1) & 1) === 1;
      let q: Ratio;
      if (wordBytes === 2) {
        let lo = 0;
        let hi = 65536;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (bit1(o.perturb(0, new ProbeRng([], [], [withWord(mid)])) as Uint8Array)) lo = mid + 1;
          else hi = mid;
        }
        q = r(BigInt(lo), 65536n);
      } else {
        expect(wordBytes).toBe(4);
        // a tie on the first word may ask for a second word (u32), before the true bucket's draw
        q = r(
          probeThreshold64((w1, w2) => bit1(o.perturb(0, new ProbeRng([w2, 0], [], [withWord(w1)])) as Uint8Array)),
          TWO_64,
        );
      }
      const p = r(pT, TWO_64);
      // output with bit v = 1, bit u = 0 under v, against v and u swapped: p(1-q) / (q(1-p))
      const hiR = r(p.num * (q.den - q.num), p.den * q.den);
      const loR = r(q.num * (p.den - p.num), p.den * q.den);
      return checkTwoLevel(`${name}(ε=${epsilon}, d=${d}, q over ${wordBytes * 8}-bit words)`, hiR, loR, epsilon);
    }
  }
}

// Configurations of issue 16 (GRR) and a wide (ε, d) grid over every oracle.
const ISSUE_GRR: [number, number][] = [[0.1, 1_610_612_736], [0.01, 1.5e9], [0.001, 1e7], [1e-6, 2e4], ...[0.1, 0.2, 0.3, 0.4].map((e): [number, number] => [e, 2 ** 31])];
const EPSILONS = [1e-300, 1e-20, 1e-16, 1e-12, 1e-9, 1e-6, 1e-4, 0.001, 0.01, 0.1, 0.25, 0.5, 1, Math.LN2, 2, 3.3, 5, 7.77, 10, 15, 19.9, 20, 25, 29.8, 30];
const DOMAINS = [2, 3, 16, 100, 1024, 20_000, 65536, 1e7, 1.5e9, 2 ** 31];

describe('GRR: the keep threshold read off perturb keeps the ratio within e^ε both ways (issue 16, item 2)', () => {
  it.each(ISSUE_GRR)('ε = %s, d = %s is built and exact', (epsilon, d) => {
    const o = ORACLES.grr({ epsilon, domainSize: d, allowInsecureRng: true });
    expect(oracleProblems('grr', o, epsilon)).toEqual([]);
    expect(o.pStar).toBeGreaterThan(o.qStar);
  });
});

describe('every two-level oracle, from its actual thresholds, over a wide (ε, d) sweep', () => {
  const limits: Partial<Record<OracleName, number>> = { sue: 2 ** 24, oue: 2 ** 24, 'subset-selection': 2 ** 24, blh: 65536, olh: 65536, 'hadamard-response': 2 ** 22, 'hadamard-one-bit': 2 ** 22 };
  // Report-sized oracles (d bits per report) are probed at small d only: the probe runs perturb ~100 times.
  const probeLimit: Partial<Record<OracleName, number>> = { sue: 1024, oue: 1024, 'subset-selection': 1024 };
  for (const name of Object.keys(ORACLES) as OracleName[]) {
    it(`${name}: exact or refused for every (ε, d)`, () => {
      const problems: string[] = [];
      let built = 0;
      for (const epsilon of EPSILONS) {
        for (const d of DOMAINS) {
          if (d > (limits[name] ?? 2 ** 31) || d > (probeLimit[name] ?? Infinity)) continue;
          const b = build(() => ORACLES[name]({ epsilon, domainSize: d, allowInsecureRng: true }), ['epsilon', 'domainSize']);
          if (!b.ok) continue;
          built++;
          problems.push(...oracleProblems(name, b.value, epsilon));
        }
      }
      expect(problems).toEqual([]);
      expect(built).toBeGreaterThan(0);
    });
  }
});

/** P[+C | t] numerators over 2^53 of Duchi's draw `float64() < P(t)`, read off perturb. */
function duchiPlus(perturb: (t: number, rng: ProbeRng) => number, coin: number[], t: number): bigint {
  return probeThreshold53((u) => perturb(t, new ProbeRng([], [...coin, u])) > 0);
}

function duchiProblems(what: string, epsilon: number, perturb: (t: number, rng: ProbeRng) => number, coin: number[]): string[] {
  const plus = [-1, -0.5, 0, 0.3, 1].map((t) => duchiPlus(perturb, coin, t));
  const max = plus.reduce((a, b) => (a > b ? a : b));
  const min = plus.reduce((a, b) => (a < b ? a : b));
  // worst ratio over the two outputs: +C (max/min) and -C ((2^53-min)/(2^53-max))
  const problems = checkTwoLevel(`${what} +C`, r(max, TWO_53), r(min, TWO_53), epsilon);
  const [downUp] = bothWays(r(TWO_53 - min, TWO_53), r(TWO_53 - max, TWO_53));
  if (!atMostExp(downUp, epsilon)) problems.push(`${what} -C: ratio exceeds e^ε by ${excessNats(downUp, epsilon)} nats`);
  return problems;
}

// ε where fl(e/(e+1)) rounds up, among them the issue's ~20 and 29.8.
const DUCHI_EPSILONS = [
  ...Array.from({ length: 60 }, (_, i) => 0.05 * 1.12 ** i), // 0.05 .. ~40 (capped below)
  19.5,
  19.9,
  20,
  20.1,
  29.8,
  29.81,
  30,
  1e-3,
  1e-6,
  1e-9,
  1e-12,
  1e-15,
].filter((e) => e <= 30);

describe('Duchi and Hybrid: P[+C | t] read off perturb stays within e^ε both ways (issue 16, item 3)', () => {
  it('Duchi at every ε of the sweep', () => {
    const problems: string[] = [];
    for (const epsilon of DUCHI_EPSILONS) {
      const b = build(() => makeDuchi({ epsilon, allowInsecureRng: true }), ['epsilon']);
      if (!b.ok) continue;
      problems.push(...duchiProblems(`duchi(ε=${epsilon})`, epsilon, (t, rng) => b.value.perturb(t, rng), []));
    }
    expect(problems).toEqual([]);
  });

  it('Hybrid (its Duchi branch) at every ε of the sweep', () => {
    const problems: string[] = [];
    for (const epsilon of DUCHI_EPSILONS) {
      const b = build(() => makeHybrid({ epsilon, allowInsecureRng: true }), ['epsilon']);
      if (!b.ok) continue;
      // a coin of 1 - 2^-53 is >= alpha: the Duchi branch
      const coin = b.value.alpha > 0 ? [1 - 2 ** -53] : [];
      problems.push(...duchiProblems(`hybrid(ε=${epsilon})`, epsilon, (t, rng) => b.value.perturb(t, rng), coin));
    }
    expect(problems).toEqual([]);
  });
});

describe('Laplace: the noise scale actually used is at least 2/ε exactly', () => {
  it('b·ε >= 2 in exact arithmetic (inputs differ by 2/γ grid steps, the pmf by e^{γ/b} per step)', async () => {
    const { toFraction } = await import('@pinhole/core/exact');
    const bad: number[] = [];
    for (let k = 1; k <= 3000; k++) {
      for (const epsilon of [2 / k, 2 / (k + 0.5), 1 / k, 30 / k]) {
        if (!(epsilon <= 30)) continue;
        const m = makeLaplaceNumeric({ epsilon });
        const b = toFraction(m.scale);
        const e = toFraction(epsilon);
        if (b.num * e.num < 2n * b.den * e.den) bad.push(epsilon);
      }
    }
    expect(bad.slice(0, 5), `${bad.length} epsilons with a scale below 2/ε`).toEqual([]);
  });
});

describe('numeric mechanisms below the precision floor (issue 16, item 3)', () => {
  it.each([1e-16, 1e-17, 1e-20, 1e-300, 5e-324])('ε = %s is refused with a PinholeError on epsilon, or gives finite outputs', (epsilon) => {
    const problems: string[] = [];
    for (const name of Object.keys(NUMERIC_MECHANISMS) as (keyof typeof NUMERIC_MECHANISMS)[]) {
      let m: ReturnType<(typeof NUMERIC_MECHANISMS)[typeof name]>;
      try {
        m = NUMERIC_MECHANISMS[name]({ epsilon, allowInsecureRng: true });
      } catch (err) {
        if (!(err instanceof PinholeError) || err.code !== 'invalid_argument' || err.param !== 'epsilon') problems.push(`${name}: refused with ${String(err)}`);
        continue;
      }
      const [lo, hi] = m.outputRange;
      if (!(Number.isFinite(lo) && Number.isFinite(hi))) problems.push(`${name}: output range [${lo}, ${hi}]`);
      const v = m.reportVariance(1);
      if (!(Number.isFinite(v) && v > 0)) problems.push(`${name}: variance ${v}`);
    }
    expect(problems).toEqual([]);
  });
});
