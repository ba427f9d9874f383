/**
 * `pinhole-bench audit`: the empirical privacy audit of every mechanism, DP selection and private
 * pipeline (and of the deliberately broken variants, which it must catch) over an epsilon grid.
 * Exit status: 0 when every shipped target stays within its claim and every broken variant is
 * caught; 1 when a shipped target's lower bound exceeds its claim; 3 when only a broken variant was
 * missed (the audit was too weak to catch a known bug: raise --trials).
 */
import { cryptoRng } from '@pinhole/core';
import { invalid } from '@pinhole/core/validate';
import { type AuditOutcome, audit } from './audit.js';
import { type AuditResults, writeAuditResults } from './audit-output.js';
import { auditTarget, auditTargetIds, selectTargets } from './audit-suite.js';
import { parseList } from './cli-args.js';
import { formatNumber } from './format.js';
import { readVersions, resultsFolder } from './results-folder.js';

export interface AuditConfig {
  preset: 'quick' | 'paper';
  epsilons: number[];
  /** measurement runs per input of a cheap mechanism (a target of cost c gets trials / c) */
  trials: number;
  alpha: number;
  targets: string[];
  broken: boolean;
  seed: string;
  rng: 'seeded' | 'crypto';
  out?: string;
}

export const AUDIT_PRESETS: Readonly<Record<'quick' | 'paper', { trials: number; epsilons: number[] }>> = {
  // about a minute on one core: mechanisms 50,000 runs per input, pipelines 1,250
  quick: { trials: 50_000, epsilons: [0.5, 1, 2, 4] },
  // tighter bounds: mechanisms 1,000,000 runs per input, pipelines 25,000
  paper: { trials: 1_000_000, epsilons: [0.5, 1, 2, 4] },
};

export const AUDIT_HELP = `pinhole-bench audit [options]
  --preset quick|paper   quick (default): 50,000 runs per input for a cheap mechanism; paper: 1,000,000
  --epsilons 0.5,1,2,4   the epsilon grid every target is built for
  --trials N             measurement runs per input of a cheap mechanism (expensive targets divide by their cost)
  --alpha A              probability that a target meeting its claim fails (default 1e-6, per target)
  --targets p,q          target ids or patterns with * (default every target; --list shows them)
  --no-broken            leave out the deliberately broken variants
  --seed S               seed of the runs (default pinhole-audit)
  --rng seeded|crypto    seeded streams (default, reproducible) or cryptoRng() (the production sampler path)
  --out DIR              results folder (default bench/results/audit-<run id>)
  --list                 list the targets and exit
exit status: 0 all within their claims and every broken variant caught; 1 a shipped target fails;
3 a broken variant was missed (the audit is too weak: raise --trials)`;

function parsePositive(param: string, s: string | undefined): number {
  const x = Number(s);
  if (s === undefined || s.trim() === '' || !Number.isFinite(x) || x <= 0) throw invalid(param, 'a number > 0', s);
  return x;
}

export function parseAuditArgs(args: readonly string[]): AuditConfig | 'help' | 'list' {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const takesValue = new Set(['preset', 'epsilons', 'trials', 'alpha', 'targets', 'seed', 'rng', 'out']);
  const bare = new Set(['no-broken', 'list', 'help']);
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '-h') return 'help';
    if (!a.startsWith('--')) throw invalid('argument', 'a --flag', a);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (bare.has(name)) {
      if (eq > 0) throw invalid(name, 'no value (a bare flag)', a.slice(eq + 1));
      flags.add(name);
    } else if (takesValue.has(name)) {
      const v = eq > 0 ? a.slice(eq + 1) : args[++i];
      if (v === undefined || (eq < 0 && v.startsWith('--'))) throw invalid(name, 'a value after the flag', v);
      values.set(name, v);
    } else throw invalid('flag', `one of ${[...takesValue, ...bare].map((f) => `--${f}`).join(', ')}`, a);
  }
  if (flags.has('help')) return 'help';
  if (flags.has('list')) return 'list';
  const preset = values.get('preset') ?? 'quick';
  if (preset !== 'quick' && preset !== 'paper') throw invalid('preset', 'one of "quick", "paper"', preset);
  const base = AUDIT_PRESETS[preset];
  const epsilons = values.has('epsilons') ? parseList(values.get('epsilons') as string).map((e) => parsePositive('epsilons', e)) : base.epsilons;
  if (epsilons.length === 0) throw invalid('epsilons', 'at least one epsilon', values.get('epsilons'));
  const trials = values.has('trials') ? parsePositive('trials', values.get('trials')) : base.trials;
  if (!Number.isInteger(trials) || trials < 100) throw invalid('trials', 'an integer >= 100', trials);
  const alpha = values.has('alpha') ? parsePositive('alpha', values.get('alpha')) : 1e-6;
  if (!(alpha < 0.5)) throw invalid('alpha', 'a number in (0, 0.5)', alpha);
  const rng = values.get('rng') ?? 'seeded';
  if (rng !== 'seeded' && rng !== 'crypto') throw invalid('rng', 'one of "seeded", "crypto"', rng);
  const broken = !flags.has('no-broken');
  const patterns = values.has('targets') ? parseList(values.get('targets') as string) : ['*'];
  const targets = selectTargets(patterns).filter((id) => broken || !id.startsWith('broken/'));
  if (targets.length === 0) throw invalid('targets', 'at least one target', patterns.join(','));
  return { preset, epsilons, trials, alpha, targets, broken, seed: values.get('seed') ?? 'pinhole-audit', rng, ...(values.has('out') ? { out: values.get('out') as string } : {}) };
}

