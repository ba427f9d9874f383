/**
 * Fuzz targets of @pinhole/gate's input validators: contributor ids and counts, the gate's
 * decisions and their options, every selection's and noise's parameters, and the distributed-noise
 * plan's inputs (parameters, vectors, modular sums, survivors). Properties: a typed PinholeError
 * and nothing else; a refused decision spends nothing from the accountant it was given.
 */
import fc from 'fast-check';
import { PrivacyAccountant } from '@pinhole/core';
import {
  type DistributedNoisePlan,
  type Gate,
  countContributors,
  makeDistributedNoisePlan,
  makeGate,
  makeGaussianThresholdSelection,
  makeKAnonymity,
  makeLaplaceThresholdSelection,
  makeNoisyValues,
  makeOptimalSelection,
} from '@pinhole/gate';
import { type FuzzTarget, acceptOrReject, anything, caseRng, must, target } from './arbitraries.js';

const CODES = ['invalid_argument', 'invalid_state', 'budget_exceeded', 'insecure_rng'] as const;

const number = fc.oneof(
  fc.constantFrom(0, -0, 1, 2, 20, 0.5, 1e-6, 1e-100, 1e-101, 100, 101, 2 ** 20, 2 ** 53, -1, NaN, Infinity, '1', null, undefined, 1n, true),
  fc.double(),
  fc.integer({ min: -5, max: 200 }),
);
const keyish = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('', 'x'.repeat(257), 'cell=A|4g', '__proto__', 'constructor'));

const ids = fc.oneof(
  anything,
  fc.dictionary(keyish, fc.oneof(fc.array(fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.constantFrom('', 1.5, NaN, null, 2 ** 53, -0)), { maxLength: 5 }), anything), { maxKeys: 5 }),
  fc.array(fc.tuple(keyish, fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer({ min: 0, max: 9 })), { maxLength: 4 }))).map((entries) => new Map(entries)),
);

const contributors = target('gate: countContributors', fc.tuple(ids, fc.oneof(fc.record({ l0: number }, { requiredKeys: [] }), anything)), ([i, options]) => {
  const out = acceptOrReject(() => countContributors(i as never, options as never), CODES, 'countContributors');
  if (out !== null) for (const [k, n] of out) must(typeof k === 'string' && Number.isSafeInteger(n) && n > 0, 'countContributors returned a bad count');
});

const counts = fc.oneof(
  anything,
  fc.dictionary(keyish, fc.oneof(number, anything), { maxKeys: 6 }),
  fc.array(fc.tuple(keyish, number)).map((entries) => new Map(entries)),
);

const GATES: Gate[] = [
  makeGate({ selection: makeKAnonymity({ k: 5 }) }),
  makeGate({ selection: makeOptimalSelection({ epsilon: 1, delta: 1e-6 }), minCohortSize: 10 }),
  makeGate({
    selection: makeLaplaceThresholdSelection({ epsilon: 1, delta: 1e-6 }),
    domain: ['a', 'b', 'c'],
    values: { count: makeNoisyValues({ noise: 'discrete_laplace', epsilon: 1, l1Sensitivity: 1 }) },
  }),
];

const decideOptions = fc.record(
  {
    rng: fc.oneof(fc.constant('seeded'), fc.constant('none'), anything),
    allowInsecureRng: fc.oneof(fc.constant(true), anything),
    accountant: fc.constantFrom('fresh', 'spent', 'none'),
    label: fc.oneof(fc.string({ maxLength: 8 }), anything),
    cohortSize: number,
    values: fc.oneof(fc.record({ count: counts }), anything),
  },
  { requiredKeys: [] },
);

const decisions = target('gate: decide on bad counts and options', fc.tuple(fc.nat({ max: 2 }), counts, decideOptions, fc.integer()), ([g, c, o, seed]) => {
  const gate = GATES[g] as Gate;
  const accountant = new PrivacyAccountant({ budget: { epsilon: 10, delta: 1e-3 } });
  if (o.accountant === 'spent') accountant.spend({ epsilon: 9.9, delta: 0 }, 'before');
  const options: Record<string, unknown> = { ...o };
  if (o.rng === 'seeded') options.rng = caseRng(seed);
  else if (o.rng === 'none') delete options.rng;
  if (o.accountant === 'none') delete options.accountant;
  else options.accountant = accountant;
  const before = accountant.entries().length;
  const release = acceptOrReject(() => gate.decide(c as never, options as never), CODES, 'gate.decide');
  if (release === null) must(accountant.entries().length === before, 'a refused decision spent budget');
});

