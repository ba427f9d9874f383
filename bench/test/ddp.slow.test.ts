import { beforeAll, describe, expect, it } from 'vitest';
import { getInsight } from '@pinhole/core';
import { chiSquareCritical } from '@pinhole/core/stats';
import { seededRng } from '@pinhole/core/seeded';
import { makeSecaggDdpPipeline, secaggDdp } from '../src/ddp-pipeline.js';
import { scoreHistogram } from '../src/evaluate.js';
import { type ResultPoint, summarise } from '../src/output.js';
import { PIPELINE_IDS } from '../src/pipelines.js';
import type { CollectionData, HistogramData, MeanData } from '../src/prepare.js';
import { collectionsFor, prepareCollections, sweep, type SweepResult } from '../src/run.js';
import { openData } from '../src/open-data.js';
import { parseUtilityArgs } from '../src/utility-config.js';

// The quick preset exactly as `npm run bench` runs it: 100,000 synthetic devices, every insight's
// collection (so each collection gets epsilon/6 of the round, as in the bench), aggregate mode.
const parsed = parseUtilityArgs([]);
if (parsed === 'help') throw new Error('unreachable');
const cfg = parsed;
const COUNT_INSIGHTS = ['network-type-share', 'poor-share', 'downlink-median', 'downlink-p90', 'worst-cells', 'device-class-share'];
const registered = PIPELINE_IDS.includes('secagg-ddp');
let data: CollectionData[];
let result: SweepResult;
let ddpPoints: ResultPoint[];

/**
 * secagg-ddp's points computed the way `sweep` computes every pipeline's (same seeded stream labels,
 * the same epsilon share, the bench's scorer), so they are the figures `npm run bench` reports once
 * the pipeline is registered in allPipelines() (checked below).
 */
async function ddpSweep(all: readonly CollectionData[]): Promise<ResultPoint[]> {
  const share = 1 / all.length;
  const points: ResultPoint[] = [];
  for (const epsilon of cfg.epsilons) {
    for (const d of all) {
      if (d.kind !== 'histogram') continue;
      const users = COUNT_INSIGHTS.map(getInsight).filter((u) => u.collection === d.collection.id);
      const errors = new Map<string, number[]>(users.map((u) => [u.id, []]));
      let releasedSum = 0;
      for (let trial = 0; trial < cfg.trials; trial++) {
        const rng = seededRng(cfg.seed).stream(`trial=${trial}/pipeline=secagg-ddp/collection=${d.collection.id}/epsilon=${epsilon}`);
        const out = await secaggDdp.histogram!({ data: d, epsilon: epsilon * share, delta: cfg.delta * share, k: cfg.k, rng, mode: cfg.mode });
        for (const u of users) errors.get(u.id)!.push(scoreHistogram(u, d, out));
        releasedSum += out.released.reduce((a, b) => a + b, 0) / out.released.length;
      }
      for (const u of users) {
        points.push({
          insight: u.id,
          pipeline: 'secagg-ddp',
          epsilon,
          delta: cfg.delta,
          k: cfg.k,
          epsilonCollection: epsilon * share,
          deltaCollection: cfg.delta * share,
          error: summarise(errors.get(u.id)!),
          theory: null,
          released: releasedSum / cfg.trials,
          n: d.n,
        });
      }
    }
  }
  return points;
}

beforeAll(async () => {
  const opened = openData(cfg);
  data = prepareCollections(opened.tables(), opened.domains, collectionsFor(cfg.insights), cfg.seed, false);
  const pipelines = cfg.pipelines.filter((p) => p === 'central-dp' || p === 'secagg-ddp' || p.startsWith('ldp-'));
  result = await sweep(data, { insights: COUNT_INSIGHTS, pipelines, epsilons: cfg.epsilons, delta: cfg.delta, k: cfg.k, trials: cfg.trials, seed: cfg.seed, mode: cfg.mode });
  ddpPoints = await ddpSweep(data);
}, 600_000);

const at = (insight: string, pipeline: string): ResultPoint[] =>
  (pipeline === 'secagg-ddp' ? ddpPoints : result.points).filter((p) => p.insight === insight && p.pipeline === pipeline).sort((a, b) => a.epsilon - b.epsilon);
