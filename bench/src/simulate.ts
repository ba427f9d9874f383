/** Per-device perturbation, shared by the pipelines (one thread) and the worker threads. */
import type { Rng } from '@pinhole/core';
import type { AnyDeviceOracle, AnyFrequencyOracle } from '@pinhole/ldp';

/**
 * Perturbs every device's bucket with `device` (what an app runs) and tallies the reports in
 * batches with `oracle` (the server's side of the same mechanism), on one thread.
 */
export function perturbAll(oracle: AnyFrequencyOracle, items: Int32Array, rng: Rng, device: AnyDeviceOracle = oracle): ReturnType<AnyFrequencyOracle['makeTally']> {
  const tally = oracle.makeTally();
  const batch: unknown[] = [];
  for (let i = 0; i < items.length; i++) {
    batch.push(device.perturb(items[i] as number, rng));
    if (batch.length === 4096) {
      tally.addBatch(batch);
      batch.length = 0;
    }
  }
  if (batch.length) tally.addBatch(batch);
  return tally;
}
