/**
 * Rendering with `joanie` (src/render/joanie.ts): the demo Joanie's env file under Joanie's own
 * names (owner-only: it carries three secrets), its nginx site on its own host and port with its
 * certificate, and nothing of Joanie without the key.
 */
import { commandContext } from '../../src/cli/context.js';
import { projectPaths } from '../../src/paths.js';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { parseEnvFile } from '../../src/render/files.js';
import { renderAll } from '../../src/render/index.js';
import { removeDir, tempDir } from '../helpers.js';

const root = tempDir();
afterAll(() => removeDir(root));

describe('render with joanie', () => {
  it('joanie.env (0600) and nginx joanie.conf on its host and port; the catalog env enables Joanie', async () => {
    const projectDir = join(root, 'on');
    const result = await renderAll({ config: parseConfig({ lms: { fonzie: true }, joanie: {} }), paths: projectPaths(projectDir), tls: true, backend: 'real' });
    const state = join(projectDir, '.richie-dev');
    expect(result.files.map((f) => f.path)).toEqual(expect.arrayContaining([join(state, 'env', 'joanie.env'), join(state, 'nginx', 'joanie.conf')]));
    const envPath = join(state, 'env', 'joanie.env');
    expect(statSync(envPath).mode & 0o777).toBe(0o600);
    const env = parseEnvFile(readFileSync(envPath, 'utf8'));
    const secrets = JSON.parse(readFileSync(join(state, 'secrets.json'), 'utf8')) as { jwtSigningKey: string; edxApiKey: string; courseRunSync: string };
    expect(env.DJANGO_JWT_PRIVATE_SIGNING_KEY).toBe(secrets.jwtSigningKey);
    expect(JSON.parse(env.DJANGO_COURSE_WEB_HOOKS!)[0].secret).toBe(secrets.courseRunSync);
    expect(JSON.parse(env.JOANIE_LMS_BACKENDS!)[0].API_TOKEN).toBe(secrets.edxApiKey);
    const nginx = readFileSync(join(state, 'nginx', 'joanie.conf'), 'utf8');
    expect(nginx).toContain('listen 8071 ssl');
    expect(nginx).toContain('server_name joanie.local.dev localhost;');
    expect(nginx).toContain('ssl_certificate     /etc/nginx/ssl/joanie.local.dev.pem;');
    expect(nginx).toContain('server joanie:8000;');
    expect(parseEnvFile(readFileSync(join(state, 'env', 'catalog.env'), 'utf8')).JOANIE_BASE_URL).toBe('https://joanie.local.dev:8071');
  });

  it("with Keycloak authenticating: Joanie checks Keycloak's ID tokens with the realm's keys (Joanie's env.d/development/common.dist), holding no signing key", async () => {
    const projectDir = join(root, 'keycloak');
    const config = parseConfig({ lms: { release: 'hawthorn' }, authentication: { backend: 'keycloak' }, joanie: {} });
    await renderAll({ config, paths: projectPaths(projectDir), tls: true, backend: 'real' });
    const env = parseEnvFile(readFileSync(join(projectDir, '.richie-dev', 'env', 'joanie.env'), 'utf8'));
    const realm = 'https://keycloak.local.dev:8074/realms/richie';
    expect(env).toMatchObject({
      DJANGO_JWT_ALGORITHM: 'RS256',
      DJANGO_JWT_TYPE_CLAIM: 'typ',
      DJANGO_KEYCLOAK_USERNAME_CLAIM: 'preferred_username',
      DJANGO_KEYCLOAK_ISSUER: realm,
      DJANGO_KEYCLOAK_JWK_URL: `${realm}/protocol/openid-connect/certs`,
    });
    expect(JSON.parse(env.JOANIE_JWT_USER_FIELDS_SYNC!)).toMatchObject({ username: 'preferred_username', email: 'email' });
    expect(env.DJANGO_JWT_PRIVATE_SIGNING_KEY).toBeUndefined();
    // The catalog's Keycloak is the one Joanie trusts.
    const catalog = parseEnvFile(readFileSync(join(projectDir, '.richie-dev', 'env', 'catalog.env'), 'utf8'));
    expect(`${catalog.AUTHENTICATION_BASE_URL}/realms/${catalog.AUTHENTICATION_KEYCLOAK_REALM}`).toBe(realm);
    // fonzie-keycloak: the token Richie sends is Fonzie's, so Joanie keeps Fonzie's key.
    const fonzieKeycloak = join(root, 'fonzie-keycloak');
    await renderAll({ config: parseConfig({ lms: { fonzie: true, upstream: 'http://localhost:8000' }, authentication: { backend: 'fonzie-keycloak' }, joanie: {} }), paths: projectPaths(fonzieKeycloak), tls: true, backend: 'real' });
    expect(parseEnvFile(readFileSync(join(fonzieKeycloak, '.richie-dev', 'env', 'joanie.env'), 'utf8'))).toMatchObject({ DJANGO_JWT_ALGORITHM: 'HS256', DJANGO_JWT_TYPE_CLAIM: 'token_type' });
  });

  it('an upstream of your own: nginx serves it on Joanie\'s site', async () => {
    const projectDir = join(root, 'upstream');
    await renderAll({ config: parseConfig({ lms: { fonzie: true }, joanie: { upstream: 'http://localhost:8071' } }), paths: projectPaths(projectDir), tls: true, backend: 'real' });
    expect(readFileSync(join(projectDir, '.richie-dev', 'nginx', 'joanie.conf'), 'utf8')).toContain('server host.docker.internal:8071;');
  });

  it('turned off after a run: joanie.conf becomes a comment, so nginx does not wait for a container that is gone', async () => {
    const projectDir = join(root, 'turned-off');
    await renderAll({ config: parseConfig({ lms: { fonzie: true }, joanie: {} }), paths: projectPaths(projectDir), tls: true, backend: 'real' });
    const conf = join(projectDir, '.richie-dev', 'nginx', 'joanie.conf');
    expect(readFileSync(conf, 'utf8')).toContain('server joanie:8000;');
    await renderAll({ config: parseConfig({ lms: { fonzie: true } }), paths: projectPaths(projectDir), tls: true, backend: 'real' });
    const off = readFileSync(conf, 'utf8');
    expect(off).toContain('# No Joanie: "joanie" is not set in richie-dev.config.json.');
    expect(off.split('\n').filter((l) => l.trim() && !l.startsWith('#'))).toEqual([]);
  });

  it('without joanie: no Joanie file, no JOANIE_* setting', async () => {
    const projectDir = join(root, 'off');
    const result = await renderAll({ config: parseConfig({ lms: { fonzie: true } }), paths: projectPaths(projectDir), tls: true, backend: 'real' });
    expect(result.files.some((f) => f.path.includes('joanie'))).toBe(false);
    expect(Object.keys(parseEnvFile(readFileSync(join(projectDir, '.richie-dev', 'env', 'catalog.env'), 'utf8'))).filter((k) => k.startsWith('JOANIE'))).toEqual([]);
  });
});

