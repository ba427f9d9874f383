/**
 * Per-device simulation on every core: the devices are split into one slice per worker thread,
 * each worker perturbs its slice with its own seeded stream and returns its tally's aggregate
 * vector, and the main thread adds the vectors. Deterministic for a given seed and worker count.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

interface Job {
  id: number;
  oracle: string;
  epsilon: number;
  domainSize: number;
  items: Int32Array;
  seed: string;
}

export class WorkerPool {
  readonly size: number;
  readonly #workers: Worker[];
  #next = 0;
  readonly #pending = new Map<number, { resolve: (v: Float64Array) => void; reject: (e: unknown) => void }>();

  constructor(size = availableParallelism()) {
    this.size = Math.max(1, size);
    const boot = new URL('./worker-boot.mjs', import.meta.url);
    const entry = new URL('./worker-entry.ts', import.meta.url).href;
    this.#workers = Array.from({ length: this.size }, () => {
      const w = new Worker(boot, { execArgv: workerExecArgv(), workerData: { entry } });
      w.on('message', (msg: { id: number; vector?: Float64Array; error?: string }) => {
        const p = this.#pending.get(msg.id);
        if (!p) return;
        this.#pending.delete(msg.id);
        if (msg.error) p.reject(new Error(msg.error));
        else p.resolve(msg.vector as Float64Array);
      });
      w.on('error', (err) => {
        for (const p of this.#pending.values()) p.reject(err);
        this.#pending.clear();
      });
      return w;
    });
  }

  #run(worker: Worker, job: Job): Promise<Float64Array> {
    return new Promise((resolve, reject) => {
      this.#pending.set(job.id, { resolve, reject });
      worker.postMessage(job, [job.items.buffer as ArrayBuffer]);
    });
  }

  /** The summed aggregate vector of every item perturbed by the named oracle. */
  async perturbAll(oracle: string, epsilon: number, domainSize: number, items: Int32Array, seed: number): Promise<Float64Array> {
    const per = Math.ceil(items.length / this.size);
    const parts = await Promise.all(
      this.#workers.map((w, i) => {
        const slice = items.slice(i * per, Math.min(items.length, (i + 1) * per));
        return this.#run(w, { id: this.#next++, oracle, epsilon, domainSize, items: slice, seed: `${seed}/${i}` });
      }),
    );
    const out = new Float64Array(parts[0]?.length ?? 0);
    for (const p of parts) for (let j = 0; j < p.length; j++) out[j]! += p[j] as number;
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}

/** The worker resolves the workspace packages to their TypeScript sources, as the CLI does. */
function workerExecArgv(): string[] {
  const args = process.execArgv.filter((a) => !a.startsWith('--import') && a !== 'tsx');
  if (!args.some((a) => a.includes('pinhole-source'))) args.push('--conditions=pinhole-source');
  return args;
}
