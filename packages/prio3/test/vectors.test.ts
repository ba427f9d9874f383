/**
 * The official test vectors of draft-irtf-cfrg-vdaf-20 (test/vectors/, see PROVENANCE.md): every
 * operation each file lists is replayed in order, each output compared byte for byte, and each
 * operation marked `success: false` must be the one that throws (verify_failed), after every
 * earlier one succeeded.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PinholeError } from '@pinhole/core';
import type { OutShare, VerifyState } from '../src/index.js';
import { VECTOR_DIR, hex, loadVector, toHex, vdafFor, vectorFiles, type Operation, type Vector } from './helpers.js';

const files = vectorFiles();

describe('vector files', () => {
  it('match SHA256SUMS, and SHA256SUMS lists exactly the files present', () => {
    const sums = readFileSync(new URL('SHA256SUMS', VECTOR_DIR), 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(/\s+/) as [string, string]);
    expect(sums.map(([, f]) => f).sort()).toEqual(files);
    for (const [sum, f] of sums)
      expect(
        createHash('sha256')
          .update(readFileSync(new URL(f, VECTOR_DIR)))
          .digest('hex'),
        f,
      ).toBe(sum);
  });

  it('cover all four instantiations, 2 and 3 aggregators, and every negative case', () => {
    expect(files).toHaveLength(19);
    for (const kind of ['Prio3Count_', 'Prio3Sum_', 'Prio3SumVec_', 'Prio3Histogram_']) expect(files.some((f) => f.startsWith(kind))).toBe(true);
    expect(files.filter((f) => f.includes('_bad_'))).toHaveLength(8);
  });
});

interface Outcome {
  op: Operation;
  error?: PinholeError;
}

/** Replays the operations of one vector; returns what each did (stops at the first throw). */
function replay(file: string, v: Vector): Outcome[] {
  const vdaf = vdafFor(file, v);
  const ctx = hex(v.ctx);
  const verifyKey = hex(v.verify_key);
  const states = new Map<string, VerifyState>();
  const verifierShares = new Map<string, Uint8Array>();
  const outShares = new Map<string, OutShare>();
  const outcomes: Outcome[] = [];
  for (const op of v.operations) {
    const r = v.reports[op.report_index ?? 0] as Vector['reports'][number];
    const agg = op.aggregator_id ?? 0;
    const key = `${op.report_index}:${agg}`;
    try {
      switch (op.operation) {
        case 'shard': {
          const s = vdaf.shard(ctx, r.measurement, hex(r.nonce), hex(r.rand));
          expect(toHex(s.publicShare), `${file} public share`).toBe(r.public_share);
          expect(s.inputShares.map(toHex), `${file} input shares`).toEqual(r.input_shares);
          break;
        }
        case 'verify_init': {
          const { state, verifierShare } = vdaf.verifyInit(verifyKey, ctx, agg, hex(r.nonce), hex(r.public_share), hex(r.input_shares[agg] as string));
          expect(toHex(verifierShare), `${file} verifier share ${key}`).toBe(r.verifier_shares[0]?.[agg]);
          states.set(key, state);
          verifierShares.set(key, verifierShare);
          break;
        }
        case 'verifier_shares_to_message': {
          const shares = Array.from({ length: v.shares }, (_, j) => verifierShares.get(`${op.report_index}:${j}`) as Uint8Array);
          const message = vdaf.verifierSharesToMessage(ctx, shares);
          expect(toHex(message), `${file} verifier message`).toBe(r.verifier_messages[0]);
          break;
        }
        case 'verify_next': {
          const out = vdaf.verifyNext(ctx, states.get(key) as VerifyState, hex(r.verifier_messages[0] as string));
          expect(toHex(out.encode()), `${file} out share ${key}`).toBe(r.out_shares[agg]);
          outShares.set(key, out);
          break;
        }
        case 'aggregate': {
          const mine = v.reports.map((_, i) => outShares.get(`${i}:${agg}`) as OutShare);
          expect(toHex(vdaf.aggregate(mine).encode()), `${file} agg share ${agg}`).toBe(v.agg_shares[agg]);
          break;
        }
        case 'unshard': {
          const result: unknown = vdaf.unshard(v.agg_shares.map(hex), v.reports.length);
          const expected = v.agg_result;
          const normalise = (x: unknown): unknown => (Array.isArray(x) ? x.map(normalise) : typeof x === 'bigint' ? Number(x) : x);
          expect(normalise(result), `${file} aggregate result`).toEqual(expected);
          break;
        }
      }
      outcomes.push({ op });
    } catch (e) {
      if (!(e instanceof PinholeError)) throw e;
      outcomes.push({ op, error: e });
      break;
    }
  }
  return outcomes;
}

describe.each(files.filter((f) => !f.includes('_bad_')))('%s', (file) => {
  it('every operation succeeds and reproduces the vector byte for byte', () => {
    const v = loadVector(file);
    expect(v.operations.every((o) => o.success)).toBe(true);
    const outcomes = replay(file, v);
    expect(outcomes.map((o) => o.error?.message)).toEqual(v.operations.map(() => undefined));
  });
});

/** The step at which each negative vector must fail, independently of the file's own markings. */
const EXPECTED_FAILURE: Record<string, { operation: Operation['operation']; param: string }> = {
  'Prio3Count_bad_gadget_poly.json': { operation: 'verifier_shares_to_message', param: 'verifierShares' },
  'Prio3Count_bad_helper_seed.json': { operation: 'verifier_shares_to_message', param: 'verifierShares' },
  'Prio3Count_bad_meas_share.json': { operation: 'verifier_shares_to_message', param: 'verifierShares' },
  'Prio3Count_bad_wire_seed.json': { operation: 'verifier_shares_to_message', param: 'verifierShares' },
  'Prio3Histogram_bad_helper_jr_blind.json': { operation: 'verifier_shares_to_message', param: 'verifierShares' },
  'Prio3Histogram_bad_leader_jr_blind.json': { operation: 'verifier_shares_to_message', param: 'verifierShares' },
  'Prio3Histogram_bad_public_share.json': { operation: 'verifier_shares_to_message', param: 'verifierShares' },
  'Prio3Histogram_bad_verifier_message.json': { operation: 'verify_next', param: 'verifierMessage' },
};

describe.each(files.filter((f) => f.includes('_bad_')))('%s', (file) => {
  it('is rejected at exactly the failing step, after every earlier step succeeded', () => {
    const v = loadVector(file);
    const failing = v.operations.filter((o) => !o.success);
    expect(failing).toHaveLength(1);
    expect(v.operations.at(-1)).toBe(failing[0]);
    expect(failing[0]?.operation).toBe(EXPECTED_FAILURE[file]?.operation);

    const outcomes = replay(file, v);
    expect(outcomes).toHaveLength(v.operations.length);
    outcomes.slice(0, -1).forEach((o) => expect(o.error, `${o.op.operation} must succeed`).toBeUndefined());
    const last = outcomes.at(-1) as Outcome;
    expect(last.op.operation).toBe(EXPECTED_FAILURE[file]?.operation);
    expect(last.error).toBeInstanceOf(PinholeError);
    expect(last.error).toMatchObject({ code: 'verify_failed', param: EXPECTED_FAILURE[file]?.param });
  });
});
