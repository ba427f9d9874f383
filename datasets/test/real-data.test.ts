/**
 * Loader checks on the real mobilebandwidth files, against the facts in
 * ../shared/datasets/README.md and PROVENANCE.md. The files are vendored (gzipped) in
 * datasets/data, so these run on every clone; ../shared/datasets or PINHOLE_DATA_DIR override.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { validateNetworkSample } from '@pinhole/core';
import { describe, expect, it } from 'vitest';
import { CALIBRATION, checkTable, findRealData, loadMobileBandwidth, measureCalibration, measurements, parseCsv, quantileSorted } from '../src/index.js';

const found = findRealData();
const dir = found?.mobilebandwidth ?? null;

/** A raw file's text, whether the folder holds it plain or gzipped. */
function text(file: string): string {
  const plain = join(dir as string, file);
  return existsSync(plain) ? readFileSync(plain, 'utf8') : gunzipSync(readFileSync(`${plain}.gz`)).toString('utf8');
}

function raw(file: string): Record<string, string>[] {
  const rows = parseCsv(text(file));
  const header = rows[0]?.fields ?? [];
  return rows.slice(1).map((r) => Object.fromEntries(header.map((h, i) => [h, r.fields[i] ?? ''])));
}

describe('real data', () => {
  it('is present (vendored in datasets/data)', () => {
    expect(dir, 'datasets/data/mobilebandwidth-sigcomm22 is part of the repository').not.toBeNull();
  });
  const all = loadMobileBandwidth({ dir: dir as string });
  const t = all.table;
  const fileOf = (i: number) => t.extras.file?.values[t.extras.file.codes[i] as number];

  it('parses every raw file into 10,000 rows of the documented width', () => {
    for (const [file, width] of [
      ['4G.csv', 25],
      ['5G.csv', 23],
      ['wifi4.csv', 18],
      ['wifi5.csv', 18],
      ['wifi6.csv', 18],
    ] as const) {
      const rows = parseCsv(text(file));
      expect(rows.length).toBe(10_001);
      expect(rows.every((r) => r.fields.length === width && !r.malformed)).toBe(true);
    }
  });

  it("reproduces the README's share of tests below 1 Mbit/s (4G 4.11 %, 5G 0.89 %, WiFi 4 2.98 %)", () => {
    for (const [file, share] of [
      ['4G', 4.11],
      ['5G', 0.89],
      ['wifi4', 2.98],
    ] as const) {
      // raw file: every row
      const rows = raw(`${file}.csv`);
      const below = rows.filter((r) => Number(r.bandwidth_Mbps) < 1).length;
      expect(Number(((100 * below) / rows.length).toFixed(2))).toBe(share);
      // loaded table: rows of that file below 1, plus at most every rejected row of that file
      let kept = 0;
      for (let i = 0; i < t.length; i++) if (fileOf(i) === file && (t.columns.downlinkMbps[i] as number) < 1) kept++;
      const report = all.byFile[`${file}.csv`];
      expect(kept).toBeLessThanOrEqual(below);
      expect(below - kept).toBeLessThanOrEqual(report?.rejected.total ?? 0);
    }
  });

  it("reproduces the README's median bandwidth per operator (4G and 5G)", () => {
    const medians = (file: string) => {
      const by: Record<string, number[]> = {};
      for (let i = 0; i < t.length; i++) {
        if (fileOf(i) !== file) continue;
        (by[t.domains.operator.values[t.columns.operator[i] as number] as string] ??= []).push(t.columns.downlinkMbps[i] as number);
      }
      return Object.fromEntries(Object.entries(by).map(([op, v]) => [op, quantileSorted(Float64Array.from(v).sort(), 0.5)]));
    };
    const m4 = medians('4G');
    expect(m4).toEqual({ '460-11': 22.2, '460-01': 28.6, '460-00': 27.2 });
    const m5 = medians('5G');
    // README rounds 5G medians to whole Mbit/s: China Mobile 294, China Telecom 331, China Unicom 316
    expect(Object.fromEntries(Object.entries(m5).map(([k, v]) => [k, Math.floor(v)]))).toEqual({ '460-00': 294, '460-11': 331, '460-01': 316 });
  });

  it('counts every rejected row by reason, matching independent counts on the raw files', () => {
    expect(all.rows).toBe(50_000);
    expect(all.rows).toBe(t.length + all.rejected.total);
    for (const file of ['4G', '5G', 'wifi4', 'wifi5', 'wifi6']) {
      const rows = raw(`${file}.csv`);
      // a row is rejected for its first fault, in the loader's order: network type before operator
      const goodType = (r: Record<string, string>) => ['4G', '5G', 'WIFI', '3G', '2G'].includes(r.network_type ?? '');
      const badType = rows.filter((r) => !goodType(r)).length;
      const unknownIsp = rows.filter((r) => goodType(r) && (r.user_isp_id === 'nan' || r.user_isp_id === '\u03b4\u05aa')).length;
      const report = all.byFile[`${file}.csv`];
      expect(report?.rows).toBe(10_000);
      expect(report?.rejected.byReason.operator_unknown ?? 0).toBe(unknownIsp);
      expect(report?.rejected.byReason.network_type_unknown ?? 0).toBe(badType);
      expect(report?.rejected.total).toBe(unknownIsp + badType);
    }
    // PROVENANCE: the unknown-ISP mojibake is in 13 rows of 4G.csv and 3 of 5G.csv
    expect(all.byFile['4G.csv']?.rejected.byReason.operator_unknown).toBe(13);
    expect(all.byFile['5G.csv']?.rejected.byReason.operator_unknown).toBe(3);
    // sentinels and junk in the signal columns are cleared, not kept
    const rsrpNa = raw('4G.csv').filter((r) => r.user_isp_id !== '\u03b4\u05aa' && (r.cell_rsrp ?? '').split(';').every((v) => v === '2147483647')).length;
    expect(all.byFile['4G.csv']?.cleared.byField.rsrpDbm?.unavailable).toBe(rsrpNa);
  });

  it('yields only valid samples, contributor ids from user_uid, no timestamps, and a consistent table', () => {
    checkTable(t);
    let n = 0;
    for (const m of measurements(t)) {
      validateNetworkSample(m.sample);
      n++;
    }
    expect(n).toBe(t.length);
    expect(t.columns.timestamp.every((v) => Number.isNaN(v))).toBe(true);
    const users4g = new Set(
      raw('4G.csv')
        .filter((r) => r.user_isp_id !== '\u03b4\u05aa')
        .map((r) => r.user_uid),
    );
    const only4g = loadMobileBandwidth({ dir: dir as string, files: ['4G'] });
    expect(only4g.table.deviceCount).toBe(users4g.size);
    expect(new Set(Array.from({ length: only4g.table.deviceCount }, (_, d) => only4g.table.deviceId(d)))).toEqual(users4g);
  });

  it('marks 5G rows SA by a 24-bit tracking area code when asked', () => {
    const tac = loadMobileBandwidth({ dir: dir as string, files: ['5G'], fiveG: 'tac' }).table;
    const sa = tac.columns.networkType.filter((x) => x === 5).length;
    const rows = raw('5G.csv').filter((r) => r.user_isp_id !== '\u03b4\u05aa');
    expect(sa).toBe(rows.filter((r) => Number(r.cell_tac) > 65535 && Number(r.cell_tac) !== 2147483647).length);
    expect(loadMobileBandwidth({ dir: dir as string, files: ['5G'], fiveG: '5g-sa' }).table.columns.networkType.every((x) => x === 5)).toBe(true);
    expect(loadMobileBandwidth({ dir: dir as string, files: ['5G'] }).table.columns.networkType.every((x) => x === 4)).toBe(true);
  });

  it('recomputes the calibration figures the generator is built on', () => {
    expect(measureCalibration(t)).toEqual(CALIBRATION);
  });
});
