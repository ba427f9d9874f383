/**
 * `pinhole-bench utility` (the default): flags or a JSON config, presets `quick` and `paper`, data
 * from the synthetic generator (default), the real mobilebandwidth files, or any CSV with a column
 * mapping. Progress goes to stderr; the results folder gets every output file.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { INSIGHTS, type InsightDomains, PinholeError, getInsight, invalid } from '@pinhole/core';
import { seededRng } from '@pinhole/core/testing';
import {
  type LoadResult,
  type MeasurementTable,
  MOBILEBANDWIDTH_DOMAINS_SOURCE,
  MOBILEBANDWIDTH_OPERATORS,
  MOBILEBANDWIDTH_REGIONS,
  type TableSummary,
  boundRowsPerUnit,
  loadCsv,
  loadMobileBandwidth,
  parseColumnMap,
  restrictToDomains,
  summarizeTable,
  syntheticChunks,
} from '@pinhole/datasets';
import { type DeclaredDomains, type DomainKey, type DomainReport, DOMAIN_KEYS, readDomainFile, resolveDomains } from './domains.js';
import { explainInsight, uninformativeError } from './explain.js';
import { type InsightInfo, type PipelineInfo, type ResultPoint, type UtilityResults, formatNumber, writeResults } from './output.js';
import { PIPELINE_IDS, type SimulationMode } from './pipelines.js';
import { type CollectionData, domainsOf } from './prepare.js';
import { type SweepResult, collectionsFor, prepareCollections, sweep } from './run.js';
import { DEFAULT_TARGETS, epsilonForTarget } from './target.js';
import { WorkerPool } from './workers.js';

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
  paper: { devices: 1_000_000, insights: INSIGHTS.map((i) => i.id), pipelines: [...PIPELINE_IDS], epsilons: [0.25, 0.5, 1, 2, 4, 8, 16, 32, 64], delta: 1e-6, k: 20, trials: 20, mode: 'aggregate', workers: 0 },
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
                           or insight id; defaults ${Object.entries(DEFAULT_TARGETS).map(([m, t]) => `${m}=${t}`).join(',')}
  --out DIR                results folder (default bench/results/<run id>)`;

function parseList(s: string): string[] {
  return s.split(',').map((x) => x.trim()).filter(Boolean);
}

function parseNumber(param: string, s: string | undefined): number {
  const x = Number(s);
  if (s === undefined || s.trim() === '' || !Number.isFinite(x)) throw invalid(param, 'a number', s);
  return x;
}

function unknownOption(name: string, where: string): PinholeError {
  const list = Object.keys(OPTIONS).map((o) => `--${o}`).join(', ');
  return new PinholeError('invalid_argument', 'option', `unknown option ${where === 'flag' ? `--${name}` : `"${name}" in the config file`}; the options are: ${list}`);
}

function parseTargets(text: string): Record<string, number> {
  const out: Record<string, number> = { ...DEFAULT_TARGETS };
  for (const part of parseList(text)) {
    const eq = part.indexOf('=');
    const key = part.slice(0, eq).trim();
    if (eq <= 0 || !(key in DEFAULT_TARGETS || INSIGHTS.some((i) => i.id === key))) throw invalid('targets', `metric=value or insight=value pairs (metrics: ${Object.keys(DEFAULT_TARGETS).join(', ')}; insights: pinhole-bench list)`, part);
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
  const whereFile = file.where;
  const where = repeated.get('where') ?? (whereFile === undefined ? [] : Array.isArray(whereFile) ? whereFile.map(String) : [String(whereFile)]);
  const rowsAreUnits = get('rows-are-units');
  const targets = get('targets');
  const cfg: UtilityConfig = {
    preset,
    data: String(get('data') ?? 'synthetic'),
    rowsAreUnits: rowsAreUnits === true || rowsAreUnits === 'true',
    where,
    devices: num('devices', base.devices),
    seed: String(get('seed') ?? 'pinhole'),
    insights,
    pipelines: [...new Set(pipelines)],
    epsilons: [...new Set(epsilons)].sort((a, b) => a - b),
    delta: num('delta', base.delta),
    k: num('k', base.k),
    trials: num('trials', base.trials),
    mode,
    workers: num('workers', base.workers),
    targets: targets === undefined ? { ...DEFAULT_TARGETS } : typeof targets === 'object' && targets !== null ? parseTargets(Object.entries(targets).map(([k, v]) => `${k}=${String(v)}`).join(',')) : parseTargets(String(targets)),
  };
  for (const [key, field] of [
    ['map', 'map'],
    ['unit-column', 'unitColumn'],
    ['defaults', 'defaults'],
    ['domains', 'domains'],
    ['out', 'out'],
  ] as const) {
    const v = get(key);
    if (v !== undefined) cfg[field] = String(v);
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

/** One step of getting the data ready, with what it kept and why it dropped the rest. */
export interface DataStep {
  readonly step: string;
  readonly rows: number;
  readonly kept: number;
  readonly dropped: Readonly<Record<string, number>>;
  readonly note?: string;
}

