/**
 * What a device runs of a distributed-noise plan: its share of the noise (Skellam: core's exact
 * Skellam vectors; discrete Gaussian: core's exact sampler per coordinate), its bounded vector plus
 * that share, and the map into Z/2^b for secure aggregation. The share parameter and the modulus
 * come from the same calibration as the full plan (distributed-noise-calibration.ts); the server's
 * settlement (distributed-noise-settlement.ts) stays out, so a device bundle does not carry it.
 * The full plan (distributed-noise.ts) reuses this sampler for its top-up and simulations.
 * Proof: distributed-noise.proof.md.
 */
import { type Rng, cryptoRng, requireSecureRng } from '@pinhole/core';
import { type DistributedNoiseMechanism } from '@pinhole/core/plan';
import { invalid } from '@pinhole/core/validate';
import { makeDiscreteGaussianSampler, addSkellamVector } from '@pinhole/core/samplers';
import { readIntegers } from './contribution-bounding.js';
import { type SizedNoise, distributedNoiseParamsOf, sizeDistributedNoise } from './distributed-noise-calibration.js';
import type { DistributedMechanism } from './distributed-noise.js';

/** One device's part of a distributed-noise plan: the share it adds and the ring it encodes into. */
export interface DistributedNoiseShare {
  readonly mechanism: DistributedMechanism;
  /** the largest norms of one client's vector (addShare enforces them) */
  readonly l2Sensitivity: number;
  readonly l1Sensitivity: number;
  readonly vectorLength: number;
  readonly clientValueBounds: readonly [number, number];
  /** Skellam: each Poisson's mean mu_c of one share; discrete Gaussian: sigma_c of one share */
  readonly shareParameter: number;
  /** variance per coordinate of one client's share */
  readonly shareVariance: number;
  /** bits b of Z/2^b for secure aggregation */
  readonly modulusBits: number;
  /** one client's noise share, vectorLength integers (written into `out` when given) */
  clientShare(rng?: Rng, out?: Int32Array): Int32Array;
  /** the client's bounded integer vector plus its share (checks the vector against the plan's bounds) */
  addShare(vector: ArrayLike<number>, rng?: Rng): Int32Array;
  /** integers -> Z/2^b (two's complement), the secure-aggregation input */
  toRing(vector: ArrayLike<number>): Uint32Array;
}

/**
 * The share, its functions (for the full plan to expose as its own), and the sampler behind it,
 * which the full plan also draws its top-up and simulations from.
 */
export interface ShareParts {
  readonly share: DistributedNoiseShare;
  readonly clientShare: DistributedNoiseShare['clientShare'];
  readonly addShare: DistributedNoiseShare['addShare'];
  readonly toRing: DistributedNoiseShare['toRing'];
  /** adds `count` shares per coordinate to out */
  readonly addShares: (out: Int32Array, count: number, rng: Rng) => void;
  /** the caller's generator, or cryptoRng(); seeded ones only when the plan allows them */
  readonly rngOf: (rng: Rng | undefined) => Rng;
}

/**
 * A device's share of the noise plan a collection plan's resolved `distributed_noise` mechanism
 * describes: the same checks, share parameter, modulus and sampler as distributedNoisePlanOf
 * (the device recomputes what the plan states), without the server's settlement.
 */
export function distributedNoiseShareOf(m: DistributedNoiseMechanism, options: { readonly allowInsecureRng?: boolean } = {}): DistributedNoiseShare {
  return makeShareParts(sizeDistributedNoise(distributedNoiseParamsOf(m, options))).share;
}

export function makeShareParts(sized: SizedNoise): ShareParts {
  const { mechanism, shareParameter, d, bounds, l2, l1, allowInsecure } = sized;
  const modulus = 2 ** sized.bits;
  const ddgDraw = mechanism === 'discrete_gaussian' ? makeDiscreteGaussianSampler(shareParameter) : null;
  const addShares = (out: Int32Array, count: number, rng: Rng): void => {
    if (count === 0) return;
    if (mechanism === 'skellam') addSkellamVector(out, count * shareParameter, rng);
    else {
      const draw = ddgDraw as (r: Rng) => number;
      for (let i = 0; i < out.length; i++) {
        let z = 0;
        for (let c = 0; c < count; c++) z += draw(rng);
        out[i] = (out[i] as number) + z;
      }
    }
  };
  const rngOf = (rng: Rng | undefined): Rng => requireSecureRng(rng === undefined ? cryptoRng() : rng, allowInsecure);

  const clientShare = (rng?: Rng, out?: Int32Array): Int32Array => {
    const r = rngOf(rng);
    let o: Int32Array;
    if (out === undefined) o = new Int32Array(d);
    else {
      if (!(out instanceof Int32Array) || out.length !== d) throw invalid('out', `an Int32Array of length ${d}`, out);
      o = out;
      o.fill(0);
    }
    addShares(o, 1, r);
    return o;
  };
  const addShare = (vector: ArrayLike<number>, rng?: Rng): Int32Array => {
    const x = readIntegers('vector', vector, bounds[0], bounds[1], d);
    let s1 = 0;
    let s2 = 0;
    for (const v of x) {
      s1 += Math.abs(v);
      s2 += v * v;
    }
    if (s2 > l2 * l2 * (1 + 1e-12) || s1 > l1 * (1 + 1e-12)) {
      throw invalid('vector', `a vector with L2 norm <= ${l2} and L1 norm <= ${l1} (the plan's per-client norms)`, vector);
    }
    const r = rngOf(rng);
    addShares(x, 1, r);
    return x;
  };
  const toRing = (vector: ArrayLike<number>): Uint32Array => {
    const x = readIntegers('vector', vector, -(2 ** 31), 2 ** 31 - 1, d);
    const out = new Uint32Array(d);
    for (let i = 0; i < d; i++) {
      const v = (x[i] as number) % modulus;
      out[i] = v < 0 ? v + modulus : v;
    }
    return out;
  };

  const share: DistributedNoiseShare = Object.freeze({
    mechanism,
    l2Sensitivity: l2,
    l1Sensitivity: l1,
    vectorLength: d,
    clientValueBounds: Object.freeze<readonly [number, number]>([bounds[0], bounds[1]]),
    shareParameter,
    shareVariance: sized.shareVariance,
    modulusBits: sized.bits,
    clientShare,
    addShare,
    toRing,
  });
  return { share, clientShare, addShare, toRing, addShares, rngOf };
}
