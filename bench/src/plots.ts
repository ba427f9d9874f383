/**
 * The figures of a utility run, drawn so a reader can tell the lines apart: per insight at most
 * five lines (the best LDP oracle, ldp-auto, secagg-ddp, central-dp, kanon-only), each in an
 * Okabe–Ito colour (safe for the common colour-vision deficiencies) and labelled at its end;
 * every LDP pipeline in a separate small-multiples figure; and the epsilon needed for each
 * insight's target error. Rendered with vega-lite in Node, no browser.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';
import type { InsightInfo, ResultPoint, UtilityResults } from './output.js';
import { formatBound } from './target.js';

/** Okabe & Ito, "Color universal design" (2008): distinguishable with every common colour-vision deficiency. */
export const OKABE_ITO = Object.freeze({ orange: '#E69F00', sky: '#56B4E9', green: '#009E73', yellow: '#F0E442', blue: '#0072B2', vermillion: '#D55E00', purple: '#CC79A7', black: '#000000' });

/** The handful of lines of a main figure, in legend order, each with its colour. */
export const MAIN_ROLES = [
  { role: 'central-dp', colour: OKABE_ITO.blue },
  { role: 'secagg-ddp', colour: OKABE_ITO.green },
  { role: 'best LDP', colour: OKABE_ITO.vermillion },
  { role: 'ldp-auto', colour: OKABE_ITO.purple },
  { role: 'kanon-only', colour: OKABE_ITO.black },
] as const;

export interface PlotFile {
  readonly file: string;
  readonly kind: 'insight' | 'ldp-small-multiples' | 'epsilon-for-target';
  readonly insight?: string;
  /** the lines drawn (labels as shown), in order; for epsilon-for-target, the pipelines with a mark */
  readonly series: readonly string[];
  /** measured lines, closed-form (dashed) lines, and epsilon-for-target marks the figure must show */
  readonly lines: number;
  readonly theoryLines: number;
  readonly marks?: number;
  /** what the figure leaves out and why */
  readonly notes: readonly string[];
}

const drawable = (ins: InsightInfo, p: ResultPoint) => Number.isFinite(p.error.mean) && p.status !== 'undefined' && (!ins.logScale || p.error.mean > 0);

/** The LDP pipeline (not ldp-auto) with the lowest error over the grid (geometric mean on a log scale), or null. */
export function bestLdp(ins: InsightInfo, points: readonly ResultPoint[]): string | null {
  const byPipeline = new Map<string, ResultPoint[]>();
  for (const p of points) if (p.insight === ins.id && p.pipeline.startsWith('ldp-') && p.pipeline !== 'ldp-auto') byPipeline.set(p.pipeline, [...(byPipeline.get(p.pipeline) ?? []), p]);
  const grid = new Set(points.filter((p) => p.insight === ins.id).map((p) => p.epsilon)).size;
  let best: string | null = null;
  let bestScore = Infinity;
  for (const [pl, pts] of byPipeline) {
    if (pts.length < grid || !pts.every((p) => drawable(ins, p))) continue;
    const score = pts.reduce((a, p) => a + (ins.logScale ? Math.log(p.error.mean) : p.error.mean), 0) / pts.length;
    if (score < bestScore || (score === bestScore && best !== null && pl < best)) {
      bestScore = score;
      best = pl;
    }
  }
  return best;
}

/** The pipelines a main figure shows, with their labels and colours. */
export function mainSeries(ins: InsightInfo, points: readonly ResultPoint[]): { pipeline: string; label: string; colour: string }[] {
  const best = bestLdp(ins, points);
  const out: { pipeline: string; label: string; colour: string }[] = [];
  for (const { role, colour } of MAIN_ROLES) {
    const pipeline = role === 'best LDP' ? best : role;
    if (pipeline === null) continue;
    const pts = points.filter((p) => p.insight === ins.id && p.pipeline === pipeline);
    if (pts.length === 0 || !pts.some((p) => drawable(ins, p))) continue;
    out.push({ pipeline, label: role === 'best LDP' ? `best LDP: ${pipeline}` : pipeline, colour });
  }
  return out;
}

