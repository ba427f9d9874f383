/**
 * The results folder every bench command writes: where it goes by default
 * (bench/results/<prefix><run id>, or --out), and the package versions it records.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The folder a run writes to: `out` when given, else bench/results/<prefix><run id> under the repository root. */
export function resultsFolder(root: string, runId: string, out: string | undefined, prefix = ''): string {
  return out ?? join(root, 'bench', 'results', `${prefix}${runId}`);
}

/** The versions of Node and of the packages that made a result. */
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
