// The demo catalog: one course whose run links to the LMS, its pages driven by Richie's own
// front end (page.mjs), and Richie's course-run sync endpoint. Standard library only.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { coursePage, homePage, staticFile } from './page.mjs';
import { demoCourseRun, handleSync } from './sync.mjs';

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
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
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

async function handle(req, res) {
  const url = new URL(req.url, 'http://catalog');
  if (url.pathname === '/health') return send(res, 200, 'ok', 'text/plain');
  // Richie's course-run sync endpoint and the demo's read-only view of its state (sync.mjs).
  if (await handleSync(req, res)) return;
  if (url.pathname === '/en/courses/demo/') {
    const draft = url.searchParams.has('draft');
    return send(res, 200, coursePage(demoCourseRun({ draft }), { draft }), 'text/html; charset=utf-8');
  }
  if (url.pathname === '/') return send(res, 200, homePage(), 'text/html; charset=utf-8');
  const asset = url.pathname.startsWith('/static/') ? staticFile(url.pathname.slice('/static/'.length)) : undefined;
  if (asset) return send(res, 200, asset.body, asset.type);
  return send(res, 404, { detail: 'Not found.' });
}

createServer((req, res) =>
  handle(req, res).catch((error) => {
    console.error(error);
    send(res, 500, { detail: 'Server error.' });
  }),
).listen(Number(env.PORT || 8000), () => console.log(`demo catalog, LMS backend ${JS_BACKEND} at ${LMS}`));
