/**
 * The synthetic population's parameters that the real files do not give (device classes, the
 * network-type mix, home cells, poor cells, RTT, uplink, time of day), and the per-type models
 * that combine them with the calibration. CALIBRATION.md gives every parameter's source.
 */
import { type DeviceClass, type NetworkType } from '@pinhole/core';
import { KNOT_LEVELS } from '../calibrate.js';
import { CALIBRATION } from '../calibration-data.js';
import { type Knots, normalQuantile } from '../distributions.js';

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
export function defaultOperators(): OperatorSpec[] {
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
export interface TypeModel {
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

export function typeModels(): Record<NetworkType, TypeModel> {
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

/** Diurnal profile of tests per local hour (assumption: an evening peak), China Standard Time. */
export const HOUR_WEIGHTS: readonly number[] = Object.freeze([2, 1, 1, 1, 1, 1, 2, 3, 4, 5, 5, 5, 6, 5, 5, 5, 5, 6, 7, 8, 9, 9, 7, 4]);
export const UTC_OFFSET_HOURS = 8;
