/**
 * doctor's Joanie checks on rendered files (src/doctor/joanie.ts), no stack needed: the webhook
 * secret, Fonzie's signing key and the LMS's API key agree after a render, and each
 * disagreement is named; without "joanie" every Joanie check is skipped, saying why.
 * (joanie-https and joanie-token need the running stack: see the report, not tested here.)
 */
import { commandContext } from '../../src/cli/context.js';
import { projectPaths } from '../../src/paths.js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { doctorContext, runChecks } from '../../src/doctor/index.js';
import { JOANIE_CHECKS, joanieAgreementCheck } from '../../src/doctor/joanie.js';
import { renderAll } from '../../src/render/index.js';
import { mergeState } from '../../src/state.js';
import { removeDir, tempDir } from '../helpers.js';

const root = tempDir();
afterAll(() => removeDir(root));
let count = 0;

async function rendered(config: object) {
  const projectDir = join(root, `p${count++}`);
  await renderAll({ config: parseConfig(config), paths: projectPaths(projectDir), tls: true, backend: 'real' });
  await mergeState(projectDir, { mode: 'tls', lms: 'real' });
  writeFileSync(join(projectDir, 'richie-dev.config.json'), JSON.stringify(config));
  return projectDir;
}
function edit(projectDir: string, file: string, change: (text: string) => string) {
  const path = join(projectDir, '.richie-dev', 'env', file);
  writeFileSync(path, change(readFileSync(path, 'utf8').split('\n').slice(1).join('\n')));
}
const agreement = async (projectDir: string) => (await runChecks(await doctorContext(commandContext({ projectDir })), [joanieAgreementCheck]))[0]!;

describe("doctor: Joanie's settings", () => {
  it('pass on what richie-dev renders', async () => {
    expect(await agreement(await rendered({ lms: { fonzie: true }, joanie: {} }))).toMatchObject({ status: 'pass', seen: "webhook secret, Fonzie's signing key, the LMS's API key and Joanie's URL agree" });
  });

  it('a webhook secret the catalog does not accept, another signing key, another API key: each named, with the fix', async () => {
    const projectDir = await rendered({ lms: { fonzie: true }, joanie: {} });
    edit(projectDir, 'joanie.env', (text) =>
      text
        .replace(/"secret":"[0-9a-f]+"/, '"secret":"other"')
        .replace(/^DJANGO_JWT_PRIVATE_SIGNING_KEY=.*$/m, 'DJANGO_JWT_PRIVATE_SIGNING_KEY=other')
        .replace(/"API_TOKEN":"[0-9a-f]+"/, '"API_TOKEN":"other"'),
    );
    const result = await agreement(projectDir);
    expect(result.status).toBe('fail');
    expect(result.seen).toContain("Joanie's webhook secret (DJANGO_COURSE_WEB_HOOKS) is not one the catalog accepts");
    expect(result.seen).toContain("Joanie's DJANGO_JWT_PRIVATE_SIGNING_KEY is not the key Fonzie signs with");
    expect(result.seen).toContain("Joanie's API_TOKEN (JOANIE_LMS_BACKENDS) is not the LMS's EDX_API_KEY");
    expect(result.fix).toContain('richie-dev render --ssl');
    // The secrets themselves are never in the finding.
    const secrets = Object.values(JSON.parse(readFileSync(join(projectDir, '.richie-dev', 'secrets.json'), 'utf8')) as Record<string, string>);
    for (const secret of secrets) expect(JSON.stringify(result)).not.toContain(secret);
  });

  it("with Keycloak authenticating: pass on what richie-dev renders; Joanie trusting another realm is named", async () => {
    const config = { lms: { release: 'hawthorn' }, authentication: { backend: 'keycloak' }, joanie: {} };
    expect(await agreement(await rendered(config))).toMatchObject({ status: 'pass', seen: "webhook secret, the catalog's Keycloak realm, the LMS's API key and Joanie's URL agree" });
    const projectDir = await rendered(config);
    edit(projectDir, 'joanie.env', (text) => text.replaceAll('/realms/richie', '/realms/other'));
    const result = await agreement(projectDir);
    expect(result.status).toBe('fail');
    expect(result.seen).toContain('Joanie trusts tokens from https://keycloak.local.dev:8074/realms/other, the catalog signs users in at https://keycloak.local.dev:8074/realms/richie');
    expect(result.seen).toContain("Joanie reads the realm's keys at https://keycloak.local.dev:8074/realms/other/protocol/openid-connect/certs");
  });

  it('without joanie: every Joanie check skipped, saying the project has none; with an upstream the agreement is the checkout\'s', async () => {
    const results = await runChecks(await doctorContext(commandContext({ projectDir: await rendered({ lms: { fonzie: true } }) })), JOANIE_CHECKS);
    expect(results.map((r) => [r.id, r.status, r.seen])).toEqual(JOANIE_CHECKS.map((c) => [c.id, 'skip', 'the project has no "joanie" key']));
    expect(await agreement(await rendered({ lms: { fonzie: true }, joanie: { upstream: 'http://localhost:8071' } }))).toMatchObject({ status: 'skip', seen: expect.stringContaining('"richie-dev joanie" prints what they must be') });
  });
});
