import { describe, expect, it } from 'vitest';
import { DEVICE_CLASSES, NETWORK_TYPES, type NetworkSample, validateNetworkSample } from '@pinhole/core';
import {
  NUMERIC_FIELDS,
  NUMERIC_FIELD_NAMES,
  boundedReal,
  bucketedDomain,
  categoricalDomain,
  defaultBucketing,
  deviceClassDomain,
  networkTypeDomain,
  STREAMING_FIELDS,
  STREAMING_FIELD_NAMES,
  hasRebuffering,
} from '@pinhole/core/schema';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';

const SAMPLE: NetworkSample = {
  networkType: '4g',
  operator: '460-01',
  cell: 'cell-17',
  downlinkMbps: 28.6,
  uplinkMbps: 5.1,
  rttMs: 42,
  rsrpDbm: -98,
  rsrqDb: -11,
  sinrDb: 7,
  deviceClass: 'phone-mid',
  timestamp: Date.UTC(2026, 10, 29),
};

describe('categorical domains', () => {
  it('maps values to buckets and back', () => {
    expect(networkTypeDomain.size).toBe(NETWORK_TYPES.length);
    expect(networkTypeDomain.index('5g-sa')).toBe(5);
    expect(networkTypeDomain.label(0)).toBe('wifi');
    expect(deviceClassDomain.values).toEqual(DEVICE_CLASSES);
    const d = categoricalDomain('operator', ['460-00', '460-01']);
    expect(d.index('460-01')).toBe(1);
  });

  it('refuses unknown values, duplicates and bad buckets', () => {
    expectPinholeError(() => networkTypeDomain.index('6g'), 'invalid_argument', 'networkType');
    expectPinholeError(() => categoricalDomain('x', ['a', 'a']), 'invalid_argument', 'values[1]');
    expectPinholeError(() => categoricalDomain('x', []), 'invalid_argument', 'values');
    expectPinholeError(() => categoricalDomain('', ['a']), 'invalid_argument', 'name');
    for (const bad of [...BAD_NUMBERS, 6, -1, 1.5]) expectPinholeError(() => networkTypeDomain.label(bad as number), 'invalid_argument', 'bucket');
  });
});

describe('bucketed domains', () => {
  const edges = [0, 1, 5, 10];

  it('clamp (default): out-of-range values join the end buckets', () => {
    const d = bucketedDomain('downlink', { edges, unit: 'Mbit/s' });
    expect(d.size).toBe(3);
    expect([-3, 0, 0.99, 1, 4.9, 5, 10, 1e9].map((x) => d.index(x))).toEqual([0, 0, 0, 1, 1, 2, 2, 2]);
    expect(d.label(0)).toBe('[0, 1) Mbit/s');
    expect(d.label(2)).toBe('[5, 10] Mbit/s');
    const b = d.bucketize([-1, 3, 20, 7]);
    expect(Array.from(b.indices)).toEqual([0, 1, 2, 2]);
    expect(b.underflow).toBe(1);
    expect(b.overflow).toBe(1);
  });

  it('bucket: underflow and overflow get buckets of their own', () => {
    const d = bucketedDomain('downlink', { edges, outOfRange: 'bucket' });
    expect(d.size).toBe(5);
    expect([-3, 0, 1, 10, 11].map((x) => d.index(x))).toEqual([0, 1, 2, 3, 4]);
    expect(d.label(0)).toBe('< 0');
    expect(d.label(4)).toBe('> 10');
  });

  it('reject: out-of-range values are errors naming the domain', () => {
    const d = bucketedDomain('rtt', { edges, outOfRange: 'reject' });
    expectPinholeError(() => d.index(11), 'invalid_argument', 'rtt');
    expectPinholeError(() => d.bucketize([1, 11]), 'invalid_argument', 'values[1]');
    expectPinholeError(() => d.index(NaN), 'invalid_argument', 'rtt');
  });

  it('validates its options', () => {
    expectPinholeError(() => bucketedDomain('x', { edges: [1] }), 'invalid_argument', 'edges');
    expectPinholeError(() => bucketedDomain('x', { edges: [0, 0] }), 'invalid_argument', 'edges[1]');
    expectPinholeError(() => bucketedDomain('x', { edges: [0, NaN] }), 'invalid_argument', 'edges[1]');
    expectPinholeError(() => bucketedDomain('x', { edges: [0, 1], outOfRange: 'drop' as never }), 'invalid_argument', 'outOfRange');
    expectPinholeError(() => bucketedDomain('x', null as never), 'invalid_argument', 'options');
  });

  it('every numeric field has a default bucketing within its valid range', () => {
    for (const f of NUMERIC_FIELD_NAMES) {
      const d = defaultBucketing(f);
      const spec = NUMERIC_FIELDS[f];
      expect(d.edges[0]).toBe(spec.min);
      expect(d.edges[d.edges.length - 1]).toBe(spec.max);
    }
    expectPinholeError(() => defaultBucketing('speed' as never), 'invalid_argument', 'field');
  });
});

