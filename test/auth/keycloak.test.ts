/**
 * `authentication` (Keycloak) in richie-dev.config.json: its defaults, the combinations refused
 * before anything is written (naming the key), what `render --ssl` writes for it (Richie's
 * AUTHENTICATION_* settings, the stand-in's env file, its nginx site), what it prints for a real
 * Keycloak, and the stack it adds to. The stand-in itself: test/demo/keycloak.test.ts; in a
 * browser through Richie's code: test/browser/keycloak.test.ts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { configuredHosts } from '../../src/config.js';
import { parseConfig } from '../../src/config-schema.js';
import { parseEnvFile } from '../../src/render/files.js';
import { projectPaths } from '../../src/paths.js';
import { readStack } from '../../src/stack/compose.js';
import { STACK_FILE, forProject, stackVars } from '../../src/stack/context.js';
import { cli, removeDir, tempDir } from '../helpers.js';

const root = tempDir();
afterAll(() => removeDir(root));
let count = 0;

function project(config: object): string {
  const dir = join(root, `p${count++}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify(config));
  return dir;
}
const read = (dir: string, ...path: string[]) => readFileSync(join(dir, '.richie-dev', ...path), 'utf8');

describe('authentication: Keycloak', () => {
  it('defaults: realm and client "richie", the stand-in on keycloak.local.dev:8074, which the certificate and hosts entries cover', () => {
    const config = parseConfig({ authentication: { backend: 'keycloak' } });
    expect(config.authentication).toEqual({ backend: 'keycloak', realm: 'richie', clientId: 'richie', host: 'keycloak.local.dev', port: 8074 });
    expect(configuredHosts(config)).toEqual(['richie.local.dev', 'edx.local.dev', 'keycloak.local.dev']);
    expect(configuredHosts(parseConfig({}))).toEqual(['richie.local.dev', 'edx.local.dev']);
  });

  it.each([
    [{ authentication: { backend: 'keycloak', host: 'richie.local.dev' } }, 'authentication.host: got "richie.local.dev", already taken by catalog.host'],
    [{ authentication: { backend: 'keycloak', port: 8073 } }, 'authentication.port: got 8073, already taken by lms.port'],
    [{ lms: [{ name: 'a', host: 'a.local.dev', port: 8081 }, { name: 'b', host: 'b.local.dev', port: 8082 }], authentication: { backend: 'keycloak', host: 'b.local.dev' } }, 'authentication.host: got "b.local.dev", already taken by lms.1.host'],
    [{ authentication: { backend: 'fonzie-keycloak' } }, 'authentication.backend: "fonzie-keycloak" reads the user from Fonzie'],
    [{ authentication: { backend: 'dummy' } }, `authentication.backend: got "dummy"; expected one of Richie's Keycloak backends: "keycloak", "fonzie-keycloak"`],
    [{ authentication: { backend: 'keycloak', realm: 'a b' } }, 'authentication.realm: got "a b"'],
    [{ authentication: { backend: 'keycloak', upstream: 'http://localhost:8080/auth' } }, 'authentication.upstream: got "http://localhost:8080/auth"'],
    [{ authentication: { backend: 'keycloak', clientSecret: 'x' } }, 'authentication: unknown key "clientSecret"'],
  ])('refuses %j before anything is written, naming the key (exit 3)', async (config, message) => {
    expect(() => parseConfig(config)).toThrow(message);
    const dir = project(config);
    const result = await cli(['--project-dir', dir, 'render', '--ssl']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain(message);
    expect(existsSync(join(dir, '.richie-dev', 'env'))).toBe(false);
  });

  it('plain HTTP is refused (the stand-in is served over TLS; keycloak-js needs a secure page), nothing written', async () => {
    const dir = project({ authentication: { backend: 'keycloak' } });
    const result = await cli(['--project-dir', dir, 'render']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain('authentication.backend "keycloak" needs TLS');
    expect(existsSync(join(dir, '.richie-dev', 'env'))).toBe(false);
    // `run` too, before it reaches the engine or makes .richie-dev/.
    const up = await cli(['--project-dir', dir, 'run']);
    expect(up.exitCode).toBe(3);
    expect(up.stderr).toContain('authentication.backend "keycloak" needs TLS');
    expect(existsSync(join(dir, '.richie-dev'))).toBe(false);
  });

  it("render --ssl: Richie's AUTHENTICATION_* settings, the stand-in's env and its nginx site; the realm and client a real Keycloak needs are printed", async () => {
    const dir = project({ authentication: { backend: 'keycloak', realm: 'fun', clientId: 'richie-front' } });
    const result = await cli(['--project-dir', dir, '--json', 'render', '--ssl']);
    expect(result.exitCode, result.stderr).toBe(0);
    const catalog = parseEnvFile(read(dir, 'env', 'catalog.env'));
    expect(catalog).toMatchObject({
      AUTHENTICATION_BASE_URL: 'https://keycloak.local.dev:8074',
      AUTHENTICATION_BACKEND: 'keycloak',
      AUTHENTICATION_KEYCLOAK_BASE_URL: 'https://keycloak.local.dev:8074',
      AUTHENTICATION_KEYCLOAK_REALM: 'fun',
      AUTHENTICATION_KEYCLOAK_CLIENT_ID: 'richie-front',
    });
    // The LMS keeps its own settings: Richie's LMS backends are not the authentication.
    expect(catalog.EDX_BASE_URL).toBe('https://edx.local.dev:8073');
    expect(parseEnvFile(read(dir, 'env', 'keycloak.env'))).toEqual({
      KEYCLOAK_URL: 'https://keycloak.local.dev:8074',
      KEYCLOAK_REALM: 'fun',
      KEYCLOAK_CLIENT_ID: 'richie-front',
      KEYCLOAK_WEB_ORIGINS: '["https://richie.local.dev:8070"]',
      KEYCLOAK_REDIRECT_URIS: '["https://richie.local.dev:8070/*"]',
    });
    const nginx = read(dir, 'nginx', 'keycloak.conf');
    expect(nginx).toContain('server keycloak:8000;');
    expect(nginx).toContain('listen 8074 ssl');
    expect(nginx).toContain('server_name keycloak.local.dev;');
    expect(nginx).toContain('ssl_certificate     /etc/nginx/ssl/keycloak.local.dev.pem;');
    const json = JSON.parse(result.stdout) as { keycloak: unknown; files: { path: string }[] };
    expect(json.keycloak).toEqual({
      url: 'https://keycloak.local.dev:8074',
      realm: 'fun',
      client: {
        clientId: 'richie-front',
        publicClient: true,
        standardFlowEnabled: true,
        pkceCodeChallengeMethod: 'S256',
        redirectUris: ['https://richie.local.dev:8070/*'],
        postLogoutRedirectUris: ['https://richie.local.dev:8070/*'],
        webOrigins: ['https://richie.local.dev:8070'],
      },
    });
    const plain = await cli(['--project-dir', dir, 'render', '--ssl']);
    expect(plain.stdout).toContain('Keycloak at https://keycloak.local.dev:8074: realm "fun", client "richie-front" (public, standard flow, PKCE S256)');
    expect(plain.stdout).toContain('Web origins: https://richie.local.dev:8070');
  });

  it("fonzie-keycloak with the demo LMS: the LMS is the realm's second, confidential client; its SOCIAL_AUTH_KEYCLOAK_* settings and the stand-in's share the project's secret, printed only when asked", async () => {
    const dir = project({ lms: { fonzie: true }, authentication: { backend: 'fonzie-keycloak' } });
    const result = await cli(['--project-dir', dir, '--json', 'render', '--ssl']);
    expect(result.exitCode, result.stderr).toBe(0);
    const secret = (JSON.parse(read(dir, 'secrets.json')) as Record<string, string>).keycloakLmsClientSecret!;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    // Richie: fonzie-keycloak logs in on the LMS, with Keycloak beside it.
    expect(parseEnvFile(read(dir, 'env', 'catalog.env'))).toMatchObject({
      AUTHENTICATION_BACKEND: 'fonzie-keycloak',
      AUTHENTICATION_BASE_URL: 'https://edx.local.dev:8073',
      AUTHENTICATION_KEYCLOAK_BASE_URL: 'https://keycloak.local.dev:8074',
    });
    expect(parseEnvFile(read(dir, 'env', 'keycloak.env'))).toMatchObject({
      KEYCLOAK_LMS_CLIENT_ID: 'openedx',
      KEYCLOAK_LMS_CLIENT_SECRET: secret,
      KEYCLOAK_LMS_REDIRECT_URIS: '["https://edx.local.dev:8073/auth/complete/keycloak/"]',
    });
    const lms = parseEnvFile(read(dir, 'env', 'lms.env'));
    expect(lms).toMatchObject({
      SOCIAL_AUTH_KEYCLOAK_OIDC_ENDPOINT: 'https://keycloak.local.dev:8074/realms/richie',
      SOCIAL_AUTH_KEYCLOAK_KEY: 'openedx',
      SOCIAL_AUTH_KEYCLOAK_SECRET: secret,
      SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS: '["richie.local.dev:8070"]',
    });
    expect(JSON.parse(lms.FEATURES!)).toMatchObject({ ENABLE_CORS_HEADERS: true, ENABLE_CROSS_DOMAIN_CSRF_COOKIE: true, ENABLE_THIRD_PARTY_AUTH: true });
    const json = JSON.parse(result.stdout) as { keycloak: { lmsClient: unknown } };
    expect(json.keycloak.lmsClient).toEqual({
      clientId: 'openedx',
      publicClient: false,
      standardFlowEnabled: true,
      redirectUris: ['https://edx.local.dev:8073/auth/complete/keycloak/'],
      secret: 'SOCIAL_AUTH_KEYCLOAK_SECRET in "richie-dev render --ssl --print lms"',
    });
    const plain = await cli(['--project-dir', dir, 'render', '--ssl']);
    expect(plain.stdout).toContain('Client "openedx" for the LMS\'s /keycloak-login (confidential: client authentication on, standard flow)');
    expect(plain.stdout).toContain('Valid redirect URIs: https://edx.local.dev:8073/auth/complete/keycloak/');
    expect(plain.stdout + plain.stderr).not.toContain(secret);
    // Asked for: the LMS's env, secret included.
    const printed = await cli(['--project-dir', dir, 'render', '--ssl', '--print', 'lms']);
    expect(printed.stdout).toContain(`SOCIAL_AUTH_KEYCLOAK_SECRET=${secret}`);
    // With the plain keycloak backend, neither app gets the LMS client.
    const kc = project({ lms: { fonzie: true }, authentication: { backend: 'keycloak' } });
    expect((await cli(['--project-dir', kc, 'render', '--ssl'])).exitCode).toBe(0);
    expect(read(kc, 'env', 'keycloak.env')).not.toContain('KEYCLOAK_LMS_');
    expect(read(kc, 'env', 'lms.env')).not.toContain('SOCIAL_AUTH_KEYCLOAK');
  });

  it('an upstream of your own: nginx proxies to it, no stand-in env; the Keycloak options it needs behind nginx are printed', async () => {
    const dir = project({ authentication: { backend: 'keycloak', upstream: 'http://localhost:8080' } });
    const result = await cli(['--project-dir', dir, 'render', '--ssl']);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(read(dir, 'nginx', 'keycloak.conf')).toContain('server host.docker.internal:8080;');
    expect(existsSync(join(dir, '.richie-dev', 'env', 'keycloak.env'))).toBe(false);
    expect(result.stdout).toContain('Start your Keycloak with: --hostname=https://keycloak.local.dev:8074 --proxy-headers=xforwarded');
    expect(result.stdout).toContain('authentication.upstream http://localhost:8080 is on this machine');
  });

  it('turned off again: its nginx site becomes a comment, so nginx is not left proxying to a container that is gone', async () => {
    const dir = project({ authentication: { backend: 'keycloak' } });
    expect((await cli(['--project-dir', dir, 'render', '--ssl'])).exitCode).toBe(0);
    writeFileSync(join(dir, 'richie-dev.config.json'), '{}');
    expect((await cli(['--project-dir', dir, 'render', '--ssl'])).exitCode).toBe(0);
    const nginx = read(dir, 'nginx', 'keycloak.conf');
    expect(nginx).not.toContain('server {');
    expect(nginx).toContain('No Keycloak');
    expect(parseEnvFile(read(dir, 'env', 'catalog.env')).AUTHENTICATION_BACKEND).toBe('openedx-hawthorn');
    // A project that never had Keycloak gets no such file.
    const never = project({});
    expect((await cli(['--project-dir', never, 'render', '--ssl'])).exitCode).toBe(0);
    expect(existsSync(join(never, '.richie-dev', 'nginx', 'keycloak.conf'))).toBe(false);
  });

  it("the stack: a keycloak container from the stand-in's image with its env file; nginx publishes its port, answers to its host, waits for it", async () => {
    const config = parseConfig({ authentication: { backend: 'keycloak' } });
    const paths = projectPaths('/srv/proj');
    const stack = forProject(await readStack(STACK_FILE, stackVars(paths, config)), config);
    expect(stack.services.map((s) => s.name)).toEqual(['catalog', 'lms', 'keycloak', 'nginx']);
    const keycloak = stack.services.find((s) => s.name === 'keycloak')!;
    expect(keycloak).toMatchObject({ image: 'richie-dev/demo-keycloak:latest', envFiles: ['/srv/proj/.richie-dev/env/keycloak.env'], ports: [], volumes: [], labels: { 'dev.richie.role': 'keycloak' } });
    expect(keycloak.healthcheck).toBeDefined();
    const nginx = stack.services.find((s) => s.name === 'nginx')!;
    expect(nginx.ports).toContainEqual({ hostIp: '127.0.0.1', hostPort: 8074, containerPort: 8074 });
    expect(nginx.networks[0]!.aliases).toContain('keycloak.local.dev');
    expect(nginx.dependsOn).toContainEqual({ service: 'keycloak', condition: 'service_healthy' });
    // Your own Keycloak: no container, nginx still serves its host.
    const own = parseConfig({ authentication: { backend: 'keycloak', upstream: 'http://localhost:8080' } });
    const ownStack = forProject(await readStack(STACK_FILE, stackVars(paths, own)), own);
    expect(ownStack.services.map((s) => s.name)).toEqual(['catalog', 'lms', 'nginx']);
    expect(ownStack.services.find((s) => s.name === 'nginx')!.ports).toContainEqual({ hostIp: '127.0.0.1', hostPort: 8074, containerPort: 8074 });
    // An LMS of your own: no LMS container, the stand-in still runs.
    const ownLms = parseConfig({ lms: { upstream: 'http://localhost:8000' }, authentication: { backend: 'keycloak' } });
    expect(forProject(await readStack(STACK_FILE, stackVars(paths, ownLms)), ownLms).services.map((s) => s.name)).toEqual(['catalog', 'keycloak', 'nginx']);
    // Without authentication, the stack is as before.
    const none = parseConfig({});
    expect(forProject(await readStack(STACK_FILE, stackVars(paths, none)), none).services.map((s) => s.name)).toEqual(['catalog', 'lms', 'nginx']);
  });
});
