// The demo catalog: one course whose run links to the LMS, rendered with the settings Richie
// reads (EDX_*, AUTHENTICATION_*), and a page script that behaves like Richie's front-end LMS
// backends: `dummy` keeps the enrollment in sessionStorage; `openedx-hawthorn` calls the LMS
// with credentials and the X-CSRFToken header. Also Richie's course-run sync endpoint.
// Standard library only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';

const env = process.env;
const LMS = env.EDX_BASE_URL || 'http://localhost:8073';
const JS_BACKEND = env.EDX_JS_BACKEND || 'dummy';
const COURSE_REGEX = (env.EDX_COURSE_REGEX || '^.*/courses/(?P<course_id>.*)/course/?$').replace(/\(\?P</g, '(?<');
const JS_COURSE_REGEX = env.EDX_JS_COURSE_REGEX || '^.*/courses/(.*)/course/?$';
const SECRETS = (env.RICHIE_COURSE_RUN_SYNC_SECRETS || '').split(',').filter(Boolean);
const NO_UPDATE = JSON.parse(env.COURSE_RUN_SYNC_NO_UPDATE_FIELDS || '[]');
const SYNC_MODE = env.DEFAULT_COURSE_RUN_SYNC_MODE || 'sync_to_public';
const DATA = env.RICHIE_DEV_DATA_DIR || '/data';
const RESOURCE_LINK = env.RICHIE_DEV_SAMPLE_COURSE_URL || `${LMS}/courses/course-v1:richie+demo+2026/course/`;
const SYNC_FIELDS = ['start', 'end', 'enrollment_start', 'enrollment_end', 'languages', 'enrollment_count', 'catalog_visibility'];

const stateFile = `${DATA}/catalog.json`;
mkdirSync(DATA, { recursive: true });
const initialRun = { resource_link: RESOURCE_LINK, start: '2026-09-01T00:00:00Z', end: '2026-12-31T00:00:00Z', enrollment_start: '2026-06-01T00:00:00Z', enrollment_end: '2026-12-01T00:00:00Z', languages: ['en'], enrollment_count: 0, catalog_visibility: 'course_and_search' };
function load() {
  try {
    return JSON.parse(readFileSync(stateFile, 'utf8'));
  } catch {
    return { sync_mode: SYNC_MODE, synced: false, draft: { ...initialRun }, public: { ...initialRun } };
  }
}
function save(state) {
  writeFileSync(`${stateFile}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${stateFile}.tmp`, stateFile);
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const send = (res, status, body, type = 'application/json') => {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
const readBody = (req) =>
  new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });

/** Richie's check: HMAC-SHA256 of the raw body under one of the shared secrets. */
function signed(req, body) {
  const header = req.headers.authorization || '';
  const match = /^SIG-HMAC-SHA256 ([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const given = Buffer.from(match[1], 'hex');
  return SECRETS.some((secret) => timingSafeEqual(given, createHmac('sha256', secret).update(body).digest()));
}

function coursePage(run, draft) {
  const courseId = new RegExp(COURSE_REGEX).exec(run.resource_link)?.groups?.course_id;
  const cfg = { backend: JS_BACKEND, lms: LMS, jsCourseRegex: JS_COURSE_REGEX, resourceLink: run.resource_link, next: 'richie' };
  const dates = SYNC_FIELDS.map((f) => `<dt>${f}</dt><dd id="run-${f}">${escape(Array.isArray(run[f]) ? run[f].join(', ') : run[f])}</dd>`).join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Demo course — Richie demo catalog</title></head><body>
<h1>Demo course</h1>${draft ? '<p><strong>Draft version</strong></p>' : ''}
<dl>${dates}</dl>
<p>On the LMS: <a id="lms-link" href="${escape(run.resource_link)}">${escape(run.resource_link)}</a></p>
${courseId ? `<section id="enrollment"><p>User: <span id="user">…</span></p><p>Status: <span id="status">…</span></p><a id="login" hidden>Log in to enroll</a> <button id="enroll" hidden>Enroll</button></section>` : '<p id="no-enrollment">This course run\'s LMS URL does not match COURSE_REGEX: no enrollment from the catalog.</p>'}
<script type="application/json" id="cfg">${JSON.stringify(cfg).replace(/</g, '\\u003c')}</script>
<script type="module">${PAGE_SCRIPT}</script>
</body></html>`;
}

// The page side of Richie's LMS backends (src/frontend/js/api/lms/{dummy,openedx-hawthorn}).
const PAGE_SCRIPT = `
const cfg = JSON.parse(document.getElementById('cfg').textContent);
const $ = (id) => document.getElementById(id);
const courseId = new RegExp(cfg.jsCourseRegex).exec(cfg.resourceLink)?.[1];
const show = (text) => { if ($('status')) $('status').textContent = text; };
if (!$('enrollment')) {
  // no enrollment widget: COURSE_REGEX did not match
} else if (!courseId) {
  show('JS_COURSE_REGEX does not match this course: no enrollment');
} else if (cfg.backend === 'dummy') {
  const key = 'richie-dev-enrollment:' + courseId;
  $('user').textContent = 'anonymous (fake backend)';
  const render = () => { const enrolled = sessionStorage.getItem(key) === 'true'; show(enrolled ? 'enrolled' : 'not enrolled'); $('enroll').hidden = enrolled; };
  $('enroll').onclick = () => { sessionStorage.setItem(key, 'true'); render(); };
  render();
} else {
  const api = (path, init = {}) => fetch(cfg.lms + path, { credentials: 'include', ...init });
  const cookie = (name) => document.cookie.split('; ').find((c) => c.startsWith(name + '='))?.slice(name.length + 1);
  $('login').href = cfg.lms + '/login?next=' + cfg.next + location.pathname;
  try {
    const me = await api('/api/user/v1/me');
    if (me.status === 401) {
      $('user').textContent = 'not logged in';
      show('log in to enroll');
      $('login').hidden = false;
    } else {
      const { username } = await me.json();
      $('user').textContent = username;
      const res = await api('/api/enrollment/v1/enrollment/' + username + ',' + encodeURIComponent(courseId));
      const text = await res.text();
      const enrolled = Boolean(text && JSON.parse(text).is_active);
      show(enrolled ? 'enrolled' : 'not enrolled');
      $('enroll').hidden = enrolled;
      $('enroll').onclick = async () => {
        try {
          const r = await api('/api/enrollment/v1/enrollment', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', 'X-CSRFToken': cookie('edx_csrf_token') ?? '' },
            body: JSON.stringify({ user: username, course_details: { course_id: courseId } }),
          });
          if (!r.ok) throw new Error('the LMS refused it (HTTP ' + r.status + ')');
          show('enrolled');
          $('enroll').hidden = true;
        } catch (error) {
          show('enrollment failed: ' + error.message + ' (blocked by CORS or refused by the LMS)');
        }
      };
    }
  } catch (error) {
    show('cannot reach the LMS: ' + error.message + ' (blocked by CORS, or its certificate is not trusted)');
  }
}
`;

async function handle(req, res) {
  const url = new URL(req.url, 'http://catalog');
  if (url.pathname === '/health') return send(res, 200, 'ok', 'text/plain');
  if (url.pathname === '/api/v1.0/course-runs-sync' && req.method === 'POST') {
    const body = await readBody(req);
    if (!signed(req, body)) return send(res, 403, { detail: 'Invalid authentication.' });
    const incoming = JSON.parse(body.toString());
    const state = load();
    if (incoming.resource_link !== state.draft.resource_link) return send(res, 404, { detail: 'Unknown course run.' });
    if (state.sync_mode === 'manual') return send(res, 200, { success: true, ignored: true });
    const update = {};
    for (const field of SYNC_FIELDS) {
      if (!(field in incoming)) continue;
      // Fields in COURSE_RUN_SYNC_NO_UPDATE_FIELDS are only set by the first sync.
      if (state.synced && NO_UPDATE.includes(field)) continue;
      update[field] = incoming[field];
    }
    state.draft = { ...state.draft, ...update };
    if (state.sync_mode === 'sync_to_public') state.public = { ...state.public, ...update };
    state.synced = true;
    save(state);
    return send(res, 200, { success: true });
  }
  if (url.pathname === '/api/v1.0/course-runs/demo') return send(res, 200, load());
  if (url.pathname === '/en/courses/demo/') {
    const state = load();
    const draft = url.searchParams.has('draft');
    return send(res, 200, coursePage(draft ? state.draft : state.public, draft), 'text/html; charset=utf-8');
  }
  if (url.pathname === '/') return send(res, 200, `<!doctype html><title>Richie demo catalog</title><h1>Richie demo catalog</h1><ul><li><a href="/en/courses/demo/">Demo course</a></li></ul><p>LMS backend: ${escape(JS_BACKEND)} at ${escape(LMS)}</p>`, 'text/html; charset=utf-8');
  return send(res, 404, { detail: 'Not found.' });
}

createServer((req, res) =>
  handle(req, res).catch((error) => {
    console.error(error);
    send(res, 500, { detail: 'Server error.' });
  }),
).listen(Number(env.PORT || 8000), () => console.log(`demo catalog, LMS backend ${JS_BACKEND} at ${LMS}`));
