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
import {
  categoricalDomain,
  checkInteger,
  checkNumber,
  deviceClassDomain,
  networkTypeDomain,
  checkObject,
  DEVICE_CLASSES,
  type DeviceClass,
  invalid,
  NETWORK_TYPES,
  type NetworkType,
  NUMERIC_FIELDS,
} from '@pinhole/core';
import { seededRng } from '@pinhole/core/testing';
import { KNOT_LEVELS } from './calibrate.js';
import { CALIBRATION } from './calibration-data.js';
import { deviceKey, type DeviceKey, DeviceRng } from './device-rng.js';
import {
  type Knots,
  knotCdfBelow,
  knotQuantile,
  lookup,
  type Mixture,
  mixtureCdf,
  mixtureQuantile,
  normalCdf,
  normalQuantile,
  tabulate,
} from './distributions.js';
import { type MeasurementTable, type Measurement, TableBuilder, type TableDomains, measurementAt } from './table.js';
import { VIDEO_BITRATE_SIGMA, VIDEO_DOWNLINK_CORRELATION, VIDEO_SESSION_SHARE, VIDEO_STARTUP_SIGMA, videoModel, videoRung } from './video.js';

// ---------------------------------------------------------------------------------------------
// parameters

export interface OperatorSpec {
  /** MCC-MNC */
  readonly id: string;
  readonly name: string;
  /** share of devices */
  readonly share: number;
  /**
   * latent quality shift (in standard deviations of the downlink's normal score); for the
   * calibrated operators it is solved so their median downlink per network type matches the
   * real one, for others it is used as given
   */
  readonly quality?: number;
}

/** Pooled rows per operator over the real files (CALIBRATION), 3 % left for an illustrative small operator. */
function defaultOperators(): OperatorSpec[] {
  const rows: Record<string, number> = {};
  for (const g of Object.values(CALIBRATION.downlink)) for (const [op, n] of Object.entries(g.operatorRows)) rows[op] = (rows[op] ?? 0) + n;
  const total = Object.values(rows).reduce((a, b) => a + b, 0);
  const names: Record<string, string> = { '460-00': 'China Mobile', '460-01': 'China Unicom', '460-11': 'China Telecom' };
  const out: OperatorSpec[] = Object.entries(rows)
    .sort()
    .map(([id, n]) => ({ id, name: names[id] ?? id, share: (0.97 * n) / total }));
  // Not in the real data: a small operator with a weaker network, so small buckets and a clear
  // "worst operator" exist for the gate and the insights to find.
  out.push({ id: '460-15', name: 'Small operator (illustrative)', share: 0.03, quality: -0.3 });
  return out;
}

/** Assumptions (no source in the real files): device-class shares and latent quality offsets. */
export const DEVICE_CLASS_MODEL: Readonly<Record<DeviceClass, { share: number; quality: number; wifi: number; capable5g: number }>> = Object.freeze({
  'phone-low': { share: 0.3, quality: -0.2, wifi: 0.45, capable5g: 0.25 },
  'phone-mid': { share: 0.4, quality: 0, wifi: 0.45, capable5g: 0.6 },
  'phone-high': { share: 0.2, quality: 0.25, wifi: 0.45, capable5g: 0.95 },
  tablet: { share: 0.05, quality: 0, wifi: 0.85, capable5g: 0.15 },
  other: { share: 0.05, quality: -0.1, wifi: 0.5, capable5g: 0.3 },
});

/** Assumption: the cellular technology of a measurement, by whether the device can use 5G. */
export const CELLULAR_MIX: Readonly<{ capable: Readonly<Record<NetworkType, number>>; notCapable: Readonly<Record<NetworkType, number>> }> = Object.freeze({
  capable: Object.freeze({ wifi: 0, '2g': 0.01, '3g': 0.02, '4g': 0.22, '5g-nsa': 0.4, '5g-sa': 0.35 }),
  notCapable: Object.freeze({ wifi: 0, '2g': 0.03, '3g': 0.05, '4g': 0.92, '5g-nsa': 0, '5g-sa': 0 }),
});

/** Per network type: which real group calibrates it, and the assumptions for the rest. */
interface TypeModel {
  readonly downlink: Knots;
  /** variance of the cell (city) component of the downlink's normal score */
  readonly cellComponent: number;
  /** variance of the device component beyond its cells */
  readonly deviceComponent: number;
  /** operator id → knots of its real downlink */
  readonly operatorKnots: Readonly<Record<string, Knots>>;
  readonly rttMedianMs: number;
  readonly uplinkRatio: number;
  readonly lteNr: boolean;
}

/** Share of a device's measurements taken in its home cell (assumption). */
export const HOME_CELL_SHARE = 0.8;
/** Very poor cells: their share and their latent drop before standardisation (assumption). */
export const POOR_CELL_SHARE = 0.03;
export const POOR_CELL_DROP = 6;
/** Log-scale spread of RTT and of the uplink/downlink ratio (assumption). */
export const RTT_SIGMA = 0.5;
export const RTT_RANK_CORRELATION = -0.35;
export const UPLINK_SIGMA = 0.5;

