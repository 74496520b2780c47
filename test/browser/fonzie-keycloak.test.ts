/**
 * fonzie-keycloak, proven against the real stack over TLS: `run-ssl` with
 * `authentication.backend: "fonzie-keycloak"`, Fonzie and Joanie (whose session provider keeps
 * Fonzie's token for its calls) brings up the demo LMS with its Keycloak login and the Keycloak
 * stand-in with the LMS as a second client. In Chromium, Richie's released front end
 * (richie-education js/api/lms/openedx-fonzie-keycloak.ts) logs the demo user in at the LMS's
 * /keycloak-login: Keycloak's form, back through the LMS (which exchanged the code with
 * Keycloak server to server, over TLS, trusting richie-dev's CA) to the course page; `me` is
 * Fonzie's user, Fonzie's token is the session's, the account call with it is refused by
 * Keycloak as a real one refuses it (Richie keeps Fonzie's user); logout ends the LMS session.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cli, hasTool, inMountNamespace, removeDir, sh, tempDir } from '../helpers.js';
import { hasChromium, trustedStack } from './chromium.js';

const FLOW = join(ROOT, 'test', 'browser', 'flows', 'fonzie-keycloak.mjs');
const CATALOG_PORT = 18780;
const JOANIE_PORT = 18781;
const EDX_PORT = 18783;
const KEYCLOAK_PORT = 18784;
const CATALOG = `https://richie.local.dev:${CATALOG_PORT}`;
const LMS = `https://edx.local.dev:${EDX_PORT}`;
const KEYCLOAK = `https://keycloak.local.dev:${KEYCLOAK_PORT}`;
const JOANIE = `https://joanie.local.dev:${JOANIE_PORT}`;
const COURSE = `${CATALOG}/en/courses/demo/`;

describe("fonzie-keycloak: Richie logs in through the demo LMS's /keycloak-login and the Keycloak stand-in", () => {
  const root = tempDir();
  const home = join(root, 'home');
  const project = join(root, 'fkproject');
  const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss' };
  const curl = (url: string) => sh('curl', ['-sS', '--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', `richie.local.dev:${CATALOG_PORT}:127.0.0.1`, url]);

  beforeAll(async () => {
    expect(hasChromium()).toBe(true);
    expect(hasTool('docker')).toBe(true);
    await trustedStack({
      project,
      home,
      env,
      config: { catalog: { port: CATALOG_PORT }, lms: { port: EDX_PORT, fonzie: true }, authentication: { backend: 'fonzie-keycloak', port: KEYCLOAK_PORT }, joanie: { port: JOANIE_PORT } },
    });
  }, 300_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
  });

  it("the catalog's page context names the LMS as the authentication endpoint, with Keycloak beside it", async () => {
    const page = (await curl(COURSE)).stdout;
    const context = JSON.parse(JSON.parse(/__richie_frontend_context__ = JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(page)![1]!)) as { context: { authentication: unknown } };
    expect(context.context.authentication).toEqual({ endpoint: LMS, backend: 'fonzie-keycloak', keycloak_endpoint: KEYCLOAK, keycloak_client_id: 'richie', keycloak_realm: 'richie' });
  });

  it("in Chromium: log in at the LMS's /keycloak-login on Keycloak and back, me is Fonzie's user with Fonzie's token, logout ends it", async () => {
    const etc = join(root, 'etc');
    const result = await inMountNamespace(`
      cp -a /etc "${etc}"
      mount --bind "${etc}" /etc
      node "${CLI}" --project-dir "${project}" hosts add >&2
      node "${FLOW}" "${COURSE}" "${LMS}" "${KEYCLOAK}" "${home}"
    `);
    expect(result.exitCode, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown> & { steps: [string, string[]][]; consoleErrors: string[] };
    expect(seen.error, JSON.stringify(seen)).toBeUndefined();
    const steps = Object.fromEntries(seen.steps);
    expect(seen.anonymous).toBeNull();
    // Richie's login: the LMS's /keycloak-login, python-social-auth's begin URL, Keycloak's form.
    expect(seen.loginUrl).toMatch(new RegExp(`^${KEYCLOAK}/realms/richie/login-actions/`));
    expect(seen.loginForm).toBe(true);
    expect(steps.login!.slice(0, 3)).toEqual(['lms 302 GET /keycloak-login', 'lms 302 GET /auth/login/keycloak/', 'keycloak 303 GET /realms/richie/protocol/openid-connect/auth']);
    // Back through the LMS's callback (which exchanged the code with Keycloak) to the page.
    expect(steps.login).toEqual(expect.arrayContaining(['lms 302 GET /auth/complete/keycloak/', 'lms 200 GET /api/v1.0/user/me']));
    expect(seen.backOn).toBe(COURSE);
    // Fonzie's user: Keycloak refuses Fonzie's token at its account endpoint, as a real Keycloak
    // does, and Richie keeps Fonzie's user (openedx-fonzie-keycloak.ts catches it).
    expect(steps.login).toEqual(expect.arrayContaining(['keycloak 401 GET /realms/richie/account/']));
    expect(seen.loggedIn).toBe('student');
    // Fonzie's token, signed with the project's key (the one Joanie is given), is the session's.
    const key = (JSON.parse(readFileSync(join(project, '.richie-dev', 'secrets.json'), 'utf8')) as Record<string, string>).jwtSigningKey!;
    const { payload } = await jwtVerify(String(seen.sessionToken), new TextEncoder().encode(key), { algorithms: ['HS256'] });
    expect(payload).toMatchObject({ username: 'student', token_type: 'access' });
    // Logout: the LMS's /logout; anonymous again, the token gone, and still so after a reload.
    expect(steps.logout!.some((r) => /^lms 302 GET \/logout$/.test(r)), JSON.stringify(steps.logout)).toBe(true);
    expect(seen.afterLogout).toBeNull();
    expect(seen.sessionTokenAfterLogout).toBeNull();
    expect(seen.afterReload).toBeNull();
    expect(seen.consoleErrors.filter((e) => !e.startsWith('Failed to load resource')), JSON.stringify(seen.consoleErrors)).toEqual([]);
  });
});
