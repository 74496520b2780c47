/**
 * The Keycloak stand-in (templates/images/demo-keycloak/server.mjs, bundled by npm run build),
 * run on the host with the env file richie-dev renders, driven with the requests keycloak-js 26
 * sends (node_modules/keycloak-js/lib/keycloak.js: createLoginUrl, fetchAccessToken,
 * fetchRefreshToken, createLogoutUrl, loadUserProfile) at Keycloak's URL layout. The browser
 * test (test/browser/keycloak.test.ts) runs keycloak-js itself through Richie's code.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { keycloakModel, keycloakEnv } from '../../src/auth/keycloak.js';
import { ROOT, freePort } from '../helpers.js';

const SERVER = join(ROOT, 'templates', 'images', 'demo-keycloak', 'server.mjs');
const CATALOG = 'https://richie.local.dev:8070';
const PAGE = `${CATALOG}/en/courses/demo/`;

let child: ChildProcess;
let base: string;
let realm: string;

/** A browser's cookie jar, enough for one host. */
const jar = new Map<string, string>();
const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
function keep(response: Response): Response {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const [name, ...value] = pair!.split('=');
    if (/expires=Thu, 01 Jan 1970/i.test(line) || value.join('=') === '') jar.delete(name!.trim());
    else jar.set(name!.trim(), value.join('='));
  }
  return response;
}
/** A top-level navigation: cookies sent, redirects not followed (each is checked). */
const navigate = async (url: string, init: RequestInit = {}) => keep(await fetch(url, { ...init, redirect: 'manual', headers: { cookie: cookieHeader(), ...(init.headers as Record<string, string>) } }));
/** Follows redirects within the stand-in until one leaves it (to the catalog) or a page answers. */
async function follow(response: Response): Promise<{ url: string; response: Response }> {
  let current = response;
  let url = '';
  for (let i = 0; i < 10 && current.status >= 300 && current.status < 400; i++) {
    url = new URL(current.headers.get('location')!, base).href;
    if (!url.startsWith(base)) return { url, response: current };
    current = await navigate(url);
  }
  return { url, response: current };
}

function pkce() {
  const verifier = randomBytes(72).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** keycloak-js's createLoginUrl for Richie's init (standard flow, S256, fragment). */
function loginUrl(options: { prompt?: string; action?: string; challenge: string; nonce: string }): string {
  const params = new URLSearchParams([
    ['client_id', 'richie'],
    ['redirect_uri', PAGE],
    ['state', randomBytes(8).toString('hex')],
    ['response_mode', 'fragment'],
    ['response_type', 'code'],
    ['scope', 'openid'],
    ['nonce', options.nonce],
  ]);
  if (options.prompt) params.append('prompt', options.prompt);
  if (options.action) params.append('kc_action', options.action);
  params.append('code_challenge', options.challenge);
  params.append('code_challenge_method', 'S256');
  return `${realm}/protocol/openid-connect/auth?${params}`;
}

/** keycloak-js's fetch: from the catalog's origin, with credentials, CORS checked as a browser does. */
async function corsFetch(url: string, init: RequestInit & { headers?: Record<string, string> }): Promise<Response> {
  const response = await fetch(url, { ...init, headers: { origin: CATALOG, accept: 'application/json', ...init.headers } });
  expect(response.headers.get('access-control-allow-origin'), url).toBe(CATALOG);
  expect(response.headers.get('access-control-allow-credentials'), url).toBe('true');
  return response;
}
const tokenRequest = (body: Record<string, string>) => corsFetch(`${realm}/protocol/openid-connect/token`, { method: 'POST', body: new URLSearchParams(body), headers: { 'content-type': 'application/x-www-form-urlencoded' } });

const fragment = (url: string) => new URLSearchParams(new URL(url).hash.slice(1));
const claims = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;

beforeAll(async () => {
  expect(existsSync(SERVER), 'npm run build makes the bundle').toBe(true);
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const config = parseConfig({ authentication: { backend: 'keycloak' } });
  const model = keycloakModel(config, { tls: true })!;
  // The stand-in's public URL as the browser sees it, here on loopback.
  const env = { ...keycloakEnv(model, { keycloakLmsClientSecret: 'unused' }), KEYCLOAK_URL: base };
  child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH, ...env, PORT: String(port) }, stdio: 'ignore' });
  realm = `${base}/realms/${model.realm}`;
  for (let i = 0; i < 100; i++) {
    if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 20_000);
afterAll(() => {
  child?.kill();
});

