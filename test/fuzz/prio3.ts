/**
 * Fuzz targets of @pinhole/prio3, beyond what packages/prio3/test/validation.test.ts already
 * fuzzes (byte mutations of input shares, verifier shares, the verifier message and aggregate
 * shares): type-confused arguments of every aggregator step, mutated and confused public shares,
 * forged verify states, and the output/aggregate share decoders and `unshard` on random bytes of
 * every length (including exact lengths whose field elements may exceed the modulus). Properties:
 * decode_failed, verify_failed or invalid_argument and nothing else; a mutated public share is never
 * accepted by the proof check; whatever decodes is a vector of the instance that aggregates.
 */
import fc from 'fast-check';
import { seededRng } from '@pinhole/core/seeded';
import { type Prio3, makePrio3Count, makePrio3Histogram, makePrio3Sum, makePrio3SumVec } from '@pinhole/prio3';
import { type FuzzTarget, acceptOrReject, anything, must, mutate, mutations, sameBytes, target } from './arbitraries.js';

const CODES = ['decode_failed', 'verify_failed', 'invalid_argument'] as const;
const ctx = new TextEncoder().encode('fuzz');

interface Setup {
  readonly name: string;
  readonly vdaf: Prio3<unknown, unknown>;
  readonly verifyKey: Uint8Array;
  readonly report: ReturnType<Prio3<unknown, unknown>['makeReport']>;
  readonly inits: ReturnType<Prio3<unknown, unknown>['verifyInit']>[];
  readonly message: Uint8Array;
  readonly outLen: number;
}

function setup(name: string, vdaf: Prio3<unknown, unknown>, measurement: unknown): Setup {
  const rng = seededRng(`prio3-fuzz-${name}`);
  const verifyKey = rng.bytes(32);
  const report = vdaf.makeReport(ctx, measurement, { rng, allowInsecureRng: true });
  const inits = [0, 1].map((j) => vdaf.verifyInit(verifyKey, ctx, j, report.nonce, report.publicShare, report.inputShares[j] as Uint8Array));
  const message = vdaf.verifierSharesToMessage(
    ctx,
    inits.map((s) => s.verifierShare),
  );
  return { name, vdaf, verifyKey, report, inits, message, outLen: vdaf.aggInit().encode().length };
}

const SETUPS: Setup[] = [
  setup('Count', makePrio3Count(), 1),
  setup('Sum', makePrio3Sum({ maxMeasurement: 1000 }), 999),
  setup('SumVec', makePrio3SumVec({ length: 3, maxMeasurement: 5 }), [5, 0, 3]),
  setup('Histogram', makePrio3Histogram({ length: 10, chunkLength: 3 }), 7),
];

const junk = fc.oneof(anything, fc.uint8Array({ maxLength: 80 }), fc.constantFrom(-1, 0, 1, 2, 0.5, NaN, '0', null, [], new Uint8Array(16), new Uint8Array(32)));

type Step =
  | { readonly kind: 'verifyInit'; readonly arg: number; readonly value: unknown }
  | { readonly kind: 'publicShare'; readonly m: Parameters<typeof mutate>[1] }
  | { readonly kind: 'verifierShares'; readonly value: unknown; readonly at: number }
  | { readonly kind: 'state'; readonly field: 'outShare' | 'correctedJointRandSeed' | 'aggregatorId' | 'whole'; readonly value: unknown }
  | { readonly kind: 'aggUpdate' | 'aggregate' | 'merge'; readonly value: unknown }
  | { readonly kind: 'unshard'; readonly shares: unknown; readonly n: unknown };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant('verifyInit' as const), arg: fc.nat({ max: 5 }), value: junk }),
  fc.record({ kind: fc.constant('publicShare' as const), m: mutations }),
  fc.record({ kind: fc.constant('verifierShares' as const), value: junk, at: fc.nat({ max: 2 }) }),
  fc.record({ kind: fc.constant('state' as const), field: fc.constantFrom('outShare' as const, 'correctedJointRandSeed' as const, 'aggregatorId' as const, 'whole' as const), value: junk }),
  fc.record({ kind: fc.constantFrom('aggUpdate' as const, 'aggregate' as const, 'merge' as const), value: junk }),
  fc.record({ kind: fc.constant('unshard' as const), shares: fc.oneof(junk, fc.array(junk, { minLength: 2, maxLength: 2 })), n: fc.oneof(fc.integer({ min: -1, max: 5 }), junk) }),
);

