/**
 * The histogram attack (see poison.ts): malicious devices push up the share of poor measurements
 * of one operator × region, in every pipeline that serves histograms.
 */
import { type CollectionEngine, type ReleasedGroup } from '@pinhole/aggregator';
import { encodeExactBucket } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import type { DistributedNoisePlan } from '@pinhole/gate';
import type { AnyFrequencyOracle } from '@pinhole/ldp';
import { summarise } from './output.js';
import { type PoisonAttackInfo, type PoisonPoint, type PoisonRunOptions, type PoisonTarget, attackersFor, configOf, groupOf, poisonEngine, serves } from './poison.js';
import { accepted, craftOracleReport, prio3Rejects } from './poison-reports.js';
import type { HistogramData } from './prepare.js';

/** The target's published share of poor measurements, in percent (NaN when withheld). */
function shareOf(g: ReleasedGroup | null): number {
  if (!g || !g.counts) return NaN;
  const ok = g.counts[0] as number;
  const poor = g.counts[1] as number;
  return ok + poor > 0 ? (100 * poor) / (ok + poor) : NaN;
}

/** One pipeline on the histogram collection: the points over the fractions, and what an attacker can do. */
export function poisonHistogram(pipeline: string, data: HistogramData, target: PoisonTarget, o: PoisonRunOptions): { points: PoisonPoint[]; attack: PoisonAttackInfo } | null {
  if (!serves(pipeline, 'histogram')) return null;
  const config = configOf(pipeline);
  const t = target.group * 2 + 1;
  const other = target.group * 2;
  const N = data.n;
  const honestT = data.sampledCounts[t] as number;
  const honestO = data.sampledCounts[other] as number;
  const exactBound = (m: number) => (100 * (honestT + m)) / (honestT + honestO + m) - target.truth;
  const points: PoisonPoint[] = [];
  let attack: PoisonAttackInfo | null = null;
  for (const fraction of o.fractions) {
    const m = attackersFor(fraction, N);
    const shifts: number[] = [];
    let released = 0;
    let bound: number | null = exactBound(m);
    const c = poisonEngine(config, data, o, N + m);
    if (c === 'skip') return null;
    // the attackers' entry, decoded by the engine, and what it does
    let attackVector: Float64Array | null = null;
    if (c && c.mode === 'ldp') {
      const oracle = c.oracle as AnyFrequencyOracle;
      const crafted = craftOracleReport(c, t, other);
      attackVector = Float64Array.from((oracle as { toVector(r: unknown): Int32Array }).toVector(crafted.report));
      const a = (1 - oracle.qStar) / (oracle.pStar - oracle.qStar);
      const b = oracle.qStar / (oracle.pStar - oracle.qStar);
      bound = Math.min(100, (100 * (honestT + m * a)) / Math.max(1e-9, honestT + honestO + m * (a - b))) - target.truth;
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: `${oracle.name}: ${crafted.words}`,
        limit: `any report that decodes; one counts as up to (1 - q*)/(p* - q*) = ${a.toPrecision(3)} devices in its target bucket`,
        amplification: a,
      };
    } else if (c && c.mode === 'central') {
      if (accepted(c, encodeExactBucket(t)) !== t) throw new Error('the central engine refused a valid bucket');
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: 'the exact target bucket',
        limit: 'one bucket index in the domain per device (decodeExactBucket): one count',
        amplification: 1,
      };
    } else if (c && c.mode === 'prio3') {
      if (!attack) {
        // the out-of-range report a malicious phone would send, through the real VDAF: rejected
        const inflated = prio3Rejects(c, t, (v, vdaf) => vdaf.field.set(v, t, 1000n));
        if (!inflated) throw new Error('prio3 accepted an out-of-range histogram report');
        // and an honest one-hot of the target bucket passes the same path
        if (prio3Rejects(c, t, () => undefined)) throw new Error('prio3 rejected a valid one-hot report');
      }
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: 'tried: 1000 in the target bucket with a proof made for it — rejected at verification (run through the VDAF here), not counted; sent instead: the one-hot target bucket',
        limit: 'one valid one-hot per device (the validity proof): one count',
        amplification: 1,
      };
    } else if (c && c.mode === 'secagg') {
      bound = null;
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: `+A in the target coordinate and -A in the other, A = 2^(b-2) = ${2 ** ((c.noisePlan as DistributedNoisePlan).modulusBits - 2)}`,
        limit: 'nothing: the server sees only the masked sum, no device vector is validated (validity proofs would be needed)',
        amplification: null,
      };
    } else {
      attack ??= { pipeline, collection: target.collection, epsilon: o.epsilon, report: 'the exact target bucket', limit: 'one exact report per device: one count', amplification: 1 };
    }
    for (let trial = 0; trial < o.trials; trial++) {
      const rng = seededRng(o.seed).stream(`poison/${pipeline}/${target.collection}/${o.epsilon}/${fraction}/${trial}`);
      let g: ReleasedGroup | null;
      if (!c) {
        // kanon-only: exact counts, released with at least k contributors
        const ok = honestO;
        const poor = honestT + m;
        g = ok + poor >= o.k ? ({ released: true, counts: [ok, poor] } as unknown as ReleasedGroup) : null;
      } else if (c.mode === 'ldp') {
        const tally = c.makeTally();
        tally.addOracleTally((c.oracle as AnyFrequencyOracle).simulateTally(data.sampledCounts, rng));
        if (m > 0)
          tally.addAggregate(
            Array.from(attackVector as Float64Array, (x) => x * m),
            m,
          );
        g = groupOf(c.publish(c.estimate(tally)), target.group);
      } else if (c.mode === 'central') {
        const counts = Int32Array.from(data.sampledCounts);
        counts[t] = (counts[t] as number) + m;
        const tally = c.makeTally();
        tally.addExactCounts(counts);
        g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
      } else if (c.mode === 'prio3') {
        // valid reports only: the honest counts, the attackers' one-hot target, both aggregators' noise
        const noise = c.prio3 as NonNullable<CollectionEngine['prio3']>;
        const a = noise.noise(rng);
        const b = noise.noise(rng);
        const sum = Array.from(data.sampledCounts, (x, v) => x + (v === t ? m : 0) + (a[v] as number) + (b[v] as number));
        const tally = c.makeTally();
        tally.setPrio3Sum(sum, N + m);
        g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
      } else {
        const plan = c.noisePlan as DistributedNoisePlan;
        const noise = plan.simulateSumNoise(N, rng);
        const total = new Int32Array(data.sampledCounts.length);
        for (let v = 0; v < total.length; v++) total[v] = (data.sampledCounts[v] as number) + (noise[v] as number);
        if (m > 0) {
          const A = 2 ** (plan.modulusBits - 2);
          total[t] = (total[t] as number) + A;
          total[other] = (total[other] as number) - A;
        }
        const tally = c.makeTally();
        tally.setSecureSum(plan.toRing(total), N + m);
        g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
      }
      if (g) released++;
      shifts.push(shareOf(g) - target.truth);
    }
    points.push({
      pipeline,
      collection: target.collection,
      epsilon: o.epsilon,
      fraction,
      attackers: m,
      honest: N,
      targetDevices: target.devices,
      truth: target.truth,
      shift: summarise(shifts, { signed: true }),
      released: released / o.trials,
      bound,
    });
  }
  return { points, attack: attack as PoisonAttackInfo };
}
