/**
 * The results folder of `pinhole-bench audit`, in the bench's report format: results.json,
 * results.csv (one row per target and epsilon), report.md (the verdicts, the lower bounds next to
 * the claims, every chosen event with its counts, the method and its confidence), audit.svg (lower
 * bound against claim, one panel per family) and index.html showing them.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import type { AuditFamily, AuditOutcome } from './audit.js';
import { formatNumber } from './format.js';
import { OKABE_ITO, renderSvg } from './plots.js';
import { esc, htmlTable, mdTable } from './report.js';

export interface AuditResults {
  readonly schema: 'pinhole-bench/audit@1';
  readonly config: Readonly<Record<string, unknown>>;
  readonly seed: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly machine: Readonly<Record<string, unknown>>;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly outcomes: readonly AuditOutcome[];
  /** shipped targets whose bound exceeded their claim, broken variants the audit missed */
  readonly failures: readonly string[];
  readonly missed: readonly string[];
  readonly reproduce: Readonly<Record<string, unknown>>;
  readonly plots?: readonly { file: string; kind: 'audit'; panels: readonly string[]; points: number }[];
}

export const FAMILY_TITLES: Readonly<Record<AuditFamily | 'broken', string>> = {
  'ldp-oracle': 'LDP frequency oracles (one report)',
  'ldp-numeric': 'LDP numeric mechanisms (one report)',
  central: 'central noise',
  distributed: 'distributed noise (secure aggregation)',
  selection: 'DP bucket selection (gate)',
  pipeline: 'whole pipelines (device → release)',
  broken: 'deliberately broken variants (must fail)',
};

const PANEL_ORDER: readonly (AuditFamily | 'broken')[] = ['ldp-oracle', 'ldp-numeric', 'central', 'distributed', 'selection', 'pipeline', 'broken'];

function panelOf(o: AuditOutcome): AuditFamily | 'broken' {
  return o.broken !== null ? 'broken' : o.family;
}

/** The confidence statement every report carries. */
export function methodText(alpha: number): string[] {
  return [
    `Each target runs many times on two neighbouring inputs x and x'. Calibration runs choose, for every feature of the output and each direction, the event with the largest projected bound (thresholds on an ordered value; Neyman–Pearson sets of a categorical key). Fresh measurement runs then count those events, and with Clopper–Pearson bounds L of P[E | x] and U of P[E | x'] the lower bound is ln((L − δ) / U), the largest over the events (the LDP-Auditor of Arcolezi & Gambs for local mechanisms; Jagielski et al. and Nasr et al. for central and distributed noise).`,
    `Confidence: with m events, each of the 2m one-sided Clopper–Pearson bounds is taken at level α/(2m), so all hold together with probability ≥ 1 − α (union bound; the events are fixed before the independent measurement runs). A target that meets its claim therefore fails (lower bound > claimed ε) with probability ≤ α = ${alpha} per target, whatever its output distribution; a failure proves a violation at confidence 1 − α. Over T targets the chance of any false failure is ≤ Tα.`,
    "A lower bound far below the claim is not a defect: it is what the runs could prove. Gaussian-type noise is (ε, δ)-DP with its worst cases in tails too rare to sample, so its bounds stay well below ε; pipelines add every other device's noise to the audited one's.",
  ];
}

/** A claimed epsilon as written (0.5, 1, 0.971). */
function claim(x: number): string {
  return String(Number(x.toPrecision(3)));
}

function cell(o: AuditOutcome | undefined): string {
  if (!o) return '—';
  const mark = o.broken !== null ? (o.caught ? 'caught' : '**MISSED**') : o.verdict === 'pass' ? '✓' : '**FAIL**';
  return `${formatNumber(o.epsilonLower, 2)} / ${claim(o.claimed.epsilon)} ${mark}`;
}

function byTarget(r: AuditResults): { id: string; outcomes: AuditOutcome[] }[] {
  const ids = [...new Set(r.outcomes.map((o) => o.id))];
  return ids.map((id) => ({ id, outcomes: r.outcomes.filter((o) => o.id === id) }));
}

function epsilons(r: AuditResults): number[] {
  return [...new Set(r.outcomes.map((o) => o.epsilon))].sort((a, b) => a - b);
}

function verdictLine(r: AuditResults): string {
  const shipped = r.outcomes.filter((o) => o.broken === null);
  const broken = r.outcomes.filter((o) => o.broken !== null);
  const parts = [r.failures.length === 0 ? `every shipped target passes (${shipped.length} audits)` : `**${r.failures.length} of ${shipped.length} shipped audits FAIL**: ${r.failures.join(', ')}`];
  if (broken.length)
    parts.push(r.missed.length === 0 ? `every broken variant is caught (${broken.length} audits)` : `**${r.missed.length} broken audits were MISSED** (raise --trials): ${r.missed.join(', ')}`);
  return `${parts.join('; ')}.`;
}

