import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['pinhole-source'] },
  ssr: { resolve: { conditions: ['pinhole-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'datasets/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'test/**/*.test.ts'],
    // down from 120 s so slowness shows; 60 s leaves a 3x margin over the slowest fast test without
    // its own timeout (bench/test/utility.test.ts, 17 s here) on a CI machine under load
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
