// The demo Joanie: what Richie's front end (richie-education js/api/joanie.ts, js/api/lms/joanie.ts)
// calls on Joanie for free course runs, answered as Joanie answers (openfun/joanie
// src/backend/joanie/...), and Joanie's two calls out:
// - its course runs pushed to Richie's sync endpoint as COURSE_WEB_HOOKS (core/utils/webhooks.py
//   synchronize_course_runs, the body CourseRun.get_serialized in core/models/courses.py);
// - an enrollment set on the LMS server to server (lms_handler/backends/openedx.py
//   set_enrollment: X-Edx-Api-Key, mode "honor").
// Settings under Joanie's own names (joanie settings.py, env.d/development/common.dist), so the
// rendered env file is also the list of what a Joanie checkout needs.
//
// Where the demo stops short of Joanie: no products, orders, addresses or credit cards (the lists
// are empty, the product read is Joanie's 404), no admin; the webhook is sent
// once at start (Joanie sends it when a run is saved), retried while the catalog is not up yet.
//
// Standard library and jose (bundled into vendor/ by build/demo-apps.mjs).
import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { nowMs } from './clock.mjs';
import { demoRuns } from './demo-runs.mjs';
import { createRemoteJWKSet, jwtVerify } from './vendor/jose.mjs';

const env = process.env;
const json = (name, fallback) => (env[name] ? JSON.parse(env[name]) : fallback);

// SIMPLE_JWT (joanie settings.py): with HS256 (Fonzie's tokens), the key JWT_PRIVATE_SIGNING_KEY,
// the `username` claim and TOKEN_TYPE_CLAIM "token_type"; with RS256 (Keycloak's ID tokens, as
// Joanie's env.d/development/common.dist sets it), the realm's keys at KEYCLOAK_JWK_URL, its
// KEYCLOAK_ISSUER, KEYCLOAK_USERNAME_CLAIM and TYPE_CLAIM "typ". AUTH_TOKEN_CLASSES: simplejwt's
// AccessToken (type "access") and KeycloakAccessToken (type "ID", core/authentication.py).
const ALGORITHM = env.DJANGO_JWT_ALGORITHM || 'HS256';
const TYPE_CLAIM = env.DJANGO_JWT_TYPE_CLAIM || 'token_type';
const USER_ID_CLAIM = env.DJANGO_KEYCLOAK_USERNAME_CLAIM || 'username';
const ISSUER = env.DJANGO_KEYCLOAK_ISSUER || undefined;
const VERIFYING_KEY = ALGORITHM.startsWith('HS')
  ? new TextEncoder().encode(env.DJANGO_JWT_PRIVATE_SIGNING_KEY ?? '')
  : env.DJANGO_KEYCLOAK_JWK_URL
    ? createRemoteJWKSet(new URL(env.DJANGO_KEYCLOAK_JWK_URL))
    : undefined;
const TOKEN_TYPES = { AccessToken: 'access', KeycloakAccessToken: 'ID' };
const WEB_HOOKS = json('DJANGO_COURSE_WEB_HOOKS', []);
/** JOANIE_LMS_BACKENDS: [{BASE_URL, BACKEND, API_TOKEN, SELECTOR_REGEX, COURSE_REGEX}]. */
const LMS_BACKENDS = json('JOANIE_LMS_BACKENDS', []);
/** The site's domain (django.contrib.sites): course run URIs are https://<domain>/api/v1.0/course-runs/<id>/. */
const ORIGIN = env.RICHIE_DEV_JOANIE_ORIGIN || 'https://localhost:8071';
const SAMPLE_COURSE_ID = env.RICHIE_DEV_SAMPLE_COURSE_ID || 'course-v1:richie+demo+2026';
const DATA = env.RICHIE_DEV_DATA_DIR || '/data';

// ---------------------------------------------------------------------------------------------
// The demo course and its runs: the demo LMS's runs (templates/demo-shared/runs.mjs), each managed
// by Joanie under a stable id, its resource_link on the LMS (Joanie's CourseRun.resource_link).

