import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // CI has 2 cores; the suite is CPU-bound, so use both.
    maxWorkers: 2,
  },
});
