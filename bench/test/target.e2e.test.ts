/**
 * The epsilon-for-target table: the rule on hand-made curves, then a real run's table checked
 * against the very curves (results.json points) it is read from, and its presence in report.md
 * and index.html.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UtilityResults } from '../src/output.js';
import { type EpsilonBound, DEFAULT_TARGETS, crossing, formatEntry } from '../src/target.js';

const BIN = fileURLToPath(new URL('../bin/pinhole-bench.js', import.meta.url));

describe('crossing: the rule on hand-made curves', () => {
  it('is exact for a power law (interpolation in log-log)', () => {
    // e = 0.4 / eps crosses 0.15 at eps = 8/3
    const b = crossing([1, 2, 4, 8], [0.4, 0.2, 0.1, 0.05], 0.15, true) as EpsilonBound;
    expect(b.kind).toBe('exact');
    expect(b.epsilon).toBeCloseTo(8 / 3, 12);
  });

  it('takes the last crossing: from there on the curve stays below the target', () => {
    const b = crossing([1, 2, 4, 8], [0.1, 0.3, 0.1, 0.05], 0.15, true) as EpsilonBound;
    expect(b.kind).toBe('exact');
    expect(b.epsilon).toBeGreaterThan(2);
    expect(b.epsilon).toBeLessThan(4);
  });

  it('bounds the answer by the grid, interpolates linearly for a zero error or a linear metric', () => {
    expect(crossing([1, 2, 4], [0.1, 0.05, 0.01], 0.2, true)).toEqual({ epsilon: 1, kind: 'at_most' });
    expect(crossing([1, 2, 4], [0.9, 0.5, 0.3], 0.2, true)).toEqual({ epsilon: 4, kind: 'more_than' });
    const zero = crossing([1, 4], [0.4, 0], 0.1, true) as EpsilonBound; // linear in e: 3/4 of the way in log eps
    expect(zero.kind).toBe('exact');
    expect(zero.epsilon).toBeCloseTo(2 ** 1.5, 12);
    expect((crossing([1, 4], [0.6, 0.2], 0.4, false) as EpsilonBound).epsilon).toBeCloseTo(2, 12);
  });

  it('counts a point that cannot be computed as above the target, and has no answer without any computable point', () => {
    expect(crossing([1, 2, 4], [NaN, 0.05, 0.01], 0.1, true)).toEqual({ epsilon: 2, kind: 'at_most' });
    expect(crossing([1, 2, 4], [0.05, NaN, 0.01], 0.1, true)).toEqual({ epsilon: 4, kind: 'at_most' });
    expect(crossing([1, 2], [NaN, NaN], 0.1, true)).toBeNull();
  });
});

describe('the table of a run, against the curves it is read from', () => {
  let out: string;
  let r: UtilityResults;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'pinhole-target-'));
    const run = spawnSync(
      process.execPath,
      [
        BIN,
        'utility',
        '--devices',
        '20000',
        '--trials',
        '4',
        '--epsilons',
        '0.5,1,2,4,8,16',
        '--pipelines',
        'raw,kanon-only,central-dp,secagg-ddp,ldp-oue,ldp-olh,ldp-auto,ldp-hybrid',
        '--insights',
        'poor-share,rtt-mean,device-class-share,worst-cells',
        '--targets',
        'absolute_pp=3,rtt-mean=0.05',
        '--out',
        out,
      ],
      { encoding: 'utf8', timeout: 240_000 },
    );
    expect(run.status, run.stderr).toBe(0);
    r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as UtilityResults;
  }, 300_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('has an entry per insight and private or k-anonymous pipeline, with the targets asked for', () => {
    const table = r.epsilonForTarget ?? [];
    for (const ins of r.insights.filter((i) => !i.id.startsWith('frequency-rmse.'))) {
      for (const pl of r.pipelines.filter((p) => p.id !== 'raw')) {
        const has = r.points.some((p) => p.insight === ins.id && p.pipeline === pl.id);
        expect(
          table.some((t) => t.insight === ins.id && t.pipeline === pl.id),
          `${ins.id} ${pl.id}`,
        ).toBe(has);
      }
    }
    const target = (id: string) => table.find((t) => t.insight === id)?.target;
    expect(target('poor-share')).toBe(3); // per metric, overridden
    expect(target('rtt-mean')).toBe(0.05); // per insight, overridden
    expect(target('device-class-share')).toBe(DEFAULT_TARGETS.tvd);
    expect(target('worst-cells')).toBe(DEFAULT_TARGETS.miss_at_k);
    expect(table.some((t) => t.pipeline === 'raw')).toBe(false);
  });

  it('crosses each curve where it says: below the target from there on, above it just before, on the interpolated line', () => {
    let exact = 0;
    for (const t of r.epsilonForTarget ?? []) {
      const ins = r.insights.find((i) => i.id === t.insight);
      const pts = r.points.filter((p) => p.insight === t.insight && p.pipeline === t.pipeline).sort((a, b) => a.epsilon - b.epsilon);
      const check = (b: EpsilonBound | null, err: (i: number) => number, what: string) => {
        expect(b, what).not.toBeNull();
        const e = pts.map((_, i) => err(i));
        const below = (i: number) => Number.isFinite(e[i]) && (e[i] as number) <= t.target;
        const label = `${t.insight} ${t.pipeline} ${what}`;
        if (b?.kind === 'more_than') {
          expect(below(pts.length - 1), label).toBe(false);
          expect(b.epsilon).toBe(pts.at(-1)?.epsilon);
          return;
        }
        const j = pts.findIndex((p) => p.epsilon >= (b?.epsilon as number) - 1e-12);
        for (let i = j; i < pts.length; i++) expect(below(i), `${label} stays below at ε=${pts[i]?.epsilon}`).toBe(true);
        if (b?.kind === 'at_most') {
          expect(j === 0 || !Number.isFinite(e[j - 1]), label).toBe(true);
          return;
        }
        exact++;
        if (b === null) return;
        expect(j, label).toBeGreaterThan(0);
        expect(below(j - 1), `${label} above just before`).toBe(false);
        const [e0, e1, x0, x1] = [e[j - 1] as number, e[j] as number, pts[j - 1]?.epsilon as number, pts[j]?.epsilon as number];
        expect(b.epsilon).toBeGreaterThan(x0);
        expect(b.epsilon).toBeLessThanOrEqual(x1);
        // on the stated interpolation: linear in log eps, in log error (error for miss@k or a 0)
        const s = Math.log(b.epsilon / x0) / Math.log(x1 / x0);
        const logError = ins?.logScale === true && e1 > 0;
        const at = logError ? Math.exp(Math.log(e0) + s * (Math.log(e1) - Math.log(e0))) : e0 + s * (e1 - e0);
        expect(at / t.target, label).toBeCloseTo(1, 9);
      };
      check(t.epsilon, (i) => pts[i]?.error.mean as number, 'mean');
      check(t.lo, (i) => pts[i]?.error.lo as number, 'lower end');
      check(t.hi, (i) => pts[i]?.error.hi as number, 'upper end');
      // the interval contains the value: the lower ends cross first
      const v = (b: EpsilonBound | null) => (b === null ? NaN : b.kind === 'more_than' ? Infinity : b.epsilon);
      expect(v(t.lo)).toBeLessThanOrEqual(v(t.epsilon) + 1e-12);
      expect(v(t.epsilon)).toBeLessThanOrEqual(v(t.hi) + 1e-12);
    }
    expect(exact).toBeGreaterThan(0); // the run is sized so some curves cross inside the grid
  });

  it('is in report.md and index.html as results.json has it', () => {
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect(md).toMatch(/## ε needed for a target error/);
    expect(html).toMatch(/id="epsilon-for-target"/);
    const unescape = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    for (const t of (r.epsilonForTarget ?? []).filter((x) => x.pipeline === 'central-dp' || x.pipeline === 'secagg-ddp')) {
      const row = md.split('\n').find((l) => l.startsWith(`| ${r.insights.find((i) => i.id === t.insight)?.title} |`));
      expect(row, t.insight).toBeDefined();
      expect(row).toContain(formatEntry(t));
      expect(unescape(html)).toContain(`<td>${formatEntry(t)}</td>`);
    }
  });
});
