/**
 * Renders a run's index.html in headless Chromium (Debian's `chromium`, driven by playwright-core)
 * and checks that every plot is drawn: a non-empty SVG with exactly the lines results.json says it
 * draws, each line rendered with a non-empty box, each labelled, the main figures with at most
 * five lines, and a figure that cannot be computed showing its reason instead. Chromium is
 * installed by scripts/setup-chromium.sh (called by .ci/run); without it this test fails and says
 * how to install it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumMissing, launchChromium } from '../../test/support/chromium.js';
import type { ResultPoint, UtilityResults } from '../src/output.js';

const BIN = fileURLToPath(new URL('../bin/pinhole-bench.js', import.meta.url));

function run(args: string[]): UtilityResults & { dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'pinhole-shot-'));
  const r = spawnSync(process.execPath, [BIN, 'utility', ...args, '--out', dir], { encoding: 'utf8', timeout: 240_000 });
  if (r.status !== 0) throw new Error(`pinhole-bench failed: ${r.stderr}`);
  return { ...(JSON.parse(readFileSync(join(dir, 'results.json'), 'utf8')) as UtilityResults), dir };
}

interface DrawnPlot {
  file: string;
  width: number;
  height: number;
  measured: number;
  theory: number;
  /** measured line paths with an empty box */
  emptyLines: number;
  needed: number;
  texts: string[];
}

