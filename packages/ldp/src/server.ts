/**
 * @pinhole/ldp/server — the aggregator's side: everything of the client entry, plus the tfjs
 * parts (Square Wave EM/EMS reconstruction, the backend selection every Pinhole server module
 * uses) and the reference decoders the fast paths are tested against.
 */
export * from './index.js';
export { selectBackend, getTf, type TfBackendChoice, type TfSelection, type TfModule } from './tf-backend.js';
export { squareWaveEm, squareWaveEmReference, distributionQuantile, type EmOptions, type Reconstruction } from './square-wave-em.js';
export { localHashSupportFast, localHashSupportReference } from './local-hashing.js';
export { hashBucket, collisionProbability } from './hash.js';
export { fwht } from './hadamard.js';
