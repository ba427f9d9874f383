/**
 * The HTTP API (Fastify): versioned routes with schemas, problem+json for every refusal, body
 * limits, a per-client rate limit, bearer tokens for carriers and operators, and the OpenAPI
 * document generated from the same schemas.
 */
import { createHash } from 'node:crypto';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyInstance, type FastifyServerOptions, LogController } from 'fastify';
import { PinholeError } from '@pinhole/core';
import { isContributorToken } from '@pinhole/core/wire';
import { type TokenSet, authorize } from './access.js';
import { ackSchema, iso, operatorSecurity, problems, roundParams, roundSchema } from './api-schemas.js';
import type { GroupCommit } from './group-commit.js';
import type { Metrics } from './metrics.js';
import { HttpProblem, PROBLEM_TYPE, toProblem } from './problem.js';
import type { RoundManager } from './rounds.js';
import type { Prio3Helper } from './prio3.js';
import { registerPrio3HelperRoutes } from './prio3-routes.js';
import { registerReleaseRoutes } from './release-routes.js';
import type { SecaggCoordinator } from './secagg.js';
import { FORWARDED, registerSecaggRoutes, relay } from './secagg-routes.js';
import type { CommitOutcome, Storage, StoredRound } from './storage.js';

export const API_VERSION = 'v1';
export const MSGPACK_TYPES = ['application/msgpack', 'application/vnd.msgpack', 'application/x-msgpack'] as const;

export interface AppOptions {
  readonly storage: Storage;
  readonly rounds: RoundManager;
  readonly commits: GroupCommit;
  readonly metrics: Metrics;
  readonly carriers: TokenSet;
  readonly operators: TokenSet;
  readonly maxBodyBytes: number;
  /** requests per client per minute; null: no limit */
  readonly rateLimit: number | null;
  readonly trustProxy: boolean;
  /** origins whose pages may call the API from a browser (CORS); empty: none */
  readonly corsOrigins: readonly string[];
  readonly logger: Exclude<FastifyServerOptions['logger'], undefined>;
  readonly logRequests: boolean;
  readonly version: string;
  /** a two-aggregator helper: its routes for the leader, and no releases of its own */
  readonly prio3Helper?: Prio3Helper;
  /** the token the leader sends to the helper */
  readonly peers?: TokenSet;
}

function roundView(r: StoredRound, secagg: ReturnType<SecaggCoordinator['view']>) {
  return {
    roundId: r.roundId,
    planId: r.planId,
    planRevision: r.planRevision,
    status: r.status,
    openedAt: iso(r.openedAt),
    closesAt: iso(r.closesAt),
    closeAtReports: r.closeAtReports,
    spent: r.spent,
    secagg,
  };
}

function outcomeProblem(outcome: CommitOutcome, roundId: string): HttpProblem | null {
  switch (outcome) {
    case 'stored':
    case 'duplicate':
      return null;
    case 'conflict_contributor':
      return new HttpProblem(
        409,
        'protocol_violation',
        'report.contributor',
        `"report.contributor" already has a report in round ${JSON.stringify(roundId)}: a device contributes at most one report per round`,
      );
    case 'conflict_report':
      return new HttpProblem(409, 'protocol_violation', 'report.reportId', '"report.reportId" was stored before with other bytes: a retry must resend the same report');
    case 'round_closed':
      return new HttpProblem(409, 'invalid_state', 'report.roundId', `round ${JSON.stringify(roundId)} no longer collects reports; fetch /${API_VERSION}/rounds/current`);
    case 'unknown_round':
      return new HttpProblem(404, 'not_found', 'report.roundId', `"report.roundId" names no round of this server`);
  }
}

const ROUTES = new WeakMap<FastifyInstance, { method: string; url: string }[]>();

