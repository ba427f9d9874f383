/**
 * The results folder of `pinhole-bench poison`: results.json, results.csv (one row per pipeline,
 * figure, epsilon and attacker fraction), report.md (what limits an attacker in each pipeline, how
 * far the published figure moves per percent of attackers next to that limit), one main figure and
 * one small-multiples figure per collection and epsilon, and index.html.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { formatNumber } from './format.js';
import { OKABE_ITO, renderSvg } from './plots.js';
import { type PoisonAttackInfo, type PoisonCollection, type PoisonPoint, type PoisonTarget, POISON_PIPELINES } from './poison.js';
import { esc, htmlTable, mdTable } from './report.js';

export interface PoisonResults {
  readonly schema: 'pinhole-bench/poison@1';
  readonly config: Readonly<Record<string, unknown>>;
  readonly seed: string;
  readonly versions: Readonly<Record<string, string>>;
  readonly machine: Readonly<Record<string, unknown>>;
  readonly startedAt: string;
  readonly durationMs: number;
  readonly data: Readonly<Record<string, unknown>>;
  readonly targets: readonly PoisonTarget[];
  readonly attacks: readonly PoisonAttackInfo[];
  readonly points: readonly PoisonPoint[];
  /** pipelines listed but not measured yet, with why */
  readonly planned: readonly { id: string; note: string }[];
  readonly reproduce: Readonly<Record<string, unknown>>;
  readonly plots?: readonly { file: string; kind: 'poison' | 'poison-ldp'; collection: PoisonCollection; epsilon: number; series: readonly string[] }[];
}

export const FIGURES: Readonly<Record<PoisonCollection, { title: string; unit: string; what: string }>> = {
  'poor-by-operator-region': { title: 'Share of poor measurements of one operator × region', unit: 'pp', what: 'published poor share minus the honest one, in percentage points' },
  'rtt-by-operator': { title: 'Mean RTT of one operator', unit: 'ms', what: 'published mean RTT minus the honest one, in ms' },
};

function pct(f: number): string {
  return `${Number((f * 100).toPrecision(3))} %`;
}

/** The shift per 1 % of attackers: at the smallest fraction of at least 1 % (or the largest), scaled to 1 %. */
export function perPercent(points: readonly PoisonPoint[]): { value: number; at: number } | null {
  const nonzero = points.filter((p) => p.fraction > 0 && Number.isFinite(p.shift.mean)).sort((a, b) => a.fraction - b.fraction);
  if (nonzero.length === 0) return null;
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- tsc's noUncheckedIndexedAccess needs it
  const p = nonzero.find((q) => q.fraction >= 0.01) ?? (nonzero[nonzero.length - 1] as PoisonPoint);
  return { value: p.shift.mean / (p.fraction * 100), at: p.fraction };
}

function pointsOf(r: PoisonResults, collection: PoisonCollection, epsilon: number, pipeline: string): PoisonPoint[] {
  return r.points.filter((p) => p.collection === collection && p.epsilon === epsilon && p.pipeline === pipeline).sort((a, b) => a.fraction - b.fraction);
}

function combos(r: PoisonResults): { collection: PoisonCollection; epsilon: number }[] {
  const out: { collection: PoisonCollection; epsilon: number }[] = [];
  for (const t of r.targets)
    for (const e of [...new Set(r.points.map((p) => p.epsilon))].sort((a, b) => a - b))
      if (r.points.some((p) => p.collection === t.collection && p.epsilon === e)) out.push({ collection: t.collection, epsilon: e });
  return out;
}

function table(r: PoisonResults, collection: PoisonCollection, epsilon: number): { header: string[]; rows: string[][] } {
  const fractions = [...new Set(r.points.filter((p) => p.collection === collection).map((p) => p.fraction))].sort((a, b) => a - b);
  const unit = FIGURES[collection].unit;
  const header = ['pipeline', ...fractions.map((f) => (f === 0 ? '0 % (noise only)' : pct(f))), `per 1 % of attackers`, `limit at 1 %`];
  const rows: string[][] = [];
  for (const { id, planned } of POISON_PIPELINES) {
    const pts = pointsOf(r, collection, epsilon, id);
    if (planned) {
      rows.push([`${id} (planned)`, ...fractions.map(() => '—'), '—', 'one valid one-hot per device (validity proofs)']);
      continue;
    }
    if (pts.length === 0) continue;
    const pp = perPercent(pts);
    const at1 = pts.find((p) => Math.abs(p.fraction - 0.01) < 1e-12) ?? pts.find((p) => p.fraction >= 0.01);
    rows.push([
      id,
      ...fractions.map((f) => {
        const p = pts.find((q) => q.fraction === f);
        return p ? (Number.isFinite(p.shift.mean) ? `${formatNumber(p.shift.mean, 2)}${p.released < 1 ? ` (${Math.round(p.released * 100)} % published)` : ''}` : 'withheld') : '—';
      }),
      pp ? `${formatNumber(pp.value, 2)} ${unit}` : '—',
      at1 ? (at1.bound === null ? 'unbounded' : `${formatNumber(at1.bound, 2)} ${unit}`) : '—',
    ]);
  }
  return { header, rows };
}

