/**
 * Finding the real data: `PINHOLE_DATA_DIR`, the shared datasets folder beside the repository, or
 * the copy vendored in datasets/data; and which mobilebandwidth files make a folder hold it.
 * Node-only (reads the file system).
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkObject } from '@pinhole/core/validate';
import { VENDORED_DATA_DIR } from './data-dir.js';

/** The mobilebandwidth data set's folder and its five files: a folder holding them holds the data. */
export const MOBILEBANDWIDTH_FOLDER = 'mobilebandwidth-sigcomm22';
export const MOBILEBANDWIDTH_FILES = ['4G', '5G', 'wifi4', 'wifi5', 'wifi6'] as const;
export type MobileBandwidthFile = (typeof MOBILEBANDWIDTH_FILES)[number];

export interface RealDataLocation {
  /** the datasets folder (holding one folder per data set) */
  readonly dir: string;
  /** the mobilebandwidth folder when its five files are there (as .csv or .csv.gz), else null */
  readonly mobilebandwidth: string | null;
  /**
   * where it was found: `env` (PINHOLE_DATA_DIR), `shared` (../shared/datasets beside the
   * repository) or `vendored` (the gzipped copy in datasets/data, always there in a clone)
   */
  readonly source: 'env' | 'shared' | 'vendored';
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** The path of one mobilebandwidth file in `dir`: `<name>.csv`, else `<name>.csv.gz`. */
export function mobileBandwidthFile(dir: string, name: MobileBandwidthFile): string {
  const plain = join(dir, `${name}.csv`);
  return isFile(plain) || !isFile(`${plain}.gz`) ? plain : `${plain}.gz`;
}

function hasMobileBandwidth(dir: string): boolean {
  return MOBILEBANDWIDTH_FILES.every((f) => isFile(join(dir, `${f}.csv`)) || isFile(join(dir, `${f}.csv.gz`)));
}

function repoRoot(start: string): string | null {
  let d = resolve(start);
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { workspaces?: unknown };
      if (pkg.workspaces !== undefined) return d;
    } catch {
      // no package.json here: keep climbing
    }
    const up = dirname(d);
    if (up === d) return null;
    d = up;
  }
}

function locate(c: string, source: RealDataLocation['source']): RealDataLocation | null {
  if (!isDir(c)) return null;
  if (hasMobileBandwidth(c)) return { dir: dirname(c), mobilebandwidth: c, source };
  const mb = join(c, MOBILEBANDWIDTH_FOLDER);
  return { dir: c, mobilebandwidth: hasMobileBandwidth(mb) ? mb : null, source };
}

/**
 * Where the real data is. `PINHOLE_DATA_DIR` when set (the datasets folder, or the
 * mobilebandwidth folder itself; null when it holds nothing). Otherwise `../shared/datasets`
 * beside the repository root (found from this module and from the working directory) when it
 * holds the mobilebandwidth files, else the gzipped copy vendored in `datasets/data`. Both
 * overrides are optional: a clone reads the vendored copy.
 */
export function findRealData(options: { readonly env?: Readonly<Record<string, string | undefined>>; readonly cwd?: string } = {}): RealDataLocation | null {
  checkObject('options', options);
  const env = options.env ?? process.env;
  const fromEnv = env.PINHOLE_DATA_DIR;
  if (fromEnv !== undefined && fromEnv !== '') return locate(resolve(fromEnv), 'env');
  for (const start of [dirname(fileURLToPath(import.meta.url)), options.cwd ?? process.cwd()]) {
    const root = repoRoot(start);
    if (root === null) continue;
    const shared = locate(join(root, '..', 'shared', 'datasets'), 'shared');
    if (shared?.mobilebandwidth) return shared;
  }
  return locate(VENDORED_DATA_DIR, 'vendored');
}