describe('the Keycloak stand-in, as keycloak-js uses it', () => {
  it("answers Keycloak's discovery document at the realm's path, with Keycloak's endpoint paths", async () => {
    const response = await fetch(`${realm}/.well-known/openid-configuration`);
    expect(response.status).toBe(200);
    const doc = (await response.json()) as Record<string, unknown>;
    expect(doc).toMatchObject({
      issuer: realm,
      authorization_endpoint: `${realm}/protocol/openid-connect/auth`,
      token_endpoint: `${realm}/protocol/openid-connect/token`,
      end_session_endpoint: `${realm}/protocol/openid-connect/logout`,
      jwks_uri: `${realm}/protocol/openid-connect/certs`,
      userinfo_endpoint: `${realm}/protocol/openid-connect/userinfo`,
    });
    expect(doc.code_challenge_methods_supported).toEqual(['S256']);
    expect(((await (await fetch(`${realm}/protocol/openid-connect/certs`)).json()) as { keys: unknown[] }).keys).toHaveLength(1);
  });

  it('check-sso without a session comes back with login_required (prompt=none); a PKCE-less request is refused', async () => {
    jar.clear();
    const { challenge } = pkce();
    const { url } = await follow(await navigate(loginUrl({ prompt: 'none', challenge, nonce: 'n0' })));
    expect(url.startsWith(`${PAGE}#`)).toBe(true);
    expect(fragment(url).get('error')).toBe('login_required');
    const noPkce = await navigate(loginUrl({ challenge, nonce: 'n' }).replace(/&code_challenge=[^&]*&code_challenge_method=S256/, ''));
    const back = new URL(noPkce.headers.get('location')!, base).href;
    expect(fragment(back).get('error')).toBe('invalid_request');
  });

  it('logs the demo user in (standard flow, S256), gives tokens to the catalog (CORS), the profile at /account, refreshes, and logs out with id_token_hint', async () => {
    jar.clear();
    const { verifier, challenge } = pkce();
    const first = await follow(await navigate(loginUrl({ challenge, nonce: 'n1' })));
    expect(first.response.status).toBe(200);
    const form = await first.response.text();
    expect(form).toContain('id="kc-form-login"');
    const action = /action="([^"]+)"/.exec(form)![1]!;
    // A wrong password is refused with the form again.
    const wrong = await navigate(`${base}${action}`, { method: 'POST', body: new URLSearchParams({ username: 'student', password: 'nope' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Invalid username or password.');
    const { url } = await follow(await navigate(`${base}${action}`, { method: 'POST', body: new URLSearchParams({ username: 'student', password: 'student' }), headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    expect(url.startsWith(`${PAGE}#`), url).toBe(true);
    const code = fragment(url).get('code')!;
    expect(code).toBeTruthy();
    // The code without the verifier is refused; with it, tokens.
    expect((await tokenRequest({ code, grant_type: 'authorization_code', client_id: 'richie', redirect_uri: PAGE, code_verifier: pkce().verifier })).status).toBe(400);
    const { verifier: v2, challenge: c2 } = pkce();
    const again = await follow(await navigate(loginUrl({ challenge: c2, nonce: 'n2' })));
    const code2 = fragment(again.url).get('code')!;
    const tokens = (await (await tokenRequest({ code: code2, grant_type: 'authorization_code', client_id: 'richie', redirect_uri: PAGE, code_verifier: v2 })).json()) as Record<string, string>;
    expect(verifier).not.toBe(v2);
    expect(tokens).toMatchObject({ token_type: 'Bearer' });
    expect(tokens.refresh_token).toBeTruthy();
    // Keycloak's claims in the ID token, which Richie keeps as the user's token; the nonce back.
    expect(claims(tokens.id_token!)).toMatchObject({ iss: realm, aud: 'richie', nonce: 'n2', preferred_username: 'student', given_name: 'Demo', family_name: 'Student', email: 'student@example.com' });
    // Keycloak's typ and jti, by which Joanie accepts it (core/authentication.py KeycloakAccessToken).
    expect(claims(tokens.id_token!)).toMatchObject({ typ: 'ID', jti: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    // The access token is a JWT, as Keycloak's: keycloak-js decodes it (exp, iat) and fails on an opaque one.
    expect(claims(tokens.access_token!)).toMatchObject({ iss: realm, aud: 'account', azp: 'richie', typ: 'Bearer', preferred_username: 'student' });
    expect(claims(tokens.access_token!).exp).toBeTypeOf('number');
    // So is the refresh token (keycloak-js's decodeToken throws on an opaque one).
    expect(claims(tokens.refresh_token!)).toMatchObject({ iss: realm, typ: 'Refresh', azp: 'richie' });

    // loadUserProfile: GET /account with "bearer" (keycloak-js's spelling), after a preflight.
    const preflight = await fetch(`${realm}/account`, { method: 'OPTIONS', headers: { origin: CATALOG, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization' } });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(CATALOG);
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('authorization');
    const profile = await corsFetch(`${realm}/account`, { headers: { authorization: `bearer ${tokens.access_token}` } });
    expect(profile.status).toBe(200);
    expect(await profile.json()).toMatchObject({ username: 'student', firstName: 'Demo', lastName: 'Student', email: 'student@example.com' });
    expect((await fetch(`${realm}/account`, { headers: { authorization: 'bearer nope' } })).status).toBe(401);
    // Another origin gets no CORS headers, from /account or the token endpoint (doctor's keycloak-cors relies on it).
    const other = await fetch(`${realm}/account`, { headers: { origin: 'https://evil.local.dev:1', authorization: `bearer ${tokens.access_token}` } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const otherToken = await fetch(`${realm}/protocol/openid-connect/token`, { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: 'richie' }), headers: { origin: 'https://evil.local.dev:1' } });
    expect(otherToken.status).toBe(400);
    expect(otherToken.headers.get('access-control-allow-origin')).toBeNull();

    // updateToken: a refresh gives new tokens.
    const refreshed = (await (await tokenRequest({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token!, client_id: 'richie' })).json()) as Record<string, string>;
    expect(refreshed.access_token).toBeTruthy();
    expect(refreshed.access_token).not.toBe(tokens.access_token);

    // check-sso with the session: a code at once, no form.
    const sso = await follow(await navigate(loginUrl({ prompt: 'none', challenge: pkce().challenge, nonce: 'n3' })));
    expect(fragment(sso.url).get('code')).toBeTruthy();

    // Logout with id_token_hint: no question asked, back to the page; then check-sso finds no session.
    const logoutUrl = `${realm}/protocol/openid-connect/logout?${new URLSearchParams({ client_id: 'richie', post_logout_redirect_uri: PAGE, id_token_hint: refreshed.id_token ?? tokens.id_token! })}`;
    // Without a hint Keycloak asks first: the form is shown, not submitted.
    const unhinted = await (await navigate(`${realm}/protocol/openid-connect/logout?${new URLSearchParams({ client_id: 'richie', post_logout_redirect_uri: PAGE })}`)).text();
    expect(unhinted).toContain('id="kc-logout"');
    expect(unhinted).not.toContain('.submit()');
    const logoutPage = await navigate(logoutUrl);
    const logoutHtml = await logoutPage.text();
    expect(logoutHtml).toContain('.submit()');
    const logoutForm = /<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/.exec(logoutHtml)!;
    const fields = new URLSearchParams([...logoutForm[2]!.matchAll(/name="([^"]+)" value="([^"]*)"/g)].map((m): [string, string] => [m[1]!, m[2]!]));
    fields.set('logout', 'yes');
    const done = await navigate(new URL(logoutForm[1]!, base).href, { method: 'POST', body: fields, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(done.headers.get('location')).toBe(PAGE);
    const after = await follow(await navigate(loginUrl({ prompt: 'none', challenge: pkce().challenge, nonce: 'n4' })));
    expect(fragment(after.url).get('error')).toBe('login_required');
  });

  it('kc_action=REGISTER shows the registration form; a new user is logged in and has that profile', async () => {
    jar.clear();
    const { verifier, challenge } = pkce();
    const first = await follow(await navigate(loginUrl({ action: 'REGISTER', challenge, nonce: 'r1' })));
    const form = await first.response.text();
    expect(form).toContain('id="kc-register-form"');
    const action = /action="([^"]+)"/.exec(form)![1]!;
    const body = new URLSearchParams({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', username: 'ada', password: 'secret' });
    const { url } = await follow(await navigate(`${base}${action}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } }));
    const tokens = (await (await tokenRequest({ code: fragment(url).get('code')!, grant_type: 'authorization_code', client_id: 'richie', redirect_uri: PAGE, code_verifier: verifier })).json()) as Record<string, string>;
    const profile = await corsFetch(`${realm}/account`, { headers: { authorization: `bearer ${tokens.access_token}` } });
    expect(await profile.json()).toMatchObject({ username: 'ada', firstName: 'Ada', lastName: 'Lovelace' });
  });

  it('refuses a redirect URI outside the catalog', async () => {
    jar.clear();
    const response = await navigate(loginUrl({ challenge: pkce().challenge, nonce: 'x' }).replace(encodeURIComponent(PAGE), encodeURIComponent('https://evil.local.dev/')));
    expect(response.status).toBe(400);
    expect(await response.text()).toContain('redirect_uri');
  });
});
