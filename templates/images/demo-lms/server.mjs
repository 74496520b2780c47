// The demo LMS: the slice of OpenEdX that Richie's front end (richie-education's
// openedx-hawthorn module) talks to, configured by the env file richie-dev renders for
// openedx-docker's settings and answering as OpenEdX does wherever that client can tell:
// status codes, Content-Type, cookies, CORS and CSRF rules of the configured release.
// A wrong setting breaks it the way it would break OpenEdX. Standard library only.
// Also: `node server.mjs publish '<json>'` pushes a course run to the catalog through the
// course hooks, signed, verifying the catalog's certificate.
//
// Sources (edx-platform unless said): openedx/core/djangoapps/cors_csrf/{helpers,middleware,
// decorators,authentication}.py, common/djangoapps/enrollment/views.py, DRF's
// rest_framework/response.py, django-cors-headers' middleware, openedx-docker's
// releases/<release>/.../config/lms/docker_run_production.py.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

const env = process.env;

// ---- Settings, parsed as openedx-docker's Configuration does ------------------------------
const json = (name, fallback) => (env[name] !== undefined ? JSON.parse(env[name]) : fallback);
// formatter=bool: Python's bool() of the string, so any non-empty value is True.
const bool = (name, fallback) => (env[name] !== undefined ? env[name] !== '' : fallback);
const FEATURES = json('FEATURES', {});
const LMS_BASE = env.LMS_BASE || 'localhost:8072';
const ROOT = env.LMS_ROOT_URL || `http://${LMS_BASE}`;
const ALLOWED_HOSTS = json('ALLOWED_HOSTS', [LMS_BASE.split(':')[0]]);
const SESSION_COOKIE = env.SESSION_COOKIE_NAME || 'sessionid';
const SESSION_COOKIE_SECURE = bool('SESSION_COOKIE_SECURE', true);
const CSRF_COOKIE_SECURE = bool('CSRF_COOKIE_SECURE', false);
const CORS_ON = Boolean(FEATURES.ENABLE_CORS_HEADERS || FEATURES.ENABLE_CROSS_DOMAIN_CSRF_COOKIE);
const WHITELIST = CORS_ON ? json('CORS_ORIGIN_WHITELIST', []) : [];
const ALLOW_ALL = CORS_ON && bool('CORS_ORIGIN_ALLOW_ALL', false);
const ALLOW_INSECURE = CORS_ON && bool('CORS_ALLOW_INSECURE', false);
const HOOKS = json('COURSE_HOOKS', json('RICHIE_DEV_COURSE_HOOKS', []));
const DATA = env.RICHIE_DEV_DATA_DIR || '/data';
const USERS_SEED = { student: 'student', ...json('RICHIE_DEV_LMS_USERS', {}) };

// Which OpenEdX this imitates: the one rule that differs for Richie (src/lms/releases.ts).
const NETLOC_RELEASES = ['dogwood', 'eucalyptus', 'hawthorn', 'ironwood'];
const RELEASE = env.RICHIE_DEV_OPENEDX_RELEASE || 'hawthorn';
const NETLOC = NETLOC_RELEASES.includes(RELEASE);
// Dogwood and Eucalyptus have the mobile API's user info instead of /api/user/v1/me.
const MOBILE_USER_API = ['dogwood', 'eucalyptus'].includes(RELEASE);
// Fonzie (openfun/fonzie): its /api/v1.0/user/me adds a JWT for Richie's other services.
const FONZIE = bool('RICHIE_DEV_FONZIE', false);
const JWT_KEY = randomBytes(32);

