/**
 * pinhole-directory: serves the key directory over HTTP until SIGTERM or SIGINT, then finishes
 * in-flight requests and exits. Prints one JSON line {"listening": url} on stdout when ready;
 * request logs (pino, JSON) go to stderr.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { buildDirectoryServer } from './server.js';
import { KeyStore } from './store.js';

const HELP = `pinhole-directory: the key directory for Pinhole secure aggregation (run it apart from the aggregator)

Usage: pinhole-directory --data keys.log [--host 127.0.0.1] [--port 8787] [--admin-token-file FILE]

  --data FILE              append-only key log (created if missing; fsynced before each acknowledgement)
  --host HOST              address to listen on (default 127.0.0.1)
  --port PORT              port (default 8787; 0 picks a free one)
  --admin-token-file FILE  operator bearer token for enrolment and revocation
                           (else the PINHOLE_DIRECTORY_ADMIN_TOKEN environment variable; at least 16 characters)
  --log-level LEVEL        fatal, error, warn, info (default), debug
  --help                   this text

API: GET /v1/health, GET /v1/keys/:identity, POST /v1/keys/lookup {identities},
     POST /v1/keys {identity, publicKey, proof} and DELETE /v1/keys/:identity (operator token).`;

function fail(message: string): never {
  process.stderr.write(`pinhole-directory: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let args;
  try {
    args = parseArgs({
      options: {
        data: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: '8787' },
        'admin-token-file': { type: 'string' },
        'log-level': { type: 'string', default: 'info' },
        help: { type: 'boolean', default: false },
      },
      strict: true,
    }).values;
  } catch (err) {
    fail(`${(err as Error).message}\n\n${HELP}`);
  }
  if (args.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (args.data === undefined) fail(`--data is required\n\n${HELP}`);
  const port = Number(args.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port expected an integer in [0, 65535], got ${args.port}`);
  const token = (args['admin-token-file'] !== undefined ? readFileSync(args['admin-token-file'], 'utf8') : (process.env.PINHOLE_DIRECTORY_ADMIN_TOKEN ?? '')).trim();
  if (token.length < 16) fail('an operator token of at least 16 characters is required (--admin-token-file or PINHOLE_DIRECTORY_ADMIN_TOKEN)');
  const store = new KeyStore(args.data);
  const app = buildDirectoryServer({ store, adminToken: token, logger: { level: args['log-level'], stream: process.stderr } });
  const url = await app.listen({ host: args.host, port });
  process.stdout.write(`${JSON.stringify({ listening: url, keys: store.size })}\n`);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    app.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: Error) => fail(err.message));
