// The demo catalog: a course per LMS whose run links to that LMS, its pages driven by Richie's own
// front end (page.mjs), and Richie's course-run sync endpoint (sync.mjs). Standard library only.
import { createServer } from 'node:http';
import { coursePage, homePage, staticFile } from './page.mjs';
import { LMS_BACKENDS, SAMPLE_LINKS, demoCourseRun, handleSync } from './sync.mjs';

const send = (res, status, body, type = 'application/json') => {
  res.statusCode = status;
  res.setHeader('content-type', type);
  res.end(typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body));
};

async function handle(req, res) {
  const url = new URL(req.url, 'http://catalog');
  if (url.pathname === '/health') return send(res, 200, 'ok', 'text/plain');
  // Richie's course-run sync endpoint and the demo's read-only view of its state.
  if (await handleSync(req, res)) return;
  // One course page per LMS: /en/courses/demo/ for the first, /en/courses/demo-2/ and on after.
  const course = /^\/en\/courses\/demo(?:-(\d+))?\/$/.exec(url.pathname);
  const index = course ? (course[1] ? Number(course[1]) - 1 : 0) : -1;
  if (index >= 0 && (index === 0 || (index >= 1 && index < SAMPLE_LINKS.length))) {
    const draft = url.searchParams.has('draft');
    return send(res, 200, coursePage(demoCourseRun({ draft, index }), { draft, title: index === 0 ? 'Demo course' : `Demo course ${index + 1}` }), 'text/html; charset=utf-8');
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
).listen(Number(process.env.PORT || 8000), () => console.log(`demo catalog, LMS backend ${LMS_BACKENDS[0]?.JS_BACKEND} at ${LMS_BACKENDS[0]?.BASE_URL}`));