describe('bounded reals', () => {
  it('clamps explicitly and maps onto [-1, 1]', () => {
    const r = boundedReal('rtt', { min: 0, max: 200, unit: 'ms' });
    expect(r.clamp(-5)).toEqual({ value: 0, clamped: -1 });
    expect(r.clamp(250)).toEqual({ value: 200, clamped: 1 });
    expect(r.clamp(50)).toEqual({ value: 50, clamped: 0 });
    expect(r.toUnit(0)).toBe(-1);
    expect(r.toUnit(100)).toBe(0);
    expect(r.toUnit(1e9)).toBe(1);
    expect(r.fromUnit(0.5)).toBe(150);
    expectPinholeError(() => boundedReal('x', { min: 1, max: 1 }), 'invalid_argument', 'max');
    expectPinholeError(() => boundedReal('x', { min: NaN, max: 1 }), 'invalid_argument', 'min');
    expectPinholeError(() => r.clamp(NaN), 'invalid_argument', 'rtt');
  });
});

describe('NetworkSample', () => {
  it('accepts a valid sample and returns a clean copy', () => {
    const out = validateNetworkSample({ ...SAMPLE });
    expect(out).toEqual(SAMPLE);
    const wifi = validateNetworkSample({ networkType: 'wifi', operator: '460-00', cell: 'c', downlinkMbps: 100, wifiRssiDbm: -60, deviceClass: 'tablet', timestamp: SAMPLE.timestamp });
    expect(wifi.wifiRssiDbm).toBe(-60);
  });

  it('names the bad field', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ networkType: '6g' }, 'sample.networkType'],
      [{ operator: '46001' }, 'sample.operator'],
      [{ cell: '' }, 'sample.cell'],
      [{ cell: 'x'.repeat(65) }, 'sample.cell'],
      [{ downlinkMbps: -1 }, 'sample.downlinkMbps'],
      [{ downlinkMbps: undefined }, 'sample.downlinkMbps'],
      [{ downlinkMbps: NaN }, 'sample.downlinkMbps'],
      [{ rttMs: Infinity }, 'sample.rttMs'],
      [{ rsrpDbm: -20 }, 'sample.rsrpDbm'],
      [{ rsrqDb: '3' }, 'sample.rsrqDb'],
      [{ sinrDb: 41 }, 'sample.sinrDb'],
      [{ wifiRssiDbm: -50 }, 'sample.wifiRssiDbm'],
      [{ deviceClass: 'watch' }, 'sample.deviceClass'],
      [{ timestamp: 1.5 }, 'sample.timestamp'],
      [{ timestamp: 0 }, 'sample.timestamp'],
      [{ colour: 'red' }, 'sample.colour'],
    ];
    for (const [patch, param] of cases) expectPinholeError(() => validateNetworkSample({ ...SAMPLE, ...patch }), 'invalid_argument', param);
    expectPinholeError(() => validateNetworkSample({ ...SAMPLE, networkType: 'wifi' }), 'invalid_argument', 'sample.rsrpDbm');
    for (const bad of [null, 3, 'x', []]) expectPinholeError(() => validateNetworkSample(bad), 'invalid_argument', 'sample');
    expectPinholeError(() => validateNetworkSample({ ...SAMPLE, rttMs: -3 }, 'reports[4]'), 'invalid_argument', 'reports[4].rttMs');
  });

  it('takes an optional streaming context, validated field by field', () => {
    const streaming = { activity: 'video', bitrateKbps: 2350.5, rebufferRatio: 0.012, stallCount: 2, startupDelayMs: 1800 };
    expect(validateNetworkSample({ ...SAMPLE, streaming }).streaming).toEqual(streaming);
    expect(validateNetworkSample({ ...SAMPLE, streaming: { activity: 'video' } }).streaming).toEqual({ activity: 'video' });
    expect(validateNetworkSample({ ...SAMPLE, streaming: { activity: 'video', rebufferRatio: -0 } }).streaming?.rebufferRatio).toBe(0);
    const cases: [unknown, string][] = [
      [null, 'sample.streaming'],
      ['video', 'sample.streaming'],
      [{}, 'sample.streaming.activity'],
      [{ activity: 'audio' }, 'sample.streaming.activity'],
      [{ activity: 'video', bitrateKbps: -1 }, 'sample.streaming.bitrateKbps'],
      [{ activity: 'video', bitrateKbps: NaN }, 'sample.streaming.bitrateKbps'],
      [{ activity: 'video', rebufferRatio: 1.5 }, 'sample.streaming.rebufferRatio'],
      [{ activity: 'video', rebufferRatio: '0.1' }, 'sample.streaming.rebufferRatio'],
      [{ activity: 'video', stallCount: 1.5 }, 'sample.streaming.stallCount'],
      [{ activity: 'video', startupDelayMs: Infinity }, 'sample.streaming.startupDelayMs'],
      [{ activity: 'video', fps: 30 }, 'sample.streaming.fps'],
    ];
    for (const [value, param] of cases) expectPinholeError(() => validateNetworkSample({ ...SAMPLE, streaming: value }), 'invalid_argument', param);
    for (const f of STREAMING_FIELD_NAMES) expect(STREAMING_FIELDS[f].min).toBeLessThan(STREAMING_FIELDS[f].max);
  });

  it('says whether a session rebuffered, or that it cannot tell', () => {
    expect(hasRebuffering({})).toBeUndefined();
    expect(hasRebuffering({ stallCount: 0 })).toBe(false);
    expect(hasRebuffering({ stallCount: 0, rebufferRatio: 0 })).toBe(false);
    expect(hasRebuffering({ stallCount: 3 })).toBe(true);
    expect(hasRebuffering({ rebufferRatio: 0.001 })).toBe(true);
  });
});
