/**
 * `pinhole-bench utility` (the default): runs the sweep over the configured data
 * (utility-config.ts, open-data.ts), annotates every point, and writes the results folder; also
 * the console summary and `pinhole-bench list`. Progress goes to stderr.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INSIGHTS, getInsight } from '@pinhole/core';
import { explainInsight, uninformativeError } from './explain.js';
import { type DataStep, openData } from './open-data.js';
import { type InsightInfo, type PipelineInfo, type ResultPoint, type UtilityResults, writeResults } from './output.js';
import { formatNumber } from './format.js';
import { PIPELINE_IDS } from './pipelines.js';
import { type CollectionData } from './prepare.js';
import { readVersions, resultsFolder } from './results-folder.js';
import { type SweepResult, collectionsFor, prepareCollections, sweep } from './run.js';
import { epsilonForTarget } from './target.js';
import { type UtilityConfig, effectiveConfig, parseUtilityArgs, HELP } from './utility-config.js';
import { WorkerPool } from './workers.js';

export async function runUtilityCli(args: string[], ctx: { root: string; runId: string; machine: Record<string, unknown>; log: (line: string) => void }): Promise<number> {
  const cfg = parseUtilityArgs(args);
  if (cfg === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const started = new Date();
  const t0 = performance.now();
  const outDir = resultsFolder(ctx.root, ctx.runId, cfg.out);
  ctx.log(
    `pinhole-bench utility: preset ${cfg.preset}, data ${cfg.data}, ${cfg.insights.length} insights × ${cfg.pipelines.length} pipelines × ${cfg.epsilons.length} ε × ${cfg.trials} trials (${cfg.mode} mode)`,
  );
  const data = openData(cfg);
  for (const line of data.summary) ctx.log(line);
  const collections = collectionsFor(cfg.insights);
  const pool = cfg.mode === 'device' ? new WorkerPool(cfg.workers > 0 ? cfg.workers : undefined) : undefined;
  try {
    const sweepConfig = { insights: cfg.insights, pipelines: cfg.pipelines, delta: cfg.delta, k: cfg.k, trials: cfg.trials, seed: cfg.seed, mode: cfg.mode };
    const options = { log: ctx.log, ...(pool ? { pool } : {}) };
    const parts: { epsilon: number; data: CollectionData[]; result: SweepResult; selectionShare: number; steps: readonly DataStep[]; emptyNote?: string }[] = [];
    if (data.fixed) {
      const prepared = prepareCollections(data.tables(), data.domains, collections, cfg.seed, cfg.mode === 'device');
      ctx.log(`data ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      const result = await sweep(prepared, { ...sweepConfig, epsilons: cfg.epsilons }, options);
      const emptyNote = data.round(cfg.epsilons[0] as number, cfg.delta, collections.length).emptyNote;
      for (const epsilon of cfg.epsilons)
        parts.push({ epsilon, data: prepared, result: { ...result, points: result.points.filter((p) => p.epsilon === epsilon) }, selectionShare: 0, steps: [], ...(emptyNote ? { emptyNote } : {}) });
    } else {
      // Domains selected with DP: each round selects its own with a share of its budget, and the
      // collections split the rest (the sweep is told the rest, and the points the whole).
      for (const epsilon of cfg.epsilons) {
        const round = data.round(epsilon, cfg.delta, collections.length);
        const prepared = prepareCollections(round.tables(), round.domains, collections, cfg.seed, cfg.mode === 'device');
        const rest = 1 - round.selectionShare;
        // the sweep sees the collections' part of the budget: its progress lines name the round's
        const roundLog = (line: string) => ctx.log(line.replace(/ε=[0-9.e+-]+/, `round ε=${epsilon}`));
        const result = await sweep(prepared, { ...sweepConfig, epsilons: [epsilon * rest], delta: cfg.delta * rest }, { ...options, log: roundLog });
        const points = result.points.map((p) => ({ ...p, epsilon, delta: cfg.delta }));
        parts.push({
          epsilon,
          data: prepared,
          result: { ...result, points, collections: result.collections.map((c) => ({ ...c, epsilonShare: c.epsilonShare * rest })) },
          selectionShare: round.selectionShare,
          steps: round.domainSteps,
          ...(round.emptyNote ? { emptyNote: round.emptyNote } : {}),
        });
      }
    }
    const last = parts[parts.length - 1] as (typeof parts)[number];
    const points = annotate(parts);
    const describe: Record<string, unknown> = { ...data.describe, domains: data.domainReports() };
    const perRoundSteps = parts.flatMap((p) => p.steps);
    if (perRoundSteps.length > 0) describe.steps = [...(describe.steps as DataStep[]), ...perRoundSteps];
    const insights = mergeInsights(
      parts.map((p) => p.result),
      points,
    );
    const pipelines = last.result.pipelines.length > 0 ? mergePipelines(parts.map((p) => p.result)) : [];
    const versions = readVersions(ctx.root);
    const results: UtilityResults = {
      schema: 'pinhole-bench/utility@1',
      config: {
        ...cfg,
        collections: last.result.collections.length,
        collectionDetails: last.result.collections,
        ...(parts.some((p) => p.selectionShare > 0)
          ? { domainSelectionShare: last.selectionShare, collectionDetailsByEpsilon: parts.map((p) => ({ epsilon: p.epsilon, collections: p.result.collections })) }
          : {}),
      },
      seed: cfg.seed,
      versions,
      machine: ctx.machine,
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      data: describe,
      insights,
      pipelines,
      points,
      epsilonForTarget: epsilonForTarget(
        points,
        insights.filter((i) => !i.id.startsWith('frequency-rmse.')),
        pipelines.map((p) => p.id).filter((id) => id !== 'raw'),
        cfg.targets,
      ),
      reproduce: reproduceBlock(args, cfg, describe, versions, ctx.root),
    };
    const files = await writeResults(outDir, results);
    process.stdout.write(summaryTable(results));
    ctx.log(`wrote ${files.length} files to ${outDir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return 0;
  } finally {
    await pool?.close();
  }
}

/** Adds to every point why it cannot be computed, or that it says nothing at its epsilon. */
function annotate(parts: readonly { epsilon: number; data: CollectionData[]; result: SweepResult; emptyNote?: string }[]): ResultPoint[] {
  const out: ResultPoint[] = [];
  for (const part of parts) {
    const byCollection = new Map(part.data.map((d) => [d.collection.id, d]));
    const baseline = new Map<string, number>();
    for (const p of part.result.points) {
      if (p.insight.startsWith('frequency-rmse.')) {
        const d = byCollection.get(p.insight.slice('frequency-rmse.'.length));
        out.push(d && d.n === 0 ? { ...p, status: 'undefined', note: part.emptyNote ?? 'no device reports in this collection' } : p);
        continue;
      }
      const ins = getInsight(p.insight);
      const d = byCollection.get(ins.collection) as CollectionData;
      const note = part.emptyNote ? { status: 'undefined' as const, reason: part.emptyNote } : explainInsight(ins, d);
      if (note?.status === 'undefined') {
        out.push({ ...p, status: 'undefined', note: note.reason });
        continue;
      }
      let b = baseline.get(p.insight);
      if (b === undefined) baseline.set(p.insight, (b = uninformativeError(p.insight, d)));
      const isPrivate = !['raw', 'kanon-only'].includes(p.pipeline);
      const nothing = isPrivate && p.released === 0;
      const uninformative = isPrivate && Number.isFinite(b) && p.error.mean >= b;
      if (nothing || uninformative) {
        out.push({
          ...p,
          status: 'uninformative',
          note: `${nothing ? 'nothing released' : 'no better than the uninformative answer'} (its error ${fmtNum(b)}): too few devices (${d.n} report${d.n === 1 ? '' : 's'}) for ${p.pipeline} to say anything at ε = ${p.epsilon}`,
          ...(note ? { partial: note.reason } : {}),
        });
      } else out.push({ ...p, ...(note ? { status: 'partial' as const, note: note.reason } : {}) });
    }
  }
  return out;
}

