/**
 * `pinhole-bench poison`: how far a fraction of malicious devices moves one group's published
 * figure in every pipeline (poison.ts), on the synthetic population, written in the bench's report
 * format (poison-output.ts).
 */
import { getCollection } from '@pinhole/core';
import { invalid } from '@pinhole/core/validate';
import { parseList, parseNumber } from './cli-args.js';
import { formatNumber } from './format.js';
import { readVersions, resultsFolder } from './results-folder.js';
import { type PoisonAttackInfo, type PoisonPoint, type PoisonTarget, POISON_PIPELINES, pickTargetGroup, poisonTarget } from './poison.js';
import { poisonHistogram } from './poison-histogram.js';
import { poisonMean } from './poison-mean.js';
import { type PoisonResults, writePoisonResults } from './poison-output.js';
import type { HistogramData, MeanData } from './prepare.js';
import { prepareCollections } from './run.js';
import { openData } from './open-data.js';
import { parseUtilityArgs } from './utility-config.js';

export interface PoisonConfig {
  devices: number;
  seed: string;
  epsilons: number[];
  fractions: number[];
  trials: number;
  delta: number;
  k: number;
  pipelines: string[];
  out?: string;
}

export const POISON_DEFAULTS: Omit<PoisonConfig, 'pipelines'> = {
  devices: 50_000,
  seed: 'pinhole',
  epsilons: [1, 4],
  fractions: [0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05],
  trials: 10,
  delta: 1e-6,
  k: 20,
};

export const POISON_HELP = `pinhole-bench poison [options]
  --devices N            honest synthetic devices (default ${POISON_DEFAULTS.devices})
  --epsilons 1,4         the budget of the collection (each figure is its own one-collection round)
  --fractions 0,0.01,…   malicious devices as a share of all reporting devices (default ${POISON_DEFAULTS.fractions.join(',')})
  --trials N             runs per point (default ${POISON_DEFAULTS.trials})
  --pipelines a,b        pipeline ids; ldp-* matches a prefix (default every one)
  --delta 1e-6  --k 20  --seed pinhole
  --out DIR              results folder (default bench/results/poison-<run id>)`;

const MEASURED = POISON_PIPELINES.filter((p) => !p.planned).map((p) => p.id);

export function parsePoisonArgs(args: readonly string[]): PoisonConfig | 'help' {
  const values = new Map<string, string>();
  const known = new Set(['devices', 'epsilons', 'fractions', 'trials', 'pipelines', 'delta', 'k', 'seed', 'out']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--help' || a === '-h') return 'help';
    if (!a.startsWith('--')) throw invalid('argument', 'a --flag', a);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (!known.has(name)) throw invalid('flag', `one of ${[...known, 'help'].map((f) => `--${f}`).join(', ')}`, a);
    const v = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (v === undefined || (eq < 0 && v.startsWith('--'))) throw invalid(name, 'a value after the flag', v);
    values.set(name, v);
  }
  const d = POISON_DEFAULTS;
  const devices = values.has('devices') ? parseNumber('devices', values.get('devices')) : d.devices;
  if (!Number.isSafeInteger(devices) || devices < 100) throw invalid('devices', 'an integer >= 100', devices);
  const trials = values.has('trials') ? parseNumber('trials', values.get('trials')) : d.trials;
  if (!Number.isSafeInteger(trials) || trials < 1) throw invalid('trials', 'an integer >= 1', trials);
  const k = values.has('k') ? parseNumber('k', values.get('k')) : d.k;
  if (!Number.isSafeInteger(k) || k < 1) throw invalid('k', 'an integer >= 1', k);
  const delta = values.has('delta') ? parseNumber('delta', values.get('delta')) : d.delta;
  if (!(delta > 0 && delta < 1)) throw invalid('delta', 'a number in (0, 1)', delta);
  const epsilons = values.has('epsilons') ? parseList(values.get('epsilons') as string).map((e) => parseNumber('epsilons', e)) : d.epsilons;
  for (const e of epsilons) if (!(e > 0)) throw invalid('epsilons', 'numbers > 0', e);
  const fractions = values.has('fractions') ? parseList(values.get('fractions') as string).map((f) => parseNumber('fractions', f)) : d.fractions;
  for (const f of fractions) if (!(f >= 0 && f < 0.5)) throw invalid('fractions', 'numbers in [0, 0.5)', f);
  const pipelines = values.has('pipelines')
    ? parseList(values.get('pipelines') as string).flatMap((p) => {
        const hits = p.endsWith('*') ? MEASURED.filter((id) => id.startsWith(p.slice(0, -1))) : MEASURED.filter((id) => id === p);
        if (hits.length === 0) throw invalid('pipelines', `ids among ${MEASURED.join(', ')}`, p);
        return hits;
      })
    : MEASURED;
  return {
    devices,
    seed: values.get('seed') ?? d.seed,
    epsilons: [...new Set(epsilons)].sort((a, b) => a - b),
    fractions: [...new Set(fractions)].sort((a, b) => a - b),
    trials,
    delta,
    k,
    pipelines: [...new Set(pipelines)],
    ...(values.has('out') ? { out: values.get('out') as string } : {}),
  };
}

