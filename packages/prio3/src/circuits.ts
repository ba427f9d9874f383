/**
 * The validity circuits of Prio3Count, Prio3Sum, Prio3SumVec and Prio3Histogram
 * (draft-irtf-cfrg-vdaf-20 §7.4) with their encodings. Each uses one gadget: Mul, PolyEval(x² − x)
 * or ParallelSum(Mul, chunkLength). A circuit here exposes what the generic FLP needs: the gadget
 * inputs of every call (which never depend on earlier gadget outputs in these four circuits) and
 * the circuit output as an affine function of the gadget outputs.
 */
import { invalid } from '@pinhole/core/validate';
import type { Field } from './field.js';

/** Mul (x·y) and ParallelSum(Mul, k) (Σ x_2j·x_2j+1) are both `pairs`; PolyEval is `poly`. */
export type Gadget = { readonly kind: 'pairs'; readonly arity: number } | { readonly kind: 'poly'; readonly arity: 1; readonly coefficients: readonly bigint[] };

export interface Circuit<M, R> {
  readonly field: Field;
  readonly gadget: Gadget;
  readonly calls: number;
  readonly measLen: number;
  readonly outputLen: number;
  readonly jointRandLen: number;
  readonly evalOutputLen: number;
  /** throws invalid_argument ('measurement') for a value outside the circuit's domain */
  encode(measurement: M): Uint32Array;
  truncate(meas: Uint32Array): Uint32Array;
  decode(agg: Uint32Array, numMeasurements: number): R;
  /**
   * Writes the gadget's inputs of call k (k = 0 … calls − 1) into wire j at position k + 1:
   * wires[j·p + k + 1]. `sharesInv` is 1/num_shares (1 for the prover).
   */
  fillWires(meas: Uint32Array, jointRand: Uint32Array, sharesInv: Uint32Array, wires: Uint32Array, p: number): void;
  /** The circuit's outputs (evalOutputLen of them) from the gadget's outputs, one per call. */
  evalOutputs(meas: Uint32Array, sharesInv: Uint32Array, gadgetOut: Uint32Array, out: Uint32Array): void;
}

function bitLength(n: number): number {
  let bits = 0;
  while (n > 0) {
    bits++;
    n = Math.floor(n / 2);
  }
  return bits;
}

/** The weighted bit decomposition of Sum/SumVec: bits − 1 powers of two, then `lastWeight`. */
class RangeEncoding {
  readonly bits: number;
  readonly lastWeight: number;
  private readonly weights: Uint32Array;

  constructor(
    private readonly F: Field,
    readonly max: number,
  ) {
    this.bits = bitLength(max);
    this.lastWeight = max - (2 ** (this.bits - 1) - 1);
    this.weights = F.vec(this.bits);
    for (let l = 0; l < this.bits - 1; l++) F.set(this.weights, l, 1n << BigInt(l));
    F.set(this.weights, this.bits - 1, BigInt(this.lastWeight));
  }

  /** Writes the encoding of 0 <= value <= max at element `off` of `out`. */
  encodeInto(value: number, out: Uint32Array, off: number): void {
    const half = 2 ** (this.bits - 1) - 1;
    const top = value <= half ? 0 : 1;
    let v = top ? value - this.lastWeight : value;
    const F = this.F;
    for (let l = 0; l < this.bits - 1; l++) {
      F.copy(out, off + l, F.constant(v % 2), 0);
      v = Math.floor(v / 2);
    }
    F.copy(out, off + this.bits - 1, F.constant(top), 0);
  }

  /** Σ weight_l · meas[off + l]: the measurement (share) the bits stand for. */
  decodeInto(meas: Uint32Array, off: number, out: Uint32Array, oi: number): void {
    const F = this.F;
    const t = F.scratch(8).fill(0);
    for (let l = 0; l < this.bits; l++) {
      F.mul(t, 0, meas, off + l, this.weights, l);
      F.add(t, 1, t, 1, t, 0);
    }
    F.copy(out, oi, t, 1);
  }
}

function isIndex(value: unknown, limit: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= limit && !Object.is(value, -0);
}

