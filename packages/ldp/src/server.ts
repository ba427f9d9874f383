/**
 * @pinhole/ldp/server — the aggregator's side: everything of the client entry, plus the tfjs
 * parts (Square Wave EM/EMS reconstruction, the backend selection every Pinhole server module
 * uses). The Float64Array reference decoders the fast paths are tested against stay in their
 * modules (square-wave-em.ts, local-hashing.ts) for the package's own tests and benchmarks.
 */
export * from './index.js';
export { selectBackend, getTf, type TfBackendChoice, type TfSelection, type TfModule } from './tf-backend.js';
export { squareWaveEm, distributionQuantile, type EmOptions, type Reconstruction } from './square-wave-em.js';
export { localHashSupportFast } from './local-hashing.js';
export { hashBucket, collisionProbability } from './hash.js';
export { fwht } from './hadamard.js';
