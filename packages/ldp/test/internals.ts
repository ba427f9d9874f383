/** Package internals the tests look at (not part of any public entry). */
export { hashBucket, collisionProbability, bucketSizes } from '../src/hash.js';
export { parity } from '../src/hadamard.js';