/** Every route the app registered (method, path), for checking them against the OpenAPI document. */
export function registeredRoutes(app: FastifyInstance): readonly { readonly method: string; readonly url: string }[] {
  return ROUTES.get(app) ?? [];
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const raw = (status: number, code: 'invalid_argument' | 'not_found' | 'request_timeout', param: string, detail: string) =>
    JSON.stringify({ type: `https://pinhole.dev/problems/${code}`, title: code.replace(/_/g, ' '), status, detail, code, param });
  const app = Fastify({
    logger: o.logger,
    logController: new LogController({ disableRequestLogging: !o.logRequests }),
    // a malformed URL or HTTP message is answered as problem+json too
    frameworkErrors: (_error, _req, reply) => {
      void (reply as unknown as { code(n: number): { type(t: string): { send(b: string): unknown } } })
        .code(400)
        .type(PROBLEM_TYPE)
        .send(raw(400, 'invalid_argument', 'url', 'the request URL is malformed'));
    },
    clientErrorHandler: (error, socket) => {
      if (!socket.writable) return;
      // a request not received within requestTimeout was slow, not malformed: 408 says retry (a
      // device's protocol message is idempotent), where a 400 made a slow device leave its round
      const late = (error as { code?: string }).code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const body = late ? raw(408, 'request_timeout', 'request', 'the HTTP request did not arrive in time; retry') : raw(400, 'invalid_argument', 'request', 'the HTTP request is malformed');
      socket.end(`HTTP/1.1 ${late ? '408 Request Timeout' : '400 Bad Request'}\r\nContent-Type: ${PROBLEM_TYPE}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    },
    bodyLimit: o.maxBodyBytes,
    trustProxy: o.trustProxy,
    exposeHeadRoutes: false,
    // an unknown query field is refused, not silently dropped
    ajv: { customOptions: { removeAdditional: false } },
    return503OnClosing: false,
    // a body is read only up to the limit; a slow client does not hold a connection forever
    requestTimeout: 30_000,
    connectionTimeout: 60_000,
    // longer than a long poll (30 s at most) so a device keeps its connection between polls; a client
    // reusing a socket the server is closing gets a reset
    keepAliveTimeout: 55_000,
  });
  const routes: { method: string; url: string }[] = [];
  ROUTES.set(app, routes);
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method: String(method), url: r.url });
  });
  let closing = false;
  app.addHook('onClose', async () => {
    closing = true;
  });
  app.addHook('onRequest', async () => {
    if (closing) throw new HttpProblem(503, 'unavailable', '', 'the server is shutting down', { connection: 'close', 'retry-after': '5' });
  });

  app.setErrorHandler((error, request, reply) => {
    const { problem, headers, internal } = toProblem(error);
    if (internal) request.log.error({ err: error }, 'internal error');
    o.metrics.problems.inc({ status: String(problem.status), code: problem.code });
    // Fastify closes the connection after an unread body; closing with the client's bytes still
    // arriving resets it, and the client loses this answer. Keep it open: Node discards the rest of
    // the declared body (bounded by requestTimeout) and the client reads the 413.
    if (problem.status === 413) reply.removeHeader('connection');
    void reply.code(problem.status).headers(headers).type(PROBLEM_TYPE).send(problem);
  });
  app.setNotFoundHandler((request, reply) => {
    o.metrics.problems.inc({ status: '404', code: 'not_found' });
    void reply
      .code(404)
      .type(PROBLEM_TYPE)
      .send({
        type: 'https://pinhole.dev/problems/not_found',
        title: 'not found',
        status: 404,
        detail: `no route ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}`,
        code: 'not_found',
        param: 'url',
      });
  });

  app.addContentTypeParser([...MSGPACK_TYPES], { parseAs: 'buffer', bodyLimit: o.maxBodyBytes }, (_req, body, done) => done(null, body));

  if (o.corsOrigins.length > 0) {
    // web pages that embed the client SDK on another origin: device routes only need simple reads and posts
    await app.register(cors, {
      origin: [...o.corsOrigins],
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'authorization', 'accept'],
      maxAge: 600,
    });
  }

  if (o.rateLimit !== null) {
    await app.register(rateLimit, {
      global: true,
      max: o.rateLimit,
      timeWindow: 60_000,
      keyGenerator: (req) => req.ip,
      errorResponseBuilder: (_req, ctx) =>
        new HttpProblem(429, 'rate_limited', '', `more than ${ctx.max} requests per minute from this client; retry in ${Math.ceil(ctx.ttl / 1000)} s`, {
          'retry-after': String(Math.ceil(ctx.ttl / 1000)),
        }),
    });
  }

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Pinhole aggregator',
        version: o.version,
        description: 'Devices upload privacy-protected round reports; carriers read releases. Every refusal is RFC 9457 problem+json.',
      },
      components: {
        securitySchemes: {
          carrierToken: { type: 'http', scheme: 'bearer', description: 'one token per carrier: reads releases' },
          operatorToken: { type: 'http', scheme: 'bearer', description: 'operators: close rounds' },
          secaggSession: { type: 'http', scheme: 'bearer', description: 'a device in a secure-aggregation round: the session its join returned' },
          peerToken: { type: 'http', scheme: 'bearer', description: 'two-aggregator plans: the token the leader and the helper share' },
        },
      },
    },
  });

  const v = `/${API_VERSION}`;

  app.get(`${v}/openapi.json`, { schema: { summary: 'This OpenAPI document', tags: ['meta'], response: { 200: { type: 'object', additionalProperties: true } } } }, async () => app.swagger());

  app.get(
    `${v}/plan`,
    {
      schema: {
        summary: 'The deployed collection plan (a pinhole-plan document), as devices read it',
        tags: ['devices'],
        response: { 200: { type: 'object', additionalProperties: true, description: 'the plan document (see the package README)' }, ...problems(429) },
      },
    },
    async (_req, reply) => {
      void reply.type('application/json');
      return JSON.stringify(o.rounds.plan);
    },
  );

  app.get(
    `${v}/rounds/current`,
    { schema: { summary: 'The round a device should report to now, with its closing time', tags: ['devices'], response: { 200: roundSchema, ...problems(404, 429) } } },
    async () => {
      const r = o.rounds.current;
      if (!r) throw new HttpProblem(404, 'not_found', 'round', 'no round is collecting now: the period’s budget is spent or the next round has not opened yet');
      return roundView(r, o.rounds.secagg.view(r.roundId));
    },
  );

  app.post(
    `${v}/reports`,
    {
      schema: {
        summary: 'Upload one round report (core’s report envelope, MessagePack); acknowledged after it is committed',
        description:
          'The body is the bytes of `encodeRoundReport` with a `contributor` token. 201: stored now; 200: this report id was stored before with the same bytes (a retry). One report per contributor token and round.',
        tags: ['devices'],
        consumes: [...MSGPACK_TYPES],
        body: { type: 'string', format: 'binary', description: 'the report envelope' },
        response: { 201: ackSchema, 200: ackSchema, ...problems(400, 404, 409, 413, 415, 429, 503) },
      },
      // the body is bytes, checked by the engine, not by JSON schema
      validatorCompiler: () => () => true,
      // refuse another media type before reading its body
      onRequest: async (request) => {
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        if (!(MSGPACK_TYPES as readonly string[]).includes(type)) throw new HttpProblem(415, 'unsupported_media_type', 'content-type', `a report is uploaded as ${MSGPACK_TYPES[0]}`);
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (!Buffer.isBuffer(body)) throw new HttpProblem(415, 'unsupported_media_type', 'content-type', `a report is uploaded as ${MSGPACK_TYPES[0]}`);
      const decoded = o.rounds.engine.decodeReport(body);
      const report = decoded.report;
      if (report.contributor === undefined || !isContributorToken(report.contributor)) {
        throw new PinholeError(
          'decode_failed',
          'report.contributor',
          '"report.contributor" expected a contributor token (contributorToken(secret, { planId, roundId })): this server keeps one report per device per round',
        );
      }
      const current = o.rounds.current;
      if (current === null || current.roundId !== report.roundId) {
        const known = await o.storage.round(report.roundId);
        if (!known) throw new HttpProblem(404, 'not_found', 'report.roundId', '"report.roundId" names no round of this server');
        // a retry of a report stored before the round closed is still acknowledged below
        if (known.status === 'collecting' && known.planId === o.rounds.plan.id && known.planRevision === o.rounds.plan.revision) await o.rounds.refresh();
      }
      const digest = createHash('sha256').update(body).digest('hex');
      o.metrics.queue.set(o.commits.pending + 1);
      const outcome = await o.commits.submit({ roundId: report.roundId, reportId: report.reportId, contributor: report.contributor, digest, bytes: body });
      o.metrics.reports.inc({ outcome });
      const refusal = outcomeProblem(outcome, report.roundId);
      if (refusal) throw refusal;
      return reply.code(outcome === 'stored' ? 201 : 200).send({ status: outcome, roundId: report.roundId, reportId: report.reportId });
    },
  );

  registerReleaseRoutes(app, v, o);

  app.post(
    `${v}/rounds/:roundId/close`,
    {
      schema: {
        summary: 'Close a collecting round now and release it (operators)',
        tags: ['operators'],
        security: operatorSecurity,
        params: roundParams,
        description:
          'A secure-aggregation round is released by its protocol: closing it ends its current phase now (the join, to start the protocol with the devices that joined) and answers 202 with the phase it is in.',
        response: {
          200: { type: 'object', required: ['roundId', 'status'], properties: { roundId: { type: 'string' }, status: { type: 'string', enum: ['released', 'refused'] } } },
          202: { type: 'object', required: ['roundId', 'status', 'phase'], properties: { roundId: { type: 'string' }, status: { type: 'string', enum: ['in_progress'] }, phase: { type: 'string' } } },
          ...problems(401, 403, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      const who = authorize(request.headers.authorization, o.operators, 'operators');
      const { roundId } = request.params as { roundId: string };
      const round = await o.storage.round(roundId);
      if (!round) throw new HttpProblem(404, 'not_found', 'roundId', '"roundId" names no round of this server');
      // several instances: a secure-aggregation round's phases are closed where it is coordinated
      if (request.headers[FORWARDED] === undefined) {
        const where = await o.rounds.secagg.route(roundId);
        if (where !== 'here' && where !== 'retry') return relay(request, reply, where);
      }
      const secagg = o.rounds.secagg.view(roundId);
      if (secagg && (round.status === 'collecting' || round.status === 'closing')) {
        request.log.info({ roundId, operator: who, phase: secagg.phase }, 'secure-aggregation phase closed by an operator');
        const phase = await o.rounds.secagg.closePhase(roundId);
        const now = await o.storage.round(roundId);
        if (now && (now.status === 'released' || now.status === 'refused')) return { roundId, status: now.status };
        return reply.code(202).send({ roundId, status: 'in_progress', phase: phase ?? secagg.phase });
      }
      if (round.status === 'collecting' || round.status === 'closing') {
        request.log.info({ roundId, operator: who }, 'round closed by an operator');
        await o.rounds.close(roundId);
        void o.rounds.tick();
      }
      const after = await o.storage.round(roundId);
      if (!after || (after.status !== 'released' && after.status !== 'refused'))
        throw new HttpProblem(409, 'invalid_state', 'roundId', `round ${JSON.stringify(roundId)} could not be closed now; retry`);
      return { roundId, status: after.status };
    },
  );

  app.get(
    `${v}/health`,
    {
      schema: {
        summary: 'Liveness and what the server serves',
        tags: ['meta'],
        response: {
          200: {
            type: 'object',
            required: ['status', 'storage', 'plan', 'round'],
            properties: {
              status: { type: 'string', enum: ['ok'] },
              storage: { type: 'string' },
              plan: { type: 'object', properties: { id: { type: 'string' }, revision: { type: 'integer' } } },
              round: { type: ['string', 'null'] },
            },
          },
          ...problems(429, 503),
        },
      },
    },
    async () => ({ status: 'ok', storage: o.storage.kind, plan: { id: o.rounds.plan.id, revision: o.rounds.plan.revision }, round: o.rounds.current?.roundId ?? null }),
  );

  app.get(
    `${v}/metrics`,
    {
      schema: {
        summary: 'Prometheus metrics (text exposition format)',
        tags: ['meta'],
        response: { 200: { description: 'metrics', content: { 'text/plain': { schema: { type: 'string' } } } }, ...problems(429) },
      },
    },
    async (_req, reply) => {
      o.metrics.queue.set(o.commits.pending);
      void reply.type(o.metrics.registry.contentType);
      return o.metrics.registry.metrics();
    },
  );

  registerSecaggRoutes(app, v, () => o.rounds.secagg, MSGPACK_TYPES);
  if (o.prio3Helper) await registerPrio3HelperRoutes(app, v, o.prio3Helper, o.peers as TokenSet);

  return app;
}
