/** Worker thread of WorkerPool: perturbs a slice of devices and returns its aggregate vector. */
import { parentPort } from 'node:worker_threads';
import { seededRng } from '@pinhole/core/seeded';
import { ORACLES, type OracleName } from '@pinhole/ldp';
import { perturbAll } from './simulate.js';

parentPort?.on('message', (job: { id: number; oracle: OracleName; epsilon: number; domainSize: number; items: Int32Array; seed: string }) => {
  try {
    const oracle = ORACLES[job.oracle]({ epsilon: job.epsilon, domainSize: job.domainSize, allowInsecureRng: true });
    const rng = seededRng(job.seed);
    const tally = perturbAll(oracle, job.items, rng);
    const vector = job.items.length ? tally.aggregate() : new Float64Array(oracle.vectorLength);
    parentPort?.postMessage({ id: job.id, vector }, [vector.buffer as ArrayBuffer]);
  } catch (err) {
    parentPort?.postMessage({ id: job.id, error: err instanceof Error ? err.message : String(err) });
  }
});
