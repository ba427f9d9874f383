import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateNetworkSample } from '@pinhole/core';
import { afterAll, describe, expect, it } from 'vitest';
import { checkTable, findRealData, loadCsv, loadCsvString, loadMobileBandwidth, measurements, parseColumnMap, toNetworkSample, TIMESTAMP_PLACEHOLDER } from '../src/index.js';
import { expectPinholeError } from '@pinhole/core/testing';

const dir = mkdtempSync(join(tmpdir(), 'pinhole-datasets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// One row per rejection reason and per clearing reason, plus good rows.
const HEADER = 'ts,user,op,mode,dl,rsrp,rssi,region,city,cls';
const ROWS = [
  '1628000000,u1,China Mobile,LTE,12.5,-95;-97;-99,,gd,sz,phone-mid', // ok; rsrp median -97
  '1628000000000,u1,46001,5G,300,2147483647,,gd,sz,phone-mid', // ok; rsrp unavailable
  '2021-08-03T10:00:00Z,u2,Acme Mobile,wifi,80,,-60,gd,"Shen Zhen",tablet', // ok; operator assigned 001-01, cell percent-encoded
  'garbage-time,u3,Acme Mobile,WIFI,5,-80,-200,bj,bj,phone-low', // ok; rsrp on wifi cleared, rssi out of range, time not a number
  ',u4,460-11,hspa+,0.5,abc,,bj,,other', // ok; rsrp not a number, city empty
  ',u5,δ֪,LTE,10,,,bj,bj,other', // operator_unknown (mojibake)
  ',u5,China Mobile,LTE,,,,bj,bj,other', // downlink_missing
  ',u5,China Mobile,LTE,fast,,,bj,bj,other', // downlink_invalid
  ',u5,China Mobile,LTE,20000,,,bj,bj,other', // downlink_out_of_range
  ',u5,China Mobile,,10,,,bj,bj,other', // network_type_missing
  ',u5,China Mobile,NONE,10,,,bj,bj,other', // network_type_unknown
  ',,China Mobile,LTE,10,,,bj,bj,other', // device_missing
  ',u5,China Mobile,LTE,10,,,bj,bj,flagship', // device_class_unknown
  ',u5,China Mobile,LTE,10,,,bj', // wrong_field_count
  `,u5,China Mobile,LTE,10,,,bj,${'x'.repeat(70)},other`, // cell_invalid (too long)
  ',u6,China Mobile,LTE,10,,,bj,bj,"other', // malformed_csv (open quote at the end)
];
const TEXT = `${HEADER}\r\n${ROWS.join('\r\n')}`;
const MAP = 'timestamp=ts,device=user,operator=op,networkType=mode,downlink=dl,rsrp=rsrp,wifiRssi=rssi,region=region,cell=city,deviceClass=cls';

describe('loadCsv', () => {
  const file = join(dir, 'mixed.csv');
  writeFileSync(file, TEXT);
  const result = loadCsv(file, { map: MAP });
  const t = result.table;

  it('keeps the rows that fit and counts every other one by reason', () => {
    expect(result.rows).toBe(ROWS.length);
    expect(t.length).toBe(5);
    expect(result.rejected).toEqual({
      total: 11,
      byReason: {
        operator_unknown: 1,
        downlink_missing: 1,
        downlink_invalid: 1,
        downlink_out_of_range: 1,
        network_type_missing: 1,
        network_type_unknown: 1,
        device_missing: 1,
        device_class_unknown: 1,
        wrong_field_count: 1,
        cell_invalid: 1,
        malformed_csv: 1,
      },
    });
    expect(result.rows).toBe(t.length + result.rejected.total);
    expect(result.byFile[file]?.rejected.total).toBe(11);
  });

  it('clears unusable optional values by field and reason, and notes what it changed', () => {
    expect(result.cleared).toEqual({
      total: 5,
      byField: {
        rsrpDbm: { unavailable: 1, wrong_network: 1, not_a_number: 1 },
        wifiRssiDbm: { out_of_range: 1 },
        timestamp: { not_a_number: 1 },
      },
    });
    expect(result.notes).toEqual({ operator_code_assigned: 1, cell_id_percent_encoded: 1, cell_empty: 1 });
  });

  it('maps values into the schema', () => {
    const s = [0, 1, 2, 3, 4].map((i) => toNetworkSample(t, i));
    expect(s[0]).toEqual({ networkType: '4g', operator: '460-00', cell: 'gd/sz', downlinkMbps: 12.5, rsrpDbm: -97, deviceClass: 'phone-mid', timestamp: 1628000000000 });
    expect(s[1]).toMatchObject({ networkType: '5g-nsa', operator: '460-01', timestamp: 1628000000000 });
    expect(s[1]?.rsrpDbm).toBeUndefined();
    expect(s[2]).toMatchObject({ networkType: 'wifi', operator: '001-01', cell: 'gd%2FShen%20Zhen', wifiRssiDbm: -60, deviceClass: 'tablet', timestamp: Date.parse('2021-08-03T10:00:00Z') });
    expect(s[3]).toMatchObject({ networkType: 'wifi', operator: '001-01', cell: 'bj/bj', timestamp: TIMESTAMP_PLACEHOLDER });
    expect(s[3]?.rsrpDbm).toBeUndefined();
    expect(s[3]?.wifiRssiDbm).toBeUndefined();
    expect(s[4]).toMatchObject({ networkType: '3g', operator: '460-11', cell: 'bj/unknown', downlinkMbps: 0.5 });
    // the name of an operator is the first raw value that mapped to its code
    expect(t.domains.operatorName).toEqual(['China Mobile', '46001', 'Acme Mobile', '460-11']);
    expect(t.domains.operator.values).toEqual(['460-00', '460-01', '001-01', '460-11']);
    expect(t.domains.region.values).toEqual(['gd', 'bj']);
    expect([...t.columns.region]).toEqual([...t.columns.cell].map((c) => t.domains.cellRegion[c]));
    expect([...t.columns.device].map((d) => t.deviceId(d))).toEqual(['u1', 'u1', 'u2', 'u3', 'u4']);
    expect(t.deviceCount).toBe(4 + 1); // u5 was interned by rows rejected later in the row; ids stay stable
    for (const m of measurements(t)) validateNetworkSample(m.sample);
    checkTable(t);
  });

  it('reduces multi-valued readings as asked and honours custom sentinels, scales and defaults', () => {
    const text = 'dl,rsrp\n1000,-90;-100;-71;2147483647\n2000,-60\n';
    const mapped = { map: { downlinkMbps: 'dl', rsrp: 'rsrp' }, defaults: { networkType: '4g', operator: '262-01', region: 'de' }, scale: { downlink: 0.001 }, rowsAreUnits: true } as const;
    const first = loadCsvString(text, { ...mapped, multiValue: 'first' });
    const mean = loadCsvString(text, { ...mapped, multiValue: 'mean' });
    const median = loadCsvString(text, { ...mapped, unavailable: [2147483647, -60] });
    expect([...first.table.columns.rsrpDbm]).toEqual([-90, -60]);
    expect(mean.table.columns.rsrpDbm[0]).toBe(-87); // (-90 - 100 - 71) / 3, the sentinel ignored
    expect(median.table.columns.rsrpDbm[0]).toBe(-90);
    expect(Number.isNaN(median.table.columns.rsrpDbm[1] as number)).toBe(true);
    expect(median.cleared.byField.rsrpDbm).toEqual({ unavailable: 1 });
    expect([...median.table.columns.downlinkMbps]).toEqual([1, 2]);
    // no device column: every row is its own contributor, and that is noted
    expect(median.table.deviceCount).toBe(2);
    expect(median.notes).toEqual({ device_per_row: 2 });
    expect(toNetworkSample(median.table, 0)).toMatchObject({ operator: '262-01', cell: 'de', deviceClass: 'other', networkType: '4g' });
    const rejectOps = loadCsvString('dl,op\n5,Foo\n5,262-02\n', { map: 'downlink=dl,operator=op', defaults: { networkType: 'wifi' }, unknownOperators: 'reject', rowsAreUnits: true });
    expect(rejectOps.rejected.byReason).toEqual({ operator_unknown: 1 });
    const named = loadCsvString('dl,op\n5,Foo\n', { map: 'downlink=dl,operator=op', defaults: { networkType: 'wifi' }, operators: { foo: '262-03' }, networkTypes: {}, rowsAreUnits: true });
    expect(named.table.domains.operator.values).toEqual(['262-03']);
    const extras = loadCsvString('dl,brand\n5,vivo\n6,OPPO\n7,vivo\n', { map: 'downlink=dl', defaults: { networkType: 'wifi', operator: '460-00' }, extras: ['brand'], rowsAreUnits: true });
    expect(extras.table.extras.brand?.values).toEqual(['vivo', 'OPPO']);
    expect([...(extras.table.extras.brand?.codes ?? [])]).toEqual([0, 1, 0]);
  });

  it('needs a network type and an operator from a column or a default', () => {
    const r = loadCsvString('dl\n5\n', { map: 'downlink=dl', rowsAreUnits: true });
    expect(r.rejected.byReason).toEqual({ network_type_missing: 1 });
    const r2 = loadCsvString('dl\n5\n', { map: 'downlink=dl', defaults: { networkType: '4g' }, rowsAreUnits: true });
    expect(r2.rejected.byReason).toEqual({ operator_unknown: 1 });
    expect(r2.table.length).toBe(0);
    checkTable(r2.table);
  });

  it('refuses bad options with the offending parameter', () => {
    const bad = (options: unknown, param: string) =>
      expectPinholeError(() => loadCsvString('dl,x\n1,2\n', (options !== null && typeof options === 'object' ? { rowsAreUnits: true, ...options } : options) as never), 'invalid_argument', param);
    bad(null, 'options');
    bad({ map: 'downlink=dl', nope: 1 }, 'options.nope');
    bad({ map: {} }, 'options.map.downlink');
    bad({ map: { speed: 'dl' } }, 'options.map.speed');
    bad({ map: { downlink: '' } }, 'options.map.downlink');
    bad({ map: 'downlink=missing' }, 'map.downlink');
    bad({ map: 'downlink=dl,rsrp=missing' }, 'map.rsrp');
    bad({ map: 5 }, 'options.map');
    bad({ map: 'downlink=dl', delimiter: '' }, 'options.delimiter');
    bad({ map: 'downlink=dl', delimiter: '"' }, 'options.delimiter');
    bad({ map: 'downlink=dl', defaults: { networkType: 'lte' } }, 'options.defaults.networkType');
    bad({ map: 'downlink=dl', defaults: { operator: 'China Mobile' } }, 'options.defaults.operator');
    bad({ map: 'downlink=dl', defaults: { region: '' } }, 'options.defaults.region');
    bad({ map: 'downlink=dl', defaults: { deviceClass: 'phone' } }, 'options.defaults.deviceClass');
    bad({ map: 'downlink=dl', defaults: { cell: 'x' } }, 'options.defaults.cell');
    bad({ map: 'downlink=dl', networkTypes: { lte: '4G' } }, 'options.networkTypes.lte');
    bad({ map: 'downlink=dl', operators: { foo: '4601' } }, 'options.operators.foo');
    bad({ map: 'downlink=dl', unknownOperators: 'drop' }, 'options.unknownOperators');
    bad({ map: 'downlink=dl', multiValue: 'max' }, 'options.multiValue');
    bad({ map: 'downlink=dl', unavailable: 2147483647 }, 'options.unavailable');
    bad({ map: 'downlink=dl', unavailable: [Number.NaN] }, 'options.unavailable[0]');
    for (const v of [0, -1, Number.NaN, Number.POSITIVE_INFINITY, '2']) bad({ map: 'downlink=dl', scale: { downlink: v } }, 'options.scale.downlink');
    bad({ map: 'downlink=dl', scale: { speed: 2 } }, 'options.scale.speed');
    bad({ map: 'downlink=dl', extras: 'x' }, 'options.extras');
    bad({ map: 'downlink=dl', extras: ['missing'] }, 'extras.missing');
    const rows = { rowsAreUnits: true } as const;
    expectPinholeError(() => loadCsvString('dl,dl\n1,2\n', { map: 'downlink=dl', ...rows }), 'invalid_argument', 'header');
    expectPinholeError(() => loadCsvString('', { map: 'downlink=dl', ...rows }), 'invalid_argument', 'path');
    expectPinholeError(() => loadCsv(join(dir, 'does-not-exist.csv'), { map: 'downlink=dl', ...rows }), 'invalid_argument', 'path');
    expectPinholeError(() => loadCsv('', { map: 'downlink=dl', ...rows }), 'invalid_argument', 'path');
    expectPinholeError(() => loadCsvString('dl\n1\n', { map: 'downlink=dl', ...rows }, ''), 'invalid_argument', 'name');
    // no column for the privacy unit: refused unless every row is declared its own unit
    expectPinholeError(() => loadCsvString('dl\n1\n', { map: 'downlink=dl' }), 'invalid_argument', 'options.map.device');
    bad({ map: 'downlink=dl', rowsAreUnits: 'yes' }, 'options.rowsAreUnits');
    bad({ map: 'downlink=dl:furlongs' }, 'map.downlink');
    bad({ map: 'downlink=dl:ms' }, 'map.downlink');
    bad({ map: 'downlink=dl', units: { downlink: 'kbps' }, scale: { downlink: 0.001 } }, 'options.scale.downlink');
    bad({ map: 'downlink=dl:kbps', units: { downlink: 'kbps' } }, 'options.units.downlink');
    bad({ map: 'downlink=dl', units: { speed: 'kbps' } }, 'options.units.speed');
    bad({ map: 'downlink=dl', where: 'x' }, 'options.where[0]');
    bad({ map: 'downlink=dl', where: ['dl=1,'] }, 'options.where[0]');
    bad({ map: 'downlink=dl', where: [{ column: 'dl', values: [] }] }, 'options.where[0].values');
    bad({ map: 'downlink=dl', where: 'missing=1' }, 'where[0]');
  });
});

describe('parseColumnMap', () => {
  it('reads field=column pairs, with NetworkSample names as aliases', () => {
    expect(parseColumnMap('downlink=DL_bitrate, operator = Operator,rsrpDbm=RSRP')).toEqual({ map: { downlink: 'DL_bitrate', operator: 'Operator', rsrp: 'RSRP' }, units: {} });
    expect(parseColumnMap('downlink=DL_bitrate:kbps,rtt=Ping:s,cell=CellID:x,videoBitrate=br:Mbps')).toEqual({
      map: { downlink: 'DL_bitrate', rtt: 'Ping', cell: 'CellID:x', videoBitrate: 'br' },
      units: { downlink: 'kbps', rtt: 's', videoBitrate: 'Mbps' },
    });
  });
  it('refuses malformed maps', () => {
    for (const [text, param] of [
      ['', 'map'],
      ['downlink', 'map'],
      ['=x', 'map'],
      ['downlink=', 'map'],
      ['downlink=a=b', 'map'],
      ['speed=x', 'map.speed'],
      ['downlink=a,downlink=b', 'map.downlink'],
    ] as const) {
      expectPinholeError(() => parseColumnMap(text), 'invalid_argument', param);
    }
    expectPinholeError(() => parseColumnMap(7 as never), 'invalid_argument', 'map');
  });
});

describe('findRealData and loadMobileBandwidth without the data', () => {
  it('follows PINHOLE_DATA_DIR and reports a missing folder as null', () => {
    expect(findRealData({ env: { PINHOLE_DATA_DIR: join(dir, 'nowhere') } })).toBeNull();
    expect(findRealData({ env: { PINHOLE_DATA_DIR: dir } })).toEqual({ dir, mobilebandwidth: null, source: 'env' });
    expect(findRealData({ env: {}, cwd: tmpdir() })?.mobilebandwidth ?? null).toBe(findRealData({ env: {} })?.mobilebandwidth ?? null);
  });
  it('refuses a folder without the files and bad options', () => {
    expectPinholeError(() => loadMobileBandwidth({ dir }), 'invalid_argument', 'options.dir');
    expectPinholeError(() => loadMobileBandwidth({ dir: '' }), 'invalid_argument', 'options.dir');
    expectPinholeError(() => loadMobileBandwidth({ files: [] }), 'invalid_argument', 'options.files');
    expectPinholeError(() => loadMobileBandwidth({ files: ['3G' as never] }), 'invalid_argument', 'options.files[0]');
    expectPinholeError(() => loadMobileBandwidth({ files: ['4G', '4G'] }), 'invalid_argument', 'options.files[1]');
    expectPinholeError(() => loadMobileBandwidth({ fiveG: 'nr' as never }), 'invalid_argument', 'options.fiveG');
    expectPinholeError(() => loadMobileBandwidth({ multiValue: 'max' as never }), 'invalid_argument', 'options.multiValue');
    expectPinholeError(() => loadMobileBandwidth({ path: 'x' } as never), 'invalid_argument', 'options.path');
    expectPinholeError(() => loadMobileBandwidth(null as never), 'invalid_argument', 'options');
  });
});
