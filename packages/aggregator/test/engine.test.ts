import { describe, expect, it } from 'vitest';
import { type Plan, type PlanCollection, type ReportEntry, decodeRoundReport, encodeRoundReport, makeReportId } from '@pinhole/core';
import { discreteGaussianVariance } from '@pinhole/core/samplers';
import { encodeEnvelope } from '@pinhole/core/wire';
import { planRoundLoss } from '@pinhole/core/plan';
import { expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { twoSidedZ } from '@pinhole/core/stats';
import { type AnyFrequencyOracle, type NumericMechanism } from '@pinhole/ldp';
import { type CollectionRelease, type Round, makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import { type DeviceInput, deviceEntry, deviceMechanism } from '@pinhole/client';

const DOMAINS = { operators: ['op-a', 'op-b'], regions: ['r1', 'r2', 'r3'], cells: ['c1', 'c2', 'c3', 'c4'] };
const rng = seededRng('engine-test');
const ids = seededRng('engine-test-ids');

function makeReport(plan: Plan, roundId: string, entries: ReportEntry[]): Uint8Array {
  return encodeRoundReport({ planId: plan.id, planRevision: plan.revision, roundId, reportId: makeReportId(ids, { allowInsecureRng: true }), entries });
}

/** One device per input, each reporting every listed collection. */
function addDevices(round: Round, plan: Plan, inputs: readonly Record<string, DeviceInput>[]): void {
  const mechs = new Map(plan.collections.filter((c) => c.mode === 'ldp').map((c) => [c.id, deviceMechanism(c, { allowInsecureRng: true })]));
  for (const input of inputs) {
    const entries = Object.entries(input).map(([id, x]) => {
      const c = plan.collections.find((cc) => cc.id === id) as PlanCollection;
      const mechanism = mechs.get(id);
      return deviceEntry(c, x, rng, { allowInsecureRng: true, ...(mechanism ? { mechanism } : {}) });
    });
    expect(round.add(makeReport(plan, round.roundId, entries))).toBe('added');
  }
}

function repeat<T>(counts: readonly number[], make: (bucket: number) => T): T[] {
  return counts.flatMap((c, b) => Array.from({ length: c }, () => make(b)));
}

// Tolerances: an estimate e of a truth t with standard deviation sd fails |e - t| < z·sd with
// probability alpha when it is (close to) normal; twoSidedZ(1e-6 / m) over m checks keeps the
// whole test's false-failure rate below 1e-6 (Bonferroni, no independence needed).
const zFor = (checks: number) => twoSidedZ(1e-6 / checks);

describe('local DP', () => {
  const COUNTS = [8000, 6000, 3000, 2000, 1000];
  const plan = makePlan({
    id: 'ldp',
    insights: ['device-class-share', 'rtt-mean'],
    domains: DOMAINS,
    budget: { epsilon: 2, delta: 0 },
    mode: 'ldp',
    expectedDevices: 20_000,
    ldp: { oracle: 'oue', numeric: 'duchi' },
  });
  const engine = makeReleaseEngine(plan, { allowInsecureRng: true });

  it('decodes device reports into the oracle’s tally: unbiased counts within their variance', () => {
    const round = engine.openRound({ roundId: 'r1' });
    // every device reports its class; 100 of them also their RTT (the round needs 20 of each)
    addDevices(
      round,
      plan,
      repeat(COUNTS, (b) => ({ 'device-class': { bucket: b } })).map((x, i) => (i < 100 ? { ...x, 'rtt-by-operator': { group: 0, value: 50 } } : x)),
    );
    expect(round.reports).toBe(20_000);
    const release = round.release({ rng });
    expect(release.status).toBe('released');
    const c = release.collections.find((x) => x.collection === 'device-class')!;
    expect(c.cohort).toBe(20_000);
    const oracle = engine.collection('device-class').oracle as AnyFrequencyOracle;
    const z = zFor(COUNTS.length);
    c.groups[0]!.rawCounts!.forEach((est, v) => {
      const sd = 20_000 * Math.sqrt(oracle.variance(20_000, (COUNTS[v] as number) / 20_000));
      expect(Math.abs(est - (COUNTS[v] as number)), `bucket ${v}`).toBeLessThan(z * sd);
    });
    // what the release says about itself
    expect(c.spent).toEqual(plan.collections.find((x) => x.id === 'device-class')!.privacyLoss);
    expect(c.privacyLoss.release).toEqual({ epsilon: 1, delta: 0 });
    expect(c.privacyLoss.aggregator).toEqual({ epsilon: 1, delta: 0 });
    expect(c.threatModel.kind).toBe('local_dp');
    expect(c.treatsAsPublic.join(' ')).toMatch(/domains/);
    expect(c.parameters['mechanism.name']).toBe('oue');
    const share = c.insights[0]!;
    expect(share.insight).toBe('device-class-share');
    const dist = share.groups[0]!.value as number[];
    expect(dist.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(share.overall).toEqual(dist);
    expect(release.spent).toEqual(planRoundLoss(plan));
  });

  it('means: the public group travels with the report, and the release says so', () => {
    const p = makePlan({ id: 'mean', insights: ['rtt-mean'], domains: DOMAINS, budget: { epsilon: 2, delta: 0 }, mode: 'ldp', expectedDevices: 8000, ldp: { numeric: 'duchi' }, minCohort: 100 });
    const e = makeReleaseEngine(p, { allowInsecureRng: true });
    const round = e.openRound({ roundId: 'm1' });
    // op-a: 6,000 devices at 100 ms, op-b: 10 devices at 250 ms (below k = 20: withheld)
    addDevices(round, p, [
      ...Array.from({ length: 6000 }, () => ({ 'rtt-by-operator': { group: 0, value: 100 } })),
      ...Array.from({ length: 10 }, () => ({ 'rtt-by-operator': { group: 1, value: 250 } })),
    ]);
    const c = round.release({ rng }).collections[0]!;
    const mech = e.collection('rtt-by-operator').numeric as NumericMechanism;
    // Var of the mean of 6,000 reports of t = -0.6, mapped back by half = 250
    const sd = Math.sqrt(mech.variance(6000, -0.6)) * 250;
    expect(Math.abs(c.groups[0]!.mean! - 100)).toBeLessThan(zFor(1) * sd);
    expect(c.groups[0]!.contributors).toBe(6000);
    expect(c.groups[1]).toMatchObject({ key: 'op-b', released: false, reason: 'below_k', mean: null, contributors: null });
    expect(c.groups[1]!.message).not.toMatch(/10/);
    expect(c.treatsAsPublic.join(' ')).toMatch(/operator\) of each reporting device/);
    expect(c.insights[0]!.groups).toEqual([{ key: 'op-a', value: c.groups[0]!.mean }]);
  });

  it('refuses malformed or misplaced reports with a typed error and loses nothing already accepted', () => {
    const round = engine.openRound({ roundId: 'r2' });
    addDevices(round, plan, [{ 'device-class': { bucket: 1 }, 'rtt-by-operator': { group: 0, value: 40 } }]);
    const tally = round.tally('device-class');
    const good = (c: string, x: DeviceInput) =>
      deviceEntry(
        plan.collections.find((cc) => cc.id === c)!,
        x,
        rng,
        { allowInsecureRng: true },
      );
    const bad: [ReportEntry[], string, string][] = [
      [[good('device-class', { bucket: 0 }), { collection: 'rtt-by-operator', group: 0, bytes: new Uint8Array([1, 2, 3]) }], 'decode_failed', 'report.entries[1].bytes'],
      [[{ collection: 'device-class', bytes: encodeEnvelope('ldp/grr', 1) }], 'decode_failed', 'report.entries[0].bytes'],
      [[{ collection: 'rtt-by-operator', bytes: good('rtt-by-operator', { group: 0, value: 1 }).bytes }], 'decode_failed', 'report.entries[0].group'],
      [[{ collection: 'rtt-by-operator', group: 2, bytes: good('rtt-by-operator', { group: 0, value: 1 }).bytes }], 'decode_failed', 'report.entries[0].group'],
      [[{ ...good('device-class', { bucket: 0 }), group: 0 }], 'decode_failed', 'report.entries[0].group'],
      [[{ collection: 'worst', bytes: new Uint8Array([1]) }], 'protocol_violation', 'report.entries[0].collection'],
    ];
    for (const [entries, code, param] of bad) expectPinholeError(() => round.add(makeReport(plan, 'r2', entries)), code as never, param);
    expectPinholeError(
      () => round.add(encodeRoundReport({ planId: plan.id, planRevision: plan.revision + 1, roundId: 'r2', reportId: makeReportId(), entries: [good('device-class', { bucket: 0 })] })),
      'protocol_violation',
      'report.planRevision',
    );
    expectPinholeError(
      () => round.add(encodeRoundReport({ planId: 'other', planRevision: plan.revision, roundId: 'r2', reportId: makeReportId(), entries: [good('device-class', { bucket: 0 })] })),
      'protocol_violation',
      'report.planId',
    );
    expectPinholeError(() => round.add(makeReport(plan, 'r3', [good('device-class', { bucket: 0 })])), 'protocol_violation', 'report.roundId');
    expectPinholeError(() => round.add(new Uint8Array([0x50, 0x48, 1, 0xc1])), 'decode_failed', 'bytes');
    expect(round.reports).toBe(1);
    expect(tally.cohort).toBe(1);
    expect(round.tally('rtt-by-operator').cohort).toBe(1);
    // a retried upload (same report id) is counted once
    const retry = makeReport(plan, 'r2', [good('device-class', { bucket: 2 })]);
    expect(round.add(retry)).toBe('added');
    expect(round.add(retry)).toBe('duplicate');
    expect(round.add(engine.decodeReport(retry))).toBe('duplicate');
    expect(tally.cohort).toBe(2);
    // device-side errors never echo the private value
    const e = expectPinholeError(() => good('device-class', { bucket: 7 }), 'invalid_argument', 'input.bucket');
    expect(e.message).not.toMatch(/7/);
  });

  it('a round below its minimum cohort is refused whole, and closes', () => {
    const round = engine.openRound({ roundId: 'r4' });
    // 30 devices report device-class, only 5 report rtt (minCohort = k = 20)
    addDevices(round, plan, [...Array.from({ length: 30 }, () => ({ 'device-class': { bucket: 0 } })), ...Array.from({ length: 5 }, () => ({ 'rtt-by-operator': { group: 0, value: 10 } }))]);
    const r = round.release({ rng });
    expect(r.status).toBe('refused');
    expect(r.refusal?.reason).toBe('min_cohort');
    expect(r.refusal?.message).toMatch(/"rtt-by-operator" has 5 of 20/);
    for (const c of r.collections) {
      expect(c.status).toBe('refused');
      expect(c.refusal?.reason).toBe('min_cohort');
      expect(c.groups).toEqual([]);
      expect(c.insights).toEqual([]);
    }
    // devices were charged when they reported, released or not
    expect(r.spent).toEqual(planRoundLoss(plan));
    expect(round.closed).toBe(true);
    expectPinholeError(() => round.add(new Uint8Array(4)), 'invalid_state', 'round');
    expectPinholeError(() => round.release(), 'invalid_state', 'round');
    expect(Object.isFrozen(r.collections[0])).toBe(true);
  });

  it('refuses tallies and inputs of another mode or collection', () => {
    const round = engine.openRound({ roundId: 'r5' });
    const t = round.tally('device-class');
    expectPinholeError(() => t.addExactCounts([1, 2, 3, 4, 5]), 'invalid_state', 'tally');
    expectPinholeError(() => t.setSecureSum([0], 1), 'invalid_state', 'tally');
    expectPinholeError(() => t.addAggregate([1, 2, 3], 4), 'invalid_argument', 'vector');
    expectPinholeError(() => engine.collection('rtt-by-operator').release(t), 'invalid_argument', 'tally');
    expectPinholeError(() => round.tally('nope'), 'invalid_argument', 'collection');
    expectPinholeError(() => engine.openRound({ roundId: '' }), 'invalid_argument', 'params.roundId');
  });
});

describe('central curator', () => {
  const plan = makePlan({ id: 'central', insights: ['device-class-share', 'rtt-mean'], domains: DOMAINS, budget: { epsilon: 1, delta: 1e-6 }, mode: 'central', expectedDevices: 5000 });
  const engine = makeReleaseEngine(plan, { allowInsecureRng: true });
  const COUNTS = [2000, 1500, 1000, 400, 100];

  it('adds discrete Gaussian noise of the planned variance to exact counts', () => {
    const c = engine.collection('device-class');
    const tally = c.makeTally();
    tally.addExactCounts(COUNTS);
    const sigma = (c.plan.mechanism as { sigma: number }).sigma;
    const v = discreteGaussianVariance(sigma);
    // R releases × 5 counts of z^2 = (noise)^2 / Var: mean 1, Var(z^2) = 2 + excess kurtosis (≈ 0
    // for a discrete Gaussian of sigma > 1); |mean - 1| < z·sqrt(2/(R·5)) at a 1e-6 false-failure
    // rate, about ±0.1 with R = 1000: noise missing or off by a factor sqrt(1.2) fails.
    const R = 1000;
    let s = 0;
    for (let r = 0; r < R; r++) {
      const est = c.estimate(tally, { rng });
      est.values!.forEach((x, i) => (s += (x - (COUNTS[i] as number)) ** 2 / v));
      expect(est.noiseVariance).toBe(v);
    }
    expect(Math.abs(s / (R * 5) - 1)).toBeLessThan(zFor(1) * Math.sqrt(2 / (R * 5)));
    const rel = c.release(tally, { rng });
    expect(rel.threatModel.kind).toBe('central_curator');
    expect(rel.privacyLoss).toEqual({ release: { epsilon: 0.5, delta: 5e-7 }, aggregator: null });
  });

  it('takes exact report entries too, and means with their group', () => {
    const round = engine.openRound({ roundId: 'c1' });
    addDevices(round, plan, [
      ...repeat(COUNTS, (b) => ({ 'device-class': { bucket: b } })),
      ...Array.from({ length: 3000 }, (_, i) => ({ 'rtt-by-operator': { group: i % 2, value: i % 2 ? 60 : 600 } })), // 600 clamps to 500
    ]);
    const r = round.release({ rng });
    expect(r.status).toBe('released');
    const mean = r.collections.find((x) => x.collection === 'rtt-by-operator')!;
    const m = plan.collections.find((x) => x.id === 'rtt-by-operator')!.mechanism as { sigmaSum: number; sigmaCount: number; grid: number };
    // delta method: sd of the mean ≈ sqrt(σ_S² + t²σ_C²)/(n·grid) · 500, t the mean on [0, 1]
    for (const [g, truth] of [
      [0, 500],
      [1, 60],
    ] as const) {
      const t = truth / 500;
      const sd = (Math.sqrt(m.sigmaSum ** 2 + (t * m.grid) ** 2 * m.sigmaCount ** 2) / (1500 * m.grid)) * 500;
      expect(Math.abs(mean.groups[g]!.rawMean! - truth), `group ${g}`).toBeLessThan(zFor(2) * sd + 500 / m.grid);
      expect(mean.groups[g]!.mean!).toBeLessThanOrEqual(500); // post-processing clamps
    }
  });

  it('draws its noise from a secure generator unless simulation is allowed', () => {
    const strict = makeReleaseEngine(plan);
    const t = strict.collection('device-class').makeTally();
    t.addExactCounts(COUNTS);
    expectPinholeError(() => strict.collection('device-class').release(t, { rng: seededRng('x') }), 'insecure_rng', 'rng');
    expect(strict.collection('device-class').release(t).status).toBe('released');
    expectPinholeError(() => t.addExactCounts([1, 2, -1, 0, 0]), 'invalid_argument', 'counts[2]');
  });
});

describe('secure aggregation with distributed noise', () => {
  const N = 1000;
  const COUNTS = [400, 300, 150, 100, 50];
  const planFor = (secagg: NonNullable<Parameters<typeof makePlan>[0]['secagg']>) =>
    makePlan({ id: 'secagg', insights: ['device-class-share'], domains: DOMAINS, budget: { epsilon: 1, delta: 1e-6 }, mode: 'secagg', expectedDevices: N, secagg });

  /** the survivors' true counts (the first `s` devices of COUNTS order) plus their noise, mod 2^b */
  function simulateSum(engine: ReturnType<typeof makeReleaseEngine>, s: number): { sum: Uint32Array; truth: number[] } {
    const c = engine.collection('device-class');
    const np = c.noisePlan!;
    const devices = repeat(COUNTS, (b) => b).slice(0, s);
    const truth = COUNTS.map((_, b) => devices.filter((x) => x === b).length);
    const noise = np.simulateSumNoise(s, rng);
    return { sum: np.toRing(truth.map((t, b) => t + (noise[b] as number))), truth };
  }

  it('as planned: decodes the survivors’ noisy sum; the aggregator and the carriers face the same loss', () => {
    const engine = makeReleaseEngine(planFor({ dropoutRate: 0.1 }), { allowInsecureRng: true });
    const c = engine.collection('device-class');
    expect(c.plan.minCohort).toBe(900);
    const { sum, truth } = simulateSum(engine, 950);
    const round = engine.openRound({ roundId: 's1' });
    round.tally('device-class').setSecureSum(sum, 950);
    const r = round.release({ rng });
    const rel = r.collections[0]!;
    expect(rel.status).toBe('released');
    expect(rel.noiseVariance).toBe(950 * c.noisePlan!.shareVariance);
    expect(rel.privacyLoss.release).toEqual(rel.privacyLoss.aggregator);
    expect(rel.privacyLoss.release.epsilon).toBeLessThanOrEqual(rel.spent.epsilon);
    expect(rel.threatModel).toMatchObject({ kind: 'secure_aggregation', variant: 'honest_but_curious' });
    expect(rel.treatsAsPublic.join(' ')).toMatch(/survived/);
    const sd = Math.sqrt(rel.noiseVariance!);
    rel.groups[0]!.rawCounts!.forEach((x, b) => expect(Math.abs(x - (truth[b] as number))).toBeLessThan(zFor(5) * sd));
  });

  it('below the planned survivors with refuse: the round is refused before anything is released', () => {
    const engine = makeReleaseEngine(planFor({ dropoutRate: 0.1 }), { allowInsecureRng: true });
    const c = engine.collection('device-class');
    expectPinholeError(() => c.checkCohort(850), 'invalid_state', 'cohort');
    const round = engine.openRound({ roundId: 's2' });
    round.tally('device-class').setSecureSum(simulateSum(engine, 850).sum, 850);
    const r = round.release({ rng });
    expect(r.status).toBe('refused');
    expect(r.collections[0]!.refusal?.reason).toBe('min_cohort');
    // the sum was handed over although it should not have been unmasked: the release says what the aggregator saw
    expect(r.collections[0]!.privacyLoss.aggregator!.epsilon).toBeGreaterThan(r.collections[0]!.spent.epsilon);
    expect(r.collections[0]!.notes.join(' ')).toMatch(/unmasked below the minimum cohort/);
  });

  it('top-up: the missing noise is added centrally and the aggregator’s own loss is accounted (issue 16, 6b)', () => {
    const plan = planFor({ dropoutRate: 0.1, minSurvivorFraction: 1, onShortfall: 'top_up', minCohortFraction: 0.8 });
    const engine = makeReleaseEngine(plan, { allowInsecureRng: true });
    const c = engine.collection('device-class');
    expect(c.plan.minCohort).toBe(800);
    const np = c.noisePlan!;
    const planned = N * np.shareVariance;
    // R rounds of 850 survivors: (estimate - truth)^2 / planned has mean 1 once topped up to 1000
    // shares; without the top-up it would be 0.85. Var(z^2) = 2 + 1/(2 mu_total) for Skellam (its
    // excess kurtosis), so over R·5 = 10,000 values the tolerance is 4.89·sqrt(2/10^4) ≈ 0.07 at a
    // 1e-6 false-failure rate, and a missing top-up (0.15 off) fails.
    const R = 2000;
    let s2 = 0;
    let rel: CollectionRelease | undefined;
    for (let r = 0; r < R; r++) {
      const { sum, truth } = simulateSum(engine, 850);
      const tally = c.makeTally();
      tally.setSecureSum(sum, 850);
      const est = c.estimate(tally, { rng });
      expect(est.settlement).toBe('topped_up');
      expect(est.noiseVariance).toBe(planned);
      est.values!.forEach((x, b) => (s2 += (x - (truth[b] as number)) ** 2 / planned));
      rel = c.publish(est);
    }
    const mu = planned / 2;
    expect(Math.abs(s2 / (R * 5) - 1)).toBeLessThan(zFor(1) * Math.sqrt((2 + 1 / (2 * mu)) / (R * 5)));
    // carriers face the promise; the aggregator saw 850 shares: more loss, within what devices were charged
    expect(rel!.privacyLoss.release.epsilon).toBeLessThan(rel!.privacyLoss.aggregator!.epsilon);
    expect(rel!.privacyLoss.aggregator!.epsilon).toBeLessThanOrEqual(rel!.spent.epsilon);
    expect(rel!.spent).toEqual({ epsilon: 1, delta: 1e-6 });
    expect(rel!.notes.join(' ')).toMatch(/added the missing noise centrally/);
  });

  it('a round whose protocol aborted is refused whole with its reason, and nothing was unmasked', () => {
    const engine = makeReleaseEngine(planFor({ dropoutRate: 0.1 }), { allowInsecureRng: true });
    const round = engine.openRound({ roundId: 's-aborted' });
    const r = round.refuse({ reason: 'round_aborted', message: 'client 7 has only 40 share holders that sent masked input, below the threshold 63' }, 950);
    expect(r.status).toBe('refused');
    expect(r.refusal).toEqual({ reason: 'round_aborted', message: 'client 7 has only 40 share holders that sent masked input, below the threshold 63' });
    expect(r.spent).toEqual({ epsilon: 1, delta: 1e-6 });
    const rel = r.collections[0]!;
    expect(rel).toMatchObject({ status: 'refused', cohort: 950, groups: [], insights: [], refusal: { reason: 'round_aborted' } });
    expect(rel.privacyLoss.aggregator).toBeNull();
    expect(rel.threatModel.kind).toBe('secure_aggregation');
    expect(round.closed).toBe(true);
    expectPinholeError(() => round.release(), 'invalid_state', 'round');
    const other = engine.openRound({ roundId: 's-bad' });
    expectPinholeError(() => other.refuse({ reason: 'because' as never, message: 'x' }, 1), 'invalid_argument', 'refusal.reason');
    expectPinholeError(() => other.refuse({ reason: 'min_cohort', message: '' }, 1), 'invalid_argument', 'refusal.message');
    expectPinholeError(() => other.refuse({ reason: 'min_cohort', message: 'x' }, -1), 'invalid_argument', 'cohort');
  });

  it('takes its input only as one well-formed modular sum', () => {
    const plan = planFor({});
    const engine = makeReleaseEngine(plan, { allowInsecureRng: true });
    const round = engine.openRound({ roundId: 's3' });
    const t = round.tally('device-class');
    const modulus = 2 ** (plan.collections[0]!.mechanism as { modulusBits: number }).modulusBits;
    expectPinholeError(() => t.setSecureSum([0, 0, 0, 0], 10), 'invalid_argument', 'sum');
    expectPinholeError(() => t.setSecureSum([0, 0, 0, 0, modulus], 10), 'invalid_argument', 'sum[4]');
    expectPinholeError(() => t.setSecureSum([0, 0, 0, 0, 0], N + 1), 'invalid_argument', 'survivors');
    t.setSecureSum([0, 0, 0, 0, 0], N);
    expectPinholeError(() => t.setSecureSum([0, 0, 0, 0, 0], N), 'invalid_state', 'sum');
    expectPinholeError(() => t.addOracleTally({} as never), 'invalid_state', 'tally');
    const entry = { collection: 'device-class', bytes: encodeEnvelope('ldp/oue', 1) };
    const bytes = encodeRoundReport({ planId: plan.id, planRevision: 1, roundId: 's3', reportId: makeReportId(), entries: [entry] });
    expect(decodeRoundReport(bytes).entries).toHaveLength(1);
    expectPinholeError(() => round.add(bytes), 'protocol_violation', 'report.entries[0].collection');
    // only what decodeReport issued stands in for bytes
    expectPinholeError(() => round.add({ report: decodeRoundReport(bytes), entries: [{ collection: 'device-class', group: null, report: 1 }] }), 'invalid_argument', 'report');
  });
});
