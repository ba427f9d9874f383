import { describe, expect, it } from 'vitest';
import { PrivacyAccountant } from '@pinhole/core';
import { composeSequential } from '@pinhole/core/privacy';
import {
  type Release,
  findReleased,
  makeDistributedNoisePlan,
  makeGate,
  makeGaussianThresholdSelection,
  makeKAnonymity,
  makeLaplaceThresholdSelection,
  makeNoisyCountThreshold,
  makeNoisyValues,
  makeOptimalSelection,
  SUPPRESSION_REASONS,
} from '@pinhole/gate';
import { expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { countingRng } from './helpers.js';

const insecure = (seed: string) => ({ rng: seededRng(seed), allowInsecureRng: true });

function keysOf(r: Release): string[] {
  return r.released.map((b) => b.key).sort();
}

describe('k-anonymity gate', () => {
  const gate = makeGate({ selection: makeKAnonymity({ k: 5 }) });

  it('releases exactly the buckets with >= k contributors, with their exact counts', () => {
    const r = gate.decide({ 'cell=A|net=4g': 5, 'cell=A|net=5g': 4, 'cell=B|net=4g': 0, 'cell=B|net=5g': 100 });
    expect(keysOf(r)).toEqual(['cell=A|net=4g', 'cell=B|net=5g']);
    expect(findReleased(r, 'cell=B|net=5g')?.values.contributors).toEqual({ raw: 100, value: 100, noise: 'none', scale: 0, variance: 0 });
    expect(r.suppressed.map((s) => [s.key, s.reason])).toEqual([
      ['cell=A|net=5g', 'below_k'],
      ['cell=B|net=4g', 'below_k'],
    ]);
    expect(r.suppressedListing).toBe('input');
    expect(r.private).toBe(false);
    expect(r.privacyLoss).toBeNull();
    expect(r.notes.join(' ')).toMatch(/not differentially private/);
  });

  it('never puts the true count of a suppressed bucket in its message', () => {
    const r = gate.decide({ a: 3, b: 4 });
    expect(r.suppressed.map((s) => s.key)).toEqual(['a', 'b']);
    for (const s of r.suppressed) expect(s.message).not.toMatch(/\b[34]\b/);
  });

  it('gives every suppression a reason from the closed list', () => {
    const r = gate.decide({ a: 1, b: 9 });
    expect(r.suppressed.map((s) => s.key)).toEqual(['a']);
    for (const s of r.suppressed) expect(SUPPRESSION_REASONS).toContain(s.reason);
  });

  it('draws no randomness and needs no rng', () => {
    const rng = countingRng(seededRng('k-anon'));
    gate.decide({ a: 1, b: 9 }, { rng, allowInsecureRng: true });
    expect(rng.draws()).toBe(0);
  });
});

describe('DP selection gate', () => {
  it('optimal selection: buckets from alwaysReleasedFrom are always released, 0 never, others by chance', () => {
    const sel = makeOptimalSelection({ epsilon: 1, delta: 1e-5 });
    const gate = makeGate({ selection: sel, domain: ['a', 'b', 'c', 'd'] });
    for (let i = 0; i < 200; i++) {
      const r = gate.decide({ a: sel.alwaysReleasedFrom, b: 0, c: 1 }, insecure(`opt-${i}`));
      expect(findReleased(r, 'a')).not.toBeNull();
      expect(findReleased(r, 'b')).toBeNull();
      expect(findReleased(r, 'd')).toBeNull(); // absent from input: 0 contributors
      expect(r.suppressedListing).toBe('domain');
      expect(r.released.length + r.suppressed.length).toBe(4);
      for (const s of r.suppressed) expect(s.reason).toBe('dp_selection');
      // optimal selection publishes no counts of its own
      expect(findReleased(r, 'a')?.values).toEqual({});
    }
  });

  it('publishes released keys sorted, not in input order (input order is data)', () => {
    const sel = makeOptimalSelection({ epsilon: 1, delta: 1e-5 });
    const gate = makeGate({ selection: sel });
    const n = sel.alwaysReleasedFrom;
    const a = gate.decide(
      new Map([
        ['z', n],
        ['a', n],
        ['m', n],
      ]),
      insecure('order-1'),
    );
    const b = gate.decide(
      new Map([
        ['m', n],
        ['z', n],
        ['a', n],
      ]),
      insecure('order-2'),
    );
    expect(a.released.map((x) => x.key)).toEqual(['a', 'm', 'z']);
    expect(b.released.map((x) => x.key)).toEqual(['a', 'm', 'z']);
  });

  it('without a domain, a key given with count 0 does not exist: nothing is drawn or released for it', () => {
    for (const sel of [makeLaplaceThresholdSelection({ epsilon: 1, delta: 0.4 }), makeGaussianThresholdSelection({ epsilon: 1, delta: 0.4 }), makeOptimalSelection({ epsilon: 1, delta: 0.4 })]) {
      const rng = countingRng(seededRng(`zero-${sel.kind}`));
      const r = makeGate({ selection: sel }).decide(new Map(Array.from({ length: 200 }, (_, i) => [`z${i}`, 0])), { rng, allowInsecureRng: true });
      expect(r.released).toEqual([]);
      expect(rng.draws()).toBe(0);
      // with a public domain the same keys exist (count 0) and are decided
      const withDomain = countingRng(seededRng(`zero-domain-${sel.kind}`));
      makeGate({ selection: sel, domain: ['z0'] }).decide({ z0: 0 }, { rng: withDomain, allowInsecureRng: true });
      if (sel.kind !== 'optimal_selection') expect(withDomain.draws()).toBeGreaterThan(0); // pi(0) = 0 needs no coin
    }
  });

  it('withholds suppressed keys without a public domain', () => {
    const gate = makeGate({ selection: makeOptimalSelection({ epsilon: 1, delta: 1e-5 }) });
    const r = gate.decide({ rare: 1, common: 1000 }, insecure('withheld'));
    expect(r.suppressed).toEqual([]);
    expect(r.suppressedListing).toBe('withheld');
    expect(r.notes.join(' ')).toMatch(/not listed/);
  });

  it('Laplace threshold publishes the noisy count that passed, which is >= the threshold', () => {
    const sel = makeLaplaceThresholdSelection({ epsilon: 1, delta: 1e-6 });
    const gate = makeGate({ selection: sel });
    const counts: Record<string, number> = {};
    for (let i = 0; i < 300; i++) counts[`b${i}`] = i % 40;
    const r = gate.decide(counts, insecure('lap-gate'));
    // 7 of every 40 buckets hold 33..39 contributors, far above the threshold: an empty release is a failure
    expect(sel.threshold).toBeLessThan(33);
    expect(r.released.length).toBeGreaterThanOrEqual(7 * 7);
    for (const b of r.released) {
      const c = b.values.contributors;
      expect(c?.raw).toBeGreaterThanOrEqual(sel.threshold);
      expect(c?.noise).toBe('discrete_laplace');
      expect(c?.scale).toBe(sel.noise.scale);
      expect(Number.isInteger(c?.raw)).toBe(true);
    }
    // buckets with 0 or 1 contributor pass w.p. <= 1e-6 each: none of the 16 here should (fails w.p. < 2e-5)
    for (const b of r.released) expect((counts[b.key] as number) >= 2).toBe(true);
  });

  it('Gaussian threshold Release carries the selection’s (epsilon, delta), and rho when calibrated through zCDP', () => {
    const sel = makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-6 });
    const r = makeGate({ selection: sel }).decide({ a: 500 }, insecure('g'));
    expect(sel.zcdp).toBeNull(); // one bucket per contributor: the exact curves
    expect(r.zcdp).toBeNull();
    expect(r.privacyLoss).toEqual({ epsilon: 1, delta: 1e-6 });
    expect(r.parameters).toMatchObject({ mode: 'gaussian_threshold', noise: 'discrete_gaussian', threshold: sel.threshold, thresholdDelta: sel.thresholdDelta });
    const split = makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-6, l0: 2 });
    const r2 = makeGate({ selection: split }).decide({ a: 500 }, insecure('g2'));
    expect(r2.zcdp?.rho).toBe(split.zcdp?.rho);
    expect(r2.privacyLoss).toEqual(split.privacyLoss);
  });
});