const halfWidth = (p: ResultPoint) => (p.error.hi - p.error.lo) / 2;
const ldpIds = () => result.pipelines.map((p) => p.id).filter((id) => id.startsWith('ldp-'));
const bestLdp = (insight: string, epsilon: number): ResultPoint =>
  ldpIds()
    .map((pl) => at(insight, pl).find((p) => p.epsilon === epsilon))
    .filter((p): p is ResultPoint => p !== undefined)
    .reduce((a, b) => (a.error.mean <= b.error.mean ? a : b));

describe('secagg-ddp on the quick preset (count-type insights)', () => {
  it('covers every count-type insight at every epsilon of the preset', () => {
    expect(cfg.preset).toBe('quick');
    for (const id of COUNT_INSIGHTS) {
      expect(at(id, 'secagg-ddp').map((p) => p.epsilon)).toEqual(cfg.epsilons);
      expect(at(id, 'central-dp').map((p) => p.epsilon)).toEqual(cfg.epsilons);
    }
    // the figures, central-dp vs secagg-ddp vs the best ldp-*, for the report
    const rows = COUNT_INSIGHTS.flatMap((id) =>
      cfg.epsilons.map((e) => {
        const c = at(id, 'central-dp').find((p) => p.epsilon === e)!;
        const s = at(id, 'secagg-ddp').find((p) => p.epsilon === e)!;
        const l = bestLdp(id, e);
        return `${id}\tε=${e}\tcentral ${c.error.mean.toPrecision(3)} ±${halfWidth(c).toPrecision(2)}\tsecagg-ddp ${s.error.mean.toPrecision(3)} ±${halfWidth(s).toPrecision(2)} (×${(s.error.mean / c.error.mean).toFixed(3)})\tbest ldp ${l.pipeline} ${l.error.mean.toPrecision(3)}`;
      }),
    );
    console.log(`secagg-ddp figures (quick preset)\n${rows.join('\n')}`);
  });

  it("is within 25 % of central-dp's error at the same (epsilon, delta), beyond trial noise", () => {
    for (const id of COUNT_INSIGHTS) {
      for (const s of at(id, 'secagg-ddp')) {
        const c = at(id, 'central-dp').find((p) => p.epsilon === s.epsilon)!;
        // Both means carry 95 % intervals over their trials; the claim s <= 1.25 c fails only if
        // s exceeds 1.25 c by more than both half-widths (1.25 c's interval scales with it). With
        // t(0.975, 4) = 2.776 half-widths over 5 trials, a pipeline exactly at the bound fails with
        // probability about 2e-3 (one-sided t, 8 df, beyond 3.93), as in utility.slow.test.ts.
        expect(s.error.mean, `${id} ε=${s.epsilon}: secagg-ddp ${s.error.mean} vs central-dp ${c.error.mean}`).toBeLessThanOrEqual(1.25 * c.error.mean + halfWidth(s) + 1.25 * halfWidth(c));
      }
    }
  });

  it('is far below the best ldp-* pipeline: at most sqrt(2)/3 of its error, and disjoint intervals (miss rates: see below)', () => {
    for (const id of COUNT_INSIGHTS) {
      for (const s of at(id, 'secagg-ddp')) {
        const l = bestLdp(id, s.epsilon);
        if (getInsight(id).metric === 'miss_at_k') {
          // A miss rate is bounded by 1 and every LDP pipeline stays near it (0.9+) on the quick
          // preset. Where secagg-ddp may also still miss most of the top 10 (its 95 % interval
          // reaches 0.8, the smallest epsilons) the two may tie within noise; everywhere else their
          // 95 % intervals are disjoint.
          if (s.error.hi >= 0.8) expect(s.error.mean, `${id} ε=${s.epsilon}`).toBeLessThanOrEqual(l.error.mean + halfWidth(l) + halfWidth(s));
          else expect(s.error.hi, `${id} ε=${s.epsilon}: secagg-ddp ${s.error.mean} vs ${l.pipeline} ${l.error.mean}`).toBeLessThan(l.error.lo);
          continue;
        }
        // a third of the LDP error under the add/remove calibration; replace-one moves two counts, so
        // the same epsilon carries sqrt(2) times the noise sd (the error of a noise-dominated point
        // scales with it): sqrt(2)/3
        expect(s.error.mean, `${id} ε=${s.epsilon}: secagg-ddp ${s.error.mean} vs ${l.pipeline} ${l.error.mean}`).toBeLessThanOrEqual((Math.SQRT2 * l.error.mean) / 3);
        expect(s.error.hi, `${id} ε=${s.epsilon}`).toBeLessThan(l.error.lo);
      }
    }
  });

  it('is registered, and `npm run bench` reports exactly these points', () => {
    expect(registered).toBe(true);
    expect(ddpPoints).toHaveLength(COUNT_INSIGHTS.length * cfg.epsilons.length);
    for (const p of ddpPoints) {
      const q = result.points.find((r) => r.insight === p.insight && r.pipeline === 'secagg-ddp' && r.epsilon === p.epsilon);
      expect(q?.error, `${p.insight} ε=${p.epsilon}`).toEqual(p.error);
    }
  });
});

