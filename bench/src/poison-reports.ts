/**
 * The attackers' crafted reports (see poison.ts): the oracle report and the numeric report that
 * move the target the most among those the release engine decodes, and whether Prio3 rejects a
 * tampered measurement with a proof made for it.
 */
import { type CollectionEngine } from '@pinhole/aggregator';
import { deviceMechanism } from '@pinhole/client';
import { type WireValue, encodeEnvelope } from '@pinhole/core/wire';
import { seededRng } from '@pinhole/core/seeded';
import type { AnyFrequencyOracle, DeviceNumericMechanism, NumericMechanism } from '@pinhole/ldp';
import { type Prio3CollectionVdaf, LEADER_ID, HELPER_ID, Prio3, prio3Context, prio3Vdaf } from '@pinhole/prio3';
import { supports } from './audit-mechanisms.js';

/** The attackers' report entry bytes, decoded by the engine (null when the engine refuses them). */
export function accepted(c: CollectionEngine, bytes: Uint8Array, group?: number): unknown {
  try {
    return c.decodeEntry(group === undefined ? { collection: c.id, bytes } : { collection: c.id, group, bytes }).report;
  } catch {
    return null;
  }
}

function packed(d: number, bits: readonly number[]): Uint8Array {
  const out = new Uint8Array(Math.ceil(d / 8));
  for (const b of bits) out[b >>> 3] = (out[b >>> 3] as number) | (1 << (b & 7));
  return out;
}

/**
 * The oracle report that moves bucket `target` up against `other` the most, among candidates that
 * the engine decodes: gain = supports(target) - supports(other).
 */
export function craftOracleReport(c: CollectionEngine, target: number, other: number): { report: unknown; words: string } {
  const oracle = c.oracle as AnyFrequencyOracle;
  const d = oracle.domainSize;
  const type = `ldp/${oracle.name}`;
  const candidates: WireValue[] = [];
  switch (oracle.name) {
    case 'grr':
      candidates.push(target);
      break;
    case 'hadamard-response':
    case 'hadamard-one-bit':
      for (let y = 0; y < oracle.vectorLength * (oracle.name === 'hadamard-one-bit' ? 2 : 1); y++) candidates.push(y);
      break;
    case 'sue':
    case 'oue':
      candidates.push(packed(d, [target]));
      break;
    case 'subset-selection': {
      const k = (oracle as unknown as { k: number }).k;
      const extra: number[] = [];
      for (let v = 0; v < d && extra.length < k - 1; v++) if (v !== target && v !== other) extra.push(v);
      candidates.push(packed(d, [target, ...extra]));
      break;
    }
    case 'blh':
    case 'olh': {
      const g = (oracle as unknown as { g: number }).g;
      const rng = seededRng('poison/seed-search');
      for (let i = 0; i < 4096; i++) {
        const a = rng.u32();
        const b = rng.u32();
        const h = ((Math.imul(a, target) + b) >>> 0) >>> 16;
        candidates.push([a, b, (h * g) >>> 16]);
      }
      break;
    }
  }
  let best: unknown = null;
  let bestGain = -Infinity;
  for (const p of candidates) {
    const r = accepted(c, encodeEnvelope(type, p));
    if (r === null) continue;
    const gain = (supports(oracle, r, target) ? 1 : 0) - (supports(oracle, r, other) ? 1 : 0);
    if (gain > bestGain) {
      bestGain = gain;
      best = r;
      if (gain === 1) break;
    }
  }
  if (best === null) throw new Error(`no crafted ${oracle.name} report decodes`);
  const words: Record<string, string> = {
    grr: 'the target bucket',
    'hadamard-response': 'an output in C_target outside C_other',
    'hadamard-one-bit': "a row where the target and the other bucket differ, with the target's bit",
    sue: 'the target bit alone',
    oue: 'the target bit alone',
    'subset-selection': 'the target bit and k - 1 bits outside the group (decoding demands exactly k)',
    blh: 'a hash seed under which only the target hashes to y',
    olh: 'a hash seed under which only the target hashes to y',
  };
  return { report: best, words: `${words[oracle.name]}${bestGain < 1 ? ' (the best that decodes supports the other bucket too)' : ''}` };
}

/**
 * The numeric report with the largest unbiased value that the engine decodes: the top of the
 * output range, serialised by the mechanism's own encoder (its wire payload differs from the value
 * for Duchi), else the largest lattice point of many honest reports of t = 1.
 */
export function craftNumericReport(c: CollectionEngine, group: number): { report: number; value: number; words: string } {
  const m = c.numeric as NumericMechanism;
  const tryValue = (x: number): number | null => {
    let bytes: Uint8Array;
    try {
      bytes = m.encodeReport(x);
    } catch {
      return null;
    }
    const r = accepted(c, bytes, group);
    return typeof r === 'number' ? r : null;
  };
  const top = tryValue(m.outputRange[1]);
  if (top !== null) return { report: top, value: m.unbias(top), words: `the top of the output range (${top.toPrecision(4)})` };
  const rng = seededRng('poison/numeric');
  const device = deviceMechanism(c.plan, { allowInsecureRng: true }) as DeviceNumericMechanism;
  let best = -Infinity;
  for (let i = 0; i < 20_000; i++) best = Math.max(best, device.perturb(1, rng));
  const r = tryValue(best);
  if (r === null) throw new Error(`no crafted ${m.name} report decodes`);
  return { report: r, value: m.unbias(r), words: `the largest lattice point seen from t = 1 (${r.toPrecision(4)}; the range top ${m.outputRange[1].toPrecision(4)} is not a report)` };
}

/**
 * Whether the VDAF rejects a report whose encoded measurement was tampered with after encoding and
 * whose proof was made for the tampered encoding (what a malicious phone can send): the report is
 * sharded with a copy of the circuit whose `encode` tampers, then verified by both aggregators.
 */
export function prio3Rejects(c: CollectionEngine, measurement: unknown, tamper: (encoded: Uint32Array, vdaf: Prio3CollectionVdaf) => void): boolean {
  const vdaf = prio3Vdaf(c.plan);
  const circuit = Object.create(vdaf.circuit) as typeof vdaf.circuit;
  (circuit as { encode(m: unknown): Uint32Array }).encode = (m: unknown) => {
    const v = (vdaf.circuit.encode as (x: unknown) => Uint32Array).call(vdaf.circuit, m);
    tamper(v, vdaf);
    return v;
  };
  const evil = new Prio3<unknown, unknown>(vdaf.id, vdaf.name, 2, circuit);
  const ctx = prio3Context({ id: 'pinhole-bench', revision: 1 }, c.id);
  const rng = seededRng('poison/prio3');
  const nonce = rng.bytes(16);
  const key = rng.bytes(32);
  const s = evil.shard(ctx, measurement, nonce, rng.bytes(vdaf.randSize));
  try {
    const l = vdaf.verifyInit(key, ctx, LEADER_ID, nonce, s.publicShare, s.inputShares[LEADER_ID] as Uint8Array);
    const h = vdaf.verifyInit(key, ctx, HELPER_ID, nonce, s.publicShare, s.inputShares[HELPER_ID] as Uint8Array);
    const msg = vdaf.verifierSharesToMessage(ctx, [l.verifierShare, h.verifierShare]);
    vdaf.verifyNext(ctx, l.state, msg);
    vdaf.verifyNext(ctx, h.state, msg);
    return false;
  } catch {
    return true;
  }
}
