/**
 * One device's part in a secure-aggregation round over HTTP. The aggregator relays opaque
 * `@pinhole/secagg` messages; the device joins the round (its contributor token bounds it to one
 * slot), then long-polls for each phase's messages and answers them with its `SecAggClient`:
 *
 *   POST /v1/secagg/{round}/join      { contributor }            -> { slot, session }
 *   GET  /v1/secagg/{round}/step?after=<phase>&wait=<s>          -> the next phase and its messages (MessagePack)
 *   POST /v1/secagg/{round}/messages  <the client's message>     -> accepted
 *
 * Before masking, the device checks the round's configuration against the plan (the same floors
 * `secAggPlusParameters` gives for the plan's assumptions, the minimum cohort as its contributor
 * floor, the plan's threat model), charges its budget ledger, adds its share of the plan's
 * distributed noise to each collection's vector and encodes it mod 2^modulusBits. Nothing of the
 * round is persisted but a marker that it joined (so a restart makes it a dropout, never a second
 * participant). A refusal by the protocol (a forged key, a split view, a weak configuration) ends
 * the device's part: it goes silent and says why.
 */
import { type Plan, type PlanCollection, PinholeError, isPinholeError } from '@pinhole/core';
import { type SecaggLayout, secaggLayout as secaggLayoutOf } from '@pinhole/core/plan';
import { decodeEnvelope } from '@pinhole/core/wire';
import { type DistributedNoiseShare, distributedNoiseShareOf } from '@pinhole/gate';
import { type KeyDirectory, type SecAggCrypto, type SecAggRoundConfig, SecAggClient, decodeRoundConfig } from '@pinhole/secagg';
import { deviceVector } from './device-vector.js';
import type { SecureAggregationContext, SecureAggregationOutcome } from './plugin.js';
import { ServerProblem, Unreachable } from './transport.js';

export const STEP_TYPE = 'pinhole/secagg-step';
export const SECAGG_PHASES = ['join', 'advertise', 'share', 'masked', 'consistency', 'unmask', 'done'] as const;

/** What the server answers to a step request. */
export interface SecaggStep {
  readonly round: string;
  /** join | advertise | share | masked | consistency | unmask | done | aborted | excluded */
  readonly phase: string;
  /** the phase's deadline (ms since the epoch), or null */
  readonly deadline: number | null;
  readonly messages: readonly Uint8Array[];
  /** done: the release's status; aborted or excluded: why */
  readonly detail: string | null;
}

export interface RoundParticipantOptions {
  readonly signingKey: Uint8Array;
  readonly identity: string;
  readonly directory: KeyDirectory | undefined;
  readonly honestButCurious: boolean;
  readonly crypto: SecAggCrypto | undefined;
  /** long-poll wait per step request, seconds */
  readonly waitSeconds: number;
}

/** The secure-aggregation collections of a plan, their shared protocol section, and the round's vector layout (core's, as the aggregator derives it). */
export function secaggLayout(plan: Plan): SecaggLayout {
  const layout = secaggLayoutOf(plan);
  if (!layout) throw new PinholeError('invalid_argument', 'plan', 'the plan has no secure-aggregation collection');
  return layout;
}

const noisePlans = new WeakMap<PlanCollection, DistributedNoiseShare>();

/**
 * The device's part of a collection's noise plan (its share and the ring encoding, not the server's
 * settlement), recomputed from the plan's parameters and checked against what the plan resolved
 * (another version refuses).
 */
export function noisePlanOf(c: PlanCollection & { mode: 'secagg' }, allowInsecureRng: boolean): DistributedNoiseShare {
  let p = noisePlans.get(c);
  if (p) return p;
  const m = c.mechanism;
  p = distributedNoiseShareOf(m, { allowInsecureRng });
  if (p.shareParameter !== m.shareParameter || p.modulusBits !== m.modulusBits) {
    throw new PinholeError(
      'unsupported',
      `collection ${c.id}`,
      `the plan's noise (share parameter ${m.shareParameter}, ${m.modulusBits} bits) is not what this client computes (${p.shareParameter}, ${p.modulusBits}): the plan was made by another version`,
    );
  }
  noisePlans.set(c, p);
  return p;
}

