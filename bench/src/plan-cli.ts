/**
 * `pinhole-bench plan`: turns the bench's settings into a deployable collection plan, made by the
 * same `makePlan` the bench's pipelines use, so what the bench measured is what ships. Domains are
 * declared: a JSON file (--domains) or, by default, the synthetic generator's public world.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type MakePlanOptions, makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import { INSIGHTS, type PlanDomains } from '@pinhole/core';
import { invalid } from '@pinhole/core/validate';
import { planRoundLoss } from '@pinhole/core/plan';
import { type MeasurementTable, syntheticChunks, syntheticWorld } from '@pinhole/datasets';
import { NUMERIC_NAMES, ORACLE_NAMES, type NumericName, type OracleName } from '@pinhole/ldp';
import { domainsOf } from './prepare.js';
import { PRESETS } from './utility-config.js';

export const PLAN_PIPELINES: readonly string[] = ['ldp-auto', 'central-dp', 'secagg-ddp', 'prio3-dp', ...ORACLE_NAMES.map((n) => `ldp-${n}`), ...NUMERIC_NAMES.map((n) => `ldp-${n}`)];

export const PLAN_HELP = `pinhole-bench plan --epsilon E [options]
  A deployable collection plan (JSON) from the bench's settings, made with the same makePlan the
  bench's pipelines use.
  --epsilon E              per-device budget of one period (required)
  --delta 1e-6             per period
  --insights a,b           insight ids (default: every insight; pinhole-bench list)
  --pipeline P             ldp-auto (default), central-dp, secagg-ddp, prio3-dp (two aggregators), ldp-<oracle> or ldp-<numeric mechanism>
  --domains file.json      the PUBLIC domains { "operators": [...], "regions": [...], "cells": [...], "cellRegions"?: [...] }
                           (default: the synthetic generator's world for --seed; never the data's own values)
  --devices N              devices expected per round (default ${PRESETS.quick.devices}): the oracle choice and the secure-aggregation cohort
  --k 20                   release a group once its estimated contributors reach k
  --min-cohort N           refuse a round with fewer reports per collection (default k; secure aggregation: its survivor floor)
  --rounds-per-period 1  --period-seconds 604800  --period-start 2025-01-06T00:00:00Z
  --round-seconds S        a round closes after S seconds (default period / rounds)
  --close-at-reports N     ... or after N reports
  --dropout-rate 0         secure aggregation: expected dropouts (shares are sized for the rest)
  --on-shortfall top_up    secure aggregation: top_up (as the bench's secagg-ddp) or refuse
  --id pinhole-plan  --revision 1  --seed pinhole
  --out plan.json          (default: stdout)`;

function flagsOf(args: readonly string[]): Map<string, string> | 'help' {
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
  return flags;
}

const KNOWN = [
  'epsilon',
  'delta',
  'insights',
  'pipeline',
  'domains',
  'devices',
  'k',
  'min-cohort',
  'rounds-per-period',
  'period-seconds',
  'period-start',
  'round-seconds',
  'close-at-reports',
  'dropout-rate',
  'on-shortfall',
  'id',
  'revision',
  'seed',
  'out',
];

function num(flags: Map<string, string>, key: string): number | undefined {
  const s = flags.get(key);
  if (s === undefined) return undefined;
  const x = Number(s);
  if (s.trim() === '' || !Number.isFinite(x)) throw invalid(key, 'a number', s);
  return x;
}

/** The plan options for the bench's settings (exported for tests). */
export function planOptionsFromArgs(args: readonly string[]): (MakePlanOptions & { out?: string }) | 'help' {
  const flags = flagsOf(args);
  if (flags === 'help') return 'help';
  for (const key of flags.keys()) if (!KNOWN.includes(key)) throw invalid(key, `a known option (${KNOWN.map((k) => `--${k}`).join(', ')})`, flags.get(key));
  const epsilon = num(flags, 'epsilon');
  if (epsilon === undefined) throw invalid('epsilon', 'the per-device budget of one period (--epsilon)', undefined);
  const pipeline = flags.get('pipeline') ?? 'ldp-auto';
  if (!PLAN_PIPELINES.includes(pipeline)) throw invalid('pipeline', `one of ${PLAN_PIPELINES.join(', ')}`, pipeline);
  const insights = flags.has('insights')
    ? (flags.get('insights') as string)
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean)
    : INSIGHTS.map((i) => i.id);
  const seed = flags.get('seed') ?? 'pinhole';
  let domains: PlanDomains;
  if (flags.has('domains')) {
    const path = resolve(flags.get('domains') as string);
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch {
      throw invalid('domains', 'a readable JSON file', flags.get('domains'));
    }
    try {
      domains = JSON.parse(text) as PlanDomains;
    } catch {
      throw invalid('domains', 'a file of valid JSON', flags.get('domains'));
    }
  } else {
    domains = syntheticDomains(seed);
  }
  const name = pipeline.slice(4);
  let mode: MakePlanOptions['mode'] = 'ldp';
  let extra: Partial<MakePlanOptions> = {};
  if (pipeline === 'central-dp') mode = 'central';
  else if (pipeline === 'prio3-dp') mode = 'prio3';
  else if (pipeline === 'secagg-ddp') {
    mode = 'secagg';
    const dropoutRate = num(flags, 'dropout-rate') ?? 0;
    const onShortfall = flags.get('on-shortfall') ?? 'top_up';
    if (onShortfall !== 'top_up' && onShortfall !== 'refuse') throw invalid('on-shortfall', 'one of "top_up", "refuse"', onShortfall);
    extra = { secagg: { noise: 'skellam', dropoutRate, onShortfall } };
  } else if (pipeline === 'ldp-auto') extra = { ldp: { oracle: 'auto', numeric: 'auto' } };
  else if ((ORACLE_NAMES as readonly string[]).includes(name)) extra = { ldp: { oracle: name as OracleName, numeric: 'auto' } };
  else extra = { ldp: { oracle: 'auto', numeric: name as NumericName } };
  if (mode !== 'secagg' && (flags.has('dropout-rate') || flags.has('on-shortfall')))
    throw invalid('dropout-rate', 'secure-aggregation options only with --pipeline secagg-ddp', flags.get('dropout-rate') ?? flags.get('on-shortfall'));
  const schedule: { roundsPerPeriod?: number; roundSeconds?: number; closeAtReports?: number } = {};
  const rounds = num(flags, 'rounds-per-period');
  if (rounds !== undefined) schedule.roundsPerPeriod = rounds;
  const roundSeconds = num(flags, 'round-seconds');
  if (roundSeconds !== undefined) schedule.roundSeconds = roundSeconds;
  const closeAt = num(flags, 'close-at-reports');
  if (closeAt !== undefined) schedule.closeAtReports = closeAt;
  const periodSeconds = num(flags, 'period-seconds');
  const k = num(flags, 'k');
  const minCohort = num(flags, 'min-cohort');
  const revision = num(flags, 'revision');
  const out = flags.get('out');
  return {
    id: flags.get('id') ?? 'pinhole-plan',
    ...(revision === undefined ? {} : { revision }),
    description: `made by pinhole-bench plan --pipeline ${pipeline}`,
    insights,
    domains,
    budget: {
      epsilon,
      delta: num(flags, 'delta') ?? 1e-6,
      ...(periodSeconds === undefined ? {} : { periodSeconds }),
      ...(flags.has('period-start') ? { periodStart: flags.get('period-start') as string } : {}),
    },
    schedule,
    mode,
    expectedDevices: num(flags, 'devices') ?? PRESETS.quick.devices,
    ...(k === undefined ? {} : { k }),
    ...(minCohort === undefined ? {} : { minCohort }),
    ...extra,
    ...(out === undefined ? {} : { out }),
  };
}

