/**
 * The layering rules (.dependency-cruiser.cjs) hold: no cycle, no upward import between packages,
 * nothing node-only, tfjs, seeded or test-only reachable from a client entry, no undeclared package.
 * `npm run layering` checks the same in CI; here a violation fails the test suite too.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('layering', () => {
  it('dependency-cruiser finds no violation, and it cruised the workspaces', () => {
    // exits non-zero on a violation: the JSON on stdout still names each one
    const { stdout } = spawnSync(
      process.execPath,
      ['node_modules/dependency-cruiser/bin/dependency-cruise.mjs', '--config', '.dependency-cruiser.cjs', '--output-type', 'json', 'packages', 'datasets', 'bench', 'test', 'examples'],
      { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 },
    );
    const result = JSON.parse(stdout) as { summary: { violations: { rule: { name: string }; from: string; to: string }[]; totalCruised: number } };
    expect(result.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`)).toEqual([]);
    // an empty cruise would pass the check above: the client entry and core must have been read
    expect(result.summary.totalCruised).toBeGreaterThan(300);
  }, 60_000);
});
