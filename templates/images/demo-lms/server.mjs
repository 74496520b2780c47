// The demo LMS: the slice of OpenEdX's API that Richie's front end uses, configured by the
// LMS env file richie-dev renders (a wrong setting breaks it the way it would break OpenEdX).
// Standard library only. Also: `node server.mjs publish '<json>'` pushes a course run to the
// catalog through COURSE_HOOKS, signed, verifying the catalog's certificate.
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

const env = process.env;
const json = (name, fallback) => (env[name] ? JSON.parse(env[name]) : fallback);
const FEATURES = json('FEATURES', {});
const WHITELIST = json('CORS_ORIGIN_WHITELIST', []);
const TRUSTED = json('CSRF_TRUSTED_ORIGINS', WHITELIST);
const HOOKS = json('COURSE_HOOKS', []);
const CSRF_COOKIE = env.CROSS_DOMAIN_CSRF_COOKIE_NAME || 'edx_csrf_token';
const CSRF_DOMAIN = env.CROSS_DOMAIN_CSRF_COOKIE_DOMAIN || '';
const SESSION_COOKIE = env.SESSION_COOKIE_NAME || 'sessionid';
const SECURE_COOKIES = env.SESSION_COOKIE_SECURE === 'true';
const ROOT = env.LMS_ROOT_URL || 'http://localhost:8073';
const DATA = env.RICHIE_DEV_DATA_DIR || '/data';
const USERS = { student: 'student', ...json('RICHIE_DEV_LMS_USERS', {}) };

const sessions = new Map(); // sid -> { username, csrf }
const enrollmentsFile = `${DATA}/enrollments.json`;
mkdirSync(DATA, { recursive: true });
const load = () => {
  try {
    return JSON.parse(readFileSync(enrollmentsFile, 'utf8'));
  } catch {
    return [];
  }
};
const save = (list) => {
  writeFileSync(`${enrollmentsFile}.tmp`, JSON.stringify(list, null, 2));
  renameSync(`${enrollmentsFile}.tmp`, enrollmentsFile);
};

const cookies = (req) => Object.fromEntries((req.headers.cookie || '').split(/;\s*/).filter(Boolean).map((c) => [c.slice(0, c.indexOf('=')), decodeURIComponent(c.slice(c.indexOf('=') + 1))]));
const isSecure = (req) => req.headers['x-forwarded-proto'] === 'https';
const originOf = (req) => req.headers.origin || (req.headers.referer ? new URL(req.headers.referer).origin : undefined);

function session(req) {
  const sid = cookies(req)[SESSION_COOKIE];
  return sid ? sessions.get(sid) : undefined;
}

