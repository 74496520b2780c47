/**
 * The InputLog (src/inputs.ts): each step of run's full path says what it read, and only that.
 * Pure: the stack reader, the CA root's choice, the content hash of bind mounts, the config.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { InputLog } from '../src/inputs.js';
import { caRoot, userConfigFile } from '../src/paths.js';
import { readStack } from '../src/stack/compose.js';
import { contentHash } from '../src/stack/content.js';
import { removeDir, tempDir } from './helpers.js';

describe('the InputLog each step is handed', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  it('the stack reader: the stack file, the .env beside it (absent too), and only the variables it looked up, with their values in memory', async () => {
    const file = join(root, 'stack.yml');
    writeFileSync(file, 'services:\n  app:\n    image: "app:${TAG}"\n    environment: [FROM_HOST]\n    labels: {dir: "${RICHIE_DEV_STATE_DIR}", d: "${MISSING:-none}"}\n');
    const env = { TAG: '1', FROM_HOST: 'h', UNUSED_TOKEN: 'never-read', HOME: root };
    const log = new InputLog(env);
    await readStack(file, { RICHIE_DEV_STATE_DIR: '/state' }, { env, inputs: log });
    expect([...log.files].sort()).toEqual([join(root, '.env'), file]);
    expect(Object.fromEntries(log.variables)).toEqual({ TAG: '1', FROM_HOST: 'h', MISSING: undefined, HOME: root });
  });

  it("the CA root's choice: the variables and the user config file it went through", () => {
    const env = { HOME: root, XDG_CONFIG_HOME: join(root, 'config'), SOMETHING_ELSE: 'x' };
    const log = new InputLog(env);
    expect(caRoot({ inputs: log }, env).from).toBe('default');
    expect([...log.variables.keys()].sort()).toEqual(['CAROOT', 'HOME', 'XDG_CONFIG_HOME', 'XDG_DATA_HOME']);
    expect([...log.files]).toEqual([userConfigFile(env)]);
    // A flag decides alone: nothing read.
    const flagged = new InputLog(env);
    caRoot({ flag: root, inputs: flagged }, env);
    expect(flagged.variables.size + flagged.files.size).toBe(0);
  });

  it('bind mounts: a folder listed, its files read, a missing path looked at', async () => {
    const conf = join(root, 'conf');
    mkdirSync(join(conf, 'sub'), { recursive: true });
    writeFileSync(join(conf, 'a.conf'), 'a');
    writeFileSync(join(root, 'one.txt'), '1');
    const log = new InputLog({});
    await contentHash([conf, join(root, 'one.txt'), join(root, 'gone')], log);
    expect([...log.dirs]).toEqual([conf]);
    expect([...log.files].sort()).toEqual([join(conf, 'a.conf'), join(root, 'one.txt')]);
    expect([...log.lookedAt].sort()).toEqual([join(conf, 'sub'), join(root, 'gone')]);
  });

  it('the config: its file, there or not (one appearing changes the run)', async () => {
    const log = new InputLog({});
    await loadConfig(join(root, 'no-config-here'), log);
    expect([...log.files]).toEqual([join(root, 'no-config-here', 'richie-dev.config.json')]);
  });
});
