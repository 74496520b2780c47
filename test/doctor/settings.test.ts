/**
 * doctor's settings check on rendered files, no stack needed: each way a hand-edited (or
 * older) env file misleads the real apps is named with its fix, and a fresh render passes.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { projectPaths } from '../../src/paths.js';
import { commandContext } from '../../src/cli/context.js';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { doctorContext, runChecks } from '../../src/doctor/index.js';
import { settingsCheck } from '../../src/doctor/e2e.js';
import { renderAll } from '../../src/render/index.js';
import { mergeState } from '../../src/state.js';
import { removeDir, tempDir } from '../helpers.js';

const root = tempDir();
afterAll(() => removeDir(root));
let count = 0;

async function rendered(config: object = {}) {
  const projectDir = join(root, `p${count++}`);
  await renderAll({ config: parseConfig(config), paths: projectPaths(projectDir), tls: true, backend: 'real' });
  await mergeState(projectDir, { mode: 'tls', lms: 'real' });
  if (Object.keys(config).length) writeFileSync(join(projectDir, 'richie-dev.config.json'), JSON.stringify(config));
  return projectDir;
}

/** Take a rendered env file over (drop the marker line) and rewrite one of its lines. */
function edit(projectDir: string, file: string, change: (text: string) => string) {
  const path = join(projectDir, '.richie-dev', 'env', file);
  writeFileSync(path, change(readFileSync(path, 'utf8').split('\n').slice(1).join('\n')));
}

async function check(projectDir: string) {
  const [result] = await runChecks(await doctorContext(commandContext({ projectDir })), [settingsCheck]);
  return result!;
}

describe('doctor: the settings the real apps read', () => {
  it('passes on what richie-dev renders', async () => {
    expect(await check(await rendered())).toMatchObject({ status: 'pass', seen: expect.stringContaining("whitelist in hawthorn's form") });
  });

  it('the sync secret under a name Richie never reads', async () => {
    const dir = await rendered();
    edit(dir, 'catalog.env', (t) => t.replace('DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS=', 'RICHIE_COURSE_RUN_SYNC_SECRETS='));
    const result = await check(dir);
    expect(result.status).toBe('fail');
    expect(result.seen).toContain('RICHIE_COURSE_RUN_SYNC_SECRETS, which Richie never reads');
    expect(result.fix).toContain('Rename it DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS');
  });

  it('"false" for a boolean openedx-docker reads with bool()', async () => {
    const dir = await rendered();
    edit(dir, 'lms.env', (t) => t.replace(/^CORS_ALLOW_INSECURE=.*$/m, 'CORS_ALLOW_INSECURE=false'));
    const result = await check(dir);
    expect(result.status).toBe('fail');
    expect(result.seen).toContain('CORS_ALLOW_INSECURE=false, which openedx-docker reads as True');
    expect(result.fix).toContain('Leave CORS_ALLOW_INSECURE empty for False');
  });

  it("a whitelist in the other release's form, both ways", async () => {
    const hawthorn = await rendered();
    edit(hawthorn, 'lms.env', (t) => t.replace(/^CORS_ORIGIN_WHITELIST=.*$/m, 'CORS_ORIGIN_WHITELIST=["https://richie.local.dev:8070"]'));
    expect((await check(hawthorn)).seen).toContain('CORS_ORIGIN_WHITELIST has https://richie.local.dev:8070: hawthorn matches hostnames and host:port');
    const maple = await rendered({ lms: { release: 'maple' } });
    expect((await check(maple)).status).toBe('pass');
    edit(maple, 'lms.env', (t) => t.replace(/^CORS_ORIGIN_WHITELIST=.*$/m, 'CORS_ORIGIN_WHITELIST=["richie.local.dev:8070"]'));
    expect((await check(maple)).seen).toContain('entries without a scheme: maple refuses to start on them (corsheaders.E013)');
  });
});
