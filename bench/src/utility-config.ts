/**
 * The configuration of `pinhole-bench utility`: its options as flags or a JSON config file, the
 * presets `quick` and `paper`, their checks, and the effective configuration written beside the
 * results (config.json).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { INSIGHTS, PinholeError } from '@pinhole/core';
import { invalid } from '@pinhole/core/validate';
import { parseList, parseNumber } from './cli-args.js';
import { PIPELINE_IDS, type SimulationMode } from './pipelines.js';
import { DEFAULT_TARGETS } from './target.js';

export interface UtilityConfig {
  preset: 'quick' | 'paper';
  /** "synthetic", "mobilebandwidth", or a CSV path */
  data: string;
  /** column mapping for a CSV, e.g. "downlink=DL_bitrate:kbps,operator=Operator" */
  map?: string;
  /** the CSV column naming the privacy unit (default: the map's device column) */
  unitColumn?: string;
  /** the user states that every row of a CSV without a unit column is its own unit */
  rowsAreUnits: boolean;
  /** row filters, all of which must hold: "NetworkMode=LTE,5G", "Operator!=test" */
  where: string[];
  /** constants for fields without a column: "networkType=4g,operator=262-01,region=de,deviceClass=other" */
  defaults?: string;
  /** a JSON file of public domains ({ operators, regions, cells }) */
  domains?: string;
  /** contribution bounding before anything: at most this many rows per unit */
  maxRowsPerUnit?: number;
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
  /** error targets for the epsilon-for-target table, per metric or per insight id */
  targets: Record<string, number>;
}

export const PRESETS: Readonly<Record<'quick' | 'paper', Omit<UtilityConfig, 'preset' | 'data' | 'seed' | 'rowsAreUnits' | 'where' | 'targets'>>> = {
  // quick: every insight and pipeline on 100,000 synthetic devices, sufficient statistics sampled
  // directly: a couple of minutes on two cores.
  quick: { devices: 100_000, insights: INSIGHTS.map((i) => i.id), pipelines: [...PIPELINE_IDS], epsilons: [0.5, 1, 2, 4, 8, 16], delta: 1e-6, k: 20, trials: 5, mode: 'aggregate', workers: 0 },
  // paper: a million devices, a finer and wider grid and 20 trials. Oracles' tallies are sampled
  // from their exact law (validated against per-device simulation in bench/test/modes.test.ts);
  // --mode device simulates every device on all cores instead.
  paper: {
    devices: 1_000_000,
    insights: INSIGHTS.map((i) => i.id),
    pipelines: [...PIPELINE_IDS],
    epsilons: [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64],
    delta: 1e-6,
    k: 20,
    trials: 20,
    mode: 'aggregate',
    workers: 0,
  },
};

/** Every option, as a flag (--name) and as a key of --config: takes a value, is a bare flag, or may repeat. */
const OPTIONS: Readonly<Record<string, 'value' | 'flag' | 'repeat'>> = {
  preset: 'value',
  config: 'value',
  data: 'value',
  map: 'value',
  'unit-column': 'value',
  'rows-are-units': 'flag',
  where: 'repeat',
  defaults: 'value',
  domains: 'value',
  'max-rows-per-unit': 'value',
  devices: 'value',
  insights: 'value',
  pipelines: 'value',
  epsilons: 'value',
  delta: 'value',
  k: 'value',
  trials: 'value',
  seed: 'value',
  mode: 'value',
  workers: 'value',
  out: 'value',
  targets: 'value',
  help: 'flag',
};

