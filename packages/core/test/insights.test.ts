import { describe, expect, it } from 'vitest';
import { COLLECTIONS, INSIGHTS, type InsightRow, NETWORK_TYPES, getCollection, getInsight } from '@pinhole/core';
import { VIDEO_BITRATE_EDGES } from '@pinhole/core/insights';

const DOMAINS = { operators: ['460-00', '460-01'], regions: ['north', 'south'], cells: ['north/a', 'south/b'] };
const row = (patch: Partial<InsightRow>): InsightRow => ({ networkType: 3, deviceClass: 0, operator: 1, region: 0, cell: 0, downlinkMbps: 20, rttMs: NaN, rsrpDbm: NaN, ...patch });

describe('the video-quality collections', () => {
  const rebuffering = getCollection('video-rebuffering-by-operator-network');
  const bitrate = getCollection('video-bitrate-by-operator-network');

  it('group by operator × network type', () => {
    if (rebuffering.kind !== 'histogram' || bitrate.kind !== 'histogram') throw new Error('histogram collections expected');
    const r = rebuffering.layout(DOMAINS);
    expect(r.groups).toHaveLength(2 * NETWORK_TYPES.length);
    expect(r.groups[NETWORK_TYPES.length + 3]).toBe('460-01|4g');
    expect(r.buckets).toEqual(['smooth', 'rebuffered']);
    expect(bitrate.layout(DOMAINS).buckets).toHaveLength(VIDEO_BITRATE_EDGES.length - 1);
  });

  it('place a video session in its bucket and leave every other measurement out', () => {
    if (rebuffering.kind !== 'histogram' || bitrate.kind !== 'histogram') throw new Error('histogram collections expected');
    const g = 1 * NETWORK_TYPES.length + 3; // 460-01, 4g
    expect(rebuffering.item(row({ video: 1, rebuffered: 1 }), DOMAINS)).toBe(g * 2 + 1);
    expect(rebuffering.item(row({ video: 1, rebuffered: 0 }), DOMAINS)).toBe(g * 2);
    expect(rebuffering.item(row({ video: 1, rebuffered: NaN }), DOMAINS)).toBe(-1); // unknown: no report
    expect(rebuffering.item(row({ video: 0, rebuffered: 1 }), DOMAINS)).toBe(-1);
    expect(rebuffering.item(row({}), DOMAINS)).toBe(-1); // rows without the optional fields
    const B = VIDEO_BITRATE_EDGES.length - 1;
    // 2000 kbit/s lies in [1778.28, 2371.37): bucket 1 + round(8·log10(20)) - 1 = 11
    expect(VIDEO_BITRATE_EDGES[11]).toBeLessThanOrEqual(2000);
    expect(VIDEO_BITRATE_EDGES[12]).toBeGreaterThan(2000);
    expect(bitrate.item(row({ video: 1, videoBitrateKbps: 2000 }), DOMAINS)).toBe(g * B + 11);
    expect(bitrate.item(row({ video: 1, videoBitrateKbps: 50 }), DOMAINS)).toBe(g * B);
    expect(bitrate.item(row({ video: 1, videoBitrateKbps: 5e5 }), DOMAINS)).toBe(g * B + B - 1);
    expect(bitrate.item(row({ video: 1, videoBitrateKbps: NaN }), DOMAINS)).toBe(-1);
    expect(bitrate.item(row({ video: 0, videoBitrateKbps: 2000 }), DOMAINS)).toBe(-1);
  });

  it('back the two carrier insights', () => {
    expect(getInsight('video-rebuffering-share')).toMatchObject({ collection: 'video-rebuffering-by-operator-network', statistic: { kind: 'share', bucket: 1 }, metric: 'absolute_pp' });
    expect(getInsight('video-bitrate-median')).toMatchObject({ collection: 'video-bitrate-by-operator-network', statistic: { kind: 'quantile', q: 0.5 }, metric: 'relative' });
    for (const i of INSIGHTS)
      expect(
        COLLECTIONS.some((c) => c.id === i.collection),
        i.id,
      ).toBe(true);
  });
});
