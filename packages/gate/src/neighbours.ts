/**
 * The neighbour relation a DP bucket selection is calibrated for. Default: core's
 * NEIGHBOUR_RELATION, replace-one contributor, the relation a release that publishes its cohort
 * size can hold for (a contributor leaves up to l0 buckets and joins up to l0 others, so up to
 * 2·l0 buckets differ). 'add_remove' (up to l0 buckets differ) only holds while nothing publishes
 * how many contributors there were: a gate refuses it with a cohort size.
 */
import { type NeighbourRelation, NEIGHBOUR_RELATION, checkOneOf } from '@pinhole/core';

export type SelectionNeighbours = NeighbourRelation | 'add_remove';

export function readNeighbours(value: unknown): SelectionNeighbours {
  return value === undefined ? NEIGHBOUR_RELATION : checkOneOf('neighbours', value, [NEIGHBOUR_RELATION, 'add_remove'] as const);
}

/** The most buckets whose counts differ between neighbouring inputs, each by one. */
export function bucketsChanged(l0: number, neighbours: SelectionNeighbours): number {
  return neighbours === 'add_remove' ? l0 : 2 * l0;
}
