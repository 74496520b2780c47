import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-tool tests (openssl, certutil, nginx, docker) take seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // RSA key generation and real subprocesses compete for two cores; keep runs predictable.
    maxWorkers: 2,
  },
});
