import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Two cores: threads keep memory low and start fast.
    pool: 'threads',
    testTimeout: 60_000,
  },
});