/** The round's configuration must be the plan's: same threat model, layout and modulus, and no weaker contributor floor. */
function checkConfig(config: SecAggRoundConfig, plan: Plan, roundId: string): void {
  const layout = secaggLayout(plan);
  const s = layout.collections[0]!.secagg;
  const fail = (param: string, rule: string) => new PinholeError('protocol_violation', `config.${param}`, `the round's configuration does not match the plan: ${rule}`);
  if (config.roundId !== roundId) throw fail('roundId', `round "${roundId}" expected`);
  if (config.threatModel !== s.threatModel) throw fail('threatModel', `"${s.threatModel}" expected`);
  if (config.vectorLength !== layout.vectorLength) throw fail('vectorLength', `${layout.vectorLength} entries expected`);
  if (config.bits !== layout.bits) throw fail('bits', `${layout.bits} bits expected`);
  if (config.cohortSize > s.cohort) throw fail('cohortSize', `at most the plan's cohort of ${s.cohort}`);
  if (config.minContributors < layout.minCohort) throw fail('minContributors', `at least the plan's minimum cohort of ${layout.minCohort}`);
}

/** The device's masked-input vector: per collection, its vector plus its noise share, mod 2^(the collection's bits). */
export function roundVector(plan: Plan, inputs: SecureAggregationContext['inputs'], ctx: Pick<SecureAggregationContext, 'rng' | 'allowInsecureRng'>): Uint32Array {
  const layout = secaggLayout(plan);
  const out = new Uint32Array(layout.vectorLength);
  let offset = 0;
  for (const c of layout.collections) {
    const input = inputs.get(c.id);
    const x = input === undefined ? new Int32Array(c.mechanism.vectorLength) : deviceVector(c, input, ctx.rng, { allowInsecureRng: ctx.allowInsecureRng });
    const np = noisePlanOf(c, ctx.allowInsecureRng);
    out.set(np.toRing(np.addShare(x, ctx.rng)), offset);
    offset += c.mechanism.vectorLength;
  }
  return out;
}

function decodeStep(bytes: Uint8Array): SecaggStep {
  const { payload } = decodeEnvelope(bytes, { type: STEP_TYPE, maxBytes: 64 << 20 });
  const p = payload as Record<string, unknown>;
  const messages = p?.messages;
  if (typeof p !== 'object' || p === null || typeof p.round !== 'string' || typeof p.phase !== 'string' || !Array.isArray(messages) || !messages.every((m) => m instanceof Uint8Array)) {
    throw new PinholeError('decode_failed', 'step', 'the server sent a malformed secure-aggregation step');
  }
  const deadline = typeof p.deadline === 'number' ? p.deadline : null;
  return { round: p.round, phase: p.phase, deadline, messages: messages, detail: typeof p.detail === 'string' ? p.detail.slice(0, 500) : null };
}

const MARKER = 'secagg-round';

