/**
 * The fully linear proof of Boneh et al. (CRYPTO 2019, Thm 4.3) as draft-irtf-cfrg-vdaf-20 §7.3
 * specifies it, for circuits with one gadget of degree 2 (all four Prio3 circuits): `prove`,
 * `query` (on shares) and `decide`. Wire polynomials have p = next_power_of_2(1 + calls)
 * evaluations (the wire seed, one value per call, zero padding) at the p-th roots of unity; the
 * gadget polynomial has 2p evaluations at the 2p-th roots, of which the proof carries the first
 * 2p − 1 (its degree is at most 2p − 2, which fixes the last).
 */
import { PinholeError } from '@pinhole/core';
import type { Circuit } from './circuits.js';
import type { Field } from './field.js';
import { completeLastEvaluation, dot, doubleEvaluations, evalByInterpolation, nextPowerOf2, queryWeights, weightBuffers, type WeightBuffers } from './poly.js';

export class Flp<M, R> {
  readonly field: Field;
  readonly arity: number;
  /** evaluations per wire polynomial */
  readonly p: number;
  readonly proveRandLen: number;
  readonly queryRandLen: number;
  readonly jointRandLen: number;
  readonly proofLen: number;
  readonly verifierLen: number;
  private readonly one: Uint32Array;
  private readonly polyCoefficients: Uint32Array;
  private readonly isRangeCheck: boolean;
  /** evaluate wire and gadget polynomials at t by interpolation (cheaper for few wires) */
  private readonly byInterpolation: boolean;
  // Work buffers reused by every prove/query of this instance (JavaScript runs one call at a time).
  private readonly wires: Uint32Array;
  private readonly doubled: Uint32Array;
  private readonly doubling: Uint32Array;
  private readonly gadgetValues: Uint32Array;
  private readonly gadgetOut: Uint32Array;
  private readonly outputs: Uint32Array;
  private readonly weights: WeightBuffers;

  constructor(readonly circuit: Circuit<M, R>) {
    const F = circuit.field;
    this.field = F;
    this.arity = circuit.gadget.arity;
    this.p = nextPowerOf2(1 + circuit.calls);
    this.proveRandLen = this.arity;
    this.queryRandLen = 1 + (circuit.evalOutputLen > 1 ? circuit.evalOutputLen : 0);
    this.jointRandLen = circuit.jointRandLen;
    this.proofLen = this.arity + 2 * (this.p - 1) + 1;
    this.verifierLen = 1 + this.arity + 1;
    this.one = F.constant(1);
    const g = circuit.gadget;
    this.polyCoefficients = F.vec(g.kind === 'poly' ? g.coefficients.length : 0);
    if (g.kind === 'poly') g.coefficients.forEach((c, i) => F.set(this.polyCoefficients, i, c));
    this.isRangeCheck = g.kind === 'poly' && g.coefficients.join() === '0,-1,1';
    // Multiplications per query: barycentric weights cost a batch inversion plus one inversion
    // (~2·log2 p muls) and then p per wire; interpolation costs an inverse NTT and Horner per wire.
    const p = this.p;
    const logP = Math.log2(p);
    const inversion = 2 * F.encodedSize * 8;
    const barycentric = 6 * p + inversion + 6 * p + this.arity * p + 2 * p;
    const interpolation = this.arity * ((p / 2) * logP + p + 1) + (p * (logP + 1) + 2 * p + 1);
    this.byInterpolation = interpolation < barycentric;
    this.wires = F.vec(this.arity * this.p);
    this.doubled = F.vec(this.arity * 2 * this.p);
    this.doubling = F.vec(this.p);
    this.gadgetValues = F.vec(2 * this.p);
    this.gadgetOut = F.vec(circuit.calls);
    this.outputs = F.vec(circuit.evalOutputLen);
    this.weights = weightBuffers(F, this.p);
  }

  /** The gadget polynomial's 2p evaluations from the wires' p evaluations each. */
  private gadgetPoly(wires: Uint32Array): Uint32Array {
    const F = this.field;
    const p = this.p;
    const n = 2 * p;
    const gadget = this.circuit.gadget;
    const doubled = this.doubled;
    for (let j = 0; j < this.arity; j++) doubleEvaluations(F, wires, j * p, p, doubled, j * n, this.doubling);
    const out = this.gadgetValues.fill(0);
    const t = F.scratch(15);
    if (gadget.kind === 'pairs') {
      for (let j = 0; j < this.arity; j += 2) {
        for (let i = 0; i < n; i++) {
          F.mul(t, 0, doubled, j * n + i, doubled, (j + 1) * n + i);
          F.add(out, i, out, i, t, 0);
        }
      }
    } else {
      const coefficients = this.polyCoefficients;
      for (let i = 0; i < n; i++) this.horner(coefficients, doubled, i, out, i);
    }
    return out;
  }

