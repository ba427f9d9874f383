/**
 * The privacy auditor, fast part: a representative subset of the targets at epsilon = 1 and modest
 * run counts (the full grid, epsilon in {0.5, 1, 2, 4} for every target: audit.slow.test.ts).
 *
 * False failures. Every audit here runs at alpha = 1e-6: by the union bound over its 2m
 * Clopper–Pearson bounds (audit.ts), a target that meets its claim fails with probability <= 1e-6,
 * whatever the run count. Seeds are pinned, so the outcome is also reproducible.
 *
 * Power (each broken variant at epsilon = 1, z below is the normal quantile at the per-bound level
 * alpha/(2m); N the measurement runs per input after the target's cost divisor):
 *  - grr-binary-p (N = 10,000, m = 2, z = 5.03): the event "report = x" has p = e/(e+1) = 0.731 on
 *    x and q = (1 - p)/7 = 0.0384 on x'. Expected bound ln((p - z·0.0044)/(q + z·0.0019)) = 2.69,
 *    standard deviation sqrt((1-p)/(pN) + (1-q)/(qN)) = 0.052: it stays above 1 except with
 *    probability Φ(-32), nil.
 *  - sue-full-epsilon (N = 2,500, m = 2): "bit x set, bit x' clear" has p(1-q) = 0.534 vs
 *    q(1-p) = 0.0723; expected bound ln(0.484 / 0.0983) = 1.59, sd 0.074: below 1 with probability
 *    Φ(-8), about 1e-15.
 *  - central-float-laplace (N = 3,333, m = 4, z = 5.16): outputs reachable from count 1 and not
 *    from count 0 occur in about 63 % of runs on x (measured) and never on x' (the reachability
 *    test reproduces the sampler's arithmetic). With 0 events on x' the upper bound is
 *    ln(2m/alpha)/N = 0.0048, the lower one about 0.60: bound ln(125) = 4.8 > 1. It could only pass
 *    if more than 0.60·e^-1·N ≈ 730 runs on x' were counted, which the exact test rules out.
 *  - olh-seed-as-coin (N = 10,000, m = 4): the keys whose seed word b is below p·2^32 and whose
 *    report supports x only have probability about 0.3 on x and 0 on x' (a kept report on x'
 *    supports x'): bound ln(0.28 / 0.0016) = 5.2.
 *  - secagg-ddp-no-clamp (N = 500, m = 6): the unclamped RTT moves the raw mean by about 1,400 ms
 *    against a noise of a few ms, so "raw mean >= t" holds in ~96 % of runs on x and none on x':
 *    bound ln(0.93 / (ln(12e6)/500)) = 3.3 > 0.97.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PinholeError } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { type AuditTarget, audit } from '../src/audit.js';
import { floatLaplace, floatLaplaceReachable } from '../src/audit-mechanisms.js';
import { parseAuditArgs } from '../src/audit-cli.js';
import type { AuditResults } from '../src/audit-output.js';
import { auditTarget, auditTargetIds } from '../src/audit-suite.js';

const ALPHA = 1e-6;
const SEED = 'audit-fast';

describe('the auditor', () => {
  it('the float reachability test accepts every output of the float sampler from its own input', () => {
    const rng = seededRng('reach');
    for (let i = 0; i < 2000; i++) {
      const c = i % 2;
      const y = c + floatLaplace(0.7, rng);
      expect(floatLaplaceReachable(y, c, 0.7)).toBe(true);
    }
  });

  /** Randomized response on two values with keep probability p, claiming `claimed`. */
  function rr(p: number, claimed: number): AuditTarget<number> {
    return {
      id: `test/rr-${p}`,
      family: 'ldp-oracle',
      description: 'randomized response',
      epsilon: claimed,
      claimed: { epsilon: claimed, delta: 0 },
      neighbours: '0 vs 1',
      run: (input, rng) => (rng.float64() < p ? input : 1 - input),
      features: [{ name: 'report', kind: 'categorical', key: (y) => String(y) }],
    };
  }

  it('passes a mechanism that meets its claim exactly, and fails one that exceeds it', () => {
    // true epsilon 1 claimed 1: passes (probability of a false failure <= alpha)
    const ok = audit(rr(Math.E / (Math.E + 1), 1), { trials: 20_000, alpha: ALPHA, seed: SEED });
    expect(ok.verdict).toBe('pass');
    // expected bound at N = 20,000 (z = 5.03): ln((0.731 - 0.0158)/(0.269 + 0.0158)) = 0.92, sd 0.02
    expect(ok.epsilonLower).toBeGreaterThan(0.8);
    // true epsilon 1.5 claimed 1: expected bound ln((0.818 - 0.0137)/(0.182 + 0.0137)) = 1.41, sd 0.03
    const bad = audit(rr(Math.exp(1.5) / (Math.exp(1.5) + 1), 1), { trials: 20_000, alpha: ALPHA, seed: SEED });
    expect(bad.verdict).toBe('fail');
    expect(bad.best.description).toMatch(/report in \{[01]\}/);
  });

  it('fails a correct mechanism no more often than alpha (200 audits of an exact randomized response at alpha = 0.2)', () => {
    // Failures are Binomial(200, f) with f <= 0.2; this check fails a correct auditor only when
    // the count exceeds 0.2·200 + 4.42·sqrt(200·0.2·0.8) = 65, probability < 1e-5.
    let failures = 0;
    for (let i = 0; i < 200; i++) {
      const o = audit(rr(Math.E / (Math.E + 1), 1), { trials: 2_000, alpha: 0.2, seed: `fpr-${i}` });
      if (o.verdict === 'fail') failures++;
    }
    expect(failures).toBeLessThanOrEqual(65);
  });
});

