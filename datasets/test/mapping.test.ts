/**
 * Mapping any CSV honestly: units per column, placeholders read as absent, row filters, the
 * privacy unit, the unit checks, the video fields, and the transforms that run before a release
 * (public domain, contribution bounding). Every test writes its own small CSV and checks figures.
 */
import { expectPinholeError } from '@pinhole/core/testing';
import { seededRng } from '@pinhole/core/seeded';
import { describe, expect, it } from 'vitest';
import { type LoadResult, boundRowsPerUnit, loadCsvString, otherCellOf, restrictToDomains, summarizeTable, toNetworkSample } from '../src/index.js';

const col = (r: LoadResult, name: 'downlinkMbps' | 'rttMs' | 'uplinkMbps' | 'videoBitrateKbps' | 'startupDelayMs' | 'rebufferRatio' | 'stallCount') =>
  Array.from(r.table.columns[name] as ArrayLike<number>);

describe('units per column', () => {
  const text = 'uid,dl,ul,ping\nu1,25000,5000,0.035\nu2,800,200,0.120\nu3,120000,30000,0.8\n';
  const base = { defaults: { networkType: '4g', operator: '460-00' } } as const;

  it('converts kbit/s and seconds into the schema units and says which conversion it applied', () => {
    const r = loadCsvString(text, { ...base, map: 'device=uid,downlink=dl:kbps,uplink=ul:kbit/s,rtt=ping:s' });
    expect(col(r, 'downlinkMbps')).toEqual([25, 0.8, 120]);
    expect(col(r, 'uplinkMbps')).toEqual([5, 0.2, 30]);
    expect(col(r, 'rttMs').map((x) => Math.round(x * 10) / 10)).toEqual([35, 120, 800]); // float32 column
    expect(r.conversions).toEqual([
      { field: 'downlink', column: 'dl', unit: 'kbit/s', stated: true, factor: 0.001, schemaUnit: 'Mbit/s' },
      { field: 'uplink', column: 'ul', unit: 'kbit/s', stated: true, factor: 0.001, schemaUnit: 'Mbit/s' },
      { field: 'rtt', column: 'ping', unit: 's', stated: true, factor: 1000, schemaUnit: 'ms' },
    ]);
    expect(r.warnings).toEqual([]);
    const bits = loadCsvString('uid,dl\nu1,2500000\n', { ...base, map: 'device=uid,downlink=dl:bps' });
    expect(col(bits, 'downlinkMbps')).toEqual([2.5]);
    const bytes = loadCsvString('uid,dl\nu1,3\n', { ...base, map: 'device=uid,downlink=dl:MB/s' });
    expect(col(bytes, 'downlinkMbps')).toEqual([24]);
    const mbit = loadCsvString('uid,dl\nu1,3\n', { ...base, map: 'device=uid,downlink=dl', units: { downlink: 'Mbps' } });
    expect(mbit.conversions[0]).toMatchObject({ unit: 'Mbit/s', factor: 1, stated: true });
  });

  it('assumes the schema unit when none is stated, and says it assumed', () => {
    const r = loadCsvString('uid,dl\nu1,25\n', { ...base, map: 'device=uid,downlink=dl' });
    expect(r.conversions).toEqual([{ field: 'downlink', column: 'dl', unit: 'Mbit/s', stated: false, factor: 1, schemaUnit: 'Mbit/s' }]);
  });

  it('refuses a unit of the wrong kind or an ambiguous one, naming the field', () => {
    expectPinholeError(() => loadCsvString(text, { ...base, map: 'device=uid,downlink=dl:ms' }), 'invalid_argument', 'map.downlink');
    expectPinholeError(() => loadCsvString(text, { ...base, map: 'device=uid,downlink=dl,rtt=ping:kbps' }), 'invalid_argument', 'map.rtt');
    expectPinholeError(() => loadCsvString(text, { ...base, map: 'device=uid,downlink=dl:mb/s' }), 'invalid_argument', 'map.downlink'); // megabits or megabytes?
    expectPinholeError(() => loadCsvString(text, { ...base, map: 'device=uid,downlink=dl:MBPS' }), 'invalid_argument', 'map.downlink');
  });
});

