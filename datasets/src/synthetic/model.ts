/** The compiled model: per network type, the copula's lookup tables and the expected figures. */
import { DEVICE_CLASSES, type DeviceClass, NETWORK_TYPES, type NetworkType } from '@pinhole/core';
import { checkObject } from '@pinhole/core/validate';
import { NUMERIC_FIELDS } from '@pinhole/core/schema';
import { CALIBRATION } from '../calibration-data.js';
import { type Knots, knotCdfBelow, knotQuantile, type Mixture, mixtureCdf, mixtureQuantile, normalCdf, normalQuantile, tabulate } from '../distributions.js';
import { CELLULAR_MIX, DEVICE_CLASS_MODEL, type OperatorSpec, POOR_CELL_SHARE, RTT_RANK_CORRELATION, typeModels } from './assumptions.js';
import { resolve, type Resolved, type SyntheticOptions } from './options.js';
import { GOOD_MEAN, POOR_MEAN, POOR_S } from './world.js';

/** Gaussian-copula correlation giving a Spearman rank correlation r: 2 sin(pi r / 6). */
export function copulaCorrelation(rank: number): number {
  return 2 * Math.sin((Math.PI * rank) / 6);
}

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
  readonly operators: Readonly<Record<NetworkType, Readonly<Record<string, { readonly quality: number; readonly knots: 'real' | 'pooled'; readonly median: number; readonly shareBelow1: number }>>>>;
  /** P(RSRP < -110 dBm) of the model's RSRP distribution (4G/5G measurements; whole dBm, so P(RSRP <= -111)) */
  readonly rsrpBelowMinus110: number;
  /** the exponent of P(N >= n) = n^-alpha of measurements per device, and the mean and max it gives */
  readonly measurementsPerDevice: { readonly alpha: number; readonly mean: number; readonly max: number };
  readonly operatorSpecs: readonly OperatorSpec[];
}

export interface Compiled {
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

export function compile(r: Resolved): Compiled {
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
    operatorKnots.push(knotsOf);
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
