/**
 * Local hashing: the device draws a hash H from a seeded universal family onto [0, g), and
 * reports the seed and GRR over [0, g) of H(v): y = H(v) with probability p = e^ε / (e^ε + g - 1),
 * else one of the other g - 1 values uniformly. A report supports every bucket u with H(u) = y.
 *  - BLH (binary local hashing, g = 2; Bassily and Smith, STOC 2015, as analysed by Wang et al.)
 *  - OLH (optimal local hashing, g = round(e^ε + 1); Wang et al., USENIX Security 2017, §4.4)
 * The hash family and its exact collision probability: hash.ts. Proof: local-hashing.proof.md.
 * Decoding is O(n·d): the fast decoder evaluates one report's hash for all buckets by repeated
 * addition and an interval test (no multiply, no division); the reference decoder evaluates
 * hashBucket directly. Both count exactly the same integers.
 */
import { type Rng, requireSecureRng } from '@pinhole/core';
import { invalidPrivate, isArray } from '@pinhole/core/validate';
import { randomizedResponse, requireWithinEpsilon, withProfile } from './exact.js';
import { HASH_DOMAIN_LIMIT, HASH_RANGE_LIMIT, bucketInterval, collisionProbability, hashBucket } from './hash.js';
import { type DeviceOracle, type FrequencyOracle, type OracleTally, type TallySpec, oracleCommon, simulatePerBucket } from './oracle.js';
import { type OracleParams, checkAllowInsecure, checkBucketValue, checkDomainSize, checkEpsilonParam, checkParams } from './params.js';
import { TWO_32, bernoulli, threshold } from './probability.js';
import { decodeFailed, decodeReportPayload, encodeReportPayload } from './wire.js';

/** A local-hashing report: the hash seed (a, b), two 32-bit words, and the hashed, perturbed value y in [0, g). */
export interface LocalHashReport {
  readonly a: number;
  readonly b: number;
  readonly y: number;
}

export interface LocalHashOracle extends FrequencyOracle<LocalHashReport> {
  /** the hash range */
  readonly g: number;
}

function isU32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < TWO_32 && !Object.is(x, -0);
}

function isReport(r: unknown, g: number): r is LocalHashReport {
  if (typeof r !== 'object' || r === null) return false;
  const o = r as Record<string, unknown>;
  return isU32(o.a) && isU32(o.b) && typeof o.y === 'number' && Number.isInteger(o.y) && o.y >= 0 && o.y < g && !Object.is(o.y, -0);
}

/** Support counts, reference: hashBucket for every (report, bucket). */
export function localHashSupportReference(reports: readonly LocalHashReport[], domainSize: number, g: number): Float64Array {
  const sup = new Float64Array(domainSize);
  for (const r of reports) {
    for (let v = 0; v < domainSize; v++) if (hashBucket(r.a, r.b, v, g) === r.y) sup[v]! += 1;
  }
  return sup;
}

/**
 * Support counts, fast: for one report t(v) = a·v + b mod 2^32 is stepped by addition, and
 * H(v) = y is the test "t(v) - lo mod 2^32 < width" (hash.ts, bucketInterval).
 */
export function localHashSupportFast(reports: readonly LocalHashReport[], domainSize: number, g: number): Float64Array {
  const out = new Float64Array(domainSize);
  const sup = new Int32Array(domainSize);
  const los = new Int32Array(g);
  const widths = new Float64Array(g); // up to 2^31 (g = 2): kept as doubles, compared with t >>> 0
  for (let y = 0; y < g; y++) {
    const { lo, width } = bucketInterval(y, g);
    los[y] = lo | 0;
    widths[y] = width;
  }
  let pending = 0;
  for (let i = 0; i < reports.length; i++) {
    const r = reports[i] as LocalHashReport;
    const a = r.a | 0;
    const width = widths[r.y] as number;
    // t(v) - lo, stepped by a (mod 2^32): the report supports v when it lies in [0, width).
    let t = (r.b - (los[r.y] as number)) | 0;
    for (let v = 0; v < domainSize; v++) {
      if (t >>> 0 < width) sup[v]! += 1;
      t = (t + a) | 0;
    }
    if (++pending === 0x40000000) {
      for (let v = 0; v < domainSize; v++) out[v]! += sup[v] as number;
      sup.fill(0);
      pending = 0;
    }
  }
  for (let v = 0; v < domainSize; v++) out[v]! += sup[v] as number;
  return out;
}

