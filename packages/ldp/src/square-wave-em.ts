/**
 * Distribution reconstruction for Square Wave reports: expectation maximisation over the input
 * bins (EM), optionally with a binomial smoothing step after each iteration (EMS), as in Li et al.,
 * SIGMOD 2020, §5 (Algorithm 1 and the EMS variant). With M the transition matrix
 * (outputBins × bins), c the output histogram and n = Σc:
 *   P = M x;   x ← x ⊙ Mᵀ(c ⊘ P) / n;   EMS: x ← smooth(x) with kernel (1, 2, 1)/4 (edges (2, 1)/3), renormalised.
 * Convergence: every `checkEvery` iterations the log-likelihood per report Σ c log P / n is
 * compared with the previous check; the run stops when it moved by less than tolerance·checkEvery.
 * `squareWaveEm` runs on tfjs (float32, backend from tf-backend.ts); `squareWaveEmReference` is the
 * Float64Array implementation the tests hold it to.
 */
import { checkBoolean, checkInteger, checkNumber, checkObject, invalid } from '@pinhole/core/validate';
import type { SquareWaveMechanism } from './square-wave.js';
import { selectBackend } from './tf-backend.js';

export interface EmOptions {
  /** EMS (default true) or plain EM */
  readonly smoothing?: boolean;
  readonly maxIterations?: number;
  /** stop when the log-likelihood per report moves by less than this per iteration (default 1e-7) */
  readonly tolerance?: number;
  /** iterations between convergence checks (default 16) */
  readonly checkEvery?: number;
}

export interface Reconstruction {
  /** probability of each input bin of [0, 1] (t = 2v - 1), summing to 1 */
  readonly distribution: Float64Array;
  readonly iterations: number;
  readonly converged: boolean;
  /** Σ c log P / n at the end */
  readonly logLikelihood: number;
}

interface EmInput {
  m: Float64Array;
  counts: Float64Array;
  n: number;
  bins: number;
  outputBins: number;
  smoothing: boolean;
  maxIterations: number;
  tolerance: number;
  checkEvery: number;
}

function prepare(mechanism: SquareWaveMechanism, histogram: unknown, options: EmOptions): EmInput {
  if (typeof mechanism !== 'object' || mechanism === null || mechanism.name !== 'square-wave') {
    throw invalid('mechanism', 'a Square Wave mechanism (makeSquareWave)', mechanism);
  }
  const hist =
    typeof histogram === 'object' && histogram !== null && typeof (histogram as { histogram?: unknown }).histogram === 'function'
      ? (histogram as { histogram(): Float64Array }).histogram()
      : histogram;
  if (!(hist instanceof Float64Array || Array.isArray(hist)) || hist.length !== mechanism.outputBins) {
    throw invalid('histogram', `a Square Wave tally or ${mechanism.outputBins} output-bin counts`, histogram);
  }
  const counts = new Float64Array(hist.length);
  let n = 0;
  for (let j = 0; j < hist.length; j++) {
    const c = (hist as ArrayLike<unknown>)[j];
    if (typeof c !== 'number' || !Number.isSafeInteger(c) || c < 0) throw invalid(`histogram[${j}]`, 'an integer >= 0', c);
    counts[j] = c;
    n += c;
  }
  if (n === 0) throw invalid('histogram', 'at least one report', histogram);
  checkObject('options', options);
  return {
    m: mechanism.transitionMatrix(),
    counts,
    n,
    bins: mechanism.bins,
    outputBins: mechanism.outputBins,
    smoothing: options.smoothing === undefined ? true : checkBoolean('smoothing', options.smoothing),
    maxIterations: options.maxIterations === undefined ? 2000 : checkInteger('maxIterations', options.maxIterations, { ge: 1, le: 1e6 }),
    tolerance: options.tolerance === undefined ? 1e-7 : checkNumber('tolerance', options.tolerance, { ge: 0 }),
    checkEvery: options.checkEvery === undefined ? 16 : checkInteger('checkEvery', options.checkEvery, { ge: 1, le: 1e6 }),
  };
}

function smoothInPlace(x: Float64Array, tmp: Float64Array): void {
  const k = x.length;
  tmp[0] = (2 * (x[0] as number) + (x[1] as number)) / 3;
  tmp[k - 1] = ((x[k - 2] as number) + 2 * (x[k - 1] as number)) / 3;
  for (let i = 1; i < k - 1; i++) tmp[i] = ((x[i - 1] as number) + 2 * (x[i] as number) + (x[i + 1] as number)) / 4;
  let s = 0;
  for (let i = 0; i < k; i++) s += tmp[i] as number;
  for (let i = 0; i < k; i++) x[i] = (tmp[i] as number) / s;
}

