/**
 * `pinhole-bench utility` (the default): flags or a JSON config, presets `quick` and `paper`, data
 * from the synthetic generator (default), the real mobilebandwidth files, or any CSV with a column
 * mapping. Progress goes to stderr; the results folder gets every output file.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { INSIGHTS, type InsightDomains, invalid } from '@pinhole/core';
import { type LoadResult, type MeasurementTable, loadCsv, loadMobileBandwidth, syntheticChunks } from '@pinhole/datasets';
import { type UtilityResults, writeResults } from './output.js';
import { PIPELINE_IDS, type SimulationMode } from './pipelines.js';
import { domainsOf } from './prepare.js';
import { collectionsFor, prepareCollections, sweep } from './run.js';
import { WorkerPool } from './workers.js';

export interface UtilityConfig {
  preset: 'quick' | 'paper';
  /** "synthetic", "mobilebandwidth", or a CSV path */
  data: string;
  /** column mapping for a CSV, e.g. "downlink=DL_bitrate,operator=Operator" */
  map?: string;
  devices: number;
  seed: string;
  insights: string[];
  pipelines: string[];
  epsilons: number[];
  delta: number;
  k: number;
  trials: number;
  mode: SimulationMode;
  workers: number;
  out?: string;
}

export const PRESETS: Readonly<Record<'quick' | 'paper', Omit<UtilityConfig, 'preset' | 'data' | 'seed'>>> = {
  // quick: every insight and pipeline on 100,000 synthetic devices, sufficient statistics sampled
  // directly: a couple of minutes on two cores.
  quick: { devices: 100_000, insights: INSIGHTS.map((i) => i.id), pipelines: [...PIPELINE_IDS], epsilons: [0.5, 1, 2, 4, 8, 16], delta: 1e-6, k: 20, trials: 5, mode: 'aggregate', workers: 0 },
  // paper: a million devices, a finer and wider grid and 20 trials. Oracles' tallies are sampled
  // from their exact law (validated against per-device simulation in bench/test/modes.test.ts);
  // --mode device simulates every device on all cores instead.
  paper: { devices: 1_000_000, insights: INSIGHTS.map((i) => i.id), pipelines: [...PIPELINE_IDS], epsilons: [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64], delta: 1e-6, k: 20, trials: 20, mode: 'aggregate', workers: 0 },
};

const HELP = `pinhole-bench utility [options]
  --preset quick|paper     quick (default): 100k devices, 6 epsilons, 5 trials; paper: 1M devices, 9 epsilons, 20 trials
  --config file.json       any of the options below as JSON keys (flags override it)
  --data synthetic|mobilebandwidth|<file.csv>   (default synthetic; mobilebandwidth needs ../shared/datasets or PINHOLE_DATA_DIR)
  --map field=column,...   CSV column mapping (fields: downlink, networkType, operator, region, cell, device, rtt, rsrp, ...)
  --devices N              synthetic population size
  --insights a,b           insight ids (pinhole-bench list)
  --pipelines a,b          pipeline ids; a trailing * matches a prefix (ldp-*)
  --epsilons 0.5,1,2       per-device budget of the whole round
  --delta 1e-6  --k 20  --trials 5  --seed pinhole
  --mode aggregate|device  sample sufficient statistics directly, or simulate every device (on all cores)
  --workers N              worker threads for device mode (default: all cores)
  --out DIR                results folder (default bench/results/<run id>)`;

function parseList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

function parseNumber(param: string, s: string | undefined): number {
  const x = Number(s);
  if (s === undefined || s.trim() === '' || !Number.isFinite(x)) throw invalid(param, 'a number', s);
  return x;
}

