/**
 * What the auditor runs, mechanism by mechanism: every local-DP frequency oracle and numeric
 * mechanism of @pinhole/ldp, the central discrete Gaussian on a count (with the sigma a central
 * plan resolves), the distributed Skellam and discrete-Gaussian sums of @pinhole/gate's
 * distributed-noise plans, and the gate's DP bucket selections. Each target names its neighbouring
 * inputs and the features the auditor may build events from (audit.ts); the events themselves are
 * chosen by the auditor from calibration runs, the same way for what ships and for the broken
 * variants (audit-broken.ts).
 *
 * Neighbours: local mechanisms take any two inputs (x = bucket 0 and x' = bucket 1; t = 1 and
 * t' = -1, the ends of the input range), the relation local DP promises. Central counts, sums and
 * selections take a count with and without one device (add/remove): one of the two steps of the
 * replace-one relation plans are calibrated for (core's NEIGHBOUR_RELATION; a device changing its
 * value leaves one count and joins another). The selections are audited as made for add/remove,
 * whose single step is then the whole claim (replace-one with l0 is add/remove with 2·l0); the
 * distributed plans account for replace-one only, so their one-count audit is the looser one.
 */
import { type Rng, type PrivacyLoss } from '@pinhole/core';
import { makeDiscreteGaussianSampler } from '@pinhole/core/samplers';
import { type DistributedMechanism, makeDistributedNoisePlan, makeGaussianThresholdSelection, makeLaplaceThresholdSelection, makeOptimalSelection } from '@pinhole/gate';
import { type AnyFrequencyOracle, type LocalHashReport, type NumericName, type OracleName, NUMERIC_MECHANISMS, ORACLES } from '@pinhole/ldp';
import { makeCollectionPlan } from '@pinhole/aggregator';
import type { AuditFeature, AuditTarget } from './audit.js';

/** The domain size of the oracle audits: small enough to be cheap, large enough that GRR's q differs from p's complement. */
export const AUDIT_DOMAIN_SIZE = 8;
export const AUDIT_DELTA = 1e-6;

function parity(x: number): number {
  x ^= x >>> 16;
  x ^= x >>> 8;
  x ^= x >>> 4;
  x ^= x >>> 2;
  x ^= x >>> 1;
  return x & 1;
}

/** Whether a report supports bucket v (the oracle's public decoding rule; the Hadamard ones from their construction). */
export function supports(oracle: AnyFrequencyOracle, report: unknown, v: number): boolean {
  if (oracle.name === 'hadamard-response') return parity((v + 1) & (report as number)) === 0;
  if (oracle.name === 'hadamard-one-bit') {
    const r = report as number;
    return (parity((r >>> 1) & v) === 0 ? 1 : 0) === (r & 1);
  }
  return ((oracle as { toVector(r: unknown): Int32Array }).toVector(report)[v] as number) === 1;
}

/** Categorical: does the report support x, and x'? (LDP-Auditor's support events.) */
export function supportFeature(oracle: AnyFrequencyOracle, x: number, xp: number): AuditFeature<unknown> {
  return { name: "support (x, x')", kind: 'categorical', key: (r) => `${supports(oracle, r, x) ? 1 : 0}${supports(oracle, r, xp) ? 1 : 0}` };
}

/**
 * Categorical, local hashing: the support pair with the top two bits of each seed word. The seed
 * is public and must be independent of the value and of the coin; a coin drawn from the seed
 * shows here as keys whose support is certain.
 */
export function seedFeature(oracle: AnyFrequencyOracle, x: number, xp: number): AuditFeature<unknown> {
  return {
    name: 'support × seed bits',
    kind: 'categorical',
    key: (r) => {
      const h = r as LocalHashReport;
      return `${supports(oracle, r, x) ? 1 : 0}${supports(oracle, r, xp) ? 1 : 0}/a${h.a >>> 30}b${h.b >>> 30}`;
    },
  };
}

