import { createHash } from 'node:crypto';
import { DEVICE_CLASSES, NETWORK_TYPES, validateNetworkSample } from '@pinhole/core';
import { describe, expect, it } from 'vitest';
import {
  CALIBRATION,
  checkTable,
  expectedShare,
  generateSynthetic,
  generateSyntheticTable,
  type MeasurementTable,
  measurements,
  syntheticChunks,
  syntheticModel,
  syntheticWorld,
  VIDEO_BITRATE_SIGMA,
  VIDEO_CAP_KBPS,
  VIDEO_MEAN_REBUFFER_RATIO,
  VIDEO_REBUFFERING_SHARE,
  VIDEO_SESSION_SHARE,
  VIDEO_STARTUP_OVER_2S,
  videoModel,
  videoRung,
} from '../src/index.js';
import { Z_1E5 } from './helpers.js';
import { BAD_NUMBERS, expectPinholeError } from '@pinhole/core/testing';

const NETWORK_COLUMNS = [
  'networkType',
  'deviceClass',
  'operator',
  'region',
  'cell',
  'device',
  'downlinkMbps',
  'uplinkMbps',
  'rttMs',
  'rsrpDbm',
  'rsrqDb',
  'sinrDb',
  'wifiRssiDbm',
  'timestamp',
] as const;
const COLUMNS = [...NETWORK_COLUMNS, 'activity', 'videoBitrateKbps', 'rebufferRatio', 'stallCount', 'startupDelayMs'] as const;

function rowsEqual(a: MeasurementTable, aStart: number, b: MeasurementTable, bStart: number, n: number): boolean {
  for (const c of COLUMNS) {
    const x = a.columns[c];
    const y = b.columns[c];
    for (let i = 0; i < n; i++) if (!Object.is(x[aStart + i], y[bStart + i])) return false;
  }
  return true;
}

