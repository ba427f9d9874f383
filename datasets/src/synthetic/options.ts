/** The generator's options, validated and resolved against the calibrated defaults. */
import { NETWORK_TYPES, type NetworkType } from '@pinhole/core';
import { checkInteger, checkNumber, checkObject, invalid } from '@pinhole/core/validate';
import { CALIBRATION } from '../calibration-data.js';
import { defaultOperators, type OperatorSpec } from './assumptions.js';

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

export interface Resolved {
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

export const MAX_DEVICES = 50_000_000;
const TS_MIN = 946_684_800_000;
const TS_MAX = 4_102_444_800_000;
const OPERATOR = /^\d{3}-\d{2,3}$/;

export function resolve(options: unknown): Resolved {
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
      const spec: OperatorSpec =
        op.quality === undefined ? { id: op.id, name, share } : { id: op.id, name, share, quality: checkNumber(`options.operators[${i}].quality`, op.quality, { ge: -3, le: 3 }) };
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