const steps = target('prio3: type-confused aggregator steps, public shares and verify states', fc.tuple(fc.nat({ max: SETUPS.length - 1 }), step), ([i, s]) => {
  const S = SETUPS[i] as Setup;
  const { vdaf, report } = S;
  const what = `${S.name} ${s.kind}`;
  switch (s.kind) {
    case 'verifyInit': {
      const args: unknown[] = [S.verifyKey, ctx, 0, report.nonce, report.publicShare, report.inputShares[0]];
      args[s.arg] = s.value;
      acceptOrReject(() => (vdaf.verifyInit as (...a: unknown[]) => unknown)(...args), CODES, what);
      return;
    }
    case 'publicShare': {
      const pub = mutate(report.publicShare, s.m);
      if (sameBytes(pub, report.publicShare)) return;
      // a mutated public share never passes: it is malformed, or the joint randomness check fails
      const out = acceptOrReject(
        () => {
          const shares = [0, 1].map((j) => vdaf.verifyInit(S.verifyKey, ctx, j, report.nonce, pub, report.inputShares[j] as Uint8Array));
          const msg = vdaf.verifierSharesToMessage(
            ctx,
            shares.map((x) => x.verifierShare),
          );
          for (const x of shares) vdaf.verifyNext(ctx, x.state, msg);
          return true;
        },
        CODES,
        what,
      );
      must(out === null, `${what}: a report with a mutated public share was accepted`);
      return;
    }
    case 'verifierShares': {
      const list: unknown[] = S.inits.map((x) => x.verifierShare);
      if (s.at < 2) list[s.at] = s.value;
      acceptOrReject(() => vdaf.verifierSharesToMessage(ctx, (s.at === 2 ? s.value : list) as Uint8Array[]), CODES, what);
      return;
    }
    case 'state': {
      const state = s.field === 'whole' ? s.value : { ...(S.inits[0] as Setup['inits'][number]).state, [s.field]: s.value };
      acceptOrReject(() => vdaf.verifyNext(ctx, state as never, S.message), CODES, what);
      return;
    }
    case 'aggUpdate':
      acceptOrReject(() => vdaf.aggUpdate(vdaf.aggInit(), s.value as never), CODES, what);
      acceptOrReject(() => vdaf.aggUpdate(s.value as never, vdaf.aggInit()), CODES, what);
      return;
    case 'aggregate':
    case 'merge':
      acceptOrReject(() => vdaf[s.kind as 'aggregate']((Array.isArray(s.value) ? s.value : [vdaf.aggInit(), s.value]) as never), CODES, what);
      acceptOrReject(() => vdaf[s.kind as 'aggregate'](s.value as never), CODES, what);
      return;
    case 'unshard':
      acceptOrReject(() => vdaf.unshard(s.shares as never, s.n as never), CODES, what);
  }
});

const shareDecoders = target(
  'prio3: output and aggregate share decoders on bytes of every length',
  fc.tuple(
    fc.nat({ max: SETUPS.length - 1 }),
    fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      fc.integer({ min: 0, max: 255 }).map((b) => ({ fill: b })),
    ),
    fc.integer({ min: 1, max: 100 }),
  ),
  ([i, bytesOrFill, n]) => {
    const S = SETUPS[i] as Setup;
    // an exact-length share filled with one byte: 0xff makes elements above the modulus
    const bytes = bytesOrFill instanceof Uint8Array ? bytesOrFill : new Uint8Array(S.outLen).fill(bytesOrFill.fill);
    for (const decode of ['decodeAggShare', 'decodeOutShare'] as const) {
      const v = acceptOrReject(() => S.vdaf[decode](bytes), ['decode_failed'], `${S.name} ${decode}`);
      if (v === null) continue;
      must(sameBytes(v.encode(), bytes), `${S.name} ${decode}: a decoded share does not re-encode to itself`);
      // it aggregates like any share of the instance
      S.vdaf.aggUpdate(S.vdaf.aggInit(), v);
      acceptOrReject(() => S.vdaf.unshard([v, bytes], n), ['decode_failed', 'invalid_argument'], `${S.name} unshard`);
    }
  },
);

export const PRIO3_TARGETS: readonly FuzzTarget[] = [steps, shareDecoders];
