/**
 * Prio3 collections of a plan: each aggregator's sigma meets the collection's (epsilon, delta) for
 * the two-party sum and no smaller one on the 20-bit grid does; the one-aggregator loss is stated
 * and larger; a tampered plan is refused; the tally takes only a well-formed combined sum; each
 * aggregator's noise has the discrete Gaussian's variance.
 */
import { describe, expect, it } from 'vitest';
import { makePlan, makeReleaseEngine, prio3PrivacyLoss } from '@pinhole/aggregator';
import { type Plan, PinholeError, checkPlan } from '@pinhole/core';
import { discreteGaussianVariance } from '@pinhole/core/samplers';
import { seededRng } from '@pinhole/core/seeded';

const DOMAINS = { operators: ['460-00', '460-01'], regions: ['north', 'south'], cells: ['n1', 's1'] };
const plan = makePlan({ id: 'prio3-plan', insights: ['network-type-share', 'rtt-mean'], domains: DOMAINS, budget: { epsilon: 2, delta: 1e-6 }, mode: 'prio3', expectedDevices: 1000 });

function tampered(edit: (p: { collections: Record<string, unknown>[] }) => void): unknown {
  const copy = JSON.parse(JSON.stringify(plan)) as { collections: Record<string, unknown>[] };
  edit(copy);
  return copy;
}

function errorOf(f: () => unknown): PinholeError | null {
  try {
    f();
  } catch (e) {
    return e as PinholeError;
  }
  return null;
}

describe('makePlan with mode "prio3"', () => {
  it('resolves Prio3Histogram and Prio3SumVec collections with replace-one sensitivities', () => {
    const [hist, mean] = plan.collections as Plan['collections'][number][];
    expect(hist!.mode).toBe('prio3');
    expect(hist!.mechanism).toMatchObject({ kind: 'prio3', vdaf: 'Prio3Histogram', length: hist!.domainSize, maxMeasurement: 1, noise: 'discrete_gaussian', l2Sensitivity: Math.SQRT2 });
    expect(mean!.mechanism).toMatchObject({ kind: 'prio3', vdaf: 'Prio3SumVec', length: 2 * mean!.groups, maxMeasurement: 1024, grid: 1024, l2Sensitivity: 2048, bounds: [0, 500] });
  });

  it('calibrates each aggregator’s sigma to the smallest that meets the two-party (epsilon, delta), and states the one-aggregator loss', () => {
    for (const c of plan.collections) {
      const m = c.mechanism as { sigma: number; epsilon: number; delta: number; l2Sensitivity: number; length: number; aggregatorEpsilon: number };
      const at = (s: number) => prio3PrivacyLoss({ sigma: s, l2Sensitivity: m.l2Sensitivity, dimension: m.length }, m.delta);
      expect(m.epsilon).toBe(c.privacyLoss.epsilon);
      expect(at(m.sigma).release.epsilon).toBeLessThanOrEqual(m.epsilon);
      // 1e-5 below it already fails: the calibration is tight (bisection to 1e-6, rounded up on 20 bits)
      expect(at(m.sigma * (1 - 1e-5)).release.epsilon).toBeGreaterThan(m.epsilon);
      expect(m.aggregatorEpsilon).toBeGreaterThanOrEqual(at(m.sigma).aggregator.epsilon);
      expect(m.aggregatorEpsilon).toBeGreaterThan(m.epsilon);
    }
  });

  it('needs delta > 0', () => {
    expect(errorOf(() => makePlan({ id: 'x', insights: ['network-type-share'], domains: DOMAINS, budget: { epsilon: 1, delta: 0 }, mode: 'prio3', expectedDevices: 10 }))?.param).toBe('budget.delta');
  });
});

