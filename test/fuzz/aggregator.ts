/**
 * Fuzz targets of plans and the release engine: core's `checkPlan` on random and mutated plan
 * documents (and the engine's deeper checks on whatever it accepts), the engine's `decodeReport`
 * and `round.add` on valid, malformed, misplaced and type-confused uploads, and every input path of
 * a collection's tally. Properties: a typed PinholeError and nothing else; the input document is
 * never modified; a round that refused an upload releases exactly what a round that never saw it
 * releases (same seed), so nothing accepted was changed; a tally that refused an input estimates
 * as before.
 */
import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { type ReleaseEngine, makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import { type DeviceInput, checkDevicePlan, deviceEntry, deviceMechanism } from '@pinhole/client';
import { secureAggregation } from '@pinhole/client/secagg';
import { type Plan, type PlanCollection, type ReportEntry, checkPlan, encodeRoundReport, makeReportId } from '@pinhole/core';
import { REPORT_TYPE, encodeEnvelope } from '@pinhole/core/wire';
import { type AnyFrequencyOracle, type NumericMechanism, NUMERIC_MECHANISMS, ORACLES } from '@pinhole/ldp';
import { type FuzzTarget, acceptOrReject, anything, caseRng, must, mutate, mutations, target, wirePayload } from './arbitraries.js';

const DOMAINS = { operators: ['460-00', '460-01'], regions: ['north', 'south'], cells: ['n1', 's1'] };

function plans(): Plan[] {
  const common = { domains: DOMAINS, expectedDevices: 1000 };
  return [
    makePlan({ ...common, id: 'fuzz-ldp', insights: ['network-type-share', 'rtt-mean'], budget: { epsilon: 2, delta: 0 }, mode: 'ldp', k: 1, ldp: { oracle: 'oue', numeric: 'duchi' } }),
    makePlan({ ...common, id: 'fuzz-central', insights: ['poor-share', 'rtt-mean'], budget: { epsilon: 2, delta: 1e-6 }, mode: 'central', k: 1 }),
    makePlan({ ...common, id: 'fuzz-secagg', insights: ['device-class-share'], budget: { epsilon: 2, delta: 1e-6 }, mode: 'secagg', secagg: { dropoutRate: 0.1, onShortfall: 'top_up' } }),
  ];
}

const PLANS = plans();
const DOCUMENTS = PLANS.map((p) => JSON.parse(JSON.stringify(p)) as Record<string, unknown>);

/** Every path of a JSON tree (object keys and array indices). */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out).push([...prefix, i]));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out).push([...prefix, k]);
  return out;
}
const PATHS = DOCUMENTS.map((d) => paths(d));

type PlanEdit = { readonly path: number; readonly action: 'delete' | 'set' | 'extra' | 'duplicate'; readonly value: unknown };

const planValue = fc.oneof(
  fc.constantFrom(0, -0, -1, 1, 0.5, 1e-320, 1e308, NaN, Infinity, -Infinity, 2 ** 53, '', 'x', 'ldp', 'central', 'secagg', 'oue', 'skellam', 'top_up', null, true, [], {}, [1], 10n),
  fc.jsonValue({ maxDepth: 2 }),
  anything,
);
const planEdit: fc.Arbitrary<PlanEdit> = fc.record({
  path: fc.nat(),
  action: fc.constantFrom('delete' as const, 'set' as const, 'set' as const, 'set' as const, 'extra' as const, 'duplicate' as const),
  value: planValue,
});

