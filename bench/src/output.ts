/**
 * Writes a utility run: results.json (the documented schema), results.csv, report.md, one SVG plot
 * per insight (vega-lite, rendered in Node without a browser) and index.html showing them all.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { TopLevelSpec } from 'vega-lite';

export interface ErrorSummary {
  readonly mean: number;
  /** 95 % confidence interval of the mean over trials (Student t) */
  readonly lo: number;
  readonly hi: number;
  readonly trials: number;
}

export interface ResultPoint {
  readonly insight: string;
  readonly pipeline: string;
  /** the total per-device budget of the round */
  readonly epsilon: number;
  readonly delta: number;
  readonly k: number;
  /** the share of the round's budget this insight's collection spent */
  readonly epsilonCollection: number;
  readonly deltaCollection: number;
  readonly error: ErrorSummary;
  /** closed-form expected error where one exists, else null */
  readonly theory: number | null;
  /** the share of groups the pipeline released, averaged over trials */
  readonly released: number;
  /** reports (contributing devices) behind the estimate */
  readonly n: number;
}

export interface InsightInfo {
  readonly id: string;
  readonly title: string;
  readonly question: string;
  readonly metric: string;
  readonly metricDescription: string;
  readonly collection: string;
  /** y axis on a log scale */
  readonly logScale: boolean;
}

export interface PipelineInfo {
  readonly id: string;
  readonly description: string;
  readonly private: boolean;
  /** the threat model each of its releases stated (the release engine's words) */
  readonly threatModel: readonly string[];
  /** what its releases treat as public (union over its collections) */
  readonly treatsAsPublic: readonly string[];
}

export interface UtilityResults {
  readonly schema: 'pinhole-bench/utility@1';
  readonly config: Readonly<Record<string, unknown>>;
  readonly seed: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly machine: Readonly<Record<string, unknown>>;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly insights: readonly InsightInfo[];
  readonly pipelines: readonly PipelineInfo[];
  readonly points: readonly ResultPoint[];
}

const T95: Record<number, number> = { 1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262, 10: 2.228, 15: 2.131, 20: 2.086, 30: 2.042 };

function tQuantile(df: number): number {
  if (df <= 0) return NaN;
  const keys = Object.keys(T95).map(Number).sort((a, b) => a - b);
  for (const k of keys) if (df <= k) return T95[k] as number;
  return 1.96;
}

export function summarise(values: readonly number[]): ErrorSummary {
  const xs = values.filter((v) => Number.isFinite(v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, trials: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean, hi: mean, trials: 1 };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = tQuantile(n - 1) * (sd / Math.sqrt(n));
  return { mean, lo: Math.max(0, mean - half), hi: mean + half, trials: n };
}

function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 100 ? x.toFixed(0) : a >= 1 ? x.toFixed(2) : x.toPrecision(2);
}

export function toCsv(points: readonly ResultPoint[]): string {
  const head = 'insight,pipeline,epsilon,delta,k,epsilon_collection,delta_collection,error_mean,error_lo,error_hi,trials,theory,released,n';
  const rows = points.map((p) =>
    [p.insight, p.pipeline, p.epsilon, p.delta, p.k, p.epsilonCollection, p.deltaCollection, p.error.mean, p.error.lo, p.error.hi, p.error.trials, p.theory ?? '', p.released, p.n].join(','),
  );
  return `${[head, ...rows].join('\n')}\n`;
}

export function toMarkdown(r: UtilityResults): string {
  const lines: string[] = [];
  lines.push('# Pinhole utility report', '');
  lines.push(`Seed \`${r.seed}\`, ${String(r.data.devices)} devices (${String(r.data.source)}), k = ${String(r.config.k)}, δ = ${String(r.config.delta)}, ${String(r.config.trials)} trials, mode ${String(r.config.mode)}.`);
  lines.push(`ε is the whole budget of one device for the round, split equally over the ${String(r.config.collections)} collections the insights need.`);
  lines.push(`Run ${new Date(r.startedAt).toISOString()} in ${(r.durationMs / 1000).toFixed(1)} s on ${String(r.machine.cpus)} × ${String(r.machine.cpu)}, Node ${String(r.machine.node)}.`, '');
  lines.push('## Pipelines: threat model and what each treats as public', '');
  lines.push('Epsilons are comparable only between pipelines that protect the same things.', '');
  for (const pl of r.pipelines) {
    lines.push(`- **${pl.id}** — ${pl.description}.`);
    for (const t of pl.threatModel ?? []) lines.push(`  - threat model: ${t}`);
    for (const p of pl.treatsAsPublic ?? []) lines.push(`  - public: ${p}`);
  }
  lines.push('');
  const epsilons = [...new Set(r.points.map((p) => p.epsilon))].sort((a, b) => a - b);
  for (const ins of r.insights) {
    lines.push(`## ${ins.title}`, '', `${ins.question} Error: ${ins.metricDescription}.`, '');
    lines.push(`| pipeline | ${epsilons.map((e) => `ε=${e}`).join(' | ')} | released |`);
    lines.push(`|---|${epsilons.map(() => '---:').join('|')}|---:|`);
    for (const pl of r.pipelines) {
      const pts = r.points.filter((p) => p.insight === ins.id && p.pipeline === pl.id);
      if (pts.length === 0) continue;
      const cells = epsilons.map((e) => {
        const p = pts.find((q) => q.epsilon === e);
        if (!p) return '';
        return `${fmt(p.error.mean)}${p.theory !== null ? ` (theory ${fmt(p.theory)})` : ''}`;
      });
      const released = pts.reduce((a, p) => a + p.released, 0) / pts.length;
      lines.push(`| ${pl.id}${pl.private ? '' : ' ⚠ not private'} | ${cells.join(' | ')} | ${(released * 100).toFixed(0)} % |`);
    }
    lines.push('', `![${ins.title}](${ins.id}.svg)`, '');
  }
  lines.push('## Pipelines', '');
  for (const pl of r.pipelines) lines.push(`- \`${pl.id}\`: ${pl.description}`);
  lines.push('');
  return lines.join('\n');
}

