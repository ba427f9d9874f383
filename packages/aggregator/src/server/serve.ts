/**
 * Starting and stopping a server: open and migrate the storage (a SQLite file, or a PostgreSQL URL
 * that several instances share), deploy the plan (a change goes through checkPlanChange), recover
 * rounds, listen; on close, stop taking requests, let in-flight uploads reach their commit, finish
 * closings, close the database.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { type Plan, PinholeError, checkPlan, checkPlanChange } from '@pinhole/core';
import { makeReleaseEngine } from '../engine/engine.js';
import { loadTokens, makeTokenSet } from './access.js';
import { buildApp } from './app.js';
import { GroupCommit } from './group-commit.js';
import { Metrics } from './metrics.js';
import { type Prio3Config, type Prio3Role, Prio3Helper, Prio3Leader, prio3Layout } from './prio3.js';
import { RoundManager } from './rounds.js';
import { openPostgresStorage } from './postgres.js';
import { type SecaggTiming, DEFAULT_SECAGG_TIMING } from './secagg.js';
import { openSqliteStorage } from './sqlite.js';
import type { Storage, StoredPlan } from './storage.js';

export interface ServeOptions {
  /** a SQLite file path, or a postgres:// (postgresql://) connection URL */
  readonly db: string;
  /** PostgreSQL: connections per instance */
  readonly dbPool?: number;
  /** PostgreSQL: statements running longer are cancelled (ms) */
  readonly dbStatementTimeoutMs?: number;
  /** a plan file path, or the plan document */
  readonly plan: unknown;
  readonly port: number;
  readonly host?: string;
  /** JSON file with carrier (and operator) tokens */
  readonly tokens?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly maxBodyBytes?: number;
  /** requests per client per minute; 0 or null: no limit */
  readonly rateLimit?: number | null;
  /** most reports in one group-commit transaction */
  readonly commitBatch?: number;
  /** extra wait before a transaction, to gather a larger batch (ms) */
  readonly commitDelayMs?: number;
  /** delete a round's raw reports once released (default true) */
  readonly retention?: boolean;
  readonly tickMs?: number;
  readonly leaseMs?: number;
  readonly logger?: Exclude<FastifyServerOptions['logger'], undefined>;
  readonly logRequests?: boolean;
  readonly trustProxy?: boolean;
  /**
   * Where the other instances sharing the database reach this one (they forward a
   * secure-aggregation round's device requests to the instance coordinating it); default the
   * address it listens on
   */
  readonly advertiseUrl?: string;
  /** origins whose web pages may call the API (CORS) */
  readonly corsOrigins?: readonly string[];
  /** phase deadlines of secure-aggregation rounds */
  readonly secagg?: Partial<SecaggTiming>;
  readonly version?: string;
  readonly now?: () => number;
  /**
   * two-aggregator (prio3) plans: this server's role and the other aggregator's base URL. The
   * shared bearer token and VDAF verification key come from PINHOLE_PEER_TOKEN and
   * PINHOLE_PRIO3_VERIFY_KEY (64 hex digits) in `env`.
   */
  readonly role?: Prio3Role;
  readonly peer?: string;
  /** INSECURE, tests only: the aggregators add no noise to their aggregate shares */
  readonly insecureNoNoise?: boolean;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  readonly url: string;
  readonly storage: Storage;
  readonly rounds: RoundManager;
  /** graceful: no new requests; in-flight commits finish; closings finish; the database closes */
  close(): Promise<void>;
}

export const DEFAULTS = Object.freeze({ maxBodyBytes: 256 * 1024, rateLimit: 1200, commitBatch: 1024, commitDelayMs: 0, tickMs: 1000, leaseMs: 30_000, dbPool: 10, dbStatementTimeoutMs: 30_000 });

/** A postgres:// or postgresql:// URL selects PostgreSQL; anything else is a SQLite file. */
export function isPostgresUrl(db: string): boolean {
  return /^postgres(ql)?:\/\//i.test(db);
}

function openStorage(options: ServeOptions, onRetry: (code: string) => void): Storage {
  if (!isPostgresUrl(options.db)) return openSqliteStorage(options.db);
  return openPostgresStorage(options.db, { poolSize: options.dbPool ?? DEFAULTS.dbPool, statementTimeoutMs: options.dbStatementTimeoutMs ?? DEFAULTS.dbStatementTimeoutMs, onRetry });
}