describe('Release contents and accounting', () => {
  const selection = makeLaplaceThresholdSelection({ epsilon: 0.5, delta: 1e-6, l0: 2 });
  const count = makeNoisyValues({ noise: 'discrete_laplace', epsilon: 0.5, l1Sensitivity: 2 });
  const speed = makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 0.5, delta: 1e-6, sensitivity: 50, l0: 2 });
  const gate = makeGate({ selection, values: { count, speedSum: speed }, minCohortSize: 10, domain: ['x', 'y', 'z'] });

  it('lists values, spends, total loss and parameters; spends once in the accountant', () => {
    const acc = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-4 } });
    const r = gate.decide({ x: 1000, y: 0 }, { ...insecure('contents'), accountant: acc, cohortSize: 2000, label: 'round 7', values: { count: { x: 1500 }, speedSum: { x: 90_000 } } });
    expect(r.status).toBe('released');
    expect(r.refusal).toBeNull();
    expect(r.cohortSize).toBe(2000);
    const x = findReleased(r, 'x');
    expect(x).not.toBeNull();
    expect(Object.keys(x?.values ?? {}).sort()).toEqual(['contributors', 'count', 'speedSum']);
    expect(x?.values.count?.noise).toBe('discrete_laplace');
    expect(x?.values.speedSum?.noise).toBe('discrete_gaussian');
    expect(x?.values.speedSum?.variance).toBe(speed.variance());
    expect(r.spends.map((s) => s.label)).toEqual(['selection (laplace_threshold)', 'values.count (discrete_laplace)', 'values.speedSum (discrete_gaussian)']);
    const total = composeSequential([selection.privacyLoss, count.privacyLoss, speed.privacyLoss]);
    expect(r.privacyLoss).toEqual(total);
    expect(gate.privacyLoss).toEqual(total);
    expect(r.zcdp?.rho).toBe(speed.zcdp?.rho);
    expect(r.parameters).toMatchObject({ minCohortSize: 10, domainSize: 3, 'values.count.noise': 'discrete_laplace', 'values.speedSum.rho': speed.zcdp?.rho });
    const entries = acc.entries();
    expect(entries).toHaveLength(1);
    expect(entries[0]?.label).toBe('round 7');
    expect(entries[0]?.loss).toEqual(total);
    expect(Object.isFrozen(r) && Object.isFrozen(r.released) && Object.isFrozen(x?.values)).toBe(true);
    // nothing a carrier holds can alter the gate's later releases
    expect(() => {
      (r.spends[0]?.privacyLoss as { epsilon: number }).epsilon = 0;
    }).toThrow(TypeError);
    expect(() => {
      (r.privacyLoss as { epsilon: number }).epsilon = 0;
    }).toThrow(TypeError);
  });

  it('refuses with budget_exceeded before drawing anything, and records nothing', () => {
    const acc = new PrivacyAccountant({ budget: { epsilon: 1, delta: 1e-4 } });
    const rng = countingRng(seededRng('budget'));
    expectPinholeError(() => gate.decide({ x: 5 }, { rng, allowInsecureRng: true, accountant: acc, cohortSize: 100, values: { count: {}, speedSum: {} } }), 'budget_exceeded', 'loss');
    expect(rng.draws()).toBe(0);
    expect(acc.entries()).toHaveLength(0);
  });
});