/** Whether an edit may go into `v`: plain objects and arrays only (an edit may have put a typed array, a boxed string or a frozen value on the path). */
function editable(v: unknown): v is Record<string | number, unknown> {
  if (!v || typeof v !== 'object' || Object.isFrozen(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return Array.isArray(v) || proto === Object.prototype || proto === null;
}

function applyEdit(doc: Record<string, unknown>, all: (string | number)[][], e: PlanEdit): void {
  const path = all[e.path % all.length] as (string | number)[];
  let parent: Record<string | number, unknown> = doc;
  for (const k of path.slice(0, -1)) {
    const next = parent[k];
    if (!editable(next)) return;
    parent = next;
  }
  if (!editable(parent)) return;
  const last = path[path.length - 1] as string | number;
  if (e.action === 'delete') {
    if (Array.isArray(parent)) parent.splice(Number(last), 1);
    else delete parent[last];
  } else if (e.action === 'set') parent[last] = e.value;
  else if (e.action === 'extra') {
    if (Array.isArray(parent)) parent.push(e.value);
    else parent[`${String(last)}Extra`] = e.value;
  } else if (Array.isArray(parent)) parent.push(snapshot(parent[Number(last)]));
}

/** A copy of the plain-object and array structure of a tree, other values by reference (to detect modification); an edit can make the tree cyclic, so shared nodes are copied once. */
function snapshot(v: unknown, seen = new Map<object, unknown>()): unknown {
  if (v === null || typeof v !== 'object') return v;
  if (seen.has(v)) return seen.get(v);
  if (Array.isArray(v)) {
    const out: unknown[] = [];
    seen.set(v, out);
    for (const x of v) out.push(snapshot(x, seen));
    return out;
  }
  const proto = Object.getPrototypeOf(v) as unknown;
  if (proto !== Object.prototype && proto !== null) return v;
  const out: Record<string, unknown> = {};
  seen.set(v, out);
  for (const [k, x] of Object.entries(v)) out[k] = snapshot(x, seen);
  return out;
}

const PLAN_CODES = ['invalid_argument', 'budget_exceeded', 'invalid_state', 'unsupported'] as const;

const checkPlanRandom = target(
  'plans: checkPlan on random documents',
  fc.oneof(anything, fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom('format', 'version', 'id', 'revision', 'budget', 'collections', 'domains', 'insights', 'x'), planValue)),
  (doc) => {
    acceptOrReject(() => checkPlan(doc), PLAN_CODES, 'checkPlan');
  },
);

const checkPlanMutated = target(
  'plans: checkPlan and the engine on mutated plan documents',
  fc.tuple(fc.nat({ max: 2 }), fc.array(planEdit, { minLength: 1, maxLength: 3 }), fc.integer({ min: 0, max: 199 })),
  ([which, edits, buildIndex]) => {
    const doc = structuredClone(DOCUMENTS[which] as Record<string, unknown>);
    for (const e of edits) applyEdit(doc, PATHS[which] as (string | number)[][], e);
    const before = snapshot(doc);
    const plan = acceptOrReject(() => checkPlan(doc), PLAN_CODES, 'checkPlan');
    must(isDeepStrictEqual(snapshot(doc), before), 'checkPlan modified its input');
    // the engine's deeper checks (exact arithmetic, noise plans) on one accepted document in 200
    if (plan !== null && buildIndex === 0) acceptOrReject(() => makeReleaseEngine(doc, { allowInsecureRng: true }), PLAN_CODES, 'makeReleaseEngine');
  },
);

const SECAGG_PLUGIN = secureAggregation({ honestButCurious: true });

/**
 * The device's plan check (the server's rules for the modes it runs, in a smaller bundle) against
 * the server's: on the same mutated documents the device never accepts what the server refuses,
 * and for a plan whose modes it runs it reads exactly what the server reads.
 */
const devicePlanMutated = target(
  'plans: a device never accepts a mutated plan the server refuses, and reads an accepted one as the server does',
  fc.tuple(fc.nat({ max: 2 }), fc.array(planEdit, { minLength: 1, maxLength: 3 }), fc.boolean()),
  ([which, edits, withSecagg]) => {
    const doc = structuredClone(DOCUMENTS[which] as Record<string, unknown>);
    for (const e of edits) applyEdit(doc, PATHS[which] as (string | number)[][], e);
    const server = acceptOrReject(() => checkPlan(doc), PLAN_CODES, 'checkPlan');
    const device = acceptOrReject(() => checkDevicePlan(doc, withSecagg ? SECAGG_PLUGIN : undefined), PLAN_CODES, 'checkDevicePlan');
    if (device !== null) must(server !== null && isDeepStrictEqual(device, server), 'the device accepted a plan the server refuses, or read it differently');
    const runs = server !== null && server.collections.every((c) => c.mode === 'ldp' || c.mode === 'central' || (c.mode === 'secagg' && withSecagg));
    if (runs) must(device !== null, 'the device refused a plan the server accepts, of modes it runs');
  },
);

/** What a device of a plan uploads: one entry per report-entry collection, from its seed. */
function deviceReport(engine: ReleaseEngine, roundId: string, seed: number): Uint8Array {
  const rng = caseRng(seed);
  const entries: ReportEntry[] = [];
  for (const c of engine.plan.collections) {
    if (c.mode === 'secagg') continue;
    const input: DeviceInput = c.kind === 'histogram' ? { bucket: rng.int(c.domainSize) } : { group: rng.int(c.groups), value: rng.float64() * 600 };
    const mechanism = c.mode === 'ldp' ? DEVICE_MECHANISMS.get(c.id) : undefined;
    entries.push(deviceEntry(c, input, rng, { allowInsecureRng: true, ...(mechanism ? { mechanism } : {}) }));
  }
  return encodeRoundReport({ planId: engine.plan.id, planRevision: engine.plan.revision, roundId, reportId: makeReportId(rng, { allowInsecureRng: true }), entries });
}

const ENGINES = PLANS.slice(0, 2).map((p) => makeReleaseEngine(p, { allowInsecureRng: true }));
/** The server's mechanism of each ldp collection (a device's perturbs the same way; this one also tallies). */
function serverMechanism(c: PlanCollection): AnyFrequencyOracle | NumericMechanism | undefined {
  if (c.mode !== 'ldp') return undefined;
  if (c.kind === 'histogram') return ORACLES[c.mechanism.name]({ epsilon: c.mechanism.epsilon, domainSize: c.mechanism.domainSize, allowInsecureRng: true });
  return NUMERIC_MECHANISMS[c.mechanism.name]({ epsilon: c.mechanism.epsilon, allowInsecureRng: true });
}
const MECHANISMS = new Map(PLANS[0]!.collections.map((c) => [c.id, serverMechanism(c)]));
const DEVICE_MECHANISMS = new Map(PLANS[0]!.collections.filter((c) => c.mode === 'ldp').map((c) => [c.id, deviceMechanism(c, { allowInsecureRng: true })]));
/** Valid uploads of round "r1", made once per engine: a case picks them by index (a pick seen before is a retry). */
const POOL_SIZE = 64;
const POOLS = ENGINES.map((e) => Array.from({ length: POOL_SIZE }, (_, i) => deviceReport(e, 'r1', i)));

type Upload =
  | { readonly kind: 'valid'; readonly seed: number }
  | { readonly kind: 'repeat' }
  | { readonly kind: 'mutated'; readonly seed: number; readonly m: Parameters<typeof mutate>[1] }
  | { readonly kind: 'confused'; readonly payload: unknown }
  | { readonly kind: 'misplaced'; readonly seed: number; readonly field: 'plan' | 'revision' | 'round' | 'collection' | 'group' | 'bytes' | 'duplicate'; readonly value: unknown }
  | { readonly kind: 'object'; readonly value: unknown };

const upload: fc.Arbitrary<Upload> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('valid' as const), seed: fc.integer() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('repeat' as const) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('mutated' as const), seed: fc.integer(), m: mutations }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('confused' as const), payload: wirePayload }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('misplaced' as const),
      seed: fc.integer(),
      field: fc.constantFrom('plan' as const, 'revision' as const, 'round' as const, 'collection' as const, 'group' as const, 'bytes' as const, 'duplicate' as const),
      value: fc.oneof(wirePayload, fc.constantFrom(-1, 0, 1, 2, 99, 'r0', 'other', 'network-type-by-region', 'rtt-by-operator', 'device-class')),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('object' as const), value: anything }) },
);