function lognormalKnots(median: number, sigma: number): Knots {
  const p = KNOT_LEVELS.slice();
  const x = p.map((q) => median * Math.exp(sigma * normalQuantile(Math.min(Math.max(q, 1e-4), 1 - 1e-4))));
  return { scale: 'log', p, x };
}

function classVariance(): number {
  let m = 0;
  let m2 = 0;
  for (const c of Object.values(DEVICE_CLASS_MODEL)) {
    m += c.share * c.quality;
    m2 += c.share * c.quality * c.quality;
  }
  return m2 - m * m;
}

function typeModels(): Record<NetworkType, TypeModel> {
  const cv = classVariance();
  const real = (g: '4g' | '5g' | 'wifi') => {
    const d = CALIBRATION.downlink[g];
    // the real contributor component also holds the cells it shares and its class; remove them
    const device = Math.max(0, d.deviceComponent - HOME_CELL_SHARE * HOME_CELL_SHARE * d.cityComponent - cv);
    return { downlink: d.knots, cellComponent: d.cityComponent, deviceComponent: device, operatorKnots: d.operatorKnots };
  };
  const g4 = real('4g');
  const g5 = real('5g');
  const gw = real('wifi');
  const none = {};
  return {
    wifi: { ...gw, rttMedianMs: 25, uplinkRatio: 0.4, lteNr: false },
    '2g': { ...g4, downlink: lognormalKnots(0.15, 0.8), operatorKnots: none, rttMedianMs: 450, uplinkRatio: 0.5, lteNr: false },
    '3g': { ...g4, downlink: lognormalKnots(3, 1), operatorKnots: none, rttMedianMs: 120, uplinkRatio: 0.3, lteNr: false },
    '4g': { ...g4, rttMedianMs: 45, uplinkRatio: 0.25, lteNr: true },
    '5g-nsa': { ...g5, rttMedianMs: 32, uplinkRatio: 0.15, lteNr: true },
    '5g-sa': { ...g5, rttMedianMs: 22, uplinkRatio: 0.2, lteNr: true },
  };
}

/** Gaussian-copula correlation giving a Spearman rank correlation r: 2 sin(pi r / 6). */
export function copulaCorrelation(rank: number): number {
  return 2 * Math.sin((Math.PI * rank) / 6);
}

// ---------------------------------------------------------------------------------------------
// options

export interface SyntheticOptions {
  /** number of devices (contributors), 1 to 50 million */
  readonly devices: number;
  /** a non-empty string or a safe integer */
  readonly seed: string | number;
  /** index of the first device (for chunks); device i's data depend only on the seed and i */
  readonly deviceStart?: number;
  /** measurements per device: a truncated discrete Pareto with this mean and max (default: the real 1.875 and 590) */
  readonly measurementsPerDevice?: { readonly mean: number; readonly max: number };
  /** number of regions, 1 to 1000 (default 34, as many as the real provinces) */
  readonly regions?: number;
  /** number of cells, at least `regions`, at most 1,000,000 (default 342, as many as the real cities) */
  readonly cells?: number;
  /** operators and device shares (default: the three real ones in their real shares, plus a small one) */
  readonly operators?: readonly OperatorSpec[];
  /** a fixed network-type mix for every device instead of the class model (weights, normalised) */
  readonly networkMix?: Readonly<Partial<Record<NetworkType, number>>>;
  /** timestamps fall in [start, end) ms (default 2021-08-01 to 2021-12-01 UTC, the real collection window) */
  readonly timeWindow?: { readonly start: number; readonly end: number };
}

interface Resolved {
  seed: string;
  devices: number;
  deviceStart: number;
  countMean: number;
  countMax: number;
  regions: number;
  cells: number;
  operators: OperatorSpec[];
  networkMix: Record<NetworkType, number> | null;
  start: number;
  end: number;
}

const MAX_DEVICES = 50_000_000;
const TS_MIN = 946_684_800_000;
const TS_MAX = 4_102_444_800_000;
const OPERATOR = /^\d{3}-\d{2,3}$/;

