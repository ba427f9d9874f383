/**
 * Fuzz targets of @pinhole/ldp: every oracle's and numeric mechanism's report wire format, and
 * every tally's add paths. Properties: malformed bytes are decode_failed; whatever decodes is a
 * report the tally accepts and that re-encodes to itself; a tally that refuses an input (add,
 * addBatch, addAggregate, merge) is left exactly as it was and keeps working.
 */
import fc from 'fast-check';
import { encodeEnvelope } from '@pinhole/core/wire';
import { type AnyFrequencyOracle, type NumericMechanism, type NumericName, type OracleName, NUMERIC_MECHANISMS, NUMERIC_NAMES, ORACLES, ORACLE_NAMES } from '@pinhole/ldp';
import { type FuzzTarget, acceptOrReject, anything, caseRng, must, mutate, mutations, sameValue, target, wirePayload } from './arbitraries.js';

/** Not a multiple of 8: packed reports have padding bits. */
const D = 10;
const EPSILON = 1;

/** An envelope just over the 1 MiB report limit (shared: no allocation per case). */
const OVERSIZED = (() => {
  const b = new Uint8Array((1 << 20) + 8);
  b.set([0x50, 0x48, 0x01]);
  return b;
})();

const near: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(-1, 0, 1, D - 1, D, 15, 16, 2 ** 32, 2 ** 32 - 1, -0, 0.5, NaN, Infinity, 2 ** 53, '1', null, true, [], {}),
  fc.integer({ min: -5, max: 40 }),
  fc.double(),
  fc.uint8Array({ maxLength: 4 }),
  fc.array(fc.oneof(fc.integer({ min: -1, max: 2 ** 32 }), fc.double(), fc.constantFrom(-0, NaN, '3')), { maxLength: 4 }),
);

function oracleOf(name: OracleName): AnyFrequencyOracle {
  return ORACLES[name]({ epsilon: EPSILON, domainSize: D, allowInsecureRng: true });
}

function decodeTarget(name: OracleName): FuzzTarget {
  const oracle = oracleOf(name);
  const other = name === 'grr' ? 'ldp/oue' : 'ldp/grr';
  const valid = fc.tuple(fc.integer({ min: 0, max: D - 1 }), fc.integer()).map(([v, s]) => oracle.encodeReport(oracle.perturb(v, caseRng(s))));
  return target(
    `ldp: ${name} report decoder`,
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(valid, mutations).map(([b, m]) => mutate(b, m)) },
      { weight: 3, arbitrary: fc.oneof(near, wirePayload).map((p) => encodeEnvelope(`ldp/${name}`, p as never)) },
      { weight: 1, arbitrary: fc.oneof(near, wirePayload).map((p) => encodeEnvelope(other, p as never)) },
      { weight: 1, arbitrary: fc.constant(OVERSIZED) },
      { weight: 1, arbitrary: anything as fc.Arbitrary<Uint8Array> },
    ),
    (bytes) => {
      const r = acceptOrReject(() => oracle.decodeReport(bytes), ['decode_failed'], `${name}.decodeReport`);
      if (r === null) return;
      // whatever decodes is a report: the tally and the vector take it, and it re-encodes to itself
      const t = oracle.makeTally();
      t.add(r as never);
      must(t.n === 1, 'a decoded report was not counted');
      oracle.toVector(r as never);
      must(sameValue(oracle.decodeReport(oracle.encodeReport(r as never)), r), 'a decoded report does not re-encode to itself');
    },
  );
}

type TallyOp =
  | { readonly kind: 'add'; readonly value: unknown }
  | { readonly kind: 'addBatch'; readonly at: number; readonly value: unknown }
  | { readonly kind: 'addAggregate'; readonly vector: unknown; readonly n: unknown }
  | { readonly kind: 'merge'; readonly other: unknown };

function tallyOps(vectorLength: number): fc.Arbitrary<TallyOp> {
  const junk = fc.oneof(near, anything);
  return fc.oneof(
    fc.record({ kind: fc.constant('add' as const), value: junk }),
    fc.record({ kind: fc.constant('addBatch' as const), at: fc.nat({ max: 3 }), value: junk }),
    fc.record({
      kind: fc.constant('addAggregate' as const),
      vector: fc.oneof(junk, fc.array(fc.oneof(fc.integer({ min: -3, max: 10 }), fc.double(), fc.constantFrom(NaN, -0, 2 ** 53)), { minLength: vectorLength, maxLength: vectorLength })),
      n: fc.oneof(fc.integer({ min: -2, max: 4 }), junk),
    }),
    fc.record({ kind: fc.constant('merge' as const), other: junk }),
  );
}