describe('audit: what ships passes (epsilon = 1)', () => {
  const subset = [
    'ldp/grr',
    'ldp/olh',
    'ldp/hadamard-one-bit',
    'ldp/piecewise',
    'central/discrete-gaussian',
    'distributed/skellam',
    'selection/optimal',
    'selection/laplace-threshold',
    'pipeline/ldp-grr/device-class',
    'pipeline/central-dp/device-class',
  ];
  for (const id of subset) {
    it(id, () => {
      const o = audit(auditTarget(id, 1), { trials: 10_000, alpha: ALPHA, seed: SEED });
      expect(o.verdict, `${id}: lower ${o.epsilonLower} > claimed ${o.claimed.epsilon} (${o.best.description})`).toBe('pass');
      expect(o.epsilonLower).toBeLessThanOrEqual(o.claimed.epsilon);
    });
  }

  it('is close to the claim where the mechanism is tight (GRR at N = 10,000)', () => {
    // expected bound 0.78 (p = 0.280, q = 0.103, z = 5.03), sd 0.034: below 0.6 with probability ~1e-7
    const o = audit(auditTarget('ldp/grr', 1), { trials: 10_000, alpha: ALPHA, seed: SEED });
    expect(o.epsilonLower).toBeGreaterThan(0.6);
  });
});

describe('audit: every broken variant is caught (epsilon = 1)', () => {
  for (const id of auditTargetIds().filter((t) => t.startsWith('broken/'))) {
    it(id, () => {
      const o = audit(auditTarget(id, 1), { trials: 10_000, alpha: ALPHA, seed: SEED });
      expect(o.broken).not.toBeNull();
      expect(o.verdict, `${id}: lower ${o.epsilonLower} <= claimed ${o.claimed.epsilon}`).toBe('fail');
      expect(o.caught).toBe(true);
    });
  }
});

describe('pinhole-bench audit', () => {
  const BIN = fileURLToPath(new URL('../bin/pinhole-bench.js', import.meta.url));
  const bench = (args: string[]) => spawnSync(process.execPath, [BIN, 'audit', ...args], { encoding: 'utf8', timeout: 120_000 });

  it('writes the report format and exits 0 when everything passes and the broken variant is caught', () => {
    const out = mkdtempSync(join(tmpdir(), 'pinhole-audit-'));
    const r = bench(['--targets', 'ldp/grr,selection/optimal,broken/grr-binary-p', '--epsilons', '1,4', '--trials', '2000', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/audit 6\/6/);
    for (const f of ['results.json', 'results.csv', 'report.md', 'audit.svg', 'index.html']) expect(readdirSync(out)).toContain(f);
    const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as AuditResults;
    expect(res.schema).toBe('pinhole-bench/audit@1');
    expect(res.outcomes).toHaveLength(6);
    expect(res.failures).toEqual([]);
    expect(res.missed).toEqual([]);
    expect(readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n')).toHaveLength(7);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| ldp\/grr \| [0-9.]+ \/ 1 ✓ \| [0-9.]+ \/ 4 ✓ \|/);
    expect(md).toMatch(/\| broken\/grr-binary-p \| [0-9.]+ \/ 1 caught \|/);
    expect(md).toMatch(/probability ≤ α = 0.000001 per target/);
    expect(readFileSync(join(out, 'audit.svg'), 'utf8')).toMatch(/^<svg/);
  });

  it('exits 3 when a broken variant passes (too few runs to prove its violation)', () => {
    const out = mkdtempSync(join(tmpdir(), 'pinhole-audit-'));
    // 50 runs per input can prove at most ln(50 / ln(4e6)) = 1.2 < 4
    const r = bench(['--targets', 'broken/sue-full-epsilon', '--epsilons', '4', '--trials', '100', '--out', out]);
    expect(r.status, r.stderr).toBe(3);
    expect(r.stdout).toMatch(/MISSED: broken\/sue-full-epsilon at ε = 4/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/\*\*MISSED\*\*/);
  });

  it('refuses unknown targets and flags with a PinholeError', () => {
    const fails = (args: string[]) => {
      try {
        parseAuditArgs(args);
      } catch (err) {
        return err as PinholeError;
      }
      throw new Error('accepted');
    };
    expect(fails(['--targets', 'nope/*'])).toMatchObject({ code: 'invalid_argument', param: 'targets', message: expect.stringMatching(/patterns that each match an audit target/) });
    expect(fails(['--trials', '-5'])).toMatchObject({ code: 'invalid_argument', param: 'trials' });
    expect(fails(['--trials', '99'])).toMatchObject({ code: 'invalid_argument', param: 'trials' });
    expect(fails(['--alpha', '0.7'])).toMatchObject({ code: 'invalid_argument', param: 'alpha' });
    expect(fails(['--epsilons', '1,x'])).toMatchObject({ code: 'invalid_argument', param: 'epsilons' });
    expect(fails(['--rng', 'math'])).toMatchObject({ code: 'invalid_argument', param: 'rng' });
    expect(fails(['--bogus'])).toMatchObject({ code: 'invalid_argument', param: 'flag' });
    expect(fails(['--no-broken', '--targets', 'broken/*'])).toMatchObject({ code: 'invalid_argument', param: 'targets' });
    expect(parseAuditArgs(['--targets', 'ldp/*', '--no-broken'])).toMatchObject({
      preset: 'quick',
      trials: 50_000,
      alpha: 1e-6,
      broken: false,
      targets: expect.arrayContaining(['ldp/grr', 'ldp/square-wave']),
    });
  });
});