export function auditList(): string {
  return `${auditTargetIds().join('\n')}\n`;
}

/** Runs the audits of a configuration (what the CLI and the tests share). */
export function runAudits(cfg: Pick<AuditConfig, 'epsilons' | 'trials' | 'alpha' | 'targets' | 'seed' | 'rng'>, log: (line: string) => void = () => {}): AuditOutcome[] {
  const out: AuditOutcome[] = [];
  const total = cfg.targets.length * cfg.epsilons.length;
  for (const epsilon of cfg.epsilons) {
    for (const id of cfg.targets) {
      const o = audit(auditTarget(id, epsilon), { trials: cfg.trials, alpha: cfg.alpha, seed: cfg.seed, ...(cfg.rng === 'crypto' ? { rng: cryptoRng() } : {}) });
      out.push(o);
      const mark = o.broken !== null ? (o.caught ? 'caught' : 'MISSED') : o.verdict === 'pass' ? 'pass' : 'FAIL';
      log(
        `audit ${out.length}/${total} ε=${epsilon} ${id.padEnd(44)} lower ${formatNumber(o.epsilonLower, 3).padStart(6)} / claimed ${formatNumber(o.claimed.epsilon, 3).padStart(5)}  ${mark}  (${o.trials} runs, ${(o.durationMs / 1000).toFixed(1)} s)`,
      );
    }
  }
  return out;
}

export async function runAuditCli(args: string[], ctx: { root: string; runId: string; machine: Record<string, unknown>; log: (line: string) => void }): Promise<number> {
  const cfg = parseAuditArgs(args);
  if (cfg === 'help') {
    process.stdout.write(`${AUDIT_HELP}\n`);
    return 0;
  }
  if (cfg === 'list') {
    process.stdout.write(auditList());
    return 0;
  }
  const started = new Date();
  const t0 = performance.now();
  const outDir = resultsFolder(ctx.root, ctx.runId, cfg.out, 'audit-');
  ctx.log(`pinhole-bench audit: ${cfg.targets.length} targets × ${cfg.epsilons.length} ε, ${cfg.trials} runs per input (cheap mechanisms), α = ${cfg.alpha} per target, rng ${cfg.rng}`);
  const outcomes = runAudits(cfg, ctx.log);
  const failures = [...new Set(outcomes.filter((o) => o.broken === null && o.verdict === 'fail').map((o) => `${o.id} at ε = ${o.epsilon}`))];
  const missed = [...new Set(outcomes.filter((o) => o.broken !== null && !o.caught).map((o) => `${o.id} at ε = ${o.epsilon}`))];
  const quote = (a: string) => (/^[\w@%+=:,./*-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const results: AuditResults = {
    schema: 'pinhole-bench/audit@1',
    config: { ...cfg },
    seed: cfg.seed,
    versions: readVersions(ctx.root),
    machine: ctx.machine,
    startedAt: started.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    outcomes,
    failures,
    missed,
    reproduce: {
      command: `npx pinhole-bench audit ${args
        .filter((a, i) => !(a === '--out' || args[i - 1] === '--out' || a.startsWith('--out=')))
        .map(quote)
        .join(' ')}`.trim(),
      note: cfg.rng === 'crypto' ? 'cryptoRng(): not reproducible run for run' : 'seeded: the same command gives the same numbers',
    },
  };
  const files = await writeAuditResults(outDir, results);
  for (const f of failures) process.stdout.write(`FAIL: ${f}: the empirical lower bound exceeds the claimed epsilon\n`);
  for (const m of missed) process.stdout.write(`MISSED: ${m}: a deliberately broken variant passed (raise --trials)\n`);
  process.stdout.write(`audit: ${outcomes.length} audits, ${failures.length} failures, ${missed.length} broken variants missed\n`);
  ctx.log(`wrote ${files.length} files to ${outDir} (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  return failures.length > 0 ? 1 : missed.length > 0 ? 3 : 0;
}
