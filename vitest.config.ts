import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['pinhole-source'] },
  ssr: { resolve: { conditions: ['pinhole-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'datasets/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'test/**/*.test.ts'],
    // a fast-suite test over 20 s belongs in a *.slow.test.ts file (a test's own timeout overrides this)
    testTimeout: 20_000,
    hookTimeout: 120_000,
  },
});
