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
    // No test touches the real user's files: each file runs with a home of its own, and the
    // run fails when the real user's or the machine's richie-dev files changed (test/setup/).
    globalSetup: ['test/setup/global.ts'],
    setupFiles: ['test/setup/isolate.ts'],
  },
});
