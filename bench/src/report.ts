/**
 * report.md and index.html of a utility run: what the data was and where each domain came from,
 * the epsilon needed for each insight's target error, one table and figure per insight (with the
 * reason where a figure cannot be computed), and how to cite and regenerate the run.
 */
import { formatNumber } from './format.js';
import { type InsightInfo, type ResultPoint, type UtilityResults } from './output.js';
import { MAIN_ROLES, mainSeries } from './plots.js';
import { type EpsilonForTarget, formatEntry } from './target.js';

type DomainReport = { source: string; from: string; values: readonly string[]; selection?: readonly { epsilon: number; epsilonSelection: number; selected: number; candidates: number }[] };
type Step = { step: string; rows: number; kept: number; dropped: Record<string, number>; note?: string };

const SOURCE_WORDS: Readonly<Record<string, string>> = {
  generator: 'the generator',
  declared: 'declared',
  constant: 'a constant',
  'dp-partition-selection': 'DP partition selection',
};

export const TARGET_RULE =
  'The smallest ε on the grid from which the mean error stays at or below the target at every larger ε, interpolated between that grid point and the one before in (log ε, log error) (in (log ε, error) for miss@k or a zero error); "≤ x": below the target already at the smallest ε; "> x": still above it at the largest. The interval applies the same rule to the lower and upper ends of the trials\' 95 % intervals.';

function domainLines(r: UtilityResults): string[] {
  const domains = r.data.domains as Record<string, DomainReport> | undefined;
  if (!domains) return [];
  return Object.entries(domains).map(([key, d]) => {
    const sel =
      d.selection && d.selection.length
        ? ` Selected per round: ${d.selection.map((s) => `ε = ${s.epsilon}: ${s.selected} of ${s.candidates} (ε ${formatNumber(s.epsilonSelection, 2)} spent)`).join('; ')}.`
        : '';
    const count = d.source === 'dp-partition-selection' ? '' : `, ${d.values.length} labels`;
    return `${key}: ${SOURCE_WORDS[d.source] ?? d.source}${count} — ${d.from}.${sel}`;
  });
}

/** The data steps as table rows, for the markdown report and the HTML page alike. */
function dataStepRows(st: ReturnType<typeof steps>): string[][] {
  return st.map((s) => [
    s.step,
    String(s.rows),
    String(s.kept),
    Object.entries(s.dropped)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') + (s.note ? ` (${s.note})` : ''),
  ]);
}

function steps(r: UtilityResults): Step[] {
  return (r.data.steps as Step[] | undefined) ?? [];
}

function pointsOf(r: UtilityResults, insight: string, pipeline: string): ResultPoint[] {
  return r.points.filter((p) => p.insight === insight && p.pipeline === pipeline).sort((a, b) => a.epsilon - b.epsilon);
}

function cell(p: ResultPoint | undefined): string {
  if (!p) return '';
  if (p.status === 'undefined') return 'n/a';
  const v = `${formatNumber(p.error.mean)}${p.theory !== null ? ` (theory ${formatNumber(p.theory)})` : ''}`;
  return p.status === 'uninformative' ? `${v} †` : v;
}

function targetTable(r: UtilityResults): { header: string[]; rows: string[][]; full: { header: string[]; rows: string[][] } } {
  const table = r.epsilonForTarget ?? [];
  const insights = r.insights.filter((i) => !i.id.startsWith('frequency-rmse.'));
  const find = (insight: string, pipeline: string): EpsilonForTarget | undefined => table.find((t) => t.insight === insight && t.pipeline === pipeline);
  const header = ['insight', 'target', ...MAIN_ROLES.map((m) => m.role)];
  const rows = insights.map((ins) => {
    const series = mainSeries(ins, r.points);
    const anyTarget = table.find((t) => t.insight === ins.id);
    return [
      ins.title,
      anyTarget ? `${formatNumber(anyTarget.target)} ${ins.metric}` : '—',
      ...MAIN_ROLES.map((m) => {
        const s = series.find((x) => (m.role === 'best LDP' ? x.label.startsWith('best LDP') : x.pipeline === m.role));
        const pipeline = s?.pipeline ?? (m.role === 'best LDP' ? null : m.role);
        if (pipeline === null) return '—';
        const e = find(ins.id, pipeline);
        if (!e) return '—';
        const v = formatEntry(e);
        return m.role === 'best LDP' ? `${v} (${pipeline})` : v;
      }),
    ];
  });
  const pipelines = r.pipelines.map((p) => p.id);
  const full = {
    header: ['pipeline', ...insights.map((i) => i.id)],
    rows: pipelines.map((pl) => [
      pl,
      ...insights.map((i) => {
        const e = find(i.id, pl);
        return e ? formatEntry(e) : '—';
      }),
    ]),
  };
  return { header, rows, full };
}

