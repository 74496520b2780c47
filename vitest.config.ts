import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Real-tool tests (openssl, certutil, nginx, docker) take seconds, not milliseconds.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // One file at a time: the stack, doctor and browser tests share one Docker engine, and
    // Chromium aborts navigations (ERR_NETWORK_CHANGED) when another test adds or removes a
    // Docker network mid-page.
    fileParallelism: false,
  },
});