export const HELP = `pinhole-bench utility [options]
  --preset quick|paper     quick (default): 100k devices, 6 epsilons, 5 trials; paper: 1M devices, 9 epsilons, 20 trials
  --config file.json       any of the options below as JSON keys (flags override it)
  --data synthetic|mobilebandwidth|<file.csv[.gz]>
                           default synthetic; mobilebandwidth is vendored in datasets/data (../shared/datasets
                           or PINHOLE_DATA_DIR override it)
  --map field=column[:unit],...
                           CSV column mapping. fields: downlink, uplink, rtt, rsrp, rsrq, sinr, wifiRssi,
                           networkType, operator, region, cell, deviceClass, device, timestamp, activity,
                           videoBitrate, rebufferRatio, stallCount, startupDelay. units: Mbps, kbps, bps,
                           Gbps, MB/s (rates), ms, s (times), %, ratio. Without a unit the schema's is assumed.
  --unit-column COLUMN     the privacy unit (default: the map's device column)
  --rows-are-units         state that every row is its own unit (a CSV without a unit column is refused otherwise)
  --where column=v1,v2     keep rows whose column is one of the values (column!=v excludes); repeat for AND
  --defaults field=value,… constants for fields without a column: networkType, operator (MCC-MNC), region, deviceClass
  --domains file.json      public domains {"operators": […], "regions": […], "cells": ["region/cell", …]};
                           any domain not declared is chosen by DP partition selection, charged to the budget
  --max-rows-per-unit N    contribution bounding: keep at most N rows per unit (chosen at random)
  --devices N              synthetic population size
  --insights a,b           insight ids (pinhole-bench list)
  --pipelines a,b          pipeline ids; a trailing * matches a prefix (ldp-*)
  --epsilons 0.5,1,2       per-device budget of the whole round
  --delta 1e-6  --k 20  --trials 5  --seed pinhole
  --mode aggregate|device  sample sufficient statistics directly, or simulate every device (on all cores)
  --workers N              worker threads for device mode (default: all cores)
  --targets m=x,…          error targets for "epsilon needed", per metric (tvd, absolute_pp, relative, miss_at_k)
                           or insight id; defaults ${Object.entries(DEFAULT_TARGETS)
                             .map(([m, t]) => `${m}=${t}`)
                             .join(',')}
  --out DIR                results folder (default bench/results/<run id>)`;

function unknownOption(name: string, where: string): PinholeError {
  const list = Object.keys(OPTIONS)
    .map((o) => `--${o}`)
    .join(', ');
  return new PinholeError('invalid_argument', 'option', `unknown option ${where === 'flag' ? `--${name}` : `"${name}" in the config file`}; the options are: ${list}`);
}

/** An option's value as text: flags are strings, the config file's JSON may hold numbers or booleans. */
function scalarText(key: string, v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  throw invalid(key, 'a string, number or boolean', v);
}

function parseTargets(text: string): Record<string, number> {
  const out: Record<string, number> = { ...DEFAULT_TARGETS };
  for (const part of parseList(text)) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq <= 0 || !(key in DEFAULT_TARGETS || INSIGHTS.some((i) => i.id === key)))
      throw invalid('targets', `metric=value or insight=value pairs (metrics: ${Object.keys(DEFAULT_TARGETS).join(', ')}; insights: pinhole-bench list)`, part);
    const v = parseNumber(`targets.${key}`, part.slice(eq + 1));
    if (!(v > 0)) throw invalid(`targets.${key}`, 'a number > 0', v);
    out[key] = v;
  }
  return out;
}

