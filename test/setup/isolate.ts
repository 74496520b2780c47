/**
 * vitest setup file, run before each test file in its worker: the file runs with a home of its
 * own (HOME a new temp dir; XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME and CAROOT unset, so
 * they default under it), so neither the CLI runs (test/helpers.ts cli, sh, inMountNamespace)
 * nor library calls made in-process touch the real user's files; and the file fails when the
 * real user's or the machine's richie-dev files changed while it ran (test/setup/global.ts
 * checks the whole run too).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { changes, realUserDirs, snapshot, USER_DIR_KEYS, type Snapshot } from './user-dirs.js';

const real = inject('realUserDirs') ?? realUserDirs(process.env);
const home = mkdtempSync(join(tmpdir(), 'richie-dev-test-home-'));
// The docker CLI keeps the user's contexts in ~/.docker: the tests' docker calls keep them.
const dockerConfig = real.env.HOME && join(real.env.HOME, '.docker');
if (!process.env.DOCKER_CONFIG && dockerConfig && existsSync(dockerConfig)) process.env.DOCKER_CONFIG = dockerConfig;
for (const key of USER_DIR_KEYS) delete process.env[key];
process.env.HOME = home;
// Under WSL, richie-dev also changes the Windows side (src/wsl.ts): never from a test, except
// where a test says so with stand-ins for the Windows programs.
delete process.env.WSL_DISTRO_NAME;
delete process.env.WSL_INTEROP;
process.env.RICHIE_DEV_WSL = '0';

let before: Snapshot;
beforeAll(() => {
  before = snapshot(real.watched);
});
afterAll(() => {
  rmSync(home, { recursive: true, force: true });
  const changed = changes(before, snapshot(real.watched));
  if (changed.length) throw new Error(`This test file changed the real user's or the machine's richie-dev files:\n${changed.join('\n')}`);
});
