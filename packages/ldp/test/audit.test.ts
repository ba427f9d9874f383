/**
 * Empirical privacy audit. For each mechanism, neighbouring inputs x, x' and the most revealing
 * output event E (the event on which the likelihood ratio is e^ε, derived in each proof file),
 * N runs on each input give a Clopper–Pearson lower bound of P[E|x]/P[E|x'] with confidence
 * 1 - 1e-6. Claims:
 *  - it never exceeds e^ε (a correct mechanism fails this with probability <= 1e-6);
 *  - for GRR, SUE and OUE it is close to e^ε (>= 0.85 e^ε; the expected bound at N = 200,000 is
 *    about 0.95 e^ε and its standard deviation about 0.005 e^ε, so this fails a correct
 *    implementation with negligible probability);
 *  - a broken unary encoding (true bit kept with 0.9 instead of p) is caught: its bound exceeds e^ε.
 */
import { type Rng } from '@pinhole/core';
import { clopperPearson } from '@pinhole/core/stats';
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { type LocalHashReport, NUMERIC_MECHANISMS, ORACLES, auditLikelihoodRatio, makeHadamardOneBit, makeHadamardResponse, makeOue, makeSquareWave } from '../src/index.js';
import { hashBucket, parity } from './internals.js';

const ALPHA = 1e-6;
const N = 200_000;

function audit(label: string, run: (input: 0 | 1, rng: Rng) => boolean, n = N) {
  const rng0 = seededRng(`audit/${label}/x`);
  const rng1 = seededRng(`audit/${label}/x'`);
  let events = 0;
  let neighbourEvents = 0;
  for (let i = 0; i < n; i++) {
    if (run(0, rng0)) events++;
    if (run(1, rng1)) neighbourEvents++;
  }
  return auditLikelihoodRatio({ events, trials: n, neighbourEvents, neighbourTrials: n }, ALPHA);
}

const bit = (r: Uint8Array, v: number) => ((r[v >>> 3] as number) >>> (v & 7)) & 1;

describe('privacy audit: frequency oracles', () => {
  const epsilon = 1;
  const e = Math.exp(epsilon);
  const d = 4;
  const x = 1;
  const xp = 2;
  const cases: [string, (input: 0 | 1, rng: Rng) => boolean, boolean][] = [];
  {
    const o = ORACLES.grr({ epsilon, domainSize: d, allowInsecureRng: true });
    cases.push(['grr', (i, rng) => o.perturb(i === 0 ? x : xp, rng) === x, true]);
  }
  for (const name of ['sue', 'oue'] as const) {
    const o = ORACLES[name]({ epsilon, domainSize: d, allowInsecureRng: true });
    cases.push([
      name,
      (i, rng) => {
        const r = o.perturb(i === 0 ? x : xp, rng) as Uint8Array;
        return bit(r, x) === 1 && bit(r, xp) === 0;
      },
      true,
    ]);
  }
  for (const name of ['blh', 'olh'] as const) {
    const o = ORACLES[name]({ epsilon, domainSize: d, allowInsecureRng: true });
    const g = (o as unknown as { g: number }).g;
    cases.push([
      name,
      (i, rng) => {
        const r = o.perturb(i === 0 ? x : xp, rng) as LocalHashReport;
        const hx = hashBucket(r.a, r.b, x, g);
        return r.y === hx && hashBucket(r.a, r.b, xp, g) !== hx;
      },
      false,
    ]);
  }
  {
    const o = ORACLES['subset-selection']({ epsilon, domainSize: d, allowInsecureRng: true });
    cases.push([
      'subset-selection',
      (i, rng) => {
        const r = o.perturb(i === 0 ? x : xp, rng) as Uint8Array;
        return bit(r, x) === 1 && bit(r, xp) === 0;
      },
      false,
    ]);
  }
  {
    const o = makeHadamardResponse({ epsilon, domainSize: d, allowInsecureRng: true });
    cases.push([
      'hadamard-response',
      (i, rng) => {
        const y = o.perturb(i === 0 ? x : xp, rng);
        return parity((x + 1) & y) === 0 && parity((xp + 1) & y) === 1;
      },
      false,
    ]);
  }
  {
    const o = makeHadamardOneBit({ epsilon, domainSize: d, allowInsecureRng: true });
    cases.push([
      'hadamard-one-bit',
      (i, rng) => {
        const r = o.perturb(i === 0 ? x : xp, rng);
        const j = r >>> 1;
        const hx = parity(j & x) === 0 ? 1 : 0;
        return hx !== (parity(j & xp) === 0 ? 1 : 0) && (r & 1) === hx;
      },
      false,
    ]);
  }
  for (const [name, run, tight] of cases) {
    it(`${name}: the bound stays <= e^epsilon${tight ? ' and is close to it' : ''}`, () => {
      const res = audit(name, run);
      expect(res.ratioLower, `${name} ratio lower bound ${res.ratioLower} (estimate ${res.ratioEstimate})`).toBeLessThanOrEqual(e);
      if (tight) expect(res.ratioLower).toBeGreaterThanOrEqual(0.85 * e);
    });
  }

  it('a broken unary encoding (true bit kept with probability 0.9) FAILS the audit', () => {
    const o = makeOue({ epsilon, domainSize: d, allowInsecureRng: true });
    const broken = (value: number, rng: Rng) => {
      const r = o.perturb(value, rng);
      const keep = rng.float64() < 0.9;
      r[value >>> 3] = keep ? (r[value >>> 3] as number) | (1 << (value & 7)) : (r[value >>> 3] as number) & ~(1 << (value & 7));
      return r;
    };
    const res = audit(
      'broken-oue',
      (i, rng) => {
        const r = broken(i === 0 ? x : xp, rng);
        return bit(r, x) === 1 && bit(r, xp) === 0;
      },
      20_000,
    );
    expect(res.ratioLower).toBeGreaterThan(e);
  });
});