describe('synthetic generator: determinism', () => {
  it('gives identical data for the same seed and different data for another seed', () => {
    const a = generateSyntheticTable({ devices: 2000, seed: 'pinhole' });
    const b = generateSyntheticTable({ devices: 2000, seed: 'pinhole' });
    const c = generateSyntheticTable({ devices: 2000, seed: 'pinhole2' });
    expect(a.length).toBe(b.length);
    expect(rowsEqual(a, 0, b, 0, a.length)).toBe(true);
    expect(a.length === c.length && rowsEqual(a, 0, c, 0, a.length)).toBe(false);
  });

  it("makes device i's data depend only on the seed and i (prefixes, offsets and chunks agree)", () => {
    const big = generateSyntheticTable({ devices: 3000, seed: 7 });
    const small = generateSyntheticTable({ devices: 500, seed: 7 });
    expect(rowsEqual(big, 0, small, 0, small.length)).toBe(true);
    const firstOfDevice = (t: MeasurementTable, d: number) => t.columns.device.indexOf(d);
    const tail = generateSyntheticTable({ devices: 1000, seed: 7, deviceStart: 2000 });
    expect(rowsEqual(big, firstOfDevice(big, 2000), tail, 0, tail.length)).toBe(true);
    let at = 0;
    for (const chunk of syntheticChunks({ devices: 3000, seed: 7 }, 700)) {
      expect(rowsEqual(big, at, chunk, 0, chunk.length)).toBe(true);
      expect(chunk.domains).toBe(big.domains);
      at += chunk.length;
    }
    expect(at).toBe(big.length);
  });

  it('gives the same world for the same seed and world options, whatever the number of devices', () => {
    const w1 = syntheticWorld({ seed: 3 });
    const w2 = syntheticWorld({ seed: 3 });
    expect(w1).toEqual(w2);
    expect(w1.regions.length).toBe(CALIBRATION.regionRows.length);
    expect(w1.cells.length).toBe(CALIBRATION.cells);
    expect(Math.abs(w1.cellWeights.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
    expect(syntheticWorld({ seed: 4 }).cellQuality).not.toEqual(w1.cellQuality);
  });
});

describe('synthetic generator: schema', () => {
  const data = generateSynthetic({ devices: 3000, seed: 11 });
  const t = data.table;

  it('produces only samples that pass validateNetworkSample, with contributor ids and regions', () => {
    checkTable(t);
    let n = 0;
    for (const m of measurements(t)) {
      validateNetworkSample(m.sample);
      expect(m.deviceId).toMatch(/^syn-\d+$/);
      n++;
    }
    expect(n).toBe(t.length);
    expect(data.devices.length).toBe(3000);
    expect(data.devices.reduce((a, d) => a + d.measurements.length, 0)).toBe(t.length);
    for (const d of data.devices.slice(0, 200)) {
      expect(d.measurements.length).toBeGreaterThanOrEqual(1);
      for (const m of d.measurements) {
        expect(m.deviceId).toBe(d.deviceId);
        expect(m.sample.operator).toBe(d.operator);
        expect(m.sample.deviceClass).toBe(d.deviceClass);
        expect(data.world.regions[data.world.cellRegion[data.world.cells.indexOf(m.sample.cell)] as number]).toBe(m.region);
      }
    }
  });

  it('puts signals where they belong: RSRP/RSRQ/SINR on 4G/5G, RSSI on WiFi, whole dB, timestamps in the window', () => {
    const c = t.columns;
    const start = Date.UTC(2021, 7, 1);
    const end = Date.UTC(2021, 11, 1);
    for (let i = 0; i < t.length; i++) {
      const type = NETWORK_TYPES[c.networkType[i] as number];
      const lte = type === '4g' || type === '5g-nsa' || type === '5g-sa';
      for (const f of ['rsrpDbm', 'rsrqDb', 'sinrDb'] as const) expect(Number.isNaN(c[f][i] as number)).toBe(!lte);
      expect(Number.isNaN(c.wifiRssiDbm[i] as number)).toBe(type !== 'wifi');
      for (const f of ['rsrpDbm', 'rsrqDb', 'sinrDb', 'wifiRssiDbm'] as const) if (!Number.isNaN(c[f][i])) expect(Number.isInteger(c[f][i])).toBe(true);
      expect(c.timestamp[i]).toBeGreaterThanOrEqual(start);
      expect(c.timestamp[i]).toBeLessThan(end);
    }
  });
});

describe('synthetic generator: calibration (model)', () => {
  const model = syntheticModel({ seed: 1 });
  it('maps each real operator through its own real distribution: medians and shares below 1 Mbit/s are the real ones', () => {
    for (const [type, group] of [
      ['4g', '4g'],
      ['5g-nsa', '5g'],
      ['5g-sa', '5g'],
      ['wifi', 'wifi'],
    ] as const) {
      for (const [op, median] of Object.entries(CALIBRATION.downlink[group].operatorMedian)) {
        const m = model.operators[type][op];
        expect(m?.knots).toBe('real');
        expect(Math.abs((m?.median as number) / median - 1)).toBeLessThan(1e-6);
        expect(Math.abs((m?.shareBelow1 as number) - (CALIBRATION.downlink[group].operatorShareBelow1[op] as number))).toBeLessThan(1e-6);
      }
      // the illustrative small operator is worse than every real one
      const small = model.operators[type]['460-15'];
      for (const op of Object.keys(CALIBRATION.downlink[group].operatorMedian)) expect(small?.median).toBeLessThan(model.operators[type][op]?.median as number);
    }
    // P(RSRP <= -111) of the model is the real (whole-dBm) share
    expect(Math.abs(model.rsrpBelowMinus110 - 0.071753871)).toBeLessThan(1e-9);
    const mix = Object.values(model.networkMix).reduce((a, b) => a + b, 0);
    expect(Math.abs(mix - 1)).toBeLessThan(1e-12);
  });

  it('averages to the model over worlds: the mean over 60 seeds of the expected 4G share below 1 Mbit/s', () => {
    // Each world's expected share is an independent draw around the model value; the tolerance is
    // Z_1E5 sample standard errors (t with 59 df: false failure ~5e-5).
    const v = Array.from({ length: 60 }, (_, s) => expectedShare({ seed: 1000 + s }, { networkType: '4g', field: 'downlinkMbps', below: 1 }));
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1));
    expect(Math.abs(mean - model.downlink['4g'].shareBelow1)).toBeLessThan(Z_1E5 * (sd / Math.sqrt(v.length)));
    expect(sd).toBeGreaterThan(0.002); // cells of very different quality make worlds differ visibly
  });
});