function poolOf(engine: ReleaseEngine): readonly Uint8Array[] {
  return POOLS[ENGINES.indexOf(engine)] as readonly Uint8Array[];
}

/** The upload's bytes (or object), and whether it is a valid report of the round. */
function uploadOf(engine: ReleaseEngine, roundId: string, u: Upload, last: Uint8Array | null): { input: unknown; valid: boolean } {
  switch (u.kind) {
    case 'valid':
      return { input: poolOf(engine)[(u.seed >>> 0) % POOL_SIZE], valid: true };
    case 'repeat':
      return last ? { input: last, valid: true } : { input: new Uint8Array(0), valid: false };
    case 'mutated':
      return { input: mutate(poolOf(engine)[(u.seed >>> 0) % POOL_SIZE] as Uint8Array, u.m), valid: false };
    case 'confused':
      return { input: encodeEnvelope(REPORT_TYPE, u.payload as never), valid: false };
    case 'object':
      return { input: u.value, valid: false };
    case 'misplaced': {
      const rng = caseRng(u.seed ^ 0x5bd1e995);
      const entries = engine.plan.collections
        .filter((c) => c.mode !== 'secagg')
        .map((c) =>
          deviceEntry(c, c.kind === 'histogram' ? { bucket: 0 } : { group: 0, value: 10 }, rng, {
            allowInsecureRng: true,
            ...(MECHANISMS.has(c.id) && engine === ENGINES[0] ? { mechanism: MECHANISMS.get(c.id) as never } : {}),
          }),
        );
      const payload: Record<string, unknown> = {
        plan: engine.plan.id,
        revision: engine.plan.revision,
        round: roundId,
        id: makeReportId(rng, { allowInsecureRng: true }),
        entries: entries.map((e) => ({ ...e })),
      };
      const list = payload.entries as Record<string, unknown>[];
      switch (u.field) {
        case 'plan':
          payload.plan = u.value;
          break;
        case 'revision':
          payload.revision = u.value;
          break;
        case 'round':
          payload.round = u.value;
          break;
        case 'collection':
          (list[0] as Record<string, unknown>).collection = u.value;
          break;
        case 'group':
          for (const e of list) e.group = u.value;
          break;
        case 'bytes':
          (list[list.length - 1] as Record<string, unknown>).bytes = u.value;
          break;
        case 'duplicate':
          list.push({ ...(list[0] as object) });
          break;
      }
      // a misplacement may happen to be valid (the same plan id, a valid group): then it counts as valid
      let input: Uint8Array;
      try {
        input = encodeEnvelope(REPORT_TYPE, payload as never);
      } catch {
        return { input: new Uint8Array([0x50, 0x48, 1]), valid: false };
      }
      return { input, valid: false };
    }
  }
}