describe('privacy audit: numeric mechanisms (t = 1 against t = -1)', () => {
  const epsilon = 1;
  const e = Math.exp(epsilon);
  const events: Record<string, (report: number) => boolean> = {
    laplace: (r) => r >= 1, // P = 1/2 against e^-ε/2: ratio e^ε
    duchi: (r) => r > 0,
    piecewise: (r) => r >= 1, // [l(1), r(1)] = [1, C]
    hybrid: (r) => r >= 1,
  };
  for (const [name, event] of Object.entries(events)) {
    it(`${name}: the bound stays <= e^epsilon`, () => {
      const m = NUMERIC_MECHANISMS[name as 'laplace']({ epsilon, allowInsecureRng: true });
      const res = audit(name, (i, rng) => event(m.perturb(i === 0 ? 1 : -1, rng)), 100_000);
      expect(res.ratioLower).toBeLessThanOrEqual(e);
      expect(res.ratioLower).toBeGreaterThan(1); // the event does tell the inputs apart
    });
  }
  it('square-wave: the bound stays <= e^epsilon', () => {
    const m = makeSquareWave({ epsilon, allowInsecureRng: true });
    const res = audit('square-wave', (i, rng) => m.perturb(i === 0 ? 1 : -1, rng) >= 1 - m.b, 100_000);
    expect(res.ratioLower).toBeLessThanOrEqual(e);
    expect(res.ratioLower).toBeGreaterThan(0.85 * e);
  });
});

describe('Clopper–Pearson (core), as the audit uses it', () => {
  it('matches known values and brackets the estimate', () => {
    // k = 0: the upper bound solves (1 - p)^n = alpha
    expect(clopperPearson(0, 100, 0.05, 'one_sided').upper).toBeCloseTo(1 - 0.05 ** (1 / 100), 10);
    expect(clopperPearson(100, 100, 0.05, 'one_sided').lower).toBeCloseTo(0.05 ** (1 / 100), 10);
    // k = 5, n = 10, one-sided 2.5%: 0.187086 and 0.812914 (the classic two-sided 95% interval)
    const ci = clopperPearson(5, 10, 0.025, 'one_sided');
    expect(ci.lower).toBeCloseTo(0.187086, 5);
    expect(ci.upper).toBeCloseTo(0.812914, 5);
  });
});
