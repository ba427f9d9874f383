/**
 * The world: regions and cells with their weights and quality (depends on the seed and the world
 * options only), and its index for drawing cells.
 */
import { categoricalDomain, deviceClassDomain, networkTypeDomain } from '@pinhole/core/schema';
import { checkObject } from '@pinhole/core/validate';
import { seededRng } from '@pinhole/core/seeded';
import { CALIBRATION } from '../calibration-data.js';
import { normalQuantile } from '../distributions.js';
import { type TableDomains } from '../table.js';
import { type OperatorSpec, POOR_CELL_DROP, POOR_CELL_SHARE } from './assumptions.js';
import { resolve, type Resolved, type SyntheticOptions } from './options.js';

export interface SyntheticWorld {
  readonly regions: readonly string[];
  readonly regionWeights: Float64Array;
  readonly cells: readonly string[];
  readonly cellRegion: Uint32Array;
  /** share of all measurements expected in each cell (sums to 1) */
  readonly cellWeights: Float64Array;
  /** standardised cell quality (mean 0, variance 1 over cells in expectation) */
  readonly cellQuality: Float64Array;
  readonly poorCells: Uint8Array;
}

/** Region weights: the real provinces' row counts, largest first; extra regions take the smallest. */
function regionWeights(n: number): Float64Array {
  const real = CALIBRATION.regionRows;
  const w = new Float64Array(n);
  for (let r = 0; r < n; r++) w[r] = real[Math.min(r, real.length - 1)] as number;
  const total = w.reduce((a, b) => a + b, 0);
  return w.map((x) => x / total);
}

/** Share of the cell-quality variance between regions: real province / city components, averaged. */
export const REGION_SHARE_OF_CELL_VARIANCE = ((): number => {
  const g = Object.values(CALIBRATION.downlink);
  return g.reduce((a, d) => a + d.regionComponent / d.cityComponent, 0) / g.length;
})();

/** Standardisation of cell quality with poor cells: q = (g - drop·poor + share·drop) / s. */
export const POOR_S = Math.sqrt(1 + POOR_CELL_SHARE * (1 - POOR_CELL_SHARE) * POOR_CELL_DROP * POOR_CELL_DROP);
export const POOR_MEAN = (-POOR_CELL_DROP + POOR_CELL_SHARE * POOR_CELL_DROP) / POOR_S;
export const GOOD_MEAN = (POOR_CELL_SHARE * POOR_CELL_DROP) / POOR_S;

export function syntheticWorld(options: Pick<SyntheticOptions, 'seed' | 'regions' | 'cells'>): SyntheticWorld {
  const o = checkObject('options', options);
  const r = resolve({ devices: 1, seed: o.seed, ...(o.regions === undefined ? {} : { regions: o.regions }), ...(o.cells === undefined ? {} : { cells: o.cells }) });
  return buildWorld(r);
}