describe('a tampered prio3 plan', () => {
  it('is refused by checkPlan with the path of the field', () => {
    const cases: [(p: { collections: Record<string, unknown>[] }) => void, string][] = [
      [(p) => ((p.collections[0]!.mechanism as Record<string, unknown>).length = 5), 'plan.collections[0].mechanism.length'],
      [(p) => ((p.collections[0]!.mechanism as Record<string, unknown>).vdaf = 'Prio3SumVec'), 'plan.collections[0].mechanism.vdaf'],
      [(p) => ((p.collections[1]!.mechanism as Record<string, unknown>).maxMeasurement = 1023), 'plan.collections[1].mechanism.maxMeasurement'],
      [(p) => ((p.collections[0]!.mechanism as Record<string, unknown>).l2Sensitivity = 1), 'plan.collections[0].mechanism.l2Sensitivity'],
      [(p) => ((p.collections[0]!.mechanism as Record<string, unknown>).aggregatorEpsilon = 0.5), 'plan.collections[0].mechanism.aggregatorEpsilon'],
      [(p) => ((p.collections[0]!.mechanism as Record<string, unknown>).sigma = NaN), 'plan.collections[0].mechanism.sigma'],
      [(p) => ((p.collections[0]!.mechanism as Record<string, unknown>).extra = 1), 'plan.collections[0].mechanism.extra'],
    ];
    for (const [edit, param] of cases) {
      const e = errorOf(() => checkPlan(tampered(edit)));
      expect(e?.code, param).toBe('invalid_argument');
      expect(e?.param).toBe(param);
    }
    const over = errorOf(() => checkPlan(tampered((p) => ((p.collections[0]!.mechanism as Record<string, unknown>).epsilon = 1.2))));
    expect(over?.code).toBe('budget_exceeded');
  });

  it('is refused by the engine when sigma gives less than the stated loss, or the one-aggregator loss is understated', () => {
    const smaller = errorOf(() => makeReleaseEngine(tampered((p) => ((p.collections[0]!.mechanism as { sigma: number }).sigma *= 0.9))));
    expect(smaller?.code).toBe('invalid_state');
    expect(smaller?.param).toBe('plan.collections[0].mechanism.sigma');
    const understated = errorOf(() =>
      makeReleaseEngine(
        tampered((p) => {
          const m = p.collections[0]!.mechanism as { aggregatorEpsilon: number; epsilon: number };
          m.aggregatorEpsilon = m.epsilon * 1.01;
        }),
      ),
    );
    expect(understated?.code).toBe('invalid_state');
    expect(understated?.param).toBe('plan.collections[0].mechanism.aggregatorEpsilon');
  });
});

describe('the prio3 tally and release', () => {
  const engine = makeReleaseEngine(plan, { allowInsecureRng: true });
  const hist = engine.collections[0]!;

  it('takes one combined sum of the right length of safe integers, once', () => {
    const t = hist.makeTally();
    expect(errorOf(() => t.setPrio3Sum([1, 2], 30))?.param).toBe('sum');
    expect(errorOf(() => t.setPrio3Sum(new Array(hist.plan.domainSize).fill(0.5), 30))?.param).toBe('sum[0]');
    expect(errorOf(() => t.setPrio3Sum(new Array(hist.plan.domainSize).fill(0), -1))?.param).toBe('validReports');
    // no sum with a count that reaches the minimum cohort: the aggregate shares must have been combined
    expect(errorOf(() => t.setPrio3Sum(null, hist.plan.minCohort))?.param).toBe('sum');
    t.setPrio3Sum(new Array(hist.plan.domainSize).fill(3), 36);
    expect(errorOf(() => t.setPrio3Sum(new Array(hist.plan.domainSize).fill(3), 36))?.code).toBe('invalid_state');
    expect(() => hist.makeTally().addExactCounts(new Array(hist.plan.domainSize).fill(1))).toThrow(PinholeError);
  });

  it('releases the sum with both noises’ variance and both losses; below the minimum cohort, refused', () => {
    const t = hist.makeTally();
    t.setPrio3Sum(new Array(hist.plan.domainSize).fill(3), 36);
    const rel = hist.release(t);
    const m = hist.plan.mechanism as { sigma: number; epsilon: number; aggregatorEpsilon: number };
    expect(rel.status).toBe('released');
    expect(rel.noiseVariance).toBeCloseTo(2 * discreteGaussianVariance(m.sigma), 12);
    expect(rel.privacyLoss.release.epsilon).toBe(m.epsilon);
    expect(rel.privacyLoss.aggregator?.epsilon).toBe(m.aggregatorEpsilon);
    expect(rel.threatModel.kind).toBe('two_aggregators');
    const short = hist.makeTally();
    short.setPrio3Sum(null, 3);
    const refused = hist.release(short);
    expect(refused.status).toBe('refused');
    expect(refused.refusal?.reason).toBe('min_cohort');
  });

  it('each aggregator’s noise has the discrete Gaussian’s variance', () => {
    // N draws of N_Z(0, sigma^2), sigma ~ 5: its kurtosis is 3 to within e^(-2 pi^2 sigma^2), so the
    // sample variance has sd sqrt(2/N) V; 4.42 sd fails a correct sampler with probability 1e-5
    const m = hist.plan.mechanism as { sigma: number };
    const V = discreteGaussianVariance(m.sigma);
    const rng = seededRng('prio3-noise');
    let s = 0;
    let s2 = 0;
    let n = 0;
    for (let i = 0; i < 2000; i++) {
      for (const x of hist.prio3!.noise(rng)) {
        s += x;
        s2 += x * x;
        n++;
      }
    }
    expect(Math.abs(s / n)).toBeLessThan(4.42 * Math.sqrt(V / n));
    expect(Math.abs(s2 / n - V)).toBeLessThan(4.42 * Math.sqrt(2 / n) * V);
    // and a seeded rng is refused by an engine that does not allow it
    expect(() => makeReleaseEngine(plan).collections[0]!.prio3!.noise(seededRng('x'))).toThrow(expect.objectContaining({ code: 'insecure_rng' }));
  });
});
