import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Installs the backend (native unless ATTN_BACKEND=js) before each test file.
    setupFiles: ['test/setup/backend.ts'],
    // Two cores: threads keep memory low and start fast.
    pool: 'threads',
    testTimeout: 60_000,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
