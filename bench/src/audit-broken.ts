/**
 * Deliberately broken variants: each reproduces a known way to get local or central DP wrong, and
 * the audit must catch every one (its lower bound must exceed the epsilon it claims). They run with
 * the same neighbours and the same features as the shipped mechanism they break, so the auditor
 * has no hint of which is which.
 * - grr-binary-p: GRR over d buckets keeping the true bucket with the binary formula
 *   e^ε / (e^ε + 1) instead of e^ε / (e^ε + d - 1): the ratio p/q is e^ε (d - 1).
 * - sue-full-epsilon: symmetric unary encoding whose bits each use the whole ε (p = e^ε/(e^ε+1))
 *   instead of ε/2: two bits change between neighbours, so the loss is 2ε.
 * - central-float-laplace: a count plus textbook floating-point Laplace noise (scale 1/ε). Its
 *   thresholds are ε-DP, but the set of doubles it outputs depends on the input (Mironov, CCS 2012):
 *   outputs reachable from one count only reveal it.
 * - olh-seed-as-coin: OLH whose randomized-response coin reuses the hash seed's second word (one
 *   random draw used twice): the public seed then tells whether the reported value is the truth.
 * - secagg-ddp-no-clamp (audit-pipelines.ts): a secure-aggregation device that maps its RTT onto
 *   the grid without clamping it to the plan's bounds.
 */
import type { Rng } from '@pinhole/core';
import { type LocalHashOracle, type LocalHashReport, ORACLES } from '@pinhole/ldp';
import type { AuditTarget } from './audit.js';
import { AUDIT_DOMAIN_SIZE, countFeatures, floatLaplace, oracleTarget, seedFeature, supportFeature } from './audit-mechanisms.js';
import { pipelineTarget } from './audit-pipelines.js';

export const BROKEN_IDS = ['broken/grr-binary-p', 'broken/sue-full-epsilon', 'broken/central-float-laplace', 'broken/olh-seed-as-coin', 'broken/secagg-ddp-no-clamp'] as const;
export type BrokenId = (typeof BROKEN_IDS)[number];

/** The public hash of local hashing, ((a·x + b) mod 2^32) >> 16 onto [0, g) (see @pinhole/ldp's README). */
function hashBucket(a: number, b: number, x: number, g: number): number {
  const h = ((Math.imul(a, x) + b) >>> 0) >>> 16;
  return (h * g) >>> 16;
}

function grrBinaryP(epsilon: number): AuditTarget<unknown> {
  const d = AUDIT_DOMAIN_SIZE;
  const base = oracleTarget('grr', epsilon, d);
  const oracle = ORACLES.grr({ epsilon, domainSize: d, allowInsecureRng: true });
  const p = Math.exp(epsilon) / (Math.exp(epsilon) + 1);
  return {
    ...base,
    id: 'broken/grr-binary-p',
    description: `GRR (d = ${d}) keeping the true bucket with e^ε/(e^ε+1)`,
    broken: `wrong p: the binary formula e^ε/(e^ε+1) = ${p.toFixed(3)} instead of e^ε/(e^ε+d-1) = ${oracle.pStar.toFixed(3)}; the ratio is e^ε (d - 1)`,
    run: (input: 0 | 1, rng: Rng) => {
      const v = input === 0 ? 0 : 1;
      if (rng.float64() < p) return v;
      const r = rng.int(d - 1);
      return r >= v ? r + 1 : r;
    },
  };
}

function sueFullEpsilon(epsilon: number): AuditTarget<unknown> {
  const d = AUDIT_DOMAIN_SIZE;
  const base = oracleTarget('sue', epsilon, d);
  const oracle = ORACLES.sue({ epsilon, domainSize: d, allowInsecureRng: true });
  const e = Math.exp(epsilon);
  const p = e / (e + 1);
  const q = 1 / (e + 1);
  return {
    ...base,
    id: 'broken/sue-full-epsilon',
    description: `SUE (d = ${d}) whose every bit is randomized with the whole ε`,
    broken: `wrong p/q: p = e^ε/(e^ε+1) = ${p.toFixed(3)}, q = ${q.toFixed(3)} per bit instead of e^(ε/2)/(e^(ε/2)+1) = ${oracle.pStar.toFixed(3)}; two bits differ between neighbours, so the loss is 2ε`,
    features: [supportFeature(oracle, 0, 1)],
    run: (input: 0 | 1, rng: Rng) => {
      const v = input === 0 ? 0 : 1;
      const r = new Uint8Array(Math.ceil(d / 8));
      for (let b = 0; b < d; b++) if (rng.float64() < (b === v ? p : q)) r[b >>> 3] = (r[b >>> 3] as number) | (1 << (b & 7));
      return r;
    },
  };
}

function centralFloatLaplace(epsilon: number): AuditTarget<number> {
  const scale = 1 / epsilon;
  return {
    id: 'broken/central-float-laplace',
    family: 'central',
    description: `a count plus floating-point Laplace noise of scale 1/ε = ${scale.toPrecision(3)}`,
    broken: 'float noise: the textbook sampler sign · scale · -ln(U) in doubles instead of an exact discrete sampler (Mironov 2012)',
    epsilon,
    claimed: { epsilon, delta: 0 },
    neighbours: 'count 1 vs count 0 (the device added or removed)',
    run: (input, rng) => (input === 0 ? 1 : 0) + floatLaplace(scale, rng),
    features: countFeatures(1, 0, scale),
    cost: 3,
  };
}

function olhSeedAsCoin(epsilon: number): AuditTarget<unknown> {
  const d = AUDIT_DOMAIN_SIZE;
  const oracle = ORACLES.olh({ epsilon, domainSize: d, allowInsecureRng: true }) as LocalHashOracle;
  const base = oracleTarget('olh', epsilon, d);
  const g = oracle.g;
  const keepBelow = oracle.pStar * 2 ** 32;
  return {
    ...base,
    id: 'broken/olh-seed-as-coin',
    description: `OLH (d = ${d}, g = ${g}) whose coin is the hash seed's second word`,
    broken: 'reused hash seed: the randomized response keeps H(x) when the seed word b < p·2^32, so the public seed reveals whether the report is the truth',
    features: [supportFeature(oracle, 0, 1), seedFeature(oracle, 0, 1)],
    run: (input: 0 | 1, rng: Rng): LocalHashReport => {
      const v = input === 0 ? 0 : 1;
      const a = rng.u32();
      const b = rng.u32();
      const h = hashBucket(a, b, v, g);
      let y = h;
      if (!(b < keepBelow)) {
        const r = rng.int(g - 1);
        y = r >= h ? r + 1 : r;
      }
      return { a, b, y };
    },
  };
}

/** The broken variant `id` built for epsilon. */
export function brokenTarget(id: BrokenId, epsilon: number): AuditTarget<unknown> {
  switch (id) {
    case 'broken/grr-binary-p':
      return grrBinaryP(epsilon);
    case 'broken/sue-full-epsilon':
      return sueFullEpsilon(epsilon);
    case 'broken/central-float-laplace':
      return centralFloatLaplace(epsilon);
    case 'broken/olh-seed-as-coin':
      return olhSeedAsCoin(epsilon);
    case 'broken/secagg-ddp-no-clamp':
      return pipelineTarget('secagg-ddp', 'rtt-by-operator', epsilon, 1e-6, { brokenNoClamp: true });
  }
}
