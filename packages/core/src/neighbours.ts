/**
 * The neighbour relation of Pinhole's releases, and the sensitivities that follow from it. Every
 * release publishes its cohort size (and under secure aggregation the server counts the
 * survivors), so adding or removing a device changes a public number: add/remove-one is not a
 * relation the guarantee can hold for. Neighbouring rounds have the same devices, one of which
 * reports something else (replace-one). Local DP is unaffected: a report's epsilon already covers
 * any two inputs. Proof notes: accounting.proof.md, "Neighbours".
 */
import { checkBoolean, checkNumber, checkObject } from './validate.js';

export const NEIGHBOUR_RELATION = 'replace_one' as const;
export type NeighbourRelation = typeof NEIGHBOUR_RELATION;

/** How a release states the relation (plans, releases, the bench's report). */
export const NEIGHBOUR_STATEMENT = 'replace-one device (neighbouring rounds have the same devices, one of which reports another value); the cohort size is public';

/**
 * The sensitivity of a sum of per-device vectors under replace-one, from the largest norms of one
 * device's vector (l1, l2: its add/remove sensitivity). With non-negative vectors (one-hot counts,
 * values on [0, grid], count slots) <x, x'> >= 0, so ||x - x'||_2^2 <= ||x||^2 + ||x'||^2 <= 2 l2^2
 * and ||x - x'||_1 <= 2 l1; both are reached by a device that moves to another bucket or group.
 * Signed vectors: the triangle inequality, 2 l2 and 2 l1.
 */
export function replaceOneSensitivity(perDevice: { readonly l1: number; readonly l2: number; readonly nonNegative?: boolean }): { readonly l1Sensitivity: number; readonly l2Sensitivity: number } {
  checkObject('perDevice', perDevice);
  const l1 = checkNumber('perDevice.l1', perDevice.l1, { gt: 0, le: 2 ** 40 });
  // an L2 norm never exceeds the L1 norm
  const l2 = checkNumber('perDevice.l2', perDevice.l2, { gt: 0, le: l1 });
  const nonNegative = perDevice.nonNegative === undefined ? true : checkBoolean('perDevice.nonNegative', perDevice.nonNegative);
  return { l1Sensitivity: 2 * l1, l2Sensitivity: (nonNegative ? Math.SQRT2 : 2) * l2 };
}

/**
 * The L2 sensitivities of a central mean's per-group sums (values on [0, grid]) and counts: a
 * device moving to another group changes two sums by <= grid and two counts by 1. makePlan
 * calibrates with it and the engine checks plans with it.
 */
export function centralMeanSensitivity(grid: number): { readonly sum: number; readonly count: number } {
  return { sum: replaceOneSensitivity({ l1: grid, l2: grid }).l2Sensitivity, count: replaceOneSensitivity({ l1: 1, l2: 1 }).l2Sensitivity };
}