export function auditCsv(r: AuditResults): string {
  const head = 'target,family,broken,epsilon,claimed_epsilon,claimed_delta,epsilon_lower,verdict,caught,trials,calibration_trials,alpha,event,events,neighbour_events,epsilon_estimate,neighbours';
  const q = (s: string) => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const rows = r.outcomes.map((o) =>
    [
      o.id,
      o.family,
      o.broken === null ? '' : 'yes',
      o.epsilon,
      o.claimed.epsilon,
      o.claimed.delta,
      o.epsilonLower,
      o.verdict,
      o.caught === null ? '' : o.caught,
      o.trials,
      o.calibrationTrials,
      o.alpha,
      q(`${o.best.description} (favours ${o.best.favours})`),
      o.best.events,
      o.best.neighbourEvents,
      o.best.epsilonEstimate,
      q(o.neighbours),
    ].join(','),
  );
  return `${[head, ...rows].join('\n')}\n`;
}

function summaryTables(r: AuditResults): { title: string; header: string[]; rows: string[][] }[] {
  const eps = epsilons(r);
  return PANEL_ORDER.map((panel) => {
    const targets = byTarget(r).filter((t) => t.outcomes.some((o) => panelOf(o) === panel));
    return {
      title: FAMILY_TITLES[panel],
      header: ['target', ...eps.map((e) => `ε = ${e}`)],
      rows: targets.map((t) => [t.id, ...eps.map((e) => cell(t.outcomes.find((o) => o.epsilon === e)))]),
    };
  }).filter((t) => t.rows.length > 0);
}

function detailRows(r: AuditResults): string[][] {
  return r.outcomes.map((o) => [
    o.id,
    String(o.epsilon),
    `${claim(o.claimed.epsilon)}${o.claimed.delta > 0 ? `, δ ${o.claimed.delta.toPrecision(2)}` : ''}`,
    formatNumber(o.epsilonLower, 3),
    Number.isFinite(o.best.epsilonEstimate) ? formatNumber(o.best.epsilonEstimate, 3) : '∞',
    `${o.best.description} (favours ${o.best.favours})`,
    `${o.best.events} / ${o.best.neighbourEvents} of ${o.trials}`,
    o.neighbours,
  ]);
}

const DETAIL_HEADER = ['target', 'ε', 'claimed', 'lower bound', 'point estimate', 'event', 'events on favoured / other input', 'neighbours'];

export function auditMarkdown(r: AuditResults): string {
  const lines: string[] = ['# Pinhole privacy audit', ''];
  lines.push(
    `Seed \`${r.seed}\`, ${String(r.config.trials)} measurement runs per input for a cheap mechanism (expensive targets divide by their cost; the tables give each target's count), α = ${String(r.config.alpha)} per target, rng ${String(r.config.rng)}. Run ${r.startedAt} in ${(r.durationMs / 1000).toFixed(1)} s on ${String(r.machine.cpus)} × ${String(r.machine.cpu)}, Node ${String(r.machine.node)}.`,
    '',
  );
  lines.push(`**Verdict:** ${verdictLine(r)}`, '');
  lines.push(
    'Each cell: the empirical lower bound of ε / the ε the target claims; ✓ the bound stays at or below the claim, **FAIL** it exceeds it; a broken variant is *caught* when its bound exceeds its claim.',
    '',
  );
  for (const t of summaryTables(r)) lines.push(`## ${t.title}`, '', ...mdTable(t.header, t.rows), '');
  lines.push('![Lower bound vs claimed ε](audit.svg)', '');
  lines.push('## Broken variants', '');
  for (const [id, o] of new Map(r.outcomes.filter((x) => x.broken !== null).map((x) => [x.id, x]))) lines.push(`- \`${id}\`: ${o.broken}.`);
  lines.push('', '## Method and confidence', '', ...methodText(r.outcomes[0]?.alpha ?? (r.config.alpha as number)).flatMap((p) => [p, '']));
  lines.push('## Every audit', '', ...mdTable(DETAIL_HEADER, detailRows(r)), '');
  lines.push(
    '## Reproduce',
    '',
    '```sh',
    reproduceCommand(r),
    '```',
    '',
    `Versions: ${Object.entries(r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}.`,
    '',
  );
  return lines.join('\n');
}

