/**
 * Public domains for real data. The operators, regions and cells a release iterates over must
 * not come from the private rows: each is declared (a domain file, the data set's public
 * vocabulary, a constant the user set) or selected with DP partition selection whose privacy loss
 * is charged to the round's budget (Desfontaines, Voss, Gipson, Mandayam, PoPETs 2022, the optimal
 * rule; each privacy unit votes for one of its values, l0 = 1; calibrated for replace-one, as every
 * release publishes its cohort size: a unit changing its vote moves two buckets). The synthetic generator's world is
 * built from the seed before any device exists, so its domains are public by construction.
 */
import { readFileSync } from 'node:fs';
import { PinholeError, type Rng } from '@pinhole/core';
import { NEIGHBOUR_RELATION } from '@pinhole/core/privacy';
import { checkObject, invalid } from '@pinhole/core/validate';
import { type MeasurementTable, type PublicDomains, otherCellOf } from '@pinhole/datasets';
import { makeOptimalSelection } from '@pinhole/gate';

export const DOMAIN_KEYS = ['operators', 'regions', 'cells'] as const;
export type DomainKey = (typeof DOMAIN_KEYS)[number];

export type DomainSource = 'generator' | 'declared' | 'constant' | 'dp-partition-selection';

/** A domain known before the data is read. */
export interface DeclaredDomain {
  readonly source: 'declared' | 'constant';
  /** where the list comes from, in words */
  readonly from: string;
  readonly values: readonly string[];
}

export type DeclaredDomains = Partial<Record<DomainKey, DeclaredDomain>>;

/** What a report says about one domain. */
export interface DomainReport {
  readonly source: DomainSource;
  readonly from: string;
  /** the labels (for a selected domain: every label selected at some epsilon of the sweep) */
  readonly values: readonly string[];
  /** selected domains: the selection's share of each round's budget, and what it kept per epsilon */
  readonly selection?: readonly { readonly epsilon: number; readonly epsilonSelection: number; readonly deltaSelection: number; readonly selected: number; readonly candidates: number }[];
}

/** Reads `{ "operators": [...], "regions": [...], "cells": [...] }` (any subset); every label a non-empty string, listed once. */
export function readDomainFile(path: string): DeclaredDomains {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PinholeError('invalid_argument', 'domains', `"domains" expected a readable JSON file of public domains, got ${JSON.stringify(path)} (${(err as Error).message})`, { cause: err });
  }
  const o = checkObject('domains', parsed);
  const out: Partial<Record<DomainKey, DeclaredDomain>> = {};
  for (const [key, value] of Object.entries(o)) {
    if (!(DOMAIN_KEYS as readonly string[]).includes(key)) throw invalid(`domains.${key}`, `one of ${DOMAIN_KEYS.join(', ')}`, key);
    if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string' || v.trim() === '') || new Set(value).size !== value.length) {
      throw invalid(`domains.${key}`, 'a non-empty array of distinct non-empty strings', value);
    }
    out[key as DomainKey] = { source: 'declared', from: `domain file ${path}`, values: (value as string[]).map((v) => v.trim()) };
  }
  return out;
}

/** Operator labels as the table codes them: a name the data uses maps to its code, anything else stays as written. */
function operatorCodes(table: MeasurementTable, labels: readonly string[]): string[] {
  const d = table.domains;
  const byName = new Map<string, string>();
  d.operator.values.forEach((code, i) => {
    byName.set(code.toLowerCase(), code);
    byName.set((d.operatorName[i] ?? code).toLowerCase(), code);
  });
  return [...new Set(labels.map((l) => byName.get(l.toLowerCase()) ?? l))];
}

/**
 * DP partition selection over the values units hold: each unit votes for one of its distinct values
 * (uniformly), and a value with n votes is kept with the optimal rule's probability pi(n). Values
 * no unit holds are never candidates (they could not be released anyway, pi(0) = 0).
 */