/** EM/EMS in plain Float64Array arithmetic. */
export function squareWaveEmReference(mechanism: SquareWaveMechanism, histogram: Float64Array | readonly number[] | { histogram(): Float64Array }, options: EmOptions = {}): Reconstruction {
  const p = prepare(mechanism, histogram, options);
  const { m, counts, n, bins: k, outputBins: J } = p;
  const x = new Float64Array(k).fill(1 / k);
  const P = new Float64Array(J);
  const r = new Float64Array(J);
  const tmp = new Float64Array(k);
  const logLik = () => {
    let ll = 0;
    for (let j = 0; j < J; j++) if ((counts[j] as number) > 0) ll += (counts[j] as number) * Math.log(P[j] as number);
    return ll / n;
  };
  let prev = -Infinity;
  let it = 0;
  let converged = false;
  let ll = -Infinity;
  while (it < p.maxIterations) {
    for (let j = 0; j < J; j++) {
      let s = 0;
      const row = j * k;
      for (let i = 0; i < k; i++) s += (m[row + i] as number) * (x[i] as number);
      P[j] = s;
      r[j] = s > 0 ? (counts[j] as number) / s : 0;
    }
    for (let i = 0; i < k; i++) {
      let s = 0;
      for (let j = 0; j < J; j++) s += (m[j * k + i] as number) * (r[j] as number);
      x[i] = ((x[i] as number) * s) / n;
    }
    if (p.smoothing) smoothInPlace(x, tmp);
    it++;
    if (it % p.checkEvery === 0) {
      for (let j = 0; j < J; j++) {
        let s = 0;
        for (let i = 0; i < k; i++) s += (m[j * k + i] as number) * (x[i] as number);
        P[j] = s;
      }
      ll = logLik();
      if (Math.abs(ll - prev) < p.tolerance * p.checkEvery) {
        converged = true;
        break;
      }
      prev = ll;
    }
  }
  return Object.freeze({ distribution: x, iterations: it, converged, logLikelihood: ll });
}

/** EM/EMS on tfjs (float32), on the backend chosen by selectBackend(). */
export async function squareWaveEm(mechanism: SquareWaveMechanism, histogram: Float64Array | readonly number[] | { histogram(): Float64Array }, options: EmOptions = {}): Promise<Reconstruction> {
  const p = prepare(mechanism, histogram, options);
  const { tf } = await selectBackend();
  const { bins: k, outputBins: J, n } = p;
  const M = tf.tensor2d(Float32Array.from(p.m), [J, k], 'float32');
  const c = tf.tensor2d(Float32Array.from(p.counts), [J, 1], 'float32');
  let x = tf.fill<import('@tensorflow/tfjs').Rank.R2>([k, 1], 1 / k);
  const step = (xIn: import('@tensorflow/tfjs').Tensor2D) =>
    tf.tidy(() => {
      const P = tf.matMul(M, xIn);
      const ratio = tf.divNoNan(c, P);
      let nx = tf.mul(xIn, tf.matMul(M, ratio, true, false)).div<import('@tensorflow/tfjs').Tensor2D>(n);
      if (p.smoothing) {
        const first = tf
          .slice(nx, [0, 0], [1, 1])
          .mul(2)
          .add(tf.slice(nx, [1, 0], [1, 1]))
          .div(3);
        const last = tf
          .slice(nx, [k - 2, 0], [1, 1])
          .add(tf.slice(nx, [k - 1, 0], [1, 1]).mul(2))
          .div(3);
        const parts = [first];
        if (k > 2) {
          const mid = tf
            .slice(nx, [0, 0], [k - 2, 1])
            .add(tf.slice(nx, [1, 0], [k - 2, 1]).mul(2))
            .add(tf.slice(nx, [2, 0], [k - 2, 1]))
            .div(4);
          parts.push(mid);
        }
        parts.push(last);
        const s = tf.concat(parts, 0);
        nx = s.div<import('@tensorflow/tfjs').Tensor2D>(s.sum());
      }
      return nx;
    });
  const logLik = (xIn: import('@tensorflow/tfjs').Tensor2D) =>
    tf.tidy(() => {
      const P = tf.matMul(M, xIn);
      const mask = tf.greater(c, 0);
      return tf
        .where(mask, tf.mul(c, tf.log(P)), tf.zerosLike(c))
        .sum()
        .div(n);
    });
  let prev = -Infinity;
  let it = 0;
  let converged = false;
  let ll = -Infinity;
  try {
    while (it < p.maxIterations) {
      const nx = step(x);
      x.dispose();
      x = nx;
      it++;
      if (it % p.checkEvery === 0) {
        const t = logLik(x);
        ll = (await t.data())[0] as number;
        t.dispose();
        if (Math.abs(ll - prev) < p.tolerance * p.checkEvery) {
          converged = true;
          break;
        }
        prev = ll;
      }
    }
    const out = Float64Array.from(await x.data());
    let s = 0;
    for (let i = 0; i < k; i++) s += out[i] as number;
    for (let i = 0; i < k; i++) out[i]! /= s;
    return Object.freeze({ distribution: out, iterations: it, converged, logLikelihood: ll });
  } finally {
    x.dispose();
    M.dispose();
    c.dispose();
  }
}

/**
 * The q-quantile of a reconstructed distribution over [0, 1] bins, linear within a bin, returned
 * on the mechanism's input scale t = 2v - 1 in [-1, 1].
 */
export function distributionQuantile(distribution: Float64Array | readonly number[], q: number): number {
  if (!(distribution instanceof Float64Array || Array.isArray(distribution)) || distribution.length < 1) {
    throw invalid('distribution', 'a non-empty array of probabilities', distribution);
  }
  checkNumber('q', q, { ge: 0, le: 1 });
  const k = distribution.length;
  let total = 0;
  for (let i = 0; i < k; i++) {
    const w: unknown = distribution[i];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw invalid(`distribution[${i}]`, 'a finite number >= 0', w);
    total += w;
  }
  if (!(total > 0)) throw invalid('distribution', 'probabilities with a positive sum', distribution);
  const target = q * total;
  let cum = 0;
  for (let i = 0; i < k; i++) {
    const w = distribution[i] as number;
    if (cum + w >= target && w > 0) {
      const v = (i + (target - cum) / w) / k;
      return 2 * v - 1;
    }
    cum += w;
  }
  return 1;
}
