import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findRealData } from '@pinhole/datasets';
import type { UtilityResults } from '../src/output.js';
import { parseUtilityArgs } from '../src/utility-config.js';

const BIN = fileURLToPath(new URL('../bin/pinhole-bench.js', import.meta.url));

function bench(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SMALL = ['--devices', '5000', '--trials', '2', '--epsilons', '1,4', '--pipelines', 'raw,kanon-only,central-dp,ldp-oue,ldp-hybrid,ldp-auto'];

describe('pinhole-bench utility', () => {
  it('writes every output file, with the documented results.json schema', () => {
    const out = mkdtempSync(join(tmpdir(), 'pinhole-bench-'));
    const r = bench(['utility', ...SMALL, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/utility: \d+\/\d+/); // progress on stderr
    expect(r.stdout).toMatch(/central-dp/);
    const files = readdirSync(out);
    for (const f of ['results.json', 'results.csv', 'report.md', 'index.html']) expect(files).toContain(f);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as UtilityResults;
    expect(results.schema).toBe('pinhole-bench/utility@1');
    expect(results.seed).toBe('pinhole');
    expect(results.versions['@pinhole/core']).toBe('0.1.0');
    for (const ins of results.insights) expect(files).toContain(`${ins.id}.svg`);
    for (const plot of results.plots ?? []) expect(files).toContain(plot.file);
    const p = results.points.find((q) => q.insight === 'poor-share' && q.pipeline === 'central-dp' && q.epsilon === 1)!;
    expect(p).toMatchObject({ delta: 1e-6, k: 20, error: { trials: 2 } });
    expect(p.error.lo).toBeLessThanOrEqual(p.error.mean);
    expect(p.error.hi).toBeGreaterThanOrEqual(p.error.mean);
    const csv = readFileSync(join(out, 'results.csv'), 'utf8').trim().split('\n');
    expect(csv).toHaveLength(results.points.length + 1);
    const html = readFileSync(join(out, 'index.html'), 'utf8');
    expect((html.match(/<svg/g) ?? []).length).toBe(results.plots?.length);
    // exact zeros print as 0, never as float residue (1.22e-14)
    const rawLines = r.stdout.split('\n').filter((l) => /^\s+raw\s/.test(l));
    expect(rawLines.length).toBeGreaterThan(0);
    for (const l of rawLines) expect(l.trim().split(/\s+/).slice(1)).toEqual(['0', '0']);
    expect(r.stdout).not.toMatch(/\de-1\d/);
    const md = readFileSync(join(out, 'report.md'), 'utf8');
    expect(md).toMatch(/\| raw ⚠ not private \| 0 \| 0 \|/);
    // the cite / reproduce block: command, seed, data hash, versions, in both reports
    expect(md).toMatch(/## How to cite \/ reproduce/);
    expect(md).toContain('npx pinhole-bench utility --devices 5000 --trials 2 --epsilons 1,4');
    expect(md).toMatch(/- seed: `pinhole`/);
    expect(md).toMatch(new RegExp(`SHA-256 \`${String(results.data.sha256)}\``));
    expect(String(results.data.sha256)).toMatch(/^[0-9a-f]{64}$/);
    expect(md).toMatch(/versions: node v\d+.*@pinhole\/core 0\.1\.0/);
    expect(html).toMatch(/<section id="reproduce">.*npx pinhole-bench utility --devices 5000/s);
    expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))).toMatchObject({ preset: 'quick', devices: 5000, trials: 2, epsilons: [1, 4], seed: 'pinhole' });
  });

  it('regenerates the same points from the config.json a run writes', () => {
    const a = mkdtempSync(join(tmpdir(), 'pinhole-bench-'));
    const b = mkdtempSync(join(tmpdir(), 'pinhole-bench-'));
    expect(bench(['utility', ...SMALL, '--insights', 'poor-share,video-rebuffering-share', '--seed', 'cite', '--out', a]).status).toBe(0);
    const again = bench(['utility', '--config', join(a, 'config.json'), '--out', b]);
    expect(again.status, again.stderr).toBe(0);
    const ra = JSON.parse(readFileSync(join(a, 'results.json'), 'utf8')) as UtilityResults;
    const rb = JSON.parse(readFileSync(join(b, 'results.json'), 'utf8')) as UtilityResults;
    expect(rb.points).toEqual(ra.points);
    expect(rb.data.sha256).toBe(ra.data.sha256);
  });

  it('names an unknown option and lists the options', () => {
    const r = bench(['utility', '--frobnicate', '1']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/unknown option --frobnicate; the options are: --preset, --config, --data, --map, --unit-column, --rows-are-units, --where/);
    const cfgFile = join(mkdtempSync(join(tmpdir(), 'pinhole-bench-')), 'c.json');
    writeFileSync(cfgFile, JSON.stringify({ trials: 1, epsilon: 2 }));
    expect(bench(['utility', '--config', cfgFile]).stderr).toMatch(/unknown option "epsilon" in the config file; the options are: --preset/);
    expect(() => parseUtilityArgs(['--rows-are-units=yes'])).toThrow(/"rows-are-units" expected no value/);
    expect(() => parseUtilityArgs(['--map', 'downlink=dl'])).toThrow(/"map" expected a CSV given with --data/);
  });

  it('is deterministic for a seed (timings aside)', () => {
    const a = mkdtempSync(join(tmpdir(), 'pinhole-bench-'));
    const b = mkdtempSync(join(tmpdir(), 'pinhole-bench-'));
    expect(bench(['utility', ...SMALL, '--seed', 'same', '--out', a]).status).toBe(0);
    expect(bench(['utility', ...SMALL, '--seed', 'same', '--out', b]).status).toBe(0);
    const pa = (JSON.parse(readFileSync(join(a, 'results.json'), 'utf8')) as UtilityResults).points;
    const pb = (JSON.parse(readFileSync(join(b, 'results.json'), 'utf8')) as UtilityResults).points;
    expect(pb).toEqual(pa);
    expect(readFileSync(join(a, 'results.csv'), 'utf8')).toBe(readFileSync(join(b, 'results.csv'), 'utf8'));
  });

  it('refuses bad options with the parameter named, and lists what can be chosen', () => {
    const r = bench(['utility', '--epsilons', '1,-2']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/"epsilons" expected numbers > 0, got -2 \[invalid_argument\]/);
    expect(bench(['utility', '--pipelines', 'ldp-nope']).stderr).toMatch(/"pipelines"/);
    expect(bench(['frobnicate']).stderr).toMatch(/"command"/);
    const list = bench(['list']);
    expect(list.status).toBe(0);
    expect(list.stdout).toMatch(/worst-cells/);
    expect(list.stdout).toMatch(/ldp-olh/);
    expect(() => parseUtilityArgs(['--trials', '0'])).toThrow(/"trials"/);
    expect(() => parseUtilityArgs(['--mode', 'fast'])).toThrow(/"mode"/);
    expect(parseUtilityArgs(['--pipelines', 'ldp-h*'])).toMatchObject({ pipelines: ['ldp-hadamard-response', 'ldp-hadamard-one-bit', 'ldp-hybrid'] });
  });

  it('device mode runs every device on the worker threads', () => {
    const out = mkdtempSync(join(tmpdir(), 'pinhole-bench-'));
    const r = bench([
      'utility',
      '--devices',
      '3000',
      '--trials',
      '1',
      '--epsilons',
      '2',
      '--pipelines',
      'ldp-olh,ldp-grr',
      '--insights',
      'device-class-share',
      '--mode',
      'device',
      '--workers',
      '2',
      '--out',
      out,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as UtilityResults;
    expect(results.points.filter((p) => p.insight === 'device-class-share')).toHaveLength(2);
  });
});

const real = findRealData();
describe('pinhole-bench on the real data (vendored in datasets/data)', () => {
  it('runs --data mobilebandwidth and reports rejected rows', () => {
    const out = mkdtempSync(join(tmpdir(), 'pinhole-bench-'));
    const r = bench(['utility', '--data', 'mobilebandwidth', '--trials', '1', '--epsilons', '2', '--pipelines', 'central-dp,ldp-auto', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as UtilityResults;
    expect(results.data).toMatchObject({ source: 'mobilebandwidth', rows: 50_000, rejected: { total: 511 } });
  });

  it('runs a user CSV with --map', () => {
    const dir = real?.mobilebandwidth as string;
    const csv = existsSync(join(dir, '4G.csv')) ? join(dir, '4G.csv') : join(dir, '4G.csv.gz');
    expect(existsSync(csv)).toBe(true);
    const out = mkdtempSync(join(tmpdir(), 'pinhole-bench-'));
    const map = 'downlink=bandwidth_Mbps,networkType=network_type,operator=user_isp_id,region=user_region_id,cell=user_city_id,device=user_uid,rsrp=cell_rsrp';
    const r = bench(['utility', '--data', csv, '--map', map, '--trials', '1', '--epsilons', '2', '--pipelines', 'central-dp', '--insights', 'poor-share', '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as UtilityResults;
    expect(results.data).toMatchObject({ rows: 10_000, rejected: { total: 13 } });
    expect(results.points.some((p) => p.insight === 'poor-share')).toBe(true);
  });
});