function mainSeries(r: PoisonResults, collection: PoisonCollection, epsilon: number): string[] {
  const ldp = [...new Set(r.points.filter((p) => p.collection === collection && p.epsilon === epsilon && p.pipeline.startsWith('ldp-') && p.pipeline !== 'ldp-auto').map((p) => p.pipeline))];
  let worst: string | null = null;
  let worstShift = -Infinity;
  for (const id of ldp) {
    const pp = perPercent(pointsOf(r, collection, epsilon, id));
    if (pp && pp.value > worstShift) {
      worstShift = pp.value;
      worst = id;
    }
  }
  return ['kanon-only', 'central-dp', 'secagg-ddp', 'prio3-dp', 'ldp-auto', ...(worst ? [worst] : [])].filter((id) => pointsOf(r, collection, epsilon, id).length > 0);
}

const COLOUR_OF: Readonly<Record<string, string>> = {
  'kanon-only': OKABE_ITO.black,
  'central-dp': OKABE_ITO.blue,
  'secagg-ddp': OKABE_ITO.green,
  'prio3-dp': OKABE_ITO.orange,
  'ldp-auto': OKABE_ITO.purple,
};

export function poisonSpec(r: PoisonResults, collection: PoisonCollection, epsilon: number): { spec: TopLevelSpec; series: string[] } {
  const fig = FIGURES[collection];
  const ids = mainSeries(r, collection, epsilon);
  const label = (id: string, _i: number) => (COLOUR_OF[id] === undefined ? `most moved LDP: ${id}` : id);
  const labels = ids.map(label);
  const rows = ids.flatMap((id, i) =>
    pointsOf(r, collection, epsilon, id)
      .filter((p) => Number.isFinite(p.shift.mean))
      .map((p) => ({ series: label(id, i), attackers: p.fraction * 100, shift: p.shift.mean, lo: p.shift.lo, hi: p.shift.hi })),
  );
  const bounds = ids.flatMap((id, i) =>
    pointsOf(r, collection, epsilon, id)
      .filter((p) => p.bound !== null)
      .map((p) => ({ series: label(id, i), attackers: p.fraction * 100, shift: p.bound as number })),
  );
  // a square-root axis: the small fractions, where the pipelines part ways, get room
  const x = { field: 'attackers', type: 'quantitative' as const, title: 'malicious devices (% of all reporting devices, square-root axis)', scale: { type: 'sqrt' as const } };
  const y = { field: 'shift', type: 'quantitative' as const, title: `published − honest (${fig.unit})` };
  const color = {
    field: 'series',
    type: 'nominal' as const,
    title: null,
    scale: { domain: labels, range: ids.map((id) => COLOUR_OF[id] ?? OKABE_ITO.vermillion) },
    legend: { orient: 'right' as const, labelLimit: 260 },
  };
  return {
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: `Poisoning: ${fig.title} (ε = ${epsilon})`, subtitle: "solid: measured (band: 95 % over trials); dashed: the most the pipeline's input validation allows in expectation" },
      width: 520,
      height: 300,
      layer: [
        { data: { values: rows }, mark: { type: 'errorband', opacity: 0.15 }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color } },
        { name: 'measured', data: { values: rows }, mark: { type: 'line', point: true, strokeWidth: 2 }, encoding: { x, y, color } },
        ...(bounds.length ? [{ name: 'limit', data: { values: bounds }, mark: { type: 'line' as const, strokeDash: [5, 4], strokeWidth: 1.2 }, encoding: { x, y, color } }] : []),
      ],
    },
    series: labels,
  };
}