describe('synthetic generator: marginals (statistical)', () => {
  // One measurement per device: given the world, rows are independent, so a share p over n rows
  // has standard deviation at most sqrt(p(1-p)/n). Each check uses Z_1E5 of them (false failure
  // ~1e-5 each by the normal approximation; n is in the thousands or more).
  const opts = { seed: 20240601, measurementsPerDevice: { mean: 1, max: 1 } } as const;
  const N = 120_000;
  const t = generateSyntheticTable({ devices: N, ...opts });
  const c = t.columns;
  const model = syntheticModel(opts);
  const check = (observed: number, n: number, expected: number) => {
    expect(Math.abs(observed / n - expected)).toBeLessThanOrEqual(Z_1E5 * Math.sqrt((expected * (1 - expected)) / n));
  };

  it('has one row per device here', () => expect(t.length).toBe(N));

  it('matches the network-type mix and the device-class mix', () => {
    NETWORK_TYPES.forEach((type, ti) => check(c.networkType.filter((x) => x === ti).length, N, model.networkMix[type]));
    DEVICE_CLASSES.forEach((k, ki) => check(c.deviceClass.filter((x) => x === ki).length, N, model.deviceClassMix[k]));
  });

  it('matches the expected share below 1 Mbit/s per network type, given the world', () => {
    for (const type of ['wifi', '4g', '5g-nsa', '5g-sa', '3g'] as const) {
      const ti = NETWORK_TYPES.indexOf(type);
      let n = 0;
      let below = 0;
      for (let i = 0; i < N; i++) {
        if (c.networkType[i] !== ti) continue;
        n++;
        if ((c.downlinkMbps[i] as number) < 1) below++;
      }
      check(below, n, expectedShare(opts, { networkType: type, field: 'downlinkMbps', below: 1 }));
    }
  });

  it('matches each operator median on 4G (the share below the real median), given the world', () => {
    const ti = NETWORK_TYPES.indexOf('4g');
    for (const [op, median] of Object.entries(CALIBRATION.downlink['4g'].operatorMedian)) {
      const oi = t.domains.operator.index(op);
      let n = 0;
      let below = 0;
      for (let i = 0; i < N; i++) {
        if (c.networkType[i] !== ti || c.operator[i] !== oi) continue;
        n++;
        if ((c.downlinkMbps[i] as number) < median) below++;
      }
      check(below, n, expectedShare(opts, { networkType: '4g', field: 'downlinkMbps', below: median, operator: op }));
    }
  });

  it('matches the expected share of RSRP below -110 dBm on 4G, given the world', () => {
    const ti = NETWORK_TYPES.indexOf('4g');
    let n = 0;
    let below = 0;
    for (let i = 0; i < N; i++) {
      if (c.networkType[i] !== ti) continue;
      n++;
      if ((c.rsrpDbm[i] as number) < -110) below++;
    }
    check(below, n, expectedShare(opts, { networkType: '4g', field: 'rsrpDbm', below: -110 }));
  });

  it('has very poor cells: the worst cells are far below the median cell', () => {
    const world = syntheticWorld(opts);
    const poor = world.cells.filter((_, i) => world.poorCells[i] === 1);
    expect(poor.length).toBeGreaterThan(0);
    const cellShare = (cell: string) => expectedShare(opts, { networkType: '4g', field: 'downlinkMbps', below: 1, cell });
    const worst = Math.max(...poor.map(cellShare));
    expect(worst).toBeGreaterThan(5 * model.downlink['4g'].shareBelow1);
  });
});