/** Local hashing's device part: the checked parameters, the exact profile, perturb and encodeReport. */
function localHashParts(name: 'blh' | 'olh', params: OracleParams) {
  const o = checkParams(params, ['epsilon', 'domainSize', 'allowInsecureRng']);
  const epsilon = checkEpsilonParam(o);
  const d = checkDomainSize(o, HASH_DOMAIN_LIMIT);
  const allowInsecureRng = checkAllowInsecure(o);
  const e = Math.exp(epsilon);
  const g = name === 'blh' ? 2 : Math.min(HASH_RANGE_LIMIT, Math.max(2, Math.round(e + 1)));
  // GRR over [0, g): the seed is independent of the value, so the ratio is GRR's over g outputs.
  const profile = requireWithinEpsilon(`${name} with g = ${g}`, epsilon, (eps) => randomizedResponse(eps, g), 'the 2^-64 probability grid');
  const keep = threshold(profile.keep);
  const pStar = keep.p;
  // Another bucket u is supported when H(u) = y: collide (κ) and kept, or not collide and y lands on H(u).
  const kappa = collisionProbability(g);
  const qStar = kappa * pStar + ((1 - kappa) * (1 - pStar)) / (g - 1);
  const checkReport = (report: unknown, param: string): void => {
    if (!isReport(report, g)) throw invalidPrivate(param, `a report { a, b: integers in [0, 2^32), y: an integer in [0, ${g}) }`, report);
  };
  const device = {
    name,
    epsilon,
    domainSize: d,
    g,
    pStar,
    qStar,
    reportBits: 64 + Math.ceil(Math.log2(g)),
    vectorLength: d,
    simulation: 'marginal' as const,
    perturb(value: number, rng: Rng): LocalHashReport {
      checkBucketValue(value, d);
      requireSecureRng(rng, allowInsecureRng);
      const a = rng.u32();
      const b = rng.u32();
      const h = hashBucket(a, b, value, g);
      let y = h;
      if (!bernoulli(keep, rng)) {
        const r = rng.int(g - 1);
        y = r >= h ? r + 1 : r;
      }
      return Object.freeze({ a, b, y });
    },
    encodeReport(report: LocalHashReport): Uint8Array {
      checkReport(report, 'report');
      return encodeReportPayload(name, [report.a, report.b, report.y]);
    },
  };
  return { device, profile, checkReport };
}

function makeLocalHash(name: 'blh' | 'olh', params: OracleParams): LocalHashOracle {
  const { device, profile, checkReport } = localHashParts(name, params);
  const { epsilon, domainSize: d, g, pStar, qStar } = device;
  const key = `${name}/${epsilon}/${d}`;
  const spec: TallySpec<LocalHashReport> = {
    oracle: name,
    key,
    domainSize: d,
    vectorLength: d,
    signed: false,
    checkReport,
    accumulate(acc, reports) {
      if (reports.length < 16) {
        // a few reports: straight into the tally, without the batch path's scratch arrays
        for (const r of reports) {
          const { lo, width } = bucketInterval(r.y, g);
          const a = r.a | 0;
          let t = (r.b - lo) | 0;
          for (let v = 0; v < d; v++) {
            if (t >>> 0 < width) acc[v]! += 1;
            t = (t + a) | 0;
          }
        }
        return;
      }
      const sup = localHashSupportFast(reports, d, g);
      for (let v = 0; v < d; v++) acc[v]! += sup[v] as number;
    },
    support: (acc) => acc.slice(),
  };
  const common = oracleCommon(spec, epsilon, pStar, qStar);
  const oracle = Object.freeze({
    ...device,
    decodeReport(bytes: Uint8Array): LocalHashReport {
      const p = decodeReportPayload(name, bytes);
      if (!isArray(p) || p.length !== 3) throw decodeFailed('[a, b, y]', p);
      const r = { a: p[0], b: p[1], y: p[2] };
      if (!isReport(r, g)) throw decodeFailed(`[a, b, y] with a, b in [0, 2^32) and y in [0, ${g})`, p);
      return Object.freeze(r);
    },
    toVector(report: LocalHashReport): Int32Array {
      checkReport(report, 'report');
      const out = new Int32Array(d);
      for (let v = 0; v < d; v++) out[v] = hashBucket(report.a, report.b, v, g) === report.y ? 1 : 0;
      return out;
    },
    ...common,
    simulateTally: (trueCounts: Int32Array | readonly number[], rng: Rng): OracleTally<LocalHashReport> => simulatePerBucket(spec, trueCounts, pStar, qStar, rng),
  });
  return withProfile(oracle, profile);
}

/** BLH or OLH as a device runs it (DeviceOracle, with the hash range g). */
export function makeBlhDevice(params: OracleParams): DeviceOracle<LocalHashReport> & { readonly g: number } {
  const { device, profile } = localHashParts('blh', params);
  return withProfile(Object.freeze(device), profile);
}

export function makeOlhDevice(params: OracleParams): DeviceOracle<LocalHashReport> & { readonly g: number } {
  const { device, profile } = localHashParts('olh', params);
  return withProfile(Object.freeze(device), profile);
}

export function makeBlh(params: OracleParams): LocalHashOracle {
  return makeLocalHash('blh', params);
}

export function makeOlh(params: OracleParams): LocalHashOracle {
  return makeLocalHash('olh', params);
}