export function poisonLdpSpec(r: PoisonResults, collection: PoisonCollection, epsilon: number): { spec: TopLevelSpec; series: string[] } | null {
  const fig = FIGURES[collection];
  const ids = [...new Set(r.points.filter((p) => p.collection === collection && p.epsilon === epsilon && p.pipeline.startsWith('ldp-')).map((p) => p.pipeline))].sort();
  if (ids.length === 0) return null;
  const ref = pointsOf(r, collection, epsilon, 'central-dp');
  const data = ids
    .flatMap((id) => [
      ...pointsOf(r, collection, epsilon, id).map((p) => ({ panel: id, role: 'measured', attackers: p.fraction * 100, shift: p.shift.mean })),
      ...pointsOf(r, collection, epsilon, id)
        .filter((p) => p.bound !== null)
        .map((p) => ({ panel: id, role: 'limit', attackers: p.fraction * 100, shift: p.bound as number })),
      ...ref.map((p) => ({ panel: id, role: 'central-dp (reference)', attackers: p.fraction * 100, shift: p.shift.mean })),
    ])
    .filter((d) => Number.isFinite(d.shift));
  const x = { field: 'attackers', type: 'quantitative' as const, title: 'malicious devices (%, sqrt axis)', scale: { type: 'sqrt' as const } };
  const y = { field: 'shift', type: 'quantitative' as const, title: fig.unit };
  return {
    spec: {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: { text: `Poisoning, every LDP pipeline: ${fig.title} (ε = ${epsilon})`, subtitle: 'vermillion: measured; dashed: the limit of its input validation; grey: central-dp' },
      data: { values: data },
      facet: { field: 'panel', type: 'nominal', title: null },
      columns: 4,
      spec: {
        width: 170,
        height: 110,
        layer: [
          {
            name: 'measured',
            mark: { type: 'line', point: { size: 10 } },
            encoding: {
              x,
              y,
              color: { field: 'role', type: 'nominal', title: null, scale: { domain: ['measured', 'limit', 'central-dp (reference)'], range: [OKABE_ITO.vermillion, OKABE_ITO.black, '#999999'] } },
              strokeDash: {
                field: 'role',
                type: 'nominal',
                legend: null,
                scale: {
                  domain: ['measured', 'limit', 'central-dp (reference)'],
                  range: [
                    [1, 0],
                    [4, 3],
                    [1, 0],
                  ],
                },
              },
            },
          },
        ],
      },
      resolve: { scale: { y: 'shared' } },
    } as TopLevelSpec,
    series: ids,
  };
}

export function poisonCsv(r: PoisonResults): string {
  const head = 'pipeline,collection,epsilon,fraction,attackers,honest,target_devices,truth,shift_mean,shift_lo,shift_hi,trials,released,bound';
  const rows = r.points.map((p) =>
    [p.pipeline, p.collection, p.epsilon, p.fraction, p.attackers, p.honest, p.targetDevices, p.truth, p.shift.mean, p.shift.lo, p.shift.hi, p.shift.trials, p.released, p.bound ?? ''].join(','),
  );
  return `${[head, ...rows].join('\n')}\n`;
}

export const POISON_EXPLAINED = [
  "A malicious device sends, within what the aggregator accepts, the report that pushes one group's published figure up the most; the figures below show how far the published value moves as such devices make up a growing share of all reporting devices, and the dashed lines the most the pipeline's input validation and contribution bounds allow (in expectation).",
  "Central DP, k-anonymity and Prio3 (prio3-dp) accept one valid report per device: an attacker counts as one device, so the figure moves only as far as adding that many honest-looking devices would; prio3-dp's out-of-range reports (with proofs made for them) fail verification and are not counted. Local DP accepts any report that decodes and then unbiases it, so each attacker counts as (1 − q*)/(p* − q*) devices (more at small ε): local DP amplifies poisoning (Cao, Jia, Gong, USENIX Security 2021). Secure aggregation never sees a device's vector, so without validity proofs one device can set the figure to anything: secagg-ddp moves to the end of its range with a single attacker.",
  'Each attacker is one device with one report: the server enforces one report per device per round; an attacker who controls many devices (Sybils) is what the fraction measures.',
];