describe('synthetic generator: measurements per device', () => {
  it('has the requested mean, with a heavy tail up to the max', () => {
    // N is i.i.d. per device with P(N >= n) = n^-alpha on 1..max: Var(N) = sum (2n-1) n^-alpha - mean^2.
    const devices = 60_000;
    const t = generateSyntheticTable({ devices, seed: 5 });
    const model = syntheticModel({ seed: 5 });
    const { alpha, mean, max } = model.measurementsPerDevice;
    let second = 0;
    for (let n = 1; n <= max; n++) second += (2 * n - 1) * n ** -alpha;
    const variance = second - mean * mean;
    expect(Math.abs(t.length / devices - mean)).toBeLessThanOrEqual(Z_1E5 * Math.sqrt(variance / devices));
    const counts = new Map<number, number>();
    for (const d of t.columns.device) counts.set(d, (counts.get(d) ?? 0) + 1);
    const v = [...counts.values()];
    // P(N = 1) = 1 - 2^-alpha; P(N >= 11) = 11^-alpha
    const one = v.filter((x) => x === 1).length;
    const p1 = 1 - 2 ** -alpha;
    expect(Math.abs(one / devices - p1)).toBeLessThanOrEqual(Z_1E5 * Math.sqrt((p1 * (1 - p1)) / devices));
    const p11 = 11 ** -alpha;
    expect(Math.abs(v.filter((x) => x >= 11).length / devices - p11)).toBeLessThanOrEqual(Z_1E5 * Math.sqrt((p11 * (1 - p11)) / devices));
    expect(Math.max(...v)).toBeLessThanOrEqual(max);
    const fixed = generateSyntheticTable({ devices: 50, seed: 5, measurementsPerDevice: { mean: 4, max: 4 } });
    expect(fixed.length).toBe(200);
  });
});

describe('synthetic generator: bad input', () => {
  const bad = (options: unknown, param: string) => expectPinholeError(() => generateSyntheticTable(options as never), 'invalid_argument', param);
  it('sweeps every option', () => {
    const BAD_OPTIONAL = BAD_NUMBERS.filter((v) => v !== undefined);
    bad(null, 'options');
    bad({ devices: 1, seed: 1, extra: 1 }, 'options.extra');
    for (const v of [...BAD_NUMBERS, 0, -1, -0, 1.5, 50_000_001]) bad({ devices: v, seed: 1 }, 'options.devices');
    for (const v of ['', 1.5, Number.NaN, -0, null, undefined, {}, 2 ** 60]) bad({ devices: 1, seed: v }, 'options.seed');
    for (const v of [...BAD_OPTIONAL, -1, 0.5, 2 ** 32]) bad({ devices: 1, seed: 1, deviceStart: v }, 'options.deviceStart');
    bad({ devices: 1, seed: 1, measurementsPerDevice: 3 }, 'options.measurementsPerDevice');
    for (const v of [...BAD_NUMBERS, 0, 1.5, 100_001]) bad({ devices: 1, seed: 1, measurementsPerDevice: { mean: 1, max: v } }, 'options.measurementsPerDevice.max');
    for (const v of [...BAD_NUMBERS, 0.5, 11, -0]) bad({ devices: 1, seed: 1, measurementsPerDevice: { mean: v, max: 10 } }, 'options.measurementsPerDevice.mean');
    for (const v of [...BAD_OPTIONAL, 0, 1001, 2.5]) bad({ devices: 1, seed: 1, regions: v }, 'options.regions');
    for (const v of [...BAD_OPTIONAL, 4, 1_000_001, 5.5]) bad({ devices: 1, seed: 1, regions: 5, cells: v }, 'options.cells');
    bad({ devices: 1, seed: 1, operators: [] }, 'options.operators');
    bad({ devices: 1, seed: 1, operators: 'x' }, 'options.operators');
    bad({ devices: 1, seed: 1, operators: [{ id: 'x', share: 1 }] }, 'options.operators[0].id');
    bad(
      {
        devices: 1,
        seed: 1,
        operators: [
          { id: '001-01', share: 0.5 },
          { id: '001-01', share: 0.5 },
        ],
      },
      'options.operators[1].id',
    );
    for (const v of [...BAD_NUMBERS, 0, -0.1, 1.1]) bad({ devices: 1, seed: 1, operators: [{ id: '001-01', share: v }] }, 'options.operators[0].share');
    bad({ devices: 1, seed: 1, operators: [{ id: '001-01', share: 0.5 }] }, 'options.operators');
    bad({ devices: 1, seed: 1, operators: [{ id: '001-01', share: 1, name: 3 }] }, 'options.operators[0].name');
    for (const v of [...BAD_OPTIONAL, 4, -4]) bad({ devices: 1, seed: 1, operators: [{ id: '001-01', share: 1, quality: v }] }, 'options.operators[0].quality');
    bad({ devices: 1, seed: 1, networkMix: { lte: 1 } }, 'options.networkMix.lte');
    for (const v of [...BAD_OPTIONAL, -1]) bad({ devices: 1, seed: 1, networkMix: { '4g': v } }, 'options.networkMix.4g');
    bad({ devices: 1, seed: 1, networkMix: { '4g': 0 } }, 'options.networkMix');
    bad({ devices: 1, seed: 1, timeWindow: 5 }, 'options.timeWindow');
    for (const v of [...BAD_NUMBERS, 0, 1.5]) bad({ devices: 1, seed: 1, timeWindow: { start: v, end: Date.UTC(2022, 0) } }, 'options.timeWindow.start');
    bad({ devices: 1, seed: 1, timeWindow: { start: Date.UTC(2022, 0), end: Date.UTC(2022, 0) } }, 'options.timeWindow.end');
    for (const v of [...BAD_OPTIONAL, 0, 1.5]) expectPinholeError(() => syntheticChunks({ devices: 1, seed: 1 }, v as never).next(), 'invalid_argument', 'chunkDevices');
  });

  it('accepts custom operators and a fixed network mix', () => {
    const t = generateSyntheticTable({
      devices: 500,
      seed: 1,
      operators: [
        { id: '262-01', name: 'A', share: 0.6 },
        { id: '262-02', name: 'B', share: 0.4, quality: -1 },
      ],
      networkMix: { '4g': 1 },
    });
    expect(t.domains.operator.values).toEqual(['262-01', '262-02']);
    expect(t.columns.networkType.every((x) => x === NETWORK_TYPES.indexOf('4g'))).toBe(true);
    for (const m of measurements(t)) validateNetworkSample(m.sample);
  });

  it('refuses bad expectation queries', () => {
    const q = (query: unknown, param: string) => expectPinholeError(() => expectedShare({ seed: 1 }, query as never), 'invalid_argument', param);
    q(null, 'query');
    q({ networkType: 'lte', field: 'downlinkMbps', below: 1 }, 'query.networkType');
    q({ networkType: '4g', field: 'rttMs', below: 1 }, 'query.field');
    q({ networkType: 'wifi', field: 'rsrpDbm', below: -110 }, 'query.networkType');
    for (const v of BAD_NUMBERS) q({ networkType: '4g', field: 'downlinkMbps', below: v }, 'query.below');
    q({ networkType: '4g', field: 'downlinkMbps', below: 1, operator: '999-99' }, 'query.operator');
    q({ networkType: '4g', field: 'downlinkMbps', below: 1, region: 'nowhere' }, 'query.region');
    q({ networkType: '4g', field: 'downlinkMbps', below: 1, cell: 'nowhere' }, 'query.cell');
    q({ networkType: '4g', field: 'downlinkMbps', below: 1, region: 'region-01', cell: syntheticWorld({ seed: 1 }).cells.at(-1) }, 'query');
  });
});