/** Runs the experiment (what the CLI and the tests share). */
export function runPoison(cfg: PoisonConfig, log: (line: string) => void = () => {}): { targets: PoisonTarget[]; points: PoisonPoint[]; attacks: PoisonAttackInfo[]; data: Record<string, unknown> } {
  const opened = openData(parseUtilityArgs(['--devices', String(cfg.devices), '--seed', cfg.seed]) as Parameters<typeof openData>[0]);
  const collections = [getCollection('poor-by-operator-region'), getCollection('rtt-by-operator')];
  const [hist, mean] = prepareCollections(opened.tables(), opened.domains, collections, cfg.seed, false) as [HistogramData, MeanData];
  const targets = [poisonTarget(hist, pickTargetGroup(hist)), poisonTarget(mean, pickTargetGroup(mean))];
  const points: PoisonPoint[] = [];
  const attacks: PoisonAttackInfo[] = [];
  const total = cfg.epsilons.length * cfg.pipelines.length;
  let done = 0;
  for (const epsilon of cfg.epsilons) {
    for (const pipeline of cfg.pipelines) {
      const t0 = performance.now();
      const o = { epsilon, delta: cfg.delta, k: cfg.k, fractions: cfg.fractions, trials: cfg.trials, seed: cfg.seed };
      for (const r of [poisonHistogram(pipeline, hist, targets[0] as PoisonTarget, o), poisonMean(pipeline, mean, targets[1] as PoisonTarget, o)]) {
        if (!r) continue;
        points.push(...r.points);
        attacks.push(r.attack);
      }
      done++;
      log(`poison ${done}/${total} ε=${epsilon} ${pipeline} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
    }
  }
  return { targets, points, attacks, data: { source: 'synthetic', devices: hist.n, meanDevices: mean.n, seed: cfg.seed, generator: '@pinhole/datasets syntheticChunks' } };
}

export async function runPoisonCli(args: string[], ctx: { root: string; runId: string; machine: Record<string, unknown>; log: (line: string) => void }): Promise<number> {
  const cfg = parsePoisonArgs(args);
  if (cfg === 'help') {
    process.stdout.write(`${POISON_HELP}\n`);
    return 0;
  }
  const started = new Date();
  const t0 = performance.now();
  const outDir = resultsFolder(ctx.root, ctx.runId, cfg.out, 'poison-');
  ctx.log(`pinhole-bench poison: ${cfg.devices} honest devices, ${cfg.pipelines.length} pipelines × ${cfg.epsilons.length} ε × ${cfg.fractions.length} fractions × ${cfg.trials} trials`);
  const run = runPoison(cfg, ctx.log);
  const quote = (a: string) => (/^[\w@%+=:,./*-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const results: PoisonResults = {
    schema: 'pinhole-bench/poison@1',
    config: { ...cfg },
    seed: cfg.seed,
    versions: readVersions(ctx.root),
    machine: ctx.machine,
    startedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    data: run.data,
    targets: run.targets,
    attacks: run.attacks,
    points: run.points,
    planned: POISON_PIPELINES.filter((p) => p.planned).map((p) => ({ id: p.id, note: p.planned as string })),
    reproduce: {
      command: `npx pinhole-bench poison ${args
        .filter((a, i) => !(a === '--out' || args[i - 1] === '--out' || a.startsWith('--out=')))
        .map(quote)
        .join(' ')}`.trim(),
    },
  };
  const files = await writePoisonResults(outDir, results);
  for (const t of run.targets) {
    process.stdout.write(
      `\n${t.collection}: group ${t.label}, ${t.devices} devices, honest ${formatNumber(t.truth, 3)}; shift at ${cfg.fractions
        .filter((f) => f > 0)
        .map((f) => `${f * 100} %`)
        .join(', ')}\n`,
    );
    for (const e of cfg.epsilons) {
      for (const p of cfg.pipelines) {
        const pts = run.points.filter((q) => q.collection === t.collection && q.pipeline === p && q.epsilon === e && q.fraction > 0).sort((a, b) => a.fraction - b.fraction);
        if (pts.length) process.stdout.write(`  ε=${e} ${p.padEnd(24)} ${pts.map((q) => formatNumber(q.shift.mean, 3).padStart(8)).join(' ')}\n`);
      }
    }
  }
  ctx.log(`wrote ${files.length} files to ${outDir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return 0;
}