const fmtNum = (x: number) => (x === 0 ? '0' : Math.abs(x) >= 1 ? x.toFixed(2) : x.toPrecision(2));

function mergeInsights(results: readonly SweepResult[], points: readonly ResultPoint[]): InsightInfo[] {
  const seen = new Map<string, InsightInfo>();
  for (const r of results) for (const i of r.insights) if (!seen.has(i.id)) seen.set(i.id, i);
  // an insight the sweep left out (no point at all) is still listed when it has a reason
  const out = [...seen.values()].filter((i) => points.some((p) => p.insight === i.id));
  for (const i of out) {
    // not computable at all: every point undefined (a reason at some epsilons only stays on those points)
    const pts = points.filter((p) => p.insight === i.id);
    if (pts.length > 0 && pts.every((p) => p.status === 'undefined')) (i as { note?: string }).note = [...new Set(pts.map((p) => p.note as string))].join('; ');
  }
  return out;
}

function mergePipelines(results: readonly SweepResult[]): PipelineInfo[] {
  const seen = new Map<string, PipelineInfo>();
  for (const r of results) for (const p of r.pipelines) if (!seen.has(p.id)) seen.set(p.id, p);
  return [...seen.values()];
}

/** The command line, seed, data hash and versions that regenerate this run exactly. */
function reproduceBlock(args: readonly string[], cfg: UtilityConfig, data: Record<string, unknown>, versions: Readonly<Record<string, string>>, root: string): Record<string, unknown> {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const flags = args.filter((a, i) => !(a === '--out' || args[i - 1] === '--out' || a.startsWith('--out=')));
  let commit: string | null = null;
  try {
    const head = readFileSync(join(root, '.git', 'HEAD'), 'utf8').trim();
    commit = head.startsWith('ref: ') ? readFileSync(join(root, '.git', head.slice(5)), 'utf8').trim() : head;
  } catch {
    commit = null; // not a git checkout (a worktree keeps .git as a file): the versions still name the code
  }
  return {
    command: `npx pinhole-bench utility ${flags.map(quote).join(' ')}`.trim(),
    // every option with its value (defaults included), as config.json beside the results
    config: effectiveConfig(cfg),
    configCommand: 'npx pinhole-bench utility --config config.json --out <folder>',
    seed: cfg.seed,
    dataSha256: data.sha256 ?? null,
    dataFiles: data.files ?? null,
    versions,
    commit,
    citation: cfg.data === 'mobilebandwidth' ? MOBILEBANDWIDTH_CITATION : null,
  };
}

