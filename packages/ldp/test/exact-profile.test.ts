/**
 * Every mechanism describes the thresholds its sampler uses (an internal privacy profile, not part
 * of the public entry). This file (1) holds each description to the sampler's behaviour, probed
 * with a scripted rng, and (2) recomputes the worst-case likelihood ratio of every oracle and
 * numeric mechanism from those thresholds over a wide (ε, d) sweep — the extremes of issue 16
 * among them — with its own formulas, against a certified lower bound of e^ε: both directions
 * within e^ε, or construction refused with a PinholeError on epsilon or domainSize.
 */
import { PinholeError } from '@pinhole/core';
import { toFraction } from '@pinhole/core/exact';
import { describe, expect, it } from 'vitest';
import { type PrivacyProfile, privacyProfile } from '../src/exact.js';
import {
  DUCHI_MIN_EPSILON,
  HYBRID_MIN_EPSILON,
  LAPLACE_NUMERIC_MIN_EPSILON,
  NUMERIC_MECHANISMS,
  type NumericName,
  ORACLES,
  type OracleName,
  PIECEWISE_MIN_EPSILON,
  SQUARE_WAVE_MIN_EPSILON,
} from '../src/index.js';
import { ProbeRng, type Ratio, TWO_53, TWO_64, atMostExp, excessNats, probeThreshold64 } from './exact.js';

const r = (num: bigint, den: bigint): Ratio => ({ num, den });

/** Worst-case ratio problems of a profile, from its thresholds alone (this file's own derivation). */
function problemsOf(p: PrivacyProfile, epsilon: number, what: string): string[] {
  const out: string[] = [];
  const twoLevel = (hi: Ratio, lo: Ratio, label: string) => {
    if (hi.num <= 0n || lo.num <= 0n) return out.push(`${what} ${label}: a zero probability`);
    const up = r(hi.num * lo.den, hi.den * lo.num);
    const down = r(lo.num * hi.den, lo.den * hi.num);
    if (!atMostExp(up, epsilon)) out.push(`${what} ${label}: ratio exceeds e^ε by ${excessNats(up, epsilon)} nats`);
    if (!atMostExp(down, epsilon)) out.push(`${what} ${label}: inverse ratio exceeds e^ε by ${excessNats(down, epsilon)} nats`);
    if (!(up.num > up.den)) out.push(`${what} ${label}: no signal (the two levels are equal or inverted)`);
    return 0;
  };
  switch (p.kind) {
    case 'randomized-response': // P[y = own] = T/2^64, P[y = each other] = (2^64 - T)/(2^64 (g - 1))
      twoLevel(r(p.keep * BigInt(p.outputs - 1), TWO_64), r(TWO_64 - p.keep, TWO_64), `rr(g=${p.outputs})`);
      break;
    case 'subset': // p/C(d-1, k-1) against (1-p)/C(d-1, k): ratio p(d-k)/((1-p)k)
      twoLevel(r(p.keep * BigInt(p.domainSize - p.k), TWO_64), r((TWO_64 - p.keep) * BigInt(p.k), TWO_64), `subset(k=${p.k})`);
      break;
    case 'unary': // bits independent: worst output has bit v = 1, bit u = 0: p(1-q)/(q(1-p))
      twoLevel(r(p.p.num * (p.q.den - p.q.num), p.p.den * p.q.den), r(p.q.num * (p.p.den - p.p.num), p.p.den * p.q.den), 'unary');
      break;
    case 'duchi': // P[+C | t] in [2^53 - P, P] / 2^53 for every t
      twoLevel(r(p.plus, TWO_53), r(TWO_53 - p.plus, TWO_53), 'duchi');
      for (const t of [-1, -0.7, -1e-9, 0, 0.25, 1]) {
        const k = p.plusAt(t);
        if (k < TWO_53 - p.plus || k > p.plus) out.push(`${what}: P[+C | t = ${t}] = ${k}/2^53 outside [2^53 - P, P]`);
      }
      break;
    case 'window': // every point has mass a = π/W (inside the window) or b = (1-π)/M (outside), under any input
      twoLevel(r(p.center * BigInt(p.outside), TWO_64 * BigInt(p.window)), r((TWO_64 - p.center) * BigInt(p.window), TWO_64 * BigInt(p.window)), `window(W=${p.window}, M=${p.outside})`);
      break;
    case 'laplace': {
      // inputs snap to at most `shift` grid steps apart; the pmf changes by e^{γ/b} per step
      const b = toFraction(p.scale);
      const g = toFraction(p.granularity);
      const e = toFraction(epsilon);
      // shift·γ/b <= ε  ⟺  shift·g.num·b.den·e.den <= e.num·g.den·b.num
      if (BigInt(p.shift) * g.num * b.den * e.den > e.num * g.den * b.num) out.push(`${what}: shift ${p.shift} grid steps of ${p.granularity} exceeds ε·b`);
      break;
    }
    case 'mixture': // an input-independent coin: each output's mass is a mixture of the parts' masses
      for (const part of p.parts) out.push(...problemsOf(part, epsilon, `${what}/${part.kind}`));
      break;
  }
  return out;
}

