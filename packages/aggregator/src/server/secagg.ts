/**
 * Secure-aggregation rounds over HTTP: the aggregator relays `@pinhole/secagg` messages between the
 * devices of a round and runs the server state machine, phase by phase, each with its deadline:
 *
 *   join         devices ask for a slot (one per contributor token); closes when the cohort is full
 *                or at its deadline; the round's configuration is fixed for the devices that joined
 *   advertise    signed keys                 (SecAggServer.closeAdvertiseKeys)
 *   share        encrypted shares            (closeShareKeys)
 *   masked       masked input vectors        (closeMaskedInputCollection; the engine's cohort check)
 *   consistency  signatures over survivors   (closeConsistencyCheck)
 *   unmask       shares to unmask the sum    (closeUnmasking → the release engine → published)
 *
 * A phase closes when every participant answered, at its deadline, or once the planned share of
 * participants (1 − dropoutRate) answered and no message came for `quietMs`: whoever is silent by
 * then is a dropout, which the protocol handles. Devices long-poll for the next phase.
 *
 * Every accepted message is committed (with its digest, so a byte-identical retry is acknowledged
 * again) before it is acknowledged, and every phase change is persisted: after a restart the round
 * is rebuilt by replaying the stored messages into a fresh SecAggServer phase by phase (its closes
 * are deterministic), and continues. What is stored is what the server receives anyway: signed
 * keys, encrypted shares, masked vectors, signatures and unmasking shares — never a device's
 * unmasked vector. A round that cannot go on (too few devices for the threshold or the minimum
 * cohort, a corrupt share, its time running out) aborts and is published refused with the reason.
 *
 * Several instances on one database (PostgreSQL): the instance that opened the round coordinates it
 * under a lease it renews every tick; the others forward the round's device requests to it, and
 * when its lease expires (it crashed) one of them takes the round over by the same replay. Phase
 * changes are fenced by the lease; the release by the round's closing claim and its primary key.
 */
import { randomBytes } from 'node:crypto';
import { type Plan, PinholeError, isPinholeError } from '@pinhole/core';
import { isContributorToken } from '@pinhole/core/wire';
import { type KeyDirectory, type SecAggRoundConfig, SecAggServer, decodeRoundConfig, encodeRoundConfig, httpKeyDirectory } from '@pinhole/secagg';
import { nodeCryptoProvider } from '@pinhole/secagg/node';
import type { ReleaseEngine } from '../engine/engine.js';
import type { RoundRelease } from '../engine/release.js';
import { HttpProblem } from './problem.js';
import { SecaggMessageBatch } from './secagg-message-batch.js';
import { roundConfig, secaggLayout } from './secagg-layout.js';
import { type ProtocolPhase, type RoundState, PROTOCOL_PHASES, assignSlot, decodeStep, digestOf, encodeStep, newRoundState, nextPhase, slotOf } from './secagg-round-state.js';
import type { SecaggPhase, Storage, StoredRound } from './storage.js';

export interface SecaggTiming {
  /** how long the join phase stays open at most (it also closes when the cohort is full), ms */
  readonly joinMs: number;
  /** each protocol phase's deadline, ms */
  readonly phaseMs: number;
  /** close a phase early once the planned share of participants answered and nothing came for this long, ms */
  readonly quietMs: number;
  /** longest long poll, ms */
  readonly maxWaitMs: number;
}

export const DEFAULT_SECAGG_TIMING: SecaggTiming = Object.freeze({ joinMs: 600_000, phaseMs: 120_000, quietMs: 5_000, maxWaitMs: 30_000 });

/** What the coordinator needs of the round manager. */
export interface SecaggHost {
  readonly owner: string;
  readonly leaseMs: number;
  /** where this instance answers devices, once it listens (other instances forward to it) */
  url(): string | null;
  /** delete the round's stored messages once its release is published */
  readonly retention: boolean;
  now(): number;
  engineFor(planId: string, revision: number): Promise<ReleaseEngine>;
  /** the release was published (or not, when another owner holds the round) */
  published(round: StoredRound, release: RoundRelease, ok: boolean, seconds: number): void;
  failed(roundId: string, error: unknown): void;
  /** a phase changed (for logs and metrics) */
  phase(roundId: string, phase: SecaggPhase, detail: string | null): void;
}