/** Public domains and tables of one round (its total budget epsilon). */
export interface Round {
  readonly domains: InsightDomains;
  readonly tables: () => Iterable<MeasurementTable>;
  /** share of the round's budget spent on selecting the domains (0 when all are declared) */
  readonly selectionShare: number;
  readonly domainSteps: readonly DataStep[];
  /** why nothing can be released in this round (a selection that kept no label), if so */
  readonly emptyNote?: string;
}

export interface OpenedData {
  /** the run's data description for results.json (completed with `sha256` once the tables were read, for synthetic data) */
  readonly describe: Record<string, unknown>;
  /** domains and tables, when they do not depend on the round (synthetic data, or every domain declared) */
  readonly fixed: boolean;
  /** the fixed domains and tables; throw when the domains are selected per round (use `round`) */
  readonly domains: InsightDomains;
  readonly tables: () => Iterable<MeasurementTable>;
  /** the round at total budget (epsilon, delta) with `collections` collections */
  round(epsilon: number, delta: number, collections: number): Round;
  /** lines to print before the run: the summary of the mapped data, conversions, warnings */
  readonly summary: readonly string[];
  readonly domainReports: () => Record<DomainKey, DomainReport>;
}

function parseDefaults(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of parseList(text)) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw invalid('defaults', 'field=value pairs (networkType, operator, region, deviceClass)', part);
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

const num = (x: number) => x.toLocaleString('en-US', { maximumFractionDigits: 2 });

function describeSummary(s: TableSummary): string[] {
  const r = s.rowsPerUnit;
  const lines = [
    `data: ${num(s.rows)} rows, ${num(s.units)} privacy units (rows per unit: min ${num(r.min)}, median ${num(r.median)}, mean ${num(r.mean)}, p90 ${num(r.p90)}, max ${num(r.max)}); groups: ${s.groups.operators} operators, ${s.groups.regions} regions, ${s.groups.cells} cells; ${num(s.videoSessions)} video sessions`,
    `  network types: ${Object.entries(s.networkTypes).map(([t, n]) => `${t} ${num(n)}`).join(', ')}`,
  ];
  for (const [f, v] of Object.entries(s.fields)) lines.push(`  ${f}: ${num(v.values)} values, p10 ${num(v.p10)}, median ${num(v.median)}, p90 ${num(v.p90)} ${v.unit}`);
  return lines;
}

/** Combined hash of the files read (each file's SHA-256, in order). */
function dataHash(r: LoadResult): string {
  const h = createHash('sha256');
  for (const s of r.sources) h.update(`${s.name}\0${s.sha256}\n`);
  return h.digest('hex');
}

function loadSteps(r: LoadResult): DataStep[] {
  const steps: DataStep[] = [{ step: 'read', rows: r.rows, kept: r.rows, dropped: {} }];
  let rows = r.rows;
  if (r.filtered.total > 0 || Object.keys(r.filtered.byCondition).length > 0) {
    steps.push({ step: 'filter (--where)', rows, kept: rows - r.filtered.total, dropped: r.filtered.byCondition });
    rows -= r.filtered.total;
  }
  steps.push({ step: 'schema', rows, kept: rows - r.rejected.total, dropped: r.rejected.byReason as Record<string, number> });
  return steps;
}