/** The synthetic generator's public world for a seed: its declared operators, regions and cells, and each cell's region. */
function syntheticDomains(seed: string): PlanDomains {
  const first = syntheticChunks({ devices: 1, seed }).next().value as MeasurementTable;
  const w = syntheticWorld({ seed });
  return { ...domainsOf(first), cellRegions: Array.from(w.cellRegion, (r) => w.regions[r] as string) };
}

export function runPlanCli(args: readonly string[], log: (line: string) => void): number {
  const options = planOptionsFromArgs(args);
  if (options === 'help') {
    process.stdout.write(`${PLAN_HELP}\n`);
    return 0;
  }
  const { out, ...planOptions } = options;
  const plan = makePlan(planOptions);
  makeReleaseEngine(plan); // the engine accepts it: every resolved parameter checked against the libraries
  const text = `${JSON.stringify(plan, null, 2)}\n`;
  if (out === undefined) process.stdout.write(text);
  else writeFileSync(resolve(out), text);
  const round = planRoundLoss(plan);
  log(
    `plan "${plan.id}" revision ${plan.revision}: ${plan.collections.length} collections, ${plan.schedule.roundsPerPeriod} round(s) per ${plan.budget.periodSeconds} s period, each round epsilon ${round.epsilon}, delta ${round.delta}`,
  );
  for (const c of plan.collections) {
    const m = c.mechanism as { kind: string; name?: string; noise?: string };
    log(
      `  ${c.id.padEnd(26)} ${c.mode.padEnd(7)} ${(m.name ?? m.noise ?? m.kind).padEnd(20)} epsilon ${c.privacyLoss.epsilon}, delta ${c.privacyLoss.delta}, k ${c.gate.k}, min cohort ${c.minCohort}`,
    );
  }
  if (out !== undefined) log(`wrote ${resolve(out)}`);
  return 0;
}
