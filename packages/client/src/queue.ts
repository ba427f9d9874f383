/**
 * The offline queue: perturbed reports waiting for upload, persisted, bounded. A report enters the
 * queue once, already perturbed and with its report id, and is resent byte for byte until the
 * server acknowledges it (or refuses it for good): re-perturbing a report for a retry would give
 * the server two independent noisy views of one input. When the queue is full the oldest report
 * is dropped and counted (its budget stays spent: it may have reached the server).
 */
import { fromBase64, toBase64 } from './bytes.js';
import type { KeyValueStorage } from './storage.js';

export interface QueuedReport {
  readonly roundId: string;
  readonly reportId: string;
  readonly planId: string;
  readonly revision: number;
  readonly bytes: Uint8Array;
  /** when it was queued (ledger time, ms) */
  readonly queuedAt: number;
  /** upload attempts so far (each may have retried inside) */
  readonly attempts: number;
}

/** Why reports left the queue without an acknowledgement, counted since the device first used the client. */
export interface QueueCounters {
  /** pushed out by newer reports when the queue was full */
  dropped: number;
  /** the round closed before the report reached the server */
  expired: number;
  /** refused by the server (malformed, another plan, a second report of this device in the round) */
  refused: number;
  /** acknowledged */
  delivered: number;
}

interface StoredQueue {
  v: 1;
  items: { roundId: string; reportId: string; planId: string; revision: number; bytes: string; queuedAt: number; attempts: number }[];
  counters: QueueCounters;
}

const KEY = 'queue';

export class ReportQueue {
  readonly #storage: KeyValueStorage;
  readonly #max: number;
  #items: QueuedReport[];
  #counters: QueueCounters;

  private constructor(storage: KeyValueStorage, max: number, items: QueuedReport[], counters: QueueCounters) {
    this.#storage = storage;
    this.#max = max;
    this.#items = items;
    this.#counters = counters;
  }

  static async open(storage: KeyValueStorage, max: number): Promise<ReportQueue> {
    const raw = await storage.get(KEY);
    const counters: QueueCounters = { dropped: 0, expired: 0, refused: 0, delivered: 0 };
    if (raw === null || raw === undefined) return new ReportQueue(storage, max, [], counters);
    let s: Partial<StoredQueue> | null = null;
    try {
      s = JSON.parse(raw) as Partial<StoredQueue>;
    } catch {
      s = null;
    }
    const items: QueuedReport[] = [];
    // an unreadable queue loses its reports, never the budget (the ledger is separate)
    if (s && s.v === 1 && Array.isArray(s.items)) {
      for (const it of s.items) {
        const bytes = typeof it?.bytes === 'string' ? fromBase64(it.bytes) : null;
        if (!bytes || typeof it.roundId !== 'string' || typeof it.reportId !== 'string' || typeof it.planId !== 'string') continue;
        items.push({ roundId: it.roundId, reportId: it.reportId, planId: it.planId, revision: Number(it.revision), bytes, queuedAt: Number(it.queuedAt), attempts: Number(it.attempts) || 0 });
      }
      for (const k of ['dropped', 'expired', 'refused', 'delivered'] as const) {
        const v = s.counters?.[k];
        if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) counters[k] = v;
      }
    }
    return new ReportQueue(storage, max, items, counters);
  }

  get items(): readonly QueuedReport[] {
    return this.#items;
  }

  get counters(): Readonly<QueueCounters> {
    return { ...this.#counters };
  }

  has(roundId: string): boolean {
    return this.#items.some((i) => i.roundId === roundId);
  }

  /** Adds a report (persisted); drops the oldest beyond the bound. Returns how many were dropped. */
  async add(item: QueuedReport): Promise<number> {
    const items = [...this.#items, item];
    let dropped = 0;
    while (items.length > this.#max) {
      items.shift();
      dropped++;
    }
    this.#items = items;
    this.#counters.dropped += dropped;
    await this.#persist();
    return dropped;
  }

  async attempted(reportId: string): Promise<void> {
    this.#items = this.#items.map((i) => (i.reportId === reportId ? { ...i, attempts: i.attempts + 1 } : i));
    await this.#persist();
  }

  /** Removes a report that left the queue, counting why. */
  async settle(reportId: string, why: 'delivered' | 'expired' | 'refused'): Promise<void> {
    const before = this.#items.length;
    this.#items = this.#items.filter((i) => i.reportId !== reportId);
    if (this.#items.length !== before) this.#counters[why]++;
    await this.#persist();
  }

  async #persist(): Promise<void> {
    const s: StoredQueue = {
      v: 1,
      items: this.#items.map((i) => ({ roundId: i.roundId, reportId: i.reportId, planId: i.planId, revision: i.revision, bytes: toBase64(i.bytes), queuedAt: i.queuedAt, attempts: i.attempts })),
      counters: this.#counters,
    };
    await this.#storage.set(KEY, JSON.stringify(s));
  }
}
