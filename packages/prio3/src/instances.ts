/**
 * The four Prio3 instantiations of draft-irtf-cfrg-vdaf-20 §7.4 with their codepoints and
 * parameter checks: Prio3Count and Prio3Sum over Field64, Prio3SumVec and Prio3Histogram over
 * Field128, all with XofTurboShake128 and one proof.
 */
import { checkObject, invalid } from '@pinhole/core/validate';
import { CountCircuit, HistogramCircuit, SumCircuit, SumVecCircuit } from './circuits.js';
import { Field128, Field64 } from './field.js';
import { Prio3 } from './prio3.js';

export const PRIO3_COUNT_ID = 0x00000001;
export const PRIO3_SUM_ID = 0x00000002;
export const PRIO3_SUMVEC_ID = 0x00000003;
export const PRIO3_HISTOGRAM_ID = 0x00000004;

/** Largest vector length accepted: beyond it one report's proof no longer fits a phone's budget. */
export const MAX_LENGTH = 1 << 20;

function int(param: string, value: unknown, lo: number, hi: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < lo || value > hi || Object.is(value, -0)) {
    throw invalid(param, `an integer >= ${lo} and <= ${hi}`, value);
  }
  return value;
}

function shares(value: unknown): number {
  return value === undefined ? 2 : int('shares', value, 2, 255);
}

/** The chunk length the draft suggests: about the square root of the encoded length (§7.4.4). */
export function defaultChunkLength(measLen: number): number {
  return Math.max(1, Math.round(Math.sqrt(measLen)));
}

export type Prio3Count = Prio3<number | boolean, number>;
export type Prio3Sum = Prio3<number, bigint>;
export type Prio3SumVec = Prio3<readonly number[], bigint[]>;
export type Prio3Histogram = Prio3<number, number[]>;

/** Counts reports whose measurement is 1 (or true). */
export function makePrio3Count(params: { shares?: number } = {}): Prio3Count {
  const p = checkObject('params', params);
  return new Prio3(PRIO3_COUNT_ID, 'Prio3Count', shares(p.shares), new CountCircuit(Field64));
}

/** Sums integers in [0, maxMeasurement]. */
export function makePrio3Sum(params: { maxMeasurement: number; shares?: number }): Prio3Sum {
  const p = checkObject('params', params);
  const max = int('maxMeasurement', p.maxMeasurement, 1, Number.MAX_SAFE_INTEGER);
  return new Prio3(PRIO3_SUM_ID, 'Prio3Sum', shares(p.shares), new SumCircuit(Field64, max));
}

/** Sums vectors of `length` integers, each in [0, maxMeasurement]. */
export function makePrio3SumVec(params: { length: number; maxMeasurement: number; chunkLength?: number; shares?: number }): Prio3SumVec {
  const p = checkObject('params', params);
  const length = int('length', p.length, 1, MAX_LENGTH);
  const max = int('maxMeasurement', p.maxMeasurement, 1, Number.MAX_SAFE_INTEGER);
  const measLen = length * Math.ceil(Math.log2(max + 1));
  if (measLen > MAX_LENGTH) throw invalid('length', `length × bits of maxMeasurement <= ${MAX_LENGTH}`, length);
  const chunk = p.chunkLength === undefined ? defaultChunkLength(measLen) : int('chunkLength', p.chunkLength, 1, measLen);
  return new Prio3(PRIO3_SUMVEC_ID, 'Prio3SumVec', shares(p.shares), new SumVecCircuit(Field128, length, max, chunk));
}

/** Counts reports per bucket; a measurement is one bucket index in [0, length). */
export function makePrio3Histogram(params: { length: number; chunkLength?: number; shares?: number }): Prio3Histogram {
  const p = checkObject('params', params);
  const length = int('length', p.length, 1, MAX_LENGTH);
  const chunk = p.chunkLength === undefined ? defaultChunkLength(length) : int('chunkLength', p.chunkLength, 1, length);
  return new Prio3(PRIO3_HISTOGRAM_ID, 'Prio3Histogram', shares(p.shares), new HistogramCircuit(Field128, length, chunk));
}