export function parseUtilityArgs(args: readonly string[]): UtilityConfig | 'help' {
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--help' || a === '-h') return 'help';
    if (!a.startsWith('--')) throw invalid('argument', 'a --flag', a);
    const eq = a.indexOf('=');
    if (eq > 0) flags.set(a.slice(2, eq), a.slice(eq + 1));
    else {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw invalid(a.slice(2), 'a value after the flag', v);
      flags.set(a.slice(2), v);
      i++;
    }
  }
  const file: Record<string, unknown> = flags.has('config') ? (JSON.parse(readFileSync(flags.get('config') as string, 'utf8')) as Record<string, unknown>) : {};
  const get = (key: string): unknown => (flags.has(key) ? flags.get(key) : file[key]);
  const preset = (get('preset') ?? 'quick') as string;
  if (preset !== 'quick' && preset !== 'paper') throw invalid('preset', 'one of "quick", "paper"', preset);
  const base = PRESETS[preset];
  const list = (key: string, fallback: readonly string[]): string[] => {
    const v = get(key);
    return v === undefined ? [...fallback] : Array.isArray(v) ? v.map(String) : parseList(String(v));
  };
  const num = (key: string, fallback: number): number => {
    const v = get(key);
    return v === undefined ? fallback : parseNumber(key, String(v));
  };
  const pipelines = list('pipelines', base.pipelines).flatMap((p) => {
    if (p.endsWith('*')) {
      const hits = PIPELINE_IDS.filter((id) => id.startsWith(p.slice(0, -1)));
      if (hits.length === 0) throw invalid('pipelines', `ids among ${PIPELINE_IDS.join(', ')}`, p);
      return hits;
    }
    if (!PIPELINE_IDS.includes(p)) throw invalid('pipelines', `ids among ${PIPELINE_IDS.join(', ')}`, p);
    return [p];
  });
  const insights = list('insights', base.insights);
  for (const id of insights) if (!INSIGHTS.some((i) => i.id === id)) throw invalid('insights', `ids among ${INSIGHTS.map((i) => i.id).join(', ')}`, id);
  const epsilons = list('epsilons', base.epsilons.map(String)).map((e) => parseNumber('epsilons', e));
  for (const e of epsilons) if (!(e > 0)) throw invalid('epsilons', 'numbers > 0', e);
  const mode = String(get('mode') ?? base.mode);
  if (mode !== 'aggregate' && mode !== 'device') throw invalid('mode', 'one of "aggregate", "device"', mode);
  const cfg: UtilityConfig = {
    preset,
    data: String(get('data') ?? 'synthetic'),
    devices: num('devices', base.devices),
    seed: String(get('seed') ?? 'pinhole'),
    insights,
    pipelines: [...new Set(pipelines)],
    epsilons,
    delta: num('delta', base.delta),
    k: num('k', base.k),
    trials: num('trials', base.trials),
    mode,
    workers: num('workers', base.workers),
  };
  const map = get('map');
  if (map !== undefined) cfg.map = String(map);
  const out = get('out');
  if (out !== undefined) cfg.out = String(out);
  if (!Number.isSafeInteger(cfg.devices) || cfg.devices < 1) throw invalid('devices', 'an integer >= 1', cfg.devices);
  if (!Number.isSafeInteger(cfg.trials) || cfg.trials < 1) throw invalid('trials', 'an integer >= 1', cfg.trials);
  if (!Number.isSafeInteger(cfg.k) || cfg.k < 1) throw invalid('k', 'an integer >= 1', cfg.k);
  if (!(cfg.delta > 0 && cfg.delta < 1)) throw invalid('delta', 'a number in (0, 1)', cfg.delta);
  return cfg;
}

interface OpenedData {
  domains: InsightDomains;
  tables: () => Iterable<MeasurementTable>;
  describe: Record<string, unknown>;
}

function describeLoad(source: string, r: LoadResult): Record<string, unknown> {
  return { source, devices: r.table.deviceCount, measurements: r.table.length, rows: r.rows, rejected: r.rejected, cleared: r.cleared.total, notes: r.notes };
}

export function openData(cfg: UtilityConfig): OpenedData {
  if (cfg.data === 'synthetic') {
    const options = { devices: cfg.devices, seed: cfg.seed };
    const first = syntheticChunks({ devices: 1, seed: cfg.seed }).next().value as MeasurementTable;
    return {
      domains: domainsOf(first),
      tables: () => syntheticChunks(options, 250_000),
      describe: { source: 'synthetic', devices: cfg.devices, generator: '@pinhole/datasets syntheticChunks', seed: cfg.seed },
    };
  }
  const result = cfg.data === 'mobilebandwidth' ? loadMobileBandwidth() : loadCsv(resolve(cfg.data), { map: cfg.map ?? 'downlink=downlink' });
  return { domains: domainsOf(result.table), tables: () => [result.table], describe: describeLoad(cfg.data, result) };
}