describe('missing-value placeholders', () => {
  const text = [
    'uid,dl,ping,op',
    'u1,10,20,460-00',
    'u2,-,30,460-00',
    'u3,,40,460-00',
    'u4,NaN,50,460-00',
    'u5,null,60,460-00',
    'u6,12,-,460-00',
    'u7,14,,460-00',
    'u8,16,NULL,460-00',
    'u9,18,n/a,-',
    'u10,20,nan,460-00',
  ].join('\n');
  const r = loadCsvString(text, { map: 'device=uid,downlink=dl,rtt=ping,operator=op', defaults: { networkType: 'wifi' } });

  it('reads -, empty, NaN and null as absent: a missing downlink rejects the row as missing, never as invalid', () => {
    expect(r.rejected).toEqual({ total: 5, byReason: { downlink_missing: 4, operator_unknown: 1 } });
    expect(col(r, 'downlinkMbps')).toEqual([10, 12, 14, 16, 20]);
  });

  it('leaves an optional field absent (NaN), not zero and not an error, and counts it', () => {
    const rtt = col(r, 'rttMs');
    expect(rtt[0]).toBe(20);
    expect(rtt.slice(1).every((x) => Number.isNaN(x))).toBe(true);
    expect(r.cleared.total).toBe(0); // nothing unusable: just absent
    // the downlink's absent cells are counted even on rows rejected for them
    expect(r.fieldStats.downlink).toEqual({ column: 'dl', values: 6, absent: 4, notANumber: 0, outOfRange: 0 });
    expect(r.fieldStats.rtt).toEqual({ column: 'ping', values: 1, absent: 4, notANumber: 0, outOfRange: 0 });
    expect(toNetworkSample(r.table, 1).rttMs).toBeUndefined();
  });

  it('still calls a real non-number invalid', () => {
    const bad = loadCsvString('uid,dl\nu1,fast\nu2,5\n', { map: 'device=uid,downlink=dl', defaults: { networkType: 'wifi', operator: '460-00' } });
    expect(bad.rejected.byReason).toEqual({ downlink_invalid: 1 });
  });
});

describe('row filters', () => {
  const text = ['uid,dl,NetworkMode,op', 'u1,10,LTE,460-00', 'u2,20,5G,460-00', 'u3,30,HSPA+,460-00', 'u4,40,lte,test', 'u5,50,EDGE,460-00', 'u6,60,WIFI,460-00'].join('\n');
  const map = 'device=uid,downlink=dl,networkType=NetworkMode,operator=op';

  it('keeps rows whose value is listed (case-insensitively) and counts the others under the condition', () => {
    const r = loadCsvString(text, { map, where: 'NetworkMode=LTE,5G' });
    expect(r.rows).toBe(6);
    expect(r.filtered).toEqual({ total: 3, byCondition: { 'NetworkMode=LTE,5G': 3 } });
    expect(col(r, 'downlinkMbps')).toEqual([10, 20, 40]);
    expect(r.rejected.total).toBe(0); // a filtered row is not a rejected one
  });

  it('combines conditions (all must hold; a row counts under the first it fails) and negates with !=', () => {
    const r = loadCsvString(text, { map, where: ['NetworkMode=LTE,5G,WIFI', 'op!=test'] });
    expect(r.filtered).toEqual({ total: 3, byCondition: { 'NetworkMode=LTE,5G,WIFI': 2, 'op!=test': 1 } });
    expect(col(r, 'downlinkMbps')).toEqual([10, 20, 60]);
    expect(r.rows).toBe(r.table.length + r.filtered.total + r.rejected.total);
  });
});

describe('the privacy unit', () => {
  const text = 'user,dl\na,1\na,2\nb,3\nc,4\nc,5\nc,6\n';
  const defaults = { networkType: 'wifi', operator: '460-00' } as const;

  it('is the mapped device column: rows of one user are one contributor', () => {
    const r = loadCsvString(text, { map: 'device=user,downlink=dl', defaults });
    expect(r.table.deviceCount).toBe(3);
    expect(summarizeTable(r.table)).toMatchObject({ rows: 6, units: 3, rowsPerUnit: { min: 1, median: 2, mean: 2, max: 3 } });
  });

  it('is refused when missing, unless every row is declared its own unit', () => {
    expectPinholeError(() => loadCsvString(text, { map: 'downlink=dl', defaults }), 'invalid_argument', 'options.map.device');
    const r = loadCsvString(text, { map: 'downlink=dl', defaults, rowsAreUnits: true });
    expect(r.table.deviceCount).toBe(6);
    expect(r.notes).toEqual({ device_per_row: 6 });
  });

  it('is bounded: at most max rows per unit, a random subset, reported', () => {
    const r = loadCsvString(text, { map: 'device=user,downlink=dl', defaults });
    const b = boundRowsPerUnit(r.table, 2, seededRng('bound'));
    expect(b).toMatchObject({ bound: 2, units: 3, unitsOverBound: 1, rowsKept: 5, rowsDropped: 1 });
    const c = b.table.columns;
    const kept = Array.from(c.downlinkMbps);
    expect(kept.slice(0, 3)).toEqual([1, 2, 3]); // a and b are under the bound: untouched
    expect(kept.slice(3).every((x) => [4, 5, 6].includes(x))).toBe(true);
    expect(new Set(kept.slice(3)).size).toBe(2);
    expect(Array.from(c.device)).toEqual([0, 0, 1, 2, 2]);
  });
});