function buildWorld(r: Resolved): SyntheticWorld {
  const world = seededRng(r.seed).stream('world');
  const rq = world.stream('region-quality');
  const cq = world.stream('cell-quality');
  const cp = world.stream('cell-popularity');
  const rw = regionWeights(r.regions);
  const width = String(r.regions).length;
  const regions = Array.from({ length: r.regions }, (_, i) => `region-${String(i + 1).padStart(Math.max(2, width), '0')}`);
  // cells per region: one each, the rest by largest remainder in proportion to sqrt(weight)
  const counts = new Array<number>(r.regions).fill(1);
  const extra = r.cells - r.regions;
  const sq = Array.from(rw, (w) => Math.sqrt(w));
  const sqTotal = sq.reduce((a, b) => a + b, 0);
  const ideal = sq.map((s) => (extra * s) / sqTotal);
  let given = 0;
  ideal.forEach((x, i) => {
    counts[i] = (counts[i] as number) + Math.floor(x);
    given += Math.floor(x);
  });
  const order = ideal.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let k = 0; k < extra - given; k++) {
    const reg = (order[k] as readonly [number, number])[1];
    counts[reg] = (counts[reg] as number) + 1;
  }

  const gauss = (s: { float64(): number }) => {
    for (;;) {
      const u = s.float64();
      if (u > 0) return normalQuantile(u);
    }
  };
  const regionQ = Array.from({ length: r.regions }, () => gauss(rq));
  const w = REGION_SHARE_OF_CELL_VARIANCE;
  const cells: string[] = [];
  const cellRegion = new Uint32Array(r.cells);
  const cellWeights = new Float64Array(r.cells);
  const cellQuality = new Float64Array(r.cells);
  const poorCells = new Uint8Array(r.cells);
  let c = 0;
  for (let reg = 0; reg < r.regions; reg++) {
    const n = counts[reg] as number;
    const cw = Math.max(3, String(n).length);
    const pop = Array.from({ length: n }, () => Math.exp(gauss(cp))); // lognormal(0, 1) popularity
    const popTotal = pop.reduce((a, b) => a + b, 0);
    for (let j = 0; j < n; j++, c++) {
      cells.push(`${regions[reg]}.c${String(j + 1).padStart(cw, '0')}`);
      cellRegion[c] = reg;
      cellWeights[c] = ((rw[reg] as number) * (pop[j] as number)) / popTotal;
      const poor = cq.float64() < POOR_CELL_SHARE;
      const g = Math.sqrt(w) * (regionQ[reg] as number) + Math.sqrt(1 - w) * gauss(cq) - (poor ? POOR_CELL_DROP : 0);
      poorCells[c] = poor ? 1 : 0;
      cellQuality[c] = (g + POOR_CELL_SHARE * POOR_CELL_DROP) / POOR_S;
    }
  }
  return Object.freeze({ regions: Object.freeze(regions), regionWeights: rw, cells: Object.freeze(cells), cellRegion, cellWeights, cellQuality, poorCells });
}

export interface WorldIndex {
  world: SyntheticWorld;
  domains: TableDomains;
  globalCdf: Float64Array;
  regionCdf: Float64Array;
  /** per region: first cell index and cumulative within-region weights */
  regionCells: { first: number; cdf: Float64Array }[];
}

function indexWorld(world: SyntheticWorld, operators: readonly OperatorSpec[]): WorldIndex {
  const cum = (w: ArrayLike<number>) => {
    const out = new Float64Array(w.length);
    let acc = 0;
    let total = 0;
    for (let i = 0; i < w.length; i++) total += w[i] as number;
    for (let i = 0; i < w.length; i++) {
      acc += w[i] as number;
      out[i] = acc / total;
    }
    out[w.length - 1] = 1;
    return out;
  };
  const regionCells: { first: number; cdf: Float64Array }[] = [];
  let c = 0;
  for (let r = 0; r < world.regions.length; r++) {
    const first = c;
    while (c < world.cells.length && world.cellRegion[c] === r) c++;
    regionCells.push({ first, cdf: cum(world.cellWeights.subarray(first, c)) });
  }
  const domains: TableDomains = Object.freeze({
    networkType: networkTypeDomain,
    deviceClass: deviceClassDomain,
    operator: categoricalDomain(
      'operator',
      operators.map((o) => o.id),
    ),
    operatorName: Object.freeze(operators.map((o) => o.name)),
    region: categoricalDomain('region', world.regions),
    cell: categoricalDomain('cell', world.cells),
    cellRegion: world.cellRegion,
  });
  return { world, domains, globalCdf: cum(world.cellWeights), regionCdf: cum(world.regionWeights), regionCells };
}

const worldCache = new Map<string, WorldIndex>();

export function worldFor(r: Resolved): WorldIndex {
  const key = JSON.stringify([r.seed, r.regions, r.cells, r.operators.map((o) => [o.id, o.name])]);
  let w = worldCache.get(key);
  if (!w) {
    w = indexWorld(buildWorld(r), r.operators);
    if (worldCache.size > 8) worldCache.clear();
    worldCache.set(key, w);
  }
  return w;
}