function selectValues(
  table: MeasurementTable,
  column: Uint16Array | Uint32Array,
  labels: readonly string[],
  eligible: (row: number) => boolean,
  epsilon: number,
  delta: number,
  rng: Rng,
): { values: string[]; candidates: number } {
  const perUnit = new Map<number, number[]>();
  for (let i = 0; i < table.length; i++) {
    if (!eligible(i)) continue;
    const d = table.columns.device[i] as number;
    let list = perUnit.get(d);
    if (!list) perUnit.set(d, (list = []));
    const v = column[i] as number;
    if (!list.includes(v)) list.push(v);
  }
  const votes = new Map<number, number>();
  for (const list of perUnit.values()) {
    const v = list[list.length === 1 ? 0 : rng.int(list.length)] as number;
    votes.set(v, (votes.get(v) ?? 0) + 1);
  }
  const selection = makeOptimalSelection({ epsilon, delta, l0: 1, neighbours: NEIGHBOUR_RELATION });
  const kept: string[] = [];
  for (const v of [...votes.keys()].sort((a, b) => a - b)) if (selection.select(votes.get(v) as number, rng)) kept.push(labels[v] as string);
  return { values: kept.sort(), candidates: votes.size };
}

export interface ResolvedDomains {
  readonly domains: PublicDomains;
  /** selected keys and what each kept */
  readonly selected: Partial<Record<DomainKey, { values: readonly string[]; candidates: number }>>;
}

/**
 * The public domains for one round: the declared ones as given, the others selected with
 * (epsilon, delta) split equally over them (basic composition). Cells outside a selected cell
 * domain go to their region's "(other)" cell, a public label, so region-level insights keep them.
 */
export function resolveDomains(
  table: MeasurementTable,
  declared: DeclaredDomains,
  options: { readonly hasCellColumn: boolean; readonly selection?: { readonly epsilon: number; readonly delta: number; readonly rng: Rng } },
): ResolvedDomains {
  const toSelect = DOMAIN_KEYS.filter((k) => declared[k] === undefined && !(k === 'cells' && !options.hasCellColumn));
  if (toSelect.length > 0 && !options.selection) throw new PinholeError('invalid_state', 'selection', `"selection" expected a budget to select the ${toSelect.join(', ')} domain with, got none`);
  const share = toSelect.length > 0 ? { epsilon: (options.selection?.epsilon ?? 0) / toSelect.length, delta: (options.selection?.delta ?? 0) / toSelect.length } : null;
  const d = table.domains;
  const selected: Partial<Record<DomainKey, { values: readonly string[]; candidates: number }>> = {};
  const pick = (key: 'operators' | 'regions', column: Uint16Array | Uint32Array, labels: readonly string[]): string[] => {
    const dec = declared[key];
    if (dec) return key === 'operators' ? operatorCodes(table, dec.values) : dec.values.slice();
    const s = selectValues(table, column, labels, () => true, share?.epsilon as number, share?.delta as number, options.selection?.rng as Rng);
    selected[key] = s;
    return s.values;
  };
  const operators = pick('operators', table.columns.operator, d.operator.values);
  const regions = pick('regions', table.columns.region, d.region.values);
  const regionIndex = new Map(regions.map((r, i) => [r, i]));
  let cells: string[];
  let cellRegion: number[];
  if (!options.hasCellColumn) {
    // without a cell column a row's cell is its region
    cells = regions.slice();
    cellRegion = regions.map((_, i) => i);
  } else if (declared.cells) {
    cells = declared.cells.values.slice();
    cellRegion = cells.map((c, i) => {
      const slash = c.indexOf('/');
      const r = slash > 0 ? regionIndex.get(c.slice(0, slash)) : regions.length === 1 ? 0 : undefined;
      if (r === undefined)
        throw invalid(`domains.cells[${i}]`, `a cell written region/cell with its region among the regions (${regions.slice(0, 5).join(', ')}${regions.length > 5 ? ', …' : ''})`, c);
      return r;
    });
  } else {
    const inRegions = Uint8Array.from(d.region.values, (r) => (regionIndex.has(r) ? 1 : 0));
    const s = selectValues(
      table,
      table.columns.cell,
      d.cell.values,
      (i) => inRegions[table.columns.region[i] as number] === 1,
      share?.epsilon as number,
      share?.delta as number,
      options.selection?.rng as Rng,
    );
    selected.cells = s;
    const cellRegionOf = new Map(d.cell.values.map((c, i) => [c, d.cellRegion[i] as number]));
    cells = [...s.values, ...regions.map(otherCellOf)];
    cellRegion = [...s.values.map((c) => regionIndex.get(d.region.values[cellRegionOf.get(c) as number] as string) as number), ...regions.map((_, i) => i)];
  }
  return { domains: { operators, regions, cells, cellRegion }, selected };
}
