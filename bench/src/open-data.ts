/**
 * The data of a utility run: the synthetic population, the real mobilebandwidth files, or any CSV
 * with a column mapping; bounded per unit and restricted to public domains (declared, or selected
 * with DP in each round), with every step's kept and dropped rows.
 */
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { PinholeError } from '@pinhole/core';
import { type InsightDomains } from '@pinhole/core/insights';
import { invalid } from '@pinhole/core/validate';
import { seededRng } from '@pinhole/core/seeded';
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
import { parseList } from './cli-args.js';
import { type DeclaredDomains, type DomainKey, type DomainReport, DOMAIN_KEYS, readDomainFile, resolveDomains } from './domains.js';
import { formatNumber } from './format.js';
import { domainsOf } from './prepare.js';
import { type UtilityConfig } from './utility-config.js';

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
    `  network types: ${Object.entries(s.networkTypes)
      .map(([t, n]) => `${t} ${num(n)}`)
      .join(', ')}`,
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
  steps.push({ step: 'schema', rows, kept: rows - r.rejected.total, dropped: r.rejected.byReason });
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
        if (!hashed) for (const col of Object.values(t.columns) as ArrayBufferView[]) hash.update(new Uint8Array(col.buffer, col.byteOffset, col.byteLength));
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
      summary: [
        `data: synthetic, ${num(cfg.devices)} devices (seed ${cfg.seed}); domains from the generator's world: ${domains.operators.length} operators, ${domains.regions.length} regions, ${domains.cells.length} cells`,
      ],
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
      throw invalid(
        'unit-column',
        'the column naming the privacy unit (--unit-column user_id, or device=user_id in --map); a file without one is refused unless you state that every row is its own unit (--rows-are-units)',
        undefined,
      );
    }
    const defaults = cfg.defaults === undefined ? {} : parseDefaults(cfg.defaults);
    const path = resolve(cfg.data);
    loaded = loadCsv(path, { map, units: mapping.units, where: cfg.where, rowsAreUnits: cfg.rowsAreUnits, defaults: defaults });
    hasCellColumn = map.cell !== undefined;
    if (map.operator === undefined && defaults.operator !== undefined) declared.operators = { source: 'constant', from: '--defaults operator (no operator column)', values: [defaults.operator] };
    if (map.region === undefined)
      declared.regions = {
        source: 'constant',
        from: defaults.region !== undefined ? '--defaults region (no region column)' : 'no region column: one region, "all"',
        values: [defaults.region ?? 'all'],
      };
  }
  if (cfg.domains !== undefined) {
    const file = readDomainFile(cfg.domains);
    for (const key of DOMAIN_KEYS) if (file[key]) declared[key] = file[key];
  }
  const steps = loadSteps(loaded);
  let table = loaded.table;
  if (cfg.maxRowsPerUnit !== undefined) {
    const b = boundRowsPerUnit(table, cfg.maxRowsPerUnit, seededRng(cfg.seed).stream('contribution-bound'));
    steps.push({
      step: `contribution bound (at most ${b.bound} rows per unit)`,
      rows: table.length,
      kept: b.rowsKept,
      dropped: { rows_over_bound: b.rowsDropped },
      note: `${b.unitsOverBound} of ${b.units} units had more rows than the bound`,
    });
    table = b.table;
  }
  const summary = summarizeTable(table);
  const lines = describeSummary(summary);
  lines.unshift(`read ${loaded.sources.map((s) => `${s.name} (${num(s.bytes)} bytes, sha256 ${s.sha256.slice(0, 12)}…)`).join(', ')}`);
  for (const st of steps.slice(1))
    lines.push(
      `step ${st.step}: kept ${num(st.kept)} of ${num(st.rows)}${
        Object.keys(st.dropped).length
          ? `; dropped ${Object.entries(st.dropped)
              .map(([k, v]) => `${k} ${num(v)}`)
              .join(', ')}`
          : ''
      }${st.note ? ` (${st.note})` : ''}`,
    );
  for (const c of loaded.conversions)
    lines.push(`unit: ${c.field} ← ${c.column} in ${c.unit}${c.stated ? '' : ' (assumed: no unit stated)'}${c.factor === 1 ? '' : ` × ${c.factor}`} → ${c.schemaUnit}`);
  const unitColumn = cfg.data === 'mobilebandwidth' ? 'user_uid' : (cfg.unitColumn ?? parseColumnMap(cfg.map ?? 'downlink=downlink').map.device);
  const unitNote = unitColumn ?? 'every row (--rows-are-units)';
  lines.push(`privacy unit: ${unitNote}; each unit reports 1 measurement per collection (its other rows count only in the truth, weighted 1/rows)`);
  for (const w of loaded.warnings) lines.push(`WARNING: ${w.message}`);

  const toSelect = DOMAIN_KEYS.filter((k) => declared[k] === undefined && !(k === 'cells' && !hasCellColumn));
  const fixedDomains = toSelect.length === 0 ? resolveDomains(table, declared, { hasCellColumn }).domains : null;
  const selections: { epsilon: number; epsilonSelection: number; deltaSelection: number; selected: Partial<Record<DomainKey, { values: readonly string[]; candidates: number }>> }[] = [];
  const restrict = (domains: ReturnType<typeof resolveDomains>['domains']) => {
    const r = restrictToDomains(table, domains, { otherCells: toSelect.includes('cells') });
    const step: DataStep = {
      step: 'public domain',
      rows: r.rows,
      kept: r.kept,
      dropped: r.dropped,
      ...(r.toOtherCell > 0 ? { note: `${r.toOtherCell} rows kept under their region's "(other)" cell` } : {}),
    };
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
    ? `no row is left after the data steps (${emptied.step}: ${Object.entries(emptied.dropped)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')})`
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
      else if (key === 'cells' && !hasCellColumn)
        out[key] = { source: declared.regions ? declared.regions.source : 'dp-partition-selection', from: 'no cell column: the cells are the regions', values: [] };
      else {
        const all = new Set<string>();
        for (const s of selections) for (const v of s.selected[key]?.values ?? []) all.add(v);
        out[key] = {
          source: 'dp-partition-selection',
          from: `DP partition selection (optimal rule, Desfontaines et al. 2022; each unit votes for one of its ${key}, l0 = 1, calibrated for replace-one: a unit changing its vote moves two buckets), an equal share of each round's budget, split over the ${toSelect.length} selected domain${toSelect.length > 1 ? 's' : ''}${key === 'cells' ? '; cells not selected go to their region\'s "(other)" cell' : ''}`,
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
    lines.push(
      `domain ${key}: ${dec ? `${dec.source}, ${dec.values.length} labels (${dec.from})` : key === 'cells' && !hasCellColumn ? 'the regions (no cell column)' : "DP partition selection, charged to each round's budget"}`,
    );
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
