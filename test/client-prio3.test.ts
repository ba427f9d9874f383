/**
 * `@pinhole/client/prio3`: what a device sends to each of two aggregators. The entry bundles for
 * browsers with nothing node-only; the two envelopes decode at each aggregator's engine, verify
 * with the draft's Prio3 and sum to the device's measurement; bad inputs are refused naming the
 * rule, never the value.
 */
import { describe, expect, it } from 'vitest';
import { makePlan, makeReleaseEngine } from '@pinhole/aggregator';
import { PinholeError, decodeRoundReport } from '@pinhole/core';
import { seededRng } from '@pinhole/core/seeded';
import { HELPER_ID, LEADER_ID, combineAggShares, decodePrio3Entry, generateVerifyKey, prio3Context, prio3Nonce, prio3Vdaf } from '@pinhole/prio3';
import { prio3Report } from '@pinhole/client/prio3';
// @ts-expect-error the bundling script is plain JavaScript
import { bundle } from '../packages/client/scripts/bundle.mjs';

const DOMAINS = { operators: ['460-00', '460-01'], regions: ['north', 'south'], cells: ['n1', 's1'] };
const plan = makePlan({ id: 'client-prio3', insights: ['network-type-share', 'rtt-mean'], domains: DOMAINS, budget: { epsilon: 2, delta: 1e-6 }, mode: 'prio3', expectedDevices: 1000 });

describe('@pinhole/client/prio3', () => {
  it('bundles for the browser with nothing node-only and no seeded randomness', async () => {
    const { code, metafile } = (await bundle("export { prio3Report, uploadPrio3 } from '@pinhole/client/prio3';")) as {
      code: Uint8Array;
      metafile: { inputs: Record<string, { imports: { path: string; external?: boolean }[] }> };
    };
    const inputs = Object.keys(metafile.inputs);
    expect(Object.values(metafile.inputs).flatMap((i) => i.imports.filter((x) => x.external))).toEqual([]);
    expect(inputs.filter((f) => /@tensorflow|seedrandom|core\/src\/testing|node:/.test(f))).toEqual([]);
    expect(inputs.some((f) => f.includes('packages/prio3/src/prio3.ts'))).toBe(true);
    expect(new TextDecoder().decode(code)).not.toMatch(/Math\.random/);
  }, 60_000);

  it("the leader's and the helper's envelopes verify and sum to the device's measurement", () => {
    const rng = seededRng('client-prio3');
    const r = prio3Report(plan, {
      roundId: 'client-prio3.p0.r1',
      contributor: 'ab'.repeat(16),
      inputs: { 'network-type-by-region': { bucket: 7 }, 'rtt-by-operator': { group: 1, value: 125 } },
      rng,
      allowInsecureRng: true,
    });
    const leaderEngine = makeReleaseEngine(plan);
    const helperEngine = makeReleaseEngine(plan, { prio3AggregatorId: 1 });
    const l = leaderEngine.decodeReport(r.leader);
    const h = helperEngine.decodeReport(r.helper);
    expect(l.report.reportId).toBe(r.reportId);
    expect(h.report.reportId).toBe(r.reportId);
    expect(h.report.contributor).toBe('ab'.repeat(16));
    const key = generateVerifyKey();
    const sums = plan.collections.map((c, i) => {
      const vdaf = prio3Vdaf(c);
      const ctx = prio3Context(plan, c.id);
      const nonce = prio3Nonce(r.reportId);
      const le = l.entries[i]!.report as { publicShare: Uint8Array; inputShare: Uint8Array };
      const he = h.entries[i]!.report as { publicShare: Uint8Array; inputShare: Uint8Array };
      const a = vdaf.verifyInit(key, ctx, LEADER_ID, nonce, le.publicShare, le.inputShare);
      const b = vdaf.verifyInit(key, ctx, HELPER_ID, nonce, he.publicShare, he.inputShare);
      const msg = vdaf.verifierSharesToMessage(ctx, [a.verifierShare, b.verifierShare]);
      return combineAggShares(vdaf, [vdaf.verifyNext(ctx, a.state, msg), vdaf.verifyNext(ctx, b.state, msg)]);
    });
    const hist = Array.from(sums[0]!);
    expect(hist.reduce((x, y) => x + y, 0)).toBe(1);
    expect(hist[7]).toBe(1);
    // the mean: 125 ms on [0, 500] at grid 1024 is 256 exactly, in operator 1's slots [r, grid - r]
    expect(Array.from(sums[1]!)).toEqual([0, 0, 256, 1024 - 256]);
  });

  it('a share of another aggregator does not decode as this one’s', () => {
    const r = prio3Report(plan, {
      roundId: 'client-prio3.p0.r1',
      inputs: { 'network-type-by-region': { bucket: 0 }, 'rtt-by-operator': { group: 0, value: 1 } },
      rng: seededRng('x'),
      allowInsecureRng: true,
    });
    const entry = decodeRoundReport(r.helper).entries[0]!;
    expect(() => decodePrio3Entry(prio3Vdaf(plan.collections[0]!), LEADER_ID, entry.bytes)).toThrow(PinholeError);
    expect(() => makeReleaseEngine(plan).decodeReport(r.helper)).toThrow(/input share of \d+ bytes for aggregator 0/);
  });

  it('refuses bad inputs naming the rule, never the value, and a seeded rng without allowInsecureRng', () => {
    const go =
      (inputs: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      () =>
        prio3Report(plan, { roundId: 'r1', inputs: inputs as never, rng: seededRng('y'), allowInsecureRng: true, ...extra });
    const ok = { 'network-type-by-region': { bucket: 0 }, 'rtt-by-operator': { group: 0, value: 1 } };
    for (const bucket of [-1, 99, 1.5, NaN, '3']) {
      const err = (() => {
        try {
          go({ ...ok, 'network-type-by-region': { bucket } })();
        } catch (e) {
          return e as PinholeError;
        }
        return null;
      })();
      expect(err?.code).toBe('invalid_argument');
      expect(err?.param).toBe('input.bucket');
      expect(err?.message).not.toContain(String(bucket));
    }
    expect(go({ ...ok, 'rtt-by-operator': { group: 2, value: 1 } })).toThrow(/input\.group/);
    expect(go({ ...ok, 'rtt-by-operator': { group: 0, value: Infinity } })).toThrow(/input\.value/);
    expect(go({ 'network-type-by-region': { bucket: 0 } })).toThrow(/params\.inputs\.rtt-by-operator/);
    expect(() => prio3Report(plan, { roundId: 'r1', inputs: ok, rng: seededRng('z') })).toThrow(expect.objectContaining({ code: 'insecure_rng' }));
    const ldpPlan = makePlan({ id: 'ldp', insights: ['rtt-mean'], domains: DOMAINS, budget: { epsilon: 1, delta: 0 }, mode: 'ldp', expectedDevices: 100 });
    expect(() => prio3Report(ldpPlan, { roundId: 'r1', inputs: ok })).toThrow(/prio3 collections/);
  });
});