function readPlan(source: unknown): Plan {
  if (typeof source !== 'string') return checkPlan(source);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(source, 'utf8'));
  } catch (e) {
    throw new PinholeError('invalid_argument', '--plan', `"--plan" expected a readable JSON plan file: ${(e as Error).message.split('\n')[0]}`);
  }
  return checkPlan(json);
}

/**
 * Records the plan as deployed. The same (id, revision) must be the same document; another plan
 * must pass checkPlanChange against the latest deployed one (so no device can overspend its period
 * budget), and takes effect from what that returns.
 */
export async function deployPlan(storage: Storage, plan: Plan, now: number): Promise<StoredPlan> {
  const document = JSON.stringify(plan);
  const plans = await storage.plans();
  const latest = plans[plans.length - 1];
  const same = plans.find((p) => p.planId === plan.id && p.revision === plan.revision);
  if (same) {
    if (same.document !== document) {
      throw new PinholeError(
        'invalid_argument',
        'plan.revision',
        `"plan.revision" ${plan.revision} of plan "${plan.id}" is already deployed with other content: give the changed plan a higher revision`,
      );
    }
    if (latest && latest !== same) {
      throw new PinholeError('invalid_state', 'plan', `plan "${plan.id}" revision ${plan.revision} was replaced by "${latest.planId}" revision ${latest.revision}: a plan cannot go back`);
    }
    return same;
  }
  let effectiveFrom = now;
  if (latest) effectiveFrom = checkPlanChange(checkPlan(JSON.parse(latest.document)), plan, { now }).effectiveFromMs;
  const stored: StoredPlan = { planId: plan.id, revision: plan.revision, document, deployedAt: now, effectiveFrom };
  await storage.insertPlan(stored);
  // another instance may have deployed this (id, revision) at the same moment: theirs stands, and must be this plan
  const kept = (await storage.plans()).find((p) => p.planId === plan.id && p.revision === plan.revision);
  if (kept && kept.document !== document) {
    throw new PinholeError(
      'invalid_argument',
      'plan.revision',
      `"plan.revision" ${plan.revision} of plan "${plan.id}" was just deployed with other content by another instance: give the changed plan a higher revision`,
    );
  }
  return kept ?? stored;
}