export function oracleTarget(name: OracleName, epsilon: number, domainSize = AUDIT_DOMAIN_SIZE): AuditTarget<unknown> {
  const oracle = ORACLES[name]({ epsilon, domainSize, allowInsecureRng: true });
  const x = 0;
  const xp = 1;
  const features = [supportFeature(oracle, x, xp)];
  if (name === 'olh' || name === 'blh') features.push(seedFeature(oracle, x, xp));
  return {
    id: `ldp/${name}`,
    family: 'ldp-oracle',
    description: `${name} (d = ${domainSize}): one report`,
    epsilon,
    claimed: oracle.privacyMap(),
    neighbours: `bucket ${x} vs bucket ${xp} (any two values: local DP)`,
    run: (input, rng): unknown => oracle.perturb(input === 0 ? x : xp, rng),
    features,
    cost: name === 'sue' || name === 'oue' || name === 'subset-selection' ? 4 : 1,
  };
}

export function numericTarget(name: NumericName, epsilon: number): AuditTarget<number> {
  const m = NUMERIC_MECHANISMS[name]({ epsilon, allowInsecureRng: true });
  return {
    id: `ldp/${name}`,
    family: 'ldp-numeric',
    description: `${name} numeric mechanism on [-1, 1]: one report`,
    epsilon,
    claimed: m.privacyMap(),
    neighbours: 't = 1 vs t = -1 (the ends of the input range: local DP)',
    run: (input, rng) => m.perturb(input === 0 ? 1 : -1, rng),
    features: [{ name: 'report', kind: 'ordered', value: (y) => y }],
  };
}

/**
 * Whether y = c + s · (scale · -ln(k · 2^-53)) for some k in [1, 2^53) and sign s, evaluated in
 * doubles exactly as the textbook floating-point Laplace sampler (`floatLaplace`) computes it: the
 * outputs a float sampler can produce from c. Mironov (CCS 2012): the sets for two inputs differ,
 * so an output may be possible under one input only. The map from k to the output is monotone, so
 * a binary search finds the candidate k (its neighbours are checked too).
 */
export function floatLaplaceReachable(y: number, c: number, scale: number): boolean {
  if (!Number.isFinite(y)) return false;
  const TWO53 = 9007199254740992;
  for (const sign of [1, -1] as const) {
    const f = (k: number): number => {
      const mag = scale * -Math.log(k / TWO53);
      return c + (sign === 1 ? mag : -mag);
    };
    // sign 1: f decreases in k (find the first k with f(k) <= y); sign -1: increases (first f(k) >= y)
    let lo = 1;
    let hi = TWO53 - 1;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      const past = sign === 1 ? f(mid) <= y : f(mid) >= y;
      if (past) hi = mid;
      else lo = mid + 1;
    }
    for (let k = Math.max(1, lo - 2); k <= Math.min(TWO53 - 1, lo + 2); k++) if (f(k) === y) return true;
  }
  return false;
}

/** The textbook floating-point Laplace sampler: sign · scale · -ln(U), U uniform on the 2^-53 grid. NOT private (Mironov 2012); for broken variants only. */
export function floatLaplace(scale: number, rng: Rng): number {
  let u = 0;
  while (u === 0) u = rng.float64();
  const mag = scale * -Math.log(u);
  return (rng.u32() & 1) === 1 ? mag : -mag;
}

/** Features of a noisy count released for counts c (x) and c' (x'): thresholds, and Mironov's reachability under a float Laplace of `scale`. */
export function countFeatures(c: number, cp: number, scale: number): AuditFeature<number>[] {
  return [
    { name: 'released count', kind: 'ordered', value: (y) => y },
    {
      name: "float reachability (from x, from x')",
      kind: 'categorical',
      key: (y) => `${floatLaplaceReachable(y, c, scale) ? 1 : 0}${floatLaplaceReachable(y, cp, scale) ? 1 : 0}`,
    },
  ];
}

const PLAN_DOMAINS = { operators: ['001-01'], regions: ['audit'], cells: ['audit/cell'] };

