/**
 * The HTTP routes of secure-aggregation rounds (devices): join, long-poll a phase, send a protocol
 * message. Sessions are bearer tokens the join returns (stored as digests); protocol messages are
 * `@pinhole/secagg` wire bytes relayed as they are, steps a core envelope of type
 * "pinhole/secagg-step" (MessagePack).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { SecaggCoordinator } from './secagg.js';
import { problems, roundParams } from './api-schemas.js';
import { HttpProblem } from './problem.js';

const session = [{ secaggSession: [] }];

/** Marks a request one instance forwarded to another, which answers it itself (no second hop). */
export const FORWARDED = 'x-pinhole-forwarded';

/**
 * Several instances on one database: a round's device requests reaching an instance that does not
 * coordinate it are relayed, as they are, to the one that does, and its answer back.
 */
export async function relay(request: FastifyRequest, reply: FastifyReply, target: string): Promise<FastifyReply> {
  const headers: Record<string, string> = { [FORWARDED]: '1' };
  for (const h of ['authorization', 'content-type', 'accept']) {
    const v = request.headers[h];
    if (typeof v === 'string') headers[h] = v;
  }
  const body = request.method !== 'POST' ? undefined : Buffer.isBuffer(request.body) ? new Uint8Array(request.body) : JSON.stringify(request.body);
  let res: Response;
  try {
    res = await fetch(`${target}${request.url}`, { method: request.method, headers, ...(body === undefined ? {} : { body }) });
  } catch {
    throw new HttpProblem(503, 'unavailable', 'roundId', 'the instance coordinating this secure-aggregation round does not answer; retry', { 'retry-after': '1' });
  }
  void reply.code(res.status);
  for (const h of ['content-type', 'cache-control', 'retry-after', 'www-authenticate']) {
    const v = res.headers.get(h);
    if (v !== null) void reply.header(h, v);
  }
  return reply.send(Buffer.from(await res.arrayBuffer()));
}

export function registerSecaggRoutes(app: FastifyInstance, base: string, coordinator: () => SecaggCoordinator, msgpackTypes: readonly string[]): void {
  /** the coordinating instance's URL when that is another one (and this request was not forwarded already) */
  const elsewhere = async (request: FastifyRequest, roundId: string): Promise<string | null> => {
    if (request.headers[FORWARDED] !== undefined) return null;
    const where = await coordinator().route(roundId);
    if (where === 'here') return null;
    if (where === 'retry') throw new HttpProblem(503, 'unavailable', 'roundId', 'the secure-aggregation round is being taken over by another instance; retry', { 'retry-after': '1' });
    return where;
  };
  app.post(
    `${base}/secagg/:roundId/join`,
    {
      schema: {
        summary: 'Join a secure-aggregation round: a slot in its cohort and a session token (devices)',
        description:
          'One slot per contributor token (contributorToken(secret, { planId, roundId })). While the join phase is open the same contributor gets its slot again with a new session; afterwards a second join is refused.',
        tags: ['devices', 'secure aggregation'],
        params: roundParams,
        body: { type: 'object', additionalProperties: false, required: ['contributor'], properties: { contributor: { type: 'string', pattern: '^[0-9a-f]{32}$' } } },
        response: {
          201: {
            type: 'object',
            required: ['slot', 'session'],
            properties: { slot: { type: 'integer' }, session: { type: 'string', description: 'bearer token for this round’s step and message requests' } },
          },
          200: { type: 'object', required: ['slot', 'session'], properties: { slot: { type: 'integer' }, session: { type: 'string' } } },
          ...problems(400, 404, 409, 429),
        },
      },
    },
    async (request, reply) => {
      const { roundId } = request.params as { roundId: string };
      const target = await elsewhere(request, roundId);
      if (target !== null) return relay(request, reply, target);
      const { contributor } = request.body as { contributor: string };
      const joined = await coordinator().join(roundId, contributor);
      return reply.code(joined.rejoined ? 200 : 201).send({ slot: joined.slot, session: joined.session });
    },
  );

  app.get(
    `${base}/secagg/:roundId/step`,
    {
      schema: {
        summary: 'The current phase and this device’s messages for it, waiting while the phase is still `after` (long poll, devices)',
        description:
          'Answers application/msgpack: the core envelope "pinhole/secagg-step" { round, phase, deadline, messages, detail }. phase is join, advertise, share, masked, consistency, unmask, done (detail: the release status), aborted (detail: why) or excluded (this device missed an earlier phase).',
        tags: ['devices', 'secure aggregation'],
        security: session,
        params: roundParams,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            after: { type: 'string', enum: ['none', 'join', 'advertise', 'share', 'masked', 'consistency', 'unmask'], default: 'none', description: 'the phase this device has answered' },
            wait: { type: 'integer', minimum: 0, maximum: 60, default: 0, description: 'seconds to wait for the next phase' },
          },
        },
        response: { 200: { description: 'the step', content: { 'application/msgpack': { schema: { type: 'string', format: 'binary' } } } }, ...problems(401, 404, 429) },
      },
    },
    async (request, reply) => {
      const { roundId } = request.params as { roundId: string };
      const target = await elsewhere(request, roundId);
      if (target !== null) return relay(request, reply, target);
      const q = request.query as { after: string; wait: number };
      const bytes = await coordinator().step(roundId, request.headers.authorization, q.after, q.wait * 1000);
      void reply.type('application/msgpack').header('cache-control', 'no-store');
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
  );

  app.post(
    `${base}/secagg/:roundId/messages`,
    {
      schema: {
        summary: 'Send one secure-aggregation protocol message of the current phase (devices)',
        description: 'The body is the message bytes a SecAggClient returned. 202: accepted and committed; 200: the same bytes were accepted before (a retry).',
        tags: ['devices', 'secure aggregation'],
        security: session,
        consumes: [...msgpackTypes],
        params: roundParams,
        body: { type: 'string', format: 'binary' },
        response: {
          202: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['accepted'] } } },
          200: { type: 'object', required: ['status'], properties: { status: { type: 'string', enum: ['duplicate'] } } },
          ...problems(400, 401, 404, 409, 413, 415, 429),
        },
      },
      // the body is bytes, checked by the protocol; the round id is only looked up
      validatorCompiler: () => () => true,
      onRequest: async (request) => {
        const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
        if (!msgpackTypes.includes(type)) throw new HttpProblem(415, 'unsupported_media_type', 'content-type', `a protocol message is sent as ${msgpackTypes[0]}`);
      },
    },
    async (request, reply) => {
      const { roundId } = request.params as { roundId: string };
      const target = await elsewhere(request, roundId);
      if (target !== null) return relay(request, reply, target);
      const body = request.body;
      if (!Buffer.isBuffer(body)) throw new HttpProblem(415, 'unsupported_media_type', 'content-type', `a protocol message is sent as ${msgpackTypes[0]}`);
      const status = await coordinator().message(roundId, request.headers.authorization, new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
      return reply.code(status === 'accepted' ? 202 : 200).send({ status });
    },
  );
}
