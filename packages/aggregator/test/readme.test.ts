import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// The README's first code block, extracted and run as written (not copied by hand), then checked
// against what its comments claim.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

describe('README', () => {
  it('runs its example as written', async () => {
    const readme = readFileSync(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme);
    expect(block).not.toBeNull();
    const dir = join(ROOT, '.vitest');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `readme-aggregator-${process.pid}.ts`);
    writeFileSync(file, `${block![1]}\nexport { plan, engine, round, release, report };\n`);
    try {
      const m = (await import(file)) as Record<string, any>;
      expect(m.plan.collections.map((c: { id: string }) => c.id)).toEqual(['network-type-by-region', 'rtt-by-operator']);
      expect(m.round.reports).toBe(1);
      expect(m.release.status).toBe('refused');
      expect(m.release.refusal.reason).toBe('min_cohort');
      expect(m.release.spent).toEqual({ epsilon: 2, delta: 0 });
    } finally {
      rmSync(file, { force: true });
    }
  });
});
