/**
 * `pinhole-bench --data file.csv --map …` on small CSVs written here, one per mapping feature,
 * each checking the figures the run reports (results.json, report.md, the summary on stderr),
 * not only that it ran: units, placeholders, row filters, the privacy unit and its refusal,
 * contribution bounding, the out-of-range warning, video fields, and explained results.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { UtilityResults } from '../src/output.js';

const BIN = fileURLToPath(new URL('../bin/pinhole-bench.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pinhole-mapping-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

type Run = { status: number | null; stderr: string; r: UtilityResults; report: string };
function bench(file: string, args: string[]): Run {
  const out = mkdtempSync(join(dir, 'out-'));
  const p = spawnSync(process.execPath, [BIN, 'utility', '--data', file, '--trials', '1', '--epsilons', '2', '--pipelines', 'raw,central-dp', '--k', '5', ...args, '--out', out], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  if (p.status !== 0) return { status: p.status, stderr: p.stderr, r: null as never, report: '' };
  return { status: 0, stderr: p.stderr, r: JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as UtilityResults, report: readFileSync(join(out, 'report.md'), 'utf8') };
}

const DOMAINS = join(dir, 'domains.json');
writeFileSync(DOMAINS, JSON.stringify({ operators: ['460-00', '460-01'], regions: ['north', 'south'] }));
// for files without a region column (one region, "all"): the operators only
const OPERATORS = join(dir, 'operators.json');
writeFileSync(OPERATORS, JSON.stringify({ operators: ['460-00', '460-01'] }));
const BASE = ['--defaults', 'networkType=4g', '--domains', DOMAINS, '--insights', 'poor-share,downlink-median'];

type Summary = { rows: number; units: number; fields: Record<string, { median: number; values: number }>; rowsPerUnit: { max: number } };
const summary = (r: UtilityResults) => r.data.summary as Summary;
type StepRow = { step: string; rows: number; kept: number; dropped: Record<string, number>; note?: string };
const steps = (r: UtilityResults) => r.data.steps as StepRow[];

// 60 users, one test each, half of them in kbit/s values around 20 Mbit/s
const kbpsRows = ['user,DL_bitrate,Operator,Region', ...Array.from({ length: 60 }, (_, i) => `u${i},${18_000 + 100 * i},${i % 2 ? 'China Unicom' : 'China Mobile'},${i % 3 ? 'north' : 'south'}`)];

describe('units', () => {
  const file = csv('kbps.csv', kbpsRows);

  it('converts a kbit/s column and reports the conversion and the resulting figures', () => {
    const { status, stderr, r, report } = bench(file, ['--map', 'device=user,downlink=DL_bitrate:kbps,operator=Operator,region=Region', ...BASE]);
    expect(status, stderr).toBe(0);
    expect(r.data.conversions).toEqual([{ field: 'downlink', column: 'DL_bitrate', unit: 'kbit/s', stated: true, factor: 0.001, schemaUnit: 'Mbit/s' }]);
    // the median of 18,000 … 23,900 kbit/s is 20.95 Mbit/s
    expect(summary(r).fields.downlinkMbps?.median).toBeCloseTo(20.95, 9);
    expect(r.data.warnings).toEqual([]);
    expect(stderr).toMatch(/unit: downlink ← DL_bitrate in kbit\/s × 0\.001 → Mbit\/s/);
    expect(report).toMatch(/downlink ← `DL_bitrate` in kbit\/s × 0\.001 → Mbit\/s/);
  });

  it('without a unit assumes Mbit/s, rejects what is out of range, and warns naming the field and the likely unit', () => {
    const { status, stderr, r, report } = bench(file, ['--map', 'device=user,downlink=DL_bitrate,operator=Operator,region=Region', ...BASE]);
    expect(status, stderr).toBe(0);
    // 18,000 … 23,900 "Mbit/s" are all above the schema's 10,000: every row is rejected
    expect(r.data.rejected).toEqual({ total: 60, byReason: { downlink_out_of_range: 60 } });
    const w = r.data.warnings as { field: string; suggestedUnit?: string; message: string }[];
    expect(w.map((x) => [x.field, x.suggestedUnit])).toEqual([['downlink', 'kbit/s']]);
    expect(stderr).toMatch(/WARNING: 100\.0 % of downlink values fall outside \[0, 10000\] Mbit\/s .*write downlink=DL_bitrate:kbps/);
    expect(report).toMatch(/\*\*Warning:\*\* 100\.0 % of downlink values/);
    // and nothing is computed on the wrong scale: every insight says why
    for (const i of r.insights) expect(i.note, i.id).toBe('no row is left after the data steps (schema: downlink_out_of_range 60)');
  });
});

describe('placeholders', () => {
  it('reads -, empty, NaN and null as absent: counted, never an error or a zero', () => {
    const lines = ['user,dl,ping,op,region'];
    const dl = ['12', '-', '', 'NaN', 'null', '30', '7', '9'];
    const ping = ['20', '30', '40', '50', '60', '-', 'null', ''];
    for (let u = 0; u < 40; u++) lines.push(`u${u},${dl[u % 8]},${ping[u % 8]},460-00,north`);
    const { status, stderr, r } = bench(csv('placeholders.csv', lines), [
      '--map',
      'device=user,downlink=dl,rtt=ping,operator=op,region=region',
      '--defaults',
      'networkType=4g',
      '--domains',
      DOMAINS,
      '--insights',
      'rtt-mean,downlink-median',
    ]);
    expect(status, stderr).toBe(0);
    // 4 of every 8 downlinks are placeholders: 20 rows rejected as missing, none as invalid
    expect(r.data.rejected).toEqual({ total: 20, byReason: { downlink_missing: 20 } });
    // of the 20 kept rows (u % 8 in 0, 5, 6, 7), 5 have an RTT (20 ms), 15 a placeholder: absent, not 0
    expect(r.data.fieldStats).toMatchObject({ rtt: { values: 5, absent: 15, notANumber: 0 }, downlink: { values: 20, absent: 20, notANumber: 0 } });
    expect(summary(r).fields.rttMs).toMatchObject({ values: 5, median: 20 });
    const rtt = (r.config.collectionDetails as { id: string; n: number }[]).find((c) => c.id === 'rtt-by-operator');
    expect(rtt?.n).toBe(5); // only the units with an RTT report one
  });
});

describe('row filters', () => {
  it('keeps the rows --where names and counts the rest per condition, before any schema check', () => {
    const lines = ['user,dl,NetworkMode,op,region'];
    const modes = ['LTE', '5G', 'HSPA+', 'WIFI', 'lte'];
    for (let u = 0; u < 50; u++) lines.push(`u${u},${10 + u},${modes[u % 5]},460-00,north`);
    const { status, stderr, r, report } = bench(csv('filters.csv', lines), [
      '--map',
      'device=user,downlink=dl,networkType=NetworkMode,operator=op,region=region',
      '--where',
      'NetworkMode=LTE,5G',
      '--where',
      'op!=460-99',
      '--domains',
      DOMAINS,
      '--insights',
      'network-type-share',
    ]);
    expect(status, stderr).toBe(0);
    expect(r.data.filtered).toEqual({ total: 20, byCondition: { 'NetworkMode=LTE,5G': 20 } });
    expect(steps(r).find((s) => s.step === 'filter (--where)')).toMatchObject({ rows: 50, kept: 30, dropped: { 'NetworkMode=LTE,5G': 20 } });
    expect(summary(r).rows).toBe(30);
    expect(report).toMatch(/\| filter \(--where\) \| 50 \| 30 \| NetworkMode=LTE,5G 20 \|/);
  });
});

describe('the privacy unit', () => {
  const lines = ['user,dl,op,region'];
  for (let u = 0; u < 30; u++) for (let k = 0; k <= u % 4; k++) lines.push(`u${u},${5 + k + u},460-00,north`);
  const file = csv('units.csv', lines); // 30 users with 1, 2, 3, 4 rows (8, 8, 7, 7 users): 73 rows

  it('is the --unit-column: one contributor per user, however many rows', () => {
    const { status, stderr, r, report } = bench(file, ['--map', 'downlink=dl,operator=op,region=region', '--unit-column', 'user', ...BASE]);
    expect(status, stderr).toBe(0);
    expect(summary(r)).toMatchObject({ rows: 73, units: 30, rowsPerUnit: { max: 4 } });
    expect(r.data.unit).toBe('user');
    const poor = (r.config.collectionDetails as { id: string; n: number }[]).find((c) => c.id === 'poor-by-operator-region');
    expect(poor?.n).toBe(30); // one report per unit per collection
    expect(report).toMatch(/Privacy unit: user; 1 report per unit per collection/);
  });

  it('is refused when the file has none, unless every row is declared its own unit', () => {
    const refused = bench(file, ['--map', 'downlink=dl,operator=op,region=region', ...BASE]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/"unit-column" expected the column naming the privacy unit .*--rows-are-units/);
    const rows = bench(file, ['--map', 'downlink=dl,operator=op,region=region', '--rows-are-units', ...BASE]);
    expect(rows.status, rows.stderr).toBe(0);
    expect(summary(rows.r)).toMatchObject({ rows: 73, units: 73 });
  });

  it('bounds contributions per unit when asked, and reports rows kept and dropped', () => {
    const { status, stderr, r } = bench(file, ['--map', 'device=user,downlink=dl,operator=op,region=region', '--max-rows-per-unit', '2', ...BASE]);
    expect(status, stderr).toBe(0);
    // users with 3 rows drop 1, with 4 drop 2: 7 + 7 users (u % 4 = 2, 3) → 7·1 + 7·2 = 21
    expect(steps(r).find((s) => s.step.startsWith('contribution bound'))).toMatchObject({ rows: 73, kept: 52, dropped: { rows_over_bound: 21 }, note: '14 of 30 units had more rows than the bound' });
    expect(summary(r).rowsPerUnit.max).toBe(2);
  });
});

describe('video fields and explained results', () => {
  it('maps video sessions with their units, and computes the video insights on them', () => {
    const lines = ['user,dl,op,nt,activity,bitrate_mbps,stalls,startup_s'];
    for (let u = 0; u < 80; u++)
      lines.push(`u${u},${20 + u},460-0${u % 2},${u % 2 ? 'LTE' : '5G'},${u % 4 === 3 ? 'browsing' : 'video'},${(1 + (u % 5) * 0.5).toFixed(1)},${u % 10 === 0 ? 2 : 0},${(1 + (u % 3)).toFixed(1)}`);
    const { status, stderr, r } = bench(csv('video.csv', lines), [
      '--map',
      'device=user,downlink=dl,operator=op,networkType=nt,activity=activity,videoBitrate=bitrate_mbps:Mbps,stallCount=stalls,startupDelay=startup_s:s',
      '--domains',
      OPERATORS,
      '--insights',
      'video-rebuffering-share,video-bitrate-median',
    ]);
    expect(status, stderr).toBe(0);
    expect(summary(r).fields.videoBitrateKbps).toMatchObject({ values: 60, median: 2000 });
    expect(summary(r).fields.startupDelayMs?.median).toBe(2000);
    const details = r.config.collectionDetails as { id: string; n: number }[];
    expect(details.find((c) => c.id === 'video-rebuffering-by-operator-network')?.n).toBe(60);
    const raw = r.points.find((p) => p.insight === 'video-bitrate-median' && p.pipeline === 'raw');
    expect(raw?.error.mean).toBe(0);
    expect(raw?.status).toBeUndefined();
  });

  it('explains what it cannot compute and flags a population too small to say anything', () => {
    const lines = ['user,dl,op,region,city'];
    for (let u = 0; u < 12; u++) lines.push(`u${u},${3 + u},460-00,north,c${u % 3}`);
    const domains = join(dir, 'tiny-domains.json');
    writeFileSync(domains, JSON.stringify({ operators: ['460-00'], regions: ['north'], cells: ['north/c0', 'north/c1', 'north/c2'] }));
    const { status, stderr, r, report } = bench(csv('tiny.csv', lines), [
      '--map',
      'device=user,downlink=dl,operator=op,region=region,cell=city',
      '--defaults',
      'networkType=4g',
      '--domains',
      domains,
      '--insights',
      'rtt-mean,worst-cells,poor-share',
      '--epsilons',
      '0.5,1',
      '--k',
      '1000',
    ]);
    expect(status, stderr).toBe(0);
    const note = (id: string) => r.insights.find((i) => i.id === id)?.note ?? '';
    expect(note('rtt-mean')).toMatch(/no RTT \(map rtt\)/);
    expect(note('worst-cells')).toMatch(/no group has at least 30 devices \(the largest has 4\)/);
    expect(report).toMatch(/## The 10 worst cells\n\n.*\n\n\*\*Not computable on this data:\*\* no group has at least 30 devices/);
    expect(report).toMatch(/\*\*Not computable on this data:\*\* no device reports for it: the data has no RTT/);
    for (const p of r.points.filter((q) => q.insight === 'rtt-mean')) expect([p.status, p.error.mean, p.error.trials]).toEqual(['undefined', null, 0]); // NaN in JSON is null
    // 12 devices at epsilon 0.5 and 1 against k = 1000: central-dp releases nothing. Its noisy group
    // total (sd about 50 at these epsilons, split over 3 collections, replace-one) reaches 1000 with
    // probability below e^-190. At k = 20 the outcome was left to one trial's noise: with the
    // replace-one calibration's larger noise, a group of 12 passed k by chance.
    const flagged = r.points.filter((p) => p.insight === 'poor-share' && p.pipeline === 'central-dp');
    expect(flagged.length).toBe(2);
    for (const p of flagged) {
      expect(p.status).toBe('uninformative');
      expect(p.note).toMatch(/too few devices \(12 reports\) for central-dp to say anything/);
    }
    expect(report).toMatch(/† says nothing at that ε/);
  });
});
