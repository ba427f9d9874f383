/**
 * The seeded synthetic population: devices (contributors) with a class, an operator and a home
 * cell, each taking a heavy-tailed number of measurements. Marginals are calibrated on the real
 * mobilebandwidth files (CALIBRATION.md gives every parameter's source):
 *
 * - downlink: a Gaussian copula. A latent z = operator + class + cell quality + device effect +
 *   noise is mapped through its own mixture CDF F_t and the empirical quantile function Q_t of
 *   the real downlink of that network type, x = Q_t(F_t(z)). So the marginal per network type is
 *   exactly the real one (in expectation over cells), while cells, regions, devices and operators
 *   differ as much as variance components measured on the real data say;
 * - cells: normal quality (a region part and a within-region part) plus a few "very poor" cells;
 * - signals: RSRP, RSRQ, SINR, WiFi RSSI through the same copula, correlated with the downlink's
 *   normal score as the real rank correlations say;
 * - RTT, uplink, the network-type mix and time of day: documented assumptions (the real files have
 *   no RTT, no uplink, a stratified type mix and no time).
 */
import { DEVICE_CLASSES, type DeviceClass, NETWORK_TYPES } from '@pinhole/core';
import { checkInteger } from '@pinhole/core/validate';
import { NUMERIC_FIELDS } from '@pinhole/core/schema';
import { seededRng } from '@pinhole/core/seeded';
import { deviceKey, type DeviceKey, DeviceRng } from '../device-rng.js';
import { lookup } from '../distributions.js';
import { type MeasurementTable, type Measurement, TableBuilder, measurementAt } from '../table.js';
import { VIDEO_BITRATE_SIGMA, VIDEO_DOWNLINK_CORRELATION, VIDEO_SESSION_SHARE, VIDEO_STARTUP_SIGMA, videoModel, videoRung } from '../video.js';
import { HOME_CELL_SHARE, HOUR_WEIGHTS, RTT_SIGMA, UPLINK_SIGMA, UTC_OFFSET_HOURS } from './assumptions.js';
import { type Compiled, compile } from './model.js';
import { MAX_DEVICES, resolve, type Resolved, type SyntheticOptions } from './options.js';
import { type SyntheticWorld, type WorldIndex, worldFor } from './world.js';