function profileOf(m: object): PrivacyProfile {
  const p = privacyProfile(m);
  expect(p, 'every mechanism registers the thresholds its sampler uses').toBeDefined();
  return p as PrivacyProfile;
}

function tryBuild<T>(fn: () => T): T | PinholeError {
  try {
    return fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PinholeError);
    const e = err as PinholeError;
    expect(e.code).toBe('invalid_argument');
    expect(['epsilon', 'domainSize']).toContain(e.param);
    expect(e.message).toMatch(/epsilon|domainSize/);
    return e;
  }
}

const SWEEP_EPSILONS = [
  5e-324,
  1e-300,
  1e-20,
  1e-17,
  1e-16,
  4e-16,
  1e-15,
  1e-12,
  1e-9,
  1e-6,
  2e-6,
  1e-5,
  1e-4,
  3e-4,
  0.001,
  0.005,
  0.01,
  0.05,
  0.1,
  0.2,
  0.4,
  0.5,
  0.61,
  0.62,
  Math.LN2,
  1,
  1.5,
  2,
  2 / 3,
  4 / 3,
  3,
  5,
  8,
  10,
  12.5,
  16,
  19.9,
  20,
  20.1,
  25,
  28,
  29.8,
  29.81,
  29.99,
  30,
];
const SWEEP_DOMAINS = [2, 3, 7, 16, 100, 1024, 4097, 20_000, 65536, 1e6, 1e7, 1.5e9, 1_610_612_736, 2 ** 31];
const MAX_D: Record<OracleName, number> = { grr: 2 ** 31, sue: 2 ** 24, oue: 2 ** 24, blh: 65536, olh: 65536, 'subset-selection': 2 ** 24, 'hadamard-response': 2 ** 22, 'hadamard-one-bit': 2 ** 22 };

