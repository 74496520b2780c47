// The demo LMS: the slice of OpenEdX that Richie's front end (richie-education's
// openedx-hawthorn module) talks to, configured by the env file richie-dev renders for
// openedx-docker's settings and answering as OpenEdX does wherever that client can tell:
// status codes, Content-Type, cookies, CORS and CSRF rules of the configured release.
// A wrong setting breaks it the way it would break OpenEdX. Node's standard library, jose
// (bundled at build time into vendor/jose.mjs by build/demo-apps.mjs) for Fonzie's tokens, and
// openid-client (vendor/openid-client.mjs) for its login through Keycloak (keycloak-login.mjs).
// Also: `node server.mjs publish '<json>'` pushes a course run to the catalog through the
// course hooks, signed, verifying the catalog's certificate.
//
// Its courses are the demo runs (demo-runs.mjs, the definition the catalog seeds from), dated
// when it starts; it refuses what OpenEdX refuses for them: an unknown course, an enrollment
// window closed or not yet open, an invite-only course (staff pass).
//
// Sources (edx-platform at Hawthorn/Ironwood unless said): openedx/core/djangoapps/cors_csrf/
// {helpers,middleware,decorators,authentication}.py, common/djangoapps/enrollment/{urls,views,
// api,data}.py, common/djangoapps/student/models.py (CourseEnrollment.enroll),
// lms/djangoapps/courseware/access.py (_can_enroll_courselike), openedx/core/constants.py
// (COURSE_ID_PATTERN), lms/envs/common.py (USERNAME_PATTERN), openedx/core/lib/api/
// permissions.py (ApiKeyHeaderPermission), openedx/core/djangoapps/user_api/{accounts,
// preferences}; DRF's rest_framework/{response,views}.py; django-cors-headers' middleware;
// openfun/fonzie fonzie/views/user.py; openedx-docker's releases/<release>/.../config/lms/
// docker_run_production.py.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { nowMs } from './clock.mjs';
import { demoRuns } from './demo-runs.mjs';
import { SignJWT } from './vendor/jose.mjs';
import { CALLBACK_PATH, keycloakLogin } from './keycloak-login.mjs';

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
const USERS_SEED = { student: 'student', staff: 'staff', ...json('RICHIE_DEV_LMS_USERS', {}) };
// Global staff (User.is_staff): devstack's staff user. Staff pass the enrollment window and the
// invite-only check (access.py, _has_staff_access_to_descriptor) and read others' data.
const STAFF = new Set(['staff']);
// openedx-docker: EDX_API_KEY = config("EDX_API_KEY", default=None).
const EDX_API_KEY = env.EDX_API_KEY ?? null;
// Django's LANGUAGE_CODE, what Fonzie puts in a token when the user has no pref-lang.
const LANGUAGE_CODE = env.LANGUAGE_CODE || 'en';

// Which OpenEdX this imitates: the one rule that differs for Richie (src/lms/releases.ts).
const NETLOC_RELEASES = ['dogwood', 'eucalyptus', 'hawthorn', 'ironwood'];
const RELEASE = env.RICHIE_DEV_OPENEDX_RELEASE || 'hawthorn';
const NETLOC = NETLOC_RELEASES.includes(RELEASE);
// Dogwood and Eucalyptus have the mobile API's user info instead of /api/user/v1/me.
const MOBILE_USER_API = ['dogwood', 'eucalyptus'].includes(RELEASE);
// Fonzie (openfun/fonzie): its /api/v1.0/user/me adds a JWT for Richie's other services.
const FONZIE = bool('RICHIE_DEV_FONZIE', false);
// Fonzie's SIMPLE_JWT (rendered by richie-dev with the project's key); without it, the value of
// fonzie's edx-platform/config/lms/docker_run_development.py. Never a per-process key: another
// app given the same key must accept the token.
const SIMPLE_JWT = { ALGORITHM: 'HS256', SIGNING_KEY: 'ThisIsAnExampleKeyForDevPurposeOnly', ACCESS_TOKEN_LIFETIME: 300, ...json('SIMPLE_JWT', {}) };
// Login through Keycloak (Richie's fonzie-keycloak): python-social-auth's URLs under /auth/,
// which edx-platform serves with FEATURES['ENABLE_THIRD_PARTY_AUTH'], and the /keycloak-login
// Richie calls; only when the SOCIAL_AUTH_KEYCLOAK_* settings name a Keycloak (keycloak-login.mjs).
const KEYCLOAK = FEATURES.ENABLE_THIRD_PARTY_AUTH ? keycloakLogin(env, ROOT) : undefined;

