/**
 * The public surface of every workspace package: for each entry its package.json "exports"
 * declares, the sorted exported names with their kind, read by the type checker (so `export *`
 * and type-only exports count). Used by test/api.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

export interface ApiEntry {
  /** Workspace folder, e.g. `packages/core`. */
  readonly dir: string;
  /** The entry as declared, e.g. `.` or `./testing`. */
  readonly entry: string;
  /** Snapshot file name: `index` for `.`, else the subpath with `/` as `-`. */
  readonly name: string;
  readonly source: string;
}

interface ExportTarget {
  readonly 'pinhole-source'?: string;
}

export function apiEntries(root: string): ApiEntry[] {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces: string[] };
  const entries: ApiEntry[] = [];
  for (const dir of rootPkg.workspaces) {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { exports?: Record<string, ExportTarget | string | null> };
    for (const [entry, target] of Object.entries(pkg.exports ?? {})) {
      if (target === null || typeof target === 'string' || target['pinhole-source'] === undefined) continue;
      const name = entry === '.' ? 'index' : entry.replace(/^\.\//, '').replaceAll('/', '-');
      entries.push({ dir, entry, name, source: join(root, dir, target['pinhole-source']) });
    }
  }
  return entries;
}

function kindOf(symbol: ts.Symbol, checker: ts.TypeChecker): string {
  const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
  const f = target.flags;
  if (f & ts.SymbolFlags.Class) return 'class';
  if (f & ts.SymbolFlags.Function) return 'function';
  if (f & ts.SymbolFlags.Enum) return 'enum';
  if (f & ts.SymbolFlags.Variable) return 'const';
  if (f & ts.SymbolFlags.Interface) return 'interface';
  if (f & ts.SymbolFlags.TypeAlias) return 'type';
  if (f & ts.SymbolFlags.Module) return 'namespace';
  return 'unknown';
}

/** `name kind` lines, sorted by name, for each entry (same order as `entries`). */
export function apiSurfaces(root: string, entries: readonly ApiEntry[]): string[][] {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined });
  if (config === undefined) throw new Error('tsconfig.json did not parse');
  const program = ts.createProgram({ rootNames: entries.map((e) => e.source), options: { ...config.options, noEmit: true } });
  const checker = program.getTypeChecker();
  return entries.map((e) => {
    const file = program.getSourceFile(e.source);
    const moduleSymbol = file === undefined ? undefined : checker.getSymbolAtLocation(file);
    if (moduleSymbol === undefined) throw new Error(`${e.dir} ${e.entry}: ${e.source} is not a module`);
    return checker
      .getExportsOfModule(moduleSymbol)
      .map((s) => `${s.getName()} ${kindOf(s, checker)}`)
      .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  });
}