function axes(ins: InsightInfo, epsilons: readonly number[]) {
  const y = { field: 'error', type: 'quantitative' as const, title: ins.metric, scale: ins.logScale ? { type: 'log' as const } : { zero: true } };
  const x = {
    field: 'epsilon',
    type: 'quantitative' as const,
    title: 'ε (per device, per round)',
    scale: { type: 'log' as const, domain: [Math.min(...epsilons), Math.max(...epsilons)], nice: false },
    axis: { values: [...new Set(epsilons)] },
  };
  return { x, y };
}

function rows(ins: InsightInfo, points: readonly ResultPoint[], pipeline: string, label: string) {
  return points
    .filter((p) => p.insight === ins.id && p.pipeline === pipeline && drawable(ins, p))
    .sort((a, b) => a.epsilon - b.epsilon)
    .map((p) => ({
      epsilon: p.epsilon,
      series: label,
      error: p.error.mean,
      lo: ins.logScale ? Math.max(p.error.lo, p.error.mean / 100) : Math.max(0, p.error.lo),
      hi: ins.metric === 'miss_at_k' ? Math.min(1, p.error.hi) : p.error.hi,
      theory: p.theory,
      flagged: p.status === 'uninformative',
    }));
}

/** Words wrapped to lines of at most `width` characters. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

function message(title: string, text: string): TopLevelSpec {
  const lines = wrap(text, 80);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: title, subtitle: 'not computable on this data' },
    width: 520,
    height: 20 + 16 * lines.length,
    data: { values: [{ text: lines }] },
    mark: { type: 'text', align: 'left', baseline: 'top', x: 0, y: 10, fontSize: 12, lineHeight: 16 },
    encoding: { text: { field: 'text' } },
  };
}

/**
 * Where each line's label goes: at its last point, moved apart vertically so that no two labels
 * are closer than 6 % of the axis (in log space on a log axis).
 */
function labelPositions<T extends { error: number }>(log: boolean, ends: T[], extent: readonly number[]): (T & { labelY: number })[] {
  const f = (v: number) => (log ? Math.log10(v) : v);
  const g = (v: number) => (log ? 10 ** v : v);
  const values = extent.filter((v) => Number.isFinite(v) && (!log || v > 0)).map(f);
  const lo = Math.min(...values, ...ends.map((e) => f(e.error)));
  const hi = Math.max(...values, ...ends.map((e) => f(e.error)));
  const gap = Math.max(hi - lo, log ? 0.5 : 1e-9) * 0.06;
  const sorted = ends.map((e) => ({ e, y: f(e.error) })).sort((a, b) => a.y - b.y);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1] as { y: number };
    const cur = sorted[i] as { y: number };
    if (cur.y - prev.y < gap) cur.y = prev.y + gap;
  }
  return sorted.map(({ e, y }) => ({ ...e, labelY: g(y) }));
}

/** The main figure of an insight: at most five labelled lines, closed forms dashed, 95 % bands. */
export function insightSpec(ins: InsightInfo, points: readonly ResultPoint[]): { spec: TopLevelSpec; series: string[]; theoryLines: number; notes: string[] } {
  const series = mainSeries(ins, points);
  if (series.length === 0) return { spec: message(ins.title, ins.note ?? 'no pipeline has a drawable point'), series: [], theoryLines: 0, notes: [ins.note ?? 'no pipeline has a drawable point'] };
  const data = series.flatMap((s) => rows(ins, points, s.pipeline, s.label));
  const theory = data.filter((d) => d.theory !== null && Number.isFinite(d.theory) && d.theory > 0).map((d) => ({ ...d, error: d.theory as number }));
  const theorySeries = [...new Set(theory.map((d) => d.series))];
  const ends = labelPositions(
    ins.logScale,
    series.map((s) => data.filter((d) => d.series === s.label).at(-1)).filter((d) => d !== undefined),
    [...data.map((d) => d.lo), ...data.map((d) => d.hi), ...theory.map((d) => d.error)],
  );
  const { x, y } = axes(
    ins,
    data.map((d) => d.epsilon),
  );
  const color = { field: 'series', type: 'nominal' as const, legend: null, scale: { domain: series.map((s) => s.label), range: series.map((s) => s.colour) } };
  const notes: string[] = [];
  const shown = new Set(series.map((s) => s.pipeline));
  for (const pl of new Set(points.filter((p) => p.insight === ins.id && p.pipeline.startsWith('ldp-') && p.pipeline !== 'ldp-auto').map((p) => p.pipeline)))
    if (!shown.has(pl)) notes.push(`${pl}: in ${ins.id}-ldp.svg`);
  if (points.some((p) => p.insight === ins.id && p.pipeline === 'kanon-only') && !shown.has('kanon-only')) notes.push('kanon-only: error 0 at every ε (not drawable on a log axis)');
  return {
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: ins.title, subtitle: `${ins.metric} vs ε; dashed: closed form; band: 95 % CI over trials; hollow: says nothing at that ε` },
      width: 520,
      height: 320,
      padding: { right: 130 },
      layer: [
        { data: { values: data }, mark: { type: 'errorband', opacity: 0.12 }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } },
        { name: 'measured', data: { values: data }, mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y, color } },
        {
          data: { values: data },
          mark: { type: 'point', size: 40 },
          encoding: { x, y, color, fill: { condition: { test: '!datum.flagged', field: 'series', type: 'nominal', scale: color.scale, legend: null }, value: 'white' }, opacity: { value: 1 } },
        },
        ...(theory.length
          ? [{ name: 'theory', data: { values: theory }, mark: { type: 'line' as const, strokeDash: [5, 4], strokeWidth: 1.5, opacity: 0.9 }, encoding: { x, y, color, detail: { field: 'series' } } }]
          : []),
        {
          name: 'labels',
          data: { values: ends },
          mark: { type: 'text', align: 'left', dx: 8, fontSize: 11, fontWeight: 'bold' },
          encoding: { x, y: { ...y, field: 'labelY' }, color, text: { field: 'series' } },
        },
      ],
    },
    series: series.map((s) => s.label),
    theoryLines: theorySeries.length,
    notes,
  };
}