// ---- Courses: the demo runs, dated now (demo-runs.mjs) ---------------------------------------
const COURSES = new Map(demoRuns(env.RICHIE_DEV_SAMPLE_COURSE_ID || 'course-v1:richie+demo+2026', { states: bool('RICHIE_DEV_DEMO_STATE_RUNS', true) }).map((run) => [run.course_id, run]));
// Every demo course offers these modes (course_modes): audit is the default a learner gets,
// honor and verified are what Joanie asks for (joanie lms_handler/backends/openedx.py).
const COURSE_MODES = ['audit', 'honor', 'verified'];

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
const accountsFile = `${DATA}/accounts.json`;
const sessions = new Map(); // session id -> username
// Session id -> what python-social-auth keeps in the (anonymous) session between /auth/login/
// and the callback: state, nonce, PKCE verifier, sanitized next.
const socialAuth = new Map();

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
/** The path as Django matches it (decoded); undefined when it does not decode. */
const safeDecode = (text) => {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
};
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
function setSessionCookie(res, sid) {
  // Django 1.11 sets no SameSite on the session cookie; Django 2.1+ defaults to Lax.
  res.appendHeader('set-cookie', `${SESSION_COOKIE}=${sid}; HttpOnly; Path=/${SESSION_COOKIE_SECURE ? '; Secure' : ''}${NETLOC ? '' : '; SameSite=Lax'}`);
}
function startSession(res, username) {
  const sid = randomBytes(16).toString('hex');
  sessions.set(sid, username);
  setSessionCookie(res, sid);
}
/** After login OpenEdX follows `next`: Richie sends next=richie/<path>, relative to /login, so /richie/<path>, which nginx sends back to the catalog. */
const nextUrl = (next) => new URL(next || '/', `${ROOT}/login`).href;

// ---- Enrollment API (common/djangoapps/enrollment) --------------------------------------------
// openedx/core/constants.py COURSE_ID_PATTERN and lms/envs/common.py USERNAME_PATTERN, as
// enrollment/urls.py routes them (Django matches the decoded path, re.UNICODE: \w is Unicode).
const COURSE_ID_PATTERN = String.raw`[^/+]+(?:/|\+)[^/+]+(?:/|\+)[^/?]+`;
const USERNAME_PATTERN = String.raw`[\p{L}\p{N}_ .@+-]+`;
const ENROLLMENT_ROUTES = [new RegExp(`^(?<username>${USERNAME_PATTERN}),(?<courseId>${COURSE_ID_PATTERN})$`, 'u'), new RegExp(`^(?<courseId>${COURSE_ID_PATTERN})$`, 'u')];
/** opaque_keys' CourseKey.from_string: course-v1:org+course+run, or the deprecated org/course/run. */
const COURSE_KEY = /^(course-v1:[\p{L}\p{N}_.~:-]+\+[\p{L}\p{N}_.~:-]+\+[\p{L}\p{N}_.~:-]+|[\p{L}\p{N}_.~:-]+\/[\p{L}\p{N}_.~:-]+\/[\p{L}\p{N}_.~:-]+)$/u;
const enrollments = () => readJson(enrollmentsFile, []);
const dt = (value) => value ?? null;
function courseDetails(courseId) {
  const run = COURSES.get(courseId);
  return {
    course_id: courseId,
    course_name: run?.run ? `Demo course (${run.run})` : 'Demo course',
    enrollment_start: dt(run?.enrollment_start),
    enrollment_end: dt(run?.enrollment_end),
    course_start: dt(run?.start),
    course_end: dt(run?.end),
    invite_only: run?.invite_only ?? false,
    course_modes: COURSE_MODES.map((slug) => ({ slug, name: slug[0].toUpperCase() + slug.slice(1), min_price: 0, suggested_prices: '', currency: 'usd', expiration_datetime: null, description: null, sku: null, bulk_sku: null })),
  };
}
function enrollmentData(e) {
  return { created: e.created, mode: e.mode, is_active: e.is_active, course_details: courseDetails(e.course_id), user: e.user };
}

/** ApiKeyHeaderPermission: the X-Edx-Api-Key header equals EDX_API_KEY (None: nobody). */
const hasApiKey = (req) => EDX_API_KEY !== null && req.headers['x-edx-api-key'] === EDX_API_KEY;