describe('unit checks', () => {
  const defaults = { networkType: '4g', operator: '460-00' } as const;

  it('warns when a kbit/s column is read as Mbit/s: most values out of range, and names the unit that fits', () => {
    // 20 tests in kbit/s: 18 above 10,000 (out of range as Mbit/s), 2 below
    const rows = Array.from({ length: 20 }, (_, i) => `u${i},${i < 2 ? 900 + i : 15_000 + 1000 * i}`);
    const r = loadCsvString(`uid,DL_bitrate\n${rows.join('\n')}\n`, { map: 'device=uid,downlink=DL_bitrate', defaults });
    expect(r.rejected.byReason).toEqual({ downlink_out_of_range: 18 });
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ field: 'downlink', column: 'DL_bitrate', suggestedUnit: 'kbit/s' });
    expect(r.warnings[0]?.message).toMatch(/90\.0 % of downlink values fall outside \[0, 10000\] Mbit\/s \(column DL_bitrate read as Mbit\/s \(no unit stated.*write downlink=DL_bitrate:kbps/);
    // stated correctly, the same file loads whole and quietly
    const ok = loadCsvString(`uid,DL_bitrate\n${rows.join('\n')}\n`, { map: 'device=uid,downlink=DL_bitrate:kbps', defaults });
    expect(ok.rejected.total).toBe(0);
    expect(ok.warnings).toEqual([]);
  });

  it('warns when RTT in seconds is read as ms: in range, but an implausible median', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `u${i},10,${(0.02 + 0.01 * i).toFixed(2)}`);
    const r = loadCsvString(`uid,dl,Ping\n${rows.join('\n')}\n`, { map: 'device=uid,downlink=dl,rtt=Ping', defaults });
    expect(r.fieldStats.rtt?.outOfRange).toBe(0);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ field: 'rtt', suggestedUnit: 's' });
    expect(r.warnings[0]?.message).toMatch(/the median rtt is 0\.17 ms, implausible/);
  });

  it('warns when a rebuffering percentage is read as a ratio', () => {
    const rows = Array.from({ length: 20 }, (_, i) => `u${i},10,video,${i % 4 === 0 ? 0 : 2 + i}`);
    const r = loadCsvString(`uid,dl,act,rebuf\n${rows.join('\n')}\n`, { map: 'device=uid,downlink=dl,activity=act,rebufferRatio=rebuf', defaults });
    expect(r.warnings.map((w) => [w.field, w.suggestedUnit])).toEqual([['rebufferRatio', '%']]);
    expect(r.cleared.byField.rebufferRatio).toEqual({ out_of_range: 15 });
  });

  it('stays quiet below a few percent out of range', () => {
    const rows = Array.from({ length: 100 }, (_, i) => `u${i},${i === 0 ? 20_000 : 10 + i}`);
    const r = loadCsvString(`uid,dl\n${rows.join('\n')}\n`, { map: 'device=uid,downlink=dl', defaults });
    expect(r.rejected.byReason).toEqual({ downlink_out_of_range: 1 });
    expect(r.warnings).toEqual([]);
  });
});