function resolve(options: unknown): Resolved {
  const o = checkObject('options', options);
  const known = new Set(['devices', 'seed', 'deviceStart', 'measurementsPerDevice', 'regions', 'cells', 'operators', 'networkMix', 'timeWindow']);
  for (const k of Object.keys(o)) if (!known.has(k)) throw invalid(`options.${k}`, 'no such option', o[k]);
  const devices = checkInteger('options.devices', o.devices, { ge: 1, le: MAX_DEVICES });
  const seed = o.seed;
  if (!((typeof seed === 'string' && seed.length > 0) || (typeof seed === 'number' && Number.isSafeInteger(seed) && !Object.is(seed, -0)))) {
    throw invalid('options.seed', 'a non-empty string or a safe integer', seed);
  }
  const deviceStart = o.deviceStart === undefined ? 0 : checkInteger('options.deviceStart', o.deviceStart, { ge: 0, le: 2 ** 32 - 1 - devices });
  let countMean = CALIBRATION.perDevice.mean;
  let countMax = CALIBRATION.perDevice.max;
  if (o.measurementsPerDevice !== undefined) {
    const m = checkObject('options.measurementsPerDevice', o.measurementsPerDevice);
    countMax = checkInteger('options.measurementsPerDevice.max', m.max, { ge: 1, le: 100_000 });
    countMean = checkNumber('options.measurementsPerDevice.mean', m.mean, { ge: 1, le: countMax });
  }
  const regions = o.regions === undefined ? CALIBRATION.regionRows.length : checkInteger('options.regions', o.regions, { ge: 1, le: 1000 });
  const cells = o.cells === undefined ? Math.max(regions, CALIBRATION.cells) : checkInteger('options.cells', o.cells, { ge: regions, le: 1_000_000 });
  let operators = defaultOperators();
  if (o.operators !== undefined) {
    if (!Array.isArray(o.operators) || o.operators.length < 1 || o.operators.length > 1000) throw invalid('options.operators', 'an array of 1 to 1000 operators', o.operators);
    const seen = new Set<string>();
    let total = 0;
    operators = o.operators.map((v: unknown, i: number) => {
      const op = checkObject(`options.operators[${i}]`, v);
      if (typeof op.id !== 'string' || !OPERATOR.test(op.id) || seen.has(op.id)) throw invalid(`options.operators[${i}].id`, 'a distinct MCC-MNC string like "460-01"', op.id);
      seen.add(op.id);
      const name = op.name === undefined ? op.id : op.name;
      if (typeof name !== 'string') throw invalid(`options.operators[${i}].name`, 'a string', op.name);
      const share = checkNumber(`options.operators[${i}].share`, op.share, { gt: 0, le: 1 });
      total += share;
      const spec: OperatorSpec = op.quality === undefined ? { id: op.id, name, share } : { id: op.id, name, share, quality: checkNumber(`options.operators[${i}].quality`, op.quality, { ge: -3, le: 3 }) };
      return spec;
    });
    if (Math.abs(total - 1) > 1e-9) throw invalid('options.operators', 'shares summing to 1', total);
  }
  let networkMix: Record<NetworkType, number> | null = null;
  if (o.networkMix !== undefined) {
    const m = checkObject('options.networkMix', o.networkMix);
    let total = 0;
    const mix = {} as Record<NetworkType, number>;
    for (const k of Object.keys(m)) if (!(NETWORK_TYPES as readonly string[]).includes(k)) throw invalid(`options.networkMix.${k}`, `a network type (${NETWORK_TYPES.join(', ')})`, k);
    for (const t of NETWORK_TYPES) {
      const w = m[t] === undefined ? 0 : checkNumber(`options.networkMix.${t}`, m[t], { ge: 0 });
      mix[t] = w;
      total += w;
    }
    if (!(total > 0)) throw invalid('options.networkMix', 'at least one weight > 0', total);
    for (const t of NETWORK_TYPES) mix[t] /= total;
    networkMix = mix;
  }
  let start = Date.UTC(2021, 7, 1);
  let end = Date.UTC(2021, 11, 1);
  if (o.timeWindow !== undefined) {
    const w = checkObject('options.timeWindow', o.timeWindow);
    start = checkInteger('options.timeWindow.start', w.start, { ge: TS_MIN, lt: TS_MAX });
    end = checkInteger('options.timeWindow.end', w.end, { gt: start, le: TS_MAX });
  }
  return { seed: String(seed), devices, deviceStart, countMean, countMax, regions, cells, operators, networkMix, start, end };
}

// ---------------------------------------------------------------------------------------------
// the world: regions and cells (depends on the seed and the world options only)

export interface SyntheticWorld {
  readonly regions: readonly string[];
  readonly regionWeights: Float64Array;
  readonly cells: readonly string[];
  readonly cellRegion: Uint32Array;
  /** share of all measurements expected in each cell (sums to 1) */
  readonly cellWeights: Float64Array;
  /** standardised cell quality (mean 0, variance 1 over cells in expectation) */
  readonly cellQuality: Float64Array;
  readonly poorCells: Uint8Array;
}

