/**
 * The mean attack (see poison.ts): malicious devices push up the mean RTT of one operator, in
 * every pipeline that serves means.
 */
import { type CollectionEngine } from '@pinhole/aggregator';
import { deviceMechanism } from '@pinhole/client';
import { encodeExactValue } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import type { DistributedNoisePlan } from '@pinhole/gate';
import type { DeviceNumericMechanism, NumericMechanism, NumericTally } from '@pinhole/ldp';
import { summarise } from './output.js';
import { type PoisonAttackInfo, type PoisonPoint, type PoisonRunOptions, type PoisonTarget, attackersFor, configOf, groupOf, poisonEngine, serves } from './poison.js';
import { accepted, craftNumericReport, prio3Rejects } from './poison-reports.js';
import type { MeanData } from './prepare.js';

/** One pipeline on the mean collection. */
export function poisonMean(pipeline: string, data: MeanData, target: PoisonTarget, o: PoisonRunOptions): { points: PoisonPoint[]; attack: PoisonAttackInfo } | null {
  if (!serves(pipeline, 'mean')) return null;
  const config = configOf(pipeline);
  const [lo, hi] = data.collection.bounds;
  const N = data.n;
  const G = data.groups.length;
  const n = target.devices;
  const honestSum = target.truth * n;
  const toMs = (unit: number) => Math.min(hi, Math.max(lo, lo + ((unit + 1) / 2) * (hi - lo)));
  const points: PoisonPoint[] = [];
  let attack: PoisonAttackInfo | null = null;
  for (const fraction of o.fractions) {
    const m = attackersFor(fraction, N);
    const shifts: number[] = [];
    let released = 0;
    // exact and clamped: each attacker adds at most hi to the sum
    let bound: number | null = (honestSum + m * hi) / (n + m) - target.truth;
    const c = poisonEngine(config, data, o, N + m);
    if (c === 'skip') return null;
    let attackValue = 0;
    if (c && c.mode === 'ldp') {
      const crafted = craftNumericReport(c, target.group);
      attackValue = crafted.report;
      // honest unit values average to the truth's; an attacker's unbiased value is crafted.value
      const honestUnit = ((target.truth - lo) / (hi - lo)) * 2 - 1;
      bound = toMs((honestUnit * n + m * crafted.value) / (n + m)) - target.truth;
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: `${(c.numeric as NumericMechanism).name}: ${crafted.words}`,
        limit: `any report that decodes; its unbiased value is at most ${crafted.value.toPrecision(3)} on [-1, 1] (an honest device's at most 1)`,
        amplification: (crafted.value + 1) / 2,
      };
    } else if (c && c.mode === 'central') {
      attackValue = accepted(c, encodeExactValue(Number.MAX_VALUE), target.group) as number;
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: `an exact value of ${Number.MAX_VALUE.toPrecision(3)} ms (decoded: any finite number)`,
        limit: `the engine clamps every value to [${lo}, ${hi}]: the group's sum moves by at most ${hi - lo}`,
        amplification: 1,
      };
    } else if (c && c.mode === 'prio3') {
      const grid = (c.plan.mechanism as { grid: number }).grid;
      const slot = 2 * target.group;
      if (!attack) {
        // a non-bit (5) in the first bit of the target group's value slot, proof made for it: rejected
        const bits = Math.ceil(Math.log2(grid + 1));
        const honest = new Array<number>(2 * G).fill(0);
        honest[slot] = grid;
        if (!prio3Rejects(c, honest, (v, vdaf) => vdaf.field.set(v, slot * bits, 5n))) throw new Error('prio3 accepted an out-of-range mean report');
        if (prio3Rejects(c, honest, () => undefined)) throw new Error('prio3 rejected a valid mean report');
      }
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: `tried: a value slot beyond [0, ${grid}] with a proof made for it — rejected at verification (run through the VDAF here), not counted; sent instead: the slots [${grid}, 0] in the target group`,
        limit: `every slot proven within [0, ${grid}]: an honest device at ${hi} ms, at most`,
        amplification: 1,
      };
    } else if (c && c.mode === 'secagg') {
      bound = null;
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: "+A in the group's value slot, A = 2^(b-2)",
        limit: 'nothing: the masked vectors are not validated (the published mean is clamped to the bounds)',
        amplification: null,
      };
    } else {
      attack ??= {
        pipeline,
        collection: target.collection,
        epsilon: o.epsilon,
        report: `an RTT of ${hi} ms or more, clamped`,
        limit: `one value per device, clamped to [${lo}, ${hi}]`,
        amplification: 1,
      };
    }
    for (let trial = 0; trial < o.trials; trial++) {
      const rng = seededRng(o.seed).stream(`poison/${pipeline}/${target.collection}/${o.epsilon}/${fraction}/${trial}`);
      let mean = NaN;
      let ok = false;
      if (!c) {
        ok = n + m >= o.k;
        mean = (honestSum + m * hi) / (n + m);
      } else if (c.mode === 'ldp') {
        const device = deviceMechanism(c.plan, { allowInsecureRng: true }) as DeviceNumericMechanism;
        const mech = c.numeric as NumericMechanism;
        const tallies: NumericTally[] = Array.from({ length: G }, () => mech.makeTally());
        for (let i = 0; i < N; i++) (tallies[data.groupOf[i] as number] as NumericTally).add(device.perturb((((data.values[i] as number) - lo) / (hi - lo)) * 2 - 1, rng));
        for (let i = 0; i < m; i++) (tallies[target.group] as NumericTally).add(attackValue);
        const tally = c.makeTally();
        tallies.forEach((tt, g) => tally.addNumericTally(g, tt));
        const g = groupOf(c.publish(c.estimate(tally)), target.group);
        ok = g !== null;
        mean = g?.mean ?? NaN;
      } else if (c.mode === 'prio3') {
        const grid = (c.plan.mechanism as { grid: number }).grid;
        const noise = c.prio3 as NonNullable<CollectionEngine['prio3']>;
        const total = new Array<number>(2 * G).fill(0);
        for (let i = 0; i < N; i++) {
          const g = data.groupOf[i] as number;
          const x = (((data.values[i] as number) - lo) / (hi - lo)) * grid;
          const f = Math.floor(x);
          const r = Math.min(grid, f + (rng.float64() < x - f ? 1 : 0));
          total[2 * g] = (total[2 * g] as number) + r;
          total[2 * g + 1] = (total[2 * g + 1] as number) + grid - r;
        }
        total[2 * target.group] = (total[2 * target.group] as number) + m * grid;
        const a = noise.noise(rng);
        const b = noise.noise(rng);
        const tally = c.makeTally();
        tally.setPrio3Sum(
          total.map((x, j) => x + (a[j] as number) + (b[j] as number)),
          N + m,
        );
        const g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
        ok = g !== null;
        mean = g?.mean ?? NaN;
      } else if (c.mode === 'central') {
        const groups = Int32Array.from({ length: N + m }, (_, i) => (i < N ? (data.groupOf[i] as number) : target.group));
        const values = Float64Array.from({ length: N + m }, (_, i) => (i < N ? (data.values[i] as number) : attackValue));
        const tally = c.makeTally();
        tally.addExactValues(groups, values);
        const g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
        ok = g !== null;
        mean = g?.mean ?? NaN;
      } else {
        const plan = c.noisePlan as DistributedNoisePlan;
        const grid = (c.plan.mechanism as { grid: number }).grid;
        const noise = plan.simulateSumNoise(N, rng);
        const total = new Int32Array(2 * G);
        for (let i = 0; i < N; i++) {
          const g = data.groupOf[i] as number;
          const x = (((data.values[i] as number) - lo) / (hi - lo)) * grid;
          const f = Math.floor(x);
          total[2 * g] = (total[2 * g] as number) + f + (rng.float64() < x - f ? 1 : 0);
          total[2 * g + 1] = (total[2 * g + 1] as number) + grid;
        }
        for (let j = 0; j < 2 * G; j++) total[j] = (total[j] as number) + (noise[j] as number);
        if (m > 0) total[2 * target.group] = (total[2 * target.group] as number) + 2 ** (plan.modulusBits - 2);
        const tally = c.makeTally();
        tally.setSecureSum(plan.toRing(total), N + m);
        const g = groupOf(c.publish(c.estimate(tally, { rng })), target.group);
        ok = g !== null;
        mean = g?.mean ?? NaN;
      }
      if (ok) released++;
      shifts.push(mean - target.truth);
    }
    points.push({
      pipeline,
      collection: target.collection,
      epsilon: o.epsilon,
      fraction,
      attackers: m,
      honest: N,
      targetDevices: n,
      truth: target.truth,
      shift: summarise(shifts, { signed: true }),
      released: released / o.trials,
      bound,
    });
  }
  return { points, attack: attack as PoisonAttackInfo };
}
