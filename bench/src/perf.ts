/**
 * `pinhole-bench perf`: runs every package's perf suite (each measures its own baseline in the same
 * run), prints one table and writes perf.json / perf.md to the results folder.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { PerfRow, PerfSuite } from '@pinhole/core/perf';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The packages whose benchmark/index.ts export `suites`. */
export const PERF_PACKAGES = ['core', 'ldp', 'secagg', 'gate', 'prio3', 'client', 'aggregator', 'datasets'] as const;

export async function loadSuites(only?: readonly string[]): Promise<{ pkg: string; suites: PerfSuite[] }[]> {
  const out: { pkg: string; suites: PerfSuite[] }[] = [];
  for (const pkg of PERF_PACKAGES) {
    if (only && only.length && !only.includes(pkg)) continue;
    const file = join(ROOT, pkg === 'datasets' ? 'datasets' : join('packages', pkg), 'benchmark', 'index.ts');
    if (!existsSync(file)) continue;
    const mod = (await import(pathToFileURL(file).href)) as { suites?: PerfSuite[] };
    if (Array.isArray(mod.suites)) out.push({ pkg, suites: mod.suites });
  }
  return out;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x >= 100) return Math.round(x).toLocaleString('en-US');
  return x.toPrecision(3);
}

export function perfMarkdown(rows: readonly PerfRow[]): string {
  const lines = ['| suite | operation | ops/s | unit | mean ms | vs baseline | baseline | other |', '|---|---|---:|---|---:|---:|---|---|'];
  for (const r of rows) {
    const extra = r.extra
      ? Object.entries(r.extra)
          .map(([k, v]) => `${k}=${typeof v === 'number' ? fmt(v) : v}`)
          .join(', ')
      : '';
    lines.push(`| ${r.suite} | ${r.name} | ${fmt(r.opsPerSec)} | ${r.unit} | ${fmt(r.meanMs)} | ${r.ratio === undefined ? '' : `${r.ratio.toPrecision(3)}×`} | ${r.baseline ?? ''} | ${extra} |`);
  }
  return `${lines.join('\n')}\n`;
}

export async function runPerf(options: { quick: boolean; only?: readonly string[]; outDir: string; log: (line: string) => void; meta: Record<string, unknown> }): Promise<PerfRow[]> {
  const loaded = await loadSuites(options.only);
  const rows: PerfRow[] = [];
  for (const { pkg, suites } of loaded) {
    for (const suite of suites) {
      options.log(`perf: ${pkg} …`);
      const t0 = performance.now();
      rows.push(...(await suite({ quick: options.quick, log: options.log })));
      options.log(`perf: ${pkg} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  }
  await mkdir(options.outDir, { recursive: true });
  await writeFile(join(options.outDir, 'perf.json'), `${JSON.stringify({ ...options.meta, rows }, null, 2)}\n`);
  await writeFile(join(options.outDir, 'perf.md'), `# pinhole-bench perf\n\n${perfMarkdown(rows)}`);
  return rows;
}