/** The central discrete Gaussian on one count, with the sigma a central plan resolves for (epsilon, delta). */
export function centralCountTarget(epsilon: number, delta = AUDIT_DELTA): AuditTarget<number> {
  const c = makeCollectionPlan({ collection: 'device-class', mode: 'central', budget: { epsilon, delta }, domains: PLAN_DOMAINS, expectedDevices: 1000 });
  const m = c.mechanism as { sigma: number; epsilon: number; delta: number };
  const draw = makeDiscreteGaussianSampler(m.sigma);
  return {
    id: 'central/discrete-gaussian',
    family: 'central',
    description: `a count plus exact discrete Gaussian noise, sigma ${m.sigma.toPrecision(4)} (a central plan's)`,
    epsilon,
    claimed: { epsilon: m.epsilon, delta: m.delta },
    neighbours: 'count 1 vs count 0 (the device added or removed)',
    run: (input, rng) => (input === 0 ? 1 : 0) + draw(rng),
    features: countFeatures(1, 0, 1 / epsilon),
    cost: 3,
  };
}

/**
 * A distributed-noise sum through the gate's plan: 20 other clients and the audited one (x) or the
 * 20 others alone (x'), each client a one-coordinate count with its noise share; the sum is encoded
 * mod 2^b as secure aggregation delivers it, settled for its survivors and decoded by the plan.
 * The others' shares are drawn in one go (`simulateSumNoise`: Skellam by additivity, discrete
 * Gaussian as the sum of the shares), the audited client's share by `addShare`.
 */
export function distributedTarget(mechanism: DistributedMechanism, epsilon: number, delta = AUDIT_DELTA): AuditTarget<number> {
  const others = 20;
  const plan = makeDistributedNoisePlan({
    mechanism,
    epsilon,
    delta,
    l2Sensitivity: 1,
    l1Sensitivity: 1,
    vectorLength: 1,
    expectedClients: others + 1,
    minSurvivors: others,
    onShortfall: 'refuse',
    clientValueBounds: [0, 1],
    allowInsecureRng: true,
  });
  const modulus = 2 ** plan.modulusBits;
  const settled = [plan.settle({ survivors: others + 1 }), plan.settle({ survivors: others })];
  const claimed: PrivacyLoss = plan.privacyLoss;
  const othersValue = 5; // five of the others hold a 1
  return {
    id: `distributed/${mechanism === 'skellam' ? 'skellam' : 'discrete-gaussian'}`,
    family: 'distributed',
    description: `${mechanism} shares of ${others} (+1) clients summed mod 2^${plan.modulusBits} and decoded by the gate's distributed-noise plan`,
    epsilon,
    claimed,
    neighbours: `${others} clients with and without the audited one (its count 1 and its share: add/remove a client; the plan is calibrated for replace-one, which covers it)`,
    run: (input, rng) => {
      const noise = plan.simulateSumNoise(others, rng);
      let sum = (((othersValue + (noise[0] as number)) % modulus) + modulus) % modulus;
      if (input === 0) {
        const own = plan.toRing(plan.addShare([1], rng));
        sum = (sum + (own[0] as number)) % modulus;
      }
      return plan.finish([sum], settled[input] as ReturnType<typeof plan.settle>, { rng }).values[0] as number;
    },
    features: [{ name: 'decoded sum', kind: 'ordered', value: (y) => y }],
    cost: mechanism === 'discrete_gaussian' ? 12 : 3,
  };
}

/** The neighbour pair (n, n - 1) whose release probabilities are the most distinguishable at `trials` runs. */
function pickContributors(p: (n: number) => number, maxN: number): number {
  let best = 1;
  let bestScore = -Infinity;
  for (let n = 1; n <= maxN; n++) {
    const a = p(n);
    const b = p(n - 1);
    // log-ratio of both directions, weighted by how often the event shows (a rough power proxy)
    const score = Math.max(b > 0 ? Math.log(a / b) * Math.sqrt(a) : 0, 1 - a > 0 ? Math.log((1 - b) / (1 - a)) * Math.sqrt(1 - b) : 0);
    if (score > bestScore) {
      bestScore = score;
      best = n;
    }
  }
  return best;
}

