/**
 * Fuzz targets of @pinhole/core: the wire envelope, the round report envelope and the exact
 * entries of a trusted curator. Properties: anything malformed is decode_failed on "bytes" (or the
 * field it names), never another error; whatever decodes is a valid value that re-encodes to the
 * same thing; valid values round-trip.
 */
import fc from 'fast-check';
import { type RoundReport, decodeRoundReport, encodeRoundReport } from '@pinhole/core';
import { MAX_REPORT_ENTRIES, REPORT_TYPE, type WireValue, decodeEnvelope, decodeExactBucket, decodeExactValue, encodeEnvelope, encodeExactBucket, encodeExactValue } from '@pinhole/core/wire';
import { type FuzzTarget, acceptOrReject, anything, hasProtoKey, must, mustReject, sameValue, mutate, mutations, target, wireNormalise, wirePayload, wireValue } from './arbitraries.js';

const typeName = fc.oneof(fc.constantFrom('pinhole/report', 'ldp/grr', 'secagg/masked', 't'), fc.string({ minLength: 1, maxLength: 20 }));

const envelopeRoundTrip = target('core: envelope round trip', fc.tuple(typeName, wireValue), ([type, payload]) => {
  if (hasProtoKey(payload)) {
    mustReject(() => encodeEnvelope(type, payload), ['invalid_argument'], 'encodeEnvelope with a __proto__ key');
    return;
  }
  const bytes = encodeEnvelope(type, payload);
  const out = decodeEnvelope(bytes, { type });
  must(out.type === type && sameValue(out.payload, wireNormalise(payload)), 'a wire value did not round-trip');
});

const someEnvelope = fc.tuple(typeName, wirePayload).map(([t, p]) => encodeEnvelope(t, p));

const envelopeJunk = target(
  'core: envelope decoder on mutated, random, oversized and type-confused input',
  fc.oneof(
    { weight: 6, arbitrary: fc.tuple(someEnvelope, mutations).map(([b, m]) => ({ bytes: mutate(b, m), maxBytes: undefined as number | undefined })) },
    { weight: 2, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ bytes: b, maxBytes: undefined as number | undefined })) },
    { weight: 1, arbitrary: fc.tuple(someEnvelope, fc.integer({ min: 0, max: 64 })).map(([b, n]) => ({ bytes: b, maxBytes: Math.max(0, b.length - 1 - n) })) },
    { weight: 1, arbitrary: anything.map((x) => ({ bytes: x, maxBytes: undefined as number | undefined })) },
  ),
  ({ bytes, maxBytes }) => {
    const out = acceptOrReject(() => decodeEnvelope(bytes as Uint8Array, maxBytes === undefined ? {} : { maxBytes }), ['decode_failed'], 'decodeEnvelope');
    if (out === null) return;
    if (maxBytes !== undefined) throw new Error('decodeEnvelope accepted more bytes than maxBytes');
    // what decodes is a wire value: it re-encodes, and decodes again to the same
    const again = decodeEnvelope(encodeEnvelope(out.type, out.payload), { type: out.type });
    must(sameValue(again.payload, out.payload), 'a decoded payload did not re-encode to itself');
  },
);

const hex32 = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(''));
const ALNUM = [...'ABCXYZabcxyz0189'];
const ID_CHARS = [...ALNUM, '.', '_', '-'];
/** An id of the report's patterns: a letter or digit, then up to max - 1 of letters, digits, ".", "_", "-". */
const idText = (max: number) => fc.tuple(fc.constantFrom(...ALNUM), fc.string({ unit: fc.constantFrom(...ID_CHARS), maxLength: Math.min(max - 1, 12) })).map(([a, b]) => a + b);
const roundReport: fc.Arbitrary<RoundReport> = fc.record({
  planId: idText(64),
  planRevision: fc.integer({ min: 1, max: 2 ** 40 }),
  roundId: idText(128),
  reportId: hex32,
  entries: fc
    .uniqueArray(
      fc.record({
        collection: fc.string({ minLength: 1, maxLength: 64 }),
        group: fc.option(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { nil: undefined }),
        bytes: fc.uint8Array({ minLength: 1, maxLength: 40 }),
      }),
      { minLength: 1, maxLength: 6, selector: (e) => e.collection },
    )
    .map((es) => es.map((e) => (e.group === undefined ? { collection: e.collection, bytes: e.bytes } : { collection: e.collection, group: e.group, bytes: e.bytes }))),
});