describe('synthetic generator: video sessions', () => {
  const t = generateSyntheticTable({ devices: 100_000, seed: 'video' });
  const c = t.columns;

  /**
   * A share or mean over rows, with its standard error clustered by device (a device's sessions
   * share its downlink effect, so rows are not independent): Var = sum_d (s_d - m n_d)^2 / N^2.
   */
  function clustered(include: (i: number) => boolean, value: (i: number) => number): { mean: number; se: number } {
    const sums = new Map<number, [number, number]>();
    let s = 0;
    let n = 0;
    for (let i = 0; i < t.length; i++) {
      if (!include(i)) continue;
      const x = value(i);
      const d = c.device[i] as number;
      const e = sums.get(d) ?? [0, 0];
      e[0] += x;
      e[1] += 1;
      sums.set(d, e);
      s += x;
      n += 1;
    }
    const mean = s / n;
    let v = 0;
    for (const [sd, nd] of sums.values()) v += (sd - mean * nd) ** 2;
    return { mean, se: Math.sqrt(v) / n };
  }
  const isVideo = (i: number) => c.activity[i] === 1;

  it('leaves every network column exactly as it was before video sessions existed', () => {
    // SHA-256 of the 14 network columns of 3,000 devices, seed "pinhole", computed with the
    // generator of commit a2653b4 (before video sessions): the video draws use their own stream.
    const small = generateSyntheticTable({ devices: 3000, seed: 'pinhole' });
    const h = createHash('sha256');
    for (const col of NETWORK_COLUMNS) {
      const a = small.columns[col];
      h.update(Buffer.from(a.buffer, a.byteOffset, a.byteLength));
    }
    expect(h.digest('hex')).toBe('e33f3e5d4d244ea385da6324630ed31a63fac781366f7af9a777aac8f6038c16');
  });

  // Each check below allows Z_1E5 = 4.42 clustered standard errors: a false failure about 1e-5 each.
  it('has the assumed share of video sessions and the published share with rebuffering', () => {
    const video = clustered(
      () => true,
      (i) => (isVideo(i) ? 1 : 0),
    );
    expect(Math.abs(video.mean - VIDEO_SESSION_SHARE)).toBeLessThan(Z_1E5 * video.se);
    const stalled = clustered(isVideo, (i) => ((c.stallCount[i] as number) > 0 ? 1 : 0));
    expect(Math.abs(stalled.mean - VIDEO_REBUFFERING_SHARE)).toBeLessThan(Z_1E5 * stalled.se);
    // per network type the share follows the compiled model
    const model = videoModel(syntheticModel({ seed: 'video' }).networkMix);
    for (let ty = 0; ty < NETWORK_TYPES.length; ty++) {
      const perType = clustered(
        (i) => isVideo(i) && c.networkType[i] === ty,
        (i) => ((c.stallCount[i] as number) > 0 ? 1 : 0),
      );
      expect(Math.abs(perType.mean - (model.rebufferingShare[ty] as number)), NETWORK_TYPES[ty]).toBeLessThan(Z_1E5 * perType.se);
    }
  });

  it('has the published mean rebuffering ratio and share of slow starts', () => {
    const ratio = clustered(isVideo, (i) => c.rebufferRatio[i] as number);
    // the exponential is capped at 1: E[min(X, 1)] = mu (1 - e^(-1/mu)), a 1.6e-4 relative shortfall here
    const mu = VIDEO_MEAN_REBUFFER_RATIO / VIDEO_REBUFFERING_SHARE;
    expect(Math.abs(ratio.mean - VIDEO_REBUFFERING_SHARE * mu * (1 - Math.exp(-1 / mu)))).toBeLessThan(Z_1E5 * ratio.se);
    const slow = clustered(isVideo, (i) => ((c.startupDelayMs[i] as number) > 2000 ? 1 : 0));
    expect(Math.abs(slow.mean - VIDEO_STARTUP_OVER_2S)).toBeLessThan(Z_1E5 * slow.se);
  });

  it('delivers a ladder rung the throughput and the screen allow, and is consistent within a session', () => {
    let sumLog = 0;
    let sumSq = 0;
    let n = 0;
    for (let i = 0; i < t.length; i++) {
      if (!isVideo(i)) {
        expect(Number.isNaN(c.videoBitrateKbps[i] as number) && Number.isNaN(c.stallCount[i] as number)).toBe(true);
        continue;
      }
      const cap = VIDEO_CAP_KBPS[DEVICE_CLASSES[c.deviceClass[i] as number] as keyof typeof VIDEO_CAP_KBPS];
      const z = Math.log((c.videoBitrateKbps[i] as number) / videoRung(c.downlinkMbps[i] as number, cap)) / VIDEO_BITRATE_SIGMA;
      sumLog += z;
      sumSq += z * z;
      n++;
      const stalls = c.stallCount[i] as number;
      expect(Number.isInteger(stalls) && stalls >= 0).toBe(true);
      expect(stalls > 0).toBe((c.rebufferRatio[i] as number) > 0);
    }
    // the session's average is its rung times exp(sigma Z), Z ~ N(0, 1) independent per session
    expect(Math.abs(sumLog / n)).toBeLessThan(Z_1E5 / Math.sqrt(n));
    expect(Math.abs(sumSq / n - 1)).toBeLessThan(Z_1E5 * Math.sqrt(2 / n));
  });

  it('turns into a valid streaming context on the sample', () => {
    const small = generateSynthetic({ devices: 300, seed: 'video' });
    let seen = 0;
    for (const d of small.devices) {
      for (const m of d.measurements) {
        if (m.sample.streaming === undefined) continue;
        seen++;
        expect(validateNetworkSample(m.sample).streaming).toEqual(m.sample.streaming);
        expect(m.sample.streaming.activity).toBe('video');
      }
    }
    expect(seen).toBeGreaterThan(0);
  });
});
