/**
 * The client entry must run on a phone: nothing reachable from src/index.ts imports tfjs or a
 * `node:` module (static or dynamic import), and only @pinhole/core's phone-safe entries from outside
 * the package (not the seeded generators, not the test helpers).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const PHONE_SAFE_CORE = /^@pinhole\/core(\/(?!seeded$|testing$)[a-z]+)?$/;
const SRC = join(dirname(fileURLToPath(import.meta.url)), '..', 'src');

function reachable(entry: string): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  const visit = (file: string) => {
    if (seen.has(file)) return;
    const text = readFileSync(join(SRC, file), 'utf8');
    const specs = [...text.matchAll(/(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g)].map((m) => m[1] as string);
    seen.set(file, specs);
    for (const s of specs) if (s.startsWith('./')) visit(s.slice(2).replace(/\.js$/, '.ts'));
  };
  visit(entry);
  return seen;
}

describe('client entry', () => {
  it('reaches no tfjs, no node: module, and nothing outside @pinhole/core', () => {
    const graph = reachable('index.ts');
    expect(graph.has('tf-backend.ts')).toBe(false);
    expect(graph.has('square-wave-em.ts')).toBe(false);
    for (const [file, specs] of graph) {
      for (const s of specs) {
        if (s.startsWith('./')) continue;
        expect(s, `${file} imports ${s}`).toMatch(PHONE_SAFE_CORE);
      }
    }
  });
  it('the server entry does reach the tfjs modules', () => {
    const graph = reachable('server.ts');
    expect(graph.has('tf-backend.ts')).toBe(true);
    expect([...graph.values()].flat()).toContain('@tensorflow/tfjs');
  });
});