function pick(cdf: Float64Array, u: number): number {
  let a = 0;
  let b = cdf.length - 1;
  while (a < b) {
    const m = (a + b) >> 1;
    if ((cdf[m] as number) < u) a = m + 1;
    else b = m;
  }
  return a;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const synthId = (device: number): string => `syn-${device}`;

/**
 * The synthetic population as a columnar table. Device i's rows depend only on the seed, the
 * world options (regions, cells, operators, networkMix, measurementsPerDevice, timeWindow) and i,
 * so `{devices: 100}` is a prefix of `{devices: 1000}` and chunks concatenate to the whole.
 */
export function generateSyntheticTable(options: SyntheticOptions): MeasurementTable {
  const r = resolve(options);
  return generate(r, compile(r), worldFor(r));
}

/** The same population in chunks of `chunkDevices` devices (for populations that do not fit in memory at once). */
export function* syntheticChunks(options: SyntheticOptions, chunkDevices = 1_000_000): Generator<MeasurementTable> {
  const r = resolve(options);
  checkInteger('chunkDevices', chunkDevices, { ge: 1, le: MAX_DEVICES });
  const compiled = compile(r);
  const world = worldFor(r);
  for (let start = 0; start < r.devices; start += chunkDevices) {
    const n = Math.min(chunkDevices, r.devices - start);
    yield generate({ ...r, deviceStart: r.deviceStart + start, devices: n }, compiled, world);
  }
}

function generate(r: Resolved, m: Compiled, w: WorldIndex): MeasurementTable {
  const T = NETWORK_TYPES.length;
  const O = r.operators.length;
  const key: DeviceKey = deviceKey(seededRng(r.seed).stream('devices'));
  const rng = new DeviceRng();
  const b = new TableBuilder(Math.ceil(r.devices * Math.min(r.countMean, 50) * 1.05) + 64);
  const c = b.cols;
  const q = w.world.cellQuality;
  const cellRegion = w.world.cellRegion;
  const invAlpha = m.alpha === 0 ? 0 : 1 / m.alpha;
  const span = r.end - r.start;
  const days = Math.max(1, Math.floor(span / DAY));
  const hourCdf = (() => {
    const total = HOUR_WEIGHTS.reduce((a, x) => a + x, 0);
    let acc = 0;
    return Float64Array.from(HOUR_WEIGHTS, (x) => (acc += x) / total);
  })();
  const rsrpC = Math.sqrt(1 - m.rsrpRho * m.rsrpRho);
  const sinrC = Math.sqrt(1 - m.sinrRho * m.sinrRho);
  const rssiC = Math.sqrt(1 - m.rssiRho * m.rssiRho);
  const rttC = Math.sqrt(1 - m.rttRho * m.rttRho);
  // Video sessions draw from their own per-device stream, so every other column is unchanged by them.
  const videoKey: DeviceKey = deviceKey(seededRng(r.seed).stream('video'));
  const vrng = new DeviceRng();
  const video = videoModel(m.model.networkMix);
  const vRho = VIDEO_DOWNLINK_CORRELATION;
  const vC = Math.sqrt(1 - vRho * vRho);
  const end = r.deviceStart + r.devices;
  for (let dev = r.deviceStart; dev < end; dev++) {
    rng.reset(key, dev);
    vrng.reset(videoKey, dev);
    // device-level draws, in a fixed order
    const k = pick(m.classCdf, rng.uniform());
    const op = pick(m.operatorCdf, rng.uniform());
    const region = pick(w.regionCdf, rng.uniform());
    const rc = w.regionCells[region] as { first: number; cdf: Float64Array };
    const home = rc.first + pick(rc.cdf, rng.uniform());
    const capable = rng.uniform() < (m.capable[k] as number) ? 1 : 0;
    const uCount = rng.uniform();
    const count = m.alpha === Infinity ? 1 : m.alpha === 0 ? m.countMax : Math.min(m.countMax, Math.floor(uCount ** -invAlpha));
    const devEffect = rng.normal();
    const typeBase = (k * 2 + capable) * T;
    for (let j = 0; j < count; j++) {
      // measurement-level draws, in a fixed order
      let t = 0;
      const ut = rng.uniform();
      while ((m.typeCdf[typeBase + t] as number) < ut && t < T - 1) t++;
      const moved = rng.uniform() >= HOME_CELL_SHARE;
      const uCell = rng.uniform();
      const cell = moved ? pick(w.globalCdf, uCell) : home;
      const e = rng.normal();
      const eUp = rng.normal();
      const eRtt = rng.normal();
      const e1 = rng.normal();
      const e2 = rng.normal();
      const e3 = rng.normal();
      const uDay = rng.uniform();
      const uHour = rng.uniform();
      const uIn = rng.uniform();

      const z = (m.quality[op] as number) + (m.classShift[k] as number) + (m.cellLoad[t] as number) * (q[cell] as number) + (m.deviceLoad[t] as number) * devEffect + (m.noiseLoad[t] as number) * e;
      const dl = Math.exp(lookup(m.logx[t * O + op] as Float64Array, z));
      const v = lookup(m.score[t] as Float64Array, z);
      const i = b.next();
      c.networkType.data[i] = t;
      c.deviceClass.data[i] = k;
      c.operator.data[i] = op;
      c.cell.data[i] = cell;
      c.region.data[i] = cellRegion[cell] as number;
      c.device.data[i] = dev;
      c.downlinkMbps.data[i] = dl;
      c.uplinkMbps.data[i] = Math.min(NUMERIC_FIELDS.uplinkMbps.max, dl * (m.uplinkRatio[t] as number) * Math.exp(UPLINK_SIGMA * eUp));
      c.rttMs.data[i] = (m.rttMedian[t] as number) * Math.exp(RTT_SIGMA * (m.rttRho * v + rttC * eRtt));
      if (t === 0) {
        c.wifiRssiDbm.data[i] = Math.round(lookup(m.rssi, m.rssiRho * v + rssiC * e1));
      } else if (m.lteNr[t]) {
        const ps = m.rsrpRho * v + rsrpC * e1;
        c.rsrpDbm.data[i] = Math.round(lookup(m.rsrp, ps));
        c.rsrqDb.data[i] = Math.round(lookup(m.rsrq, m.rsrqA * ps + m.rsrqB * v + m.rsrqC * e2));
        c.sinrDb.data[i] = Math.round(lookup(m.sinr, m.sinrRho * v + sinrC * e3));
      }
      const day = Math.min(days - 1, Math.floor(uDay * days));
      const hour = pick(hourCdf, uHour);
      const ts = r.start + day * DAY + ((hour - UTC_OFFSET_HOURS + 24) % 24) * HOUR + Math.floor(uIn * HOUR);
      c.timestamp.data[i] = ts < r.start ? r.start : ts >= r.end ? r.end - 1 : ts;
      // video session draws, in a fixed order whether or not this is one
      const uVideo = vrng.uniform();
      const eStall = vrng.normal();
      const uRatio = vrng.uniform();
      const uStalls = vrng.uniform();
      const eStart = vrng.normal();
      const eRate = vrng.normal();
      if (uVideo < VIDEO_SESSION_SHARE) {
        c.activity.data[i] = 1;
        c.videoBitrateKbps.data[i] = videoRung(dl, video.cap[k] as number) * Math.exp(VIDEO_BITRATE_SIGMA * eRate);
        const stalled = -vRho * v + vC * eStall > (video.threshold[t] as number);
        // a stalled session: exponential ratio (mean calibrated), 1 + geometric(1/2) stalls
        c.rebufferRatio.data[i] = stalled ? Math.min(1, -video.stalledRatioMean * Math.log(1 - uRatio)) : 0;
        c.stallCount.data[i] = stalled ? 1 + Math.floor(Math.log(1 - uStalls) / Math.log(0.5)) : 0;
        c.startupDelayMs.data[i] = Math.round(video.startupMedianMs * Math.exp(VIDEO_STARTUP_SIGMA * (-vRho * v + vC * eStart)));
      }
    }
  }
  return b.finish({
    operators: [],
    operatorNames: [],
    regions: [],
    cells: [],
    cellRegion: w.world.cellRegion,
    deviceStart: r.deviceStart,
    deviceCount: r.devices,
    deviceId: synthId,
    source: Object.freeze({ kind: 'synthetic' as const, seed: r.seed, deviceStart: r.deviceStart, devices: r.devices }),
    domains: w.domains,
  });
}

// ---------------------------------------------------------------------------------------------
// row form

export interface SyntheticDevice {
  readonly deviceId: string;
  readonly deviceClass: DeviceClass;
  readonly operator: string;
  /** every measurement of this device, in order */
  readonly measurements: readonly Measurement[];
}

export interface SyntheticDataset {
  readonly devices: readonly SyntheticDevice[];
  /** the same data in columnar form */
  readonly table: MeasurementTable;
  readonly world: SyntheticWorld;
}

/**
 * The synthetic population as devices and their measurements (`NetworkSample`s with their
 * contributor id and region). Built from `generateSyntheticTable`, so both forms hold the same data.
 */
export function generateSynthetic(options: SyntheticOptions): SyntheticDataset {
  const r = resolve(options);
  const w = worldFor(r);
  const table = generate(r, compile(r), w);
  const devices: SyntheticDevice[] = [];
  let i = 0;
  for (let dev = r.deviceStart; dev < r.deviceStart + r.devices; dev++) {
    const ms: Measurement[] = [];
    const first = i;
    while (i < table.length && table.columns.device[i] === dev) ms.push(measurementAt(table, i++));
    devices.push(
      Object.freeze({
        deviceId: synthId(dev),
        deviceClass: DEVICE_CLASSES[table.columns.deviceClass[first] as number] as DeviceClass,
        operator: table.domains.operator.values[table.columns.operator[first] as number] as string,
        measurements: Object.freeze(ms),
      }),
    );
  }
  return Object.freeze({ devices: Object.freeze(devices), table, world: w.world });
}