export function auditSpec(r: AuditResults): TopLevelSpec {
  const data = r.outcomes.map((o) => ({
    panel: FAMILY_TITLES[panelOf(o)],
    target: o.id,
    claimed: o.claimed.epsilon,
    lower: o.epsilonLower,
    verdict: o.broken !== null ? (o.caught ? 'broken: caught' : 'broken: missed') : o.verdict === 'pass' ? 'pass' : 'FAIL',
  }));
  const maxY = Math.max(...data.map((d) => Math.max(d.lower, d.claimed)), 1);
  const x = { field: 'claimed', type: 'quantitative' as const, title: 'claimed ε', scale: { zero: true } };
  const y = { field: 'lower', type: 'quantitative' as const, title: 'empirical lower bound of ε', scale: { zero: true, domain: [0, Math.ceil(maxY)] } };
  const colour = {
    field: 'verdict',
    type: 'nominal' as const,
    title: null,
    legend: { labelLimit: 200, orient: 'bottom' as const },
    scale: { domain: ['pass', 'FAIL', 'broken: caught', 'broken: missed'], range: [OKABE_ITO.blue, OKABE_ITO.vermillion, OKABE_ITO.orange, OKABE_ITO.black] },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: {
      text: 'Empirical lower bound of ε next to the claimed ε',
      subtitle: `dashed: the claim (y = x); a point above it fails; confidence 1 − ${(r.outcomes[0]?.alpha ?? 0).toExponential(0)} per target`,
    },
    data: { values: data },
    facet: { field: 'panel', type: 'nominal', title: null, sort: PANEL_ORDER.map((p) => FAMILY_TITLES[p]) },
    columns: 4,
    spec: {
      width: 200,
      height: 170,
      layer: [
        { name: 'claim', mark: { type: 'line', strokeDash: [5, 4], color: OKABE_ITO.black, strokeWidth: 1 }, encoding: { x, y: { ...y, field: 'claimed' }, detail: { field: 'target' } } },
        { name: 'bounds', mark: { type: 'line', color: '#bbbbbb', strokeWidth: 1 }, encoding: { x, y, detail: { field: 'target' } } },
        { name: 'points', mark: { type: 'point', filled: true, size: 36, opacity: 0.85 }, encoding: { x, y, color: colour } },
      ],
    },
    resolve: { axis: { x: 'independent', y: 'independent' } },
  };
}

export function auditHtml(r: AuditResults, svg: string): string {
  const tables = summaryTables(r)
    .map(
      (t) =>
        `<h3>${esc(t.title)}</h3>${htmlTable(
          t.header,
          t.rows.map((row) => row.map((c) => c.replace(/\*\*/g, ''))),
        )}`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pinhole privacy audit</title>
<style>body{font-family:system-ui,sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#222}figure{margin:0.5em 0}svg{max-width:100%;height:auto}table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}.verdict{font-weight:bold}pre{background:#f4f4f4;padding:0.6em;overflow-x:auto}</style>
</head><body>
<h1>Pinhole privacy audit</h1>
<p>Seed <code>${esc(r.seed)}</code>, α = ${esc(String(r.config.alpha))} per target. Tables: <a href="report.md">report.md</a>, data: <a href="results.json">results.json</a>, <a href="results.csv">results.csv</a>.</p>
<p class="verdict">${esc(verdictLine(r).replace(/\*\*/g, ''))}</p>
<p>Each cell: empirical lower bound of ε / claimed ε.</p>
${tables}
<figure data-plot="audit.svg">${svg}</figure>
<h2>Method and confidence</h2>${methodText(r.outcomes[0]?.alpha ?? 1e-6)
    .map((p) => `<p>${esc(p)}</p>`)
    .join('')}
<h2>Every audit</h2>${htmlTable(DETAIL_HEADER, detailRows(r))}
<h2>Reproduce</h2><pre>${esc(reproduceCommand(r))}</pre>
</body></html>
`;
}

export async function writeAuditResults(outDir: string, r: AuditResults): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const put = async (name: string, text: string) => {
    await writeFile(join(outDir, name), text);
    files.push(name);
  };
  const svg = await renderSvg(auditSpec(r));
  const withPlots: AuditResults = { ...r, plots: [{ file: 'audit.svg', kind: 'audit', panels: [...new Set(r.outcomes.map((o) => FAMILY_TITLES[panelOf(o)]))], points: r.outcomes.length }] };
  await put('results.json', `${JSON.stringify(withPlots, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
  await put('results.csv', auditCsv(r));
  await put('report.md', auditMarkdown(withPlots));
  await put('audit.svg', svg);
  await put('index.html', auditHtml(withPlots, svg));
  return files;
}

/** The command that reproduces the run ('' when the report has none). */
function reproduceCommand(r: { readonly reproduce: Readonly<Record<string, unknown>> }): string {
  return typeof r.reproduce.command === 'string' ? r.reproduce.command : '';
}