describe('minimum cohort', () => {
  const gate = makeGate({ selection: makeOptimalSelection({ epsilon: 1, delta: 1e-6 }), minCohortSize: 50, domain: ['a', 'b'] });

  it('below the minimum nothing is released, nothing drawn or spent, and the reason says so', () => {
    const acc = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-3 } });
    const rng = countingRng(seededRng('cohort'));
    const r = gate.decide({ a: 49, b: 49 }, { rng, allowInsecureRng: true, accountant: acc, cohortSize: 49 });
    expect(r.status).toBe('refused');
    expect(r.refusal?.reason).toBe('min_cohort');
    expect(r.refusal?.message).toMatch(/below the minimum cohort size 50/);
    expect(r.released).toEqual([]);
    expect(r.suppressed.map((s) => [s.key, s.reason])).toEqual([
      ['a', 'min_cohort'],
      ['b', 'min_cohort'],
    ]);
    expect(r.privacyLoss).toEqual({ epsilon: 0, delta: 0 });
    expect(r.spends).toEqual([]);
    expect(rng.draws()).toBe(0);
    expect(acc.entries()).toHaveLength(0);
  });

  it('at the minimum the release goes ahead', () => {
    const r = gate.decide({ a: 5000, b: 0 }, { ...insecure('cohort-ok'), cohortSize: 50 });
    expect(r.status).toBe('released');
    expect(keysOf(r)).toEqual(['a']);
  });

  it('k-anonymity without a domain lists the input keys as min_cohort; DP without a domain lists none', () => {
    const k = makeGate({ selection: makeKAnonymity({ k: 2 }), minCohortSize: 10 }).decide({ a: 5 }, { cohortSize: 3 });
    expect(k.suppressed).toEqual([{ key: 'a', reason: 'min_cohort', message: k.refusal?.message }]);
    const d = makeGate({ selection: makeOptimalSelection({ epsilon: 1, delta: 1e-6 }), minCohortSize: 10 }).decide({ a: 5 }, { cohortSize: 3 });
    expect(d.suppressed).toEqual([]);
    expect(d.refusal?.reason).toBe('min_cohort');
  });

  it('a gate with a minimum cohort requires the cohort size', () => {
    expectPinholeError(() => gate.decide({ a: 1 }, insecure('x')), 'invalid_argument', 'cohortSize');
  });
});

