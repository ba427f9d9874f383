/** What the server's HTTP tests check in an answer, and a POST that reads the answer while it writes. */
import { connect } from 'node:net';
import { expect } from 'vitest';

/** A problem+json answer: the status, the code and param, and nothing from inside the server. */
export function expectProblem(r: { status: number; type: string; json?: any; text?: string }, status: number, code: string, param?: string): void {
  expect(r.status, JSON.stringify(r.json)).toBe(status);
  expect(r.type).toMatch(/^application\/problem\+json/);
  expect(r.json).toMatchObject({ status, code, type: `https://pinhole.dev/problems/${code}` });
  if (param !== undefined) expect(r.json.param).toBe(param);
  expectNoInternals(JSON.stringify(r.json));
}

/** No stack frame, source or install path, or file name of the server in a response. */
function expectNoInternals(text: string): void {
  expect(text).not.toMatch(/\bat [\w.<>]+ \(|\bat file:|node_modules|\/work\/|\/tmp\/|\/home\/|\.ts:\d+|\.js:\d+|Error: /);
}

/**
 * A POST of `size` bytes over a raw socket, reading the answer while it writes: a server may answer
 * 413 and close before the body is through, and an HTTP client that errors on the write loses the answer.
 */
export function rawPost(url: string, path: string, size: number, type: string): Promise<{ status: number; type: string; json: any }> {
  return new Promise((resolve, reject) => {
    const u = new URL(path, url);
    const socket = connect(Number(u.port), u.hostname);
    let answer = '';
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const m = /^HTTP\/1\.1 (\d{3})[^]*?\r\ncontent-type: ([^\r]*)[^]*?\r\n\r\n([^]*)$/i.exec(answer);
      if (!m) return reject(new Error(`no HTTP answer: ${answer.slice(0, 200)}`));
      resolve({ status: Number(m[1]), type: m[2] as string, json: JSON.parse(m[3] as string) });
    };
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      answer += d;
      const head = answer.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(answer);
      if (head >= 0 && length && answer.length - head - 4 >= Number(length[1])) {
        socket.destroy();
        finish();
      }
    });
    socket.on('error', () => undefined); // EPIPE / ECONNRESET once the server stopped reading
    socket.on('close', finish);
    socket.write(`POST ${u.pathname} HTTP/1.1\r\nHost: ${u.host}\r\nContent-Type: ${type}\r\nContent-Length: ${size}\r\n\r\n`);
    const chunk = Buffer.alloc(1 << 20, 0x61);
    let sent = 0;
    const pump = () => {
      while (sent < size && !socket.destroyed) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    pump();
  });
}
