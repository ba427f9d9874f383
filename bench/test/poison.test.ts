/**
 * The poisoning experiment: the crafted reports get through the engine's validation and do what
 * they claim, each pipeline moves as its input validation allows, and the CLI writes its report.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LdpOptions, makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import { discreteGaussianSwapSigma } from '@pinhole/core/privacy';
import { type AnyFrequencyOracle, NUMERIC_NAMES, ORACLE_NAMES } from '@pinhole/ldp';
import { describe, expect, it } from 'vitest';
import { supports } from '../src/audit-mechanisms.js';
import { craftNumericReport, craftOracleReport } from '../src/poison-reports.js';
import { runPoison } from '../src/poison-cli.js';
import type { PoisonResults } from '../src/poison-output.js';

const DOMAINS = { operators: ['001-01', '001-02'], regions: ['north', 'south', 'east'], cells: ['north/a'] };

function engine(config: LdpOptions, insight: string) {
  return makeReleaseEngine(makePlan({ id: 'poison-test', insights: [insight], domains: DOMAINS, budget: { epsilon: 1, delta: 1e-6 }, expectedDevices: 1000, mode: 'ldp', ldp: config }), {
    allowInsecureRng: true,
  }).collections[0]!;
}

describe('crafted reports', () => {
  for (const name of ORACLE_NAMES) {
    it(`${name}: decoded by the engine, supports the target bucket and not the group's other one`, () => {
      const c = engine({ oracle: name }, 'poor-share');
      const target = 3; // group 1 ("001-01|south"), bucket "poor"
      const { report } = craftOracleReport(c, target, 2);
      const oracle = c.oracle as AnyFrequencyOracle;
      expect(supports(oracle, report, target)).toBe(true);
      expect(supports(oracle, report, 2)).toBe(false);
      // the bytes the attacker sends decode to it (the engine's own validation)
      expect(c.decodeEntry({ collection: c.id, bytes: oracle.encodeReport(report as never) }).report).toEqual(report);
    });
  }
  for (const name of NUMERIC_NAMES) {
    it(`${name}: the largest report that decodes`, () => {
      const c = engine({ numeric: name }, 'rtt-mean');
      const crafted = craftNumericReport(c, 0);
      expect(crafted.report).toBeLessThanOrEqual(c.numeric!.outputRange[1]);
      expect(crafted.value).toBeGreaterThan(1); // more than any honest device's unbiased value
      expect(c.decodeEntry({ collection: c.id, group: 0, bytes: c.numeric!.encodeReport(crafted.report) }).report).toBe(crafted.report);
    });
  }
});

describe('poisoning through each pipeline (2,000 devices, 1 % and 5 % attackers)', () => {
  const run = runPoison({
    devices: 2_000,
    seed: 'poison-test',
    epsilons: [1],
    fractions: [0, 0.01, 0.05],
    trials: 4,
    delta: 1e-6,
    k: 20,
    pipelines: ['kanon-only', 'central-dp', 'secagg-ddp', 'prio3-dp', 'ldp-grr', 'ldp-duchi'],
  });
  const at = (pipeline: string, collection: string, fraction: number) => run.points.find((p) => p.pipeline === pipeline && p.collection === collection && p.fraction === fraction)!;
  const [hist, mean] = run.targets;

  it('kanon-only moves exactly as many honest-looking devices would', () => {
    for (const f of [0.01, 0.05]) {
      const p = at('kanon-only', 'poor-by-operator-region', f);
      expect(p.shift.mean).toBeCloseTo(p.bound as number, 10);
      expect(p.attackers).toBe(Math.round((f * 2000) / (1 - f)));
    }
    expect(at('kanon-only', 'poor-by-operator-region', 0).shift.mean).toBe(0);
  });

  it('central-dp stays within its noise of the one-count-per-device limit', () => {
    // The published share's noise: two counts each with discrete Gaussian sd <= sigma (the plan's:
    // replace-one at epsilon 1, delta 1e-6, ~5.98) over a group of n devices gives an sd below
    // 2·sigma/n·100 pp per trial; the mean of 4 trials is within 4.42 sd of its expectation except
    // with probability 1e-5, and clipping at 0 only pulls it towards the limit.
    const p = at('central-dp', 'poor-by-operator-region', 0.05);
    const n = hist!.devices + p.attackers;
    const sigma = discreteGaussianSwapSigma(1, 1e-6);
    const sd = (((2 * sigma) / n) * 100) / Math.sqrt(4);
    expect(Math.abs(p.shift.mean - (p.bound as number))).toBeLessThan(4.42 * sd);
  });

  it('secagg-ddp is unbounded: any number of attackers sets the share to 100 % and the mean to the top of its bounds', () => {
    for (const f of [0.01, 0.05]) {
      expect(at('secagg-ddp', 'poor-by-operator-region', f).shift.mean).toBeCloseTo(100 - hist!.truth, 6);
      expect(at('secagg-ddp', 'rtt-by-operator', f).shift.mean).toBeCloseTo(500 - mean!.truth, 6);
      expect(at('secagg-ddp', 'poor-by-operator-region', f).bound).toBeNull();
    }
  });

  it('prio3-dp rejects the out-of-range report and stays within its noise of the one-valid-report-per-device limit', () => {
    // the attack info says the out-of-range report was run through the VDAF and rejected (the run
    // throws if verification accepted it, or rejected the valid one-hot)
    const attack = run.attacks.find((a) => a.pipeline === 'prio3-dp' && a.collection === 'poor-by-operator-region')!;
    expect(attack.report).toMatch(/rejected at verification/);
    expect(attack.amplification).toBe(1);
    // the same bound as central-dp (one count per attacker); the noise is two discrete Gaussians of
    // sigma ~ 4.53 at epsilon 1 (replace-one, two parties), so each count's sd is below
    // √2 · 4.53 < 6.5 and the share's below 2·6.5/n·100 pp per trial; the mean of 4 trials is
    // within 4.42 sd of its expectation except with probability 1e-5
    for (const f of [0.01, 0.05]) {
      const p = at('prio3-dp', 'poor-by-operator-region', f);
      expect(p.bound).toBeCloseTo(at('central-dp', 'poor-by-operator-region', f).bound as number, 10);
      const n = hist!.devices + p.attackers;
      const sd = (((2 * 6.5) / n) * 100) / Math.sqrt(4);
      expect(Math.abs(p.shift.mean - (p.bound as number))).toBeLessThan(4.42 * sd);
      // and far from secagg-ddp's 100 %
      expect(p.shift.mean).toBeLessThan(at('secagg-ddp', 'poor-by-operator-region', f).shift.mean);
    }
    // means: an attacker is at most an honest device at the top of the bounds (the kanon-only limit)
    const pm = at('prio3-dp', 'rtt-by-operator', 0.05);
    expect(Math.abs(pm.shift.mean - (at('kanon-only', 'rtt-by-operator', 0.05).bound as number))).toBeLessThan(10);
  });

  it('local DP amplifies: one GRR attacker counts as (1 - q*)/(p* - q*) devices', () => {
    const attack = run.attacks.find((a) => a.pipeline === 'ldp-grr')!;
    expect(attack.amplification).toBeGreaterThan(10);
    // at 1 % the GRR share moves further than central-dp's at 5 %: 20 attackers × amplification
    // > 100 devices against a group of ~30 honest ones: its expectation is at the 100 % ceiling
    expect(at('ldp-grr', 'poor-by-operator-region', 0.01).shift.mean).toBeGreaterThan(at('central-dp', 'poor-by-operator-region', 0.05).shift.mean);
  });

  it('the numeric mechanisms are limited by their output range, central means by the clamp', () => {
    const central = at('central-dp', 'rtt-by-operator', 0.05);
    const kanon = at('kanon-only', 'rtt-by-operator', 0.05);
    // the central noise on a group's mean is a few ms at most here (sum sd ~ sigma·500/grid over n devices)
    expect(Math.abs(central.shift.mean - kanon.shift.mean)).toBeLessThan(5);
    expect(at('ldp-duchi', 'rtt-by-operator', 0.05).bound as number).toBeGreaterThan(kanon.bound as number);
  });
});

describe('pinhole-bench poison', () => {
  it('writes the report format with the prio3-dp row', () => {
    const out = mkdtempSync(join(tmpdir(), 'pinhole-poison-'));
    const BIN = fileURLToPath(new URL('../bin/pinhole-bench.js', import.meta.url));
    const r = spawnSync(
      process.execPath,
      [BIN, 'poison', '--devices', '2000', '--trials', '1', '--fractions', '0,0.01', '--epsilons', '1', '--pipelines', 'kanon-only,central-dp,secagg-ddp,prio3-dp,ldp-grr,ldp-duchi', '--out', out],
      { encoding: 'utf8', timeout: 120_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const files = readdirSync(out);
    for (const f of ['results.json', 'results.csv', 'report.md', 'index.html', 'poison-poor-by-operator-region-eps1.svg', 'poison-rtt-by-operator-eps1-ldp.svg']) expect(files).toContain(f);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as PoisonResults;
    expect(res.schema).toBe('pinhole-bench/poison@1');
    expect(res.planned).toEqual([]);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| prio3-dp \| [^|]+ \| [^|]+ \|/);
    expect(md).toMatch(/rejected at verification/);
    expect(md).toMatch(/\| secagg-ddp \|.*\| unbounded \|/);
    expect(readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(res.points.length + 1);
  });
});