function roundModel(which: 0 | 1): FuzzTarget {
  const engine = ENGINES[which] as ReleaseEngine;
  return target(`engine: decodeReport and round.add (${engine.plan.id})`, fc.tuple(fc.array(upload, { minLength: 1, maxLength: 4 }), fc.integer()), ([uploads, seed]) => {
    const a = engine.openRound({ roundId: 'r1' });
    const b = engine.openRound({ roundId: 'r1' });
    let last: Uint8Array | null = null;
    for (const u of uploads) {
      const { input, valid } = uploadOf(engine, 'r1', u, last);
      if (valid) {
        const ra = a.add(input as Uint8Array);
        const rb = b.add(input as Uint8Array);
        must(ra === rb, 'a valid upload was counted differently');
        last = input as Uint8Array;
        continue;
      }
      const reports = a.reports;
      const ra = acceptOrReject(() => a.add(input as Uint8Array), ['decode_failed', 'protocol_violation', 'invalid_argument'], 'round.add');
      if (ra !== null) {
        // a mutation or misplacement that is still a well-formed report of this round: both rounds take it
        must(ra === b.add(input as Uint8Array), 'a decodable upload was counted differently');
        continue;
      }
      must(a.reports === reports && !a.closed, 'a refused upload changed the round');
    }
    // the estimates (what the release is made from) of both rounds, drawn with the same noise
    for (const c of engine.collections) {
      const ea = c.estimate(a.tally(c.id), { rng: caseRng(seed) });
      const eb = c.estimate(b.tally(c.id), { rng: caseRng(seed) });
      must(
        a.tally(c.id).cohort === b.tally(c.id).cohort && isDeepStrictEqual(ea.values, eb.values) && isDeepStrictEqual(ea.contributors, eb.contributors),
        'a round that refused uploads estimates something else',
      );
    }
  });
}