/** split_course_key's course part: the code Joanie's course has, so Richie joins its runs to the demo course. */
const COURSE_CODE = (SAMPLE_COURSE_ID.startsWith('course-v1:') ? SAMPLE_COURSE_ID.slice(10).split('+') : SAMPLE_COURSE_ID.split('/'))[1] ?? 'demo';
const uuid = (seed) => {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
};
const COURSE = { code: COURSE_CODE, cover: null, id: uuid(`course:${COURSE_CODE}`), title: 'Demo course' };
const LMS_URL = LMS_BACKENDS[0]?.BASE_URL ?? 'https://edx.local.dev:8073';
// Joanie has no invite-only runs: the demo's invite-only run is left out.
const RUNS = demoRuns(SAMPLE_COURSE_ID)
  .filter((r) => !r.invite_only)
  .map((r) => ({
    id: uuid(`run:${r.course_id}`),
    course_id: r.course_id,
    title: r.run ?? 'demo',
    start: r.start,
    end: r.end,
    enrollment_start: r.enrollment_start,
    enrollment_end: r.enrollment_end,
    languages: ['en'],
    is_listed: r.catalog_visibility !== 'none',
    resource_link: `${LMS_URL}/courses/${r.course_id}/info`,
  }));

/** CourseRun.uri: where Richie's front end reads the run (and its resource_link on Richie). */
const runUri = (run) => `${ORIGIN}/api/v1.0/course-runs/${run.id}/`;

// ---------------------------------------------------------------------------------------------
// CourseState and CourseRun.compute_state (core/models/courses.py).

const [ONGOING_OPEN, FUTURE_OPEN, ARCHIVED_OPEN, FUTURE_NOT_YET_OPEN, FUTURE_CLOSED, ONGOING_CLOSED, ARCHIVED_CLOSED, TO_BE_SCHEDULED] = [0, 1, 2, 3, 4, 5, 6, 7];
const CALLS_TO_ACTION = ['enroll now', 'enroll now', 'study now', null, null, null, null, null];
const TEXTS = ['closing on', 'starting on', 'closing on', 'starting on', 'enrollment closed', 'on-going', 'archived', 'to be scheduled'];
const ms = (v) => (v ? Date.parse(v) : null);

export function computeState(run) {
  const state = (priority, datetime = null) => ({ priority, datetime, call_to_action: CALLS_TO_ACTION[priority], text: TEXTS[priority] });
  const [start, enrollmentStart] = [ms(run.start), ms(run.enrollment_start)];
  if (start === null || enrollmentStart === null) return state(TO_BE_SCHEDULED);
  const end = ms(run.end) ?? Infinity;
  const enrollmentEnd = ms(run.enrollment_end) ?? Infinity;
  // An enrollment that never ends: "forever open", no date (CourseState.__init__).
  const open = (priority) => (enrollmentEnd === Infinity ? { ...state(priority), text: 'forever open' } : state(priority, run.enrollment_end));
  const now = nowMs();
  if (start < now) {
    if (end > now) return enrollmentStart <= now && now < enrollmentEnd ? open(ONGOING_OPEN) : state(ONGOING_CLOSED);
    return enrollmentStart < now && now < enrollmentEnd ? open(ARCHIVED_OPEN) : state(ARCHIVED_CLOSED);
  }
  if (enrollmentStart > now) return state(FUTURE_NOT_YET_OPEN, run.start);
  if (enrollmentEnd > now) return state(FUTURE_OPEN, run.start);
  return state(FUTURE_CLOSED);
}

/** CourseRunSerializer (core/serializers/client.py), its course as CourseLightSerializer. */
const courseRunData = (run) => ({
  course: COURSE,
  end: run.end,
  enrollment_end: run.enrollment_end,
  enrollment_start: run.enrollment_start,
  id: run.id,
  languages: run.languages,
  resource_link: run.resource_link,
  start: run.start,
  title: run.title,
  state: computeState(run),
});