/** Region weights: the real provinces' row counts, largest first; extra regions take the smallest. */
function regionWeights(n: number): Float64Array {
  const real = CALIBRATION.regionRows;
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = real[Math.min(r, real.length - 1)] as number;
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/** Share of the cell-quality variance between regions: real province / city components, averaged. */
export const REGION_SHARE_OF_CELL_VARIANCE = ((): number => {
  const g = Object.values(CALIBRATION.downlink);
  return g.reduce((a, d) => a + d.regionComponent / d.cityComponent, 0) / g.length;
})();

/** Standardisation of cell quality with poor cells: q = (g - drop·poor + share·drop) / s. */
const POOR_S = Math.sqrt(1 + POOR_CELL_SHARE * (1 - POOR_CELL_SHARE) * POOR_CELL_DROP * POOR_CELL_DROP);
const POOR_MEAN = (-POOR_CELL_DROP + POOR_CELL_SHARE * POOR_CELL_DROP) / POOR_S;
const GOOD_MEAN = (POOR_CELL_SHARE * POOR_CELL_DROP) / POOR_S;

export function syntheticWorld(options: Pick<SyntheticOptions, 'seed' | 'regions' | 'cells'>): SyntheticWorld {
  const o = checkObject('options', options);
  const r = resolve({ devices: 1, seed: o.seed, ...(o.regions === undefined ? {} : { regions: o.regions }), ...(o.cells === undefined ? {} : { cells: o.cells }) });
  return buildWorld(r);
}

function buildWorld(r: Resolved): SyntheticWorld {
  const world = seededRng(r.seed).stream('world');
  const rq = world.stream('region-quality');
  const cq = world.stream('cell-quality');
  const cp = world.stream('cell-popularity');
  const rw = regionWeights(r.regions);
  const width = String(r.regions).length;
  const regions = Array.from({ length: r.regions }, (_, i) => `region-${String(i + 1).padStart(Math.max(2, width), '0')}`);
  // cells per region: one each, the rest by largest remainder in proportion to sqrt(weight)
  const counts = new Array<number>(r.regions).fill(1);
  const extra = r.cells - r.regions;
  const sq = Array.from(rw, (w) => Math.sqrt(w));
  const sqTotal = sq.reduce((a, b) => a + b, 0);
  const ideal = sq.map((s) => (extra * s) / sqTotal);
  let given = 0;
  ideal.forEach((x, i) => {
    counts[i] = (counts[i] as number) + Math.floor(x);
    given += Math.floor(x);
  });
  const order = ideal.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < extra - given; k++) {
    const reg = (order[k] as readonly [number, number])[1];
    counts[reg] = (counts[reg] as number) + 1;
  }

  const gauss = (s: { float64(): number }) => {
    for (;;) {
      const u = s.float64();
      if (u > 0) return normalQuantile(u);
    }
  };
  const regionQ = Array.from({ length: r.regions }, () => gauss(rq));
  const w = REGION_SHARE_OF_CELL_VARIANCE;
  const cells: string[] = [];
  const cellRegion = new Uint32Array(r.cells);
  const cellWeights = new Float64Array(r.cells);
  const cellQuality = new Float64Array(r.cells);
  const poorCells = new Uint8Array(r.cells);
  let c = 0;
  for (let reg = 0; reg < r.regions; reg++) {
    const n = counts[reg] as number;
    const cw = Math.max(3, String(n).length);
    const pop = Array.from({ length: n }, () => Math.exp(gauss(cp))); // lognormal(0, 1) popularity
    const popTotal = pop.reduce((a, b) => a + b, 0);
    for (let j = 0; j < n; j++, c++) {
      cells.push(`${regions[reg]}.c${String(j + 1).padStart(cw, '0')}`);
      cellRegion[c] = reg;
      cellWeights[c] = ((rw[reg] as number) * (pop[j] as number)) / popTotal;
      const poor = cq.float64() < POOR_CELL_SHARE;
      const g = Math.sqrt(w) * (regionQ[reg] as number) + Math.sqrt(1 - w) * gauss(cq) - (poor ? POOR_CELL_DROP : 0);
      poorCells[c] = poor ? 1 : 0;
      cellQuality[c] = (g + POOR_CELL_SHARE * POOR_CELL_DROP) / POOR_S;
    }
  }
  return Object.freeze({ regions: Object.freeze(regions), regionWeights: rw, cells: Object.freeze(cells), cellRegion, cellWeights, cellQuality, poorCells });
}

// ---------------------------------------------------------------------------------------------
// the compiled model: lookup tables per network type

export interface SyntheticModel {
  /** expected share of measurements per network type */
  readonly networkMix: Readonly<Record<NetworkType, number>>;
  /** expected share of measurements per device class */
  readonly deviceClassMix: Readonly<Record<DeviceClass, number>>;
  /**
   * downlink per network type: the model's expected median and share below 1 Mbit/s over all
   * operators, and `reference`, the same figures of the real (or assumed) distribution `knots`
   * that the reference operators reproduce
   */
  readonly downlink: Readonly<
    Record<NetworkType, { readonly median: number; readonly shareBelow1: number; readonly reference: { readonly median: number; readonly shareBelow1: number }; readonly knots: Knots }>
  >;
  /**
   * per network type and operator: its latent quality shift, whether it maps through its own real
   * quantile function or the pooled one of the type, and its expected median and share below 1 Mbit/s
   */
  readonly operators: Readonly<
    Record<NetworkType, Readonly<Record<string, { readonly quality: number; readonly knots: 'real' | 'pooled'; readonly median: number; readonly shareBelow1: number }>>>
  >;
  /** P(RSRP < -110 dBm) of the model's RSRP distribution (4G/5G measurements; whole dBm, so P(RSRP <= -111)) */
  readonly rsrpBelowMinus110: number;
  /** the exponent of P(N >= n) = n^-alpha of measurements per device, and the mean and max it gives */
  readonly measurementsPerDevice: { readonly alpha: number; readonly mean: number; readonly max: number };
  readonly operatorSpecs: readonly OperatorSpec[];
}

