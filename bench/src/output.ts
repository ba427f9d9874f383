/**
 * Writes a utility run: results.json (the documented schema), results.csv, report.md, the SVG
 * plots (vega-lite, rendered in Node without a browser) and index.html showing them all.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { studentTQuantile } from '@pinhole/core/stats';
import { ZERO_RESIDUE } from './format.js';
import { type PlotFile, renderPlots } from './plots.js';
import { toHtml, toMarkdown } from './report.js';
import type { EpsilonForTarget } from './target.js';

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
  /**
   * absent when the point is an ordinary measurement; `undefined`: the statistic cannot be
   * computed on this data (`note` says why, `error` is NaN); `partial`: computed on less than it
   * asks for; `uninformative`: a private pipeline that says nothing at this epsilon
   */
  readonly status?: 'undefined' | 'partial' | 'uninformative';
  readonly note?: string;
  /** for an uninformative point that is also partial: the partial note */
  readonly partial?: string;
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
  /** why the insight cannot be computed on this data, when it cannot */
  readonly note?: string;
}

export interface PipelineInfo {
  readonly id: string;
  readonly description: string;
  readonly private: boolean;
  /** the threat model each of its releases stated (the release engine's words) */
  readonly threatModel: readonly string[];
  /** what its releases treat as public (union over its collections) */
  readonly treatsAsPublic: readonly string[];
  /** the neighbour relation its releases' epsilon holds for (the release engine's words) */
  readonly neighbours?: readonly string[];
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
  /** per insight and pipeline: the smallest epsilon whose error is below the target (see target.ts) */
  readonly epsilonForTarget?: readonly EpsilonForTarget[];
  /** command line, seed, data hash, versions: what regenerates this run */
  readonly reproduce?: Readonly<Record<string, unknown>>;
  /** every plot written, with the series it draws (filled in by writeResults) */
  readonly plots?: readonly PlotFile[];
}

/** Mean and 95 % interval over trials; an error's interval is clipped at 0, a `signed` quantity's is not. */
export function summarise(values: readonly number[], options: { readonly signed?: boolean } = {}): ErrorSummary {
  const xs = values.filter((v) => Number.isFinite(v)).map((v) => (Math.abs(v) < ZERO_RESIDUE ? 0 : v));
  const n = xs.length;
  if (n === 0) return { mean: NaN, lo: NaN, hi: NaN, trials: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean, lo: mean, hi: mean, trials: 1 };
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  const half = studentTQuantile(0.975, n - 1) * (sd / Math.sqrt(n));
  return { mean, lo: options.signed ? mean - half : Math.max(0, mean - half), hi: mean + half, trials: n };
}

export function toCsv(points: readonly ResultPoint[]): string {
  const head = 'insight,pipeline,epsilon,delta,k,epsilon_collection,delta_collection,error_mean,error_lo,error_hi,trials,theory,released,n,status,note';
  const esc = (s: string | undefined) => (s === undefined ? '' : /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = points.map((p) =>
    [
      p.insight,
      p.pipeline,
      p.epsilon,
      p.delta,
      p.k,
      p.epsilonCollection,
      p.deltaCollection,
      p.error.mean,
      p.error.lo,
      p.error.hi,
      p.error.trials,
      p.theory ?? '',
      p.released,
      p.n,
      p.status ?? '',
      esc(p.note),
    ].join(','),
  );
  return `${[head, ...rows].join('\n')}\n`;
}

export async function writeResults(outDir: string, r: UtilityResults): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const put = async (name: string, text: string) => {
    await writeFile(join(outDir, name), text);
    files.push(name);
  };
  const plots = await renderPlots(r);
  const withPlots: UtilityResults = { ...r, plots: plots.map(({ svg: _svg, ...p }) => p) };
  await put('results.json', `${JSON.stringify(withPlots, null, 2)}\n`);
  const config = r.reproduce?.config;
  if (config !== undefined) await put('config.json', `${JSON.stringify(config, null, 2)}\n`);
  await put('results.csv', toCsv(r.points));
  await put('report.md', toMarkdown(withPlots));
  const svgs: Record<string, string> = {};
  for (const p of plots) {
    svgs[p.file] = p.svg;
    await put(p.file, p.svg);
  }
  await put('index.html', toHtml(withPlots, svgs));
  return files;
}
