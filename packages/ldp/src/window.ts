/**
 * The sliding-window sampler behind the Piecewise Mechanism and Square Wave, on an integer grid so
 * that its likelihood ratio is exact. Outputs are the N = W + M points j in [0, N). For an input
 * position u in [0, 1] the window is the W points [s, s + W) with s = floor(u·M) or that plus one
 * (randomized rounding, E[s] = u·M); with probability π = T/2^64 the output is uniform in the window,
 * else uniform on the other M points. Every point therefore has mass a = π/W or b = (1-π)/M under
 * every input (a mixture of the two when s is randomized), and the ratio between any two inputs is
 * at most a/b = π·M / ((1-π)·W) in either direction: T is chosen, in exact arithmetic, as the
 * largest with a/b <= e^ε (exact.ts). This replaces a float sample snapped to a grid, whose cell
 * masses depend on how many 53-bit uniforms round into each cell and exceed e^ε by about 9e-10/ε
 * nats. Moments, with y = j - (N-1)/2, γ = u·M - M/2, f = frac(u·M), κ = π - (1-π)·W/M:
 *   E[y | u] = κγ,   E[y² | u] = κ(γ² + f(1-f) + (W²-1)/12) + (1-π)·N(N²-1)/(12M).
 * Proof: piecewise.proof.md.
 */
import type { Rng } from '@pinhole/core';
import { expLower, type PrivacyProfile, requireWithinEpsilon, splitThreshold } from './exact.js';
import { TWO_64, bernoulli, threshold } from './probability.js';

export interface Window {
  /** points in the window */
  readonly W: number;
  /** points outside the window (also the number of window shifts) */
  readonly M: number;
  /** W + M */
  readonly N: number;
  /** the centre probability π = T/2^64 */
  readonly pi: number;
  /** κ = π - (1-π)·W/M: E[y | u] = κ·(u·M - M/2) */
  readonly kappa: number;
  readonly profile: Extract<PrivacyProfile, { kind: 'window' }>;
  /** The output point j in [0, N) for an input position u in [0, 1]. */
  sample(u: number, rng: Rng): number;
  /** Var[y | u] of the centred output y = j - (N-1)/2. */
  varianceY(u: number): number;
}

/** The largest centre threshold with π·M/((1-π)·W) <= L <= e^ε. */
function windowProfile(epsilon: number, W: number, M: number): Extract<PrivacyProfile, { kind: 'window' }> {
  const l = expLower(epsilon);
  return { kind: 'window', center: splitThreshold(l.num * BigInt(W), l.den, BigInt(M), 1n), window: W, outside: M };
}

export function makeWindow(what: string, epsilon: number, W: number, M: number): Window {
  const profile = requireWithinEpsilon(what, epsilon, (e) => windowProfile(e, W, M), 'the 2^-64 centre probability');
  const t = threshold(profile.center);
  const N = W + M;
  // κ·M = π·M - (1-π)·W, from the exact threshold
  const kappaM = Number(profile.center * BigInt(M) - (TWO_64 - profile.center) * BigInt(W)) / 2 ** 64;
  const kappa = kappaM / M;
  const pi = t.p;
  const outsideMoment = ((1 - pi) * N * (N * N - 1)) / (12 * M);
  return Object.freeze({
    W,
    M,
    N,
    pi,
    kappa,
    profile,
    sample(u: number, rng: Rng): number {
      const mu = u * M;
      let s = Math.floor(mu);
      const f = mu - s;
      if (f > 0 && rng.float64() < f) s += 1;
      if (s > M) s = M;
      if (bernoulli(t, rng)) return s + rng.int(W);
      const o = rng.int(M);
      return o < s ? o : o + W;
    },
    varianceY(u: number): number {
      const mu = u * M;
      const f = mu - Math.floor(mu);
      const g = mu - M / 2;
      return kappa * (1 - kappa) * g * g + kappa * (f * (1 - f) + (W * W - 1) / 12) + outsideMoment;
    },
  });
}
