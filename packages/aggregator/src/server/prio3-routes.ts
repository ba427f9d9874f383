/**
 * The helper's routes for its leader (two-aggregator plans): open an announced round, verify a
 * batch of reports, give the aggregate share of the valid ones. Every request carries the bearer
 * token the two aggregators share; bodies are core envelopes (MessagePack) sent as
 * application/octet-stream, with their own size limit (a round's report ids can exceed a device
 * upload's limit).
 */
import type { FastifyInstance } from 'fastify';
import { type TokenSet, authorize } from './access.js';
import type { Prio3Helper } from './prio3.js';
import { problems, roundParams } from './api-schemas.js';
import { HttpProblem } from './problem.js';

const security = [{ peerToken: [] }];
const binary = { description: 'a core envelope (MessagePack)', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } };
export const PEER_MEDIA_TYPE = 'application/octet-stream';
const MAX_PEER_BODY = 64 << 20;

export async function registerPrio3HelperRoutes(app: FastifyInstance, base: string, helper: Prio3Helper, peers: TokenSet): Promise<void> {
  await app.register(async (peer) => {
    peer.addContentTypeParser(PEER_MEDIA_TYPE, { parseAs: 'buffer', bodyLimit: MAX_PEER_BODY }, (_req, body, done) => done(null, body));
    peer.addHook('onRequest', async (request) => {
      authorize(request.headers.authorization, peers, 'aggregators');
    });
    const bytes = (body: unknown): Uint8Array => {
      if (!Buffer.isBuffer(body)) throw new HttpProblem(415, 'unsupported_media_type', 'content-type', `peer requests are sent as ${PEER_MEDIA_TYPE}`);
      return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    };

    peer.post(
      `${base}/prio3/rounds/:roundId/open`,
      {
        schema: {
          summary: 'Open a round the leader announced, if this helper’s own ledger allows it (leader only)',
          tags: ['aggregators'],
          security,
          params: roundParams,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['planId', 'planRevision', 'periodStart', 'periodEnd', 'openedAt', 'closesAt', 'closeAtReports'],
            properties: {
              planId: { type: 'string' },
              planRevision: { type: 'integer' },
              periodStart: { type: 'integer' },
              periodEnd: { type: 'integer' },
              openedAt: { type: 'integer' },
              closesAt: { type: ['integer', 'null'] },
              closeAtReports: { type: ['integer', 'null'] },
            },
          },
          response: { 200: { type: 'object', required: ['roundId', 'status'], properties: { roundId: { type: 'string' }, status: { type: 'string' } } }, ...problems(400, 401, 403, 409, 429) },
        },
      },
      async (request) => {
        const { roundId } = request.params as { roundId: string };
        return helper.open(roundId, request.body as Record<string, unknown>);
      },
    );

    peer.post(
      `${base}/prio3/rounds/:roundId/verify`,
      {
        schema: {
          summary: 'Verify a batch of reports with the leader’s verifier shares; the round stops taking uploads (leader only)',
          description:
            'Body: envelope "pinhole/prio3-verify" { reports: [{ id, shares: [verifier share per collection] }] }. Answer: envelope "pinhole/prio3-verified" { results: [{ id, messages: [verifier message per collection] | null }] } — null when the helper rejects the report or never received its share.',
          tags: ['aggregators'],
          security,
          params: roundParams,
          consumes: [PEER_MEDIA_TYPE],
          body: { type: 'string', format: 'binary' },
          response: { 200: binary, ...problems(400, 401, 403, 404, 409, 413, 415, 429) },
        },
        validatorCompiler: () => () => true,
      },
      async (request, reply) => {
        const { roundId } = request.params as { roundId: string };
        const out = await helper.verify(roundId, bytes(request.body));
        return reply.type(PEER_MEDIA_TYPE).send(Buffer.from(out));
      },
    );

    peer.post(
      `${base}/prio3/rounds/:roundId/aggregate-share`,
      {
        schema: {
          summary: 'The helper’s noisy aggregate share of the listed valid reports, once per round (leader only)',
          description:
            'Body: envelope "pinhole/prio3-aggregate" { reports: [report ids] }, each verified valid by this helper, at least every collection’s minimum cohort. Answer: envelope "pinhole/prio3-aggregate-share" { count, shares: [aggregate share per collection], noise }. A retry with the same reports gets the same share; other reports are refused (409).',
          tags: ['aggregators'],
          security,
          params: roundParams,
          consumes: [PEER_MEDIA_TYPE],
          body: { type: 'string', format: 'binary' },
          response: { 200: binary, ...problems(400, 401, 403, 404, 409, 413, 415, 429) },
        },
        validatorCompiler: () => () => true,
      },
      async (request, reply) => {
        const { roundId } = request.params as { roundId: string };
        const out = await helper.aggregateShare(roundId, bytes(request.body));
        return reply.type(PEER_MEDIA_TYPE).send(Buffer.from(out));
      },
    );
  });
}
