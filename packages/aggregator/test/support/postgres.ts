/**
 * A real PostgreSQL server for tests and the benchmark: Debian's binaries (/usr/lib/postgresql/<v>/bin,
 * installed by scripts/setup-postgres.sh), a fresh cluster in a temporary directory, listening on a
 * free loopback port only (no Unix socket), trust authentication for its one superuser, stopped and
 * removed afterwards. As root, initdb and the server run as the `postgres` system user (initdb
 * refuses root). Durability settings stay on (fsync, synchronous_commit): acknowledgements are
 * durable in tests as in production.
 */
import { type SpawnOptions, execFileSync, spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export const INSTALL_HINT = 'run scripts/setup-postgres.sh (it runs: apt-get update && apt-get install -y postgresql)';

/** The newest Debian PostgreSQL server's binary directory, or PINHOLE_PG_BIN. Throws with the install command when there is none. */
export function postgresBin(): string {
  const candidates = process.env.PINHOLE_PG_BIN
    ? [process.env.PINHOLE_PG_BIN]
    : (existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql') : [])
        .filter((v) => /^\d+$/.test(v))
        .sort((a, b) => Number(b) - Number(a))
        .map((v) => join('/usr/lib/postgresql', v, 'bin'));
  for (const dir of candidates) if (['initdb', 'pg_ctl', 'postgres'].every((b) => existsSync(join(dir, b)))) return dir;
  throw new Error(`PostgreSQL server binaries (initdb, pg_ctl, postgres) not found under ${process.env.PINHOLE_PG_BIN ?? '/usr/lib/postgresql/*/bin'}: ${INSTALL_HINT}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Who runs the cluster: the current user, or `postgres` when we are root. */
function clusterUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  try {
    return { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()) };
  } catch {
    throw new Error(`running as root, and there is no "postgres" user to run initdb as: ${INSTALL_HINT}`);
  }
}

function run(bin: string, args: readonly string[], options: SpawnOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(bin, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (out += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${bin} ${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

export interface PostgresServer {
  readonly port: number;
  readonly bin: string;
  /** the cluster's data directory (postmaster.pid names the server's process) */
  readonly dataDir: string;
  /** a connection URL for a database of this server */
  url(database?: string): string;
  /** creates an empty database and returns its URL */
  createDatabase(name: string): Promise<string>;
  /** the server's log so far */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Test settings: small but not starved (shared_buffers 128 MB, the default), WAL sized so a
 * benchmark does not checkpoint every few seconds. fsync and synchronous_commit stay on.
 */
const SETTINGS: Readonly<Record<string, string>> = {
  shared_buffers: "'128MB'",
  max_wal_size: "'1GB'",
  checkpoint_timeout: "'15min'",
  max_connections: '200',
  synchronous_commit: 'on',
  fsync: 'on',
  log_min_messages: 'warning',
};

export async function startPostgres(options: { readonly settings?: Readonly<Record<string, string>> } = {}): Promise<PostgresServer> {
  const bin = postgresBin();
  const user = clusterUser();
  const dir = mkdtempSync(join(tmpdir(), 'pinhole-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  if (user) chownSync(dir, user.uid, user.gid);
  const as: SpawnOptions = { cwd: dir, env: { ...process.env, LC_ALL: 'C' }, ...(user ?? {}) };
  let started = false;
  const stopSync = () => {
    if (started) spawnSync(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], { ...as, stdio: 'ignore' });
    started = false;
    rmSync(dir, { recursive: true, force: true });
  };
  // a test worker that dies still stops its cluster
  process.once('exit', stopSync);
  try {
    await run(join(bin, 'initdb'), ['-D', data, '-U', 'pinhole', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync'], as);
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = await freePort();
      const settings = { ...SETTINGS, ...(options.settings ?? {}), port: String(port), listen_addresses: "'127.0.0.1'", unix_socket_directories: "''" };
      appendFileSync(
        join(data, 'postgresql.conf'),
        `\n${Object.entries(settings)
          .map(([k, v]) => `${k} = ${v}`)
          .join('\n')}\n`,
      );
      try {
        await run(join(bin, 'pg_ctl'), ['-D', data, '-l', logFile, '-w', '-t', '60', 'start'], as);
        started = true;
        break;
      } catch (e) {
        // another process took the port between our probe and the server's bind
        if (attempt >= 3) throw e;
      }
    }
    const url = (database = 'postgres') => `postgres://pinhole@127.0.0.1:${port}/${database}`;
    return {
      port,
      bin,
      dataDir: data,
      url,
      async createDatabase(name) {
        const client = new pg.Client({ connectionString: url() });
        await client.connect();
        try {
          await client.query(`CREATE DATABASE "${name.replace(/"/g, '')}"`);
        } finally {
          await client.end();
        }
        return url(name);
      },
      log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
      async stop() {
        process.removeListener('exit', stopSync);
        if (started) await run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'], as).catch(() => undefined);
        started = false;
        stopSync();
      },
    };
  } catch (e) {
    process.removeListener('exit', stopSync);
    stopSync();
    throw e;
  }
}