const MOBILEBANDWIDTH_CITATION =
  'Data: mobilebandwidth-sigcomm22 (https://github.com/mobilebandwidth/mobilebandwidth.github.io, commit ac6aed5d8fd7c20f776b4fe8c848b79966cf773f, Apache-2.0), released with "Mobile Access Bandwidth in Practice: Measurement, Analysis, and Implications", ACM SIGCOMM 2022 (check the author list before citing: datasets/data/mobilebandwidth-sigcomm22/PROVENANCE.md).';

/** The console summary: per insight, the error of each pipeline at the middle epsilon. */
export function summaryTable(r: UtilityResults): string {
  const eps = [...new Set(r.points.map((p) => p.epsilon))].sort((a, b) => a - b);
  const lines = [`\nerror by pipeline (columns: ε = ${eps.join(', ')})`];
  for (const ins of r.insights.filter((i) => !i.id.startsWith('frequency-rmse.'))) {
    lines.push(`\n${ins.title} [${ins.metric}]${ins.note ? ` — not computable: ${ins.note}` : ''}`);
    for (const pl of r.pipelines) {
      const pts = eps.map((e) => r.points.find((p) => p.insight === ins.id && p.pipeline === pl.id && p.epsilon === e));
      if (pts.every((p) => !p)) continue;
      lines.push(`  ${pl.id.padEnd(22)} ${pts.map((p) => (p ? formatNumber(p.error.mean, 3) : '—').padStart(9)).join(' ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

export function listCli(): string {
  const lines = ['insights:'];
  for (const i of INSIGHTS) lines.push(`  ${i.id.padEnd(22)} ${i.title} [${i.metric}]`);
  lines.push('pipelines:');
  for (const p of PIPELINE_IDS) lines.push(`  ${p}`);
  lines.push('presets: quick (default), paper', 'data: synthetic (default), mobilebandwidth, <file.csv> with --map');
  return `${lines.join('\n')}\n`;
}
