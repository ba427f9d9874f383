/**
 * Malformed, replayed, duplicated, out-of-phase and foreign messages are refused with
 * protocol_violation, on both sides, and the round still completes with the exact sum afterwards.
 */
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, type WireValue } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import { Harness, config, failure, plainSum, randomInputs } from './helpers.js';

function payloadOf(bytes: Uint8Array): Record<string, WireValue> {
  return decodeEnvelope(bytes).payload as Record<string, WireValue>;
}
function retype(bytes: Uint8Array, type: string, change: Record<string, WireValue> = {}): Uint8Array {
  return encodeEnvelope(type, { ...payloadOf(bytes), ...change });
}

const garbage = seededRng('garbage').bytes(200);

describe('the server refuses bad messages and stays usable', () => {
  it('in every phase, then completes the round exactly', async () => {
    const cfg = config({ roundId: 'main', cohortSize: 6, threshold: 4, bits: 20, vectorLength: 5 });
    const h = new Harness(cfg, 'main');
    const other = new Harness(config({ roundId: 'other', cohortSize: 6, threshold: 4, bits: 20, vectorLength: 5 }), 'other');
    const inputs = randomInputs('viol', 6, 5, 20, 1000);
    const s = h.server;
    const senderOf = (bytes: unknown): number => {
      try {
        const id = payloadOf(bytes as Uint8Array).id;
        return typeof id === 'number' && Number.isInteger(id) && id >= 1 && id <= 6 ? id : 1;
      } catch {
        return 1;
      }
    };
    const expectViolation = async (bytes: unknown, param: string | RegExp) => {
      const err = await failure(() => s.receive(bytes as Uint8Array, senderOf(bytes)));
      expect(err.code).toBe('protocol_violation');
      if (typeof param === 'string') expect(err.param).toBe(param);
      else expect(err.param).toMatch(param);
    };
    const common = async (genuine: Uint8Array) => {
      await expectViolation(garbage, 'bytes');
      await expectViolation(genuine.subarray(0, genuine.length - 3), 'bytes');
      await expectViolation(new Uint8Array(0), 'bytes');
      await expectViolation('not bytes', 'bytes');
      await expectViolation(null, 'bytes');
      await expectViolation(encodeEnvelope('secagg/unknown', { round: 'main', id: 1 }), 'bytes');
      await expectViolation(encodeEnvelope('secagg/keys', { round: 'main', to: 1 }), 'bytes'); // a server message
      await expectViolation(retype(genuine, decodeEnvelope(genuine).type, { id: 99 }), 'id');
      await expectViolation(retype(genuine, decodeEnvelope(genuine).type, { id: 1.5 }), 'id');
      await expectViolation(encodeEnvelope(decodeEnvelope(genuine).type, [1, 2] as WireValue), 'payload');
    };

    // AdvertiseKeys
    await other.advertise();
    await h.advertise([1, 2, 3, 4, 5, 6]);
    await common(h.sent.get(1) as Uint8Array);
    await expectViolation(h.sent.get(1), 'id'); // duplicate
    await expectViolation(other.sent.get(1), 'round'); // replay from another round
    await expectViolation(retype(h.sent.get(2) as Uint8Array, 'secagg/advertise', { id: 2 }), 'id');
    // The authenticated sender must be the id the message names; a refused impostor changes nothing.
    expect(await failure(() => s.receive(other.sent.get(3) as Uint8Array, 4))).toMatchObject({ code: 'protocol_violation', param: 'round' });
    const keys = h.closeAdvertise();
    await expectViolation(h.sent.get(3), 'message'); // AdvertiseKeys is over: out of phase

    // ShareKeys
    await h.share(keys, [1, 2, 3, 4, 5]);
    await common(h.sent.get(1) as Uint8Array);
    await expectViolation(h.sent.get(1), 'id');
    await expectViolation(retype(h.sent.get(1) as Uint8Array, 'secagg/shares', { id: 6, to: Uint32Array.from([1, 2, 3, 4, 5]), ct: new Uint8Array(100) }), 'ct'); // right list, wrong size
    await expectViolation(retype(h.sent.get(1) as Uint8Array, 'secagg/shares', { id: 6 }), 'to'); // 6 must not send to itself
    await expectViolation(retype(h.sent.get(1) as Uint8Array, 'secagg/shares', { id: 6, to: Uint32Array.from([1, 1, 2, 3, 4]) }), 'to[1]');
    await h.share(keys, [6]);
    const inboxes = s.closeShareKeys();

    // MaskedInputCollection
    await h.mask(inboxes, inputs, [1, 2, 3, 4, 5]); // 6 goes silent: it will be a dropped client
    await common(h.sent.get(1) as Uint8Array);
    await expectViolation(h.sent.get(2), 'id');
    await expectViolation(retype(h.sent.get(2) as Uint8Array, 'secagg/masked', { id: 6, y: new Uint32Array(4) }), 'y');
    await expectViolation(retype(h.sent.get(2) as Uint8Array, 'secagg/masked', { id: 6, y: Uint32Array.from([0, 0, 2 ** 20, 0, 0]) }), 'y[2]');
    await expectViolation(retype(h.sent.get(2) as Uint8Array, 'secagg/masked', { id: 6, y: [0, 0, 0, 0, 0] }), 'y');
    const survivors = s.closeMaskedInputCollection();
    await expectViolation(retype(h.sent.get(2) as Uint8Array, 'secagg/masked', { id: 6 }), 'message'); // late masked input

    // ConsistencyCheck
    await h.check(survivors, [1, 2, 3, 4]);
    await common(h.sent.get(1) as Uint8Array);
    await expectViolation(h.sent.get(1), 'id');
    await expectViolation(retype(h.sent.get(1) as Uint8Array, 'secagg/ack', { id: 6 }), 'id'); // 6 is not a survivor
    await h.check(survivors, [5]);
    const requests = s.closeConsistencyCheck();

    // Unmasking
    await h.unmask(requests, [1, 2, 3]);
    await common(h.sent.get(1) as Uint8Array);
    await expectViolation(h.sent.get(1), 'id');
    await expectViolation(retype(h.sent.get(1) as Uint8Array, 'secagg/unmask', { id: 4, keyOf: Uint32Array.from([]) }), 'keyOf');
    await expectViolation(retype(h.sent.get(1) as Uint8Array, 'secagg/unmask', { id: 4, selfMaskOf: Uint32Array.from([1, 2, 3]) }), 'selfMaskOf');
    const genuine4 = payloadOf(await h.client(4).unmask(requests.get(4) as Uint8Array));
    await expectViolation(encodeEnvelope('secagg/unmask', { ...genuine4, keyShares: new Uint32Array(11).fill(2 ** 27) }), 'keyShares[0]');
    await expectViolation(encodeEnvelope('secagg/unmask', { ...genuine4, keyShares: new Uint32Array(3) }), 'keyShares');
    await s.receive(encodeEnvelope('secagg/unmask', genuine4), 4);
    await expect(s.closeUnmasking()).resolves.toBeDefined();
    expect(s.phase).toBe('done');
  });

  it('the sum after all that refusing is exact', async () => {
    // Same scenario without the noise: the refused messages left nothing behind.
    const cfg = config({ roundId: 'clean', cohortSize: 6, threshold: 4, bits: 20, vectorLength: 5 });
    const h = new Harness(cfg, 'clean');
    const inputs = randomInputs('viol', 6, 5, 20, 1000);
    await h.advertise();
    await expect(failure(() => h.server.receive(garbage, 1))).resolves.toMatchObject({ code: 'protocol_violation' });
    await h.share(h.closeAdvertise());
    await expect(failure(() => h.server.receive(h.sent.get(1) as Uint8Array, 1))).resolves.toMatchObject({ code: 'protocol_violation', param: 'id' });
    await h.mask(h.server.closeShareKeys(), inputs, [1, 2, 3, 4, 5]);
    await expect(failure(() => h.server.receive(h.sent.get(5) as Uint8Array, 5))).resolves.toMatchObject({ code: 'protocol_violation', param: 'id' });
    await h.check(h.server.closeMaskedInputCollection());
    await h.unmask(h.server.closeConsistencyCheck());
    const r = await h.server.closeUnmasking();
    expect(Array.from(r.sum)).toEqual(Array.from(plainSum(inputs, 20, [1, 2, 3, 4, 5])));
  });

  it('close calls in the wrong phase are invalid_state and change nothing', async () => {
    const h = new Harness(config({ roundId: 'close', cohortSize: 4, threshold: 3 }), 'close');
    for (const f of [() => h.server.closeShareKeys(), () => h.server.closeMaskedInputCollection(), () => h.server.closeConsistencyCheck(), () => h.server.closeUnmasking()]) {
      expect(await failure(f)).toMatchObject({ code: 'invalid_state', param: 'phase' });
    }
    expect(h.server.phase).toBe('advertise');
  });
});