type TallyInput = { readonly method: 'addAggregate' | 'addOracleTally' | 'addNumericTally' | 'addExactCounts' | 'addExactValues' | 'setSecureSum'; readonly a: unknown; readonly b: unknown };

const tallyInput: fc.Arbitrary<TallyInput> = fc.record({
  method: fc.constantFrom('addAggregate' as const, 'addOracleTally' as const, 'addNumericTally' as const, 'addExactCounts' as const, 'addExactValues' as const, 'setSecureSum' as const),
  a: fc.oneof(anything, fc.array(fc.oneof(fc.integer({ min: -3, max: 2 ** 20 }), fc.constantFrom(NaN, -0, 0.5, 2 ** 32, Infinity)), { maxLength: 26 }), fc.integer({ min: -2, max: 30 })),
  b: fc.oneof(anything, fc.integer({ min: -2, max: 2000 }), fc.array(fc.oneof(fc.integer({ min: -2, max: 600 }), fc.double()), { maxLength: 6 })),
});

const ALL_ENGINES = [...ENGINES, makeReleaseEngine(PLANS[2], { allowInsecureRng: true })];

const tallyInputs = target('engine: collection tallies refuse bad input and keep what they had', fc.tuple(fc.nat(), tallyInput, fc.integer()), ([pick, input, seed]) => {
  const engines = ALL_ENGINES.flatMap((e) => e.collections);
  const c = engines[pick % engines.length] as (typeof engines)[number];
  const t = c.makeTally();
  const rng = caseRng(seed);
  // what it already holds
  if (c.mode === 'ldp' && c.kind === 'histogram') {
    const o = MECHANISMS.get(c.id) as AnyFrequencyOracle;
    const own = o.makeTally();
    own.addBatch([o.perturb(1, rng), o.perturb(2, rng)] as never[]);
    t.addOracleTally(own);
  } else if (c.mode === 'ldp') {
    const m = MECHANISMS.get(c.id) as NumericMechanism;
    const own = m.makeTally();
    own.add(m.perturb(0.5, rng));
    t.addNumericTally(0, own);
  } else if (c.mode === 'central' && c.kind === 'histogram') t.addExactCounts(new Array<number>(c.plan.domainSize).fill(1));
  else if (c.mode === 'central') t.addExactValues([0, 1], [20, 40]);
  const state = () => {
    if (c.mode === 'secagg') return t.cohort;
    const est = c.estimate(t, { rng: caseRng(7) });
    return { cohort: t.cohort, values: est.values, contributors: est.contributors };
  };
  const before = state();
  const ok = acceptOrReject(
    () => {
      (t[input.method] as (x: unknown, y: unknown) => void).call(t, input.a, input.b);
      return true;
    },
    ['invalid_argument', 'invalid_state'],
    `tally.${input.method}`,
  );
  if (ok === null) must(isDeepStrictEqual(state(), before), `a refused ${input.method} changed the tally`);
});

export const AGGREGATOR_TARGETS: readonly FuzzTarget[] = [checkPlanRandom, checkPlanMutated, devicePlanMutated, roundModel(0), roundModel(1), tallyInputs];
