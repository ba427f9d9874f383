import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every `*.proof.md` documents the mechanism file beside it (x.proof.md → x.ts; a protocol note such
// as secagg.proof.md, with no such file, documents the files it cites). The test ties them: every
// source file the note cites (`name.ts`) exists beside it (or in its package's tests, or in core, which owns the shared
// samplers and privacy maps), and every function it cites as `name(…)` is defined in the documented
// or cited files, else in its package's or core's sources (a helper it calls by name). A stale note fails here.
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC_DIRS = ['packages', 'datasets', 'bench']
  .flatMap((top) => (top === 'packages' ? readdirSync(join(ROOT, top)).map((p) => join(ROOT, top, p, 'src')) : [join(ROOT, top, 'src')]))
  .filter((d) => existsSync(d));
const PROOFS = SRC_DIRS.flatMap((d) =>
  readdirSync(d)
    .filter((f) => f.endsWith('.proof.md'))
    .map((f) => join(d, f)),
);
const CORE_SRC = join(ROOT, 'packages', 'core', 'src');
const BUILTINS = new Set(['String', 'Number', 'BigInt', 'Math', 'Object', 'Array', 'Boolean']);

/** Where a cited `name.ts` lives: beside the note, in its package's tests, else in core. */
function locate(dir: string, file: string): string | undefined {
  return [join(dir, file), join(dir, '..', 'test', file), join(CORE_SRC, file)].find((p) => existsSync(p));
}

describe('proof notes', () => {
  it('exist for the mechanisms (19 notes when this test was written)', () => {
    expect(PROOFS.length).toBeGreaterThanOrEqual(19);
  });

  for (const proof of PROOFS) {
    const name = basename(proof, '.proof.md');
    const dir = dirname(proof);
    it(`${proof.slice(ROOT.length)} cites files that exist and functions they define`, () => {
      const text = readFileSync(proof, 'utf8');
      const own = join(dir, `${name}.ts`);
      const cited = [...new Set([...text.matchAll(/`(?:[\w./-]*\/)?([\w.-]+\.ts)`|\b([\w-][\w.-]*\.ts)\b/g)].map((m) => (m[1] ?? m[2]) as string))];
      expect(existsSync(own) || cited.length > 0, `${name}.ts beside the note, or the files it documents`).toBe(true);
      const sources = existsSync(own) ? [own] : [];
      for (const file of cited) {
        const at = locate(dir, file);
        expect(at, `${file}, cited by ${basename(proof)}`).toBeDefined();
        if (!sources.includes(at as string)) sources.push(at as string);
      }
      const read = (files: readonly string[]) => files.map((p) => readFileSync(p, 'utf8')).join('\n');
      const near = read(sources);
      const wide = read(
        [dir, CORE_SRC].flatMap((d) =>
          readdirSync(d)
            .filter((f) => f.endsWith('.ts'))
            .map((f) => join(d, f)),
        ),
      );
      const functions = [...new Set([...text.matchAll(/`([A-Za-z_$][\w$]*)\(/g)].map((m) => m[1] as string))].filter((fn) => !BUILTINS.has(fn));
      expect(sources.length).toBeGreaterThan(0);
      for (const fn of functions) {
        const defines = new RegExp(`(function\\*?\\s+${fn}\\b|\\b${fn}\\s*[(=:<])`);
        expect(defines.test(near) || defines.test(wide), `${fn}(), cited by ${basename(proof)}, not in ${sources.map((p) => basename(p)).join(', ')} nor the package's or core's sources`).toBe(true);
      }
    });
  }
});
