/**
 * Rounds as a small persisted state machine: collecting → closing → released | refused. A round
 * opens when the period ledger (the rounds table) says one more round of the plan fits the
 * period's budget, collects until its time or report count, is claimed for closing by one owner
 * (a conditional UPDATE with a lease that its holder renews while it computes, so a second instance
 * or a restart cannot release it twice, and a crashed holder's round is taken over), and is
 * released through the plan's release engine; the release and the round's new state commit in
 * one transaction with the deletion of its raw reports. A round of a secure-aggregation plan is
 * driven by the SecaggCoordinator instead (secagg.ts): it collects through the protocol's phases,
 * each with its deadline, and the coordinator claims and publishes it when the sum is unmasked, or
 * publishes it refused when the protocol aborts.
 */
import { randomBytes } from 'node:crypto';
import { type Plan, checkPlan } from '@pinhole/core';
import { addPrivacyLosses, planPeriod, planRoundLoss, roundsLeftInPeriod } from '@pinhole/core/plan';
import { type ReleaseEngine, makeReleaseEngine } from '../engine/engine.js';
import type { Prio3Leader } from './prio3.js';
import { type SecaggTiming, DEFAULT_SECAGG_TIMING, SecaggCoordinator } from './secagg.js';
import { secaggLayout } from './secagg-layout.js';
import type { SecaggPhase, Storage, StoredPlan, StoredRound } from './storage.js';

export interface RoundEvents {
  opened(round: StoredRound): void;
  released(round: StoredRound, status: 'released' | 'refused', seconds: number): void;
  failed(roundId: string, error: unknown): void;
  /** a secure-aggregation round moved to a phase (detail: the release status when done, the reason when aborted) */
  secaggPhase?(roundId: string, phase: SecaggPhase, detail: string | null): void;
}

export interface RoundManagerOptions {
  /** delete a round's raw reports when its release is published (default true) */
  readonly retention: boolean;
  /** how often deadlines are checked, ms */
  readonly tickMs: number;
  /** a claim for closing expires after this long (another instance may then take it over), ms */
  readonly leaseMs: number;
  readonly now?: () => number;
  readonly events: RoundEvents;
  /** phase deadlines of secure-aggregation rounds */
  readonly secagg?: SecaggTiming;
  /**
   * two-aggregator (prio3) plans: the leader runs the schedule and verifies with the helper at
   * close; a helper opens only rounds the leader announces and closes none (the leader's verify
   * and aggregate-share requests drive it). Default: a single aggregator.
   */
  readonly role?: 'single' | 'leader' | 'helper';
  readonly prio3Leader?: Prio3Leader;
}

export class RoundManager {
  readonly owner = randomBytes(8).toString('hex');
  readonly #storage: Storage;
  readonly #deployed: StoredPlan;
  readonly #plan: Plan;
  readonly #engines = new Map<string, ReleaseEngine>();
  readonly #options: RoundManagerOptions;
  readonly #now: () => number;
  #current: StoredRound | null = null;
  #timer: NodeJS.Timeout | null = null;
  #closing = new Map<string, Promise<boolean>>();
  #ticking: Promise<void> | null = null;
  #stopped = false;
  #url: string | null = null;
  readonly #secagg: SecaggCoordinator;
  /** secure-aggregation rounds in memory, oldest first (the finished ones stay a while for late polls) */
  readonly #secaggRounds: string[] = [];