describe('secagg-ddp closed forms and modes', () => {
  const small = (): HistogramData => data.find((d): d is HistogramData => d.kind === 'histogram' && d.collection.id === 'device-class')!;

  it('frequencyVariance is 2 mu / n^2 per bucket, and the measured frequency RMSE matches it', async () => {
    // RMSE over D buckets and R rounds of the frequency error (counts - truth)/n: the mean of R·D
    // squared Sk(mu) draws has relative sd sqrt((2 + 1/(2mu)) / (R·D)); 4.42 sd fails w.p. ~1e-5.
    const d = data.find((x): x is HistogramData => x.kind === 'histogram' && x.collection.id === 'poor-by-cell')!;
    const R = 20;
    let sq = 0;
    let fv = 0;
    for (let r = 0; r < R; r++) {
      const out = await secaggDdp.histogram!({ data: d, epsilon: 1, delta: 1e-6, k: 20, rng: seededRng('ddp-freq').stream(r), mode: 'aggregate' });
      fv = out.frequencyVariance!;
      for (let v = 0; v < d.sampledCounts.length; v++) sq += (((out.counts[v] as number) - (d.sampledCounts[v] as number)) / d.n) ** 2;
    }
    const mse = sq / (R * d.sampledCounts.length);
    const mu = (fv * d.n * d.n) / 2;
    expect(mu).toBeGreaterThan(1);
    const rel = Math.sqrt((2 + 1 / (2 * mu)) / (R * d.sampledCounts.length));
    expect(Math.abs(mse / fv - 1)).toBeLessThan(4.42 * rel);
  });

  it('device mode (every device’s own share mod 2^b) has the law of aggregate mode', async () => {
    // Bucket 0 of device-class over R rounds in each mode: two-sample KS at 1e-5 (c = 2.47).
    const d = small();
    const items: number[] = [];
    // keep 3,000 devices in the original proportions so device mode stays quick
    const scale = 3000 / d.n;
    const counts = Array.from(d.sampledCounts, (c) => Math.round(c * scale));
    counts.forEach((c, v) => {
      for (let i = 0; i < c; i++) items.push(v);
    });
    const sub: HistogramData = { ...d, sampledCounts: Int32Array.from(counts), items: Int32Array.from(items), n: items.length };
    const R = 200;
    const a: number[] = [];
    const b: number[] = [];
    for (let r = 0; r < R; r++) {
      a.push((await secaggDdp.histogram!({ data: sub, epsilon: 0.5, delta: 1e-6, k: 1, rng: seededRng('agg').stream(r), mode: 'aggregate' })).counts[0] as number);
      b.push((await secaggDdp.histogram!({ data: sub, epsilon: 0.5, delta: 1e-6, k: 1, rng: seededRng('dev').stream(r), mode: 'device' })).counts[0] as number);
    }
    const ks = (x: number[], y: number[]) => {
      const xs = [...x].sort((p, q) => p - q);
      const ys = [...y].sort((p, q) => p - q);
      let i = 0;
      let j = 0;
      let m = 0;
      while (i < xs.length && j < ys.length) {
        const v = Math.min(xs[i]!, ys[j]!);
        while (i < xs.length && xs[i]! <= v) i++;
        while (j < ys.length && ys[j]! <= v) j++;
        m = Math.max(m, Math.abs(i / xs.length - j / ys.length));
      }
      return m;
    };
    expect(ks(a, b)).toBeLessThan(Math.sqrt(-Math.log(1e-5 / 2) / 2) * Math.sqrt(2 / R));
  });

  it('dropouts: a shortfall is topped up to the planned noise, or refused and nothing released', async () => {
    const d = small();
    const base = { data: d, epsilon: 1, delta: 1e-6, k: 20, mode: 'aggregate' as const };
    const topped = makeSecaggDdpPipeline({ dropoutRate: 0.1, minSurvivorFraction: 1, onShortfall: 'top_up' });
    const refused = makeSecaggDdpPipeline({ dropoutRate: 0.1, minSurvivorFraction: 1, onShortfall: 'refuse' });
    const tolerant = makeSecaggDdpPipeline({ dropoutRate: 0.1, minSurvivorFraction: 0.8, onShortfall: 'refuse' });
    const full = await secaggDdp.histogram!({ ...base, rng: seededRng('full') });
    const t = await topped.histogram!({ ...base, rng: seededRng('t') });
    // topped up to the plan for all n devices. Issue 16 (6b): the aggregator unmasks the sum of the
    // ~0.9 n survivors before it tops up, so devices are charged for what it sees at the 0.8 n floor;
    // to fit epsilon = 1 there, the release's target (and its noise) is below the no-dropout one.
    const tr = t.release!;
    expect(tr.status).toBe('released');
    const plan = tr.parameters;
    expect(plan['mechanism.onShortfall']).toBe('top_up');
    expect(t.frequencyVariance).toBe(((plan['mechanism.minSurvivors'] as number) * 2 * (plan['mechanism.shareParameter'] as number)) / (d.n * d.n));
    expect(t.frequencyVariance!).toBeGreaterThan(full.frequencyVariance!);
    expect(tr.privacyLoss.aggregator!.epsilon).toBeGreaterThan(tr.privacyLoss.release.epsilon);
    expect(tr.privacyLoss.aggregator!.epsilon).toBeLessThanOrEqual(tr.spent.epsilon);
    expect(tr.spent).toEqual({ epsilon: 1, delta: 1e-6 });
    expect(t.released.some((x) => x === 1)).toBe(true);
    const r = await refused.histogram!({ ...base, rng: seededRng('r') });
    expect(r.frequencyVariance).toBeNull();
    expect(Array.from(r.released)).toEqual(new Array(r.released.length).fill(0));
    const ok = await tolerant.histogram!({ ...base, rng: seededRng('ok') });
    // ~90 % survive, above the 80 % the shares were sized for: released with s/(0.8 n) times the
    // planned noise; s ~ Bin(n, 0.9), so the ratio is 1.125 within 4.42 sd (plus the shares' 2^-20 rounding)
    const ratio = ok.frequencyVariance! / full.frequencyVariance!;
    expect(Math.abs(ratio / 1.125 - 1)).toBeLessThan(4.42 * Math.sqrt(0.1 / (0.9 * d.n)) + 1e-4);
    expect(ok.released.some((x) => x === 1)).toBe(true);
  });

  it('mean (rtt-by-operator): errors match the closed-form variance (delta method), 12 rounds x 4 operators', async () => {
    // z = (estimate - truth) / sqrt(variance) is ~N(0, 1) per operator (tens of thousands of devices
    // per group, the delta method's error is negligible), so sum z^2 over 48 values is ~chi-square(48):
    // above chiSquareCritical(48, 1e-5) or below 14.4 (P < 1e-6) fails a correct implementation rarely.
    const d = data.find((x): x is MeanData => x.kind === 'mean')!;
    let z2 = 0;
    let count = 0;
    for (let r = 0; r < 12; r++) {
      const out = await secaggDdp.mean!({ data: d, epsilon: 4 / 6, delta: 1e-6 / 6, k: 20, rng: seededRng('ddp-mean').stream(r), mode: 'aggregate' });
      expect(Array.from(out.released)).toEqual(Array.from(d.devices, (m) => (m >= 20 ? 1 : 0)));
      for (let g = 0; g < d.groups.length; g++) {
        z2 += ((out.means[g] as number) - (d.truth[g] as number)) ** 2 / (out.variance![g] as number);
        count++;
      }
    }
    expect(z2).toBeLessThan(chiSquareCritical(count, 1e-5));
    expect(z2).toBeGreaterThan(14.4);
  });

  it('refuses bad options', () => {
    expect(() => makeSecaggDdpPipeline({ dropoutRate: 1 })).toThrow(/"dropoutRate"/);
    expect(() => makeSecaggDdpPipeline({ minSurvivorFraction: 0 })).toThrow(/"minSurvivorFraction"/);
    expect(() => makeSecaggDdpPipeline({ onShortfall: 'ignore' as never })).toThrow(/"onShortfall"/);
  });
});