/** Every LDP pipeline of an insight in its own small panel, with central-dp as a grey reference. */
export function ldpSpec(ins: InsightInfo, points: readonly ResultPoint[]): { spec: TopLevelSpec; series: string[]; lines: number; theoryLines: number } | null {
  const pipelines = [...new Set(points.filter((p) => p.insight === ins.id && p.pipeline.startsWith('ldp-') && points.some((q) => q === p && drawable(ins, q))).map((p) => p.pipeline))].sort();
  if (pipelines.length === 0) return null;
  const ref = rows(ins, points, 'central-dp', 'central-dp');
  const data = pipelines.flatMap((pl) => [...rows(ins, points, pl, pl).map((d) => ({ ...d, panel: pl, role: 'pipeline' })), ...ref.map((d) => ({ ...d, panel: pl, role: 'central-dp (reference)' }))]);
  const theory = data.filter((d) => d.role === 'pipeline' && d.theory !== null && Number.isFinite(d.theory) && d.theory > 0).map((d) => ({ ...d, error: d.theory as number, role: 'closed form' }));
  const { x, y } = axes(
    ins,
    data.map((d) => d.epsilon),
  );
  const color = {
    field: 'role',
    type: 'nominal' as const,
    title: null,
    legend: { labelLimit: 220 },
    scale: { domain: ['pipeline', 'central-dp (reference)'], range: [OKABE_ITO.vermillion, '#999999'] },
  };
  return {
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: `${ins.title}: every LDP pipeline`, subtitle: 'one panel per pipeline; black dashed: closed form; grey: central-dp for reference' },
      data: { values: [...data, ...theory] },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: 4,
      spec: {
        width: 170,
        height: 120,
        layer: [
          {
            name: 'measured',
            transform: [{ filter: "datum.role !== 'closed form'" }],
            mark: { type: 'line', strokeWidth: 2.5, point: { size: 12 } },
            encoding: { x, y, color, detail: { field: 'role' } },
          },
          // black and thin on top of the measured line, so agreement shows as a dashed line inside it
          { name: 'theory', transform: [{ filter: "datum.role === 'closed form'" }], mark: { type: 'line', strokeDash: [3, 3], strokeWidth: 1, color: OKABE_ITO.black }, encoding: { x, y } },
        ],
      },
      resolve: { scale: { y: 'shared' } },
    } as TopLevelSpec,
    series: pipelines,
    lines: pipelines.length * (ref.length > 0 ? 2 : 1),
    theoryLines: new Set(theory.map((d) => d.panel)).size,
  };
}