export function plotSpec(ins: InsightInfo, points: readonly ResultPoint[]): TopLevelSpec {
  const data = points
    // On a log axis an exact (or float-rounding) zero has no place: those pipelines are in the tables.
    .filter((p) => p.insight === ins.id && Number.isFinite(p.error.mean) && (!ins.logScale || p.error.mean > 1e-12))
    .map((p) => ({
      epsilon: p.epsilon,
      pipeline: p.pipeline,
      error: p.error.mean,
      lo: ins.logScale ? Math.max(p.error.lo, p.error.mean / 100) : Math.max(0, p.error.lo),
      hi: ins.metric === 'miss_at_k' ? Math.min(1, p.error.hi) : p.error.hi,
      theory: p.theory,
      kind: 'measured',
    }));
  const epsilons = data.map((d) => d.epsilon);
  const theory = data.filter((d) => d.theory !== null && Number.isFinite(d.theory) && (d.theory as number) > 0).map((d) => ({ ...d, error: d.theory, kind: 'theory' }));
  const y = { field: 'error', type: 'quantitative' as const, title: ins.metric, scale: ins.logScale ? { type: 'log' as const } : { zero: true } };
  const x = {
    field: 'epsilon',
    type: 'quantitative' as const,
    title: 'ε (per device, per round)',
    scale: { type: 'log' as const, domain: [Math.min(...epsilons), Math.max(...epsilons)], nice: false },
    axis: { values: [...new Set(epsilons)] },
  };
  const color = { field: 'pipeline', type: 'nominal' as const, legend: { title: 'pipeline' }, scale: { scheme: 'category20' } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: ins.title, subtitle: `${ins.metric} vs ε; dashed: closed form; band: 95 % CI over trials` },
    width: 520,
    height: 320,
    layer: [
      { data: { values: data }, mark: { type: 'errorband', opacity: 0.08 }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } },
      { data: { values: data }, mark: { type: 'line', point: true }, encoding: { x, y, color } },
      ...(theory.length ? [{ data: { values: theory }, mark: { type: 'line' as const, strokeDash: [5, 4], opacity: 0.8 }, encoding: { x, y, color } }] : []),
    ],
  } as TopLevelSpec;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

export function toHtml(r: UtilityResults, svgs: Readonly<Record<string, string>>): string {
  const sections = r.insights
    .map((ins) => `<section><h2>${escapeHtml(ins.title)}</h2><p>${escapeHtml(ins.question)} <em>Error: ${escapeHtml(ins.metricDescription)}.</em></p>${svgs[ins.id] ?? '<p>no plot</p>'}</section>`)
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pinhole utility report</title>
<style>body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}section{display:inline-block;vertical-align:top;margin:1em;max-width:560px}svg{max-width:100%;height:auto}</style>
</head><body>
<h1>Pinhole utility report</h1>
<p>Seed <code>${escapeHtml(r.seed)}</code>, ${escapeHtml(String(r.data.devices))} devices (${escapeHtml(String(r.data.source))}), k = ${escapeHtml(String(r.config.k))}, δ = ${escapeHtml(String(r.config.delta))}, ${escapeHtml(String(r.config.trials))} trials. ε is one device's whole budget for the round. Tables: <a href="report.md">report.md</a>, data: <a href="results.json">results.json</a>, <a href="results.csv">results.csv</a>.</p>
${sections}
</body></html>
`;
}

export async function writeResults(outDir: string, r: UtilityResults): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const put = async (name: string, text: string) => {
    await writeFile(join(outDir, name), text);
    files.push(name);
  };
  await put('results.json', `${JSON.stringify(r, null, 2)}\n`);
  await put('results.csv', toCsv(r.points));
  await put('report.md', toMarkdown(r));
  const svgs: Record<string, string> = {};
  for (const ins of r.insights) {
    const svg = await renderSvg(plotSpec(ins, r.points));
    svgs[ins.id] = svg;
    await put(`${ins.id}.svg`, svg);
  }
  await put('index.html', toHtml(r, svgs));
  return files;
}