describe('video sessions from a CSV', () => {
  const defaults = { networkType: '4g', operator: '460-00' } as const;

  it('reads the activity, the quality fields in their units, and leaves non-video rows without a context', () => {
    const text = ['uid,dl,activity,br,stalls,rebuf,start', 'u1,20,video,2.5,0,0,1.2', 'u2,5,video,0.8,3,4.5,3.4', 'u3,50,browsing,,,,', 'u4,9,video,-,-,-,-', 'u5,7,VIDEO,1.1,1.5,0,0.9'].join('\n');
    const r = loadCsvString(text, { map: 'device=uid,downlink=dl,activity=activity,videoBitrate=br:Mbps,stallCount=stalls,rebufferRatio=rebuf:%,startupDelay=start:s', defaults });
    expect(Array.from(r.table.columns.activity)).toEqual([1, 1, 0, 1, 1]);
    expect(col(r, 'videoBitrateKbps').slice(0, 2)).toEqual([2500, 800]);
    expect(toNetworkSample(r.table, 1).streaming).toEqual({ activity: 'video', bitrateKbps: 800, stallCount: 3, rebufferRatio: expect.closeTo(0.045, 6), startupDelayMs: 3400 });
    expect(toNetworkSample(r.table, 2).streaming).toBeUndefined();
    expect(toNetworkSample(r.table, 3).streaming).toEqual({ activity: 'video' }); // placeholders: absent
    expect(r.notes).toEqual({ activity_unknown: 1 }); // "browsing" is not an activity the schema knows
    expect(r.cleared.byField.stallCount).toEqual({ not_a_number: 1 }); // 1.5 stalls
    expect(summarizeTable(r.table).videoSessions).toBe(4);
  });

  it('takes a row with any video field as a session when there is no activity column', () => {
    const r = loadCsvString('uid,dl,br\nu1,20,2300\nu2,30,\n', { map: 'device=uid,downlink=dl,videoBitrate=br', defaults });
    expect(Array.from(r.table.columns.activity)).toEqual([1, 0]);
    expect(r.conversions.find((c) => c.field === 'videoBitrate')).toMatchObject({ unit: 'kbit/s', stated: false });
  });
});

describe('restricting to a public domain', () => {
  const text = ['uid,dl,op,region,city', 'u1,10,460-00,north,alpha', 'u2,20,460-00,north,beta', 'u3,30,460-01,north,alpha', 'u4,40,460-00,south,gamma', 'u5,50,460-00,north,delta'].join('\n');
  const r = loadCsvString(text, { map: 'device=uid,downlink=dl,operator=op,region=region,cell=city', defaults: { networkType: '4g' } });

  it('drops rows outside it, counted by field, and re-indexes the rest onto the declared labels', () => {
    const out = restrictToDomains(r.table, { operators: ['460-00', '460-99'], regions: ['north'], cells: ['north/beta', 'north/alpha'], cellRegion: [0, 0] });
    expect(out).toMatchObject({ rows: 5, kept: 2, dropped: { operator_outside_domain: 1, region_outside_domain: 1, cell_outside_domain: 1 }, toOtherCell: 0 });
    expect(out.table.domains.operator.values).toEqual(['460-00', '460-99']);
    expect(out.table.domains.cell.values).toEqual(['north/beta', 'north/alpha']);
    expect(Array.from(out.table.columns.downlinkMbps)).toEqual([10, 20]);
    expect(Array.from(out.table.columns.cell)).toEqual([1, 0]);
  });

  it("sends a cell outside the domain to its region's (other) cell when asked", () => {
    const out = restrictToDomains(r.table, { operators: ['460-00', '460-01'], regions: ['north'], cells: ['north/alpha', otherCellOf('north')], cellRegion: [0, 0] }, { otherCells: true });
    expect(out).toMatchObject({ kept: 4, toOtherCell: 2, dropped: { region_outside_domain: 1 } });
    expect(Array.from(out.table.columns.cell)).toEqual([0, 1, 0, 1]);
  });

  it('refuses a malformed domain', () => {
    expectPinholeError(() => restrictToDomains(r.table, { operators: ['460-00', '460-00'], regions: ['north'], cells: ['north/alpha'], cellRegion: [0] }), 'invalid_argument', 'domains.operators');
    // an empty domain (a DP selection that kept nothing) releases nothing
    expect(restrictToDomains(r.table, { operators: [], regions: ['north'], cells: ['north/alpha'], cellRegion: [0] })).toMatchObject({ kept: 0, dropped: { operator_outside_domain: 5 } });
    expectPinholeError(() => restrictToDomains(r.table, { operators: ['460-00'], regions: ['north'], cells: ['north/alpha'], cellRegion: [1] }), 'invalid_argument', 'domains.cellRegion[0]');
    expectPinholeError(() => restrictToDomains(r.table, { operators: ['460-00'], regions: ['north', 'north'], cells: ['a'], cellRegion: [0] }), 'invalid_argument', 'domains.regions');
  });
});
