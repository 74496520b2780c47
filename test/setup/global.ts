/**
 * vitest global setup: snapshot the real user's richie-dev files (data, config, cache, the CA
 * root, NSS databases) and the machine's (/etc/hosts and what richie-dev puts beside it, anchors
 * in the system store) before the run, and fail the run when any changed. Each test file also
 * runs with user dirs of its own (test/setup/isolate.ts), and checks itself the same way.
 */
import type { TestProject } from 'vitest/node';
import { changes, realUserDirs, snapshot, type RealUserDirs, type Snapshot } from './user-dirs.js';

declare module 'vitest' {
  export interface ProvidedContext {
    realUserDirs: RealUserDirs;
  }
}

let real: RealUserDirs;
let before: Snapshot;

export function setup(project: TestProject): void {
  real = realUserDirs(process.env);
  before = snapshot(real.watched);
  project.provide('realUserDirs', real);
}

export function teardown(): void {
  const changed = changes(before, snapshot(real.watched));
  if (!changed.length) return;
  // A teardown that throws does not change vitest's exit code; this does.
  process.stderr.write(`\nThe test run changed the real user's or the machine's richie-dev files (tests must use dirs of their own):\n${changed.map((l) => `  ${l}`).join('\n')}\n`);
  process.exitCode = 1;
}