export class CountCircuit implements Circuit<number | boolean, number> {
  readonly gadget: Gadget = { kind: 'pairs', arity: 2 };
  readonly calls = 1;
  readonly measLen = 1;
  readonly outputLen = 1;
  readonly jointRandLen = 0;
  readonly evalOutputLen = 1;
  constructor(readonly field: Field) {}

  encode(measurement: number | boolean): Uint32Array {
    const v = measurement === true ? 1 : measurement === false ? 0 : measurement;
    if (!isIndex(v, 1)) throw invalid('measurement', '0, 1, true or false', measurement);
    return this.field.constant(v).slice();
  }

  truncate(meas: Uint32Array): Uint32Array {
    return meas.slice();
  }

  decode(agg: Uint32Array): number {
    return this.field.toNumber(agg, 0);
  }

  fillWires(meas: Uint32Array, _jointRand: Uint32Array, _sharesInv: Uint32Array, wires: Uint32Array, p: number): void {
    this.field.copy(wires, 1, meas, 0);
    this.field.copy(wires, p + 1, meas, 0);
  }

  evalOutputs(meas: Uint32Array, _sharesInv: Uint32Array, gadgetOut: Uint32Array, out: Uint32Array): void {
    this.field.sub(out, 0, gadgetOut, 0, meas, 0);
  }
}

export class SumCircuit implements Circuit<number, bigint> {
  readonly gadget: Gadget;
  readonly calls: number;
  readonly measLen: number;
  readonly outputLen = 1;
  readonly jointRandLen = 0;
  readonly evalOutputLen: number;
  private readonly range: RangeEncoding;

  constructor(
    readonly field: Field,
    readonly maxMeasurement: number,
  ) {
    this.range = new RangeEncoding(field, maxMeasurement);
    this.calls = this.range.bits;
    this.measLen = this.range.bits;
    this.evalOutputLen = this.range.bits;
    this.gadget = { kind: 'poly', arity: 1, coefficients: [0n, -1n, 1n] };
  }

  encode(measurement: number): Uint32Array {
    if (!isIndex(measurement, this.maxMeasurement)) throw invalid('measurement', `an integer >= 0 and <= ${this.maxMeasurement}`, measurement);
    const out = this.field.vec(this.measLen);
    this.range.encodeInto(measurement, out, 0);
    return out;
  }

  truncate(meas: Uint32Array): Uint32Array {
    const out = this.field.vec(1);
    this.range.decodeInto(meas, 0, out, 0);
    return out;
  }

  decode(agg: Uint32Array): bigint {
    return this.field.toBigint(agg, 0);
  }

  fillWires(meas: Uint32Array, _jointRand: Uint32Array, _sharesInv: Uint32Array, wires: Uint32Array): void {
    for (let k = 0; k < this.calls; k++) this.field.copy(wires, k + 1, meas, k);
  }

  evalOutputs(_meas: Uint32Array, _sharesInv: Uint32Array, gadgetOut: Uint32Array, out: Uint32Array): void {
    for (let k = 0; k < this.calls; k++) this.field.copy(out, k, gadgetOut, k);
  }
}

/**
 * Shared by SumVec and Histogram: every entry of the encoded measurement is a bit, checked as
 * Σ_i Σ_j r_i^(j+1)·x·(x − 1/shares) with one joint-randomness element per gadget call.
 */
abstract class ChunkedBitCheck {
  readonly gadget: Gadget;
  readonly calls: number;
  readonly jointRandLen: number;

  constructor(
    readonly field: Field,
    readonly measLen: number,
    readonly chunkLength: number,
  ) {
    this.gadget = { kind: 'pairs', arity: 2 * chunkLength };
    this.calls = Math.ceil(measLen / chunkLength);
    this.jointRandLen = this.calls;
  }

