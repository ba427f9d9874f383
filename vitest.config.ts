import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['pinhole-source'] },
  ssr: { resolve: { conditions: ['pinhole-source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'datasets/test/**/*.test.ts', 'bench/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