function refuseToStart(message) {
  console.error(message);
  process.exit(1);
}
let CSRF_COOKIE;
let CSRF_DOMAIN;
if (CORS_ON && process.argv[2] !== 'publish') {
  // config("CROSS_DOMAIN_CSRF_COOKIE_NAME") has no default: ImproperlyConfigured when unset.
  if (env.CROSS_DOMAIN_CSRF_COOKIE_NAME === undefined) refuseToStart('ImproperlyConfigured: Please set the "CROSS_DOMAIN_CSRF_COOKIE_NAME" variable in a settings.yml file, a secrets.yml file or an environment variable.');
  if (env.CROSS_DOMAIN_CSRF_COOKIE_DOMAIN === undefined) refuseToStart('ImproperlyConfigured: Please set the "CROSS_DOMAIN_CSRF_COOKIE_DOMAIN" variable in a settings.yml file, a secrets.yml file or an environment variable.');
  CSRF_COOKIE = env.CROSS_DOMAIN_CSRF_COOKIE_NAME;
  CSRF_DOMAIN = env.CROSS_DOMAIN_CSRF_COOKIE_DOMAIN;
  // django-cors-headers 3+ system check: every entry needs a scheme and a host.
  if (!NETLOC) {
    for (const entry of WHITELIST) {
      let ok = false;
      try {
        const url = new URL(entry);
        ok = Boolean(url.protocol && url.host) && entry === url.origin;
      } catch {}
      if (!ok) refuseToStart(`SystemCheckError: (corsheaders.E013) Origin '${entry}' in CORS_ORIGIN_WHITELIST is missing scheme or netloc`);
    }
  }
}

// ---- State -----------------------------------------------------------------------------------
mkdirSync(DATA, { recursive: true });
const readJson = (file, fallback) => {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return fallback;
  }
};
const writeJson = (file, value) => {
  writeFileSync(`${file}.tmp`, JSON.stringify(value, null, 2));
  renameSync(`${file}.tmp`, file);
};
const enrollmentsFile = `${DATA}/enrollments.json`;
const usersFile = `${DATA}/users.json`;
const users = () => ({ ...USERS_SEED, ...readJson(usersFile, {}) });
const sessions = new Map(); // session id -> username

// ---- HTTP helpers ----------------------------------------------------------------------------
const cookies = (req) =>
  Object.fromEntries(
    (req.headers.cookie || '')
      .split(/;\s*/)
      .filter(Boolean)
      .map((c) => [c.slice(0, c.indexOf('=')), decodeURIComponent(c.slice(c.indexOf('=') + 1))]),
  );
// SECURE_PROXY_SSL_HEADER: nginx in front says whether the browser came over TLS.
const isSecure = (req) => req.headers['x-forwarded-proto'] === 'https';