  fillWires(meas: Uint32Array, jointRand: Uint32Array, sharesInv: Uint32Array, wires: Uint32Array, p: number): void {
    const F = this.field;
    const rPower = F.scratch(5);
    const zero = F.constant(0);
    for (let i = 0; i < this.calls; i++) {
      F.copy(rPower, 0, jointRand, i);
      for (let j = 0; j < this.chunkLength; j++) {
        const index = i * this.chunkLength + j;
        const a = 2 * j * p + i + 1;
        const b = (2 * j + 1) * p + i + 1;
        if (index < this.measLen) {
          F.mul(wires, a, rPower, 0, meas, index);
          F.sub(wires, b, meas, index, sharesInv, 0);
        } else {
          F.copy(wires, a, zero, 0);
          F.sub(wires, b, zero, 0, sharesInv, 0);
        }
        F.mul(rPower, 0, rPower, 0, jointRand, i);
      }
    }
  }

  protected sumGadgetOutputs(gadgetOut: Uint32Array, out: Uint32Array, oi: number): void {
    const F = this.field;
    const acc = F.scratch(13).fill(0);
    for (let i = 0; i < this.calls; i++) F.add(acc, 0, acc, 0, gadgetOut, i);
    F.copy(out, oi, acc, 0);
  }
}

export class SumVecCircuit extends ChunkedBitCheck implements Circuit<readonly number[], bigint[]> {
  readonly outputLen: number;
  readonly evalOutputLen = 1;
  private readonly range: RangeEncoding;

  constructor(
    field: Field,
    readonly length: number,
    readonly maxMeasurement: number,
    chunkLength: number,
  ) {
    const range = new RangeEncoding(field, maxMeasurement);
    super(field, length * range.bits, chunkLength);
    this.range = range;
    this.outputLen = length;
  }

  encode(measurement: readonly number[]): Uint32Array {
    if (!Array.isArray(measurement) || measurement.length !== this.length) throw invalid('measurement', `an array of ${this.length} integers`, measurement);
    const out = this.field.vec(this.measLen);
    const bits = this.range.bits;
    for (let i = 0; i < this.length; i++) {
      const v: unknown = measurement[i];
      if (!isIndex(v, this.maxMeasurement)) throw invalid(`measurement[${i}]`, `an integer >= 0 and <= ${this.maxMeasurement}`, v);
      this.range.encodeInto(v, out, i * bits);
    }
    return out;
  }

  truncate(meas: Uint32Array): Uint32Array {
    const out = this.field.vec(this.length);
    for (let i = 0; i < this.length; i++) this.range.decodeInto(meas, i * this.range.bits, out, i);
    return out;
  }

  decode(agg: Uint32Array): bigint[] {
    return Array.from({ length: this.length }, (_, i) => this.field.toBigint(agg, i));
  }

  evalOutputs(_meas: Uint32Array, _sharesInv: Uint32Array, gadgetOut: Uint32Array, out: Uint32Array): void {
    this.sumGadgetOutputs(gadgetOut, out, 0);
  }
}

export class HistogramCircuit extends ChunkedBitCheck implements Circuit<number, number[]> {
  readonly outputLen: number;
  readonly evalOutputLen = 2;

  constructor(
    field: Field,
    readonly length: number,
    chunkLength: number,
  ) {
    super(field, length, chunkLength);
    this.outputLen = length;
  }

  encode(measurement: number): Uint32Array {
    if (!isIndex(measurement, this.length - 1)) throw invalid('measurement', `a bucket index >= 0 and < ${this.length}`, measurement);
    const out = this.field.vec(this.length);
    this.field.copy(out, measurement, this.field.constant(1), 0);
    return out;
  }

  truncate(meas: Uint32Array): Uint32Array {
    return meas.slice();
  }

  decode(agg: Uint32Array): number[] {
    return Array.from({ length: this.length }, (_, i) => this.field.toNumber(agg, i));
  }

  evalOutputs(meas: Uint32Array, sharesInv: Uint32Array, gadgetOut: Uint32Array, out: Uint32Array): void {
    const F = this.field;
    this.sumGadgetOutputs(gadgetOut, out, 0);
    const acc = F.scratch(14).fill(0);
    F.sub(acc, 0, acc, 0, sharesInv, 0);
    for (let i = 0; i < this.measLen; i++) F.add(acc, 0, acc, 0, meas, i);
    F.copy(out, 1, acc, 0);
  }
}