  private horner(coefficients: Uint32Array, x: Uint32Array, xi: number, out: Uint32Array, oi: number): void {
    const F = this.field;
    if (this.isRangeCheck) {
      // x² − x = x·(x − 1): one multiplication
      const t = F.scratch(3);
      F.sub(t, 0, x, xi, this.one, 0);
      F.mul(out, oi, t, 0, x, xi);
      return;
    }
    const k = coefficients.length / F.words;
    const acc = F.scratch(3).fill(0);
    for (let i = k - 1; i >= 0; i--) {
      F.mul(acc, 0, acc, 0, x, xi);
      F.add(acc, 0, acc, 0, coefficients, i);
    }
    F.copy(out, oi, acc, 0);
  }

  /** The gadget evaluated directly (decide): x·y summed over pairs, or the polynomial. */
  private evalGadget(inputs: Uint32Array, off: number, out: Uint32Array, oi: number): void {
    const F = this.field;
    const gadget = this.circuit.gadget;
    if (gadget.kind === 'pairs') {
      const t = F.scratch(12).fill(0);
      for (let j = 0; j < this.arity; j += 2) {
        F.mul(t, 0, inputs, off + j, inputs, off + j + 1);
        F.add(t, 1, t, 1, t, 0);
      }
      F.copy(out, oi, t, 1);
    } else {
      this.horner(this.polyCoefficients, inputs, off, out, oi);
    }
  }

  prove(meas: Uint32Array, proveRand: Uint32Array, jointRand: Uint32Array): Uint32Array {
    const F = this.field;
    const p = this.p;
    const wires = this.wires.fill(0);
    for (let j = 0; j < this.arity; j++) F.copy(wires, j * p, proveRand, j);
    this.circuit.fillWires(meas, jointRand, this.one, wires, p);
    const gadgetPoly = this.gadgetPoly(wires);
    const proof = F.vec(this.proofLen);
    proof.set(proveRand.subarray(0, this.arity * F.words));
    proof.set(gadgetPoly.subarray(0, (2 * p - 1) * F.words), this.arity * F.words);
    return proof;
  }

  /**
   * The verifier share for a measurement share and a proof share. Throws verify_failed in the
   * (negligibly likely) case the draft aborts on: the test point is a p-th root of unity.
   */
  query(meas: Uint32Array, proof: Uint32Array, queryRand: Uint32Array, jointRand: Uint32Array, sharesInv: Uint32Array): Uint32Array {
    const F = this.field;
    const p = this.p;
    const n = 2 * p;
    const circuit = this.circuit;
    const wires = this.wires.fill(0);
    for (let j = 0; j < this.arity; j++) F.copy(wires, j * p, proof, j);
    circuit.fillWires(meas, jointRand, sharesInv, wires, p);
    const gadgetPoly = this.gadgetValues;
    gadgetPoly.set(proof.subarray(this.arity * F.words, (this.arity + n - 1) * F.words));
    completeLastEvaluation(F, gadgetPoly, 0, n);
    // Call k's output is the gadget polynomial at α^(k+1) = ω_2p^(2(k+1)).
    const gadgetOut = this.gadgetOut;
    for (let k = 0; k < circuit.calls; k++) F.copy(gadgetOut, k, gadgetPoly, 2 * (k + 1));
    const outputs = this.outputs;
    circuit.evalOutputs(meas, sharesInv, gadgetOut, outputs);

    const verifier = F.vec(this.verifierLen);
    let t = 0;
    if (circuit.evalOutputLen > 1) {
      dot(F, outputs, 0, queryRand, circuit.evalOutputLen, verifier, 0);
      t = circuit.evalOutputLen;
    } else F.copy(verifier, 0, outputs, 0);

    const tp = F.scratch(11);
    F.pow(tp, 0, queryRand, t, BigInt(p));
    if (F.equal(tp, 0, this.one, 0)) throw new PinholeError('verify_failed', 'nonce', 'the FLP test point is a root of unity (probability ~2^-60); this report cannot be verified');
    if (this.byInterpolation) {
      for (let j = 0; j < this.arity; j++) evalByInterpolation(F, wires, j * p, p, queryRand, t, verifier, 1 + j, this.doubling);
      evalByInterpolation(F, gadgetPoly, 0, n, queryRand, t, verifier, 1 + this.arity, this.weights.d);
    } else {
      const w = this.weights;
      const gadgetOk = queryWeights(F, queryRand, t, tp, p, w);
      for (let j = 0; j < this.arity; j++) dot(F, wires, j * p, w.wire, p, verifier, 1 + j);
      if (gadgetOk) dot(F, gadgetPoly, 0, w.gadget, n, verifier, 1 + this.arity);
      else evalByInterpolation(F, gadgetPoly, 0, n, queryRand, t, verifier, 1 + this.arity, this.weights.d);
    }
    return verifier;
  }

  decide(verifier: Uint32Array): boolean {
    const F = this.field;
    if (!F.isZero(verifier, 0)) return false;
    const check = F.scratch(6);
    this.evalGadget(verifier, 1, check, 0);
    return F.equal(check, 0, verifier, 1 + this.arity);
  }
}