/** Epsilon needed per insight: a point per main pipeline, its interval as a rule, open marks for grid bounds. */
export function targetSpec(r: UtilityResults): { spec: TopLevelSpec; series: string[]; marks: number } | null {
  const table = r.epsilonForTarget ?? [];
  const rowsOut: Record<string, unknown>[] = [];
  for (const ins of r.insights.filter((i) => !i.id.startsWith('frequency-rmse.'))) {
    for (const s of mainSeries(ins, r.points)) {
      const e = table.find((t) => t.insight === ins.id && t.pipeline === s.pipeline);
      if (!e || e.epsilon === null) continue;
      rowsOut.push({
        insight: ins.title,
        role: s.label.startsWith('best LDP') ? 'best LDP' : s.pipeline,
        label: s.label,
        epsilon: e.epsilon.epsilon,
        lo: e.lo?.epsilon ?? e.epsilon.epsilon,
        hi: e.hi?.epsilon ?? e.epsilon.epsilon,
        kind: e.epsilon.kind === 'exact' ? 'interpolated' : e.epsilon.kind === 'at_most' ? 'at most (below target on the whole grid)' : 'more than (above target on the whole grid)',
        text: formatBound(e.epsilon),
      });
    }
  }
  if (rowsOut.length === 0) return null;
  const eps = [...new Set(r.points.map((p) => p.epsilon))];
  const x = {
    field: 'epsilon',
    type: 'quantitative' as const,
    title: 'ε needed (per device, per round)',
    scale: { type: 'log' as const, domain: [Math.min(...eps), Math.max(...eps)], nice: false, clamp: true },
    axis: { values: eps },
  };
  const yEnc = { field: 'insight', type: 'nominal' as const, title: null, sort: null, axis: { labelLimit: 420 } };
  const color = { field: 'role', type: 'nominal' as const, title: 'pipeline', scale: { domain: MAIN_ROLES.map((m) => m.role), range: MAIN_ROLES.map((m) => m.colour) } };
  const yOffset = { field: 'role', type: 'nominal' as const, sort: MAIN_ROLES.map((m) => m.role) };
  return {
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: 'ε needed for the target error', subtitle: 'dot: interpolated; bar: interval from the trials; ▶ / ◀: beyond the grid (more than its largest, at most its smallest ε)' },
      width: 520,
      height: { step: 12 },
      data: { values: rowsOut },
      encoding: { y: yEnc, yOffset, color },
      layer: [
        { name: 'interval', mark: { type: 'rule', strokeWidth: 2 }, encoding: { x: { ...x, field: 'lo' }, x2: { field: 'hi' } } },
        {
          name: 'needed',
          mark: { type: 'point', filled: true, size: 70 },
          encoding: {
            x,
            shape: {
              field: 'kind',
              type: 'nominal',
              title: null,
              legend: { labelLimit: 320 },
              scale: { domain: ['interpolated', 'at most (below target on the whole grid)', 'more than (above target on the whole grid)'], range: ['circle', 'triangle-left', 'triangle-right'] },
            },
          },
        },
      ],
    } as TopLevelSpec,
    series: [...new Set(rowsOut.map((d) => d.label as string))],
    marks: rowsOut.length,
  };
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Every figure of a run, with what it draws (for the report and the screenshot test). */
export async function renderPlots(r: UtilityResults): Promise<(PlotFile & { svg: string })[]> {
  const out: (PlotFile & { svg: string })[] = [];
  const t = targetSpec(r);
  if (t) out.push({ file: 'epsilon-for-target.svg', kind: 'epsilon-for-target', series: t.series, lines: 0, theoryLines: 0, marks: t.marks, notes: [], svg: await renderSvg(t.spec) });
  for (const ins of r.insights) {
    const main = insightSpec(ins, r.points);
    out.push({
      file: `${ins.id}.svg`,
      kind: 'insight',
      insight: ins.id,
      series: main.series,
      lines: main.series.length,
      theoryLines: main.theoryLines,
      notes: main.notes,
      svg: await renderSvg(main.spec),
    });
    const ldp = ldpSpec(ins, r.points);
    if (ldp)
      out.push({
        file: `${ins.id}-ldp.svg`,
        kind: 'ldp-small-multiples',
        insight: ins.id,
        series: ldp.series,
        lines: ldp.lines,
        theoryLines: ldp.theoryLines,
        notes: [],
        svg: await renderSvg(ldp.spec),
      });
  }
  return out;
}