  constructor(storage: Storage, deployed: StoredPlan, engine: ReleaseEngine, options: RoundManagerOptions) {
    this.#storage = storage;
    this.#deployed = deployed;
    this.#plan = engine.plan;
    this.#engines.set(`${deployed.planId}#${deployed.revision}`, engine);
    this.#options = options;
    this.#now = options.now ?? Date.now;
    // a plan that mixes secure aggregation with reports is refused here, before the server starts
    secaggLayout(engine.plan);
    this.#secagg = new SecaggCoordinator(
      storage,
      {
        owner: this.owner,
        leaseMs: options.leaseMs,
        url: () => this.#url,
        retention: options.retention,
        now: () => this.#now(),
        engineFor: (planId, revision) => this.engineFor(planId, revision),
        published: (round, release, ok, seconds) => {
          if (ok) options.events.released(round, release.status, seconds);
          void this.refresh();
        },
        failed: (roundId, error) => options.events.failed(roundId, error),
        phase: (roundId, phase, detail) => options.events.secaggPhase?.(roundId, phase, detail),
      },
      options.secagg ?? DEFAULT_SECAGG_TIMING,
    );
  }

  /** Where this instance answers devices (written with its coordination leases, for the other instances to forward to). */
  setUrl(url: string): void {
    this.#url = url;
  }

  /** The coordinator of secure-aggregation rounds (the HTTP routes talk to it). */
  get secagg(): SecaggCoordinator {
    return this.#secagg;
  }

  async #isSecagg(round: StoredRound): Promise<{ plan: Plan; engine: ReleaseEngine } | null> {
    const engine = await this.engineFor(round.planId, round.planRevision);
    return secaggLayout(engine.plan) ? { plan: engine.plan, engine } : null;
  }

  #track(roundId: string): void {
    this.#secaggRounds.push(roundId);
    while (this.#secaggRounds.length > 2) this.#secagg.forget(this.#secaggRounds.shift() as string);
  }

  get plan(): Plan {
    return this.#plan;
  }

  get engine(): ReleaseEngine {
    return this.#engines.get(`${this.#deployed.planId}#${this.#deployed.revision}`) as ReleaseEngine;
  }

  /** the round devices report to now, or null between rounds */
  get current(): StoredRound | null {
    return this.#current;
  }

  /** The engine of a round's plan revision (rounds of an earlier revision close with their own plan). */
  async engineFor(planId: string, revision: number): Promise<ReleaseEngine> {
    const key = `${planId}#${revision}`;
    let e = this.#engines.get(key);
    if (!e) {
      const stored = (await this.#storage.plans()).find((p) => p.planId === planId && p.revision === revision);
      if (!stored) throw new Error(`plan ${key} of a stored round is missing`);
      e = makeReleaseEngine(checkPlan(JSON.parse(stored.document)));
      this.#engines.set(key, e);
    }
    return e;
  }

  /** Recovers after a restart (rounds left closing, rounds of an earlier plan, deadlines passed), opens a round if one fits, and starts the clock. */
  async start(): Promise<void> {
    if (this.#options.role === 'helper') {
      await this.refresh();
      this.#timer = setInterval(() => void this.refresh(), this.#options.tickMs);
      this.#timer.unref();
      return;
    }
    // alone on its storage, a restarted server's old claims are its own; shared, they may be a live instance's
    for (const r of await this.#storage.rounds(['closing', 'collecting'])) {
      // a secure-aggregation round continues from its stored phase (or aborts with the reason)
      const sa = await this.#isSecagg(r);
      if (sa) {
        await this.#secagg.resume(r, sa.plan, sa.engine);
        this.#track(r.roundId);
      } else if (r.status === 'closing') await this.close(r.roundId, { force: !this.#storage.shared });
      else if (r.planId !== this.#deployed.planId || r.planRevision !== this.#deployed.revision) await this.close(r.roundId);
    }
    await this.tick();
    this.#timer = setInterval(() => void this.tick(), this.#options.tickMs);
    this.#timer.unref();
  }

  /** Closes what is due and opens the next round when the ledger allows one. */
  async tick(): Promise<void> {
    if (this.#ticking) return this.#ticking;
    this.#ticking = (async () => {
      try {
        const now = this.#now();
        for (const r of await this.#storage.rounds(['collecting', 'closing'])) {
          const sa = await this.#isSecagg(r);
          if (sa) {
            // shared storage: take over a round whose coordinator's lease expired (it crashed)
            if (this.#storage.shared && !this.#secagg.coordinates(r.roundId)) {
              await this.#secagg.resume(r, sa.plan, sa.engine);
              if (this.#secagg.coordinates(r.roundId)) this.#track(r.roundId);
            }
            if (r.status === 'collecting' && r.closesAt !== null && now >= r.closesAt) await this.#secagg.expire(r.roundId);
            continue;
          }
          if (r.status === 'closing' || (r.closesAt !== null && now >= r.closesAt)) await this.close(r.roundId);
        }
        await this.#secagg.tick();
        if (!this.#stopped) await this.#openIfDue(now);
        await this.refresh();
        // a round the helper has not acknowledged yet is announced again
        if (this.#options.prio3Leader && this.#current) await this.#options.prio3Leader.announce(this.#current);
      } catch (e) {
        this.#options.events.failed(this.#current?.roundId ?? '', e);
      } finally {
        this.#ticking = null;
      }
    })();
    return this.#ticking;
  }

  /** Re-reads the current round (after commits that may have reached its report count). */
  async refresh(): Promise<void> {
    const active = await this.#storage.rounds(['collecting']);
    this.#current = active[0] ?? null;
  }

  async #openIfDue(now: number): Promise<void> {
    const plan = this.#plan;
    if (now < this.#deployed.effectiveFrom || now < Date.parse(plan.budget.periodStart)) return;
    // instances sharing a database during a plan rollout: one still on an older revision opens no more rounds
    const latest = (await this.#storage.plans()).at(-1);
    if (latest && (latest.planId !== this.#deployed.planId || latest.revision !== this.#deployed.revision)) return;
    const period = planPeriod(plan, now);
    const loss = addPrivacyLosses([planRoundLoss(plan)]);
    const closesAt = Math.min(period.endMs, plan.schedule.roundSeconds === null ? period.endMs : now + plan.schedule.roundSeconds * 1000);
    let opened: StoredRound | null = null;
    const rounds = await this.#storage.periodRounds(period.startMs, period.endMs);
    const roundId = `${plan.id}.p${period.index}.r${rounds.length + 1}`;
    opened = await this.#storage.openRound(
      {
        roundId,
        planId: plan.id,
        planRevision: plan.revision,
        periodStart: period.startMs,
        periodEnd: period.endMs,
        openedAt: now,
        closesAt,
        closeAtReports: plan.schedule.closeAtReports,
        spent: loss,
      },
      // the ledger: spend of every round of this period, under any plan revision
      (ledger) => ledger.length === rounds.length && roundsLeftInPeriod(plan, { spent: addPrivacyLosses(ledger.map((r) => r.spent)), rounds: ledger.length }) > 0,
    );
    if (opened) {
      this.#current = opened;
      this.#options.events.opened(opened);
      if (secaggLayout(plan)) {
        await this.#secagg.begin(opened, plan, this.engine);
        this.#track(opened.roundId);
      }
    }
  }

  /**
   * Claims the round, releases it through its plan's engine and publishes the release (status
   * released or refused). False when another owner holds the claim or the round is already done.
   */
  close(roundId: string, options: { readonly force?: boolean } = {}): Promise<boolean> {
    if (this.#options.role === 'helper') return Promise.resolve(false);
    if (this.#secagg.view(roundId)) {
      // a secure-aggregation round is released by its protocol: closing it ends its current phase now
      return this.#secagg.closePhase(roundId).then(() => false);
    }
    const running = this.#closing.get(roundId);
    if (running) return running;
    const p = this.#close(roundId, options.force === true).finally(() => this.#closing.delete(roundId));
    this.#closing.set(roundId, p);
    return p;
  }

  async #close(roundId: string, force: boolean): Promise<boolean> {
    const t0 = performance.now();
    // a secure-aggregation round coordinated by another instance is released by its protocol there
    const stored = await this.#storage.round(roundId);
    if (stored && (await this.#isSecagg(stored))) return false;
    const claimed = await this.#storage.claimClose(roundId, this.owner, this.#now(), this.#options.leaseMs, { force });
    if (!claimed) return false;
    if (this.#current?.roundId === roundId) this.#current = null;
    // keep the lease while computing, so no other instance takes over a live closing
    let renewing: Promise<unknown> | null = null;
    const renew = setInterval(
      () => {
        // one renewal at a time: a renewal stuck behind a lock must not take the pool's every connection
        renewing ??= this.#storage
          .claimClose(roundId, this.owner, this.#now(), this.#options.leaseMs)
          .catch(() => undefined)
          .finally(() => (renewing = null));
      },
      Math.max(1, Math.floor(this.#options.leaseMs / 3)),
    );
    renew.unref();
    try {
      const round = (await this.#storage.round(roundId)) as StoredRound;
      const engine = await this.engineFor(round.planId, round.planRevision);
      const r = engine.openRound({ roundId });
      const stored: Uint8Array[] = [];
      for await (const page of this.#storage.reportPages(roundId, 2000)) {
        for (const bytes of page) {
          r.add(bytes);
          if (this.#options.prio3Leader) stored.push(bytes);
        }
      }
      // two aggregators: verify with the helper and combine both noisy aggregate shares first
      if (this.#options.prio3Leader) await this.#options.prio3Leader.aggregate(roundId, engine, r, stored);
      // the default CSPRNG: central noise and top-ups are never drawn from a seeded generator here
      const release = r.release();
      const ok = await this.#storage.publish(roundId, this.owner, { status: release.status, document: JSON.stringify(release), at: this.#now() }, this.#options.retention);
      if (ok) this.#options.events.released(round, release.status, (performance.now() - t0) / 1000);
      return ok;
    } catch (e) {
      this.#options.events.failed(roundId, e);
      return false;
    } finally {
      clearInterval(renew);
    }
  }

  /** Stops the clock and waits for closings in progress. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#ticking) await this.#ticking;
    await Promise.all([...this.#closing.values()]);
  }
}