export function poisonMarkdown(r: PoisonResults): string {
  const lines: string[] = ['# Pinhole poisoning experiment', ''];
  lines.push(
    `Seed \`${r.seed}\`, ${String(r.data.devices)} honest devices (${String(r.data.source)}), k = ${String(r.config.k)}, δ = ${String(r.config.delta)}, ${String(r.config.trials)} trials per point. Run ${r.startedAt} in ${(r.durationMs / 1000).toFixed(1)} s.`,
    '',
  );
  for (const p of POISON_EXPLAINED) lines.push(p, '');
  lines.push('**Targets** (a typical group: the median size among groups with at least 100 devices):', '');
  for (const t of r.targets) lines.push(`- ${FIGURES[t.collection].title}: \`${t.label}\`, ${t.devices} honest devices, honest figure ${formatNumber(t.truth, 3)} ${FIGURES[t.collection].unit}.`);
  lines.push('', '## What limits an attacker', '');
  const seen = new Set<string>();
  const attackRows: string[][] = [];
  for (const a of r.attacks) {
    const key = `${a.pipeline}/${a.collection}/${a.epsilon}`;
    if (seen.has(key)) continue;
    seen.add(key);
    attackRows.push([a.pipeline, a.collection, String(a.epsilon), a.report, a.limit, a.amplification === null ? 'unbounded' : formatNumber(a.amplification, 3)]);
  }
  for (const p of r.planned) attackRows.push([p.id, '—', '—', '—', p.note, '1 (planned)']);
  lines.push(...mdTable(['pipeline', 'collection', 'ε', 'crafted report', 'what the aggregator accepts', 'one attacker counts as (devices)'], attackRows), '');
  for (const { collection, epsilon } of combos(r)) {
    const fig = FIGURES[collection];
    const t = table(r, collection, epsilon);
    lines.push(`## ${fig.title}, ε = ${epsilon}`, '', `Cells: ${fig.what} (mean over trials).`, '', ...mdTable(t.header, t.rows), '');
    for (const p of r.plots?.filter((q) => q.collection === collection && q.epsilon === epsilon) ?? [])
      lines.push(`![${fig.title}, ε = ${epsilon}${p.kind === 'poison-ldp' ? ', every LDP pipeline' : ''}](${p.file})`, '');
  }
  lines.push('## Reproduce', '', '```sh', reproduceCommand(r), '```', '');
  return lines.join('\n');
}

export function poisonHtml(r: PoisonResults, svgs: Readonly<Record<string, string>>): string {
  const sections = combos(r)
    .map(({ collection, epsilon }) => {
      const t = table(r, collection, epsilon);
      const figs = (r.plots ?? [])
        .filter((p) => p.collection === collection && p.epsilon === epsilon)
        .map((p) => `<figure data-plot="${esc(p.file)}">${svgs[p.file] ?? ''}</figure>`)
        .join('');
      return `<section><h2>${esc(FIGURES[collection].title)}, ε = ${epsilon}</h2><p>${esc(FIGURES[collection].what)}.</p>${htmlTable(t.header, t.rows)}${figs}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Pinhole poisoning experiment</title>
<style>body{font-family:system-ui,sans-serif;max-width:1240px;margin:2em auto;padding:0 1em;color:#222}figure{margin:0.5em 0;display:inline-block;vertical-align:top}svg{max-width:100%;height:auto}table{border-collapse:collapse;font-size:0.85em;margin:0.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}td:first-child,th:first-child{text-align:left}pre{background:#f4f4f4;padding:0.6em}</style>
</head><body><h1>Pinhole poisoning experiment</h1>
${POISON_EXPLAINED.map((p) => `<p>${esc(p)}</p>`).join('')}
<p>Tables: <a href="report.md">report.md</a>, data: <a href="results.json">results.json</a>, <a href="results.csv">results.csv</a>.</p>
${sections}
<h2>Reproduce</h2><pre>${esc(reproduceCommand(r))}</pre>
</body></html>
`;
}

export async function writePoisonResults(outDir: string, r: PoisonResults): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const files: string[] = [];
  const put = async (name: string, text: string) => {
    await writeFile(join(outDir, name), text);
    files.push(name);
  };
  const svgs: Record<string, string> = {};
  const plots: NonNullable<PoisonResults['plots']>[number][] = [];
  for (const { collection, epsilon } of combos(r)) {
    const main = poisonSpec(r, collection, epsilon);
    const file = `poison-${collection}-eps${epsilon}.svg`;
    svgs[file] = await renderSvg(main.spec);
    plots.push({ file, kind: 'poison', collection, epsilon, series: main.series });
    const ldp = poisonLdpSpec(r, collection, epsilon);
    if (ldp) {
      const f2 = `poison-${collection}-eps${epsilon}-ldp.svg`;
      svgs[f2] = await renderSvg(ldp.spec);
      plots.push({ file: f2, kind: 'poison-ldp', collection, epsilon, series: ldp.series });
    }
  }
  const withPlots: PoisonResults = { ...r, plots };
  await put('results.json', `${JSON.stringify(withPlots, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`);
  await put('results.csv', poisonCsv(r));
  await put('report.md', poisonMarkdown(withPlots));
  for (const [f, svg] of Object.entries(svgs)) await put(f, svg);
  await put('index.html', poisonHtml(withPlots, svgs));
  return files;
}

/** The command that reproduces the run ('' when the report has none). */
function reproduceCommand(r: { readonly reproduce: Readonly<Record<string, unknown>> }): string {
  return typeof r.reproduce.command === 'string' ? r.reproduce.command : '';
}