const constructors = target(
  'gate: selection, noise and gate parameters',
  fc.tuple(
    fc.nat({ max: 5 }),
    fc.record(
      {
        epsilon: number,
        delta: number,
        l0: number,
        k: number,
        thresholdDeltaShare: number,
        noise: fc.oneof(fc.constantFrom('discrete_laplace', 'discrete_gaussian', 'gaussian'), anything),
        l1Sensitivity: number,
        l2Sensitivity: number,
        nonNegative: fc.oneof(fc.boolean(), anything),
        extra: anything,
      },
      { requiredKeys: [] },
    ),
    anything,
  ),
  ([which, params, other]) => {
    const p = which === 5 ? other : params;
    const make = [makeOptimalSelection, makeLaplaceThresholdSelection, makeGaussianThresholdSelection, makeKAnonymity, makeNoisyValues, makeGate][which] as (x: unknown) => unknown;
    acceptOrReject(() => make(p), CODES, `constructor ${which}`);
  },
);

const PLAN_PARAMS = {
  mechanism: 'skellam',
  epsilon: 1,
  delta: 1e-6,
  l2Sensitivity: 1,
  l1Sensitivity: 1,
  vectorLength: 4,
  expectedClients: 50,
  minSurvivors: 40,
  onShortfall: 'top_up',
  clientValueBounds: [0, 1],
  allowInsecureRng: true,
} as const;
const PLANS: DistributedNoisePlan[] = [makeDistributedNoisePlan(PLAN_PARAMS), makeDistributedNoisePlan({ ...PLAN_PARAMS, mechanism: 'discrete_gaussian', onShortfall: 'refuse', minSurvivors: 50 })];

const planParams = target(
  'gate: distributed-noise plan parameters',
  fc.tuple(
    fc.constantFrom(...(Object.keys(PLAN_PARAMS) as (keyof typeof PLAN_PARAMS)[]), 'extra'),
    fc.oneof(number, anything, fc.constantFrom('skellam', 'discrete_gaussian', 'refuse', 'top_up', [0, 1], [-1, 2], [1, 0], [0.5, 1])),
  ),
  ([key, value]) => {
    acceptOrReject(() => makeDistributedNoisePlan({ ...PLAN_PARAMS, [key]: value }), CODES, `makeDistributedNoisePlan ${key}`);
  },
);

const vector = fc.oneof(anything, fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), number), { maxLength: 6 }), fc.array(fc.integer({ min: 0, max: 2 ** 20 }), { minLength: 4, maxLength: 4 }));

const planInputs = target(
  'gate: distributed-noise plan inputs (vectors, sums, survivors)',
  fc.tuple(
    fc.nat({ max: 1 }),
    fc.constantFrom('addShare', 'encode', 'decode', 'settle', 'finish', 'simulateSumNoise', 'variance', 'clientShare'),
    vector,
    fc.oneof(number, anything, fc.record({ survivors: number })),
    fc.integer(),
  ),
  ([which, method, v, w, seed]) => {
    const plan = PLANS[which] as DistributedNoisePlan;
    const rng = caseRng(seed);
    acceptOrReject(
      () => {
        switch (method) {
          case 'addShare':
            return plan.addShare(v as never, rng);
          case 'encode':
            return plan.toRing(v as never);
          case 'decode':
            return plan.fromRing(v as never);
          case 'settle':
            return plan.settle(w as never);
          case 'finish': {
            const st = acceptOrReject(() => plan.settle({ survivors: typeof w === 'number' ? w : 45 }), CODES, 'settle');
            return st ? plan.finish(v as never, st, { rng }) : null;
          }
          case 'simulateSumNoise':
            return plan.simulateSumNoise(w as never, rng);
          case 'variance':
            return plan.variance(w as never);
          case 'clientShare':
            return plan.clientShare(rng, v as never);
        }
      },
      CODES,
      `plan.${method}`,
    );
  },
);

export const GATE_TARGETS: readonly FuzzTarget[] = [contributors, decisions, constructors, planParams, planInputs];