function send(res, status, body, type = 'application/json') {
  res.statusCode = status;
  if (body === undefined) return res.end();
  res.setHeader('content-type', type);
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** django-cors-headers: CORS headers only for a whitelisted origin, with credentials if allowed. */
function cors(req, res) {
  const origin = req.headers.origin;
  if (!FEATURES.ENABLE_CORS_HEADERS || !origin || !WHITELIST.includes(origin)) return false;
  res.setHeader('access-control-allow-origin', origin);
  if (env.CORS_ALLOW_CREDENTIALS === 'true') res.setHeader('access-control-allow-credentials', 'true');
  res.setHeader('vary', 'Origin');
  return true;
}

/** OpenEdX's cross-domain CSRF cookie: only on secure requests from a whitelisted origin. */
function crossDomainCsrf(req, res, user) {
  const origin = originOf(req);
  if (!FEATURES.ENABLE_CROSS_DOMAIN_CSRF_COOKIE || !isSecure(req) || !origin || !WHITELIST.includes(origin) || !CSRF_DOMAIN) return;
  res.appendHeader('set-cookie', `${CSRF_COOKIE}=${user.csrf}; Domain=${CSRF_DOMAIN}; Path=/; Secure; SameSite=None`);
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

async function handle(req, res) {
  const url = new URL(req.url, ROOT);
  const path = url.pathname;
  if (path === '/health') return send(res, 200, 'ok', 'text/plain');
  const corsOk = cors(req, res);
  if (req.method === 'OPTIONS') {
    if (corsOk) {
      res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-csrftoken');
      res.setHeader('access-control-max-age', '600');
    }
    return send(res, 200);
  }
  const user = session(req);

  if (path === '/login' && req.method === 'GET') {
    const next = url.searchParams.get('next') || '';
    return send(
      res,
      200,
      page('Log in to the demo LMS', `<form method="post" action="/login"><input type="hidden" name="next" value="${escape(next)}"><label>Username <input name="username" id="username"></label> <label>Password <input name="password" id="password" type="password"></label> <button type="submit" id="login-submit">Log in</button></form><p>Demo account: student / student</p>`),
      'text/html; charset=utf-8',
    );
  }
  if (path === '/login' && req.method === 'POST') {
    const form = new URLSearchParams(await readBody(req));
    const username = form.get('username');
    if (!username || USERS[username] !== form.get('password')) return send(res, 401, page('Wrong username or password', '<a href="/login">Try again</a>'), 'text/html');
    const sid = randomBytes(16).toString('hex');
    sessions.set(sid, { username, csrf: randomBytes(16).toString('hex') });
    res.setHeader('set-cookie', `${SESSION_COOKIE}=${sid}; Path=/; HttpOnly; ${SECURE_COOKIES ? 'Secure; SameSite=None' : 'SameSite=Lax'}`);
    // Richie sends next=richie/<path>: relative to /login, that is /richie/<path>, which nginx sends back to the catalog.
    res.setHeader('location', new URL(form.get('next') || '/', `${ROOT}/login`).href);
    return send(res, 302);
  }
  if (path === '/logout') {
    const sid = cookies(req)[SESSION_COOKIE];
    if (sid) sessions.delete(sid);
    res.setHeader('set-cookie', `${SESSION_COOKIE}=; Path=/; Max-Age=0`);
    res.setHeader('location', url.searchParams.get('next') || env.RICHIE_DEV_CATALOG_URL || '/');
    return send(res, 302);
  }
  if (path === '/api/user/v1/me') {
    if (!user) return send(res, 401, { detail: 'Authentication credentials were not provided.' });
    crossDomainCsrf(req, res, user);
    return send(res, 200, { username: user.username });
  }
  const one = /^\/api\/enrollment\/v1\/enrollment\/([^,/]+),(.+)$/.exec(path);
  if (one && req.method === 'GET') {
    if (!user) return send(res, 401, { detail: 'Authentication credentials were not provided.' });
    const [, username, courseId] = one.map(decodeURIComponent);
    if (username !== user.username) return send(res, 403, { detail: 'You do not have permission.' });
    crossDomainCsrf(req, res, user);
    const found = load().find((e) => e.user === username && e.course_details.course_id === courseId && e.is_active);
    return found ? send(res, 200, found) : send(res, 200, '', 'application/json');
  }
  if (path === '/api/enrollment/v1/enrollment' && req.method === 'POST') {
    if (!user) return send(res, 401, { detail: 'Authentication credentials were not provided.' });
    const origin = originOf(req);
    if (origin && origin !== ROOT && !TRUSTED.includes(origin)) return send(res, 403, { detail: `CSRF Failed: Origin ${origin} is not trusted.` });
    if (!req.headers['x-csrftoken'] || req.headers['x-csrftoken'] !== user.csrf) return send(res, 403, { detail: 'CSRF Failed: CSRF token missing or incorrect.' });
    let body;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      return send(res, 400, { detail: 'Invalid JSON.' });
    }
    const courseId = body?.course_details?.course_id;
    if (!courseId || (body.user && body.user !== user.username)) return send(res, 400, { detail: 'user and course_details.course_id are required.' });
    const list = load();
    let enrollment = list.find((e) => e.user === user.username && e.course_details.course_id === courseId);
    if (!enrollment) list.push((enrollment = { user: user.username, course_details: { course_id: courseId }, is_active: true, mode: 'audit', created: new Date().toISOString() }));
    enrollment.is_active = true;
    save(list);
    return send(res, 200, enrollment);
  }
  if (path === '/api/enrollment/v1/enrollments' && req.method === 'GET') return send(res, 200, load());
  if (path === '/api/admin/publish-course-run' && req.method === 'POST') return send(res, 200, await publish(JSON.parse(await readBody(req))));
  if (path === '/' || path.startsWith('/courses/')) {
    return send(res, 200, page('OpenEdX demo LMS', `<p>${user ? `Logged in as ${escape(user.username)} — <a href="/logout">log out</a>` : '<a href="/login">Log in</a>'}</p><p>Path: ${escape(path)}</p>`), 'text/html; charset=utf-8');
  }
  return send(res, 404, { detail: 'Not found.' });
}

/** OpenEdX's course hooks: POST the run to each hook URL, signed with its secret. */
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
      send(res, 500, { detail: 'Server error.' });
    }),
  ).listen(Number(env.PORT || 8000), () => console.log(`demo LMS on ${ROOT}`));
}
