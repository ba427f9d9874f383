/**
 * `pinhole-aggregator`: `serve` runs the aggregator on one SQLite file, or as one of several
 * instances sharing a PostgreSQL database; `plan check` validates a plan file as the server would
 * before deploying it.
 */
import { parseArgs } from 'node:util';
import { isPinholeError } from '@pinhole/core';
import { planPeriodLoss, planRoundLoss } from '@pinhole/core/plan';
import { makeReleaseEngine } from './engine/engine.js';
import { DEFAULT_SECAGG_TIMING } from './server/secagg.js';
import { DEFAULTS, startServer } from './server/serve.js';

const HELP: Record<string, string> = {
  main: `pinhole-aggregator — the Pinhole aggregator server

Usage:
  pinhole-aggregator serve --db ./pinhole.db --plan plan.json --port 8080 [options]
  pinhole-aggregator serve --db postgres://user@host/db --plan plan.json --port 8080 [options]
  pinhole-aggregator plan check plan.json
  pinhole-aggregator <command> --help

Commands:
  serve        receive reports over HTTP, run rounds, publish releases to carriers
  plan check   validate a plan file (structure, budget, every resolved parameter) and print its spend
`,
  serve: `pinhole-aggregator serve — run the aggregator

Usage: pinhole-aggregator serve --db FILE|URL --plan FILE --port N [options]

  --db FILE             SQLite database file (created if missing; WAL mode, synchronous=FULL): one instance
  --db URL              postgres://user:password@host:5432/database (or postgresql://; PGPASSWORD and the
                        other libpq variables apply): several instances may share it, each taking uploads;
                        closing and releasing a round is claimed by one of them at a time
  --db-pool N           PostgreSQL connections per instance (default ${DEFAULTS.dbPool})
  --db-statement-timeout-ms N
                        PostgreSQL statement timeout (default ${DEFAULTS.dbStatementTimeoutMs})
  --lease-ms N          a round's closing is claimed for this long and renewed while it runs; a crashed
                        instance's claim is taken over once it expires (default ${DEFAULTS.leaseMs})
  --tick-ms N           how often round deadlines and claims are checked (default ${DEFAULTS.tickMs})
  --advertise-url URL   where the other instances on the same PostgreSQL reach this one: they forward a
                        secure-aggregation round's device requests to the instance coordinating it
                        (default: the address it listens on)
  --plan FILE           the collection plan (pinhole-plan JSON). A plan other than the deployed one
                        must pass checkPlanChange, or the server refuses to start
  --port N              TCP port (0: any free port; the log says which)
  --host ADDR           address to listen on (default 127.0.0.1)
  --tokens FILE         JSON { "carriers": { "<name>": "<token>" }, "operators": { "<name>": "<token>" } };
                        also PINHOLE_CARRIER_TOKENS / PINHOLE_OPERATOR_TOKENS = "name=token,…".
                        Carriers read releases; operators close rounds; devices need no token
  --max-body-bytes N    largest upload accepted (default ${DEFAULTS.maxBodyBytes})
  --rate-limit N        requests per client address per minute (default ${DEFAULTS.rateLimit}; 0: off)
  --trust-proxy         take the client address from X-Forwarded-For (behind a reverse proxy)
  --commit-batch N      most reports in one group-commit transaction (default ${DEFAULTS.commitBatch})
  --commit-delay-ms N   wait this long to gather a larger batch (default ${DEFAULTS.commitDelayMs})
  --keep-reports        keep raw reports (and secure-aggregation messages) after their round is released
                        (default: delete them)
  --cors-origin ORIGIN  let web pages of ORIGIN call the API from a browser (repeat, or comma-separate)
  --secagg-join-seconds N   secure aggregation: the join phase closes after N s at the latest, or when
                        the cohort is full (default ${DEFAULT_SECAGG_TIMING.joinMs / 1000})
  --secagg-phase-seconds N  deadline of each protocol phase (default ${DEFAULT_SECAGG_TIMING.phaseMs / 1000})
  --secagg-quiet-ms N   close a phase early once (1 - dropoutRate) of its devices answered and none for
                        N ms; the silent ones are dropouts (default ${DEFAULT_SECAGG_TIMING.quietMs})
  --role leader|helper  two-aggregator plans (collections of mode "prio3"): this server's role. The
                        leader runs the schedule, takes operators' closes and publishes releases;
                        the helper takes only the rounds the leader announces
  --peer URL            the leader: the helper's base URL (the helper needs none). Both need PINHOLE_PEER_TOKEN (a shared
                        bearer token) and PINHOLE_PRIO3_VERIFY_KEY (64 hex digits, never given to
                        devices) in the environment
  --insecure-test-no-noise  INSECURE, tests only: the aggregators add no noise (exact sums)
  --log-level LEVEL     fatal|error|warn|info|debug|trace|silent (default info); JSON lines on stdout
  --log-requests        log every request (method, route, status, time; never bodies or tokens)

SIGTERM/SIGINT: stop accepting, let in-flight uploads commit and closings finish, close the database.
`,
  plan: `pinhole-aggregator plan check FILE — validate a plan file

Runs checkPlan and the release engine's deep checks (the same as serve), then prints the plan's
collections and what one round and one period charge a device. Exit code 1 on an invalid plan,
with the offending field's path.
`,
};

