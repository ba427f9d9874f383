/**
 * The carriers' release routes: the list of published releases, and one round's release as JSON
 * (the stored pinhole-release document) or CSV, chosen by the Accept header or a .csv suffix.
 */
import type { FastifyInstance } from 'fastify';
import { type TokenSet, authorize } from './access.js';
import { carrierSecurity, iso, problems, summarySchema } from './api-schemas.js';
import { releaseCsv } from './csv.js';
import { HttpProblem } from './problem.js';
import type { Prio3Helper } from './prio3.js';
import type { Storage } from './storage.js';
import type { RoundRelease } from '../engine/release.js';

/** Which representation of a release the Accept header asks for: json, csv, or null (neither acceptable). */
export function negotiate(accept: string | undefined): 'json' | 'csv' | null {
  if (accept === undefined || accept.trim() === '') return 'json';
  let best: { kind: 'json' | 'csv'; q: number; specific: number } | null = null;
  for (const part of accept.split(',')) {
    const [type, ...params] = part
      .trim()
      .toLowerCase()
      .split(';')
      .map((s) => s.trim());
    const qp = params.find((p) => p.startsWith('q='));
    const q = qp ? Number(qp.slice(2)) : 1;
    if (!(q > 0)) continue;
    const kind = type === 'text/csv' || type === 'text/*' ? 'csv' : type === 'application/json' || type === 'application/*' || type === '*/*' ? 'json' : null;
    if (!kind) continue;
    const specific = type === 'text/csv' || type === 'application/json' ? 1 : 0;
    if (!best || q > best.q || (q === best.q && specific > best.specific)) best = { kind, q, specific };
  }
  return best?.kind ?? null;
}

function helperHasNoReleases(): HttpProblem {
  return new HttpProblem(404, 'not_found', 'roundId', 'this is a two-aggregator helper: releases are published by the leader');
}

export function registerReleaseRoutes(app: FastifyInstance, v: string, o: { readonly storage: Storage; readonly carriers: TokenSet; readonly prio3Helper?: Prio3Helper | undefined }): void {
  app.get(
    `${v}/releases`,
    {
      schema: {
        summary: 'The published releases, newest first (carriers)',
        tags: ['carriers'],
        security: carrierSecurity,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            before: { type: 'string', format: 'date-time', description: 'only releases published before this time (paging)' },
          },
        },
        response: { 200: { type: 'object', required: ['releases'], properties: { releases: { type: 'array', items: summarySchema } } }, ...problems(400, 401, 403, 429) },
      },
    },
    async (request) => {
      authorize(request.headers.authorization, o.carriers, 'carriers');
      if (o.prio3Helper) throw helperHasNoReleases();
      const q = request.query as { limit: number; before?: string };
      const before = q.before === undefined ? undefined : Date.parse(q.before);
      if (before !== undefined && !Number.isFinite(before)) throw new HttpProblem(400, 'invalid_argument', 'querystring.before', '"querystring.before" expected an ISO 8601 time');
      const list = await o.storage.releases({ limit: q.limit, ...(before === undefined ? {} : { before }) });
      return { releases: list.map((r) => ({ ...r, publishedAt: iso(r.publishedAt) })) };
    },
  );

  app.get(
    `${v}/releases/:roundId`,
    {
      schema: {
        summary: 'One round’s release: JSON (a pinhole-release document), or CSV with Accept: text/csv or a .csv suffix (carriers)',
        tags: ['carriers'],
        security: carrierSecurity,
        params: { type: 'object', required: ['roundId'], properties: { roundId: { type: 'string', minLength: 1, maxLength: 132 } } },
        response: {
          200: {
            description: 'the release',
            content: {
              'application/json': { schema: { type: 'object', additionalProperties: true } },
              'text/csv': { schema: { type: 'string', description: 'one row per (collection, group, bucket)' } },
            },
          },
          ...problems(401, 403, 404, 406, 429),
        },
      },
    },
    async (request, reply) => {
      authorize(request.headers.authorization, o.carriers, 'carriers');
      if (o.prio3Helper) throw helperHasNoReleases();
      let { roundId } = request.params as { roundId: string };
      let kind = negotiate(request.headers.accept);
      if (roundId.endsWith('.csv')) {
        roundId = roundId.slice(0, -4);
        kind = 'csv';
      }
      if (kind === null) throw new HttpProblem(406, 'not_acceptable', 'accept', 'a release is served as application/json or text/csv');
      const found = await o.storage.release(roundId);
      if (!found) throw new HttpProblem(404, 'not_found', 'roundId', '"roundId" names no published release');
      reply.header('cache-control', 'private, max-age=3600, immutable');
      if (kind === 'csv') {
        void reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${roundId}.csv"`);
        return releaseCsv(JSON.parse(found.document) as RoundRelease);
      }
      void reply.type('application/json');
      return found.document;
    },
  );
}
