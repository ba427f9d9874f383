import { describe, expect, it } from 'vitest';
import { getInsight } from '@pinhole/core';
import { DOWNLINK_QUANTILE_EDGES } from '@pinhole/core/insights';
import { histogramInsight, histogramQuantile, histogramStatistic, meanInsight, normalise, worstGroups } from '@pinhole/aggregator';

describe('insight statistics', () => {
  it('quantiles interpolate geometrically inside buckets with a positive lower edge, linearly in the first', () => {
    const edges = [0, 1, 10, 100];
    expect(histogramQuantile([0, 1, 1], edges, 0.5)).toBeCloseTo(10, 12);
    expect(histogramQuantile([0, 2, 0], edges, 0.5)).toBeCloseTo(Math.sqrt(10), 12);
    expect(histogramQuantile([2, 0, 0], edges, 0.25)).toBeCloseTo(0.25, 12);
    expect(histogramQuantile([-5, 0, 0], edges, 0.5)).toBeNaN(); // nothing positive: nothing to say
    expect(histogramQuantile([0, 0, 3], edges, 1)).toBeCloseTo(100, 12);
    expect(histogramStatistic({ kind: 'quantile', q: 0.5, edges }, [0, 0, 0])).toBeNull();
  });

  it('shares and distributions from non-negative counts; null when the counts say nothing', () => {
    expect(Array.from(normalise([1, 3])!)).toEqual([0.25, 0.75]);
    expect(normalise([0, 0])).toBeNull();
    expect(histogramStatistic({ kind: 'share', bucket: 1 }, [1, 3])).toBe(0.75);
    expect(histogramStatistic({ kind: 'distribution' }, [0, 0])).toBeNull();
  });

  it('worst-k ranks released groups with enough estimated contributors, ties in domain order', () => {
    const stat = { kind: 'worst' as const, k: 2, bucket: 1, minDevices: 10 };
    const g = (key: string, ok: number, poor: number, released = true) => ({ key, released, counts: Float64Array.from([ok, poor]) });
    const top = worstGroups([g('a', 9, 1), g('b', 5, 5), g('c', 1, 5), g('d', 0, 9, false), g('e', 5, 5)], stat);
    // c has 6 < 10 contributors, d is withheld; b and e tie at 0.5: domain order
    expect(top).toEqual([
      { key: 'b', value: 0.5 },
      { key: 'e', value: 0.5 },
    ]);
  });

  it('pools released groups for the overall figure', () => {
    const ins = histogramInsight(
      getInsight('poor-share'),
      [
        { key: 'x', released: true, counts: Float64Array.from([3, 1]) },
        { key: 'y', released: true, counts: Float64Array.from([1, 3]) },
        { key: 'z', released: false, counts: Float64Array.from([0, 100]) },
      ],
      2,
    );
    expect(ins.groups).toEqual([
      { key: 'x', value: 0.25 },
      { key: 'y', value: 0.75 },
    ]);
    expect(ins.overall).toBe(0.5);
    const q = histogramInsight(getInsight('downlink-median'), [], DOWNLINK_QUANTILE_EDGES.length - 1);
    expect(q.overall).toBeNull();
    const m = meanInsight(getInsight('rtt-mean'), [
      { key: 'a', released: true, mean: 10, contributors: 3 },
      { key: 'b', released: true, mean: 30, contributors: 1 },
      { key: 'c', released: true, mean: NaN, contributors: 5 },
      { key: 'd', released: false, mean: 99, contributors: 50 },
    ]);
    expect(m.groups).toEqual([
      { key: 'a', value: 10 },
      { key: 'b', value: 30 },
      { key: 'c', value: null },
    ]);
    expect(m.overall).toBe(15);
  });
});