/** The two-aggregator configuration a prio3 plan needs (and that only a prio3 plan may have). */
export function prio3Config(plan: Plan, options: Pick<ServeOptions, 'role' | 'peer' | 'insecureNoNoise'>, env: Readonly<Record<string, string | undefined>>): Prio3Config | null {
  const layout = prio3Layout(plan);
  if (!layout) {
    if (options.role !== undefined || options.peer !== undefined)
      throw new PinholeError('invalid_argument', '--role', '"--role" and "--peer" are for two-aggregator plans (collections of mode "prio3")');
    return null;
  }
  if (options.role !== 'leader' && options.role !== 'helper') throw new PinholeError('invalid_argument', '--role', '"--role" expected leader or helper: this plan is collected by two aggregators');
  // the leader calls the helper; the helper only answers (its --peer, if given, is checked all the same)
  const peer = options.peer ?? (options.role === 'helper' ? '' : undefined);
  if (typeof peer !== 'string' || (peer !== '' && !/^https?:\/\/[^\s/]+[^\s]*$/.test(peer)))
    throw new PinholeError('invalid_argument', '--peer', '"--peer" expected the helper\'s base URL (http(s)://host:port)');
  const peerToken = env.PINHOLE_PEER_TOKEN;
  if (typeof peerToken !== 'string' || !/^[\x21-\x7e]{16,}$/.test(peerToken))
    throw new PinholeError('invalid_argument', 'PINHOLE_PEER_TOKEN', '"PINHOLE_PEER_TOKEN" expected the bearer token both aggregators share: at least 16 printable characters');
  const key = env.PINHOLE_PRIO3_VERIFY_KEY;
  if (typeof key !== 'string' || !/^[0-9a-fA-F]{64}$/.test(key))
    throw new PinholeError(
      'invalid_argument',
      'PINHOLE_PRIO3_VERIFY_KEY',
      '"PINHOLE_PRIO3_VERIFY_KEY" expected the VDAF verification key both aggregators share: 64 hex digits (32 random bytes, never given to devices)',
    );
  return {
    role: options.role,
    peer,
    peerToken,
    verifyKey: Uint8Array.from(Buffer.from(key, 'hex')),
    insecureNoNoise: options.insecureNoNoise === true,
  };
}

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const env = options.env ?? process.env;
  const plan = readPlan(options.plan);
  const prio3 = prio3Config(plan, options, env);
  const engine = makeReleaseEngine(plan, { prio3AggregatorId: prio3?.role === 'helper' ? 1 : 0 });
  const { carriers, operators } = loadTokens(options.tokens, env);
  const now = options.now ?? Date.now;
  const metrics = new Metrics();
  const storage = openStorage(options, (code) => metrics.storageRetries.inc({ code }));
  const logger = options.logger ?? false;
  try {
    await storage.migrate();
    const deployed = await deployPlan(storage, plan, now());
    // the round manager's events log through the app, built after it
    const late: { app?: FastifyInstance } = {};
    const log = () => late.app?.log;
    const prio3Leader = prio3?.role === 'leader' ? new Prio3Leader(prio3) : undefined;
    const rounds = new RoundManager(storage, deployed, engine, {
      role: prio3?.role ?? 'single',
      ...(prio3Leader ? { prio3Leader } : {}),
      retention: options.retention ?? true,
      tickMs: options.tickMs ?? DEFAULTS.tickMs,
      leaseMs: options.leaseMs ?? DEFAULTS.leaseMs,
      secagg: { ...DEFAULT_SECAGG_TIMING, ...(options.secagg ?? {}) },
      now,
      events: {
        opened: (r) => {
          metrics.roundsOpened.inc();
          log()?.info({ roundId: r.roundId, closesAt: r.closesAt === null ? null : new Date(r.closesAt).toISOString(), closeAtReports: r.closeAtReports }, 'round opened');
        },
        released: (r, status, seconds) => {
          metrics.rounds.inc({ status });
          metrics.closeSeconds.observe(seconds);
          log()?.info({ roundId: r.roundId, status, seconds }, 'round closed');
        },
        failed: (roundId, err) => log()?.error({ roundId, err }, 'round step failed'),
        secaggPhase: (roundId, phase, detail) => log()?.info({ roundId, phase, ...(detail === null ? {} : { detail }) }, 'secure-aggregation phase'),
      },
    });
    const closeAt = plan.schedule.closeAtReports;
    const commits = new GroupCommit(storage, {
      maxBatch: options.commitBatch ?? DEFAULTS.commitBatch,
      delayMs: options.commitDelayMs ?? DEFAULTS.commitDelayMs,
      onBatch: (size, seconds) => {
        metrics.batchSize.observe(size);
        metrics.commitSeconds.observe(seconds);
        // a round that reached its report count was marked closing in the same transaction
        if (closeAt !== null) void rounds.tick();
      },
    });
    const rate = options.rateLimit === undefined ? DEFAULTS.rateLimit : options.rateLimit;
    const prio3Helper = prio3?.role === 'helper' ? new Prio3Helper(prio3, storage, { owner: rounds.owner, engine: () => rounds.engine, refresh: () => rounds.refresh(), now }) : undefined;
    const built = await buildApp({
      storage,
      rounds,
      commits,
      metrics,
      carriers,
      operators,
      maxBodyBytes: options.maxBodyBytes ?? DEFAULTS.maxBodyBytes,
      rateLimit: rate === null || rate === 0 ? null : rate,
      trustProxy: options.trustProxy ?? false,
      corsOrigins: options.corsOrigins ?? [],
      logger,
      logRequests: options.logRequests ?? false,
      version: options.version ?? '0.1.0',
      ...(prio3Helper && prio3 ? { prio3Helper, peers: makeTokenSet([['leader', prio3.peerToken]], 'peers') } : {}),
    });
    late.app = built;
    if (carriers.size === 0 && prio3?.role !== 'helper') built.log.warn('no carrier tokens configured: nobody can read releases');
    if (prio3?.insecureNoNoise) built.log.warn('INSECURE TEST MODE: this aggregator adds no noise to its aggregate shares; releases are not differentially private');
    await rounds.start();
    const url = await built.listen({ port: options.port, host: options.host ?? '127.0.0.1' });
    rounds.setUrl(options.advertiseUrl ?? url);
    built.log.info({ url, plan: { id: plan.id, revision: plan.revision }, storage: storage.kind, instance: rounds.owner, round: rounds.current?.roundId ?? null }, 'pinhole aggregator ready');
    let closed: Promise<void> | null = null;
    return {
      app: built,
      url,
      storage,
      rounds,
      close() {
        closed ??= (async () => {
          await built.close(); // stops accepting; in-flight requests (and so their commits) finish first
          await commits.close();
          await rounds.stop();
          await storage.close();
        })();
        return closed;
      },
    };
  } catch (e) {
    await storage.close();
    throw e;
  }
}
