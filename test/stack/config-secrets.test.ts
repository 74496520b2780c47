/**
 * `stack config` masks secrets unless asked (README, "stack config"; issue 19): the sync secret
 * wherever it appears, in a value of its own or inside another (the LMS's course hooks JSON),
 * and the values of variables whose name says they are secret. No engine needed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { commandContext } from '../../src/cli/context.js';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MASK, config } from '../../src/commands/stack.js';
import { removeDir, tempDir } from '../helpers.js';

describe('stack config and secrets', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));
  const sync = 'a'.repeat(16) + 'feedc0de'.repeat(6);
  const dir = join(root, 'proj');
  mkdirSync(join(dir, '.richie-dev'), { recursive: true });
  writeFileSync(join(dir, '.richie-dev', 'secrets.json'), JSON.stringify({ courseRunSync: sync }));
  writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ stackFile: 'stack.yml' }));
  writeFileSync(
    join(dir, 'stack.yml'),
    `services:
  app:
    image: app
    environment:
      API_TOKEN: tok-123
      DB_PASSWORD: pw-456
      AWS_SECRET_ACCESS_KEY: sk-789
      SIGNING_KEY: key-000
      HOOKS: '[{"url": "http://x/hook", "secret": "${sync}"}]'
      PLAIN: visible
      KEYBOARD: qwerty
      EMPTY_SECRET: ""
    build:
      context: .
      args:
        NPM_TOKEN: npm-111
`,
  );

  it('masks the sync secret and secret-named values, and says how many', async () => {
    const result = await config(commandContext({ projectDir: dir, env: {} }));
    const app = result.config.services.app as { environment: Record<string, string>; build: { args: Record<string, string> } };
    expect(app.environment).toEqual({
      API_TOKEN: MASK,
      DB_PASSWORD: MASK,
      AWS_SECRET_ACCESS_KEY: MASK,
      SIGNING_KEY: MASK,
      HOOKS: `[{"url": "http://x/hook", "secret": "${MASK}"}]`,
      PLAIN: 'visible',
      KEYBOARD: 'qwerty',
      EMPTY_SECRET: '',
    });
    expect(app.build.args).toEqual({ NPM_TOKEN: MASK });
    expect(result.masked).toBe(6);
    expect(JSON.stringify(result)).not.toContain(sync);
  });

  it('shows them when asked (--show-secrets)', async () => {
    const result = await config(commandContext({ projectDir: dir, env: {} }), { showSecrets: true });
    const app = result.config.services.app as { environment: Record<string, string> };
    expect(app.environment.API_TOKEN).toBe('tok-123');
    expect(app.environment.HOOKS).toContain(sync);
    expect(result.masked).toBe(0);
  });
});
