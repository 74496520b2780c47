/**
 * Keycloak, proven against the real stack over TLS: `run-ssl` with `authentication` brings up
 * the Keycloak stand-in on its own sibling host behind richie-dev's nginx; in Chromium, Richie's
 * released front end (richie-education js/api/auth/keycloak.ts, through keycloak-js 26, bundled
 * into the demo catalog) logs the demo user in on it and comes back, `me` is that user (Richie's
 * username is the profile's full name), a reload finds the session through check-sso, logout
 * ends it, and registration (kc_action=REGISTER) makes a new user who is then logged in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cli, hasTool, inMountNamespace, removeDir, sh, tempDir } from '../helpers.js';
import { hasChromium, trustedStack } from './chromium.js';

const FLOW = join(ROOT, 'test', 'browser', 'flows', 'keycloak.mjs');
const CATALOG_PORT = 18770;
const EDX_PORT = 18773;
const KEYCLOAK_PORT = 18774;
const CATALOG = `https://richie.local.dev:${CATALOG_PORT}`;
const KEYCLOAK = `https://keycloak.local.dev:${KEYCLOAK_PORT}`;
const REALM = `${KEYCLOAK}/realms/richie`;
const COURSE = `${CATALOG}/en/courses/demo/`;

describe("Keycloak: Richie's keycloak backend logs in on the stand-in", () => {
  const root = tempDir();
  const home = join(root, 'home');
  const project = join(root, 'kcproject');
  const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss' };
  const curl = (url: string, extra: string[] = []) =>
    sh('curl', ['-sS', '--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', `richie.local.dev:${CATALOG_PORT}:127.0.0.1`, '--resolve', `keycloak.local.dev:${KEYCLOAK_PORT}:127.0.0.1`, ...extra, url]);

  beforeAll(async () => {
    expect(hasChromium()).toBe(true);
    expect(hasTool('docker')).toBe(true);
    await trustedStack({
      project,
      home,
      env,
      config: { catalog: { port: CATALOG_PORT }, lms: { port: EDX_PORT }, authentication: { backend: 'keycloak', port: KEYCLOAK_PORT } },
    });
  }, 300_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
  });

  it('run-ssl serves the stand-in over TLS on its own host; the catalog carries Richie\'s Keycloak settings', async () => {
    const catalogEnv = readFileSync(join(project, '.richie-dev', 'env', 'catalog.env'), 'utf8');
    for (const line of ['AUTHENTICATION_BACKEND=keycloak', `AUTHENTICATION_BASE_URL=${KEYCLOAK}`, `AUTHENTICATION_KEYCLOAK_BASE_URL=${KEYCLOAK}`, 'AUTHENTICATION_KEYCLOAK_REALM=richie', 'AUTHENTICATION_KEYCLOAK_CLIENT_ID=richie']) {
      expect(catalogEnv).toMatch(new RegExp(`^${line.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));
    }
    expect(readFileSync(join(project, 'hosts'), 'utf8')).toMatch(/^127\.0\.0\.1\s+.*\bkeycloak\.local\.dev\b/m);
    const discovery = await curl(`${REALM}/.well-known/openid-configuration`, ['--fail-with-body']);
    expect(discovery.exitCode, discovery.stderr).toBe(0);
    expect(JSON.parse(discovery.stdout)).toMatchObject({ issuer: REALM, authorization_endpoint: `${REALM}/protocol/openid-connect/auth` });
    const page = (await curl(COURSE)).stdout;
    const context = JSON.parse(JSON.parse(/__richie_frontend_context__ = JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(page)![1]!)) as { context: { authentication: unknown } };
    expect(context.context.authentication).toEqual({ endpoint: KEYCLOAK, backend: 'keycloak', keycloak_endpoint: KEYCLOAK, keycloak_client_id: 'richie', keycloak_realm: 'richie' });
  });

  it("doctor: Keycloak answers over TLS with its realm's discovery document, and CORS allows the catalog", async () => {
    const result = await cli(['--project-dir', project, '--json', 'doctor'], { env });
    const checks = Object.fromEntries((JSON.parse(result.stdout) as { checks: { id: string; status: string; seen: string }[] }).checks.map((c) => [c.id, c]));
    expect(checks.keycloak, JSON.stringify(checks.keycloak)).toMatchObject({ status: 'pass', seen: `${REALM}: issuer and endpoints where keycloak-js looks` });
    expect(checks['keycloak-cors'], JSON.stringify(checks['keycloak-cors'])).toMatchObject({ status: 'pass', seen: `token endpoint (with credentials) and account endpoint allow ${CATALOG}` });
    expect(checks.ports, JSON.stringify(checks.ports)).toMatchObject({ status: 'pass', seen: `${CATALOG_PORT}, ${EDX_PORT} and ${KEYCLOAK_PORT} are free or ours on 127.0.0.1` });
    expect(checks.services, JSON.stringify(checks.services)).toMatchObject({ status: 'pass', seen: '4 services running and healthy' });
  });

  it('in Chromium: log in on Keycloak and back, me is the user, a reload keeps the session, logout ends it, registration logs a new user in', async () => {
    const etc = join(root, 'etc');
    const result = await inMountNamespace(`
      cp -a /etc "${etc}"
      mount --bind "${etc}" /etc
      node "${CLI}" --project-dir "${project}" hosts add >&2
      node "${FLOW}" "${COURSE}" "${KEYCLOAK}" "${home}"
    `);
    expect(result.exitCode, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown> & { steps: [string, string[]][]; consoleErrors: string[] };
    expect(seen.error, JSON.stringify(seen)).toBeUndefined();
    const steps = Object.fromEntries(seen.steps);
    // check-sso as keycloak-js does it without an iframe: a prompt=none round trip on each load.
    expect(seen.anonymous).toBeNull();
    expect(steps.anonymous).toEqual(['303 GET /realms/richie/protocol/openid-connect/auth?prompt=none']);
    // Richie's login: Keycloak's auth URL (standard flow, PKCE), its form, back to the page.
    expect(seen.loginUrl).toMatch(new RegExp(`^${KEYCLOAK}/realms/richie/login-actions/`));
    expect(seen.loginForm).toBe(true);
    expect(seen.backOn).toBe(COURSE);
    // Richie's `me`: the profile's first and last names (js/api/auth/keycloak.ts), shown by the user menu.
    expect(seen.loggedIn).toBe('Demo Student');
    // Richie keeps the ID token as the user's token.
    const token = JSON.parse(Buffer.from(String(seen.sessionToken).split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(token).toMatchObject({ iss: REALM, aud: 'richie', preferred_username: 'student' });
    // The code went to the token endpoint and the profile came from /account, both cross-origin.
    expect(steps.login).toEqual(expect.arrayContaining(['200 POST /realms/richie/protocol/openid-connect/token', '200 GET /realms/richie/account']));
    expect(steps.reload).toEqual(expect.arrayContaining(['303 GET /realms/richie/protocol/openid-connect/auth?prompt=none', '200 POST /realms/richie/protocol/openid-connect/token', '200 GET /realms/richie/account']));
    expect(seen.afterReload).toBe('Demo Student');
    // Logout: Keycloak's logout endpoint (id_token_hint), back to the page, anonymous again.
    expect(steps.logout).toEqual(expect.arrayContaining(['200 GET /realms/richie/protocol/openid-connect/logout']));
    expect(seen.afterLogout).toBeNull();
    expect(seen.sessionTokenAfterLogout).toBeNull();
    // Registration: Richie's "Sign up" button → Keycloak's registration form → a new user, logged in.
    expect(steps.register).toEqual(expect.arrayContaining(['303 GET /realms/richie/protocol/openid-connect/auth?kc_action=REGISTER']));
    expect(seen.registerForm).toBe(true);
    expect(seen.registered).toBe('Ada Lovelace');
    expect(seen.consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);
  });
});