/**
 * access.py _can_enroll_courselike: staff always; an invite-only course nobody else (no
 * CourseEnrollmentAllowed in the demo); otherwise enrollment_start < now < enrollment_end, a
 * missing bound being datetime.min / datetime.max.
 */
function canEnroll(username, run) {
  if (STAFF.has(username)) return true;
  if (run.invite_only) return false;
  const now = nowMs();
  const start = run.enrollment_start ? Date.parse(run.enrollment_start) : -Infinity;
  const end = run.enrollment_end ? Date.parse(run.enrollment_end) : Infinity;
  return start < now && now < end;
}

/** DRF's NotAuthenticated: 401 with the first authenticator's header (JwtAuthentication: `JWT realm="api"`). */
function notAuthenticated(res) {
  res.setHeader('www-authenticate', 'JWT realm="api"');
  return api(res, 401, { detail: 'Authentication credentials were not provided.' });
}
/** Python's str() of a JSON value, for the messages OpenEdX formats with it. */
const pyStr = (v) => (v === null ? 'None' : v === true ? 'True' : v === false ? 'False' : typeof v === 'string' ? v : JSON.stringify(v));

/** EnrollmentListView.post (enrollment/views.py), for a request past authentication and permissions. */
function enroll(res, { user, apiKey, data }) {
  const courseId = data?.course_details?.course_id;
  if (!courseId) return api(res, 400, { message: 'Course ID must be specified to create a new enrollment.' });
  if (!COURSE_KEY.test(courseId)) return api(res, 400, { message: `No course '${courseId}' found for enrollment` });
  const mode = data.mode ?? null;
  const username = data.user || user || '';
  // Another user's enrollment: 404, not 403, so usernames cannot be probed.
  if (username !== (user ?? '') && !apiKey) return api(res, 404);
  if (![null, 'audit', 'honor'].includes(mode) && !apiKey) return api(res, 403, { message: `User does not have permission to create enrollment with mode [${mode}].` });
  if (!Object.hasOwn(users(), username)) return api(res, 406, { message: `The user ${username} does not exist.` });
  const isActive = data.is_active ?? null;
  if (isActive !== null && typeof isActive !== 'boolean') return api(res, 400, { message: `'${pyStr(isActive)}' is an invalid enrollment activation status.` });

  const list = enrollments();
  let enrollment = list.find((e) => e.user === username && e.course_id === courseId);
  const modeChanged = enrollment && mode !== null && enrollment.mode !== mode;
  const activeChanged = enrollment && isActive !== null && enrollment.is_active !== isActive;
  if (apiKey && (modeChanged || activeChanged)) {
    // A server-to-server update: no access check (api.update_enrollment).
    if (modeChanged && activeChanged && !isActive) return api(res, 400, { message: `Enrollment mode mismatch: active mode=${enrollment.mode}, requested mode=${mode}. Won't deactivate.` });
    if (mode !== null) enrollment.mode = mode;
    if (isActive !== null) enrollment.is_active = isActive;
    writeJson(enrollmentsFile, list);
    return api(res, 200, enrollmentData(enrollment));
  }
  // api.add_enrollment: the course's default mode (an unknown course raises CourseNotFoundError
  // there), the mode checked, then CourseEnrollment.enroll(check_access=True).
  const run = COURSES.get(courseId);
  if (!run) return api(res, 400, { message: `No course '${courseId}' found for enrollment` });
  const chosen = mode ?? 'audit';
  if (isActive !== false && !COURSE_MODES.includes(chosen)) return api(res, 400, { message: `The [${chosen}] course mode is expired or otherwise unavailable for course run [${courseId}].`, course_details: courseDetails(courseId) });
  // EnrollmentClosedError (window, invite-only) is a CourseEnrollmentError: the generic message.
  if (!canEnroll(username, run)) return api(res, 400, { message: `An error occurred while creating the new course enrollment for user '${username}' in course '${courseId}'` });
  // AlreadyEnrolledError: 200 with the enrollment as it is.
  if (enrollment?.is_active) return api(res, 200, enrollmentData(enrollment));
  if (!enrollment) list.push((enrollment = { user: username, course_id: courseId, mode: chosen, is_active: true, created: new Date(nowMs()).toISOString() }));
  enrollment.mode = chosen;
  enrollment.is_active = isActive ?? true;
  writeJson(enrollmentsFile, list);
  return api(res, 200, enrollmentData(enrollment));
}