describe('noisy-count threshold (counts noised by distributed noise, read from the settlement)', () => {
  const planParams = {
    mechanism: 'skellam',
    epsilon: 1,
    delta: 1e-6,
    l2Sensitivity: 1,
    l1Sensitivity: 1,
    vectorLength: 3,
    expectedClients: 40,
    minSurvivors: 30,
    onShortfall: 'refuse',
    clientValueBounds: [0, 1],
    allowInsecureRng: true,
  } as const;
  const plan = makeDistributedNoisePlan(planParams);
  const settlement = plan.settle({ survivors: 36 });
  const selection = settlement.selection({ thresholdDelta: 1e-7 });
  const gate = makeGate({ selection, domain: ['a', 'b', 'c'] });

  it('thresholds the given noisy counts without drawing noise, with the settlement’s noise and loss', () => {
    const rng = countingRng(seededRng('noisy'));
    const r = gate.decide({ a: selection.threshold, b: selection.threshold - 1, c: -7 }, { rng, allowInsecureRng: true });
    expect(rng.draws()).toBe(0);
    expect(keysOf(r)).toEqual(['a']);
    const noise = settlement.noise;
    expect(noise.variance).toBe(36 * plan.shareVariance);
    expect(findReleased(r, 'a')?.values.contributors).toEqual({ raw: selection.threshold, value: selection.threshold, noise: 'skellam', scale: noise.scale, variance: noise.variance });
    expect(r.suppressed.map((s) => s.reason)).toEqual(['dp_selection', 'dp_selection']);
    expect(r.privacyLoss).toEqual({ epsilon: settlement.privacyLoss.epsilon, delta: settlement.privacyLoss.delta + 1e-7 });
  });

  it('refuses with noise_below_plan when the settlement is refused (too few survivors)', () => {
    const short = plan.settle({ survivors: 29 });
    expect(short.status).toBe('refused');
    const acc = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-3 } });
    const r = makeGate({ selection: short.selection({ thresholdDelta: 1e-7 }), domain: ['a', 'b', 'c'] }).decide({ a: 1000 }, { accountant: acc });
    expect(r.status).toBe('refused');
    expect(r.refusal?.reason).toBe('noise_below_plan');
    expect(r.refusal?.message).toContain(short.message);
    expect(r.released).toEqual([]);
    expect(r.suppressed.map((s) => [s.key, s.reason])).toEqual([
      ['a', 'noise_below_plan'],
      ['b', 'noise_below_plan'],
      ['c', 'noise_below_plan'],
    ]);
    expect(r.privacyLoss).toEqual({ epsilon: 0, delta: 0 });
    expect(acc.entries()).toHaveLength(0);
  });

  it('takes no caller-supplied noise level, and needs a public domain', () => {
    expectPinholeError(() => gate.decide({ a: 1 }, { noiseVariance: settlement.noiseVariance } as never), 'invalid_argument', 'noiseVariance');
    expectPinholeError(() => makeGate({ selection }), 'invalid_argument', 'domain');
  });
});

