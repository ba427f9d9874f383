/**
 * Group commit: uploads that arrive while a transaction is being written wait for the next one,
 * so many reports share one commit (and one fsync) and every acknowledgement still follows its own
 * commit. A batch is written as soon as the previous commit finished (or after `delayMs`), holding
 * at most `maxBatch` rows.
 */
import type { CommitOutcome, ReportRow, Storage } from './storage.js';

interface Pending {
  readonly row: ReportRow;
  resolve(outcome: CommitOutcome): void;
  reject(error: unknown): void;
}

export class GroupCommit {
  readonly #storage: Storage;
  readonly #maxBatch: number;
  readonly #delayMs: number;
  readonly #onBatch: (size: number, seconds: number) => void;
  #queue: Pending[] = [];
  #running: Promise<void> | null = null;
  #closed = false;

  constructor(storage: Storage, options: { readonly maxBatch: number; readonly delayMs: number; readonly onBatch?: (size: number, seconds: number) => void }) {
    this.#storage = storage;
    this.#maxBatch = options.maxBatch;
    this.#delayMs = options.delayMs;
    this.#onBatch = options.onBatch ?? (() => undefined);
  }

  /** rows waiting for a transaction */
  get pending(): number {
    return this.#queue.length;
  }

  /** Resolves with the row's outcome once the transaction holding it committed. */
  submit(row: ReportRow): Promise<CommitOutcome> {
    if (this.#closed) return Promise.reject(new Error('storage is closing'));
    return new Promise<CommitOutcome>((resolve, reject) => {
      this.#queue.push({ row, resolve, reject });
      this.#kick();
    });
  }

  #kick(): void {
    if (this.#running) return;
    this.#running = this.#drain().finally(() => {
      this.#running = null;
      if (this.#queue.length > 0) this.#kick();
    });
  }

  async #drain(): Promise<void> {
    // let the uploads that are already parsed join this batch
    await new Promise<void>((r) => (this.#delayMs > 0 ? setTimeout(r, this.#delayMs) : setImmediate(r)));
    while (this.#queue.length > 0) {
      const batch = this.#queue.splice(0, this.#maxBatch);
      const t0 = process.hrtime.bigint();
      try {
        const outcomes = await this.#storage.commitReports(batch.map((p) => p.row));
        this.#onBatch(batch.length, Number(process.hrtime.bigint() - t0) / 1e9);
        batch.forEach((p, i) => p.resolve(outcomes[i] as CommitOutcome));
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    }
  }

  /** Waits for every submitted row's transaction, then refuses new ones. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#running) await this.#running;
  }
}