/** DRF: JSON bodies are typed exactly application/json; Response(None) has no body and no Content-Type. */
function api(res, status, data) {
  res.statusCode = status;
  if (data === undefined) return res.end();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(data));
}
function html(res, status, body) {
  res.statusCode = status;
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end(body);
}
function redirect(res, location) {
  res.statusCode = 302;
  res.setHeader('location', location);
  res.setHeader('content-type', 'text/html; charset=utf-8');
  res.end();
}
function readBody(req) {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
const page = (title, body) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title></head><body><h1>${title}</h1>${body}</body></html>`;
const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Django's ALLOWED_HOSTS: the Host header's name (no port) exactly, ".domain" for subdomains, or "*". */
function hostAllowed(req) {
  const host = (req.headers.host || '').replace(/:\d+$/, '').toLowerCase();
  return ALLOWED_HOSTS.some((entry) => entry === '*' || entry === host || (entry.startsWith('.') && (host.endsWith(entry) || host === entry.slice(1))));
}

// ---- CORS (django-cors-headers) ----------------------------------------------------------------
/** 2.x (up to Ironwood) matches the Origin's netloc (host:port); 3+ its origin, scheme included. */
function originAllowed(origin) {
  if (ALLOW_ALL) return true;
  let url;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return WHITELIST.includes(NETLOC ? url.host : url.origin);
}
function cors(req, res) {
  const origin = req.headers.origin;
  if (!CORS_ON || !origin || !originAllowed(origin)) return;
  res.setHeader('access-control-allow-origin', origin);
  // openedx-docker's settings force CORS_ALLOW_CREDENTIALS = True whenever CORS is on.
  res.setHeader('access-control-allow-credentials', 'true');
  if (!NETLOC) res.setHeader('vary', 'Origin');
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
    res.setHeader('access-control-allow-headers', 'accept, accept-encoding, authorization, content-type, dnt, origin, user-agent, x-csrftoken, x-requested-with');
    res.setHeader('access-control-allow-methods', 'DELETE, GET, OPTIONS, PATCH, POST, PUT');
    res.setHeader('access-control-max-age', '86400');
  }
}

// ---- Cross-domain CSRF (edx-platform cors_csrf) -----------------------------------------------
/**
 * is_cross_domain_request_allowed: a secure request whose Referer is https (unless
 * CORS_ALLOW_INSECURE) and whitelisted — by hostname up to Ironwood, by origin later.
 */
function crossDomainAllowed(req) {
  const referer = req.headers.referer;
  if (!referer) return false;
  let url;
  try {
    url = new URL(referer);
  } catch {
    return false;
  }
  if (!ALLOW_INSECURE && (!isSecure(req) || url.protocol !== 'https:')) return false;
  if (ALLOW_ALL) return true;
  return WHITELIST.includes(NETLOC ? url.hostname : url.origin);
}

/** Django's CSRF secret for this browser: the csrftoken cookie it has, else a new one. */
function csrfToken(req) {
  const current = cookies(req).csrftoken;
  return current && /^[A-Za-z0-9]{32,64}$/.test(current) ? current : randomBytes(16).toString('hex');
}

/**
 * ensure_csrf_cookie_cross_domain (the enrollment API's GET views): Django's own csrftoken
 * cookie, plus the cross-domain copy on the shared parent, Secure, when the request is allowed.
 * Django 1.11 (up to Ironwood) sets no SameSite; later releases mark the cross-domain cookie
 * SameSite=None.
 */
function ensureCsrfCookies(req, res) {
  const token = csrfToken(req);
  const yearish = 'Max-Age=31449600';
  res.appendHeader('set-cookie', `csrftoken=${token}; ${yearish}; Path=/${CSRF_COOKIE_SECURE ? '; Secure' : ''}${NETLOC ? '' : '; SameSite=Lax'}`);
  if (FEATURES.ENABLE_CROSS_DOMAIN_CSRF_COOKIE && CSRF_COOKIE && crossDomainAllowed(req)) {
    res.appendHeader('set-cookie', `${CSRF_COOKIE}=${token}; Domain=${CSRF_DOMAIN}; ${yearish}; Path=/; Secure${NETLOC ? '' : '; SameSite=None'}`);
  }
}

/**
 * SessionAuthentication's enforce_csrf with edx's cross-domain twist: an unsafe request passes
 * the HTTPS Referer check when it is an allowed cross-domain request, else the Referer must be
 * this very host; then the X-CSRFToken header must equal the csrftoken cookie.
 */
function csrfFailure(req) {
  if (isSecure(req) && !crossDomainAllowed(req)) {
    const referer = req.headers.referer;
    if (!referer) return 'CSRF Failed: Referer checking failed - no Referer.';
    let same = false;
    try {
      same = new URL(referer).host === req.headers.host && new URL(referer).protocol === 'https:';
    } catch {}
    if (!same) return `CSRF Failed: Referer checking failed - ${referer} does not match any trusted origins.`;
  }
  const cookie = cookies(req).csrftoken;
  if (!cookie) return 'CSRF Failed: CSRF cookie not set.';
  if (req.headers['x-csrftoken'] !== cookie) return 'CSRF Failed: CSRF token missing or incorrect.';
  return undefined;
}

// ---- Sessions --------------------------------------------------------------------------------
const currentUser = (req) => {
  const sid = cookies(req)[SESSION_COOKIE];
  return sid ? sessions.get(sid) : undefined;
};
function startSession(res, username) {
  const sid = randomBytes(16).toString('hex');
  sessions.set(sid, username);
  // Django 1.11 sets no SameSite on the session cookie; Django 2.1+ defaults to Lax.
  res.appendHeader('set-cookie', `${SESSION_COOKIE}=${sid}; HttpOnly; Path=/${SESSION_COOKIE_SECURE ? '; Secure' : ''}${NETLOC ? '' : '; SameSite=Lax'}`);
}
/** After login OpenEdX follows `next`: Richie sends next=richie/<path>, relative to /login, so /richie/<path>, which nginx sends back to the catalog. */
const nextUrl = (next) => new URL(next || '/', `${ROOT}/login`).href;

// ---- Enrollment API (common/djangoapps/enrollment) --------------------------------------------
const COURSE_KEY = /^(course-v1:[^+/\s]+\+[^+/\s]+\+[^+/\s]+|[^/\s]+\/[^/\s]+\/[^/\s]+)$/;
const enrollments = () => readJson(enrollmentsFile, []);
function enrollmentData(e) {
  return {
    created: e.created,
    mode: e.mode,
    is_active: e.is_active,
    course_details: { course_id: e.course_id, course_name: `Course ${e.course_id}`, enrollment_start: null, enrollment_end: null, course_start: null, course_end: null, invite_only: false, course_modes: [{ slug: 'audit', name: 'Audit', min_price: 0, suggested_prices: '', currency: 'usd', expiration_datetime: null, description: null, sku: null, bulk_sku: null }] },
    user: e.user,
  };
}

async function handle(req, res) {
  const url = new URL(req.url, ROOT);
  const path = url.pathname;
  // richie-dev's own probe, not OpenEdX's: answered before the host check (Docker calls it by 127.0.0.1).
  if (path === '/health') return html(res, 200, 'ok');
  if (!hostAllowed(req)) return html(res, 400, '<h1>Bad Request (400)</h1>');
  cors(req, res);
  // django-cors-headers answers a preflight itself, with an empty Django HttpResponse.
  if (req.method === 'OPTIONS' && CORS_ON && req.headers['access-control-request-method']) return html(res, 200, '');
  const user = currentUser(req);

  if (path === '/login' || path === '/register') {
    const registering = path === '/register';
    if (req.method === 'GET') {
      const next = url.searchParams.get('next') || '';
      const title = registering ? 'Create an account on the demo LMS' : 'Log in to the demo LMS';
      return html(res, 200, page(title, `<form method="post" action="${path}"><input type="hidden" name="next" value="${escape(next)}"><label>Username <input name="username" id="username"></label> <label>Password <input name="password" id="password" type="password"></label> <button type="submit" id="login-submit">${registering ? 'Create account' : 'Log in'}</button></form>${registering ? '' : '<p>Demo account: student / student</p>'}`));
    }
    if (req.method === 'POST') {
      const form = new URLSearchParams(await readBody(req));
      const username = form.get('username') || '';
      const password = form.get('password') || '';
      const known = users();
      if (registering) {
        if (!/^[\w.@+-]{2,30}$/.test(username) || !password || known[username]) return html(res, 400, page('Cannot create that account', `<a href="/register">Try again</a>`));
        writeJson(usersFile, { ...readJson(usersFile, {}), [username]: password });
      } else if (known[username] !== password) {
        return html(res, 400, page('Wrong username or password', '<a href="/login">Try again</a>'));
      }
      startSession(res, username);
      return redirect(res, nextUrl(form.get('next')));
    }
  }
  if (path === '/logout') {
    const sid = cookies(req)[SESSION_COOKIE];
    if (sid) sessions.delete(sid);
    res.appendHeader('set-cookie', `${SESSION_COOKIE}=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/`);
    return redirect(res, url.searchParams.get('next') || '/');
  }
  if (path === '/api/user/v1/me' && req.method === 'GET' && !MOBILE_USER_API) {
    if (!user) return api(res, 401, { detail: 'Authentication credentials were not provided.' });
    return api(res, 200, { username: user });
  }
  // Dogwood's mobile API: my_user_info redirects to the user's own resource.
  if (path === '/api/mobile/v0.5/my_user_info' && req.method === 'GET' && MOBILE_USER_API) {
    if (!user) return api(res, 401, { detail: 'Authentication credentials were not provided.' });
    res.statusCode = 302;
    res.setHeader('location', `${ROOT}/api/mobile/v0.5/users/${user}`);
    return res.end();
  }
  const mobileUser = /^\/api\/mobile\/v0\.5\/users\/([^/]+)$/.exec(path);
  if (mobileUser && req.method === 'GET' && MOBILE_USER_API) {
    if (!user) return api(res, 401, { detail: 'Authentication credentials were not provided.' });
    if (decodeURIComponent(mobileUser[1]) !== user) return api(res, 403, { detail: 'You do not have permission to perform this action.' });
    return api(res, 200, { id: 1, username: user, email: `${user}@example.com`, name: user, course_enrollments: `${ROOT}/api/mobile/v0.5/users/${user}/course_enrollments/` });
  }
  if (path === '/api/v1.0/user/me' && req.method === 'GET' && FONZIE) {
    if (!user) return api(res, 401, { detail: 'Authentication credentials were not provided.' });
    return api(res, 200, { username: user, full_name: user, email: `${user}@example.com`, access_token: jwt(user) });
  }
  // GET enrollment/{username},{course_id} or enrollment/{course_id} (the requesting user).
  const one = /^\/api\/enrollment\/v1\/enrollment\/(.+)$/.exec(path);
  if (one && req.method === 'GET') {
    ensureCsrfCookies(req, res);
    if (!user) return api(res, 401, { detail: 'Authentication credentials were not provided.' });
    const target = decodeURIComponent(one[1]);
    const comma = target.indexOf(',');
    const [username, courseId] = comma > 0 && !target.startsWith('course-v1:') ? [target.slice(0, comma), target.slice(comma + 1)] : [user, target];
    // Another user's enrollment: 404, not 403, so usernames cannot be probed.
    if (username !== user) return api(res, 404);
    const found = enrollments().find((e) => e.user === username && e.course_id === courseId);
    return api(res, 200, found ? enrollmentData(found) : undefined);
  }
  if (path === '/api/enrollment/v1/enrollment' && req.method === 'POST') {
    if (!user) return api(res, 401, { detail: 'Authentication credentials were not provided.' });
    const failure = csrfFailure(req);
    if (failure) return api(res, 403, { detail: failure });
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return api(res, 400, { detail: 'JSON parse error' });
    }
    const courseId = body?.course_details?.course_id;
    const username = body?.user || user;
    if (username !== user) return api(res, 404);
    if (!courseId || !COURSE_KEY.test(courseId)) {
      const message = `Course ID must be specified to create a new enrollment.`;
      return api(res, 400, { message: courseId ? `No course '${courseId}' found for enrollment` : message, localizedMessage: courseId ? `No course '${courseId}' found for enrollment` : message });
    }
    const list = enrollments();
    let enrollment = list.find((e) => e.user === user && e.course_id === courseId);
    if (!enrollment) list.push((enrollment = { user, course_id: courseId, mode: 'audit', is_active: true, created: new Date().toISOString() }));
    enrollment.is_active = body.is_active ?? true;
    writeJson(enrollmentsFile, list);
    return api(res, 200, enrollmentData(enrollment));
  }
  // richie-dev's own read-out for tests and doctor (not an OpenEdX URL).
  if (path === '/richie-dev/enrollments' && req.method === 'GET') return api(res, 200, enrollments().map(enrollmentData));
  if (path === '/richie-dev/publish-course-run' && req.method === 'POST') return api(res, 200, await publish(JSON.parse(await readBody(req))));
  if (path === '/' || path === '/dashboard' || path.startsWith('/courses/')) {
    return html(res, 200, page('OpenEdX demo LMS', `<p>${user ? `Logged in as ${escape(user)} — <a href="/logout">log out</a>` : '<a href="/login">Log in</a>'}</p><p>Path: ${escape(path)}</p>`));
  }
  return html(res, 404, page('Page not found', ''));
}

/** An HS256 JWT for the user, as Fonzie issues for Richie's other services (a demo key). */
function jwt(username) {
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const unsigned = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ token_type: 'access', username, full_name: username, email: `${username}@example.com`, language: 'en-us', iat: now, exp: now + 300, jti: randomBytes(16).toString('hex') })}`;
  return `${unsigned}.${createHmac('sha256', JWT_KEY).update(unsigned).digest('base64url')}`;
}