export function parseUtilityArgs(args: readonly string[]): UtilityConfig | 'help' {
  const flags = new Map<string, string>();
  const repeated = new Map<string, string[]>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--help' || a === '-h') return 'help';
    if (!a.startsWith('--')) throw invalid('argument', 'a --flag', a);
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const kind = OPTIONS[name];
    if (kind === undefined) throw unknownOption(name, 'flag');
    let value: string;
    if (kind === 'flag') {
      if (eq > 0) throw invalid(name, 'no value (a bare flag)', a.slice(eq + 1));
      value = 'true';
    } else if (eq > 0) value = a.slice(eq + 1);
    else {
      const v = args[i + 1];
      if (v === undefined || v.startsWith('--')) throw invalid(name, 'a value after the flag', v);
      value = v;
      i++;
    }
    if (kind === 'repeat') repeated.set(name, [...(repeated.get(name) ?? []), value]);
    else flags.set(name, value);
  }
  let file: Record<string, unknown> = {};
  if (flags.has('config')) {
    const path = flags.get('config') as string;
    try {
      file = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch (err) {
      throw new PinholeError('invalid_argument', 'config', `"config" expected a readable JSON file, got ${JSON.stringify(path)} (${(err as Error).message})`, { cause: err });
    }
    if (file === null || typeof file !== 'object' || Array.isArray(file)) throw invalid('config', 'a JSON object of options', file);
    for (const key of Object.keys(file)) if (OPTIONS[key] === undefined || key === 'config' || key === 'help') throw unknownOption(key, 'config');
  }
  const get = (key: string): unknown => (flags.has(key) ? flags.get(key) : file[key]);
  const preset = (get('preset') ?? 'quick') as string;
  if (preset !== 'quick' && preset !== 'paper') throw invalid('preset', 'one of "quick", "paper"', preset);
  const base = PRESETS[preset];
  const list = (key: string, fallback: readonly string[]): string[] => {
    const v = get(key);
    return v === undefined ? [...fallback] : Array.isArray(v) ? v.map(String) : parseList(scalarText(key, v));
  };
  const num = (key: string, fallback: number): number => {
    const v = get(key);
    return v === undefined ? fallback : parseNumber(key, scalarText(key, v));
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
  const mode = scalarText('mode', get('mode') ?? base.mode);
  if (mode !== 'aggregate' && mode !== 'device') throw invalid('mode', 'one of "aggregate", "device"', mode);
  const whereFile = file.where;
  const where = repeated.get('where') ?? (whereFile === undefined ? [] : Array.isArray(whereFile) ? whereFile.map(String) : [scalarText('where', whereFile)]);
  const rowsAreUnits = get('rows-are-units');
  const targets = get('targets');
  const cfg: UtilityConfig = {
    preset,
    data: scalarText('data', get('data') ?? 'synthetic'),
    rowsAreUnits: rowsAreUnits === true || rowsAreUnits === 'true',
    where,
    devices: num('devices', base.devices),
    seed: scalarText('seed', get('seed') ?? 'pinhole'),
    insights,
    pipelines: [...new Set(pipelines)],
    epsilons: [...new Set(epsilons)].sort((a, b) => a - b),
    delta: num('delta', base.delta),
    k: num('k', base.k),
    trials: num('trials', base.trials),
    mode,
    workers: num('workers', base.workers),
    targets:
      targets === undefined
        ? { ...DEFAULT_TARGETS }
        : typeof targets === 'object' && targets !== null
          ? parseTargets(
              Object.entries(targets)
                .map(([k, v]) => `${k}=${String(v)}`)
                .join(','),
            )
          : parseTargets(scalarText('targets', targets)),
  };
  for (const [key, field] of [
    ['map', 'map'],
    ['unit-column', 'unitColumn'],
    ['defaults', 'defaults'],
    ['domains', 'domains'],
    ['out', 'out'],
  ] as const) {
    const v = get(key);
    if (v !== undefined) cfg[field] = scalarText(key, v);
  }
  if (get('max-rows-per-unit') !== undefined) {
    const m = num('max-rows-per-unit', 0);
    if (!Number.isSafeInteger(m) || m < 1) throw invalid('max-rows-per-unit', 'an integer >= 1', m);
    cfg.maxRowsPerUnit = m;
  }
  if (!Number.isSafeInteger(cfg.devices) || cfg.devices < 1) throw invalid('devices', 'an integer >= 1', cfg.devices);
  if (!Number.isSafeInteger(cfg.trials) || cfg.trials < 1) throw invalid('trials', 'an integer >= 1', cfg.trials);
  if (!Number.isSafeInteger(cfg.k) || cfg.k < 1) throw invalid('k', 'an integer >= 1', cfg.k);
  if (!(cfg.delta > 0 && cfg.delta < 1)) throw invalid('delta', 'a number in (0, 1)', cfg.delta);
  if (cfg.data === 'synthetic' || cfg.data === 'mobilebandwidth') {
    for (const key of ['map', 'unit-column', 'rows-are-units', 'where', 'defaults'] as const) {
      if (get(key) !== undefined || (key === 'where' && where.length > 0)) throw invalid(key, `a CSV given with --data (it maps a CSV's columns; --data is ${cfg.data})`, get(key) ?? where);
    }
  }
  return cfg;
}

/** The run's options as a --config file: flag names, every default spelled out, the output folder left out. */
export function effectiveConfig(cfg: UtilityConfig): Record<string, unknown> {
  const out: Record<string, unknown> = {
    preset: cfg.preset,
    data: cfg.data === 'synthetic' || cfg.data === 'mobilebandwidth' ? cfg.data : resolve(cfg.data),
    devices: cfg.devices,
    seed: cfg.seed,
    insights: cfg.insights,
    pipelines: cfg.pipelines,
    epsilons: cfg.epsilons,
    delta: cfg.delta,
    k: cfg.k,
    trials: cfg.trials,
    mode: cfg.mode,
    workers: cfg.workers,
    targets: cfg.targets,
  };
  if (cfg.map !== undefined) out.map = cfg.map;
  if (cfg.unitColumn !== undefined) out['unit-column'] = cfg.unitColumn;
  if (cfg.rowsAreUnits) out['rows-are-units'] = true;
  if (cfg.where.length) out.where = cfg.where;
  if (cfg.defaults !== undefined) out.defaults = cfg.defaults;
  if (cfg.domains !== undefined) out.domains = resolve(cfg.domains);
  if (cfg.maxRowsPerUnit !== undefined) out['max-rows-per-unit'] = cfg.maxRowsPerUnit;
  return out;
}
