import { readFileSync, readdirSync } from 'node:fs';
import { PinholeError } from '@pinhole/core';
import { makePrio3Count, makePrio3Histogram, makePrio3Sum, makePrio3SumVec, type Prio3 } from '../src/index.js';

export const VECTOR_DIR = new URL('./vectors/', import.meta.url);

export interface Operation {
  operation: 'shard' | 'verify_init' | 'verifier_shares_to_message' | 'verify_next' | 'aggregate' | 'unshard';
  aggregator_id?: number;
  report_index?: number;
  round?: number;
  success: boolean;
}

export interface VectorReport {
  input_shares: string[];
  measurement: unknown;
  nonce: string;
  out_shares: string[];
  public_share: string;
  rand: string;
  verifier_messages: string[];
  verifier_shares: string[][];
}

export interface Vector {
  agg_param: string;
  agg_result: unknown;
  agg_shares: string[];
  ctx: string;
  operations: Operation[];
  reports: VectorReport[];
  shares: number;
  verify_key: string;
  length?: number;
  chunk_length?: number;
  max_measurement?: number;
}

export function vectorFiles(): string[] {
  return readdirSync(VECTOR_DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
}

export function loadVector(file: string): Vector {
  return JSON.parse(readFileSync(new URL(file, VECTOR_DIR), 'utf8')) as Vector;
}

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export type AnyPrio3 = Prio3<any, any>;

export function vdafFor(file: string, v: Vector): AnyPrio3 {
  const kind = file.split('_')[0];
  switch (kind) {
    case 'Prio3Count':
      return makePrio3Count({ shares: v.shares });
    case 'Prio3Sum':
      return makePrio3Sum({ shares: v.shares, maxMeasurement: v.max_measurement as number });
    case 'Prio3SumVec':
      return makePrio3SumVec({ shares: v.shares, length: v.length as number, maxMeasurement: v.max_measurement as number, chunkLength: v.chunk_length as number });
    case 'Prio3Histogram':
      return makePrio3Histogram({ shares: v.shares, length: v.length as number, chunkLength: v.chunk_length as number });
    default:
      throw new Error(`unknown vector family ${file}`);
  }
}

/** The PinholeError `fn` throws, or a failure when it throws something else or nothing. */
export function failure(fn: () => unknown): PinholeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PinholeError) return e;
    throw new Error(`expected a PinholeError, got ${String(e)}`);
  }
  throw new Error('expected a PinholeError, but the call succeeded');
}
