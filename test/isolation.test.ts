/**
 * The tests' own guard (test/setup/): every test file runs with user dirs of its own, a CLI run
 * never receives the real user's, and a run that writes into the real ones fails.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { changes, snapshot } from './setup/user-dirs.js';
import { isolatedEnv, removeDir, ROOT, sh, tempDir } from './helpers.js';

describe('test isolation', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  it('each test file runs with a temp HOME and no XDG dirs or CAROOT of the real user', () => {
    expect(process.env.HOME).toMatch(/richie-dev-test-home-/);
    expect(process.env.HOME).not.toBe(userInfo().homedir);
    for (const key of ['XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME', 'CAROOT']) expect(process.env[key]).toBeUndefined();
  });

  it("a subprocess never gets the real user's dirs; a test's own dirs pass through", async () => {
    const real = userInfo().homedir;
    const env = isolatedEnv({ HOME: real, XDG_DATA_HOME: join(real, '.local', 'share'), XDG_CONFIG_HOME: join(real, '.config'), XDG_CACHE_HOME: join(real, '.cache'), CAROOT: join(real, '.local', 'share', 'richie-dev') });
    expect(env.HOME).toBe(process.env.HOME);
    expect([env.XDG_DATA_HOME, env.XDG_CONFIG_HOME, env.XDG_CACHE_HOME, env.CAROOT]).toEqual([undefined, undefined, undefined, undefined]);
    // Without HOME, Node would take the real one from the password database.
    expect(isolatedEnv({ HOME: undefined }).HOME).toBe(process.env.HOME);
    const own = { HOME: join(root, 'h'), XDG_DATA_HOME: join(root, 'd'), CAROOT: join(root, 'ca') };
    expect(isolatedEnv(own)).toMatchObject(own);
    const seen = await sh('sh', ['-c', 'echo "$HOME|${XDG_DATA_HOME-unset}"'], { HOME: real, XDG_DATA_HOME: join(real, '.local', 'share') });
    expect(seen.stdout.trim()).toBe(`${process.env.HOME}|unset`);
  });

  it('snapshots see a file created, changed or removed anywhere under a watched dir', () => {
    const dir = join(root, 'watched');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'created-cas'), 'a\n');
    const watched = [{ path: dir }, { path: root, only: 'richie-dev' }];
    const before = snapshot(watched);
    writeFileSync(join(dir, 'sub', 'created-cas'), 'a\nb\n');
    writeFileSync(join(root, 'hosts.richie-dev.bak'), 'x');
    expect(changes(before, snapshot(watched))).toEqual([
      expect.stringMatching(new RegExp(`^created ${root}/hosts\\.richie-dev\\.bak \\(file [0-9a-f]{64} \\d+\\)$`)),
      expect.stringMatching(new RegExp(`^changed ${dir}/sub/created-cas \\(file [0-9a-f]{64} \\d+ → file [0-9a-f]{64} \\d+\\)$`)),
    ]);
  });

  it("a run whose test writes into the real user's data dir fails, naming the file", async () => {
    // A nested vitest run with this project's setup, whose "real" user is a home made here.
    const realHome = join(root, 'real-home');
    const xdgData = join(realHome, 'xdg-data');
    mkdirSync(join(xdgData, 'richie-dev'), { recursive: true });
    writeFileSync(join(xdgData, 'richie-dev', 'created-cas'), 'AA:BB\n');
    const nested = join(root, 'nested');
    mkdirSync(nested);
    writeFileSync(join(nested, 'leak.test.mjs'), `import { appendFileSync } from 'node:fs';\nit('writes', () => { if (process.env.LEAK) appendFileSync(process.env.LEAK, 'CC:DD\\n'); });\n`);
    writeFileSync(
      join(nested, 'vitest.config.mjs'),
      `export default { test: { root: ${JSON.stringify(nested)}, include: ['leak.test.mjs'], globals: true, globalSetup: [${JSON.stringify(join(ROOT, 'test', 'setup', 'global.ts'))}], setupFiles: [${JSON.stringify(join(ROOT, 'test', 'setup', 'isolate.ts'))}] } };\n`,
    );
    const vitest = (leak: string | undefined) =>
      execa(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', '--config', join(nested, 'vitest.config.mjs')], {
        cwd: ROOT,
        env: { HOME: realHome, XDG_DATA_HOME: xdgData, PATH: process.env.PATH, NO_COLOR: '1', ...(leak ? { LEAK: leak } : {}) },
        extendEnv: false,
        reject: false,
      });
    const clean = await vitest(undefined);
    expect(clean.exitCode, clean.stdout + clean.stderr).toBe(0);
    const leaked = await vitest(join(xdgData, 'richie-dev', 'created-cas'));
    expect(leaked.exitCode).toBe(1);
    expect(leaked.stdout + leaked.stderr).toContain(`This test file changed the real user's or the machine's richie-dev files:\nchanged ${join(xdgData, 'richie-dev', 'created-cas')}`);
    expect(leaked.stderr).toContain(`The test run changed the real user's or the machine's richie-dev files (tests must use dirs of their own):\n  changed ${join(xdgData, 'richie-dev', 'created-cas')}`);
  });
});