/** The optimal partition selection (Desfontaines et al.): selected or not, for n and n - 1 contributors. */
export function optimalSelectionTarget(epsilon: number, delta = AUDIT_DELTA): AuditTarget<boolean> {
  const sel = makeOptimalSelection({ epsilon, delta, neighbours: 'add_remove' });
  const n = pickContributors((k) => sel.releaseProbability(k), Math.min(sel.alwaysReleasedFrom, 10_000));
  return {
    id: 'selection/optimal',
    family: 'selection',
    description: `optimal partition selection (l0 = 1), release probability ${sel.releaseProbability(n).toPrecision(3)} at ${n} contributors`,
    epsilon,
    claimed: { epsilon: sel.epsilon, delta: sel.delta },
    neighbours: `a bucket with ${n} vs ${n - 1} contributors (add/remove a device)`,
    run: (input, rng) => sel.select(input === 0 ? n : n - 1, rng),
    features: [{ name: 'selected', kind: 'categorical', key: (s) => (s ? 'selected' : 'withheld') }],
  };
}

/** A noisy threshold (Laplace or Gaussian): the noisy count is published when it passes, so the output is that count or "withheld". */
export function thresholdSelectionTarget(kind: 'laplace' | 'gaussian', epsilon: number, delta = AUDIT_DELTA): AuditTarget<number> {
  const sel = kind === 'laplace' ? makeLaplaceThresholdSelection({ epsilon, delta, neighbours: 'add_remove' }) : makeGaussianThresholdSelection({ epsilon, delta, neighbours: 'add_remove' });
  // around the threshold, where half the buckets pass and the noisy counts are published
  const n = Math.max(1, Math.ceil(sel.threshold));
  return {
    id: `selection/${kind}-threshold`,
    family: 'selection',
    description: `${kind} noisy threshold ${sel.threshold} (noise scale ${sel.noise.scale}); the passing noisy count is published`,
    epsilon,
    claimed: sel.privacyLoss,
    neighbours: `a bucket with ${n} vs ${n - 1} contributors (add/remove a device)`,
    run: (input, rng) => {
      const y = sel.noisyCount(input === 0 ? n : n - 1, rng);
      return sel.passes(y) ? y : -Infinity;
    },
    features: [{ name: 'published count (-Infinity: withheld)', kind: 'ordered', value: (y) => y }],
    cost: kind === 'gaussian' ? 2 : 1,
  };
}

/** The gate's threshold on counts noised by secure aggregation (a settlement's selection), fed by the plan's noise. */
export function noisyCountThresholdTarget(epsilon: number, delta = AUDIT_DELTA): AuditTarget<number> {
  const clients = 20;
  const plan = makeDistributedNoisePlan({
    mechanism: 'skellam',
    epsilon,
    delta,
    l2Sensitivity: 1,
    l1Sensitivity: 1,
    vectorLength: 1,
    expectedClients: clients,
    onShortfall: 'refuse',
    clientValueBounds: [0, 1],
    allowInsecureRng: true,
  });
  const settlement = plan.settle({ survivors: clients });
  const sel = settlement.selection({ thresholdDelta: delta });
  const n = Math.max(1, Math.min(clients, Math.ceil(sel.threshold)));
  return {
    id: 'selection/noisy-count-threshold',
    family: 'selection',
    description: `threshold ${sel.threshold} on a count noised by ${clients} clients' Skellam shares; the passing noisy count is published`,
    epsilon,
    claimed: sel.privacyLoss,
    neighbours: `a bucket with ${n} vs ${n - 1} contributors (one device's 1 removed; its noise share stays in the sum)`,
    run: (input, rng) => {
      const y = (input === 0 ? n : n - 1) + (plan.simulateSumNoise(clients, rng)[0] as number);
      return sel.passes(y) ? y : -Infinity;
    },
    features: [{ name: 'published count (-Infinity: withheld)', kind: 'ordered', value: (y) => y }],
    cost: 3,
  };
}
