/**
 * Every target the auditor knows, by id: mechanisms (audit-mechanisms.ts), whole pipelines
 * (audit-pipelines.ts) and the deliberately broken variants (audit-broken.ts), built for one epsilon.
 */
import { invalid } from '@pinhole/core/validate';
import { NUMERIC_NAMES, ORACLE_NAMES } from '@pinhole/ldp';
import type { AuditTarget } from './audit.js';
import { BROKEN_IDS, brokenTarget } from './audit-broken.js';
import { centralCountTarget, distributedTarget, noisyCountThresholdTarget, numericTarget, optimalSelectionTarget, oracleTarget, thresholdSelectionTarget } from './audit-mechanisms.js';
import { auditablePipelines, pipelineTarget } from './audit-pipelines.js';

type Builder = (epsilon: number) => AuditTarget<unknown>;

function builders(): Map<string, Builder> {
  const out = new Map<string, Builder>();
  for (const name of ORACLE_NAMES) out.set(`ldp/${name}`, (e) => oracleTarget(name, e));
  for (const name of NUMERIC_NAMES) out.set(`ldp/${name}`, (e) => numericTarget(name, e));
  out.set('central/discrete-gaussian', (e) => centralCountTarget(e));
  out.set('distributed/skellam', (e) => distributedTarget('skellam', e));
  out.set('distributed/discrete-gaussian', (e) => distributedTarget('discrete_gaussian', e));
  out.set('selection/optimal', (e) => optimalSelectionTarget(e));
  out.set('selection/laplace-threshold', (e) => thresholdSelectionTarget('laplace', e));
  out.set('selection/gaussian-threshold', (e) => thresholdSelectionTarget('gaussian', e));
  out.set('selection/noisy-count-threshold', (e) => noisyCountThresholdTarget(e));
  for (const p of auditablePipelines()) {
    for (const c of p.collections) out.set(`pipeline/${p.id}/${c}`, (e) => pipelineTarget(p.id, c, e));
  }
  for (const id of BROKEN_IDS) out.set(id, (e) => brokenTarget(id, e));
  return out;
}

let cache: Map<string, Builder> | null = null;

/** Every target id, in report order (mechanisms, pipelines, broken variants). */
export function auditTargetIds(): string[] {
  cache ??= builders();
  return [...cache.keys()];
}

/** The target `id` for `epsilon`. */
export function auditTarget(id: string, epsilon: number): AuditTarget<unknown> {
  cache ??= builders();
  const b = cache.get(id);
  if (!b) throw invalid('target', `an audit target (${[...cache.keys()].join(', ')})`, id);
  return b(epsilon);
}

/** Ids matching a list of patterns ("ldp/*", "pipeline/central-dp/*", exact ids); every pattern must match something. */
export function selectTargets(patterns: readonly string[]): string[] {
  const ids = auditTargetIds();
  const out = new Set<string>();
  for (const p of patterns) {
    const re = new RegExp(
      `^${p
        .split('*')
        .map((s) => s.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
        .join('.*')}$`,
    );
    const hit = ids.filter((id) => re.test(id));
    if (hit.length === 0) throw invalid('targets', 'patterns that each match an audit target (`pinhole-bench audit --list`)', p);
    for (const h of hit) out.add(h);
  }
  return ids.filter((id) => out.has(id));
}
