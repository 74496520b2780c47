/**
 * The demo LMS's login through Keycloak (templates/images/demo-lms/keycloak-login.mjs), which
 * Richie's `fonzie-keycloak` backend starts at {LMS}/keycloak-login?next=<page>: both demo apps
 * run on the host with the env files richie-dev renders (the LMS's SOCIAL_AUTH_KEYCLOAK_*, the
 * stand-in's second, confidential client), driven as a browser would, cookies and redirects
 * checked one by one; the LMS calls the stand-in server to server itself. Over plain HTTP on
 * loopback here (python-social-auth allows it; the stack is TLS only): the browser test
 * (test/browser/fonzie-keycloak.test.ts) runs it over TLS through Richie's own code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { keycloakEnv, keycloakModel, withLmsKeycloakEnv } from '../../src/auth/keycloak.js';
import { ROOT, freePort } from '../helpers.js';
import { CATALOG, cookieNamed, demoLms, value, type Lms } from './demo-lms.js';

const STAND_IN = join(ROOT, 'templates', 'images', 'demo-keycloak', 'server.mjs');
const PAGE = `${CATALOG}/en/courses/demo/`;
const LMS_ORIGIN = 'https://edx.local.dev:8073';
const CALLBACK = `${LMS_ORIGIN}/auth/complete/keycloak/`;
const SECRETS = { keycloakLmsClientSecret: 'k'.repeat(64) };

const family = demoLms();
let keycloak: ChildProcess;
let kbase: string;
let lms: Lms;
let lmsEnv: Record<string, string>;

/** The browser's cookies on the stand-in (one host). */
const jar = new Map<string, string>();
function keep(response: Response): Response {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const [name, ...rest] = pair!.split('=');
    if (/expires=Thu, 01 Jan 1970/i.test(line) || rest.join('=') === '') jar.delete(name!.trim());
    else jar.set(name!.trim(), rest.join('='));
  }
  return response;
}
const onKeycloak = async (url: string, init: RequestInit = {}) =>
  keep(await fetch(url, { ...init, redirect: 'manual', headers: { cookie: [...jar].map(([k, v]) => `${k}=${v}`).join('; '), ...(init.headers as Record<string, string>) } }));
/** On the stand-in: redirects followed until one leaves it (back to the LMS) or a page answers. */
async function followOnKeycloak(url: string, init?: RequestInit): Promise<{ url: string; response: Response }> {
  let response = await onKeycloak(url, init);
  let at = url;
  for (let i = 0; i < 10 && response.status >= 300 && response.status < 400; i++) {
    at = new URL(response.headers.get('location')!, at).href;
    if (!at.startsWith(kbase)) return { url: at, response };
    response = await onKeycloak(at);
  }
  return { url: at, response };
}
/** The LMS path of one of its public URLs. */
const lmsPath = (url: string) => {
  expect(url.startsWith(LMS_ORIGIN), url).toBe(true);
  return url.slice(LMS_ORIGIN.length);
};

/**
 * From the LMS's /auth/login/keycloak/ to its callback: the browser's LMS cookie (anonymous
 * session), Keycloak's auth URL, and where its form (login, or registration) sends it back.
 */