export function openData(cfg: UtilityConfig): OpenedData {
  if (cfg.data === 'synthetic') {
    if (cfg.domains !== undefined) throw invalid('domains', 'real data (the synthetic world declares its own domains)', cfg.domains);
    const options = { devices: cfg.devices, seed: cfg.seed };
    const first = syntheticChunks({ devices: 1, seed: cfg.seed }).next().value as MeasurementTable;
    const domains = domainsOf(first);
    const describe: Record<string, unknown> = { source: 'synthetic', devices: cfg.devices, generator: '@pinhole/datasets syntheticChunks', seed: cfg.seed };
    const hash = createHash('sha256');
    let hashed = false;
    // the data hash covers every column of every chunk, computed as the run reads them
    const tables = function* (): Generator<MeasurementTable> {
      for (const t of syntheticChunks(options, 250_000)) {
        if (!hashed) for (const col of Object.values(t.columns)) hash.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
        yield t;
      }
      if (!hashed) {
        hashed = true;
        describe.sha256 = hash.digest('hex');
      }
    };
    const from = 'the synthetic world, built from the seed before any device exists';
    const report = (values: readonly string[]): DomainReport => ({ source: 'generator', from, values });
    return {
      describe,
      fixed: true,
      domains,
      tables,
      round: () => ({ domains, tables, selectionShare: 0, domainSteps: [] }),
      summary: [`data: synthetic, ${num(cfg.devices)} devices (seed ${cfg.seed}); domains from the generator's world: ${domains.operators.length} operators, ${domains.regions.length} regions, ${domains.cells.length} cells`],
      domainReports: () => ({ operators: report(domains.operators), regions: report(domains.regions), cells: report(domains.cells) }),
    };
  }
  // real data: a loaded table, bounded, then restricted to public domains per round
  let loaded: LoadResult;
  let declared: DeclaredDomains = {};
  let hasCellColumn: boolean;
  if (cfg.data === 'mobilebandwidth') {
    loaded = loadMobileBandwidth();
    declared = {
      operators: { source: 'declared', from: `the data set's public vocabulary: ${MOBILEBANDWIDTH_DOMAINS_SOURCE.operators}`, values: MOBILEBANDWIDTH_OPERATORS },
      regions: { source: 'declared', from: `the data set's public vocabulary: ${MOBILEBANDWIDTH_DOMAINS_SOURCE.regions}`, values: MOBILEBANDWIDTH_REGIONS },
    };
    hasCellColumn = true;
  } else {
    const mapping = parseColumnMap(cfg.map ?? 'downlink=downlink');
    const map = { ...mapping.map };
    if (cfg.unitColumn !== undefined) {
      if (map.device !== undefined && map.device !== cfg.unitColumn) throw invalid('unit-column', `the map's device column (${map.device}) or no device in the map`, cfg.unitColumn);
      map.device = cfg.unitColumn;
    }
    if (map.device === undefined && !cfg.rowsAreUnits) {
      throw invalid('unit-column', 'the column naming the privacy unit (--unit-column user_id, or device=user_id in --map); a file without one is refused unless you state that every row is its own unit (--rows-are-units)', undefined);
    }
    const defaults = cfg.defaults === undefined ? {} : parseDefaults(cfg.defaults);
    const path = resolve(cfg.data);
    loaded = loadCsv(path, { map, units: mapping.units, where: cfg.where, rowsAreUnits: cfg.rowsAreUnits, defaults: defaults as never });
    hasCellColumn = map.cell !== undefined;
    if (map.operator === undefined && defaults.operator !== undefined) declared.operators = { source: 'constant', from: '--defaults operator (no operator column)', values: [defaults.operator] };
    if (map.region === undefined) declared.regions = { source: 'constant', from: defaults.region !== undefined ? '--defaults region (no region column)' : 'no region column: one region, "all"', values: [defaults.region ?? 'all'] };
  }
  if (cfg.domains !== undefined) {
    const file = readDomainFile(cfg.domains);
    for (const key of DOMAIN_KEYS) if (file[key]) declared[key] = file[key];
  }
  const steps = loadSteps(loaded);
  let table = loaded.table;
  if (cfg.maxRowsPerUnit !== undefined) {
    const b = boundRowsPerUnit(table, cfg.maxRowsPerUnit, seededRng(cfg.seed).stream('contribution-bound'));
    steps.push({ step: `contribution bound (at most ${b.bound} rows per unit)`, rows: table.length, kept: b.rowsKept, dropped: { rows_over_bound: b.rowsDropped }, note: `${b.unitsOverBound} of ${b.units} units had more rows than the bound` });
    table = b.table;
  }
  const summary = summarizeTable(table);
  const lines = describeSummary(summary);
  lines.unshift(`read ${loaded.sources.map((s) => `${s.name} (${num(s.bytes)} bytes, sha256 ${s.sha256.slice(0, 12)}…)`).join(', ')}`);
  for (const st of steps.slice(1)) lines.push(`step ${st.step}: kept ${num(st.kept)} of ${num(st.rows)}${Object.keys(st.dropped).length ? `; dropped ${Object.entries(st.dropped).map(([k, v]) => `${k} ${num(v)}`).join(', ')}` : ''}${st.note ? ` (${st.note})` : ''}`);
  for (const c of loaded.conversions) lines.push(`unit: ${c.field} ← ${c.column} in ${c.unit}${c.stated ? '' : ' (assumed: no unit stated)'}${c.factor === 1 ? '' : ` × ${c.factor}`} → ${c.schemaUnit}`);
  const unitColumn = cfg.data === 'mobilebandwidth' ? 'user_uid' : (cfg.unitColumn ?? parseColumnMap(cfg.map ?? 'downlink=downlink').map.device);
  const unitNote = unitColumn ?? 'every row (--rows-are-units)';
  lines.push(`privacy unit: ${unitNote}; each unit reports 1 measurement per collection (its other rows count only in the truth, weighted 1/rows)`);
  for (const w of loaded.warnings) lines.push(`WARNING: ${w.message}`);

  const toSelect = DOMAIN_KEYS.filter((k) => declared[k] === undefined && !(k === 'cells' && !hasCellColumn));
  const fixedDomains = toSelect.length === 0 ? resolveDomains(table, declared, { hasCellColumn }).domains : null;
  const selections: { epsilon: number; epsilonSelection: number; deltaSelection: number; selected: Partial<Record<DomainKey, { values: readonly string[]; candidates: number }>> }[] = [];
  const restrict = (domains: ReturnType<typeof resolveDomains>['domains']) => {
    const r = restrictToDomains(table, domains, { otherCells: toSelect.includes('cells') });
    const step: DataStep = { step: 'public domain', rows: r.rows, kept: r.kept, dropped: r.dropped as unknown as Record<string, number>, ...(r.toOtherCell > 0 ? { note: `${r.toOtherCell} rows kept under their region's "(other)" cell` } : {}) };
    // a selection may keep nothing at a small epsilon: the round then releases nothing (explained per point)
    const insightDomains: InsightDomains = { operators: domains.operators.slice(), regions: domains.regions.slice(), cells: domains.cells.slice() };
    return { table: r.table, step, insightDomains };
  };
  const fixed = fixedDomains ? restrict(fixedDomains) : null;
  if (fixed) steps.push(fixed.step);
  const describe: Record<string, unknown> = {
    source: cfg.data,
    files: loaded.sources,
    sha256: dataHash(loaded),
    devices: table.deviceCount,
    measurements: table.length,
    rows: loaded.rows,
    filtered: loaded.filtered,
    rejected: loaded.rejected,
    cleared: loaded.cleared.total,
    notes: loaded.notes,
    conversions: loaded.conversions,
    fieldStats: loaded.fieldStats,
    warnings: loaded.warnings,
    unit: unitNote,
    contributionBound: '1 report per unit per collection',
    summary,
    steps,
  };
  // the step that left nothing, when one did
  const emptied = steps.find((st) => st.kept === 0 && st.rows > 0);
  const noRows = emptied
    ? `no row is left after the data steps (${emptied.step}: ${Object.entries(emptied.dropped).filter(([, v]) => v > 0).map(([k, v]) => `${k} ${v}`).join(', ')})`
    : table.length === 0
      ? 'the data has no rows'
      : undefined;
  const round = (epsilon: number, delta: number, collections: number): Round => {
    if (fixed) return { domains: fixed.insightDomains, tables: () => [fixed.table], selectionShare: 0, domainSteps: [], ...(noRows ? { emptyNote: noRows } : {}) };
    // the selection is one more step of the round: an equal share of its budget, as each collection gets
    const share = 1 / (collections + 1);
    const rng = seededRng(cfg.seed).stream(`domain-selection/epsilon=${epsilon}`);
    const resolved = resolveDomains(table, declared, { hasCellColumn, selection: { epsilon: epsilon * share, delta: delta * share, rng } });
    selections.push({ epsilon, epsilonSelection: epsilon * share, deltaSelection: delta * share, selected: resolved.selected });
    const r = restrict(resolved.domains);
    const empty = DOMAIN_KEYS.filter((k) => resolved.selected[k] !== undefined && resolved.domains[k].length === 0);
    const emptyNote = empty.length
      ? `the DP partition selection kept no ${empty.join(' and no ')} at ε = ${epsilon} (ε ${formatNumber((epsilon * share) / toSelect.length, 2)} each; ${empty.map((k) => `${resolved.selected[k]?.candidates ?? 0} candidate ${k}`).join(', ')}): nothing can be released in this round`
      : undefined;
    return { domains: r.insightDomains, tables: () => [r.table], selectionShare: share, domainSteps: [{ ...r.step, step: `public domain at ε = ${epsilon}` }], ...(emptyNote ? { emptyNote } : {}) };
  };
  const domainReports = (): Record<DomainKey, DomainReport> => {
    const out = {} as Record<DomainKey, DomainReport>;
    for (const key of DOMAIN_KEYS) {
      const dec = declared[key];
      if (dec) out[key] = { source: dec.source, from: dec.from, values: dec.values };
      else if (key === 'cells' && !hasCellColumn) out[key] = { source: declared.regions ? declared.regions.source : 'dp-partition-selection', from: 'no cell column: the cells are the regions', values: [] };
      else {
        const all = new Set<string>();
        for (const s of selections) for (const v of s.selected[key]?.values ?? []) all.add(v);
        out[key] = {
          source: 'dp-partition-selection',
          from: `DP partition selection (optimal rule, Desfontaines et al. 2022; each unit votes for one of its ${key}, l0 = 1), an equal share of each round's budget, split over the ${toSelect.length} selected domain${toSelect.length > 1 ? 's' : ''}${key === 'cells' ? '; cells not selected go to their region\'s "(other)" cell' : ''}`,
          values: [...all].sort(),
          selection: selections.map((s) => ({
            epsilon: s.epsilon,
            epsilonSelection: s.epsilonSelection / toSelect.length,
            deltaSelection: s.deltaSelection / toSelect.length,
            selected: s.selected[key]?.values.length ?? 0,
            candidates: s.selected[key]?.candidates ?? 0,
          })),
        };
      }
    }
    return out;
  };
  for (const key of DOMAIN_KEYS) {
    const dec = declared[key];
    lines.push(`domain ${key}: ${dec ? `${dec.source}, ${dec.values.length} labels (${dec.from})` : key === 'cells' && !hasCellColumn ? 'the regions (no cell column)' : 'DP partition selection, charged to each round\'s budget'}`);
  }
  const perRound = (): never => {
    throw new PinholeError('invalid_state', 'domains', '"domains" are selected with DP for each round here: use round(epsilon, delta, collections)');
  };
  return {
    describe,
    fixed: fixed !== null,
    get domains() {
      return fixed ? fixed.insightDomains : perRound();
    },
    tables: () => (fixed ? [fixed.table] : perRound()),
    round,
    summary: lines,
    domainReports,
  };
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
      for (const epsilon of cfg.epsilons) parts.push({ epsilon, data: prepared, result: { ...result, points: result.points.filter((p) => p.epsilon === epsilon) }, selectionShare: 0, steps: [], ...(emptyNote ? { emptyNote } : {}) });
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
    const insights = mergeInsights(parts.map((p) => p.result), points);
    const pipelines = last.result.pipelines.length > 0 ? mergePipelines(parts.map((p) => p.result)) : [];
    const versions = readVersions(ctx.root);
    const results: UtilityResults = {
      schema: 'pinhole-bench/utility@1',
      config: {
        ...cfg,
        collections: last.result.collections.length,
        collectionDetails: last.result.collections,
        ...(parts.some((p) => p.selectionShare > 0) ? { domainSelectionShare: last.selectionShare, collectionDetailsByEpsilon: parts.map((p) => ({ epsilon: p.epsilon, collections: p.result.collections })) } : {}),
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
      epsilonForTarget: epsilonForTarget(points, insights.filter((i) => !i.id.startsWith('frequency-rmse.')), pipelines.map((p) => p.id).filter((id) => id !== 'raw'), cfg.targets),
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

const MOBILEBANDWIDTH_CITATION =
  'Data: mobilebandwidth-sigcomm22 (https://github.com/mobilebandwidth/mobilebandwidth.github.io, commit ac6aed5d8fd7c20f776b4fe8c848b79966cf773f, Apache-2.0), released with "Mobile Access Bandwidth in Practice: Measurement, Analysis, and Implications", ACM SIGCOMM 2022 (check the author list before citing: datasets/data/mobilebandwidth-sigcomm22/PROVENANCE.md).';

export function readVersions(root: string): Record<string, string> {
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

