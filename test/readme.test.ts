import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { PinholeError, PrivacyAccountant, validateNetworkSample } from '@pinhole/core';
import type { makeOue } from '@pinhole/ldp';

// The README's code blocks marked `<!-- readme-test: NAME -->` run as written: each is copied to a
// module beside this test (so its imports resolve as in the workspace), its top-level constants are
// exported, and the test checks what the README says about them.
const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const BLOCK = /<!-- readme-test: ([\w-]+) -->\n```ts\n([\s\S]*?)\n```/g;
const blocks = new Map([...README.matchAll(BLOCK)].map((m) => [m[1] as string, m[2] as string]));
const dir = new URL('./.readme-blocks/', import.meta.url);

async function run(name: string): Promise<Record<string, unknown>> {
  const code = blocks.get(name);
  if (code === undefined) throw new Error(`README has no block marked <!-- readme-test: ${name} -->`);
  const names = [...code.matchAll(/^const (\w+)/gm)].map((m) => m[1] as string);
  mkdirSync(dir, { recursive: true });
  const file = new URL(`${name}.ts`, dir);
  writeFileSync(file, `${code}\nexport { ${names.join(', ')} };\n`);
  return (await import(file.href)) as Record<string, unknown>;
}

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README code blocks', () => {
  it('marks the blocks this test runs, and each is non-empty', () => {
    expect([...blocks.keys()]).toEqual(['taste']);
    for (const code of blocks.values()) expect(code.trim().length).toBeGreaterThan(0);
  });

  it('taste: runs as written, its error comment holds, and the report reaches a tally', async () => {
    const m = await run('taste');
    const sample = validateNetworkSample(m.sample);
    expect(sample).toEqual(m.sample);
    // the block's comment names the error a bad field throws
    const said = /PinholeError \{ code: '(\w+)', param: '([\w.]+)' \}/.exec(blocks.get('taste') as string);
    expect(said).not.toBeNull();
    const [, code, param] = said as RegExpExecArray;
    const field = (param as string).replace(/^sample\./, '');
    let err: unknown;
    try {
      validateNetworkSample({ ...sample, [field]: -1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PinholeError);
    expect(err).toMatchObject({ code, param });

    const oracle = m.oracle as ReturnType<typeof makeOue>;
    const report = m.report as Uint8Array;
    expect(report).toBeInstanceOf(Uint8Array);
    expect(report.length).toBeGreaterThan(0);
    const tally = oracle.makeTally();
    tally.add(oracle.decodeReport(report));
    expect(tally.n).toBe(1);

    const ledger = m.ledger as PrivacyAccountant;
    expect(ledger).toBeInstanceOf(PrivacyAccountant);
    expect(ledger.entries()).toHaveLength(2);
    expect(ledger.spent().epsilon).toBeGreaterThan(0.5);
    expect(ledger.spent().epsilon).toBeLessThanOrEqual(1);
  });
});
