/**
 * The in-memory state of one secure-aggregation round as its coordinator holds it: the devices'
 * slots and sessions, the protocol server, each phase's outbox and accepted messages, and the step
 * a device reads when it polls.
 */
import { createHash } from 'node:crypto';
import { type Plan } from '@pinhole/core';
import { decodeEnvelope, encodeEnvelope } from '@pinhole/core/wire';
import type { SecAggRoundConfig, SecAggServer } from '@pinhole/secagg';
import type { ReleaseEngine } from '../engine/engine.js';
import { HttpProblem } from './problem.js';
import { type SecaggLayout, secaggLayout } from './secagg-layout.js';
import type { SecaggPhase, StoredRound } from './storage.js';

export const STEP_TYPE = 'pinhole/secagg-step';
/** The protocol phases in order (after join). */
export const PROTOCOL_PHASES = ['advertise', 'share', 'masked', 'consistency', 'unmask'] as const;
export type ProtocolPhase = (typeof PROTOCOL_PHASES)[number];

interface Slot {
  readonly contributor: string;
  sessionDigest: string;
}

export interface RoundState {
  readonly round: StoredRound;
  readonly plan: Plan;
  readonly engine: ReleaseEngine;
  readonly layout: SecaggLayout;
  phase: SecaggPhase;
  deadline: number | null;
  detail: string | null;
  lastMessageAt: number;
  readonly slots: Map<number, Slot>;
  readonly bySession: Map<string, number>;
  readonly byContributor: Map<string, number>;
  config: SecAggRoundConfig | null;
  configBytes: Uint8Array | null;
  server: SecAggServer | null;
  /** per protocol phase: the message(s) each participant gets */
  readonly outbox: Map<ProtocolPhase, Map<number, Uint8Array[]>>;
  /** who takes part in the current phase */
  participants: Set<number>;
  /** digests of accepted messages per phase and slot (idempotent retries) */
  readonly accepted: Map<ProtocolPhase, Map<number, string>>;
  readonly inflight: Set<Promise<unknown>>;
  closing: boolean;
  /** the unmasked sum, kept while the round's closing claim is still another (crashed) instance's */
  unmasked: Awaited<ReturnType<SecAggServer['closeUnmasking']>> | null;
  readonly waiters: Set<() => void>;
}

export const digestOf = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

export function nextPhase(p: SecaggPhase): SecaggPhase {
  const order: SecaggPhase[] = ['join', ...PROTOCOL_PHASES, 'done'];
  return order[order.indexOf(p) + 1] ?? 'done';
}

/** A round in its join phase, with nobody joined yet. */
export function newRoundState(round: StoredRound, plan: Plan, engine: ReleaseEngine, now: number): RoundState {
  return {
    round,
    plan,
    engine,
    layout: secaggLayout(plan) as SecaggLayout,
    phase: 'join',
    deadline: null,
    detail: null,
    lastMessageAt: now,
    slots: new Map(),
    bySession: new Map(),
    byContributor: new Map(),
    config: null,
    configBytes: null,
    server: null,
    outbox: new Map(),
    participants: new Set(),
    accepted: new Map(),
    inflight: new Set(),
    closing: false,
    unmasked: null,
    waiters: new Set(),
  };
}

/** Gives a slot to a contributor with the digest of its session (a rejoin replaces the slot's old session). */
export function assignSlot(s: RoundState, slot: number, contributor: string, sessionDigest: string): void {
  const old = s.slots.get(slot);
  if (old) s.bySession.delete(old.sessionDigest);
  s.slots.set(slot, { contributor, sessionDigest });
  s.bySession.set(sessionDigest, slot);
  s.byContributor.set(contributor, slot);
}

/** The slot whose session the request carries (Authorization: Bearer <session>). */
export function slotOf(s: RoundState, authorization: string | undefined): number {
  const m = /^Bearer ([0-9a-f]{64})$/.exec(authorization ?? '');
  const slot = m ? s.bySession.get(digestOf(m[1] as string)) : undefined;
  if (slot === undefined)
    throw new HttpProblem(401, 'unauthorized', 'authorization', 'a secure-aggregation request needs the session the join returned (Authorization: Bearer <session>)', { 'www-authenticate': 'Bearer' });
  return slot;
}

/** What a device reads when it polls: the phase, its deadline and this slot's messages. */
export function encodeStep(s: RoundState, slot: number): Uint8Array {
  const payload: Record<string, unknown> = { round: s.round.roundId, phase: s.phase, deadline: s.deadline, messages: [] as Uint8Array[] };
  if (s.phase === 'done' || s.phase === 'aborted') payload.detail = s.detail;
  else if (s.phase !== 'join') {
    const mine = s.outbox.get(s.phase)?.get(slot);
    if (!mine || !s.participants.has(slot)) {
      payload.phase = 'excluded';
      payload.detail = `this device is not a participant of the ${s.phase} phase (it missed an earlier one)`;
    } else payload.messages = mine;
  }
  return encodeEnvelope(STEP_TYPE, payload as never);
}

export function decodeStep(bytes: Uint8Array): Record<string, unknown> {
  return decodeEnvelope(bytes, { type: STEP_TYPE }).payload as Record<string, unknown>;
}
