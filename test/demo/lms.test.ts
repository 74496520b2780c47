/**
 * The demo LMS, run on the host with the env file richie-dev renders, answering as OpenEdX
 * does wherever Richie's front end can tell (edx-platform cors_csrf and enrollment views, DRF's
 * Response, django-cors-headers, openedx-docker's settings parsing): status codes, exact
 * Content-Type, which response sets which cookie, the CORS and CSRF rules of each release.
 * Requests arrive as nginx forwards them (Host with port, X-Forwarded-Proto).
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CATALOG, COURSE, SERVER, cookieNamed, demoLms, logIn, value, type Lms } from './demo-lms.js';

const { root, renderedEnv, startLms, close } = demoLms();
afterAll(close);

describe('demo LMS as Hawthorn, with the settings richie-dev renders', async () => {
  const lms = await startLms(await renderedEnv('hawthorn'));
  const fromCatalog = { origin: CATALOG, referer: `${CATALOG}/` };

  it('answers only to the hosts in ALLOWED_HOSTS (Django: 400 otherwise)', async () => {
    expect((await lms('/')).status).toBe(200);
    expect((await lms('/', { headers: { host: 'evil.example:8073' } })).status).toBe(400);
  });

  it('user API: 401 JSON without a session, the username with one, typed exactly application/json; no CSRF cookie from it', async () => {
    const anonymous = await lms('/api/user/v1/me', { headers: fromCatalog });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/json');
    expect(await anonymous.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
    const cookie = await logIn(lms);
    const me = await lms('/api/user/v1/me', { headers: { ...fromCatalog, cookie } });
    expect(me.status).toBe(200);
    expect(me.headers.get('content-type')).toBe('application/json');
    expect(await me.json()).toEqual({ username: 'student' });
    expect(cookieNamed(me, 'edx_csrf_token')).toBeUndefined();
  });

  it('"not enrolled" is an empty 200 with no Content-Type at all (DRF Response(None)), which openedx-hawthorn reads as null', async () => {
    const cookie = await logIn(lms);
    const res = await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers: { ...fromCatalog, cookie } });
    expect(res.status).toBe(200);
    expect(res.headers.has('content-type')).toBe(false);
    expect(await res.text()).toBe('');
    // Another user's enrollment: 404, empty, so usernames cannot be probed.
    const other = await lms(`/api/enrollment/v1/enrollment/someone,${COURSE}`, { headers: { ...fromCatalog, cookie } });
    expect(other.status).toBe(404);
    expect(other.headers.has('content-type')).toBe(false);
  });

  it('CORS (django-cors-headers 2.x): the catalog origin matched by host:port, with credentials; others get no CORS headers', async () => {
    const preflight = await lms('/api/enrollment/v1/enrollment', { method: 'OPTIONS', headers: { origin: CATALOG, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,x-csrftoken' } });
    expect(preflight.status).toBe(200);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(CATALOG);
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-csrftoken');
    const stranger = await lms('/api/user/v1/me', { headers: { origin: 'https://evil.local.dev:8070' } });
    expect(stranger.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('the cross-domain CSRF cookie comes only from the enrollment GETs, only for a secure request whose Referer is https and whitelisted', async () => {
    const cookie = await logIn(lms);
    const path = `/api/enrollment/v1/enrollment/student,${COURSE}`;
    const allowed = await lms(path, { headers: { ...fromCatalog, cookie } });
    const cross = cookieNamed(allowed, 'edx_csrf_token')!;
    expect(cross).toMatch(/^edx_csrf_token=\w+; Domain=\.local\.dev; Max-Age=\d+; Path=\/; Secure$/);
    // Django's own CSRF cookie, same token, host-only, Secure as CSRF_COOKIE_SECURE says.
    expect(value(cookieNamed(allowed, 'csrftoken'))).toBe(value(cross));
    expect(cookieNamed(allowed, 'csrftoken')).toContain('; Secure');
    for (const headers of <Record<string, string>[]>[
      { origin: CATALOG }, // no Referer
      { referer: 'http://richie.local.dev:8070/' }, // Referer not https
      { referer: 'https://elsewhere.local.dev:8070/' }, // not whitelisted
    ]) {
      const res = await lms(path, { headers: { ...headers, cookie } });
      expect(cookieNamed(res, 'edx_csrf_token'), JSON.stringify(headers)).toBeUndefined();
    }
    const plain = await lms(path, { headers: { ...fromCatalog, cookie, 'x-forwarded-proto': 'http' } });
    expect(cookieNamed(plain, 'edx_csrf_token')).toBeUndefined();
  });

  it('enrollment POST: checked by Referer, then by token; 200 JSON on success; 400 bodies carry message, not localizedMessage (enrollment/views.py)', async () => {
    const session = await logIn(lms);
    const get = await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers: { ...fromCatalog, cookie: session } });
    const token = value(cookieNamed(get, 'csrftoken'))!;
    const cookie = `${session}; csrftoken=${token}`;
    const post = (headers: Record<string, string>, body: object = { user: 'student', course_details: { course_id: COURSE } }) =>
      lms('/api/enrollment/v1/enrollment', { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
    const cases: [Record<string, string>, string][] = [
      [{ cookie, 'x-csrftoken': token, origin: CATALOG }, 'CSRF Failed: Referer checking failed - no Referer.'],
      [{ cookie, 'x-csrftoken': token, referer: 'https://elsewhere.local.dev:8070/' }, 'CSRF Failed: Referer checking failed - https://elsewhere.local.dev:8070/ does not match any trusted origins.'],
      [{ cookie: session, 'x-csrftoken': token, ...fromCatalog }, 'CSRF Failed: CSRF cookie not set.'],
      [{ cookie, 'x-csrftoken': 'wrong', ...fromCatalog }, 'CSRF Failed: CSRF token missing or incorrect.'],
    ];
    for (const [headers, detail] of cases) {
      const res = await post(headers);
      expect(res.status, detail).toBe(403);
      expect(res.headers.get('content-type')).toBe('application/json');
      expect(await res.json()).toEqual({ detail });
    }
    expect((await post({ ...fromCatalog, 'x-csrftoken': token })).status).toBe(401); // no session at all
    const bad = await post({ cookie, 'x-csrftoken': token, ...fromCatalog }, { user: 'student', course_details: { course_id: 'not a course key' } });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/json');
    // CourseKey.from_string raises InvalidKeyError (views.py): message only; localizedMessage came
    // from an FCCN customisation (richie 7f456e64a), not stock OpenEdX.
    expect(await bad.json()).toEqual({ message: "No course 'not a course key' found for enrollment" });
    const ok = await post({ cookie, 'x-csrftoken': token, ...fromCatalog });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/json');
    expect(await ok.json()).toMatchObject({ user: 'student', is_active: true, course_details: { course_id: COURSE } });
    const after = await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers: { ...fromCatalog, cookie } });
    expect(after.headers.get('content-type')).toBe('application/json');
    expect(await after.json()).toMatchObject({ is_active: true, mode: 'audit' });
  });

  it('/register creates an account, logs it in and follows next back to the catalog', async () => {
    const form = await lms('/register?next=richie/en/courses/demo/');
    expect(form.status).toBe(200);
    const res = await lms('/register', { method: 'POST', body: 'username=newcomer&password=pw&next=richie/en/courses/demo/', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('https://edx.local.dev:8073/richie/en/courses/demo/');
    const me = await lms('/api/user/v1/me', { headers: { cookie: `edx_session=${value(cookieNamed(res, 'edx_session'))}` } });
    expect(await me.json()).toEqual({ username: 'newcomer' });
  });
});

describe("each release's whitelist rule: the other release's form breaks the demo as it breaks OpenEdX", () => {
  const corsAndCookie = async (lms: Lms) => {
    const cookie = await logIn(lms);
    const res = await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers: { origin: CATALOG, referer: `${CATALOG}/`, cookie } });
    return { cors: res.headers.get('access-control-allow-origin'), csrfCookie: cookieNamed(res, 'edx_csrf_token') !== undefined };
  };

  it('Hawthorn and Ironwood need hostname and host:port; origins with a scheme match nothing', async () => {
    for (const release of ['hawthorn', 'ironwood']) {
      const env = await renderedEnv(release);
      expect(JSON.parse(env.CORS_ORIGIN_WHITELIST!)).toEqual(['richie.local.dev', 'richie.local.dev:8070']);
      expect(await corsAndCookie(await startLms(env))).toEqual({ cors: CATALOG, csrfCookie: true });
      const laterForm = await startLms({ ...env, CORS_ORIGIN_WHITELIST: JSON.stringify([CATALOG]) });
      expect(await corsAndCookie(laterForm)).toEqual({ cors: null, csrfCookie: false });
    }
  });

  it('Dogwood to Ironwood apply two rules to one list: the Referer\'s hostname (no port) for the CSRF cookie and unsafe requests, the Origin\'s host:port for CORS headers', async () => {
    // What the catalog page's cross-domain calls get: CORS headers and the CSRF cookie on the
    // enrollment GET, and whether the enrollment POST passes edx's Referer check.
    const rules = async (lms: Lms) => {
      const { cors, csrfCookie } = await corsAndCookie(lms);
      const session = await logIn(lms);
      const get = await lms(`/api/enrollment/v1/enrollment/student,${COURSE}`, { headers: { origin: CATALOG, referer: `${CATALOG}/`, cookie: session } });
      const token = value(cookieNamed(get, 'csrftoken'))!;
      const post = await lms('/api/enrollment/v1/enrollment', {
        method: 'POST',
        body: JSON.stringify({ user: 'student', course_details: { course_id: COURSE } }),
        headers: { 'content-type': 'application/json', origin: CATALOG, referer: `${CATALOG}/`, cookie: `${session}; csrftoken=${token}`, 'x-csrftoken': token },
      });
      const refused = post.status === 403 ? ((await post.json()) as { detail: string }).detail : undefined;
      return { cors, csrfCookie, post: refused ?? post.status, postCors: post.headers.get('access-control-allow-origin') };
    };
    for (const release of ['dogwood', 'eucalyptus', 'hawthorn', 'ironwood']) {
      const env = await renderedEnv(release);
      // The hostname alone (edx-platform cors_csrf/helpers.py looks up urlparse(referer).hostname):
      // cookie granted and the POST passes the Referer check, but django-cors-headers 2.x finds no
      // "richie.local.dev:8070" netloc, so no CORS headers and the browser reads nothing.
      const hostname = await startLms({ ...env, CORS_ORIGIN_WHITELIST: JSON.stringify(['richie.local.dev']) });
      expect(await rules(hostname), release).toEqual({ cors: null, csrfCookie: true, post: 200, postCors: null });
      // host:port alone: CORS headers, but no hostname match, so no cookie and the POST is refused.
      const netloc = await startLms({ ...env, CORS_ORIGIN_WHITELIST: JSON.stringify(['richie.local.dev:8070']) });
      expect(await rules(netloc), release).toEqual({ cors: CATALOG, csrfCookie: false, post: `CSRF Failed: Referer checking failed - ${CATALOG}/ does not match any trusted origins.`, postCors: CATALOG });
    }
  });

  it('Dogwood to Ironwood: the CSRF cookie rule wants an https Referer, whatever its hostname matches', async () => {
    const lms = await startLms({ ...(await renderedEnv('hawthorn')), CORS_ORIGIN_WHITELIST: JSON.stringify(['richie.local.dev']) });
    const cookie = await logIn(lms);
    const path = `/api/enrollment/v1/enrollment/student,${COURSE}`;
    const https = await lms(path, { headers: { referer: `${CATALOG}/`, cookie } });
    expect(cookieNamed(https, 'edx_csrf_token')).toBeDefined();
    const http = await lms(path, { headers: { referer: 'http://richie.local.dev:8070/', cookie } });
    expect(cookieNamed(http, 'edx_csrf_token')).toBeUndefined();
  });

  it('Maple and later need origins with a scheme, and refuse to start on a scheme-less entry (corsheaders.E013)', async () => {
    const env = await renderedEnv('maple');
    expect(JSON.parse(env.CORS_ORIGIN_WHITELIST!)).toEqual([CATALOG]);
    expect(await corsAndCookie(await startLms(env))).toEqual({ cors: CATALOG, csrfCookie: true });
    const started = spawnSync(process.execPath, [SERVER], { env: { PATH: process.env.PATH, ...env, CORS_ORIGIN_WHITELIST: '["richie.local.dev","richie.local.dev:8070"]', PORT: '0', RICHIE_DEV_DATA_DIR: join(root, 'e013') }, encoding: 'utf8', timeout: 10_000 });
    expect(started.status).toBe(1);
    expect(started.stderr).toContain("(corsheaders.E013) Origin 'richie.local.dev' in CORS_ORIGIN_WHITELIST is missing scheme or netloc");
  });
});

describe("openedx-docker's bool formatter: only an empty value is False", () => {
  it('SESSION_COOKIE_SECURE="false" still marks the session cookie Secure; "" does not', async () => {
    const env = await renderedEnv('hawthorn');
    for (const [setting, secure] of [['false', true], ['', false]] as const) {
      const lms = await startLms({ ...env, SESSION_COOKIE_SECURE: setting });
      const res = await lms('/login', { method: 'POST', body: 'username=student&password=student', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(cookieNamed(res, 'edx_session')!.includes('Secure'), setting).toBe(secure);
    }
  });
});

describe("each flavour's user API, as Richie's front-end modules call it", () => {
  it("Dogwood and Eucalyptus: /api/mobile/v0.5/my_user_info redirects to the user's resource (openedx-dogwood); no /api/user/v1/me", async () => {
    for (const release of ['dogwood', 'eucalyptus']) {
      const lms = await startLms(await renderedEnv(release));
      const cookie = await logIn(lms);
      expect((await lms('/api/user/v1/me', { headers: { cookie } })).status).toBe(404);
      expect((await lms('/api/mobile/v0.5/my_user_info')).status).toBe(401);
      const info = await lms('/api/mobile/v0.5/my_user_info', { headers: { cookie, origin: CATALOG } });
      expect(info.status).toBe(302);
      expect(info.headers.get('access-control-allow-origin')).toBe(CATALOG); // the redirect itself passes CORS
      const user = await lms(new URL(info.headers.get('location')!).pathname, { headers: { cookie } });
      expect(user.headers.get('content-type')).toBe('application/json');
      expect(await user.json()).toMatchObject({ username: 'student' });
    }
  });

  it('Fonzie: absent without Fonzie (test/demo/fonzie.test.ts has it)', async () => {
    const plain = await startLms(await renderedEnv('hawthorn'));
    expect((await plain('/api/v1.0/user/me', { headers: { cookie: await logIn(plain) } })).status).toBe(404);
  });
});
