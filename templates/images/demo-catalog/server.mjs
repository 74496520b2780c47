// The demo catalog: the courses and runs of the catalog's state (sync.mjs), their pages rendered
// by Richie's own widgets (page.mjs), and Richie's course-run sync endpoint (sync.mjs). Standard
// library only.
import { createServer } from 'node:http';
import { courseRuns, coursePage, homePage, staticFile } from './page.mjs';
import { LMS_BACKENDS, catalogState, handleSync } from './sync.mjs';

const send = (res, status, body, type = 'application/json') => {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
};

/** A path no route takes: Django's HTML 404 page (django/views/defaults.py page_not_found), also under /api/. */
const notFound = (res) => send(res, 404, `<!doctype html>\n<html lang="en">\n<head>\n  <title>Not Found</title>\n</head>\n<body>\n  <h1>Not Found</h1><p>The requested resource was not found on this server.</p>\n</body>\n</html>\n`, 'text/html; charset=utf-8');

async function handle(req, res) {
  const url = new URL(req.url, 'http://catalog');
  if (url.pathname === '/health') return send(res, 200, 'ok', 'text/plain');
  // Richie's course-run sync endpoint and the demo's read-only view of its state.
  if (await handleSync(req, res)) return;
  // A page per course of the state: /en/courses/demo/ for the first, /en/courses/demo-2/ and on
  // after; every run of the course, public version (draft with ?draft).
  const match = /^\/en\/courses\/demo(?:-([2-9]|[1-9]\d+))?\/$/.exec(url.pathname);
  if (match && req.method === 'GET') {
    const index = match[1] ? Number(match[1]) - 1 : 0;
    const state = catalogState();
    const course = state.courses[index];
    if (course) {
      const draft = url.searchParams.has('draft');
      return send(res, 200, coursePage(course, { id: index + 1, runs: courseRuns(state, course, { draft }), draft }), 'text/html; charset=utf-8');
    }
  }
  if (url.pathname === '/' && req.method === 'GET') return send(res, 200, homePage(catalogState().courses), 'text/html; charset=utf-8');
  const asset = req.method === 'GET' ? staticFile(url.pathname) : undefined;
  if (asset) return send(res, 200, asset.body, asset.type);
  return notFound(res);
}

createServer((req, res) =>
  handle(req, res).catch((error) => {
    console.error(error);
    send(res, 500, { detail: 'Server error.' });
  }),
).listen(Number(process.env.PORT || 8000), () => console.log(`demo catalog, LMS backend ${LMS_BACKENDS[0]?.JS_BACKEND} at ${LMS_BACKENDS[0]?.BASE_URL}`));