describe('the client refuses bad server messages and stays usable', () => {
  it('in every phase, then completes the round exactly', async () => {
    const cfg = config({ roundId: 'main', cohortSize: 5, threshold: 3, bits: 16, vectorLength: 3 });
    const h = new Harness(cfg, 'client-side');
    const other = new Harness(config({ roundId: 'other', cohortSize: 5, threshold: 3, bits: 16, vectorLength: 3 }), 'other');
    const inputs = randomInputs('client-side', 5, 3, 16, 100);
    const c1 = h.client(1);
    const refuse = async (f: () => Promise<unknown>, param: string | RegExp) => {
      const phase = c1.phase;
      const err = await failure(f);
      expect(err.code).toBe('protocol_violation');
      if (typeof param === 'string') expect(err.param).toBe(param);
      else expect(err.param).toMatch(param);
      expect(c1.phase).toBe(phase);
    };
    // Out of phase: every method but advertiseKeys before AdvertiseKeys.
    await refuse(() => c1.shareKeys(garbage, garbage), 'phase');
    await refuse(() => c1.maskInput(garbage, inputs[0] as Uint32Array), 'phase');
    await refuse(() => c1.consistencyCheck(garbage), 'phase');
    await refuse(() => c1.unmask(garbage), 'phase');
    await h.advertise();
    await other.advertise();
    await refuse(() => c1.advertiseKeys(), 'phase');
    const keys = h.closeAdvertise();
    const roster = h.roster;
    const otherKeys = other.closeAdvertise();
    const k1 = keys.get(1) as Uint8Array;
    const p = payloadOf(k1);
    /** k1 with only the holders at `keep` (indices into its lists), every parallel list cut alike */
    const subset = (keep: number[]): Uint8Array => {
      const cut = (name: string, size: number) => {
        const a = p[name] as Uint8Array;
        const out = new Uint8Array(keep.length * size);
        keep.forEach((i, j) => out.set(a.subarray(i * size, (i + 1) * size), j * size));
        return out;
      };
      return retype(k1, 'secagg/keys', {
        ids: Uint32Array.from(keep, (i) => (p.ids as Uint32Array)[i] as number),
        identities: keep.map((i) => (p.identities as string[])[i] as string),
        vks: cut('vks', 32),
        cPks: cut('cPks', 32),
        sPks: cut('sPks', 32),
        commitments: cut('commitments', 32),
        sigs: cut('sigs', 64),
      });
    };
    await refuse(() => c1.shareKeys(roster, garbage), 'bytes');
    await refuse(() => c1.shareKeys(garbage, k1), 'bytes');
    await refuse(() => c1.shareKeys(roster, k1.subarray(0, 40)), 'bytes');
    await refuse(() => c1.shareKeys(roster, otherKeys.get(1) as Uint8Array), 'round');
    await refuse(() => c1.shareKeys(other.roster, k1), 'round');
    await refuse(() => c1.shareKeys(k1, k1), 'message');
    await refuse(() => c1.shareKeys(roster, keys.get(2) as Uint8Array), 'to');
    await refuse(() => c1.shareKeys(roster, retype(k1, 'secagg/inbox')), 'message');
    await refuse(() => c1.shareKeys(roster, retype(k1, 'secagg/advertise')), 'bytes'); // a client message
    const r = payloadOf(roster);
    const noSelf = retype(roster, 'secagg/roster', { advertised: (r.advertised as Uint32Array).slice(1), digests: (r.digests as Uint8Array).slice(32) });
    await refuse(() => c1.shareKeys(noSelf, k1), 'digests');
    await refuse(() => c1.shareKeys(roster, subset([1, 2, 3, 4])), 'ids');
    await refuse(() => c1.shareKeys(roster, retype(k1, 'secagg/keys', { sPks: (p.sPks as Uint8Array).slice(0, 64) })), 'sPks');
    await refuse(() => c1.shareKeys(roster, retype(k1, 'secagg/keys', { identities: ['device-1', 'device-2', 'device-2', 'device-4', 'device-5'] })), 'identities[2]');
    await refuse(() => c1.shareKeys(roster, retype(k1, 'secagg/keys', { identities: ['device-1', 'device-2', 'no spaces', 'device-4', 'device-5'] })), 'identities[2]');
    const dupKeys = Uint8Array.from(p.cPks as Uint8Array);
    dupKeys.set(dupKeys.subarray(32, 64), 64);
    await refuse(() => c1.shareKeys(roster, retype(k1, 'secagg/keys', { cPks: dupKeys })), 'ids[2]');
    const smallOrder = Uint8Array.from(p.sPks as Uint8Array);
    smallOrder.fill(0, 64, 96);
    await refuse(() => c1.shareKeys(roster, retype(k1, 'secagg/keys', { sPks: smallOrder })), 'ids[2]');
    // Any changed byte of an advertisement breaks its roster digest, before the signature is checked.
    const changed = Uint8Array.from(p.commitments as Uint8Array);
    changed[70] = (changed[70] as number) ^ 1;
    await refuse(() => c1.shareKeys(roster, retype(k1, 'secagg/keys', { commitments: changed })), 'ids[2]');
    await refuse(() => c1.shareKeys(roster, subset([0, 1])), 'ids');
    await h.share(keys);
    const inboxes = h.server.closeShareKeys();
    const i1 = inboxes.get(1) as Uint8Array;
    const ip = payloadOf(i1);
    await refuse(() => c1.maskInput(keys.get(1) as Uint8Array, inputs[0] as Uint32Array), 'message'); // replayed keys message
    await refuse(() => c1.shareKeys(roster, k1), 'phase'); // replayed after the phase
    await refuse(() => c1.maskInput(inboxes.get(2) as Uint8Array, inputs[0] as Uint32Array), 'to');
    await refuse(() => c1.maskInput(retype(i1, 'secagg/inbox', { ct: (ip.ct as Uint8Array).slice(1) }), inputs[0] as Uint32Array), 'ct');
    await refuse(() => c1.maskInput(retype(i1, 'secagg/inbox', { from: Uint32Array.from([2]), ct: (ip.ct as Uint8Array).slice(0, 112) }), inputs[0] as Uint32Array), 'from');
    await refuse(() => c1.maskInput(retype(i1, 'secagg/inbox', { from: Uint32Array.from([3, 2, 4, 5]) }), inputs[0] as Uint32Array), 'from[1]');
    const badInput = await failure(() => c1.maskInput(i1, [1, 2]));
    expect(badInput).toMatchObject({ code: 'invalid_argument', param: 'input' });
    await h.mask(inboxes, inputs);
    const survivors = h.server.closeMaskedInputCollection();
    const s1 = survivors.get(1) as Uint8Array;
    await refuse(() => c1.consistencyCheck(inboxes.get(1) as Uint8Array), 'message');
    // bitmaps over ids 1..5: bit (id - 1)
    await refuse(() => c1.consistencyCheck(retype(s1, 'secagg/survivors', { survivors: Uint8Array.from([0b11110]) })), 'survivors'); // without itself
    await refuse(() => c1.consistencyCheck(retype(s1, 'secagg/survivors', { survivors: Uint8Array.from([0b00011]) })), 'survivors'); // below t
    await refuse(() => c1.consistencyCheck(retype(s1, 'secagg/survivors', { survivors: Uint8Array.from([0b100111]) })), 'survivors'); // id 6 of 5
    await refuse(() => c1.consistencyCheck(retype(s1, 'secagg/survivors', { survivors: Uint8Array.from([0b111, 0]) })), 'survivors'); // wrong length
    await refuse(() => c1.consistencyCheck(retype(s1, 'secagg/survivors', { survivors: [1, 2, 3] })), 'survivors');
    await h.check(survivors);
    const requests = h.server.closeConsistencyCheck();
    const r1 = requests.get(1) as Uint8Array;
    await refuse(() => c1.unmask(survivors.get(1) as Uint8Array), 'message');
    const rp = payloadOf(r1);
    await refuse(() => c1.unmask(retype(r1, 'secagg/unmask-request', { signers: Uint32Array.from([1, 2]), sigs: (rp.sigs as Uint8Array).slice(0, 128) })), 'signers');
    await refuse(() => c1.unmask(retype(r1, 'secagg/unmask-request', { sigs: (rp.sigs as Uint8Array).slice(1) })), 'sigs');
    await refuse(() => c1.unmask(retype(r1, 'secagg/unmask-request', { to: 2 })), 'to');
    await h.unmask(requests);
    const result = await h.server.closeUnmasking();
    expect(Array.from(result.sum)).toEqual(Array.from(plainSum(inputs, 16)));
    await refuse(() => c1.unmask(r1), 'phase'); // a replayed request after the round
  });

  it('a tampered share ciphertext is refused when it arrives, and the genuine inbox still completes the round', async () => {
    // (the fuzz found the client taking a tampered ciphertext at maskInput, then unable ever to unmask)
    const h = new Harness(config({ roundId: 'tamper', cohortSize: 4, threshold: 3, bits: 8, vectorLength: 2 }), 'tamper');
    const inputs = randomInputs('tamper', 4, 2, 8);
    await h.advertise();
    await h.share(h.closeAdvertise());
    const inboxes = h.server.closeShareKeys();
    const genuine = inboxes.get(1) as Uint8Array;
    const p = payloadOf(genuine);
    const ct = Uint8Array.from(p.ct as Uint8Array);
    ct[ct.length - 5] = (ct[ct.length - 5] as number) ^ 1; // the last sender's ciphertext
    expect(await failure(() => h.client(1).maskInput(encodeEnvelope('secagg/inbox', { ...p, ct }), inputs[0] as Uint32Array))).toMatchObject({ code: 'protocol_violation', param: 'ct' });
    // a ciphertext moved to another sender's slot decrypts under no channel key of that sender
    const swapped = Uint8Array.from([...ct.subarray(ct.length / 3, (2 * ct.length) / 3), ...ct.subarray(0, ct.length / 3), ...ct.subarray((2 * ct.length) / 3)]);
    expect(await failure(() => h.client(1).maskInput(encodeEnvelope('secagg/inbox', { ...p, ct: swapped }), inputs[0] as Uint32Array))).toMatchObject({ code: 'protocol_violation', param: 'ct' });
    expect(h.client(1).phase).toBe('masked');
    await h.mask(inboxes, inputs);
    await h.check(h.server.closeMaskedInputCollection());
    await h.unmask(h.server.closeConsistencyCheck());
    expect(Array.from((await h.server.closeUnmasking()).sum)).toEqual(Array.from(plainSum(inputs, 8)));
  });

  it('an unmask request with any bad signature is refused, even beyond the t the check needs', async () => {
    // (the fuzz found a request accepted with a corrupt fourth or fifth signature: only the first t were verified)
    const h = new Harness(config({ roundId: 'sigs', cohortSize: 5, threshold: 3, bits: 8, vectorLength: 2 }), 'sigs');
    const inputs = randomInputs('sigs', 5, 2, 8);
    await h.advertise();
    await h.share(h.closeAdvertise());
    await h.mask(h.server.closeShareKeys(), inputs);
    await h.check(h.server.closeMaskedInputCollection());
    const requests = h.server.closeConsistencyCheck();
    const genuine = requests.get(1) as Uint8Array;
    const p = payloadOf(genuine);
    expect(Array.from(p.signers as Uint32Array)).toEqual([1, 2, 3, 4, 5]);
    for (const i of [0, 3, 4]) {
      const sigs = Uint8Array.from(p.sigs as Uint8Array);
      sigs[64 * i + 10] = (sigs[64 * i + 10] as number) ^ 1;
      expect(await failure(() => h.client(1).unmask(encodeEnvelope('secagg/unmask-request', { ...p, sigs })))).toMatchObject({ code: 'verify_failed', param: `sigs[${i}]` });
    }
    expect(h.client(1).phase).toBe('unmask');
    await h.unmask(requests);
    expect(Array.from((await h.server.closeUnmasking()).sum)).toEqual(Array.from(plainSum(inputs, 8)));
  });
});
