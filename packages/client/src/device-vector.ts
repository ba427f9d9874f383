/**
 * The integer vector a device feeds to secure aggregation before adding its noise share (the
 * layout the aggregator's engine decodes): histogram: the one-hot of its bucket; mean: in its
 * group's two slots, its value on the grid [0, grid] by unbiased randomized rounding and the grid
 * itself (the count, scaled).
 */
import { type PlanCollection, type Rng, PinholeError, requireSecureRng } from '@pinhole/core';
import { randomizedRound } from '@pinhole/gate';
import { type DeviceInput, checkBucket, checkGroupValue } from './device.js';

export function deviceVector(c: PlanCollection, input: DeviceInput, rng: Rng, options: { readonly allowInsecureRng?: boolean } = {}): Int32Array {
  if (c.mode !== 'secagg') throw new PinholeError('invalid_argument', 'collection', `"collection" expected a secure-aggregation collection, got mode "${c.mode}"`);
  const out = new Int32Array(c.mechanism.vectorLength);
  if (c.kind === 'histogram') {
    out[checkBucket(c, input)] = 1;
    return out;
  }
  const { group, value } = checkGroupValue(c, input);
  const r = requireSecureRng(rng, options.allowInsecureRng);
  const grid = c.mechanism.grid as number;
  const [lo, hi] = c.mechanism.bounds as readonly [number, number];
  const v = value < lo ? lo : value > hi ? hi : value;
  out[2 * group] = randomizedRound([((v - lo) / (hi - lo)) * grid], 1, r)[0] as number;
  out[2 * group + 1] = grid;
  return out;
}