async function render(dir: string): Promise<DrawnPlot[]> {
  const context = await launchChromium({ viewport: { width: 1300, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(`file://${join(dir, 'index.html')}`);
    return await page.$$eval('figure[data-plot]', (figures) =>
      figures.map((f) => {
        const svg = f.querySelector('svg');
        const box = svg?.getBoundingClientRect();
        const paths = (sel: string) => Array.from(f.querySelectorAll<SVGGraphicsElement>(`g.${sel} path`));
        const measured = paths('measured_marks');
        return {
          file: f.getAttribute('data-plot') ?? '',
          width: box?.width ?? 0,
          height: box?.height ?? 0,
          measured: measured.length,
          theory: paths('theory_marks').length,
          emptyLines: measured.filter((p) => {
            const b = p.getBBox();
            return !(b.width > 0 || b.height > 0);
          }).length,
          needed: paths('needed_marks').length,
          texts: Array.from(f.querySelectorAll('text')).map((t) => t.textContent ?? ''),
        };
      }),
    );
  } finally {
    await context.dispose();
  }
}

const MAIN = ['central-dp', 'secagg-ddp', 'ldp-auto', 'kanon-only'];
const drawable = (logScale: boolean, p: ResultPoint) => Number.isFinite(p.error.mean) && p.status !== 'undefined' && (!logScale || p.error.mean > 0);

describe('index.html in headless Chromium', () => {
  const dirs: string[] = [];
  let synthetic: UtilityResults & { dir: string };
  let csv: UtilityResults & { dir: string };

  beforeAll(() => {
    // fail, do not skip: the CI installs Chromium with this script
    expect(chromiumMissing()).toBeNull();
    synthetic = run([
      '--devices',
      '8000',
      '--trials',
      '2',
      '--epsilons',
      '1,4,16',
      '--pipelines',
      'raw,kanon-only,central-dp,secagg-ddp,ldp-oue,ldp-olh,ldp-grr,ldp-auto,ldp-hybrid,ldp-duchi',
      '--insights',
      'poor-share,rtt-mean,device-class-share,video-bitrate-median',
    ]);
    // a CSV without video sessions: the video insight cannot be computed and says why
    const dir = mkdtempSync(join(tmpdir(), 'pinhole-shot-csv-'));
    const lines = ['uid,dl,op,region'];
    for (let d = 0; d < 300; d++) lines.push(`u${d},${(2 + (d % 37)).toFixed(1)},460-0${d % 2},r${d % 3}`);
    writeFileSync(join(dir, 'x.csv'), `${lines.join('\n')}\n`);
    writeFileSync(join(dir, 'domains.json'), JSON.stringify({ operators: ['460-00', '460-01'], regions: ['r0', 'r1', 'r2'] }));
    dirs.push(dir);
    csv = run([
      '--data',
      join(dir, 'x.csv'),
      '--map',
      'device=uid,downlink=dl,operator=op,region=region',
      '--defaults',
      'networkType=4g',
      '--domains',
      join(dir, 'domains.json'),
      '--trials',
      '2',
      '--epsilons',
      '1,8',
      '--pipelines',
      'raw,central-dp,ldp-oue,ldp-auto',
      '--insights',
      'poor-share,video-rebuffering-share',
    ]);
    dirs.push(synthetic.dir, csv.dir);
  }, 300_000);
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('draws every plot with the lines results.json lists, each one rendered and labelled', async () => {
    const plots = synthetic.plots ?? [];
    expect(plots.length).toBeGreaterThan(0);
    const drawn = await render(synthetic.dir);
    expect(drawn.map((d) => d.file).sort()).toEqual(plots.map((p) => p.file).sort());
    for (const plot of plots) {
      const d = drawn.find((x) => x.file === plot.file) as DrawnPlot;
      expect(d.width * d.height, `${plot.file} has an area`).toBeGreaterThan(10_000);
      if (plot.kind === 'epsilon-for-target') {
        expect(d.needed, plot.file).toBe(plot.marks);
        continue;
      }
      expect(d.measured, `${plot.file} measured lines`).toBe(plot.lines);
      expect(d.theory, `${plot.file} closed-form lines`).toBe(plot.theoryLines);
      expect(d.emptyLines, `${plot.file} lines drawn with no extent`).toBe(0);
      if (plot.kind === 'insight') {
        expect(plot.lines).toBeGreaterThan(0);
        expect(plot.lines).toBeLessThanOrEqual(5);
        for (const s of plot.series) expect(d.texts, `${plot.file} labels ${s}`).toContain(s);
      }
    }
  });

  it('shows in each main figure the handful of lines a reader needs, the best LDP oracle among them', () => {
    for (const ins of synthetic.insights) {
      const plot = (synthetic.plots ?? []).find((p) => p.file === `${ins.id}.svg`);
      expect(plot, ins.id).toBeDefined();
      const pts = synthetic.points.filter((p) => p.insight === ins.id);
      const expected = MAIN.filter((pl) => pts.some((p) => p.pipeline === pl && drawable(ins.logScale, p)));
      // the best LDP pipeline: lowest mean of log error (error on a linear axis) over the grid
      const grid = new Set(pts.map((p) => p.epsilon)).size;
      const ldp = [...new Set(pts.map((p) => p.pipeline))].filter((pl) => pl.startsWith('ldp-') && pl !== 'ldp-auto');
      const score = (pl: string) => {
        const c = pts.filter((p) => p.pipeline === pl);
        if (c.length < grid || !c.every((p) => drawable(ins.logScale, p))) return Infinity;
        return c.reduce((a, p) => a + (ins.logScale ? Math.log(p.error.mean) : p.error.mean), 0) / c.length;
      };
      const best = ldp.sort((a, b) => score(a) - score(b) || a.localeCompare(b))[0];
      const series = (plot?.series ?? []).map((s) => (s.startsWith('best LDP: ') ? s.slice(10) : s));
      expect(new Set(series), ins.id).toEqual(new Set([...expected, ...(best && Number.isFinite(score(best)) ? [best] : [])]));
      // every LDP pipeline is in the small multiples
      const small = (synthetic.plots ?? []).find((p) => p.file === `${ins.id}-ldp.svg`);
      expect(new Set(small?.series), ins.id).toEqual(new Set(ldp.concat(pts.some((p) => p.pipeline === 'ldp-auto') ? ['ldp-auto'] : [])));
    }
  });

  it('draws a figure that cannot be computed as its reason, with no line', async () => {
    const ins = csv.insights.find((i) => i.id === 'video-rebuffering-share');
    expect(ins?.note).toMatch(/no video session/);
    const drawn = await render(csv.dir);
    const d = drawn.find((x) => x.file === 'video-rebuffering-share.svg') as DrawnPlot;
    expect(d.width * d.height).toBeGreaterThan(10_000);
    expect(d.measured).toBe(0);
    expect(d.texts.join(' ')).toMatch(/no video session/);
    const ok = drawn.find((x) => x.file === 'poor-share.svg') as DrawnPlot;
    expect(ok.measured).toBe((csv.plots ?? []).find((p) => p.file === 'poor-share.svg')?.lines);
    expect(ok.measured).toBeGreaterThan(0);
  });
});