function fail(message: string): never {
  process.stderr.write(`pinhole-aggregator: ${message}\n`);
  process.exit(1);
}

function int(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min) fail(`--${name} expected an integer >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function describe(e: unknown): string {
  if (isPinholeError(e)) return `${e.code} (${e.param}): ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      db: { type: 'string' },
      'db-pool': { type: 'string' },
      'db-statement-timeout-ms': { type: 'string' },
      'lease-ms': { type: 'string' },
      'advertise-url': { type: 'string' },
      'tick-ms': { type: 'string' },
      plan: { type: 'string' },
      port: { type: 'string' },
      host: { type: 'string' },
      tokens: { type: 'string' },
      'max-body-bytes': { type: 'string' },
      'rate-limit': { type: 'string' },
      'trust-proxy': { type: 'boolean' },
      'commit-batch': { type: 'string' },
      'commit-delay-ms': { type: 'string' },
      'keep-reports': { type: 'boolean' },
      'cors-origin': { type: 'string', multiple: true },
      'secagg-join-seconds': { type: 'string' },
      'secagg-phase-seconds': { type: 'string' },
      'secagg-quiet-ms': { type: 'string' },
      'log-level': { type: 'string' },
      'log-requests': { type: 'boolean' },
      role: { type: 'string' },
      peer: { type: 'string' },
      'insecure-test-no-noise': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(HELP.serve as string);
    return;
  }
  if (!values.db) fail('serve needs --db FILE or --db postgres://…');
  if (!values.plan) fail('serve needs --plan FILE');
  const port = int('port', values.port, 0);
  if (port === undefined || port > 65535) fail('serve needs --port N (0 to 65535)');
  const level = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level)) fail(`--log-level expected fatal|error|warn|info|debug|trace|silent, got ${JSON.stringify(level)}`);
  const maxBodyBytes = int('max-body-bytes', values['max-body-bytes'], 64);
  const rateLimit = int('rate-limit', values['rate-limit'], 0);
  const commitBatch = int('commit-batch', values['commit-batch'], 1);
  const commitDelayMs = int('commit-delay-ms', values['commit-delay-ms'], 0);
  const dbPool = int('db-pool', values['db-pool'], 1);
  const dbStatementTimeoutMs = int('db-statement-timeout-ms', values['db-statement-timeout-ms'], 1);
  const leaseMs = int('lease-ms', values['lease-ms'], 100);
  const tickMs = int('tick-ms', values['tick-ms'], 10);
  const joinSeconds = int('secagg-join-seconds', values['secagg-join-seconds'], 1);
  const phaseSeconds = int('secagg-phase-seconds', values['secagg-phase-seconds'], 1);
  const quietMs = int('secagg-quiet-ms', values['secagg-quiet-ms'], 0);
  if (values['advertise-url'] !== undefined && !/^https?:\/\/[^/\s]+$/.test(values['advertise-url']))
    fail(`--advertise-url expected a base URL such as http://10.0.0.5:8080, got ${JSON.stringify(values['advertise-url'])}`);
  const corsOrigins = (values['cors-origin'] ?? [])
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter((x) => x.length > 0);
  for (const origin of corsOrigins) if (!/^https?:\/\/[^/\s]+$/.test(origin)) fail(`--cors-origin expected an origin such as https://app.example.org, got ${JSON.stringify(origin)}`);
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer({
      db: values.db,
      plan: values.plan,
      port,
      ...(values.host === undefined ? {} : { host: values.host }),
      ...(values.tokens === undefined ? {} : { tokens: values.tokens }),
      ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
      ...(rateLimit === undefined ? {} : { rateLimit }),
      ...(commitBatch === undefined ? {} : { commitBatch }),
      ...(commitDelayMs === undefined ? {} : { commitDelayMs }),
      ...(dbPool === undefined ? {} : { dbPool }),
      ...(dbStatementTimeoutMs === undefined ? {} : { dbStatementTimeoutMs }),
      ...(leaseMs === undefined ? {} : { leaseMs }),
      ...(tickMs === undefined ? {} : { tickMs }),
      ...(values['advertise-url'] === undefined ? {} : { advertiseUrl: values['advertise-url'] }),
      retention: !values['keep-reports'],
      corsOrigins,
      secagg: {
        ...(joinSeconds === undefined ? {} : { joinMs: joinSeconds * 1000 }),
        ...(phaseSeconds === undefined ? {} : { phaseMs: phaseSeconds * 1000 }),
        ...(quietMs === undefined ? {} : { quietMs }),
      },
      trustProxy: values['trust-proxy'] === true,
      ...(values.role === undefined ? {} : { role: values.role as 'leader' | 'helper' }),
      ...(values.peer === undefined ? {} : { peer: values.peer }),
      insecureNoNoise: values['insecure-test-no-noise'] === true,
      logRequests: values['log-requests'] === true,
      // pino: JSON lines; the request serializer has no headers, so no token is ever logged
      logger: { level, redact: ['req.headers.authorization', 'req.headers.cookie'] },
    });
  } catch (e) {
    fail(describe(e));
  }
  let stopping = 0;
  const stop = (signal: string) => {
    // a terminal's Ctrl-C reaches both the bin wrapper's child and (forwarded) again: only a later signal forces an exit
    if (stopping > 0) {
      if (Date.now() - stopping > 1000) process.exit(1);
      return;
    }
    stopping = Date.now();
    server.app.log.info({ signal }, 'shutting down: finishing in-flight commits');
    server.close().then(
      () => process.exit(0),
      (e: unknown) => {
        server.app.log.error({ err: e }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

async function planCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help' || rest.includes('--help')) {
    process.stdout.write(HELP.plan as string);
    return;
  }
  if (sub !== 'check') fail(`plan expected the subcommand "check", got ${JSON.stringify(sub)}`);
  const file = rest[0];
  if (!file) fail('plan check needs a plan file');
  const { readFileSync } = await import('node:fs');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`cannot read ${file} as JSON: ${(e as Error).message.split('\n')[0]}`);
  }
  try {
    const engine = makeReleaseEngine(json);
    const plan = engine.plan;
    const round = planRoundLoss(plan);
    const period = planPeriodLoss(plan);
    const lines = [
      `plan "${plan.id}" revision ${plan.revision}: valid`,
      `  budget per device per period: epsilon ${plan.budget.epsilon}, delta ${plan.budget.delta} (${plan.budget.periodSeconds} s from ${plan.budget.periodStart})`,
      `  rounds per period: ${plan.schedule.roundsPerPeriod}; a round charges epsilon ${round.epsilon}, delta ${round.delta}; a full period epsilon ${period.epsilon}, delta ${period.delta}`,
      ...plan.collections.map((c) => `  ${c.id}: ${c.kind}, ${c.mode}, epsilon ${c.privacyLoss.epsilon}, delta ${c.privacyLoss.delta}, k ${c.gate.k}, min cohort ${c.minCohort}`),
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } catch (e) {
    fail(`invalid plan: ${describe(e)}`);
  }
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP.main as string);
    return;
  }
  if (command === 'serve') return serve(rest);
  if (command === 'plan') return planCommand(rest);
  fail(`unknown command ${JSON.stringify(command)} (commands: serve, plan check; --help)`);
}

main().catch((e: unknown) => fail(describe(e)));
