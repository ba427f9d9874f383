/**
 * The directory's state: identity → (signing public key, status), kept in memory and in an
 * append-only log of JSON lines (one per enrolment or revocation) that is fsynced before a change
 * is acknowledged and replayed at start. A torn last line (a crash mid-write) is ignored; any
 * other bad line stops the start, so a damaged file is never silently half-read.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { PinholeError } from '@pinhole/core';

export type KeyStatus = 'active' | 'revoked';

export interface KeyRecord {
  readonly identity: string;
  /** hex, 64 characters */
  readonly publicKey: string;
  readonly status: KeyStatus;
  /** ISO 8601 */
  readonly enrolledAt: string;
  readonly revokedAt?: string;
}

interface LogLine {
  op: 'enrol' | 'revoke';
  identity: string;
  publicKey?: string;
  at: string;
}

export class KeyStore {
  private readonly records = new Map<string, KeyRecord>();
  private readonly fd: number | undefined;
  private closed = false;

  /** `path` undefined keeps everything in memory (tests). */
  constructor(readonly path?: string) {
    if (path === undefined) return;
    if (existsSync(path)) this.replay(readFileSync(path, 'utf8'));
    this.fd = openSync(path, 'a');
  }

  private replay(text: string): void {
    const lines = text.split('\n');
    const last = lines.length - 1;
    lines.forEach((line, i) => {
      if (line === '') return;
      let entry: LogLine;
      try {
        entry = JSON.parse(line) as LogLine;
      } catch (err) {
        if (i === last) return; // torn final write: never acknowledged
        throw new PinholeError('decode_failed', 'data', `line ${i + 1} of the key log is not JSON`, { cause: err });
      }
      if (entry.op === 'enrol' && typeof entry.publicKey === 'string') this.apply(entry);
      else if (entry.op === 'revoke') this.apply(entry);
      else throw new PinholeError('decode_failed', 'data', `line ${i + 1} of the key log is not an enrolment or a revocation`);
    });
  }

  private apply(entry: LogLine): KeyRecord {
    const prev = this.records.get(entry.identity);
    const record: KeyRecord =
      entry.op === 'enrol'
        ? { identity: entry.identity, publicKey: entry.publicKey as string, status: 'active', enrolledAt: entry.at }
        : { ...(prev as KeyRecord), status: 'revoked', revokedAt: entry.at };
    this.records.set(entry.identity, record);
    return record;
  }

  private append(entry: LogLine): KeyRecord {
    if (this.closed) throw new PinholeError('invalid_state', 'store', 'the key store is closed');
    if (this.fd !== undefined) {
      writeSync(this.fd, `${JSON.stringify(entry)}\n`);
      fsyncSync(this.fd);
    }
    return this.apply(entry);
  }

  get(identity: string): KeyRecord | undefined {
    return this.records.get(identity);
  }

  get size(): number {
    return this.records.size;
  }

  /** Enrols (or re-enrols after a revocation) a key; durable when this returns. */
  enrol(identity: string, publicKey: string, at = new Date()): KeyRecord {
    return this.append({ op: 'enrol', identity, publicKey, at: at.toISOString() });
  }

  revoke(identity: string, at = new Date()): KeyRecord {
    return this.append({ op: 'revoke', identity, at: at.toISOString() });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.fd !== undefined) closeSync(this.fd);
  }
}