function tallyTarget(name: OracleName): FuzzTarget {
  const oracle = oracleOf(name);
  const foreign = oracleOf(name === 'grr' ? 'oue' : 'grr').makeTally();
  return target(`ldp: ${name} tally inputs`, fc.tuple(fc.integer(), tallyOps(oracle.vectorLength), fc.boolean()), ([seed, op, foreignMerge]) => {
    const rng = caseRng(seed);
    const t = oracle.makeTally();
    const good = [0, 3, 7].map((v) => oracle.perturb(v, rng));
    t.addBatch(good as never[]);
    const before = { n: t.n, acc: t.aggregate() };
    const apply = (): void => {
      switch (op.kind) {
        case 'add':
          t.add(op.value);
          return;
        case 'addBatch': {
          const batch: unknown[] = good.slice();
          batch.splice(op.at, 0, op.value);
          t.addBatch(batch as never[]);
          return;
        }
        case 'addAggregate':
          t.addAggregate(op.vector as never, op.n as never);
          return;
        case 'merge':
          t.merge((foreignMerge ? foreign : op.other) as never);
      }
    };
    const ok = acceptOrReject(
      () => {
        apply();
        return true;
      },
      ['invalid_argument'],
      `${name} tally ${op.kind}`,
    );
    if (ok === null) {
      // refused: nothing of it was counted
      must(t.n === before.n && sameValue(t.aggregate(), before.acc), `a refused ${op.kind} changed the tally`);
    }
    // still usable
    const n = t.n;
    t.add(oracle.perturb(1, rng) as never);
    must(t.n === n + 1, 'the tally stopped counting after a refused input');
    oracle.estimate(t);
  });
}

function numericOf(name: NumericName): NumericMechanism {
  return NUMERIC_MECHANISMS[name]({ epsilon: EPSILON, allowInsecureRng: true });
}

function numericDecodeTarget(name: NumericName): FuzzTarget {
  const m = numericOf(name);
  const valid = fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer()).map(([t, s]) => m.encodeReport(m.perturb(t, caseRng(s))));
  const lattice = fc.tuple(fc.integer({ min: -5, max: 5 }), fc.double({ min: -2, max: 2, noNaN: true })).map(([k, x]) => (k === 0 ? x : m.outputRange[1] * (k / 4)));
  return target(
    `ldp: ${name} report decoder`,
    fc.oneof(
      { weight: 4, arbitrary: fc.tuple(valid, mutations).map(([b, m2]) => mutate(b, m2)) },
      { weight: 3, arbitrary: fc.oneof(near, lattice, wirePayload).map((p) => encodeEnvelope(`ldp/${name}`, p as never)) },
      { weight: 1, arbitrary: fc.constant(OVERSIZED) },
      { weight: 1, arbitrary: anything as fc.Arbitrary<Uint8Array> },
    ),
    (bytes) => {
      const r = acceptOrReject(() => m.decodeReport(bytes), ['decode_failed'], `${name}.decodeReport`);
      if (r === null) return;
      must(r >= m.outputRange[0] && r <= m.outputRange[1], `decoded ${r} outside the output range`);
      const t = m.makeTally();
      t.add(r);
      must(Number.isFinite(m.unbias(r)), 'a decoded report does not unbias to a finite number');
      must(Object.is(m.decodeReport(m.encodeReport(r)), r), 'a decoded report does not re-encode to itself');
    },
  );
}

function numericTallyTarget(name: NumericName): FuzzTarget {
  const m = numericOf(name);
  const foreign = numericOf(name === 'duchi' ? 'piecewise' : 'duchi').makeTally();
  const junk = fc.oneof(near, anything, fc.double(), fc.constantFrom(m.outputRange[1] * 1.0001, -m.outputRange[1] * 2, m.outputRange[1] / 3));
  const op = fc.oneof(
    fc.record({ kind: fc.constant('add' as const), value: junk }),
    fc.record({ kind: fc.constant('addBatch' as const), at: fc.nat({ max: 3 }), value: junk }),
    fc.record({ kind: fc.constant('batchType' as const), value: junk }),
    fc.record({ kind: fc.constant('merge' as const), value: fc.oneof(junk, fc.constant(foreign)) }),
  );
  return target(`ldp: ${name} tally inputs`, fc.tuple(fc.integer(), op), ([seed, o]) => {
    const rng = caseRng(seed);
    const t = m.makeTally();
    const good = [m.perturb(-1, rng), m.perturb(0.2, rng), m.perturb(1, rng)];
    t.addBatch(good);
    const before = { n: t.n, sum: t.sum };
    const ok = acceptOrReject(
      () => {
        if (o.kind === 'add') t.add(o.value as number);
        else if (o.kind === 'addBatch') {
          const batch: unknown[] = good.slice();
          batch.splice(o.at, 0, o.value);
          t.addBatch(batch as number[]);
        } else if (o.kind === 'batchType') t.addBatch(o.value as number[]);
        else t.merge(o.value as never);
        return true;
      },
      ['invalid_argument'],
      `${name} tally ${o.kind}`,
    );
    if (ok === null) must(t.n === before.n && Object.is(t.sum, before.sum), `a refused ${o.kind} changed the tally`);
    const n = t.n;
    t.add(m.perturb(0, rng));
    must(t.n === n + 1 && Number.isFinite(m.estimate(t)), 'the tally stopped working after a refused input');
  });
}

export const LDP_TARGETS: readonly FuzzTarget[] = [...ORACLE_NAMES.flatMap((n) => [decodeTarget(n), tallyTarget(n)]), ...NUMERIC_NAMES.flatMap((n) => [numericDecodeTarget(n), numericTallyTarget(n)])];
