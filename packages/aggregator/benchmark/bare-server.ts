/**
 * The ingestion benchmark's baseline: a bare Fastify server on 127.0.0.1 that reads the same
 * MessagePack body and answers 201, with no decoding, no storage and no commit.
 */
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 256 * 1024 });
app.addContentTypeParser('application/msgpack', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
app.post('/v1/reports', async (request, reply) => reply.code(201).send({ status: 'stored', bytes: (request.body as Buffer).length }));
const url = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ msg: 'pinhole aggregator ready', url })}\n`);
process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