export class SecaggCoordinator {
  readonly #storage: Storage;
  readonly #host: SecaggHost;
  readonly #timing: SecaggTiming;
  readonly #rounds = new Map<string, RoundState>();
  readonly #directories = new Map<string, KeyDirectory>();
  readonly #crypto = nodeCryptoProvider();
  readonly #messages: SecaggMessageBatch;

  constructor(storage: Storage, host: SecaggHost, timing: SecaggTiming) {
    this.#storage = storage;
    this.#messages = new SecaggMessageBatch(storage);
    this.#host = host;
    this.#timing = timing;
  }

  /** The phase of a round and its deadline, for GET /v1/rounds/current. */
  view(roundId: string): { phase: SecaggPhase; phaseDeadline: string | null; joined: number } | null {
    const s = this.#rounds.get(roundId);
    if (!s) return null;
    return { phase: s.phase, phaseDeadline: s.deadline === null ? null : new Date(s.deadline).toISOString(), joined: s.slots.size };
  }

  #directory(plan: Plan): KeyDirectory | undefined {
    const url = (secaggLayout(plan)?.collections[0]?.secagg as { keyDirectory?: string } | undefined)?.keyDirectory;
    if (url === undefined) return undefined;
    let d = this.#directories.get(url);
    if (!d) {
      d = httpKeyDirectory({ baseUrl: url });
      this.#directories.set(url, d);
    }
    return d;
  }

  /** A secure-aggregation round just opened: its join phase starts. */
  async begin(round: StoredRound, plan: Plan, engine: ReleaseEngine): Promise<void> {
    const s = newRoundState(round, plan, engine, this.#host.now());
    const end = round.closesAt ?? Infinity;
    s.deadline = Math.min(this.#host.now() + this.#timing.joinMs, end);
    if (!(await this.#storage.secaggBegin(round.roundId, s.deadline, this.#lease()))) return this.resume(round, plan, engine);
    this.#rounds.set(round.roundId, s);
    this.#host.phase(round.roundId, 'join', null);
  }

  #lease() {
    return { owner: this.#host.owner, now: this.#host.now(), leaseMs: this.#host.leaseMs, url: this.#host.url() };
  }

  /** this instance's name on phase changes: fenced by the lease where instances share the storage */
  get #fence(): string | null {
    return this.#storage.shared ? this.#host.owner : null;
  }

  /**
   * Who answers a device request of this round: this instance ('here': it coordinates the round,
   * or the round is unknown or over), another instance (its URL), or nobody right now ('retry': the
   * coordinator's lease ran out and no instance has taken the round over yet).
   */
  async route(roundId: string): Promise<string> {
    if (!this.#storage.shared || this.#rounds.has(roundId)) return 'here';
    const r = await this.#storage.secaggRound(roundId);
    if (!r || r.phase === 'done' || r.phase === 'aborted') return 'here';
    const live = r.coordinator !== null && r.coordinator !== this.#host.owner && (r.coordinatorExpires ?? 0) >= this.#host.now();
    return live && r.coordinatorUrl !== null ? r.coordinatorUrl : 'retry';
  }

  /** Whether this instance coordinates the round now. */
  coordinates(roundId: string): boolean {
    return this.#rounds.has(roundId);
  }

  /**
   * After a restart: rebuilds a round from what was stored (slots, configuration, every accepted
   * message) by replaying the messages into a fresh server, phase by phase, and continues it.
   * A round whose stored state cannot be replayed aborts with the reason.
   */
  async resume(round: StoredRound, plan: Plan, engine: ReleaseEngine): Promise<void> {
    if (this.#rounds.has(round.roundId)) return;
    const stored = await this.#storage.secaggRound(round.roundId);
    if (!stored) return this.begin(round, plan, engine);
    // shared: another live instance may coordinate it; this one takes over only an expired lease
    if (this.#storage.shared && !(await this.#storage.secaggCoordinate(round.roundId, this.#lease()))) return;
    const s = newRoundState(round, plan, engine, this.#host.now());
    this.#rounds.set(round.roundId, s);
    for (const slot of await this.#storage.secaggSlots(round.roundId)) assignSlot(s, slot.slot, slot.contributor, slot.sessionDigest);
    s.deadline = stored.phaseDeadline;
    s.detail = stored.detail;
    if (stored.phase === 'join') return;
    if (stored.phase === 'aborted') {
      // aborted before the restart, but its refusal may not have been published
      s.phase = 'aborted';
      await this.#publishRefused(s, stored.detail ?? 'aborted', 'round_aborted');
      return;
    }
    try {
      if (!stored.config) throw new PinholeError('invalid_state', 'config', 'the stored round has no configuration');
      s.configBytes = stored.config;
      s.config = decodeRoundConfig(stored.config);
      s.server = this.#server(s);
      s.outbox.set('advertise', new Map([...s.slots.keys()].map((slot) => [slot, [stored.config as Uint8Array]])));
      s.participants = new Set(s.slots.keys());
      // 'done' is stored only after the release was published, so a round to resume is in a protocol phase
      const until = stored.phase as ProtocolPhase;
      for (const phase of PROTOCOL_PHASES) {
        s.phase = phase;
        const rows = await this.#storage.secaggMessages(round.roundId, phase);
        const accepted = new Map<number, string>();
        for (const r of rows) {
          await s.server.receive(r.bytes, r.slot);
          accepted.set(r.slot, r.digest);
        }
        s.accepted.set(phase, accepted);
        if (phase === until) break;
        await this.#closeProtocolPhase(s, phase, { replay: true });
      }
      s.deadline = stored.phaseDeadline;
    } catch (e) {
      await this.#abort(s, `the round could not be rebuilt after a restart: ${isPinholeError(e) ? e.message : 'internal error'}`);
    }
  }

  #server(s: RoundState): SecAggServer {
    const directory = this.#directory(s.plan);
    return new SecAggServer(s.config as SecAggRoundConfig, { crypto: this.#crypto, ...(directory ? { directory } : {}) });
  }

  /** Drops the in-memory state of rounds that ended (after their release). */
  forget(roundId: string): void {
    const s = this.#rounds.get(roundId);
    if (s) for (const w of s.waiters) w();
    this.#rounds.delete(roundId);
  }

  #state(roundId: string): RoundState {
    const s = this.#rounds.get(roundId);
    if (!s) throw new HttpProblem(404, 'not_found', 'roundId', '"roundId" names no secure-aggregation round in progress');
    return s;
  }

  /** POST /join: a slot for this contributor (the same slot again while the join is open). */
  async join(roundId: string, contributor: unknown): Promise<{ slot: number; session: string; rejoined: boolean }> {
    const s = this.#state(roundId);
    if (!isContributorToken(contributor)) throw new PinholeError('invalid_argument', 'contributor', '"contributor" expected a contributor token (32 lowercase hex digits)');
    const prior = s.byContributor.get(contributor);
    if (s.phase !== 'join' || s.closing) {
      throw new PinholeError(
        prior === undefined ? 'invalid_state' : 'protocol_violation',
        prior === undefined ? 'roundId' : 'contributor',
        prior === undefined
          ? 'the round no longer takes devices: its protocol has started'
          : 'this contributor already joined the round, which has started: a device that lost its session is a dropout',
      );
    }
    const cohort = s.layout.collections[0]!.secagg.cohort;
    if (prior === undefined && s.slots.size >= cohort) throw new PinholeError('invalid_state', 'roundId', 'the round’s cohort is full');
    const session = randomBytes(32).toString('hex');
    const sessionDigest = digestOf(session);
    const result = await this.#storage.secaggJoin(roundId, contributor, sessionDigest, cohort);
    if (result === null) throw new PinholeError('invalid_state', 'roundId', 'the round’s cohort is full');
    const slot = result.slot;
    assignSlot(s, slot, contributor, sessionDigest);
    s.lastMessageAt = this.#host.now();
    if (s.slots.size >= cohort) void this.#advance(s).catch((e: unknown) => this.#host.failed(s.round.roundId, e));
    return { slot, session, rejoined: prior !== undefined };
  }

  /** GET /step: the current phase and this slot's messages, waiting up to `waitMs` while the phase is still `after`. */
  async step(roundId: string, authorization: string | undefined, after: string, waitMs: number): Promise<Uint8Array> {
    let s = this.#state(roundId);
    const slot = slotOf(s, authorization);
    const until = this.#host.now() + Math.min(waitMs, this.#timing.maxWaitMs);
    while (s.phase === after && this.#host.now() < until) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(t);
          s.waiters.delete(done);
          resolve();
        };
        const t = setTimeout(done, Math.max(0, until - this.#host.now()));
        s.waiters.add(done);
      });
      const again = this.#rounds.get(roundId);
      if (!again) break;
      s = again;
    }
    return encodeStep(s, slot);
  }

  /** POST /messages: one protocol message of this slot, committed before it is acknowledged. */
  async message(roundId: string, authorization: string | undefined, bytes: Uint8Array): Promise<'accepted' | 'duplicate'> {
    const s = this.#state(roundId);
    const slot = slotOf(s, authorization);
    const digest = digestOf(bytes);
    for (const m of s.accepted.values()) if (m.get(slot) === digest) return 'duplicate';
    if (s.phase === 'join' || s.phase === 'done' || s.phase === 'aborted' || !s.server) {
      throw new PinholeError('invalid_state', 'phase', `the round is in phase ${s.phase}: no message is expected now`);
    }
    if (s.closing) throw new PinholeError('invalid_state', 'phase', `the ${s.phase} phase is closing: the message came too late`);
    const phase = s.phase;
    if (s.accepted.get(phase)?.has(slot)) throw new PinholeError('protocol_violation', 'body', `slot ${slot} already sent another message in the ${phase} phase`);
    const work = (async () => {
      await (s.server as SecAggServer).receive(bytes, slot);
      const outcome = await this.#messages.write({ roundId, phase, slot, digest, bytes });
      if (outcome === 'conflict') throw new PinholeError('protocol_violation', 'body', `slot ${slot} already sent another message in the ${phase} phase`);
      let m = s.accepted.get(phase);
      if (!m) s.accepted.set(phase, (m = new Map<number, string>()));
      m.set(slot, digest);
      s.lastMessageAt = this.#host.now();
    })();
    s.inflight.add(work);
    try {
      await work;
    } finally {
      s.inflight.delete(work);
    }
    if (s.accepted.get(phase)?.size === s.participants.size) void this.#advance(s).catch((e: unknown) => this.#host.failed(s.round.roundId, e));
    return 'accepted';
  }

  /** Closes what is due: called by the round manager's clock. */
  async tick(): Promise<void> {
    const now = this.#host.now();
    for (const s of [...this.#rounds.values()]) {
      if (s.phase === 'done' || s.phase === 'aborted') continue;
      if (this.#storage.shared && !(await this.#storage.secaggCoordinate(s.round.roundId, this.#lease()))) {
        // the lease ran out and another instance took the round over (this one stalled): let go of it
        this.#host.failed(s.round.roundId, new Error('the coordination lease of this secure-aggregation round passed to another instance'));
        this.forget(s.round.roundId);
        continue;
      }
      if (s.closing) continue;
      if (s.phase === 'join') {
        if (s.deadline !== null && now >= s.deadline) await this.#advance(s);
        continue;
      }
      const answered = s.accepted.get(s.phase)?.size ?? 0;
      const dropoutRate = s.layout.collections[0]!.secagg.dropoutRate;
      const target = Math.ceil((1 - dropoutRate) * s.participants.size);
      const quiet = answered >= target && now - s.lastMessageAt >= this.#timing.quietMs;
      if ((s.deadline !== null && now >= s.deadline) || quiet || answered === s.participants.size) await this.#advance(s);
    }
  }

  /** The round's time is up (its closesAt): a round still in progress aborts. */
  async expire(roundId: string): Promise<void> {
    const s = this.#rounds.get(roundId);
    if (!s || s.phase === 'done' || s.phase === 'aborted') return;
    await this.#abort(s, `the round's time ran out in the ${s.phase} phase`);
  }

  /** Closes the current phase now (an operator's close during join starts the protocol early). */
  async closePhase(roundId: string): Promise<SecaggPhase | null> {
    const s = this.#rounds.get(roundId);
    if (!s) return null;
    if (s.phase !== 'done' && s.phase !== 'aborted') await this.#advance(s);
    return s.phase;
  }

  async #advance(s: RoundState): Promise<void> {
    if (s.closing || s.phase === 'done' || s.phase === 'aborted') return;
    s.closing = true;
    try {
      // let the messages already being received and written finish (they were in time)
      while (s.inflight.size > 0) await Promise.allSettled([...s.inflight]);
      if (s.phase === 'join') await this.#closeJoin(s);
      else {
        const phase = s.phase;
        await this.#closeProtocolPhase(s, phase, { replay: false });
      }
    } catch (e) {
      // another instance coordinates the round now: it is theirs to abort or release
      if (!this.#rounds.has(s.round.roundId)) return;
      try {
        // too few survivors for the minimum cohort (the engine's check, or the protocol's contributor floor) is min_cohort
        if (isPinholeError(e)) await this.#abort(s, e.message.replace(/^the round was aborted: /, ''), e.param === 'cohort' || e.param === 'minContributors' ? 'min_cohort' : 'round_aborted');
        else {
          this.#host.failed(s.round.roundId, e);
          await this.#abort(s, 'internal error');
        }
      } catch (again) {
        // the refusal could not be stored: the round stays aborted in memory; a restart publishes it
        this.#host.failed(s.round.roundId, again);
      }
    } finally {
      s.closing = false;
      this.#wake(s);
    }
  }

  #wake(s: RoundState): void {
    for (const w of [...s.waiters]) w();
  }

  async #closeJoin(s: RoundState): Promise<void> {
    const n = s.slots.size;
    if (n < Math.max(2, s.layout.minCohort)) {
      await this.#abort(s, `only ${n} devices joined, below the minimum cohort of ${s.layout.minCohort}`, 'min_cohort');
      return;
    }
    // slots are 1..n in join order, so the cohort is exactly the devices that joined
    const config = roundConfig(s.plan, s.round.roundId, n);
    const bytes = encodeRoundConfig(config);
    const deadline = this.#host.now() + this.#timing.phaseMs;
    await this.#moveTo(s, 'advertise', deadline, { config: bytes });
    s.config = config;
    s.configBytes = bytes;
    s.server = this.#server(s);
    s.outbox.set('advertise', new Map([...s.slots.keys()].map((slot) => [slot, [bytes]])));
    s.participants = new Set(s.slots.keys());
    s.phase = 'advertise';
    s.deadline = deadline;
    s.lastMessageAt = this.#host.now();
    this.#host.phase(s.round.roundId, 'advertise', null);
  }

  async #moveTo(s: RoundState, phase: SecaggPhase, deadline: number | null, extra: { readonly config?: Uint8Array }): Promise<void> {
    if (!(await this.#storage.secaggSetPhase(s.round.roundId, phase, deadline, extra, this.#fence))) {
      this.forget(s.round.roundId);
      throw new Error(`the coordination of ${s.round.roundId} passed to another instance`);
    }
  }

  /** Closes one protocol phase on the server and prepares the next phase's messages. */
  async #closeProtocolPhase(s: RoundState, phase: ProtocolPhase, o: { replay: boolean }): Promise<void> {
    const server = s.server as SecAggServer;
    let out: Map<number, Uint8Array[]>;
    switch (phase) {
      case 'advertise': {
        const { roster, keys } = server.closeAdvertiseKeys();
        out = new Map([...keys].map(([slot, k]) => [slot, [roster, k]]));
        break;
      }
      case 'share':
        out = new Map([...server.closeShareKeys()].map(([slot, m]) => [slot, [m]]));
        break;
      case 'masked': {
        const survivors = server.closeMaskedInputCollection();
        // the engine's guard before anything is unmasked: every collection's minimum cohort
        for (const c of s.layout.collections) s.engine.collection(c.id).checkCohort(survivors.size);
        out = new Map([...survivors].map(([slot, m]) => [slot, [m]]));
        break;
      }
      case 'consistency':
        out = new Map([...server.closeConsistencyCheck()].map(([slot, m]) => [slot, [m]]));
        break;
      case 'unmask':
        await this.#finish(s);
        return;
    }
    const next = nextPhase(phase) as ProtocolPhase;
    s.outbox.set(next, out);
    s.participants = new Set(out.keys());
    s.phase = next;
    if (!o.replay) {
      const deadline = this.#host.now() + this.#timing.phaseMs;
      await this.#moveTo(s, next, deadline, {});
      s.deadline = deadline;
      s.lastMessageAt = this.#host.now();
      this.#host.phase(s.round.roundId, next, null);
    }
  }

  /** Unmasks the sum, releases it through the engine and publishes the release. */
  async #finish(s: RoundState): Promise<void> {
    const t0 = performance.now();
    const result = (s.unmasked ??= await (s.server as SecAggServer).closeUnmasking());
    const claimed = await this.#storage.claimClose(s.round.roundId, this.#host.owner, this.#host.now(), this.#host.leaseMs, { force: !this.#storage.shared });
    // shared: a crashed coordinator's closing claim runs out first; the next tick tries again
    if (!claimed) return;
    const round = s.engine.openRound({ roundId: s.round.roundId });
    let offset = 0;
    const survivors = result.contributors.length;
    for (const c of s.layout.collections) {
      const len = c.mechanism.vectorLength;
      const bits = c.mechanism.modulusBits;
      const seg = Uint32Array.from(result.sum.subarray(offset, offset + len), (v) => (bits === 32 ? v : v % 2 ** bits));
      round.tally(c.id).setSecureSum(seg, survivors);
      offset += len;
    }
    const release = round.release();
    const ok = await this.#storage.publish(s.round.roundId, this.#host.owner, { status: release.status, document: JSON.stringify(release), at: this.#host.now() }, this.#host.retention);
    await this.#storage.secaggSetPhase(s.round.roundId, 'done', null, { detail: release.status }, this.#fence);
    if (this.#host.retention) await this.#storage.secaggDelete(s.round.roundId);
    s.phase = 'done';
    s.detail = release.status;
    this.#host.published(s.round, release, ok, (performance.now() - t0) / 1000);
    this.#host.phase(s.round.roundId, 'done', release.status);
    this.#wake(s);
  }

  /** Ends a round without unmasking anything: published refused with the reason. */
  async #abort(s: RoundState, reason: string, kind: 'round_aborted' | 'min_cohort' = 'round_aborted'): Promise<void> {
    if (s.phase === 'aborted' || s.phase === 'done') return;
    s.phase = 'aborted';
    s.detail = reason;
    await this.#storage.secaggSetPhase(s.round.roundId, 'aborted', null, { detail: reason }, this.#fence);
    this.#host.phase(s.round.roundId, 'aborted', reason);
    this.#wake(s);
    await this.#publishRefused(s, reason, kind);
  }

  async #publishRefused(s: RoundState, reason: string, kind: 'round_aborted' | 'min_cohort'): Promise<void> {
    const claimed = await this.#storage.claimClose(s.round.roundId, this.#host.owner, this.#host.now(), this.#host.leaseMs, { force: !this.#storage.shared });
    if (!claimed) return;
    const release = s.engine.openRound({ roundId: s.round.roundId }).refuse({ reason: kind, message: `the secure-aggregation round stopped before anything was unmasked: ${reason}` }, s.slots.size);
    const ok = await this.#storage.publish(s.round.roundId, this.#host.owner, { status: 'refused', document: JSON.stringify(release), at: this.#host.now() }, this.#host.retention);
    if (this.#host.retention) await this.#storage.secaggDelete(s.round.roundId);
    this.#host.published(s.round, release, ok, 0);
  }

  /** The decoded step (tests and tools). */
  static decodeStep(bytes: Uint8Array): Record<string, unknown> {
    return decodeStep(bytes);
  }
}