describe('deciding from contributor ids', () => {
  it('k-anonymity counts distinct ids per bucket', () => {
    const gate = makeGate({ selection: makeKAnonymity({ k: 2 }) });
    const r = gate.decideContributors({ a: ['u1', 'u2', 'u1'], b: ['u3', 'u3'] });
    expect(keysOf(r)).toEqual(['a']);
    expect(findReleased(r, 'a')?.values.contributors?.raw).toBe(2);
    expect(r.suppressed.map((s) => s.key)).toEqual(['b']);
  });

  it('DP modes bound each contributor to the selection’s l0 buckets', () => {
    // epsilon 100: noise scale 0.01, P[Z != 0] ~ 2e-44, threshold 2, so the published counts are
    // the bounded counts. 'h' is in all 3 buckets with l0 = 1: exactly one bucket keeps it.
    const sel = makeLaplaceThresholdSelection({ epsilon: 100, delta: 1e-6, l0: 1 });
    expect(sel.threshold).toBe(2);
    const gate = makeGate({ selection: sel, domain: ['a', 'b', 'c'] });
    const ids = { a: ['h', 'x'], b: ['h', 'y'], c: ['h', 'z'] };
    const seen = new Set<string>();
    for (let i = 0; i < 60; i++) {
      const r = gate.decideContributors(ids, insecure(`ids-${i}`));
      expect(r.released).toHaveLength(1);
      expect(r.released[0]?.values.contributors?.raw).toBe(2);
      seen.add(r.released[0]?.key as string);
    }
    expect(seen.size).toBe(3); // the kept bucket is random: P[one missing in 60 draws] < 3 (2/3)^60
    expectPinholeError(() => gate.decideContributors(ids, { rng: seededRng('ids') }), 'insecure_rng', 'rng');
  });

  it('refuses ids for a noisy-count threshold (exact counts are not noisy)', () => {
    const plan = makeDistributedNoisePlan({ mechanism: 'skellam', epsilon: 1, delta: 1e-6, l2Sensitivity: 1, vectorLength: 1, expectedClients: 40, onShortfall: 'refuse', allowInsecureRng: true });
    const sel = makeNoisyCountThreshold({ settlement: plan.settle({ survivors: 40 }), thresholdDelta: 1e-6 });
    expectPinholeError(() => makeGate({ selection: sel, domain: ['a'] }).decideContributors({ a: ['u'] }), 'unsupported', 'ids');
  });
});

describe('the neighbour relation of a DP selection', () => {
  const makers = [
    (n?: 'replace_one' | 'add_remove') => makeOptimalSelection({ epsilon: 1, delta: 1e-6, ...(n ? { neighbours: n } : {}) }),
    (n?: 'replace_one' | 'add_remove') => makeLaplaceThresholdSelection({ epsilon: 1, delta: 1e-6, ...(n ? { neighbours: n } : {}) }),
    (n?: 'replace_one' | 'add_remove') => makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-6, ...(n ? { neighbours: n } : {}) }),
  ];

  it('is replace-one by default, so a release may state its cohort size', () => {
    for (const make of makers) {
      const s = make();
      expect(s.neighbours).toBe('replace_one');
      const release = makeGate({ selection: s, minCohortSize: 2 }).decide({ a: 5 }, { cohortSize: 5, rng: seededRng('nb'), allowInsecureRng: true });
      expect(release.cohortSize).toBe(5);
    }
  });

  it('add/remove holds only while nothing states the cohort size: the gate refuses one', () => {
    for (const make of makers) {
      const s = make('add_remove');
      expectPinholeError(() => makeGate({ selection: s, minCohortSize: 2 }), 'invalid_argument', 'minCohortSize');
      const gate = makeGate({ selection: s });
      expectPinholeError(() => gate.decide({ a: 5 }, { cohortSize: 5, rng: seededRng('nb'), allowInsecureRng: true }), 'invalid_argument', 'cohortSize');
      expect(gate.decide({ a: 5 }, { rng: seededRng('nb'), allowInsecureRng: true }).cohortSize).toBeNull();
    }
  });

  it('noisy values calibrated for add/remove: the gate refuses a cohort size too', () => {
    const values = { count: makeNoisyValues({ noise: 'discrete_gaussian', epsilon: 1, delta: 1e-6, sensitivity: 1, neighbours: 'add_remove' }) };
    const selection = makeLaplaceThresholdSelection({ epsilon: 1, delta: 1e-6 });
    expectPinholeError(() => makeGate({ selection, values, minCohortSize: 2 }), 'invalid_argument', 'minCohortSize');
    const gate = makeGate({ selection, values });
    expectPinholeError(() => gate.decide({ a: 5 }, { cohortSize: 5, values: { count: { a: 5 } }, rng: seededRng('nb'), allowInsecureRng: true }), 'invalid_argument', 'cohortSize');
    expect(gate.decide({ a: 5 }, { values: { count: { a: 5 } }, rng: seededRng('nb'), allowInsecureRng: true }).cohortSize).toBeNull();
  });

  it('refuses an unknown relation, naming it', () => {
    expectPinholeError(() => makeOptimalSelection({ epsilon: 1, delta: 1e-6, neighbours: 'swap' as never }), 'invalid_argument', 'neighbours');
    expectPinholeError(() => makeLaplaceThresholdSelection({ epsilon: 1, delta: 1e-6, neighbours: 1 as never }), 'invalid_argument', 'neighbours');
    expectPinholeError(() => makeGaussianThresholdSelection({ epsilon: 1, delta: 1e-6, neighbours: null as never }), 'invalid_argument', 'neighbours');
  });
});