describe('the worst-case ratio from the actual thresholds, over a wide (ε, d) sweep', () => {
  for (const name of Object.keys(ORACLES) as OracleName[]) {
    it(`${name}: within e^ε both ways or refused`, () => {
      const problems: string[] = [];
      let built = 0;
      for (const epsilon of SWEEP_EPSILONS) {
        for (const d of SWEEP_DOMAINS) {
          // report-sized oracles cost O(d) to construct; their thresholds do not depend on d beyond k
          if (d > MAX_D[name] || ((name === 'sue' || name === 'oue') && d > 1e6)) continue;
          const o = tryBuild(() => ORACLES[name]({ epsilon, domainSize: d }));
          if (o instanceof PinholeError) continue;
          built++;
          problems.push(...problemsOf(profileOf(o), epsilon, `${name}(ε=${epsilon}, d=${d})`));
        }
      }
      expect(problems).toEqual([]);
      expect(built).toBeGreaterThan(SWEEP_EPSILONS.length);
    });
  }

  it('the GRR configurations of issue 16 are built and exact', () => {
    for (const [epsilon, d] of [
      [0.1, 1_610_612_736],
      [0.01, 1.5e9],
      [0.001, 1e7],
      [1e-6, 2e4],
      [0.1, 2 ** 31],
      [0.4, 2 ** 31],
    ] as const) {
      const o = ORACLES.grr({ epsilon, domainSize: d });
      expect(problemsOf(profileOf(o), epsilon, `grr(ε=${epsilon}, d=${d})`)).toEqual([]);
      expect(o.pStar).toBeGreaterThan(o.qStar);
    }
  });

  for (const name of Object.keys(NUMERIC_MECHANISMS) as NumericName[]) {
    it(`${name}: within e^ε both ways, or refused below its documented minimum`, () => {
      const problems: string[] = [];
      for (const epsilon of [...SWEEP_EPSILONS, 1e-4, 1e-6]) {
        const m = tryBuild(() => NUMERIC_MECHANISMS[name]({ epsilon }));
        if (m instanceof PinholeError) continue;
        problems.push(...problemsOf(profileOf(m), epsilon, `${name}(ε=${epsilon})`));
      }
      expect(problems).toEqual([]);
    });
  }
});

describe('documented minimum epsilon of each numeric mechanism', () => {
  const MIN: Record<NumericName, number> = {
    laplace: LAPLACE_NUMERIC_MIN_EPSILON,
    duchi: DUCHI_MIN_EPSILON,
    piecewise: PIECEWISE_MIN_EPSILON,
    hybrid: HYBRID_MIN_EPSILON,
    'square-wave': SQUARE_WAVE_MIN_EPSILON,
  };
  for (const name of Object.keys(MIN) as NumericName[]) {
    it(`${name}: built at its minimum ${MIN[name]}, refused just below with a message naming it`, () => {
      const min = MIN[name];
      expect(min > 0 && min < 0.1).toBe(true);
      const m = NUMERIC_MECHANISMS[name]({ epsilon: min });
      expect(problemsOf(profileOf(m), min, name)).toEqual([]);
      for (const below of [min * (1 - 2 ** -52), min / 2, 5e-324]) {
        const e = tryBuild(() => NUMERIC_MECHANISMS[name]({ epsilon: below }));
        expect(e).toBeInstanceOf(PinholeError);
        expect((e as PinholeError).message).toContain(String(min));
      }
    });
  }
});

