import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['pinhole-source'] },
  ssr: { resolve: { conditions: ['pinhole-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'datasets/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'test/**/*.test.ts'],
    // down from 120 s so slowness shows; 60 s leaves a 3x margin over the slowest test without its
    // own timeout (the quick preset in bench/test/utility.slow.test.ts, 17 s here) on a loaded CI machine
    testTimeout: 60_000,
    // vitest's default is one worker fewer than the cores, a single worker on a 2-core machine; the
    // fast suite is CPU-bound in-process work, so both cores pay (the e2e suite passes --maxWorkers=1:
    // its servers and browsers are the second core's work)
    maxWorkers: 2,
    // `npm test` passes --no-isolate: a worker keeps the modules it has loaded from one file to the
    // next (the fast suite spent 40 s of its 98 s importing the same packages again); its files
    // share no mutable module state, checked by running them in shuffled order (--sequence.shuffle.files)
    hookTimeout: 120_000,
  },
});
