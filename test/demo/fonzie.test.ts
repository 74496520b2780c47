/**
 * Fonzie on the demo LMS, as openfun/fonzie answers (fonzie/views/user.py UserSessionView and
 * tests/views/test_user.py; openedx-docker's and fonzie's config/lms/docker_run_development.py
 * SIMPLE_JWT), and the accounts and preferences endpoints Richie's `fonzie` front-end backend
 * calls (richie-education js/api/lms/openedx-fonzie.ts; edx-platform
 * openedx/core/djangoapps/user_api/accounts and preferences). The token is checked with jose
 * and the key from the rendered LMS settings, as another app given that key would check it.
 */
import { errors, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CATALOG, SECRETS, browser, cookieNamed, demoLms, logIn, setCookies, type Lms } from './demo-lms.js';

const { renderedEnv, startLms, close } = demoLms();
afterAll(close);

describe("Fonzie's user/me", () => {
  let lms: Lms;
  let env: Record<string, string>;
  beforeAll(async () => {
    env = await renderedEnv('hawthorn', {}, { fonzie: true });
    lms = await startLms(env);
  });
  const key = () => new TextEncoder().encode((JSON.parse(env.SIMPLE_JWT!) as { SIGNING_KEY: string }).SIGNING_KEY);

  it('the rendered settings carry SIMPLE_JWT with the project key, only when Fonzie is on', async () => {
    expect(JSON.parse(env.SIMPLE_JWT!)).toEqual({ ALGORITHM: 'HS256', SIGNING_KEY: SECRETS.jwtSigningKey, USER_ID_FIELD: 'username', USER_ID_CLAIM: 'username' });
    expect(await renderedEnv('hawthorn')).not.toHaveProperty('SIMPLE_JWT');
  });

  it('anonymous: 403 (SessionAuthentication has no WWW-Authenticate header, so DRF says 403), no cookie', async () => {
    const res = await lms('/api/v1.0/user/me', { headers: { origin: CATALOG, referer: `${CATALOG}/` } });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
    expect(setCookies(res)).toEqual([]);
  });

  it('logged in: {access_token, username, full_name}; the token verifies with jose under the rendered key, with the claims the view sets', async () => {
    const cookie = await logIn(lms);
    const res = await lms('/api/v1.0/user/me', { headers: { cookie, origin: CATALOG, referer: `${CATALOG}/` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { access_token: string; username: string; full_name: string };
    expect(Object.keys(body).sort()).toEqual(['access_token', 'full_name', 'username']);
    expect(body).toMatchObject({ username: 'student', full_name: 'student' });
    const { payload, protectedHeader } = await jwtVerify(body.access_token, key(), { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    // fonzie tests/views/test_user.py requires these claims.
    for (const claim of ['email', 'exp', 'iat', 'jti', 'token_type', 'username', 'language', 'is_active', 'is_staff', 'is_superuser']) expect(payload, claim).toHaveProperty(claim);
    expect(payload).toMatchObject({ token_type: 'access', username: 'student', full_name: 'student', email: 'student@example.com', language: 'en', is_active: true, is_staff: false, is_superuser: false });
    // rest_framework_simplejwt's default ACCESS_TOKEN_LIFETIME: 5 minutes.
    expect(payload.exp! - payload.iat!).toBe(300);
    // Another key refuses it.
    await expect(jwtVerify(body.access_token, new TextEncoder().encode('another key'))).rejects.toBeInstanceOf(errors.JWSSignatureVerificationFailed);
  });

  it('the view is decorated ensure_csrf_cookie_cross_domain: the cross-domain CSRF cookie for an allowed Referer', async () => {
    const cookie = await logIn(lms);
    const res = await lms('/api/v1.0/user/me', { headers: { cookie, origin: CATALOG, referer: `${CATALOG}/` } });
    expect(cookieNamed(res, 'edx_csrf_token')).toMatch(/^edx_csrf_token=\w+; Domain=\.local\.dev; Max-Age=\d+; Path=\/; Secure$/);
    const elsewhere = await lms('/api/v1.0/user/me', { headers: { cookie, referer: 'https://elsewhere.local.dev/' } });
    expect(cookieNamed(elsewhere, 'edx_csrf_token')).toBeUndefined();
  });

  it('staff carry is_staff; a key from richie-dev is not a per-process one: a restarted LMS signs with the same key', async () => {
    const staff = await lms('/api/v1.0/user/me', { headers: { cookie: await logIn(lms, 'staff') } });
    const { payload } = await jwtVerify(((await staff.json()) as { access_token: string }).access_token, key());
    expect(payload.is_staff).toBe(true);
    const again = await startLms(env);
    const token = ((await (await again('/api/v1.0/user/me', { headers: { cookie: await logIn(again) } })).json()) as { access_token: string }).access_token;
    await expect(jwtVerify(token, key())).resolves.toBeDefined();
  });
});

describe("accounts and preferences, as the fonzie front-end backend calls them", () => {
  let lms: Lms;
  beforeAll(async () => {
    lms = await startLms(await renderedEnv('hawthorn', {}, { fonzie: true }));
  });

  it('GET accounts and preferences: 401 anonymous, the user\'s own data logged in', async () => {
    for (const path of ['/api/user/v1/accounts/student', '/api/user/v1/preferences/student']) {
      const anonymous = await lms(path);
      expect([anonymous.status, await anonymous.json()], path).toEqual([401, { detail: 'Authentication credentials were not provided.' }]);
    }
    const cookie = await logIn(lms);
    const account = await lms('/api/user/v1/accounts/student', { headers: { cookie } });
    expect(account.status).toBe(200);
    expect(account.headers.get('content-type')).toBe('application/json');
    // The OpenEdxApiProfile fields richie-education reads (js/types/openEdx.ts).
    expect(await account.json()).toMatchObject({ username: 'student', name: 'student', email: 'student@example.com', country: null, year_of_birth: null, level_of_education: null, gender: null, language_proficiencies: [], date_joined: expect.any(String) });
    const preferences = await lms('/api/user/v1/preferences/student', { headers: { cookie } });
    expect([preferences.status, await preferences.json()]).toEqual([200, { 'pref-lang': 'en', account_privacy: 'private' }]);
    // Another user: the private view of an account; no preferences (403); an unknown user 404.
    expect(await (await lms('/api/user/v1/accounts/staff', { headers: { cookie } })).json()).toEqual({ username: 'staff', account_privacy: 'private', profile_image: expect.any(Object) });
    expect((await lms('/api/user/v1/preferences/staff', { headers: { cookie } })).status).toBe(403);
    expect((await lms('/api/user/v1/accounts/ghost', { headers: { cookie } })).status).toBe(404);
  });

  it('PATCH accounts: application/merge-patch+json with the CSRF header; the new name is in the next token', async () => {
    const { headers } = await browser(lms);
    const patch = (body: unknown, extra: Record<string, string> = {}) => lms('/api/user/v1/accounts/student', { method: 'PATCH', body: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/merge-patch+json', ...extra } });
    const json = await patch({ name: 'Arthur Fonzarelli' }, { 'content-type': 'application/json' });
    expect([json.status, await json.json()]).toEqual([415, { detail: 'Unsupported media type "application/json" in request.' }]);
    const noToken = await patch({ name: 'Arthur Fonzarelli' }, { 'x-csrftoken': 'wrong' });
    expect([noToken.status, await noToken.json()]).toEqual([403, { detail: 'CSRF Failed: CSRF token missing or incorrect.' }]);
    const readOnly = await patch({ username: 'fonzie', gender: 'o' });
    expect(readOnly.status).toBe(400);
    expect(await readOnly.json()).toEqual({ field_errors: { username: { developer_message: 'This field is not editable via this API', user_message: "The 'username' field cannot be edited." } } });
    const ok = await patch({ name: 'Arthur Fonzarelli', country: 'FR' });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ username: 'student', name: 'Arthur Fonzarelli', country: 'FR', gender: null });
    const me = (await (await lms('/api/v1.0/user/me', { headers })).json()) as { full_name: string };
    expect(me.full_name).toBe('Arthur Fonzarelli');
    const other = await lms('/api/user/v1/accounts/staff', { method: 'PATCH', body: '{"name":"x"}', headers: { ...headers, 'content-type': 'application/merge-patch+json' } });
    expect(other.status).toBe(403);
  });
});