describe('each profile is what the sampler does (probed with a scripted rng)', () => {
  it('two-level oracles: the keep threshold', () => {
    const cases: [OracleName, (rep: unknown) => boolean, number[]][] = [
      ['grr', (y) => y === 0, []],
      ['blh', (rep) => (rep as { y: number }).y === 0, [0, 0]],
      ['olh', (rep) => (rep as { y: number }).y === 0, [0, 0]],
      ['subset-selection', (rep) => ((rep as Uint8Array)[0]! & 1) === 1, []],
      ['hadamard-response', (y) => y === 0, []],
      ['hadamard-one-bit', (y) => y === 1, []],
    ];
    for (const [name, kept, prefix] of cases) {
      for (const [epsilon, d] of [
        [1, 16],
        [1e-6, 20_000],
        [0.1, 65536],
        [29.8, 3],
      ] as const) {
        const o = ORACLES[name]({ epsilon, domainSize: d, allowInsecureRng: true });
        const p = profileOf(o) as { keep: bigint };
        const T = probeThreshold64((a, b) => kept(o.perturb(0, new ProbeRng([...prefix, a, b], [], [], 0xff))));
        expect(T, `${name}(ε=${epsilon}, d=${d})`).toBe(p.keep);
      }
    }
  });

  it('unary encodings: p on the true bucket, q on the others (16- or 32-bit words)', () => {
    for (const name of ['sue', 'oue'] as const) {
      for (const epsilon of [1e-6, 0.01, 1, 6, 25]) {
        const d = 16;
        const o = ORACLES[name]({ epsilon, domainSize: d, allowInsecureRng: true });
        const p = profileOf(o) as Extract<PrivacyProfile, { kind: 'unary' }>;
        const pT = probeThreshold64((a, b) => ((o.perturb(0, new ProbeRng([a, b], [], [], 0xff)) as Uint8Array)[0]! & 1) === 1);
        expect(r(pT, TWO_64)).toEqual(p.p);
        const wordBits = p.q.den === 65536n ? 16 : 32;
        const withWord = (w: number) => {
          const buf = new ArrayBuffer((d * wordBits) / 8);
          new Uint8Array(buf).fill(0xff);
          if (wordBits === 16) new Uint16Array(buf)[1] = w;
          else new Uint32Array(buf)[1] = w;
          return new Uint8Array(buf);
        };
        const bit1 = (w1: number, w2: number) => (((o.perturb(0, new ProbeRng([w2, 0], [], [withWord(w1)])) as Uint8Array)[0]! >> 1) & 1) === 1;
        if (wordBits === 16) {
          let k = 0;
          while (k < 65536 && bit1(k, 0)) k++;
          expect(BigInt(k), `${name}(ε=${epsilon})`).toBe(p.q.num);
        } else {
          expect(r(probeThreshold64(bit1), TWO_64), `${name}(ε=${epsilon})`).toEqual(p.q);
        }
      }
    }
  });

  it('Duchi: P[+C | t] for several t', () => {
    for (const epsilon of [1e-9, 0.3, 1, 20, 29.8]) {
      const m = NUMERIC_MECHANISMS.duchi({ epsilon, allowInsecureRng: true });
      const p = profileOf(m) as Extract<PrivacyProfile, { kind: 'duchi' }>;
      for (const t of [-1, -0.2, 0, 0.5, 1]) {
        let lo = 0;
        let hi = 2 ** 53;
        while (lo < hi) {
          const mid = lo + Math.floor((hi - lo) / 2);
          if (m.perturb(t, new ProbeRng([], [mid / 2 ** 53])) > 0) lo = mid + 1;
          else hi = mid;
        }
        expect(BigInt(lo), `duchi(ε=${epsilon}, t=${t})`).toBe(p.plusAt(t));
      }
      expect(p.plusAt(1)).toBe(p.plus);
    }
  });

  it('window mechanisms (Piecewise, Square Wave, Hybrid): the centre probability and the two window sizes', () => {
    for (const name of ['piecewise', 'square-wave', 'hybrid'] as const) {
      for (const epsilon of [1e-6, 0.05, 1, 5, 29.8]) {
        const m = tryBuild(() => NUMERIC_MECHANISMS[name]({ epsilon, allowInsecureRng: true }));
        if (m instanceof PinholeError) continue;
        let p = profileOf(m);
        let coin: number[] = [];
        if (p.kind === 'mixture') {
          const w = p.parts.find((x) => x.kind === 'window');
          if (w === undefined) continue; // Hybrid below ε*: Duchi only
          p = w;
          coin = [0]; // a coin of 0 is below alpha: the Piecewise branch
        }
        expect(p.kind).toBe('window');
        const win = p as Extract<PrivacyProfile, { kind: 'window' }>;
        // at t = 1 the window is at the top: a centre draw lands above every outside draw
        const calls: number[][] = [];
        const T = probeThreshold64((a, b) => {
          const probe = new ProbeRng([a, b], [...coin, 0.5]);
          const x = m.perturb(1, probe);
          calls.push(probe.intCalls);
          return x > m.perturb(1, new ProbeRng([0xffffffff, 0xffffffff], [...coin, 0.5]));
        });
        expect(T, `${name}(ε=${epsilon})`).toBe(win.center);
        const sizes = new Set(calls.map((c) => c.join(',')));
        expect([...sizes].sort(), `${name}(ε=${epsilon}) int() calls`).toEqual([String(win.outside), String(win.window)].sort());
      }
    }
  });
});