export function mdTable(header: string[], rows: string[][], align?: string[]): string[] {
  return [`| ${header.join(' | ')} |`, `|${(align ?? header.map(() => '---')).join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)];
}

function reproduceLines(r: UtilityResults): string[] {
  const rep = r.reproduce as
    | {
        command?: string;
        seed?: string;
        dataSha256?: string | null;
        dataFiles?: { name: string; sha256: string }[] | null;
        versions?: Record<string, string>;
        commit?: string | null;
        citation?: string | null;
      }
    | undefined;
  if (!rep) return [];
  const lines = ['```sh', rep.command ?? '', '# or, with every option spelled out (config.json beside this report):', 'npx pinhole-bench utility --config config.json --out <folder>', '```', ''];
  lines.push(`- seed: \`${rep.seed ?? r.seed}\``);
  lines.push(
    `- data: ${String(r.data.source)}, SHA-256 \`${rep.dataSha256 ?? 'n/a'}\`${rep.dataFiles ? ` (files: ${rep.dataFiles.map((f) => `${f.name} \`${f.sha256.slice(0, 16)}…\``).join(', ')})` : ''}`,
  );
  lines.push(
    `- versions: ${Object.entries(rep.versions ?? r.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}${rep.commit ? `; commit \`${rep.commit}\`` : ''}`,
  );
  lines.push(`- results.json holds every point; the same command with the same seed and versions gives the same numbers (timings aside).`);
  lines.push(
    `- cite: Pinhole ${r.versions['@pinhole/bench'] ?? ''} (${new Date(r.startedAt).toISOString().slice(0, 10)}), pinhole-bench utility, seed ${r.seed}.${rep.citation ? ` ${rep.citation}` : ''}`,
  );
  return lines;
}

function insightNotes(r: UtilityResults, ins: InsightInfo): string[] {
  const notes = new Set<string>();
  for (const p of r.points) if (p.insight === ins.id && p.status === 'partial' && p.note) notes.add(p.note);
  const out = [...notes].map((n) => `Computed on less than asked: ${n}.`);
  if (!ins.note) {
    const undef = new Map<string, number[]>();
    for (const p of r.points) if (p.insight === ins.id && p.status === 'undefined') undef.set(p.note as string, [...new Set([...(undef.get(p.note as string) ?? []), p.epsilon])]);
    for (const [n, eps] of undef) out.push(`n/a at ε = ${eps.sort((a, b) => a - b).join(', ')}: ${n}.`);
  }
  const flagged = r.points.filter((p) => p.insight === ins.id && p.status === 'uninformative');
  if (flagged.length) out.push(`† says nothing at that ε: ${[...new Set(flagged.map((p) => p.note as string))].slice(0, 3).join('; ')}${flagged.length > 3 ? '; …' : ''}.`);
  return out;
}

export function toMarkdown(r: UtilityResults): string {
  const lines: string[] = [];
  lines.push('# Pinhole utility report', '');
  lines.push(
    `Seed \`${r.seed}\`, ${String(r.data.devices)} devices (${String(r.data.source)}), k = ${String(r.config.k)}, δ = ${String(r.config.delta)}, ${String(r.config.trials)} trials, mode ${String(r.config.mode)}.`,
  );
  const share = r.config.domainSelectionShare as number | undefined;
  lines.push(
    `ε is the whole budget of one device for the round, split equally over the ${String(r.config.collections)} collections the insights need${share ? ` and the DP selection of the domains (each gets ${formatNumber(share, 3)} of it)` : ''}.`,
  );
  lines.push(`Run ${new Date(r.startedAt).toISOString()} in ${(r.durationMs / 1000).toFixed(1)} s on ${String(r.machine.cpus)} × ${String(r.machine.cpu)}, Node ${String(r.machine.node)}.`, '');
  const dl = domainLines(r);
  if (dl.length) {
    lines.push('**Public domains** (every pipeline releases over the same operators, regions and cells; none is read off the rows):', '');
    for (const l of dl) lines.push(`- ${l}`);
    lines.push('');
  }
  const st = steps(r);
  if (st.length) {
    lines.push('## Data', '');
    lines.push(...mdTable(['step', 'rows in', 'kept', 'dropped (why)'], dataStepRows(st)), '');
    const conv = (r.data.conversions as { field: string; column: string; unit: string; stated: boolean; factor: number; schemaUnit: string }[] | undefined) ?? [];
    if (conv.length)
      lines.push(`Units: ${conv.map((c) => `${c.field} ← \`${c.column}\` in ${c.unit}${c.stated ? '' : ' (assumed)'}${c.factor === 1 ? '' : ` × ${c.factor}`} → ${c.schemaUnit}`).join('; ')}.`, '');
    lines.push(`Privacy unit: ${String(r.data.unit)}; ${String(r.data.contributionBound)}.`, '');
    for (const w of (r.data.warnings as { message: string }[] | undefined) ?? []) lines.push(`> **Warning:** ${w.message}`, '');
  }
  const t = targetTable(r);
  if ((r.epsilonForTarget ?? []).length) {
    lines.push('## ε needed for a target error', '');
    lines.push(
      `${TARGET_RULE} Targets: ${Object.entries((r.config.targets as Record<string, number>) ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}.`,
      '',
    );
    lines.push(...mdTable(t.header, t.rows), '', '![ε needed for the target error](epsilon-for-target.svg)', '');
    lines.push('<details><summary>Every pipeline</summary>', '', ...mdTable(t.full.header, t.full.rows), '', '</details>', '');
  }
  const epsilons = [...new Set(r.points.map((p) => p.epsilon))].sort((a, b) => a - b);
  for (const ins of r.insights) {
    lines.push(`## ${ins.title}`, '', `${ins.question} Error: ${ins.metricDescription}.`, '');
    if (ins.note) lines.push(`**Not computable on this data:** ${ins.note}.`, '');
    lines.push(`| pipeline | ${epsilons.map((e) => `ε=${e}`).join(' | ')} | released |`);
    lines.push(`|---|${epsilons.map(() => '---:').join('|')}|---:|`);
    for (const pl of r.pipelines) {
      const pts = pointsOf(r, ins.id, pl.id);
      if (pts.length === 0) continue;
      const cells = epsilons.map((e) => cell(pts.find((q) => q.epsilon === e)));
      const rel = pts.map((p) => p.released).filter((x) => Number.isFinite(x));
      const released = rel.length ? `${((rel.reduce((a, b) => a + b, 0) / rel.length) * 100).toFixed(0)} %` : '—';
      lines.push(`| ${pl.id}${pl.private ? '' : ' ⚠ not private'} | ${cells.join(' | ')} | ${released} |`);
    }
    lines.push('');
    for (const n of insightNotes(r, ins)) lines.push(n, '');
    const plots = (r.plots ?? []).filter((p) => p.insight === ins.id);
    for (const p of plots) lines.push(`![${p.kind === 'insight' ? ins.title : `${ins.title}: every LDP pipeline`}](${p.file})`, '');
  }
  lines.push('## Pipelines: threat model and what each treats as public', '');
  lines.push('Epsilons are comparable only between pipelines that protect the same things.', '');
  for (const pl of r.pipelines) {
    lines.push(`- **${pl.id}** — ${pl.description}.`);
    for (const t of pl.threatModel ?? []) lines.push(`  - threat model: ${t}`);
    for (const nb of pl.neighbours ?? []) lines.push(`  - neighbours: ${nb}`);
    for (const p of pl.treatsAsPublic ?? []) lines.push(`  - public: ${p}`);
  }
  lines.push('');
  const rep = reproduceLines(r);
  if (rep.length) lines.push('## How to cite / reproduce', '', ...rep, '');
  return lines.join('\n');
}