async function toKeycloak(start: string, target: Lms = lms) {
  const begin = await target(start);
  expect(begin.status).toBe(302);
  const anonymous = `edx_session=${value(cookieNamed(begin, 'edx_session'))}`;
  const authUrl = begin.headers.get('location')!;
  const form = await followOnKeycloak(authUrl);
  expect(form.response.status).toBe(200);
  return { anonymous, authUrl, formUrl: form.url };
}
async function submit(formUrl: string, step: 'authenticate' | 'registration', fields: Record<string, string>): Promise<string> {
  const back = await followOnKeycloak(`${formUrl.split('?')[0]}/${step}`, { method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  expect(back.url.startsWith(`${CALLBACK}?`), back.url).toBe(true);
  return back.url;
}

beforeAll(async () => {
  expect(existsSync(STAND_IN), 'npm run build makes the bundle').toBe(true);
  const config = parseConfig({ lms: { fonzie: true }, authentication: { backend: 'fonzie-keycloak' } });
  const model = keycloakModel(config, { tls: true })!;
  const port = await freePort();
  kbase = `http://127.0.0.1:${port}`;
  // The stand-in's public URL, here its loopback address (the LMS reaches it there too).
  keycloak = spawn(process.execPath, [STAND_IN], { env: { PATH: process.env.PATH, ...keycloakEnv(model, SECRETS), KEYCLOAK_URL: kbase, PORT: String(port) }, stdio: 'ignore' });
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${kbase}/health`).then((r) => r.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  lmsEnv = { ...withLmsKeycloakEnv(await family.renderedEnv('hawthorn', {}, { fonzie: true }), model, SECRETS), SOCIAL_AUTH_KEYCLOAK_OIDC_ENDPOINT: `${kbase}/realms/richie` };
  lms = await family.startLms(lmsEnv);
}, 20_000);
afterAll(() => {
  keycloak?.kill();
  family.close();
});

describe("the demo LMS's /keycloak-login (python-social-auth's Keycloak login, through openid-client)", () => {
  it('logs the Keycloak user in on the LMS and sends them back to the page; Fonzie then answers for them', async () => {
    jar.clear();
    const login = await lms(`/keycloak-login?next=${encodeURIComponent(PAGE)}`);
    expect(login.status).toBe(302);
    expect(login.headers.get('location')).toBe(`/auth/login/keycloak/?next=${encodeURIComponent(PAGE)}`);
    const { anonymous, authUrl, formUrl } = await toKeycloak(login.headers.get('location')!);
    // The LMS's client on Keycloak's auth endpoint: standard flow, PKCE S256, state and nonce.
    const auth = new URL(authUrl);
    expect(`${auth.origin}${auth.pathname}`).toBe(`${kbase}/realms/richie/protocol/openid-connect/auth`);
    expect(Object.fromEntries(auth.searchParams)).toMatchObject({ client_id: 'openedx', redirect_uri: CALLBACK, response_type: 'code', scope: 'openid profile email', code_challenge_method: 'S256' });
    expect(auth.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(auth.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    expect(formUrl).toMatch(new RegExp(`^${kbase}/realms/richie/login-actions/`));
    const callback = await submit(formUrl, 'authenticate', { username: 'student', password: 'student' });
    expect(new URL(callback).searchParams.get('state')).toBe(auth.searchParams.get('state'));
    const done = await lms(lmsPath(callback), { headers: { cookie: anonymous } });
    expect(done.status, await done.clone().text()).toBe(302);
    expect(done.headers.get('location')).toBe(PAGE);
    // A new session key for the user (Django's login() cycles it).
    const session = `edx_session=${value(cookieNamed(done, 'edx_session'))}`;
    expect(session).not.toBe(anonymous);
    const me = await lms('/api/v1.0/user/me', { headers: { cookie: session, origin: CATALOG, referer: PAGE } });
    expect(me.status).toBe(200);
    const body = (await me.json()) as { username: string; access_token: string };
    expect(body.username).toBe('student');
    expect(JSON.parse(Buffer.from(body.access_token.split('.')[1]!, 'base64url').toString('utf8'))).toMatchObject({ username: 'student', token_type: 'access' });
    // The anonymous session is no one's, and a callback cannot be replayed.
    expect((await lms('/api/v1.0/user/me', { headers: { cookie: anonymous } })).status).toBe(403);
    expect((await lms(lmsPath(callback), { headers: { cookie: anonymous } })).status).toBe(400);
  });

  it('a `next` on a host SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS does not name ends on LOGIN_REDIRECT_URL (/dashboard); the LMS\'s own host passes', async () => {
    expect(JSON.parse(lmsEnv.SOCIAL_AUTH_ALLOWED_REDIRECT_HOSTS!)).toEqual(['richie.local.dev:8070']);
    for (const [next, landing] of [
      ['https://evil.example/', '/dashboard'],
      ['https://richie.local.dev:8071/', '/dashboard'],
      ['///evil.example/', '/dashboard'],
      [`${LMS_ORIGIN}/courses/`, `${LMS_ORIGIN}/courses/`],
    ]) {
      jar.clear();
      const { anonymous, formUrl } = await toKeycloak(`/auth/login/keycloak/?next=${encodeURIComponent(next!)}`);
      const callback = await submit(formUrl, 'authenticate', { username: 'student', password: 'student' });
      const done = await lms(lmsPath(callback), { headers: { cookie: anonymous } });
      expect(done.status).toBe(302);
      expect(done.headers.get('location'), next).toBe(landing);
    }
  });

  it("a user Keycloak knows and the LMS does not (registered on Keycloak) is made on the LMS at first login, with Keycloak's name", async () => {
    jar.clear();
    const { anonymous, formUrl } = await toKeycloak(`/auth/login/keycloak/?next=${encodeURIComponent(PAGE)}`);
    const register = await onKeycloak(`${formUrl}?register`);
    expect(await register.text()).toContain('kc-register-form');
    const callback = await submit(formUrl, 'registration', { username: 'grace', password: 'grace-secret', firstName: 'Grace', lastName: 'Hopper', email: 'grace@example.com' });
    const done = await lms(lmsPath(callback), { headers: { cookie: anonymous } });
    expect(done.headers.get('location')).toBe(PAGE);
    const session = `edx_session=${value(cookieNamed(done, 'edx_session'))}`;
    const me = (await (await lms('/api/v1.0/user/me', { headers: { cookie: session } })).json()) as Record<string, unknown>;
    expect(me).toMatchObject({ username: 'grace', full_name: 'Grace Hopper' });
    // No usable password on the LMS: its own login form refuses every guess.
    const guess = await lms('/login', { method: 'POST', body: 'username=grace&password=grace-secret', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(guess.status).toBe(400);
  });

  it('refused without a session state, with a state that is not the session\'s, and with a wrong client secret; no session is made', async () => {
    jar.clear();
    const { anonymous, formUrl } = await toKeycloak(`/auth/login/keycloak/?next=${encodeURIComponent(PAGE)}`);
    const callback = await submit(formUrl, 'authenticate', { username: 'student', password: 'student' });
    const noSession = await lms(lmsPath(callback));
    expect(noSession.status).toBe(400);
    expect(await noSession.text()).toContain('Session value state missing');
    const forged = new URL(callback);
    forged.searchParams.set('state', 'not-the-one');
    const wrongState = await lms(lmsPath(forged.href), { headers: { cookie: anonymous } });
    expect(wrongState.status).toBe(400);
    expect(cookieNamed(wrongState, 'edx_session')).toBeUndefined();

    const wrongSecret = await family.startLms({ ...lmsEnv, SOCIAL_AUTH_KEYCLOAK_SECRET: 'x'.repeat(64) });
    jar.clear();
    const other = await toKeycloak(`/auth/login/keycloak/?next=${encodeURIComponent(PAGE)}`, wrongSecret);
    const back = await submit(other.formUrl, 'authenticate', { username: 'student', password: 'student' });
    const refused = await wrongSecret(lmsPath(back), { headers: { cookie: other.anonymous } });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toContain('invalid_client');
    expect(cookieNamed(refused, 'edx_session')).toBeUndefined();
  });

  it("on the stand-in, each client's redirect URIs are its own: the LMS's client cannot send a code to the catalog, nor Richie's to the LMS's callback", async () => {
    const auth = (clientId: string, redirectUri: string) =>
      fetch(`${kbase}/realms/richie/protocol/openid-connect/auth?${new URLSearchParams({ client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' })}`, { redirect: 'manual' });
    for (const [clientId, redirectUri] of [['openedx', PAGE], ['richie', CALLBACK]]) {
      const refused = await auth(clientId!, redirectUri!);
      expect(refused.status, `${clientId} ${redirectUri}`).toBe(400);
      expect(await refused.text()).toContain('redirect_uri');
    }
    for (const [clientId, redirectUri] of [['openedx', CALLBACK], ['richie', PAGE]]) expect((await auth(clientId!, redirectUri!)).status, `${clientId} ${redirectUri}`).toBe(303);
  });

  it('an LMS without the SOCIAL_AUTH_KEYCLOAK_* settings, or without ENABLE_THIRD_PARTY_AUTH, has no such URLs (404)', async () => {
    const plain = await family.startLms(await family.renderedEnv('hawthorn', {}, { fonzie: true }));
    const off = await family.startLms({ ...lmsEnv, FEATURES: JSON.stringify({ ...JSON.parse(lmsEnv.FEATURES!), ENABLE_THIRD_PARTY_AUTH: false }) });
    for (const target of [plain, off]) {
      for (const path of ['/keycloak-login?next=%2F', '/auth/login/keycloak/', '/auth/complete/keycloak/?code=x&state=y']) expect((await target(path)).status, path).toBe(404);
    }
  });
});
