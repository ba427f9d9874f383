/** Pieces the pipelines and the worker threads share. */
import type { Rng } from '@pinhole/core';
import type { AnyFrequencyOracle } from '@pinhole/ldp';

/** Releases each group whose (noisy) total over its buckets reaches k: post-processing over the public domain. */
export function releaseByTotals(counts: ArrayLike<number>, G: number, B: number, k: number): Uint8Array {
  const released = new Uint8Array(G);
  for (let g = 0; g < G; g++) {
    let t = 0;
    for (let b = 0; b < B; b++) t += counts[g * B + b] as number;
    released[g] = t >= k ? 1 : 0;
  }
  return released;
}

/** Perturbs every device's bucket and tallies the reports in batches (one thread). */
export function perturbAll(oracle: AnyFrequencyOracle, items: Int32Array, rng: Rng): ReturnType<AnyFrequencyOracle['createTally']> {
  const tally = oracle.createTally();
  const batch: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    batch.push(oracle.perturb(items[i] as number, rng));
    if (batch.length === 4096) {
      tally.addBatch(batch);
      batch.length = 0;
    }
  }
  if (batch.length) tally.addBatch(batch);
  return tally;
}
