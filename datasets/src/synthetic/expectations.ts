/** The expected share below a threshold for a seed's world: the truth a generated table estimates. */
import { NETWORK_TYPES, type NetworkType } from '@pinhole/core';
import { checkNumber, checkObject, invalid } from '@pinhole/core/validate';
import { CALIBRATION } from '../calibration-data.js';
import { type Knots, knotCdfBelow, lookup, type Mixture, mixtureQuantile, normalCdf, normalQuantile } from '../distributions.js';
import { type OperatorSpec } from './assumptions.js';
import { compile } from './model.js';
import { resolve, type SyntheticOptions } from './options.js';
import { worldFor } from './world.js';

export interface ExpectationQuery {
  readonly networkType: NetworkType;
  /** `downlinkMbps` (share below `below` Mbit/s) or `rsrpDbm` (share below `below` dBm, whole dBm) */
  readonly field: 'downlinkMbps' | 'rsrpDbm';
  readonly below: number;
  /** restrict to one operator (MCC-MNC), one region or one cell (names as in the table's domains) */
  readonly operator?: string;
  readonly region?: string;
  readonly cell?: string;
}

/**
 * The expected share of measurements of a network type with `field < below`, given the world the
 * seed builds (its cells' qualities), for any number of devices: the "truth" that a generated
 * table estimates. Exact up to the lookup tables' interpolation (downlink: closed form; RSRP: a
 * 321-point trapezoid over the latent z, whose integrand is smooth).
 */
export function expectedShare(options: Omit<SyntheticOptions, 'devices'> & { readonly devices?: number }, query: ExpectationQuery): number {
  const r = resolve({ devices: 1, ...checkObject('options', options) });
  const qy = checkObject('query', query);
  const ti = NETWORK_TYPES.indexOf(qy.networkType as NetworkType);
  if (ti < 0) throw invalid('query.networkType', `one of ${NETWORK_TYPES.join(', ')}`, qy.networkType);
  const field = qy.field;
  if (field !== 'downlinkMbps' && field !== 'rsrpDbm') throw invalid('query.field', '"downlinkMbps" or "rsrpDbm"', field);
  if (field === 'rsrpDbm' && !(qy.networkType === '4g' || qy.networkType === '5g-nsa' || qy.networkType === '5g-sa')) {
    throw invalid('query.networkType', 'a network type with RSRP (4g, 5g-nsa, 5g-sa)', qy.networkType);
  }
  const below = checkNumber('query.below', qy.below);
  const m = compile(r);
  const w = worldFor(r);
  const world = w.world;
  let ops = r.operators.map((_, o) => o);
  if (qy.operator !== undefined) {
    const o = r.operators.findIndex((op) => op.id === qy.operator);
    if (o < 0) throw invalid('query.operator', 'an operator of the population', qy.operator);
    ops = [o];
  }
  let cellFilter: (c: number) => boolean = () => true;
  if (qy.region !== undefined) {
    const reg = world.regions.indexOf(qy.region as string);
    if (reg < 0) throw invalid('query.region', 'a region of the world', qy.region);
    cellFilter = (c) => world.cellRegion[c] === reg;
  }
  if (qy.cell !== undefined) {
    const cell = world.cells.indexOf(qy.cell as string);
    if (cell < 0) throw invalid('query.cell', 'a cell of the world', qy.cell);
    const prev = cellFilter;
    cellFilter = (c) => c === cell && prev(c);
  }
  const opShare = ops.reduce((a, o) => a + (r.operators[o] as OperatorSpec).share, 0);
  const mix = m.mixtures[ti] as Mixture;
  const pk = m.classGivenType[ti] as Float64Array;
  const sdIn = Math.sqrt((m.deviceLoad[ti] as number) ** 2 + (m.noiseLoad[ti] as number) ** 2);
  const rc = m.cellLoad[ti] as number;
  // threshold on z per operator (downlink), or on the RSRP score
  const zX = ops.map((o) => {
    const p = knotCdfBelow((m.operatorKnots[ti] as Knots[])[o] as Knots, below);
    return p <= 0 ? -Infinity : p >= 1 ? Infinity : mixtureQuantile(mix, p);
  });
  const pRsrp = knotCdfBelow(CALIBRATION.rsrp4g.knots, Math.ceil(below) - 0.5);
  const s0 = pRsrp <= 0 ? -Infinity : pRsrp >= 1 ? Infinity : normalQuantile(pRsrp);
  const rsrpC = Math.sqrt(1 - m.rsrpRho * m.rsrpRho);
  const score = m.score[ti] as Float64Array;
  const NODES = 321;
  let acc = 0;
  let weight = 0;
  for (let c = 0; c < world.cells.length; c++) {
    if (!cellFilter(c)) continue;
    const wc = world.cellWeights[c] as number;
    weight += wc;
    let pc = 0;
    ops.forEach((o, oi) => {
      const so = (r.operators[o] as OperatorSpec).share / opShare;
      for (let k = 0; k < pk.length; k++) {
        const wk = pk[k] as number;
        if (wk === 0) continue;
        const mu = (m.quality[o] as number) + (m.classShift[k] as number) + rc * (world.cellQuality[c] as number);
        let p: number;
        if (field === 'downlinkMbps') p = normalCdf(((zX[oi] as number) - mu) / sdIn);
        else {
          // E_z[ Phi((s0 - rho v(z)) / sqrt(1 - rho^2)) ], z ~ N(mu, sdIn^2), trapezoid over +-8 sd
          let sum = 0;
          let norm = 0;
          for (let j = 0; j < NODES; j++) {
            const x = -8 + (16 * j) / (NODES - 1);
            const dens = Math.exp(-0.5 * x * x) * (j === 0 || j === NODES - 1 ? 0.5 : 1);
            sum += dens * normalCdf((s0 - m.rsrpRho * lookup(score, mu + sdIn * x)) / rsrpC);
            norm += dens;
          }
          p = sum / norm;
        }
        pc += so * wk * p;
      }
    });
    acc += wc * pc;
  }
  if (!(weight > 0)) throw invalid('query', 'a filter matching at least one cell', qy);
  return acc / weight;
}