// ---- Accounts and preferences (openedx/core/djangoapps/user_api) -------------------------------
const GENDERS = [null, 'm', 'f', 'o'];
const EDUCATION = [null, 'p', 'm', 'b', 'a', 'hs', 'jhs', 'el', 'none', 'other'];
// AccountUserSerializer / AccountLegacyProfileSerializer read-only fields (email is changed by a
// confirmation mail, not here).
const READ_ONLY = ['username', 'date_joined', 'is_active', 'profile_image', 'requires_parental_consent'];
const EDITABLE = ['name', 'bio', 'country', 'year_of_birth', 'level_of_education', 'gender', 'goals', 'mailing_address', 'language_proficiencies', 'social_links', 'extended_profile', 'account_privacy'];
const profiles = () => readJson(accountsFile, {});
function account(username) {
  const saved = profiles()[username] ?? {};
  return {
    username,
    name: saved.name ?? username,
    email: `${username}@example.com`,
    date_joined: '2026-01-01T00:00:00Z',
    is_active: true,
    bio: saved.bio ?? null,
    country: saved.country ?? null,
    profile_image: { has_image: false, image_url_full: `${ROOT}/static/images/profiles/default_500.png`, image_url_large: `${ROOT}/static/images/profiles/default_120.png`, image_url_medium: `${ROOT}/static/images/profiles/default_50.png`, image_url_small: `${ROOT}/static/images/profiles/default_30.png` },
    year_of_birth: saved.year_of_birth ?? null,
    level_of_education: saved.level_of_education ?? null,
    goals: saved.goals ?? null,
    mailing_address: saved.mailing_address ?? null,
    requires_parental_consent: false,
    language_proficiencies: saved.language_proficiencies ?? [],
    gender: saved.gender ?? null,
    account_privacy: saved.account_privacy ?? 'private',
    social_links: saved.social_links ?? [],
    extended_profile: saved.extended_profile ?? [],
  };
}
const preferences = (username) => ({ 'pref-lang': profiles()[username]?.['pref-lang'] ?? LANGUAGE_CODE, 'account_privacy': profiles()[username]?.account_privacy ?? 'private' });
const fieldError = (developer, user) => ({ developer_message: developer, user_message: user });
/** accounts/api.py update_account_settings: every field error at once (400), else the update. */
function updateAccount(res, username, data) {
  const errors = {};
  for (const field of Object.keys(data).filter((f) => READ_ONLY.includes(f))) errors[field] = fieldError('This field is not editable via this API', `The '${field}' field cannot be edited.`);
  if ('email' in data) errors.email = fieldError('Email address changes are not available in the demo LMS.', 'Email address changes are not available in the demo LMS.');
  if ('gender' in data && !GENDERS.includes(data.gender)) errors.gender = fieldError(`Value '${pyStr(data.gender)}' is not valid for field 'gender'.`, `Value '${pyStr(data.gender)}' is not valid for field 'gender'.`);
  if ('level_of_education' in data && !EDUCATION.includes(data.level_of_education)) errors.level_of_education = fieldError(`Value '${pyStr(data.level_of_education)}' is not valid for field 'level_of_education'.`, `Value '${pyStr(data.level_of_education)}' is not valid for field 'level_of_education'.`);
  if ('name' in data && (typeof data.name !== 'string' || /[<>]/.test(data.name) || !data.name.trim())) errors.name = fieldError('Full Name cannot contain the following characters: < >', 'Full Name cannot contain the following characters: < >');
  if ('year_of_birth' in data && data.year_of_birth !== null && !Number.isInteger(Number(data.year_of_birth))) errors.year_of_birth = fieldError('A valid integer is required.', 'A valid integer is required.');
  if (Object.keys(errors).length) return api(res, 400, { field_errors: errors });
  const all = profiles();
  all[username] = { ...all[username], ...Object.fromEntries(Object.entries(data).filter(([f]) => EDITABLE.includes(f))) };
  writeJson(accountsFile, all);
  return api(res, 200, account(username));
}

/**
 * Fonzie's UserSessionView (fonzie/views/user.py): an AccessToken (rest_framework_simplejwt:
 * token_type, exp, jti) with the user's claims, HS256 with SIMPLE_JWT's SIGNING_KEY.
 */
