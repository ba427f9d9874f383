/**
 * The JSON schemas of the HTTP API's requests and answers, shared by its routes: Fastify validates
 * and serialises with them, and the OpenAPI document is generated from them.
 */
import { PROBLEM_TYPE } from './problem.js';

const problemSchema = {
  type: 'object',
  description: 'RFC 9457 problem details; `code` is the PinholeError code (or a transport code), `param` the offending field',
  required: ['type', 'title', 'status', 'detail', 'code', 'param'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
    param: { type: 'string' },
  },
} as const;

export const problems = (...statuses: number[]) => Object.fromEntries(statuses.map((s) => [s, { description: 'problem details', content: { [PROBLEM_TYPE]: { schema: problemSchema } } }]));

const lossSchema = { type: 'object', required: ['epsilon', 'delta'], properties: { epsilon: { type: 'number' }, delta: { type: 'number' } } } as const;

export const roundSchema = {
  type: 'object',
  required: ['roundId', 'planId', 'planRevision', 'status', 'openedAt', 'closesAt', 'closeAtReports', 'spent'],
  properties: {
    roundId: { type: 'string' },
    planId: { type: 'string' },
    planRevision: { type: 'integer' },
    status: { type: 'string', enum: ['collecting', 'closing', 'released', 'refused'] },
    openedAt: { type: 'string', format: 'date-time' },
    closesAt: { type: ['string', 'null'], format: 'date-time', description: 'the round closes then at the latest (always within its budget period)' },
    closeAtReports: { type: ['integer', 'null'], description: 'or once this many reports arrived' },
    spent: { ...lossSchema, description: 'what a device reporting in this round is charged' },
    secagg: {
      type: ['object', 'null'],
      description:
        'secure-aggregation rounds: the protocol phase (join, advertise, share, masked, consistency, unmask, done, aborted), its deadline and the devices that joined; null for report rounds',
      properties: { phase: { type: 'string' }, phaseDeadline: { type: ['string', 'null'], format: 'date-time' }, joined: { type: 'integer' } },
    },
  },
} as const;

export const summarySchema = {
  type: 'object',
  required: ['roundId', 'planId', 'planRevision', 'status', 'publishedAt'],
  properties: {
    roundId: { type: 'string' },
    planId: { type: 'string' },
    planRevision: { type: 'integer' },
    status: { type: 'string', enum: ['released', 'refused'] },
    publishedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const ackSchema = {
  type: 'object',
  required: ['status', 'roundId', 'reportId'],
  properties: { status: { type: 'string', enum: ['stored', 'duplicate'] }, roundId: { type: 'string' }, reportId: { type: 'string' } },
} as const;

export const carrierSecurity = [{ carrierToken: [] }];
export const operatorSecurity = [{ operatorToken: [] }];

/** A round named in the path. */
export const roundParams = { type: 'object', required: ['roundId'], properties: { roundId: { type: 'string', minLength: 1, maxLength: 128 } } } as const;

/** A time as the API writes it (ISO 8601, date-time), or null. */
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}