/** A report as plain objects (decoded reports are frozen, generated ones may have a null prototype). */
function plainReport(r: RoundReport): unknown {
  return { ...r, entries: r.entries.map((e) => ({ ...e })) };
}

/** Report payloads of the right envelope type and the wrong shape: fields missing, extra, or of another type. */
const confusedReportPayload: fc.Arbitrary<WireValue> = fc.oneof(
  wirePayload,
  fc.record(
    {
      plan: fc.oneof(idText(8), wirePayload),
      revision: fc.oneof(fc.integer({ min: -2, max: 5 }), wirePayload),
      round: fc.oneof(idText(8), wirePayload),
      id: fc.oneof(hex32, wirePayload),
      entries: fc.oneof(wirePayload, fc.array(fc.dictionary(fc.constantFrom('collection', 'group', 'bytes', 'extra'), wirePayload), { maxLength: MAX_REPORT_ENTRIES + 2 })),
      extra: wirePayload,
    },
    { requiredKeys: [] },
  ) as fc.Arbitrary<WireValue>,
);

const roundReports = target(
  'core: round report envelope (round trip, mutated bytes, confused payloads)',
  fc.oneof(
    { weight: 2, arbitrary: roundReport.map((r) => ({ kind: 'valid' as const, r, bytes: encodeRoundReport(r) })) },
    { weight: 5, arbitrary: fc.tuple(roundReport, mutations).map(([r, m]) => ({ kind: 'mutated' as const, r, bytes: mutate(encodeRoundReport(r), m) })) },
    { weight: 3, arbitrary: confusedReportPayload.map((p) => ({ kind: 'confused' as const, r: null, bytes: encodeEnvelope(REPORT_TYPE, p) })) },
  ),
  ({ kind, r, bytes }) => {
    const out = acceptOrReject(() => decodeRoundReport(bytes), ['decode_failed'], 'decodeRoundReport');
    if (kind === 'valid') {
      must(out !== null && r !== null && sameValue(plainReport(out), plainReport(r)), 'a valid report did not round-trip');
      return;
    }
    if (out === null) return;
    // accepted: a valid report (encoding validates it) that round-trips
    must(sameValue(plainReport(decodeRoundReport(encodeRoundReport(out))), plainReport(out)), 'a decoded report did not re-encode to itself');
  },
);

const exactEntries = target(
  'core: exact curator entries',
  fc.oneof(
    fc.tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), mutations, fc.integer({ min: 1, max: 2 ** 31 })).map(([i, m, d]) => ({ bytes: mutate(encodeExactBucket(i), m), d })),
    fc.tuple(fc.double({ noNaN: true, noDefaultInfinity: true }), mutations).map(([v, m]) => ({ bytes: mutate(encodeExactValue(v), m), d: 16 })),
    fc.tuple(wirePayload, fc.constantFrom('central/bucket', 'central/value')).map(([p, t]) => ({ bytes: encodeEnvelope(t, p), d: 1000 })),
  ),
  ({ bytes, d }) => {
    const b = acceptOrReject(() => decodeExactBucket(bytes, d), ['decode_failed'], 'decodeExactBucket');
    if (b !== null) must(Number.isSafeInteger(b) && b >= 0 && b < d, `decoded bucket ${b} outside [0, ${d})`);
    const v = acceptOrReject(() => decodeExactValue(bytes), ['decode_failed'], 'decodeExactValue');
    if (v !== null) must(Number.isFinite(v), 'decoded a non-finite value');
    mustReject(() => decodeExactBucket(bytes.length > 64 ? bytes : Uint8Array.from([...bytes, ...new Uint8Array(65)]), d), ['decode_failed'], 'decodeExactBucket oversized');
  },
);

export const CORE_TARGETS: readonly FuzzTarget[] = [envelopeRoundTrip, envelopeJunk, roundReports, exactEntries];
