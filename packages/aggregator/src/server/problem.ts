/**
 * RFC 9457 problem details. A PinholeError answers with its own `code` and `param` (core's
 * `toProblem()`); transport-level refusals (authentication, size, media type, rate, routing) have
 * codes of their own. Nothing else reaches a client: an unexpected error is a bare 500 with no
 * message, stack or path (the server logs it).
 */
import { type PinholeErrorCode, isPinholeError } from '@pinhole/core';

export const PROBLEM_TYPE = 'application/problem+json';

/** The codes of refusals that are not PinholeErrors. */
export const TRANSPORT_CODES = [
  'unauthorized',
  'forbidden',
  'not_found',
  'method_not_allowed',
  'not_acceptable',
  'payload_too_large',
  'request_timeout',
  'unsupported_media_type',
  'rate_limited',
  'unavailable',
  'internal',
] as const;
export type ProblemCode = PinholeErrorCode | (typeof TRANSPORT_CODES)[number];

export interface Problem {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  readonly code: ProblemCode;
  readonly param: string;
}

/** How each PinholeError code answers over HTTP. */
export const STATUS_OF: Readonly<Record<PinholeErrorCode, number>> = {
  invalid_argument: 400,
  decode_failed: 400,
  unsupported: 400,
  insecure_rng: 400,
  verify_failed: 400,
  protocol_violation: 409,
  invalid_state: 409,
  budget_exceeded: 409,
};

/** An error a route throws to answer with a given status and problem. */
export class HttpProblem extends Error {
  readonly status: number;
  readonly code: ProblemCode;
  readonly param: string;
  readonly headers: Readonly<Record<string, string>>;
  constructor(status: number, code: ProblemCode, param: string, detail: string, headers: Readonly<Record<string, string>> = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.param = param;
    this.headers = headers;
  }
}

export function problem(status: number, code: ProblemCode, param: string, detail: string): Problem {
  return { type: `https://pinhole.dev/problems/${code}`, title: code.replace(/_/g, ' '), status, detail, code, param };
}

/** Fastify's own errors (its `code` is FST_…), mapped to problems whose text is Fastify's short message, never a path. */
const FASTIFY: Readonly<Record<string, [number, ProblemCode, string, string]>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large', 'body', 'the request body is larger than this server accepts'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type', 'content-type', 'unsupported content type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'invalid_argument', 'content-length', 'the content length does not match the body'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'invalid_argument', 'body', 'the JSON body is empty'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'decode_failed', 'body', 'the body is not valid JSON'],
  FST_ERR_CTP_EMPTY_TYPE: [415, 'unsupported_media_type', 'content-type', 'a content type is required'],
  FST_ERR_CTP_INVALID_TYPE: [415, 'unsupported_media_type', 'content-type', 'unsupported content type'],
};

/** Maps anything a handler or Fastify threw to a status, a problem and extra headers; `internal` marks what must be logged. */
export function toProblem(error: unknown): { problem: Problem; headers: Readonly<Record<string, string>>; internal: boolean } {
  if (error instanceof HttpProblem) return { problem: problem(error.status, error.code, error.param, error.message), headers: error.headers, internal: false };
  if (isPinholeError(error)) {
    const p = error.toProblem();
    const status = STATUS_OF[p.code] ?? 400;
    return { problem: { type: p.type, title: p.title, status, detail: p.detail, code: p.code, param: p.param }, headers: {}, internal: false };
  }
  const e = error as { code?: unknown; statusCode?: unknown; validation?: unknown; validationContext?: unknown; message?: unknown };
  if (typeof e?.code === 'string' && e.code in FASTIFY) {
    const [status, code, param, detail] = FASTIFY[e.code] as [number, ProblemCode, string, string];
    return { problem: problem(status, code, param, detail), headers: {}, internal: false };
  }
  if (Array.isArray(e?.validation)) {
    const first = e.validation[0] as { instancePath?: string; message?: string; params?: { missingProperty?: string; additionalProperty?: string } } | undefined;
    const where = typeof e.validationContext === 'string' ? e.validationContext : 'request';
    const path = (first?.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
    const extra = first?.params?.missingProperty ?? first?.params?.additionalProperty;
    const param = [where, path, extra].filter((x) => x).join('.');
    return { problem: problem(400, 'invalid_argument', param, `"${param}" ${first?.message ?? 'is invalid'}`), headers: {}, internal: false };
  }
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // another 4xx from Fastify or a plugin: its status, a generic text
    const code: ProblemCode = e.statusCode === 404 ? 'not_found' : e.statusCode === 413 ? 'payload_too_large' : e.statusCode === 415 ? 'unsupported_media_type' : 'invalid_argument';
    return { problem: problem(e.statusCode, code, '', 'the request was refused'), headers: {}, internal: false };
  }
  return { problem: problem(500, 'internal', '', 'internal error'), headers: {}, internal: true };
}