interface Compiled {
  model: SyntheticModel;
  /** latent quality shift per operator */
  quality: Float64Array;
  /** per type: the mixture CDF F_t of the latent z, P(class | type), and each operator's knots */
  mixtures: Mixture[];
  classGivenType: Float64Array[];
  operatorKnots: Knots[][];
  classShift: Float64Array;
  cellLoad: Float64Array;
  deviceLoad: Float64Array;
  noiseLoad: Float64Array;
  logx: Float64Array[];
  score: Float64Array[];
  rsrp: Float64Array;
  rsrq: Float64Array;
  sinr: Float64Array;
  rssi: Float64Array;
  rsrpRho: number;
  rsrqA: number;
  rsrqB: number;
  rsrqC: number;
  sinrRho: number;
  rssiRho: number;
  rttRho: number;
  rttMedian: Float64Array;
  uplinkRatio: Float64Array;
  lteNr: Uint8Array;
  /** cumulative P(type | class, capable) as [class][capable][type] */
  typeCdf: Float64Array;
  classCdf: Float64Array;
  operatorCdf: Float64Array;
  capable: Float64Array;
  alpha: number;
  countMax: number;
}

/** P(N >= n) = n^-alpha truncated at max: the alpha giving the mean (bisection; mean is decreasing in alpha). */
export function countExponent(mean: number, max: number): number {
  if (mean >= max) return 0;
  if (mean <= 1) return Infinity;
  const meanOf = (a: number) => {
    let s = 0;
    for (let n = 1; n <= max; n++) s += n ** -a;
    return s;
  };
  let lo = 0;
  let hi = 64;
  for (let it = 0; it < 80; it++) {
    const mid = (lo + hi) / 2;
    if (meanOf(mid) > mean) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const cache = new Map<string, Compiled>();

function compile(r: Resolved): Compiled {
  const key = JSON.stringify([r.operators, r.networkMix, r.countMean, r.countMax]);
  const hit = cache.get(key);
  if (hit) return hit;
  const types = typeModels();
  const T = NETWORK_TYPES.length;
  const K = DEVICE_CLASSES.length;
  const classShare = DEVICE_CLASSES.map((k) => DEVICE_CLASS_MODEL[k].share);
  // P(type | class, capable)
  const pType = (k: number, capable: boolean, t: NetworkType): number => {
    if (r.networkMix) return r.networkMix[t];
    const c = DEVICE_CLASS_MODEL[DEVICE_CLASSES[k] as DeviceClass];
    if (t === 'wifi') return c.wifi;
    return (1 - c.wifi) * (capable ? CELLULAR_MIX.capable[t] : CELLULAR_MIX.notCapable[t]);
  };
  const capableP = DEVICE_CLASSES.map((k) => DEVICE_CLASS_MODEL[k].capable5g);
  const pTypeGivenClass = (k: number, t: NetworkType) => (capableP[k] as number) * pType(k, true, t) + (1 - (capableP[k] as number)) * pType(k, false, t);
  const networkMix = {} as Record<NetworkType, number>;
  for (const t of NETWORK_TYPES) networkMix[t] = classShare.reduce((a, s, k) => a + s * pTypeGivenClass(k, t), 0);
  const deviceClassMix = Object.fromEntries(DEVICE_CLASSES.map((k, i) => [k, classShare[i] as number])) as Record<DeviceClass, number>;

  const quality = Float64Array.from(r.operators, (op) => op.quality ?? 0);
  const cellLoad = new Float64Array(T);
  const deviceLoad = new Float64Array(T);
  const noiseLoad = new Float64Array(T);
  const logx: Float64Array[] = [];
  const score: Float64Array[] = [];
  const operatorModel = {} as Record<NetworkType, Record<string, { quality: number; knots: 'real' | 'pooled'; median: number; shareBelow1: number }>>;
  const downlink = {} as Record<NetworkType, { median: number; shareBelow1: number; reference: { median: number; shareBelow1: number }; knots: Knots }>;
  const classShift = Float64Array.from(DEVICE_CLASSES, (k) => DEVICE_CLASS_MODEL[k].quality);
  const mixtures: Mixture[] = [];
  const classGivenType: Float64Array[] = [];
  const operatorKnots: Knots[][] = [];

  NETWORK_TYPES.forEach((t, ti) => {
    const m = types[t];
    const rc = Math.sqrt(m.cellComponent);
    cellLoad[ti] = rc;
    deviceLoad[ti] = Math.sqrt(m.deviceComponent);
    noiseLoad[ti] = Math.sqrt(Math.max(0, 1 - m.cellComponent - m.deviceComponent));
    // z given (class, poor cell) is normal: the mixture over both is its CDF F_t
    const sd = Math.sqrt(1 - m.cellComponent * (1 - 1 / (POOR_S * POOR_S)));
    const pk = classShare.map((sh, k) => sh * pTypeGivenClass(k, t));
    const pkTotal = pk.reduce((acc, x) => acc + x, 0) || 1;
    const w: number[] = [];
    const mu: number[] = [];
    for (let k = 0; k < K; k++) {
      for (const poor of [0, 1]) {
        const weight = ((pk[k] as number) / pkTotal) * (poor ? POOR_CELL_SHARE : 1 - POOR_CELL_SHARE);
        if (weight === 0) continue;
        w.push(weight);
        mu.push((classShift[k] as number) + rc * (poor ? POOR_MEAN : GOOD_MEAN));
      }
    }
    const mix: Mixture = { w: Float64Array.from(w), m: Float64Array.from(mu), s: new Float64Array(w.length).fill(sd) };
    mixtures.push(mix);
    classGivenType.push(Float64Array.from(pk, (x) => x / pkTotal));
    const cdf = tabulate((z) => clampP(mixtureCdf(mix, z)));
    score.push(cdf.map((p) => normalQuantile(p)));
    // Each operator with real data maps through its own real quantile function, so its downlink
    // distribution (median, share below 1 Mbit/s, tails) is the real one; other operators map
    // through the pooled one of the type, shifted by their quality.
    const knotsOf = r.operators.map((op) => (op.quality === undefined ? m.operatorKnots[op.id] : undefined) ?? m.downlink);
    operatorKnots.push(knotsOf as Knots[]);
    r.operators.forEach((_, o) => logx.push(cdf.map((p) => Math.log(knotQuantile(knotsOf[o] as Knots, p)))));
    // P(x < X | operator o) = F_t(F_t^-1(P_ref(x < X)) - quality_o)
    const below = (o: number, X: number) => {
      const p = knotCdfBelow(knotsOf[o] as Knots, X);
      if (p <= 0 || p >= 1) return p;
      return mixtureCdf(mix, mixtureQuantile(mix, p) - (quality[o] as number));
    };
    const belowAll = (X: number) => r.operators.reduce((acc, op, o) => acc + op.share * below(o, X), 0);
    const median = (f: (X: number) => number) => {
      let lo = Math.log(1e-4);
      let hi = Math.log(NUMERIC_FIELDS.downlinkMbps.max);
      for (let it = 0; it < 60; it++) {
        const mid = (lo + hi) / 2;
        if (f(Math.exp(mid)) < 0.5) lo = mid;
        else hi = mid;
      }
      return Math.exp((lo + hi) / 2);
    };
    operatorModel[t] = {};
    r.operators.forEach((op, o) => {
      operatorModel[t][op.id] = {
        quality: quality[o] as number,
        knots: knotsOf[o] === m.downlink ? 'pooled' : 'real',
        median: median((X) => below(o, X)),
        shareBelow1: below(o, 1),
      };
    });
    downlink[t] = {
      median: median(belowAll),
      shareBelow1: belowAll(1),
      reference: { median: knotQuantile(m.downlink, 0.5), shareBelow1: knotCdfBelow(m.downlink, 1) },
      knots: m.downlink,
    };
  });

  // signals: value = Q(Phi(score))
  const signalTable = (k: Knots, lo: number, hi: number) => tabulate((s) => Math.min(hi, Math.max(lo, knotQuantile(k, normalCdf(s)))));
  const F = NUMERIC_FIELDS;
  const rsrpRho = copulaCorrelation(CALIBRATION.rsrp4g.rankCorrelationWithDownlink);
  const qv = copulaCorrelation(CALIBRATION.rsrq4g.rankCorrelationWithDownlink);
  const qp = copulaCorrelation(CALIBRATION.rsrq4g.rankCorrelationWithRsrp);
  // rsrq score = A·rsrpScore + B·v + C·e with corr(rsrq, rsrp) = qp and corr(rsrq, v) = qv
  const rsrqA = (qp - qv * rsrpRho) / (1 - rsrpRho * rsrpRho);
  const rsrqB = qv - rsrqA * rsrpRho;
  const rsrqC = Math.sqrt(Math.max(0, 1 - rsrqA * rsrqA - rsrqB * rsrqB - 2 * rsrqA * rsrqB * rsrpRho));

  const typeCdf = new Float64Array(K * 2 * T);
  for (let k = 0; k < K; k++) {
    for (const cap of [0, 1]) {
      let acc = 0;
      NETWORK_TYPES.forEach((t, ti) => {
        acc += pType(k, cap === 1, t);
        typeCdf[(k * 2 + cap) * T + ti] = acc;
      });
      for (let ti = 0; ti < T; ti++) typeCdf[(k * 2 + cap) * T + ti] = (typeCdf[(k * 2 + cap) * T + ti] as number) / acc;
    }
  }
  const cumulative = (w: number[]) => {
    const out = new Float64Array(w.length);
    let acc = 0;
    const total = w.reduce((a, b) => a + b, 0);
    w.forEach((x, i) => {
      acc += x;
      out[i] = acc / total;
    });
    out[w.length - 1] = 1;
    return out;
  };
  const alpha = countExponent(r.countMean, r.countMax);
  const compiled: Compiled = {
    model: Object.freeze({
      networkMix: Object.freeze(networkMix),
      deviceClassMix: Object.freeze(deviceClassMix),
      downlink: Object.freeze(downlink),
      operators: Object.freeze(operatorModel),
      rsrpBelowMinus110: knotCdfBelow(CALIBRATION.rsrp4g.knots, -110.5),
      measurementsPerDevice: Object.freeze({ alpha, mean: r.countMean, max: r.countMax }),
      operatorSpecs: Object.freeze(r.operators.slice()),
    }),
    quality,
    mixtures,
    classGivenType,
    operatorKnots,
    classShift,
    cellLoad,
    deviceLoad,
    noiseLoad,
    logx,
    score,
    rsrp: signalTable(CALIBRATION.rsrp4g.knots, F.rsrpDbm.min, F.rsrpDbm.max),
    rsrq: signalTable(CALIBRATION.rsrq4g.knots, F.rsrqDb.min, F.rsrqDb.max),
    sinr: signalTable(CALIBRATION.sinr4g.knots, F.sinrDb.min, F.sinrDb.max),
    rssi: signalTable(CALIBRATION.wifiRssi.knots, F.wifiRssiDbm.min, F.wifiRssiDbm.max),
    rsrpRho,
    rsrqA,
    rsrqB,
    rsrqC,
    sinrRho: copulaCorrelation(CALIBRATION.sinr4g.rankCorrelationWithDownlink),
    rssiRho: copulaCorrelation(CALIBRATION.wifiRssi.rankCorrelationWithDownlink),
    rttRho: copulaCorrelation(RTT_RANK_CORRELATION),
    rttMedian: Float64Array.from(NETWORK_TYPES, (t) => types[t].rttMedianMs),
    uplinkRatio: Float64Array.from(NETWORK_TYPES, (t) => types[t].uplinkRatio),
    lteNr: Uint8Array.from(NETWORK_TYPES, (t) => (types[t].lteNr ? 1 : 0)),
    typeCdf,
    classCdf: cumulative(classShare),
    operatorCdf: cumulative(r.operators.map((op) => op.share)),
    capable: Float64Array.from(capableP),
    alpha,
    countMax: r.countMax,
  };
  if (cache.size > 16) cache.clear();
  cache.set(key, compiled);
  return compiled;
}

function clampP(p: number): number {
  return Math.min(1 - 1e-12, Math.max(1e-12, p));
}

/** The compiled model's expected figures (mixes, medians, targets) for these options. */
export function syntheticModel(options: Omit<SyntheticOptions, 'devices'> & { readonly devices?: number }): SyntheticModel {
  const o = checkObject('options', options);
  return compile(resolve({ devices: 1, ...o })).model;
}

// ---------------------------------------------------------------------------------------------
// generation

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

/** Diurnal profile of tests per local hour (assumption: an evening peak), China Standard Time. */
export const HOUR_WEIGHTS: readonly number[] = Object.freeze([2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 5, 5, 5, 5, 6, 7, 8, 9, 9, 7, 4]);
const UTC_OFFSET_HOURS = 8;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface WorldIndex {
  world: SyntheticWorld;
  domains: TableDomains;
  globalCdf: Float64Array;
  regionCdf: Float64Array;
  /** per region: first cell index and cumulative within-region weights */
  regionCells: { first: number; cdf: Float64Array }[];
}

function indexWorld(world: SyntheticWorld, operators: readonly OperatorSpec[]): WorldIndex {
  const cum = (w: ArrayLike<number>) => {
    const out = new Float64Array(w.length);
    let acc = 0;
    let total = 0;
    for (let i = 0; i < w.length; i++) total += w[i] as number;
    for (let i = 0; i < w.length; i++) {
      acc += w[i] as number;
      out[i] = acc / total;
    }
    out[w.length - 1] = 1;
    return out;
  };
  const regionCells: { first: number; cdf: Float64Array }[] = [];
  let c = 0;
  for (let r = 0; r < world.regions.length; r++) {
    const first = c;
    while (c < world.cells.length && world.cellRegion[c] === r) c++;
    regionCells.push({ first, cdf: cum(world.cellWeights.subarray(first, c)) });
  }
  const domains: TableDomains = Object.freeze({
    networkType: networkTypeDomain,
    deviceClass: deviceClassDomain,
    operator: categoricalDomain('operator', operators.map((o) => o.id)),
    operatorName: Object.freeze(operators.map((o) => o.name)),
    region: categoricalDomain('region', world.regions),
    cell: categoricalDomain('cell', world.cells),
    cellRegion: world.cellRegion,
  });
  return { world, domains, globalCdf: cum(world.cellWeights), regionCdf: cum(world.regionWeights), regionCells };
}

const worldCache = new Map<string, WorldIndex>();

function worldFor(r: Resolved): WorldIndex {
  const key = JSON.stringify([r.seed, r.regions, r.cells, r.operators.map((o) => [o.id, o.name])]);
  let w = worldCache.get(key);
  if (!w) {
    w = indexWorld(buildWorld(r), r.operators);
    if (worldCache.size > 8) worldCache.clear();
    worldCache.set(key, w);
  }
  return w;
}

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

// ---------------------------------------------------------------------------------------------
// expectations given the world

export interface ExpectationQuery {
  readonly networkType: NetworkType;
  /** `downlinkMbps` (share below `below` Mbit/s) or `rsrpDbm` (share below `below` dBm, whole dBm) */
  readonly field: 'downlinkMbps' | 'rsrpDbm';
  readonly below: number;
  /** restrict to one operator (MCC-MNC), one region or one cell (names as in the table's domains) */
  readonly operator?: string;
  readonly region?: string;
  readonly cell?: string;
}

/**
 * The expected share of measurements of a network type with `field < below`, given the world the
 * seed builds (its cells' qualities), for any number of devices: the "truth" that a generated
 * table estimates. Exact up to the lookup tables' interpolation (downlink: closed form; RSRP: a
 * 321-point trapezoid over the latent z, whose integrand is smooth).
 */
export function expectedShare(options: Omit<SyntheticOptions, 'devices'> & { readonly devices?: number }, query: ExpectationQuery): number {
  const r = resolve({ devices: 1, ...checkObject('options', options) });
  const qy = checkObject('query', query);
  const ti = NETWORK_TYPES.indexOf(qy.networkType as NetworkType);
  if (ti < 0) throw invalid('query.networkType', `one of ${NETWORK_TYPES.join(', ')}`, qy.networkType);
  const field = qy.field;
  if (field !== 'downlinkMbps' && field !== 'rsrpDbm') throw invalid('query.field', '"downlinkMbps" or "rsrpDbm"', field);
  if (field === 'rsrpDbm' && !(qy.networkType === '4g' || qy.networkType === '5g-nsa' || qy.networkType === '5g-sa')) {
    throw invalid('query.networkType', 'a network type with RSRP (4g, 5g-nsa, 5g-sa)', qy.networkType);
  }
  const below = checkNumber('query.below', qy.below);
  const m = compile(r);
  const w = worldFor(r);
  const world = w.world;
  let ops = r.operators.map((_, o) => o);
  if (qy.operator !== undefined) {
    const o = r.operators.findIndex((op) => op.id === qy.operator);
    if (o < 0) throw invalid('query.operator', 'an operator of the population', qy.operator);
    ops = [o];
  }
  let cellFilter: (c: number) => boolean = () => true;
  if (qy.region !== undefined) {
    const reg = world.regions.indexOf(qy.region as string);
    if (reg < 0) throw invalid('query.region', 'a region of the world', qy.region);
    cellFilter = (c) => world.cellRegion[c] === reg;
  }
  if (qy.cell !== undefined) {
    const cell = world.cells.indexOf(qy.cell as string);
    if (cell < 0) throw invalid('query.cell', 'a cell of the world', qy.cell);
    const prev = cellFilter;
    cellFilter = (c) => c === cell && prev(c);
  }
  const opShare = ops.reduce((a, o) => a + (r.operators[o] as OperatorSpec).share, 0);
  const mix = m.mixtures[ti] as Mixture;
  const pk = m.classGivenType[ti] as Float64Array;
  const sdIn = Math.sqrt((m.deviceLoad[ti] as number) ** 2 + (m.noiseLoad[ti] as number) ** 2);
  const rc = m.cellLoad[ti] as number;
  // threshold on z per operator (downlink), or on the RSRP score
  const zX = ops.map((o) => {
    const p = knotCdfBelow((m.operatorKnots[ti] as Knots[])[o] as Knots, below);
    return p <= 0 ? -Infinity : p >= 1 ? Infinity : mixtureQuantile(mix, p);
  });
  const pRsrp = knotCdfBelow(CALIBRATION.rsrp4g.knots, Math.ceil(below) - 0.5);
  const s0 = pRsrp <= 0 ? -Infinity : pRsrp >= 1 ? Infinity : normalQuantile(pRsrp);
  const rsrpC = Math.sqrt(1 - m.rsrpRho * m.rsrpRho);
  const score = m.score[ti] as Float64Array;
  const NODES = 321;
  let acc = 0;
  let weight = 0;
  for (let c = 0; c < world.cells.length; c++) {
    if (!cellFilter(c)) continue;
    const wc = world.cellWeights[c] as number;
    weight += wc;
    let pc = 0;
    ops.forEach((o, oi) => {
      const so = (r.operators[o] as OperatorSpec).share / opShare;
      for (let k = 0; k < pk.length; k++) {
        const wk = pk[k] as number;
        if (wk === 0) continue;
        const mu = (m.quality[o] as number) + (m.classShift[k] as number) + rc * (world.cellQuality[c] as number);
        let p: number;
        if (field === 'downlinkMbps') p = normalCdf(((zX[oi] as number) - mu) / sdIn);
        else {
          // E_z[ Phi((s0 - rho v(z)) / sqrt(1 - rho^2)) ], z ~ N(mu, sdIn^2), trapezoid over +-8 sd
          let sum = 0;
          let norm = 0;
          for (let j = 0; j < NODES; j++) {
            const x = -8 + (16 * j) / (NODES - 1);
            const dens = Math.exp(-0.5 * x * x) * (j === 0 || j === NODES - 1 ? 0.5 : 1);
            sum += dens * normalCdf((s0 - m.rsrpRho * lookup(score, mu + sdIn * x)) / rsrpC);
            norm += dens;
          }
          p = sum / norm;
        }
        pc += so * wk * p;
      }
    });
    acc += wc * pc;
  }
  if (!(weight > 0)) throw invalid('query', 'a filter matching at least one cell', qy);
  return acc / weight;
}
