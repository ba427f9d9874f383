import { describe, expect, it } from 'vitest';
import { checkTable, generateSyntheticTable, measurementAt, toNetworkSample, TIMESTAMP_PLACEHOLDER, loadCsvString } from '../src/index.js';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';

describe('MeasurementTable helpers', () => {
  const t = generateSyntheticTable({ devices: 20, seed: 1 });

  it('refuses rows outside the table and bad placeholders', () => {
    for (const v of [...BAD_NUMBERS, -1, 0.5, t.length]) expectPinholeError(() => toNetworkSample(t, v as never), 'invalid_argument', 'row');
    for (const v of [...BAD_NUMBERS.filter((x) => x !== undefined), 0, 1.5, 5e12]) {
      expectPinholeError(() => toNetworkSample(t, 0, { timestampPlaceholder: v as never }), 'invalid_argument', 'options.timestampPlaceholder');
    }
    expectPinholeError(() => measurementAt(t, -1), 'invalid_argument', 'row');
  });

  it('uses the documented placeholder only when a row has no timestamp', () => {
    const r = loadCsvString('dl\n5\n', { map: 'downlink=dl', defaults: { networkType: 'wifi', operator: '460-00' }, rowsAreUnits: true });
    expect(toNetworkSample(r.table, 0).timestamp).toBe(TIMESTAMP_PLACEHOLDER);
    expect(TIMESTAMP_PLACEHOLDER).toBe(Date.parse('2021-08-01T00:00:00Z'));
    expect(toNetworkSample(r.table, 0, { timestampPlaceholder: Date.UTC(2022, 0) }).timestamp).toBe(Date.UTC(2022, 0));
    expect(toNetworkSample(t, 0).timestamp).toBe(t.columns.timestamp[0]);
    expect(t.deviceId(t.columns.device[0] as number)).toBe('syn-0');
    expectPinholeError(() => r.table.deviceId(99), 'invalid_argument', 'device');
  });

  it('checkTable catches inconsistent tables', () => {
    expect(checkTable(t)).toBe(t);
    const broken = (patch: (c: Record<string, unknown>) => void, param: string) => {
      const columns: Record<string, unknown> = { ...t.columns };
      for (const [k, v] of Object.entries(columns)) columns[k] = (v as Float64Array).slice();
      patch(columns);
      expectPinholeError(() => checkTable({ ...t, columns }), 'invalid_argument', param);
    };
    broken((c) => ((c.cell as Uint32Array)[0] = 1e6), 'table.columns.cell[0]');
    broken((c) => ((c.region as Uint32Array)[1] = 999), 'table.columns.region[1]');
    broken((c) => ((c.networkType as Uint8Array)[0] = 6), 'table.columns.networkType[0]');
    broken((c) => ((c.operator as Uint16Array)[0] = 99), 'table.columns.operator[0]');
    broken((c) => ((c.deviceClass as Uint8Array)[0] = 5), 'table.columns.deviceClass[0]');
    broken((c) => ((c.device as Uint32Array)[0] = 20), 'table.columns.device[0]');
    broken((c) => ((c.downlinkMbps as Float64Array)[0] = Number.NaN), 'table.columns.downlinkMbps[0]');
    broken((c) => ((c.downlinkMbps as Float64Array)[0] = -1), 'table.columns.downlinkMbps[0]');
    broken((c) => (c.rttMs = new Float64Array(t.length)), 'table.columns.rttMs');
    broken((c) => (c.sinrDb = new Float32Array(1)), 'table.columns.sinrDb');
    expectPinholeError(() => checkTable(null), 'invalid_argument', 'table');
    expectPinholeError(() => checkTable({ ...t, length: -1 }), 'invalid_argument', 'table.length');
    expectPinholeError(() => checkTable({ ...t, deviceId: 1 }), 'invalid_argument', 'table.deviceId');
    expectPinholeError(() => checkTable({ ...t, domains: { ...t.domains, cellRegion: new Uint32Array(1) } }), 'invalid_argument', 'table.domains.cellRegion');
  });
});
