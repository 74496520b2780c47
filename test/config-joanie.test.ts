/**
 * The `joanie` key (src/config-joanie.ts): refused, naming the key, when Joanie cannot work —
 * Richie's front end calls Joanie with its authentication backend's access token
 * (richie-education js/api/joanie.ts), which openedx-hawthorn and openedx-dogwood do not issue;
 * an app on a host or port another app has — and, through the CLI, before anything is written.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config-schema.js';
import { cli, removeDir, tempDir } from './helpers.js';

const refusal = (config: unknown): string => {
  try {
    parseConfig(config);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('accepted');
};

describe('joanie in the project config', () => {
  const root = tempDir();
  afterAll(() => removeDir(root));

  it('absent: no Joanie; {}: joanie.local.dev:8071 (Joanie\'s own development port); upstream kept', () => {
    expect(parseConfig({}).joanie).toBeUndefined();
    expect(parseConfig({ lms: { fonzie: true }, joanie: {} }).joanie).toEqual({ host: 'joanie.local.dev', port: 8071 });
    expect(parseConfig({ lms: { fonzie: true }, joanie: { upstream: 'http://localhost:8071' } }).joanie).toMatchObject({ upstream: 'http://localhost:8071' });
  });

  it.each([
    [{ joanie: {} }, 'lms.fonzie'],
    [{ lms: { release: 'dogwood' }, joanie: {} }, 'lms.fonzie'],
    [{ lms: [{ name: 'a', host: 'a.local.dev', port: 8073, fonzie: false }], joanie: {} }, 'lms.0.fonzie'],
  ])('an authentication backend that issues no access token (%j): refused naming %s', (config, key) => {
    const message = refusal(config);
    expect(message).toContain(`joanie: Richie's front end calls Joanie with the access token`);
    expect(message).toContain(`set ${key} to true`);
    expect(message).toContain('openedx-hawthorn or openedx-dogwood');
  });

  it('with Keycloak authenticating, the token is Keycloak\'s: Joanie is accepted whatever the LMS\'s backend', () => {
    expect(parseConfig({ lms: { release: 'hawthorn' }, authentication: { backend: 'keycloak' }, joanie: {} }).joanie).toMatchObject({ host: 'joanie.local.dev' });
    expect(refusal({ lms: { release: 'hawthorn' }, joanie: {} })).toContain('authenticate with Keycloak ("authentication": {"backend": "keycloak"})');
  });

  it.each([
    [{ joanie: { host: 'richie.local.dev' } }, 'joanie.host: got "richie.local.dev", already taken by catalog.host'],
    [{ joanie: { host: 'edx.local.dev' } }, 'joanie.host: got "edx.local.dev", already taken by lms.host'],
    [{ joanie: { port: 8070 } }, 'joanie.port: got 8070, already taken by catalog.port'],
    [{ joanie: { port: 8073 } }, 'joanie.port: got 8073, already taken by lms.port'],
    [{ lms: [{ name: 'a', host: 'a.local.dev', port: 8073, fonzie: true }, { name: 'b', host: 'b.local.dev', port: 8074, fonzie: true }], joanie: { port: 8074 } }, 'joanie.port: got 8074, already taken by lms.1.port'],
  ])('two apps on one host or port (%j): refused naming the key', (config, line) => {
    expect(refusal({ ...config, lms: (config as { lms?: unknown }).lms ?? { fonzie: true } })).toContain(line);
  });

  it('through the CLI: exit 3, the key named, nothing written', async () => {
    const project = join(root, 'p');
    mkdirSync(project);
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ lms: { release: 'hawthorn' }, joanie: { port: 8070 } }));
    const result = await cli(['--project-dir', project, 'render']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('set lms.fonzie to true');
    expect(result.stderr).toContain('joanie.port: got 8070, already taken by catalog.port');
    expect(existsSync(join(project, '.richie-dev'))).toBe(false);
  });

  it('richie-dev joanie: what a Joanie of your own needs, secrets masked unless --show-secrets; exit 3 without "joanie" or before any render', async () => {
    const project = join(root, 'upstream');
    mkdirSync(project);
    const configFile = join(project, 'richie-dev.config.json');
    writeFileSync(configFile, JSON.stringify({ lms: { fonzie: true } }));
    const none = await cli(['--project-dir', project, 'joanie']);
    expect(none.exitCode).toBe(3);
    expect(none.stderr).toContain('no "joanie" key');
    writeFileSync(configFile, JSON.stringify({ lms: { fonzie: true }, joanie: { upstream: 'http://localhost:8071' } }));
    const early = await cli(['--project-dir', project, 'joanie']);
    expect(early.exitCode).toBe(3);
    expect(early.stderr).toContain('richie-dev render');
    expect(existsSync(join(project, '.richie-dev'))).toBe(false);

    expect((await cli(['--project-dir', project, 'render', '--ssl'])).exitCode).toBe(0);
    const stored = JSON.parse(readFileSync(join(project, '.richie-dev', 'secrets.json'), 'utf8')) as Record<string, string>;
    const secrets = Object.values(stored);
    const joanieSecrets = [stored.courseRunSync!, stored.edxApiKey!, stored.jwtSigningKey!];
    const masked = await cli(['--project-dir', project, 'joanie']);
    expect(masked.exitCode).toBe(0);
    for (const line of ['DJANGO_JWT_PRIVATE_SIGNING_KEY=***', 'DJANGO_COURSE_WEB_HOOKS=[{"url": "https://richie.local.dev:8070/api/v1.0/course-runs-sync", "secret": "***", "verify": true}]', 'BASE_URL https://edx.local.dev:8073, API_TOKEN ***', 'https://joanie.local.dev:8071 (served by nginx from http://localhost:8071)']) expect(masked.stdout).toContain(line);
    for (const secret of secrets) expect(masked.stdout + masked.stderr).not.toContain(secret);
    const shown = await cli(['--project-dir', project, 'joanie', '--show-secrets']);
    // Every secret Joanie shares (not the LMS's Keycloak client secret, which is Keycloak's and the LMS's).
    for (const secret of joanieSecrets) expect(shown.stdout).toContain(secret);
  });

  it("richie-dev joanie with Keycloak authenticating: the realm's issuer and keys URL, and no key of the project's to share", async () => {
    const project = join(root, 'keycloak-upstream');
    mkdirSync(project);
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ authentication: { backend: 'keycloak' }, joanie: { upstream: 'http://localhost:8071' } }));
    expect((await cli(['--project-dir', project, 'render', '--ssl'])).exitCode).toBe(0);
    const shown = await cli(['--project-dir', project, 'joanie', '--show-secrets']);
    expect(shown.exitCode).toBe(0);
    for (const line of ['DJANGO_JWT_ALGORITHM=RS256', 'DJANGO_JWT_TYPE_CLAIM=typ', 'DJANGO_KEYCLOAK_USERNAME_CLAIM=preferred_username', 'DJANGO_KEYCLOAK_ISSUER=https://keycloak.local.dev:8074/realms/richie', 'DJANGO_KEYCLOAK_JWK_URL=https://keycloak.local.dev:8074/realms/richie/protocol/openid-connect/certs', 'DJANGO_JWT_PRIVATE_SIGNING_KEY=<any value of yours>']) expect(shown.stdout).toContain(line);
    const { jwtSigningKey } = JSON.parse(readFileSync(join(project, '.richie-dev', 'secrets.json'), 'utf8')) as Record<string, string>;
    expect(shown.stdout).not.toContain(jwtSigningKey);
  });

  it("stack config with the demo Joanie: the joanie service's env (joanie.env) shows none of the project's secrets unless --show-secrets", async () => {
    const project = join(root, 'stackconfig');
    mkdirSync(project);
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ lms: { fonzie: true }, joanie: {} }));
    expect((await cli(['--project-dir', project, 'render', '--ssl'])).exitCode).toBe(0);
    const stored = JSON.parse(readFileSync(join(project, '.richie-dev', 'secrets.json'), 'utf8')) as Record<string, string>;
    const secrets = Object.values(stored);
    const joanieSecrets = [stored.courseRunSync!, stored.edxApiKey!, stored.jwtSigningKey!];
    const masked = await cli(['--project-dir', project, '--json', 'stack', 'config']);
    expect(masked.exitCode).toBe(0);
    const services = (JSON.parse(masked.stdout) as { config: { services: Record<string, { environment?: Record<string, string> }> } }).config.services;
    expect(services.joanie?.environment?.DJANGO_JWT_ALGORITHM).toBe('HS256');
    for (const secret of secrets) expect(masked.stdout).not.toContain(secret);
    const shown = await cli(['--project-dir', project, '--json', 'stack', 'config', '--show-secrets']);
    expect(shown.stdout).toContain(secrets[0]!);
  });
});