describe('the stack with joanie (src/stack/joanie.ts)', () => {
  it('a joanie service on the demo Joanie image with joanie.env and its own volume; nginx publishes 8071, answers to joanie.local.dev and waits for it; an upstream runs no container', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { loadStack } = await import('../../src/stack/context.js');
    const projectDir = join(root, 'stack');
    mkdirSync(projectDir, { recursive: true });
    writeFileSync(join(projectDir, 'richie-dev.config.json'), JSON.stringify({ lms: { fonzie: true }, joanie: {} }));
    const { stack } = await loadStack(commandContext({ projectDir }));
    expect(stack.services.map((s) => s.name)).toEqual(['catalog', 'lms', 'joanie', 'nginx']);
    const joanie = stack.services.find((s) => s.name === 'joanie')!;
    expect(joanie.image).toBe('richie-dev/demo-joanie:latest');
    expect(joanie.labels['dev.richie.role']).toBe('joanie');
    expect(joanie.envFiles).toEqual([join(projectDir, '.richie-dev', 'env', 'joanie.env')]);
    expect(joanie.volumes.filter((v) => v.type === 'volume').map((v) => v.source)).toEqual(['joanie-data']);
    // Only nginx joins the shared network (docker-compose.richie.yml): Joanie, like the LMS, does not.
    expect(joanie.networks.map((n) => n.key)).toEqual(['default']);
    const nginx = stack.services.find((s) => s.name === 'nginx')!;
    expect(nginx.ports.map((p) => `${p.hostIp}:${p.hostPort}:${p.containerPort}`)).toEqual(['127.0.0.1:8070:8070', '127.0.0.1:8073:8073', '127.0.0.1:8071:8071']);
    expect(nginx.networks[0]!.aliases).toEqual(['richie.local.dev', 'edx.local.dev', 'joanie.local.dev']);
    expect(nginx.dependsOn.map((d) => d.service)).toEqual(['catalog', 'lms', 'joanie']);

    writeFileSync(join(projectDir, 'richie-dev.config.json'), JSON.stringify({ lms: { fonzie: true }, joanie: { upstream: 'http://localhost:8071' } }));
    const upstream = (await loadStack(commandContext({ projectDir }))).stack;
    expect(upstream.services.map((s) => s.name)).toEqual(['catalog', 'lms', 'nginx']);
    expect(upstream.services.find((s) => s.name === 'nginx')!.ports.map((p) => p.hostPort)).toEqual([8070, 8073, 8071]);
  });
});