/** The course hooks: POST the run to each hook URL, the exact JSON signed with its secret. */
export async function publish(run) {
  const body = JSON.stringify(run);
  const results = [];
  for (const hook of HOOKS) {
    const signature = createHmac('sha256', hook.secret).update(body).digest('hex');
    const target = new URL(hook.url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    results.push(
      await new Promise((resolve) => {
        const req = request(
          target,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `SIG-HMAC-SHA256 ${signature}` },
            // verify: true keeps certificate checks on; NODE_EXTRA_CA_CERTS makes our CA trusted.
            rejectUnauthorized: hook.verify !== false,
          },
          (res) => {
            let text = '';
            res.on('data', (c) => (text += c));
            res.on('end', () => resolve({ url: hook.url, status: res.statusCode, body: text }));
          },
        );
        req.on('error', (error) => resolve({ url: hook.url, status: 0, error: error.code || error.message }));
        req.end(body);
      }),
    );
  }
  return { results };
}

if (process.argv[2] === 'publish') {
  console.log(JSON.stringify(await publish(JSON.parse(process.argv[3] || '{}'))));
} else {
  createServer((req, res) =>
    handle(req, res).catch((error) => {
      console.error(error);
      if (!res.headersSent) html(res, 500, '<h1>Server Error (500)</h1>');
    }),
  ).listen(Number(env.PORT || 8000), () => console.log(`demo LMS (${RELEASE}) on ${ROOT}`));
}
