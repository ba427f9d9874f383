/**
 * Serves the browser example: builds it (examples/web/build.ts) and serves examples/web/dist on
 * 127.0.0.1. The page talks to the aggregator given by ?server= (default port 8080 on the same
 * host), which must let this origin in: `pinhole-aggregator serve … --cors-origin <this origin>`.
 * Run: npx tsx --conditions=pinhole-source examples/web/serve.ts [--port 5173] [--server http://127.0.0.1:8080]
 */
import { readFile } from 'node:fs/promises';
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { buildWebExample } from './build.js';

const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.map': 'application/json' };

/** Serves the files of `dir` (GET only, no listing) on 127.0.0.1; resolves with the origin. */
export function serveStatic(dir: string, port = 0): Promise<{ origin: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/')).replace(/^(\.\.[/\\])+/, '');
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (req.method !== 'GET' || !file.startsWith(dir) || !(extname(file) in TYPES)) {
      res.writeHead(404).end();
      return;
    }
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-type': TYPES[extname(file)] as string, 'cache-control': 'no-store' }).end(body),
      () => res.writeHead(404).end(),
    );
  });
  return new Promise((resolve) =>
    server.listen(port, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      resolve({ origin, server, close: () => new Promise<void>((r) => server.close(() => r())) });
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '5173' }, server: { type: 'string', default: 'http://127.0.0.1:8080' } } });
  const dir = await buildWebExample();
  const { origin } = await serveStatic(dir, Number(values.port));
  process.stdout.write(`the example page: ${origin}/?server=${encodeURIComponent(values.server)}\n(start the aggregator with --cors-origin ${origin})\n`);
}