export async function runUtilityCli(args: string[], ctx: { root: string; runId: string; machine: Record<string, unknown>; log: (line: string) => void }): Promise<number> {
  const cfg = parseUtilityArgs(args);
  if (cfg === 'help') {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const started = new Date();
  const t0 = performance.now();
  const outDir = cfg.out ?? join(ctx.root, 'bench', 'results', ctx.runId);
  ctx.log(`pinhole-bench utility: preset ${cfg.preset}, data ${cfg.data}, ${cfg.insights.length} insights × ${cfg.pipelines.length} pipelines × ${cfg.epsilons.length} ε × ${cfg.trials} trials (${cfg.mode} mode)`);
  const data = openData(cfg);
  const collections = collectionsFor(cfg.insights);
  const prepared = prepareCollections(data.tables(), data.domains, collections, cfg.seed, cfg.mode === 'device');
  ctx.log(`data ready: ${JSON.stringify(data.describe)} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const pool = cfg.mode === 'device' ? new WorkerPool(cfg.workers > 0 ? cfg.workers : undefined) : undefined;
  try {
    const result = await sweep(prepared, { insights: cfg.insights, pipelines: cfg.pipelines, epsilons: cfg.epsilons, delta: cfg.delta, k: cfg.k, trials: cfg.trials, seed: cfg.seed, mode: cfg.mode }, { log: ctx.log, ...(pool ? { pool } : {}) });
    const versions = readVersions(ctx.root);
    const results: UtilityResults = {
      schema: 'pinhole-bench/utility@1',
      config: { ...cfg, collections: result.collections.length, collectionDetails: result.collections },
      seed: cfg.seed,
      versions,
      machine: ctx.machine,
      startedAt: started.toISOString(),
      durationMs: Math.round(performance.now() - t0),
      data: data.describe,
      insights: result.insights,
      pipelines: result.pipelines,
      points: result.points,
    };
    const files = await writeResults(outDir, results);
    process.stdout.write(summaryTable(results));
    ctx.log(`wrote ${files.length} files to ${outDir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    return 0;
  } finally {
    await pool?.close();
  }
}

function readVersions(root: string): Record<string, string> {
  const out: Record<string, string> = { node: process.version };
  for (const p of ['packages/core', 'packages/ldp', 'packages/gate', 'packages/secagg', 'datasets', 'bench']) {
    try {
      const pkg = JSON.parse(readFileSync(join(root, p, 'package.json'), 'utf8')) as { name: string; version: string };
      out[pkg.name] = pkg.version;
    } catch {
      // a package folder that is not there is simply not listed
    }
  }
  for (const dep of ['@tensorflow/tfjs', 'vega-lite']) {
    try {
      out[dep] = (JSON.parse(readFileSync(join(root, 'node_modules', dep, 'package.json'), 'utf8')) as { version: string }).version;
    } catch {
      // optional
    }
  }
  return out;
}

/** The console summary: per insight, the error of each pipeline at the middle epsilon. */
export function summaryTable(r: UtilityResults): string {
  const eps = [...new Set(r.points.map((p) => p.epsilon))].sort((a, b) => a - b);
  const lines = [`\nerror by pipeline (columns: ε = ${eps.join(', ')})`];
  for (const ins of r.insights.filter((i) => !i.id.startsWith('frequency-rmse.'))) {
    lines.push(`\n${ins.title} [${ins.metric}]`);
    for (const pl of r.pipelines) {
      const pts = eps.map((e) => r.points.find((p) => p.insight === ins.id && p.pipeline === pl.id && p.epsilon === e));
      if (pts.every((p) => !p)) continue;
      lines.push(`  ${pl.id.padEnd(22)} ${pts.map((p) => (p ? p.error.mean.toPrecision(3).padStart(9) : '        —')).join(' ')}`);
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