async function fonzieToken(username, req, res) {
  const issuedAt = Math.floor(nowMs() / 1000);
  const claims = {
    token_type: 'access',
    jti: randomUUID().replaceAll('-', ''),
    email: `${username}@example.com`,
    full_name: account(username).name,
    language: profiles()[username]?.['pref-lang'] ?? LANGUAGE_CODE,
    username,
    is_active: true,
    is_staff: STAFF.has(username),
    is_superuser: false,
  };
  // After registration, the newsletter choice goes into the token once and its cookie is deleted.
  const newsletter = cookies(req).newsletter_subscribed;
  if (newsletter !== undefined) {
    claims.has_subscribed_to_commercial_newsletter = newsletter === 'true';
    res.appendHeader('set-cookie', 'newsletter_subscribed=""; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/');
  }
  return new SignJWT(claims)
    .setProtectedHeader({ typ: 'JWT', alg: SIMPLE_JWT.ALGORITHM })
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + Number(SIMPLE_JWT.ACCESS_TOKEN_LIFETIME))
    .sign(new TextEncoder().encode(SIMPLE_JWT.SIGNING_KEY));
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
  if (KEYCLOAK && path === '/keycloak-login' && req.method === 'GET') {
    // The LMS's Keycloak login Richie's fonzie-keycloak calls: python-social-auth's begin URL
    // for the "keycloak" backend, `next` passed on.
    const next = url.searchParams.get('next');
    return redirect(res, `/auth/login/keycloak/${next === null ? '' : `?next=${encodeURIComponent(next)}`}`);
  }
  if (KEYCLOAK && path === '/auth/login/keycloak/' && req.method === 'GET') {
    // do_auth: the state (and the rest) in the session, made now for an anonymous browser.
    let sid = cookies(req)[SESSION_COOKIE];
    if (!sid || !(sessions.has(sid) || socialAuth.has(sid))) {
      sid = randomBytes(16).toString('hex');
      setSessionCookie(res, sid);
    }
    const { url: authUrl, pending } = await KEYCLOAK.begin(url.searchParams.get('next'), req.headers.host || '');
    socialAuth.set(sid, pending);
    return redirect(res, authUrl);
  }
  if (KEYCLOAK && path === CALLBACK_PATH && req.method === 'GET') {
    // do_complete: the code exchanged server to server, the LMS user of Keycloak's username
    // (made on first login, as the social auth pipeline's create_user does, with no usable
    // password), a new session for them (Django's login() cycles the key), then `next`.
    const sid = cookies(req)[SESSION_COOKIE];
    const pending = sid && socialAuth.get(sid);
    if (!pending) return html(res, 400, page('Authentication failed', '<p>Session value state missing.</p>'));
    socialAuth.delete(sid);
    let who;
    try {
      who = await KEYCLOAK.complete(`${ROOT}${req.url}`, pending);
    } catch (error) {
      // openid-client's errors carry Keycloak's OAuth error code (invalid_client, invalid_grant...).
      const code = error.error ? `: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}` : '';
      return html(res, 400, page('Authentication failed', `<p>${escape(`${error.message}${code}`)}</p>`));
    }
    if (!Object.hasOwn(users(), who.username)) {
      writeJson(usersFile, { ...readJson(usersFile, {}), [who.username]: randomBytes(32).toString('hex') });
      if (who.name) writeJson(accountsFile, { ...profiles(), [who.username]: { ...profiles()[who.username], name: who.name } });
    }
    sessions.delete(sid);
    startSession(res, who.username);
    return redirect(res, pending.next);
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
  // Fonzie's user/me: SessionAuthentication only, which has no WWW-Authenticate header, so DRF
  // answers an anonymous request 403 (fonzie tests/views/test_user.py).
  if (/^\/api\/v[0-9]+\.[0-9]+\/user\/me\/?$/.test(path) && req.method === 'GET' && FONZIE) {
    if (!user) return api(res, 403, { detail: 'Authentication credentials were not provided.' });
    // ensure_csrf_cookie_cross_domain: the token Richie's fonzie backend sends with its PATCH.
    ensureCsrfCookies(req, res);
    const token = await fonzieToken(user, req, res);
    return api(res, 200, { access_token: token, username: user, full_name: account(user).name });
  }
  // Accounts and preferences (user_api): JWT, OAuth2 or session; IsAuthenticated.
  const accountRoute = new RegExp(`^/api/user/v1/(accounts|preferences)/(${USERNAME_PATTERN})$`, 'u').exec(safeDecode(path));
  if (accountRoute && (req.method === 'GET' || (req.method === 'PATCH' && accountRoute[1] === 'accounts'))) {
    const [, kind, username] = accountRoute;
    if (!user) return notAuthenticated(res);
    if (req.method === 'PATCH') {
      const failure = csrfFailure(req);
      if (failure) return api(res, 403, { detail: failure });
    }
    if (!Object.hasOwn(users(), username)) return api(res, 404);
    const own = username === user || STAFF.has(user);
    if (kind === 'preferences') return own ? api(res, 200, preferences(username)) : api(res, 403);
    if (req.method === 'GET') {
      // Another user sees what the default visibility (private) shares: the username and the image.
      const full = account(username);
      return api(res, 200, own ? full : { username, account_privacy: full.account_privacy, profile_image: full.profile_image });
    }
    // AccountViewSet's parser_classes = (MergePatchParser,): only application/merge-patch+json.
    const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/merge-patch+json') return api(res, 415, { detail: `Unsupported media type "${req.headers['content-type'] ?? ''}" in request.` });
    if (username !== user) return api(res, 403);
    let data;
    try {
      data = JSON.parse(await readBody(req));
    } catch (error) {
      return api(res, 400, { detail: `JSON parse error - ${error.message}` });
    }
    if (!data || typeof data !== 'object' || Array.isArray(data)) return api(res, 400, { detail: 'JSON parse error - expected an object' });
    return updateAccount(res, username, data);
  }
  // GET enrollment/{username},{course_id} or enrollment/{course_id} (the requesting user).
  const one = /^\/api\/enrollment\/v1\/enrollment\/(.+)$/.exec(path);
  if (one && req.method === 'GET') {
    // Only ids COURSE_ID_PATTERN routes; anything else is Django's 404 page.
    const target = safeDecode(one[1]);
    const route = target === undefined ? undefined : ENROLLMENT_ROUTES.map((r) => r.exec(target)).find(Boolean);
    if (!route) return html(res, 404, page('Page not found', ''));
    const apiKey = hasApiKey(req);
    // DRF runs authentication and permissions before the view: the decorated GET (and its
    // cookies) only runs for an API key or a user.
    if (!user && !apiKey) return notAuthenticated(res);
    ensureCsrfCookies(req, res);
    const username = route.groups.username ?? user ?? '';
    const courseId = route.groups.courseId;
    // A routed id CourseKey.from_string refuses: InvalidKeyError, uncaught (data.py get_course_enrollment).
    if (!COURSE_KEY.test(courseId)) return html(res, 500, '<h1>Server Error (500)</h1>');
    // Another user's enrollment: 404, not 403, so usernames cannot be probed (staff and API keys may).
    if (username !== (user ?? '') && !apiKey && !STAFF.has(user)) return api(res, 404);
    const found = enrollments().find((e) => e.user === username && e.course_id === courseId);
    return api(res, 200, found ? enrollmentData(found) : undefined);
  }
  if (path === '/api/enrollment/v1/enrollment' && req.method === 'POST') {
    // EnrollmentCrossDomainSessionAuth: a session's unsafe request passes the CSRF checks first.
    if (user) {
      const failure = csrfFailure(req);
      if (failure) return api(res, 403, { detail: failure });
    }
    const apiKey = hasApiKey(req);
    if (!user && !apiKey) return notAuthenticated(res);
    let data;
    try {
      data = JSON.parse(await readBody(req));
    } catch {
      return api(res, 400, { detail: 'JSON parse error' });
    }
    return enroll(res, { user, apiKey, data: data && typeof data === 'object' ? data : {} });
  }
  // richie-dev's own read-out for tests and doctor (not an OpenEdX URL).
  if (path === '/richie-dev/enrollments' && req.method === 'GET') return api(res, 200, enrollments().map(enrollmentData));
  if (path === '/richie-dev/publish-course-run' && req.method === 'POST') return api(res, 200, await publish(JSON.parse(await readBody(req))));
  if (path === '/' || path === '/dashboard' || path.startsWith('/courses/')) {
    return html(res, 200, page('OpenEdX demo LMS', `<p>${user ? `Logged in as ${escape(user)} — <a href="/logout">log out</a>` : '<a href="/login">Log in</a>'}</p><p>Path: ${escape(path)}</p>`));
  }
  return html(res, 404, page('Page not found', ''));
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