export async function runRound(ctx: SecureAggregationContext, options: RoundParticipantOptions): Promise<SecureAggregationOutcome> {
  const { plan, round, http } = ctx;
  const base = `/v1/secagg/${encodeURIComponent(round.roundId)}`;
  const signal = ctx.signal ? { signal: ctx.signal } : {};
  const layout = secaggLayout(plan);
  const s = layout.collections[0]!.secagg;

  // a device that joined this round before (and restarted since) is a dropout of it
  const marker = await ctx.storage.get(MARKER);
  if (marker !== null && marker !== undefined && marker === round.roundId)
    return { outcome: 'dropped_out', phase: 'join', reason: 'this device joined the round before a restart: it cannot continue it' };

  let slot: number;
  let session: string;
  try {
    const res = await http.request(`${base}/join`, { method: 'POST', body: JSON.stringify({ contributor: ctx.contributor }), contentType: 'application/json', ...signal });
    const j = res.json<{ slot?: unknown; session?: unknown }>();
    if (typeof j.slot !== 'number' || !Number.isSafeInteger(j.slot) || j.slot < 1 || typeof j.session !== 'string' || j.session.length < 16) {
      throw new PinholeError('protocol_violation', 'join', 'the server answered the join without a slot and session');
    }
    slot = j.slot;
    session = j.session;
  } catch (e) {
    if (e instanceof ServerProblem) return { outcome: 'dropped_out', phase: 'join', reason: e.message };
    throw e;
  }
  await ctx.storage.set(MARKER, round.roundId);
  const auth = { authorization: `Bearer ${session}` };

  let client: SecAggClient | null = null;
  let after = 'join';
  let masked = false;
  const closesAt = round.closesAt === null ? Infinity : Date.parse(round.closesAt);
  for (;;) {
    let step: SecaggStep;
    try {
      const res = await http.request(`${base}/step?after=${after}&wait=${options.waitSeconds}`, { headers: auth, extraTimeoutMs: options.waitSeconds * 1000, ...signal });
      step = decodeStep(res.body);
    } catch (e) {
      if (e instanceof Unreachable || e instanceof ServerProblem) return { outcome: 'dropped_out', phase: after, reason: e.message };
      throw e;
    }
    if (step.round !== round.roundId) return { outcome: 'round_aborted', phase: after, reason: 'the server answered for another round', code: 'protocol_violation' };
    if (step.phase === after) {
      if (ctx.now() > closesAt) return { outcome: 'dropped_out', phase: after, reason: 'the round closed while this device waited' };
      continue;
    }
    if (step.phase === 'done') {
      if (!masked) return { outcome: 'dropped_out', phase: after, reason: 'the round ended without this device’s input' };
      return { outcome: 'reported', release: step.detail === 'released' || step.detail === 'refused' ? step.detail : null };
    }
    if (step.phase === 'aborted') return { outcome: 'round_aborted', phase: after, reason: step.detail ?? 'the server aborted the round', code: 'invalid_state' };
    if (step.phase === 'excluded') return { outcome: 'dropped_out', phase: after, reason: step.detail ?? 'the server no longer counts this device in the round' };
    const [m0, m1] = step.messages;
    let reply: Uint8Array;
    try {
      switch (step.phase) {
        case 'advertise': {
          const config = decodeRoundConfig(m0 as Uint8Array);
          checkConfig(config, plan, round.roundId);
          client = new SecAggClient(config, slot, {
            rng: ctx.rng,
            allowInsecureRng: ctx.allowInsecureRng,
            signingKey: options.signingKey,
            identity: options.identity,
            ...(options.directory ? { directory: options.directory } : {}),
            ...(options.honestButCurious && s.threatModel === 'honest_but_curious' ? { honestButCurious: true } : {}),
            ...(options.crypto ? { crypto: options.crypto } : {}),
            minimums: { dropoutRate: s.dropoutRate, corruptFraction: s.corruptFraction, securityBits: s.securityBits, contributors: layout.minCohort },
          });
          reply = await client.advertiseKeys();
          break;
        }
        case 'share':
          if (!client) return { outcome: 'dropped_out', phase: step.phase, reason: 'this device missed the key advertisement' };
          reply = await client.shareKeys(m0 as Uint8Array, m1 as Uint8Array);
          break;
        case 'masked': {
          if (!client) return { outcome: 'dropped_out', phase: step.phase, reason: 'this device missed an earlier phase' };
          await ctx.charge();
          const vector = roundVector(plan, ctx.inputs, ctx);
          reply = await client.maskInput(m0 as Uint8Array, vector);
          vector.fill(0);
          break;
        }
        case 'consistency':
          if (!client) return { outcome: 'dropped_out', phase: step.phase, reason: 'this device missed an earlier phase' };
          reply = await client.consistencyCheck(m0 as Uint8Array);
          break;
        case 'unmask':
          if (!client) return { outcome: 'dropped_out', phase: step.phase, reason: 'this device missed an earlier phase' };
          reply = await client.unmask(m0 as Uint8Array);
          break;
        default:
          return { outcome: 'round_aborted', phase: step.phase, reason: `unknown phase "${step.phase.slice(0, 32)}"`, code: 'protocol_violation' };
      }
    } catch (e) {
      if (isPinholeError(e, 'budget_exceeded')) throw e;
      if (isPinholeError(e)) return { outcome: 'round_aborted', phase: step.phase, reason: e.message, code: e.code };
      throw e;
    }
    try {
      await http.request(`${base}/messages`, { method: 'POST', body: reply, contentType: 'application/msgpack', headers: auth, ...signal });
    } catch (e) {
      if (e instanceof Unreachable || e instanceof ServerProblem) return { outcome: 'dropped_out', phase: step.phase, reason: e.message };
      throw e;
    }
    if (step.phase === 'masked') {
      masked = true;
      await ctx.consumeSamples();
    }
    after = step.phase;
  }
}