/** CourseRun.get_serialized for a free run with no product: what the web hooks send. */
export const serializedRun = (run) => ({
  catalog_visibility: run.is_listed ? 'course_and_search' : 'hidden',
  course: COURSE.code,
  end: run.end,
  enrollment_start: run.enrollment_start,
  enrollment_end: run.enrollment_end,
  offer: 'free',
  price: null,
  discounted_price: null,
  discount: null,
  certificate_offer: null,
  certificate_price: null,
  certificate_discounted_price: null,
  certificate_discount: null,
  languages: run.languages,
  resource_link: runUri(run),
  start: run.start,
});

// ---------------------------------------------------------------------------------------------
// Enrollments, kept in the data volume.

const STATE_FILE = `${DATA}/joanie.json`;
let enrollments = [];
try {
  enrollments = JSON.parse(readFileSync(STATE_FILE, 'utf8'));
} catch {
  // no state yet
}
function save() {
  mkdirSync(DATA, { recursive: true });
  writeFileSync(`${STATE_FILE}.tmp`, JSON.stringify(enrollments, null, 2));
  renameSync(`${STATE_FILE}.tmp`, STATE_FILE);
}

/** EnrollmentSerializer: no certificate, orders or offerings for a free run. */
const enrollmentData = (e) => ({
  certificate_id: null,
  course_run: courseRunData(RUNS.find((r) => r.id === e.course_run)),
  created_on: e.created_on,
  id: e.id,
  is_active: e.is_active,
  orders: [],
  offerings: [],
  state: e.state,
  was_created_by_order: e.was_created_by_order,
});

/**
 * Enrollment.set (core/models/courses.py) through OpenEdXLMSBackend.set_enrollment
 * (lms_handler/backends/openedx.py): the LMS whose SELECTOR_REGEX matches the run's
 * resource_link, the course id its COURSE_REGEX extracts, POST with X-Edx-Api-Key; "set" when
 * the LMS answers ok with the same is_active, else "failed" (no LMS: "failed" too).
 */
async function setOnLms(enrollment, username) {
  const run = RUNS.find((r) => r.id === enrollment.course_run);
  const lms = LMS_BACKENDS.find((l) => new RegExp(pythonRegex(l.SELECTOR_REGEX)).test(run.resource_link));
  if (!lms) return 'failed';
  const courseId = new RegExp(pythonRegex(lms.COURSE_REGEX)).exec(run.resource_link)?.groups?.course_id;
  try {
    const response = await fetch(`${lms.BASE_URL}/api/enrollment/v1/enrollment`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-edx-api-key': lms.API_TOKEN },
      body: JSON.stringify({ is_active: enrollment.is_active, mode: 'honor', user: username, course_details: { course_id: courseId } }),
      signal: AbortSignal.timeout(5000),
    });
    if (response.ok && (await response.json()).is_active === enrollment.is_active) return 'set';
    console.error(`LMS enrollment failed: ${response.status}`);
  } catch (error) {
    console.error(`LMS enrollment failed: ${error}`);
  }
  return 'failed';
}
/** re.match-style: anchored at the start, named groups in JavaScript's form. */
const pythonRegex = (source) => `^(?:${source.replace(/\(\?P</g, '(?<')})`;

// ---------------------------------------------------------------------------------------------
// HTTP: DRF's answers.

