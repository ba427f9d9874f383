/**
 * Who can still rebuild a client's secrets: its live share holders (its neighbours in the round's
 * graph and itself) and, for a phase's survivors, the largest subset in which every client keeps at
 * least `threshold` of them (Bonawitz et al., CCS 2017, Fig. 4: fewer than t holders and the round
 * cannot unmask it). The server fixes U1 and U2 with these.
 */
import type { Neighbourhoods } from './graph.js';

export function sortedIds(set: Iterable<number>): number[] {
  return Array.from(set).sort((a, b) => a - b);
}

/** The live holders of u's shares, sorted: its neighbours in `live`, and u itself if live. */
export function holdersIn(graph: Neighbourhoods, u: number, live: Set<number>): number[] {
  const out: number[] = [];
  for (const v of graph.of(u)) if (live.has(v)) out.push(v);
  if (live.has(u)) {
    out.push(u);
    out.sort((a, b) => a - b);
  }
  return out;
}

/** Drops, repeatedly, every client with fewer than `threshold` live holders; returns the rest. */
export function pruneBelowThreshold(graph: Neighbourhoods, live: Set<number>, threshold: number): Set<number> {
  const t = threshold;
  const out = new Set(live);
  const count = new Map<number, number>();
  for (const u of out) count.set(u, holdersIn(graph, u, out).length);
  const queue = sortedIds(out).filter((u) => (count.get(u) as number) < t);
  while (queue.length > 0) {
    const u = queue.pop() as number;
    if (!out.delete(u)) continue;
    for (const v of graph.of(u)) {
      if (!out.has(v)) continue;
      const c = (count.get(v) as number) - 1;
      count.set(v, c);
      if (c === t - 1) queue.push(v);
    }
  }
  return out;
}