export function esc(s: string): string {
  return s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string);
}

export function htmlTable(header: string[], rows: string[][]): string {
  return `<table><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

export function toHtml(r: UtilityResults, svgs: Readonly<Record<string, string>>): string {
  const t = targetTable(r);
  const figure = (file: string) => `<figure data-plot="${esc(file)}">${svgs[file] ?? '<p>no plot</p>'}</figure>`;
  const sections = r.insights
    .map((ins) => {
      const plots = (r.plots ?? []).filter((p) => p.insight === ins.id);
      const notes = insightNotes(r, ins)
        .map((n) => `<p class="note">${esc(n)}</p>`)
        .join('');
      return `<section><h2>${esc(ins.title)}</h2><p>${esc(ins.question)} <em>Error: ${esc(ins.metricDescription)}.</em></p>${ins.note ? `<p class="note"><strong>Not computable on this data:</strong> ${esc(ins.note)}.</p>` : ''}${notes}${plots.map((p) => figure(p.file)).join('')}</section>`;
    })
    .join('\n');
  const st = steps(r);
  const rep = r.reproduce as { command?: string; dataSha256?: string | null; versions?: Record<string, string>; commit?: string | null; citation?: string | null } | undefined;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pinhole utility report</title>
<style>body{font-family:system-ui,sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#222}section{margin:1.5em 0}figure{margin:0.5em 0;display:inline-block;vertical-align:top}svg{max-width:100%;height:auto}table{border-collapse:collapse;font-size:0.9em;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}.note{color:#8a4b00}pre{background:#f4f4f4;padding:0.6em;overflow-x:auto}</style>
</head><body>
<h1>Pinhole utility report</h1>
<p>Seed <code>${esc(r.seed)}</code>, ${esc(String(r.data.devices))} devices (${esc(String(r.data.source))}), k = ${esc(String(r.config.k))}, δ = ${esc(String(r.config.delta))}, ${esc(String(r.config.trials))} trials. ε is one device's whole budget for the round. Tables: <a href="report.md">report.md</a>, data: <a href="results.json">results.json</a>, <a href="results.csv">results.csv</a>.</p>
${
  domainLines(r).length
    ? `<h3>Public domains</h3><ul>${domainLines(r)
        .map((l) => `<li>${esc(l)}</li>`)
        .join('')}</ul>`
    : ''
}
${st.length ? `<h3>Data</h3>${htmlTable(['step', 'rows in', 'kept', 'dropped (why)'], dataStepRows(st))}` : ''}
${((r.data.warnings as { message: string }[] | undefined) ?? []).map((w) => `<p class="note"><strong>Warning:</strong> ${esc(w.message)}</p>`).join('')}
${(r.epsilonForTarget ?? []).length ? `<section id="epsilon-for-target"><h2>ε needed for a target error</h2><p>${esc(TARGET_RULE)}</p>${htmlTable(t.header, t.rows)}${svgs['epsilon-for-target.svg'] ? figure('epsilon-for-target.svg') : ''}<details><summary>Every pipeline</summary>${htmlTable(t.full.header, t.full.rows)}</details></section>` : ''}
${sections}
${
  rep
    ? `<section id="reproduce"><h2>How to cite / reproduce</h2><pre>${esc(rep.command ?? '')}\n# or, with every option spelled out (<a href="config.json">config.json</a>):\nnpx pinhole-bench utility --config config.json --out &lt;folder&gt;</pre><p>Seed <code>${esc(r.seed)}</code>; data SHA-256 <code>${esc(String(rep.dataSha256 ?? 'n/a'))}</code>; versions: ${esc(
        Object.entries(rep.versions ?? {})
          .map(([k, v]) => `${k} ${v}`)
          .join(', '),
      )}${rep.commit ? `; commit <code>${esc(rep.commit)}</code>` : ''}.</p>${rep.citation ? `<p>${esc(rep.citation)}</p>` : ''}</section>`
    : ''
}
</body></html>
`;
}
