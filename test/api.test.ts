/**
 * Every public entry of every package, as the sorted list of its exported names and their kind,
 * kept in <package>/api/<entry>.api.txt: a change to a public API shows up in review as a change
 * to that file (`npx vitest run test/api.test.ts -u` rewrites them). Also: core's index stays
 * small, and production code never imports `@pinhole/core/testing`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { apiEntries, apiSurfaces } from './support/api-surface.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const entries = apiEntries(ROOT);

describe('public API snapshots', () => {
  it('every declared entry has a source file', () => {
    expect(entries.length).toBeGreaterThan(10);
    for (const e of entries) expect(existsSync(e.source), `${e.dir} ${e.entry} -> ${relative(ROOT, e.source)}`).toBe(true);
  });

  // One program for all entries: building it is the slow part.
  const surfaces = apiSurfaces(ROOT, entries);

  entries.forEach((e, i) => {
    it(`${e.dir} ${e.entry}`, async () => {
      const lines = surfaces[i] as string[];
      expect(lines.length, `${e.dir} ${e.entry} exports nothing`).toBeGreaterThan(0);
      await expect(`${lines.join('\n')}\n`).toMatchFileSnapshot(join(ROOT, e.dir, 'api', `${e.name}.api.txt`));
    });
  });

  it("core's index exports fewer than 60 names", () => {
    const i = entries.findIndex((e) => e.dir === 'packages/core' && e.entry === '.');
    expect((surfaces[i] as string[]).length).toBeLessThan(60);
  });
});

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|js|mjs)$/.test(name)) out.push(path);
  }
  return out;
}

describe('test helpers stay out of production code', () => {
  it('no src/, benchmark/ or examples/ file imports @pinhole/core/testing', () => {
    const roots = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { workspaces: string[] };
    const files = [...roots.workspaces.flatMap((d) => ['src', 'benchmark'].map((s) => join(ROOT, d, s))), join(ROOT, 'examples')].filter((d) => existsSync(d));
    const scanned = files.flatMap((d) => sourceFiles(d));
    expect(scanned.length).toBeGreaterThan(50);
    const offenders = scanned.filter((f) => /from\s+'@pinhole\/core\/testing'/.test(readFileSync(f, 'utf8'))).map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });
});
