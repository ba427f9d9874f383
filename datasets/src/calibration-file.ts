/**
 * The calibration figures as a file: `readCalibration` parses and validates what
 * scripts/calibrate.ts writes (the shape `measureCalibration` returns, and the ranges the generator
 * relies on). No side effects, so the script can import it when the file is missing or stale.
 */
import { readFileSync } from 'node:fs';
import { PinholeError } from '@pinhole/core';
import { checkFinite, checkInteger, checkNumber, checkObject, checkOneOf, invalid } from '@pinhole/core/validate';
import { type CalibrationFigures } from './calibrate.js';
import { type Knots } from './distributions.js';

const DOWNLINK_GROUPS = ['4g', '5g', 'wifi'] as const;

/** Refuses a field the type does not have, so a stale or hand-edited figures file is caught. */
function onlyFields(param: string, o: Record<string, unknown>, fields: readonly string[]): void {
  for (const k of Object.keys(o)) if (!fields.includes(k)) throw invalid(`${param}.${k}`, 'no such field', o[k]);
}

/** An array of finite numbers, each at least the one before. */
function nonDecreasing(param: string, value: unknown, bounds: { ge?: number; gt?: number; le?: number } = {}): number[] {
  if (!Array.isArray(value) || value.length === 0) throw invalid(param, 'a non-empty array of numbers', value);
  value.forEach((v: unknown, i) => {
    const x = checkNumber(`${param}[${i}]`, v, bounds);
    if (i > 0 && x < (value[i - 1] as number)) throw invalid(`${param}[${i}]`, 'a number at least the previous one', v);
  });
  return value as number[];
}

function checkKnots(param: string, value: unknown): Knots {
  const o = checkObject(param, value);
  onlyFields(param, o, ['scale', 'p', 'x']);
  const scale = checkOneOf(`${param}.scale`, o.scale, ['linear', 'log'] as const);
  const p = nonDecreasing(`${param}.p`, o.p, { ge: 0, le: 1 });
  if (p.length < 2 || p[0] !== 0 || p[p.length - 1] !== 1) throw invalid(`${param}.p`, 'probability levels from 0 to 1', p);
  const x = nonDecreasing(`${param}.x`, o.x, scale === 'log' ? { gt: 0 } : {});
  if (x.length !== p.length) throw invalid(`${param}.x`, `${p.length} values, one per level`, x);
  return value as Knots;
}

function checkRecord(param: string, value: unknown, check: (param: string, value: unknown) => unknown): void {
  const o = checkObject(param, value);
  for (const [k, v] of Object.entries(o)) check(`${param}.${k}`, v);
}

const count = (param: string, value: unknown): number => checkInteger(param, value, { ge: 0 });
const share = (param: string, value: unknown): number => checkNumber(param, value, { ge: 0, le: 1 });
const correlation = (param: string, value: unknown): number => checkNumber(param, value, { ge: -1, le: 1 });

function checkDownlink(param: string, value: unknown): void {
  const o = checkObject(param, value);
  const fields = [
    'rows',
    'median',
    'shareBelow1',
    'p10',
    'p90',
    'operatorMedian',
    'operatorRows',
    'knots',
    'operatorKnots',
    'operatorShareBelow1',
    'cityComponent',
    'regionComponent',
    'deviceComponent',
  ];
  onlyFields(param, o, fields);
  count(`${param}.rows`, o.rows);
  for (const f of ['median', 'p10', 'p90']) checkFinite(`${param}.${f}`, o[f]);
  share(`${param}.shareBelow1`, o.shareBelow1);
  checkRecord(`${param}.operatorMedian`, o.operatorMedian, checkFinite);
  checkRecord(`${param}.operatorRows`, o.operatorRows, count);
  checkKnots(`${param}.knots`, o.knots);
  checkRecord(`${param}.operatorKnots`, o.operatorKnots, checkKnots);
  checkRecord(`${param}.operatorShareBelow1`, o.operatorShareBelow1, share);
  // shares of the normal score's unit variance (the generator takes their square roots)
  for (const f of ['cityComponent', 'regionComponent', 'deviceComponent']) share(`${param}.${f}`, o[f]);
  if ((o.regionComponent as number) > (o.cityComponent as number)) throw invalid(`${param}.regionComponent`, `at most cityComponent (${String(o.cityComponent)})`, o.regionComponent);
}

function checkSignal(param: string, value: unknown, withRsrp: boolean): void {
  const o = checkObject(param, value);
  onlyFields(param, o, ['rows', 'median', 'knots', 'rankCorrelationWithDownlink', ...(withRsrp ? ['rankCorrelationWithRsrp'] : [])]);
  count(`${param}.rows`, o.rows);
  checkFinite(`${param}.median`, o.median);
  checkKnots(`${param}.knots`, o.knots);
  correlation(`${param}.rankCorrelationWithDownlink`, o.rankCorrelationWithDownlink);
  if (withRsrp) correlation(`${param}.rankCorrelationWithRsrp`, o.rankCorrelationWithRsrp);
}

/** Validates calibration figures and returns them deeply frozen. */
export function checkCalibration(value: unknown, param = 'calibration'): CalibrationFigures {
  const o = checkObject(param, value);
  onlyFields(param, o, ['downlink', 'rsrp4g', 'rsrq4g', 'sinr4g', 'wifiRssi', 'perDevice', 'regionRows', 'cells']);
  const downlink = checkObject(`${param}.downlink`, o.downlink);
  onlyFields(`${param}.downlink`, downlink, DOWNLINK_GROUPS);
  for (const g of DOWNLINK_GROUPS) checkDownlink(`${param}.downlink.${g}`, downlink[g]);
  checkSignal(`${param}.rsrp4g`, o.rsrp4g, false);
  checkSignal(`${param}.rsrq4g`, o.rsrq4g, true);
  checkSignal(`${param}.sinr4g`, o.sinr4g, false);
  checkSignal(`${param}.wifiRssi`, o.wifiRssi, false);
  const per = checkObject(`${param}.perDevice`, o.perDevice);
  onlyFields(`${param}.perDevice`, per, ['devices', 'mean', 'max', 'atLeast2', 'atLeast11', 'atLeast101']);
  checkInteger(`${param}.perDevice.devices`, per.devices, { ge: 1 });
  const max = checkInteger(`${param}.perDevice.max`, per.max, { ge: 1 });
  checkNumber(`${param}.perDevice.mean`, per.mean, { ge: 1, le: max });
  for (const f of ['atLeast2', 'atLeast11', 'atLeast101']) share(`${param}.perDevice.${f}`, per[f]);
  const regionRows = o.regionRows;
  if (!Array.isArray(regionRows) || regionRows.length === 0) throw invalid(`${param}.regionRows`, 'a non-empty array of row counts', regionRows);
  regionRows.forEach((v: unknown, i) => {
    checkInteger(`${param}.regionRows[${i}]`, v, { ge: 1 });
    if (i > 0 && (v as number) > (regionRows[i - 1] as number)) throw invalid(`${param}.regionRows[${i}]`, 'counts largest first', v);
  });
  checkInteger(`${param}.cells`, o.cells, { ge: 1 });
  return deepFreeze(value as CalibrationFigures);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Reads and validates a calibration file; the package cannot generate data without one. */
export function readCalibration(path: string): CalibrationFigures {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new PinholeError('invalid_state', 'calibration', `the calibration figures at ${path} could not be read (regenerate them with datasets/scripts/calibrate.ts): ${String(err)}`, { cause: err });
  }
  return checkCalibration(json);
}
