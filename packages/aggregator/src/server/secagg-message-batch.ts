/**
 * The protocol messages of secure-aggregation rounds are written in batches: the messages that
 * arrive while a transaction is being written share the next one, and each is acknowledged only
 * after the transaction holding it committed.
 */
import type { SecaggMessageRow, Storage } from './storage.js';

type Outcome = 'stored' | 'duplicate' | 'conflict';

export class SecaggMessageBatch {
  readonly #storage: Storage;
  #writes: { row: SecaggMessageRow; resolve(v: Outcome): void; reject(e: unknown): void }[] = [];
  #writing: Promise<void> | null = null;

  constructor(storage: Storage) {
    this.#storage = storage;
  }

  /** Resolves with the message's outcome once its transaction committed. */
  write(row: SecaggMessageRow): Promise<Outcome> {
    return new Promise((resolve, reject) => {
      this.#writes.push({ row, resolve, reject });
      // one writer at a time: a write that arrives while one runs joins its queue
      if (this.#writing !== null) return;
      this.#writing = (async () => {
        await new Promise<void>((r) => setImmediate(r));
        while (this.#writes.length > 0) {
          const batch = this.#writes.splice(0, 1024);
          try {
            const out = await this.#storage.secaggStoreMessages(batch.map((b) => b.row));
            batch.forEach((b, i) => b.resolve(out[i] as Outcome));
          } catch (e) {
            for (const b of batch) b.reject(e);
          }
        }
      })().finally(() => {
        this.#writing = null;
      });
    });
  }
}