const send = (res, status, body, headers = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', vary: 'Accept, Authorization, origin', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

// CORS for the catalog's origin: Joanie's CORS_ALLOWED_ORIGINS and CORS_ALLOW_CREDENTIALS
// (settings.py), the rest django-cors-headers' defaults (corsheaders/defaults.py).
const CORS_ORIGINS = (env.DJANGO_CORS_ALLOWED_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const CORS_ALLOW_HEADERS = 'accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with';
const CORS_ALLOW_METHODS = 'DELETE, GET, OPTIONS, PATCH, POST, PUT';
const CORS_PREFLIGHT_MAX_AGE = '86400';
/** CorsMiddleware.add_response_headers: nothing for an origin not allowed; the lists on an OPTIONS. */
function cors(req, res) {
  const origin = req.headers.origin;
  if (!origin || !CORS_ORIGINS.includes(origin)) return;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('access-control-allow-credentials', 'true');
  if (req.method !== 'OPTIONS') return;
  res.setHeader('access-control-allow-headers', CORS_ALLOW_HEADERS);
  res.setHeader('access-control-allow-methods', CORS_ALLOW_METHODS);
  res.setHeader('access-control-max-age', CORS_PREFLIGHT_MAX_AGE);
}

/**
 * DelegatedJWTAuthentication (core/authentication.py over simplejwt's JWTAuthentication): no
 * Bearer header is anonymous; a bad token is 401 token_not_valid (simplejwt's Token.verify: the
 * signature, exp, the token type, a jti); the user is the USER_ID_CLAIM, created on the fly (here:
 * nothing to create).
 */
async function authenticate(req) {
  const header = req.headers.authorization ?? '';
  const [type, token, ...rest] = header.split(' ');
  if (type !== 'Bearer') return { user: null };
  if (!token || rest.length) return { error: { detail: 'Authorization header must contain two space-delimited values', code: 'bad_authorization_header' } };
  const invalid = {
    detail: 'Given token not valid for any token type',
    code: 'token_not_valid',
    messages: Object.entries(TOKEN_TYPES).map(([tokenClass, tokenType]) => ({ token_class: tokenClass, token_type: tokenType, message: 'Token is invalid' })),
  };
  if (!VERIFYING_KEY) return { error: invalid };
  try {
    const { payload } = await jwtVerify(token, VERIFYING_KEY, { algorithms: [ALGORITHM], ...(ISSUER ? { issuer: ISSUER } : {}) });
    if (!Object.values(TOKEN_TYPES).includes(payload[TYPE_CLAIM]) || typeof payload.jti !== 'string') return { error: invalid };
    const user = payload[USER_ID_CLAIM];
    if (typeof user !== 'string') return { error: { detail: 'Token contained no recognizable user identification', code: 'token_not_valid' } };
    return { user };
  } catch {
    return { error: invalid };
  }
}

/** The claims of the Bearer token authenticate() accepted. */
const tokenClaims = (req) => JSON.parse(Buffer.from(req.headers.authorization.split(' ')[1].split('.')[1], 'base64url').toString('utf8'));

/**
 * UserViewSet.get_me (core/api/client/__init__.py) through UserSerializer (core/serializers/
 * client.py): the user DelegatedJWTAuthentication made from the token, its names the claims
 * JWT_USER_FIELDS_SYNC maps them from (Fonzie's `full_name` as first name by default; Keycloak's
 * given_name and family_name as env.d/development/common.dist maps them), full_name as
 * AbstractUser.get_full_name joins them, its abilities on itself with no course or organization
 * access (User.get_abilities).
 */
const USER_FIELDS = json('JOANIE_JWT_USER_FIELDS_SYNC', { email: 'email', first_name: 'full_name', language: 'language', has_subscribed_to_commercial_newsletter: 'has_subscribed_to_commercial_newsletter' });
const userData = (username, claims) => {
  const field = (name) => (typeof claims[USER_FIELDS[name]] === 'string' ? claims[USER_FIELDS[name]] : '');
  return {
    id: uuid(`user:${username}`),
    username,
    full_name: `${field('first_name')} ${field('last_name')}`.trim(),
    is_superuser: false,
    is_staff: false,
    abilities: { delete: false, get: true, patch: true, put: true, has_course_access: false, has_organization_access: false },
  };
};

const NOT_AUTHENTICATED = { detail: 'Authentication credentials were not provided.' };
const WWW_AUTHENTICATE = { 'www-authenticate': 'Bearer realm="api"' };
const page = (results) => ({ count: results.length, next: null, previous: null, results });

/** Django's page_not_found without a 404.html template (django/views/defaults.py ERROR_PAGE_TEMPLATE). */
const DJANGO_404 = `
<!doctype html>
<html lang="en">
<head>
  <title>Not Found</title>
</head>
<body>
  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>
</body>
</html>
`;

async function handle(req, res) {
  const url = new URL(req.url, 'http://joanie');
  const path = url.pathname;
  if (path === '/health') return send(res, 200, 'ok', { 'content-type': 'text/plain' });
  cors(req, res);
  // CorsMiddleware answers a preflight itself, before Django routes it (CORS_URLS_REGEX: every
  // path): an empty 200, whatever the route and the origin.
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) return send(res, 200, '', { 'content-type': 'text/html; charset=utf-8' });
  const routes = [
    ['me', /^\/api\/v1\.0\/users\/me\/$/],
    ['enrollments', /^\/api\/v1\.0\/enrollments\/(?:(?<id>[^/]+)\/)?$/],
    ['list', /^\/api\/v1\.0\/(?<list>addresses|credit-cards|orders)\/$/],
    ['product', /^\/api\/v1\.0\/courses\/(?<course>[^/]+)\/products\/(?<product>[^/]+)\/$/],
    ['courseRun', /^\/api\/v1\.0\/course-runs\/(?<id>[^/]+)\/$/],
  ];
  const route = routes.map(([name, re]) => [name, re.exec(path)]).find(([, m]) => m);
  if (!route) return send(res, 404, DJANGO_404, { 'content-type': 'text/html; charset=utf-8' });
  if (req.method === 'OPTIONS') return send(res, 200, '');
  const [name, match] = route;
  const groups = match.groups ?? {};
  // The course run detail (CourseRunViewSet) is public.
  if (name === 'courseRun') {
    const run = RUNS.find((r) => r.id === groups.id);
    if (req.method !== 'GET') return send(res, 405, { detail: `Method "${req.method}" not allowed.` });
    return run ? send(res, 200, courseRunData(run)) : send(res, 404, { detail: 'No CourseRun matches the given query.' });
  }
  const auth = await authenticate(req);
  if (auth.error) return send(res, 401, auth.error, WWW_AUTHENTICATE);
  if (!auth.user) return send(res, 401, NOT_AUTHENTICATED, WWW_AUTHENTICATE);
  const user = auth.user;

  if (name === 'me') {
    if (req.method !== 'GET') return send(res, 405, { detail: `Method "${req.method}" not allowed.` });
    return send(res, 200, userData(user, tokenClaims(req)));
  }
  if (name === 'list') {
    if (req.method !== 'GET') return send(res, 405, { detail: `Method "${req.method}" not allowed.` });
    return send(res, 200, page([]));
  }
  if (name === 'product') {
    // OfferingViewSet.retrieve: the demo has no product, so get_object_or_404 finds none.
    return send(res, 404, { detail: 'No CourseProductRelation matches the given query.' });
  }
  // EnrollmentViewSet (core/api/client/__init__.py): the user's own enrollments.
  const mine = enrollments.filter((e) => e.user === user);
  if (!groups.id && req.method === 'GET') {
    const runId = url.searchParams.get('course_run_id');
    return send(res, 200, page(mine.filter((e) => !runId || e.course_run === runId).map(enrollmentData)));
  }
  if (!groups.id && req.method === 'POST') return createEnrollment(req, res, user, mine);
  if (groups.id) {
    const enrollment = mine.find((e) => e.id === groups.id);
    if (!['GET', 'PUT', 'PATCH'].includes(req.method)) return send(res, 405, { detail: `Method "${req.method}" not allowed.` });
    if (!enrollment) return send(res, 404, { detail: 'No Enrollment matches the given query.' });
    if (req.method === 'GET') return send(res, 200, enrollmentData(enrollment));
    return updateEnrollment(req, res, user, enrollment);
  }
  return send(res, 405, { detail: `Method "${req.method}" not allowed.` });
}

async function parse(req, res) {
  try {
    const data = JSON.parse((await readBody(req)) || '{}');
    if (data && typeof data === 'object' && !Array.isArray(data)) return data;
  } catch {
    // below
  }
  send(res, 400, { detail: 'JSON parse error' });
  return null;
}

/** EnrollmentSerializer.create, then Enrollment.clean and save (core/models/courses.py). */
async function createEnrollment(req, res, user, mine) {
  const data = await parse(req, res);
  if (!data) return;
  if (typeof data.was_created_by_order !== 'boolean') return send(res, 400, { was_created_by_order: ['This field is required.'] });
  if (data.course_run_id === undefined) return send(res, 400, { __all__: ['You must provide a course_run_id to create an enrollment.'] });
  const run = RUNS.find((r) => r.id === data.course_run_id);
  if (!run) return send(res, 400, { __all__: [`A course run with id "${data.course_run_id}" does not exist.`] });
  if (computeState(run).priority > ARCHIVED_OPEN) return send(res, 400, { __all__: ['You are not allowed to enroll to a course run not opened for enrollment.'] });
  // CourseRun.can_enroll: no active enrollment in a run of the same course that has not ended.
  const now = nowMs();
  const busy = mine.some((e) => e.is_active && RUNS.some((r) => r.id === e.course_run && r.end !== null && Date.parse(r.end) >= now));
  if (busy) return send(res, 400, { user: [`You are already enrolled to an opened course run for the course "${COURSE.title}".`] });
  const isActive = data.is_active ?? true;
  if (isActive && !run.is_listed && data.was_created_by_order === false) return send(res, 400, { was_created_by_order: ['You cannot enroll to a non-listed course run out of the scope of an order.'] });
  if (data.was_created_by_order) return send(res, 400, { was_created_by_order: ['The related course run is not linked to any product, so it cannot be created in the scope of an order.'] });
  if (mine.some((e) => e.course_run === run.id)) return send(res, 400, { __all__: ['Enrollment with this Course run and User already exists.'] });
  const enrollment = { id: uuid(`enrollment:${user}:${run.id}:${now}`), user, course_run: run.id, created_on: new Date(now).toISOString(), is_active: isActive, was_created_by_order: false, state: '' };
  enrollments.push(enrollment);
  if (enrollment.is_active) enrollment.state = await setOnLms(enrollment, user);
  save();
  return send(res, 201, enrollmentData(enrollment));
}

/** EnrollmentSerializer.update: is_active (and was_created_by_order while inactive); a changed is_active is set on the LMS. */
async function updateEnrollment(req, res, user, enrollment) {
  const data = await parse(req, res);
  if (!data) return;
  if (req.method === 'PUT' && typeof data.was_created_by_order !== 'boolean') return send(res, 400, { was_created_by_order: ['This field is required.'] });
  const run = RUNS.find((r) => r.id === enrollment.course_run);
  const isActive = typeof data.is_active === 'boolean' ? data.is_active : enrollment.is_active;
  if (isActive && !run.is_listed) return send(res, 400, { was_created_by_order: ['You cannot enroll to a non-listed course run out of the scope of an order.'] });
  const changed = isActive !== enrollment.is_active;
  enrollment.is_active = isActive;
  if (changed) enrollment.state = await setOnLms(enrollment, user);
  save();
  return send(res, 200, enrollmentData(enrollment));
}

// ---------------------------------------------------------------------------------------------
// COURSE_WEB_HOOKS: every run, one signed JSON list per hook (synchronize_course_runs).

export async function synchronizeCourseRuns() {
  const body = Buffer.from(JSON.stringify(RUNS.map(serializedRun)), 'utf8');
  const results = [];
  for (const hook of WEB_HOOKS) {
    const signature = createHmac('sha256', Buffer.from(String(hook.secret), 'utf8')).update(body).digest('hex');
    const response = await fetch(hook.url, {
      method: 'POST',
      headers: { authorization: `SIG-HMAC-SHA256 ${signature}`, 'content-type': 'application/json' },
      body,
      signal: AbortSignal.timeout(3000),
    });
    results.push(response.status);
    console.log(`[SYNC] ${hook.url}: ${response.status}`);
  }
  return results;
}

/** At start, until every hook answered (the catalog may start after Joanie): every 2 s for 5 minutes. */
async function syncAtStart() {
  for (let attempt = 0; attempt < 150; attempt++) {
    try {
      await synchronizeCourseRuns();
      return;
    } catch (error) {
      if (attempt === 0) console.error(`[SYNC] not yet: ${error.cause?.code ?? error}`);
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

createServer((req, res) =>
  handle(req, res).catch((error) => {
    console.error(error);
    send(res, 500, { detail: 'Server error.' });
  }),
).listen(Number(env.PORT || 8000), () => {
  console.log(`demo Joanie at ${ORIGIN}, ${RUNS.length} course runs`);
  void syncAtStart();
});
