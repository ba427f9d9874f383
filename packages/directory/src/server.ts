/**
 * The HTTP API of the key directory (Fastify 5). Devices' signing keys are enrolled by the
 * operator's provisioning system (bearer token) with a proof of possession, and anyone may look
 * them up. The directory is run by a party other than the aggregator: a client trusts it, not the
 * aggregator, to say which key belongs to which identity (secagg README, threat model).
 *
 *   GET    /v1/health
 *   GET    /v1/keys/:identity           → { identity, publicKey, status, enrolledAt, revokedAt? } | 404
 *   POST   /v1/keys/lookup              { identities: [...] } → { keys: [record | null] }
 *   POST   /v1/keys          (operator) { identity, publicKey, proof } → 201 record (200 if already so)
 *   DELETE /v1/keys/:identity (operator) → record, revoked
 *   GET    /v1/openapi.json             the OpenAPI document of all of the above
 *
 * Errors are RFC 9457 problem+json with the PinholeError code and parameter; no stack traces.
 */
import { timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import swagger from '@fastify/swagger';
import { ed25519 } from '@noble/curves/ed25519.js';
import { PinholeError, type PinholeErrorCode } from '@pinhole/core';
import { DIRECTORY_LOOKUP_MAX } from '@pinhole/secagg';
import { type KeyRecord, KeyStore } from './store.js';

/** The same rule as @pinhole/secagg's IDENTITY_PATTERN, as a JSON-schema pattern. */
const IDENTITY = '^[A-Za-z0-9._:@-]{1,128}$';
const HEX32 = '^[0-9a-f]{64}$';
const HEX64 = '^[0-9a-f]{128}$';

/** What a device signs to prove it holds the key it enrols. */
export function enrolmentMessage(identity: string, publicKeyHex: string): Uint8Array {
  return new TextEncoder().encode(`pinhole/directory/v1/enrol\u0000${identity}\u0000${publicKeyHex}`);
}

export interface DirectoryServerOptions {
  store: KeyStore;
  /** bearer token of the operator's provisioning system; enrolment and revocation need it */
  adminToken: string;
  /** Fastify logger setting; off by default (library use), the command turns it on */
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
}

function problem(reply: FastifyReply, status: number, code: PinholeErrorCode, param: string, detail: string): FastifyReply {
  return reply
    .code(status)
    .type('application/problem+json')
    .send({ type: `https://pinhole.dev/problems/${code}`, title: code.replace(/_/g, ' '), status, detail, code, param });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function view(r: KeyRecord): KeyRecord {
  return r.revokedAt === undefined
    ? { identity: r.identity, publicKey: r.publicKey, status: r.status, enrolledAt: r.enrolledAt }
    : { identity: r.identity, publicKey: r.publicKey, status: r.status, enrolledAt: r.enrolledAt, revokedAt: r.revokedAt };
}

const record = {
  type: 'object',
  properties: {
    identity: { type: 'string' },
    publicKey: { type: 'string' },
    status: { type: 'string', enum: ['active', 'revoked'] },
    enrolledAt: { type: 'string' },
    revokedAt: { type: 'string' },
  },
  required: ['identity', 'publicKey', 'status', 'enrolledAt'],
} as const;

export function buildDirectoryServer(options: DirectoryServerOptions): FastifyInstance {
  const { store } = options;
  if (typeof options.adminToken !== 'string' || options.adminToken.length < 16) {
    throw new PinholeError('invalid_argument', 'adminToken', '"adminToken" expected a string of at least 16 characters');
  }
  const token = Buffer.from(options.adminToken);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: 256 * 1024,
    return503OnClosing: true,
    // a path that is not valid percent-encoding fails before routing: answer it as a problem too
    frameworkErrors: (_error, _req, reply) => {
      void problem(reply, 400, 'invalid_argument', 'path', 'the request URL is malformed');
    },
  });
  // Registered before the routes so it sees them all; the document is generated from their schemas.
  void app.register(swagger, {
    openapi: {
      info: { title: 'pinhole-directory', version: '1', description: 'Key directory for Pinhole secure aggregation, run apart from the aggregator.' },
      components: { securitySchemes: { operator: { type: 'http', scheme: 'bearer' } } },
    },
  });

  const operator = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const auth = req.headers.authorization;
    const given = Buffer.from(typeof auth === 'string' && auth.startsWith('Bearer ') ? auth.slice(7) : '');
    if (given.length !== token.length || !timingSafeEqual(given, token)) {
      await problem(reply, 401, 'invalid_argument', 'authorization', 'the operator bearer token is missing or wrong');
    }
  };

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, _req, reply) => {
    if (err.validation !== undefined) return problem(reply, 400, 'invalid_argument', 'body', err.message);
    const status = err.statusCode ?? 500;
    if (status === 413) return problem(reply, 413, 'invalid_argument', 'body', 'the request body is too large');
    if (status >= 400 && status < 500) return problem(reply, status, 'decode_failed', 'body', 'the request could not be read: malformed body or content type');
    return problem(reply, 500, 'invalid_state', '', 'internal error');
  });
  app.setNotFoundHandler((req, reply) => problem(reply, 404, 'invalid_argument', 'path', `no route ${req.method} ${req.url.split('?')[0]}`));

  // The routes are a plugin registered after swagger, so its onRoute hook sees every one of them.
  void app.register(async (api) => {
    api.get('/v1/health', async () => ({ status: 'ok', keys: store.size }));
    api.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

    api.get<{ Params: { identity: string } }>(
      '/v1/keys/:identity',
      { schema: { params: { type: 'object', properties: { identity: { type: 'string', pattern: IDENTITY } }, required: ['identity'] }, response: { 200: record } } },
      async (req, reply) => {
        const r = store.get(req.params.identity);
        if (r === undefined) return problem(reply, 404, 'invalid_argument', 'identity', `no key is enrolled for ${req.params.identity}`);
        return view(r);
      },
    );

    api.post<{ Body: { identities: string[] } }>(
      '/v1/keys/lookup',
      {
        schema: {
          body: {
            type: 'object',
            properties: { identities: { type: 'array', maxItems: DIRECTORY_LOOKUP_MAX, items: { type: 'string', pattern: IDENTITY } } },
            required: ['identities'],
            additionalProperties: false,
          },
          response: { 200: { type: 'object', properties: { keys: { type: 'array', items: { anyOf: [record, { type: 'null' }] } } }, required: ['keys'] } },
        },
      },
      async (req) => ({ keys: req.body.identities.map((id) => (store.get(id) === undefined ? null : view(store.get(id) as KeyRecord))) }),
    );

    api.post<{ Body: { identity: string; publicKey: string; proof: string } }>(
      '/v1/keys',
      {
        preHandler: operator,
        schema: {
          body: {
            type: 'object',
            properties: { identity: { type: 'string', pattern: IDENTITY }, publicKey: { type: 'string', pattern: HEX32 }, proof: { type: 'string', pattern: HEX64 } },
            required: ['identity', 'publicKey', 'proof'],
            additionalProperties: false,
          },
        },
      },
      async (req, reply) => {
        const { identity, publicKey, proof } = req.body;
        let valid = false;
        try {
          const pk = Uint8Array.from(Buffer.from(publicKey, 'hex'));
          valid = ed25519.verify(Uint8Array.from(Buffer.from(proof, 'hex')), enrolmentMessage(identity, publicKey), pk, { zip215: false }) && !ed25519.Point.fromBytes(pk).isSmallOrder();
        } catch {
          valid = false;
        }
        if (!valid) return problem(reply, 400, 'verify_failed', 'proof', `"proof" is not a signature of the enrolment message by ${publicKey}`);
        const prev = store.get(identity);
        if (prev !== undefined && prev.status === 'active') {
          if (prev.publicKey === publicKey) return reply.code(200).send(view(prev));
          return problem(reply, 409, 'invalid_state', 'identity', `${identity} already has an active key: revoke it first`);
        }
        return reply.code(201).send(view(store.enrol(identity, publicKey)));
      },
    );

    api.delete<{ Params: { identity: string } }>(
      '/v1/keys/:identity',
      { preHandler: operator, schema: { params: { type: 'object', properties: { identity: { type: 'string', pattern: IDENTITY } }, required: ['identity'] } } },
      async (req, reply) => {
        const prev = store.get(req.params.identity);
        if (prev === undefined) return problem(reply, 404, 'invalid_argument', 'identity', `no key is enrolled for ${req.params.identity}`);
        if (prev.status === 'revoked') return view(prev);
        return view(store.revoke(req.params.identity));
      },
    );
  });

  app.addHook('onClose', async () => store.close());
  return app;
}

/** Hex of a proof of possession, for provisioning scripts: sign(enrolmentMessage) with the device's key. */
export function enrolmentProof(identity: string, secretKey: Uint8Array): { publicKey: string; proof: string } {
  const publicKey = hex(ed25519.getPublicKey(secretKey));
  return { publicKey, proof: hex(ed25519.sign(enrolmentMessage(identity, publicKey), secretKey)) };
}
