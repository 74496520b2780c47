/**
 * The demo lives in time: its runs are dated from the demo's clock when the apps start
 * (templates/demo-shared/runs.mjs and clock.mjs, one source for both images), so every state of
 * Richie's course-run UI is on the demo today and a year from now (RICHIE_DEV_DEMO_NOW), and the
 * demo LMS holds the same runs as the catalog: it enrolls where Richie offers enrollment and
 * refuses where Richie says enrollment is closed.
 *
 * The judge of a run's state is Richie's own rule, written here from richie
 * src/richie/apps/courses/models/course.py (CourseRun.compute_state), not imported from the demo.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { catalogEnv, lmsEnv } from '../../src/lms/env.js';
import { siteModel } from '../../src/lms/site.js';
import { ROOT, freePort } from '../helpers.js';
import { SECRETS, browser, demoLms } from './demo-lms.js';

const CATALOG_SERVER = join(ROOT, 'templates', 'images', 'demo-catalog', 'server.mjs');
const DAY = 86_400_000;
const { root, startLms, close } = demoLms();
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill();
  close();
});

type Dates = { start: string | null; end: string | null; enrollment_start: string | null; enrollment_end: string | null };
interface Run {
  course: string;
  sync_mode: string;
  draft: Dates & { resource_link: string; catalog_visibility: string };
  public: (Dates & { resource_link: string; catalog_visibility: string }) | null;
}

/** Richie's CourseRun.compute_state at `now` (models/course.py): no start or enrollment start → to be scheduled; a missing end is forever. */
function richieState(run: Dates, now: number): string {
  if (!run.start || !run.enrollment_start) return 'TO_BE_SCHEDULED';
  const start = Date.parse(run.start);
  const enrollmentStart = Date.parse(run.enrollment_start);
  const end = run.end ? Date.parse(run.end) : Infinity;
  const enrollmentEnd = run.enrollment_end ? Date.parse(run.enrollment_end) : Infinity;
  if (start < now) {
    if (end > now) return enrollmentStart <= now && now < enrollmentEnd ? 'ONGOING_OPEN' : 'ONGOING_CLOSED';
    return enrollmentStart < now && now < enrollmentEnd ? 'ARCHIVED_OPEN' : 'ARCHIVED_CLOSED';
  }
  if (enrollmentStart > now) return 'FUTURE_NOT_YET_OPEN';
  return enrollmentEnd > now ? 'FUTURE_OPEN' : 'FUTURE_CLOSED';
}
/** The states in which Richie's widget offers enrollment (richie-education js/utils/CourseRuns). */
const OPEN = ['ONGOING_OPEN', 'FUTURE_OPEN', 'ARCHIVED_OPEN'];

let count = 0;
async function startCatalog(env: Record<string, string>, data = join(root, `catalog-${count++}`)) {
  const port = await freePort();
  const child = spawn(process.execPath, [CATALOG_SERVER], { env: { PATH: process.env.PATH, ...env, PORT: String(port), RICHIE_DEV_DATA_DIR: data }, stdio: 'ignore' });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100 && !(await fetch(`${base}/health`).then((r) => r.ok, () => false)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  const state = async () => ((await (await fetch(`${base}/api/v1.0/course-runs/demo/state`)).json()) as { runs: Run[] }).runs;
  const stop = () => new Promise<void>((resolve) => (child.once('exit', () => resolve()), child.kill()));
  return { base, data, state, stop };
}

/** Both demo apps with the env files richie-dev renders, RICHIE_DEV_DEMO_NOW as given. */
async function demoAt(demoNow: string | undefined) {
  const model = await siteModel(parseConfig({}), { tls: true, backend: 'real', secret: 's'.repeat(64) });
  const catalog = await startCatalog(catalogEnv([model], { demoNow }));
  const lms = await startLms(lmsEnv(model, { secrets: SECRETS, demoNow, first: true }));
  return { model, catalog, lms };
}

describe('every state of the course-run UI, now and a year later', () => {
  for (const [label, demoNow] of [
    ['today (the real clock)', undefined],
    ['a year later (RICHIE_DEV_DEMO_NOW)', new Date(Date.now() + 365 * DAY).toISOString()],
  ] as const) {
    it(`${label}: one run in each state, the LMS enrolling exactly where Richie offers it`, async () => {
      const { model, catalog, lms } = await demoAt(demoNow);
      const now = demoNow ? Date.parse(demoNow) : Date.now();
      const runs = await catalog.state();
      const states = runs.map((r) => richieState(r.draft, now));
      expect(new Set(states)).toEqual(new Set(['ONGOING_OPEN', 'FUTURE_OPEN', 'FUTURE_NOT_YET_OPEN', 'ONGOING_CLOSED', 'ARCHIVED_OPEN', 'ARCHIVED_CLOSED', 'TO_BE_SCHEDULED']));
      // All on the first demo course, published; the sample run (the one the sample link names) is open now.
      expect(new Set(runs.map((r) => r.course))).toEqual(new Set(['DEMO']));
      const sample = runs.find((r) => r.draft.resource_link === model.sampleCourseUrl)!;
      expect(richieState(sample.draft, now)).toBe('ONGOING_OPEN');
      expect(Math.abs(Date.parse(sample.draft.start!) - (now - 30 * DAY))).toBeLessThan(3_600_000);
      // One hidden run, which Richie never lists (catalog_visibility from OpenEdX's "none").
      expect(runs.filter((r) => r.draft.catalog_visibility === 'hidden')).toHaveLength(1);
      for (const r of runs) expect(r.public).toEqual(r.draft);

      const { enroll } = await browser(lms);
      for (const r of runs) {
        const courseId = decodeURIComponent(new RegExp(model.regexes.javascript).exec(r.draft.resource_link)![1]!);
        const state = richieState(r.draft, now);
        const res = await enroll(courseId);
        // OpenEdX looks at the enrollment window only: a run with none is open to it (Richie lists it nowhere).
        const expected = courseId.endsWith('+invite-only') ? 400 : OPEN.includes(state) || state === 'TO_BE_SCHEDULED' ? 200 : 400;
        expect(res.status, `${courseId} (${state})`).toBe(expected);
      }
    });
  }
});

describe('a restart dates the demo runs again, except what a sync changed', () => {
  it('a year later on the same data: the sample run moves with the clock; a synced run keeps its dates', async () => {
    const model = await siteModel(parseConfig({}), { tls: true, backend: 'real', secret: 's'.repeat(64) });
    const t0 = '2026-10-01T00:00:00Z';
    const first = await startCatalog({ ...catalogEnv([model], { demoNow: t0 }), DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS: 'secret' });
    const closed = (await first.state()).find((r) => r.draft.resource_link.includes('+closed/'))!;
    const body = JSON.stringify({ resource_link: closed.draft.resource_link, start: '2030-01-01T00:00:00Z' });
    const { createHmac } = await import('node:crypto');
    const sync = await fetch(`${first.base}/api/v1.0/course-runs-sync`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: `SIG-HMAC-SHA256 ${createHmac('sha256', 'secret').update(body).digest('hex')}` } });
    expect(sync.status).toBe(200);
    await first.stop();

    const later = await startCatalog(catalogEnv([model], { demoNow: '2027-10-01T00:00:00Z' }), first.data);
    const runs = await later.state();
    expect(runs.find((r) => r.draft.resource_link === model.sampleCourseUrl)?.draft.start).toBe('2027-09-01T00:00:00Z');
    const synced = runs.find((r) => r.draft.resource_link === closed.draft.resource_link)!;
    expect([synced.draft.start, synced.draft.end]).toEqual(['2030-01-01T00:00:00Z', closed.draft.end]);
  });
});

describe('RICHIE_DEV_DEMO_NOW in the apps (templates/demo-shared/clock.mjs)', () => {
  it('a value that is no ISO 8601 instant stops each app at start, naming the variable', () => {
    for (const server of [CATALOG_SERVER, join(ROOT, 'templates', 'images', 'demo-lms', 'server.mjs')]) {
      for (const bad of ['tomorrow', '2027-12-06T10:00:00', '06/12/2027']) {
        const started = spawnSync(process.execPath, [server], { env: { PATH: process.env.PATH, PORT: '0', RICHIE_DEV_DATA_DIR: join(root, 'bad'), RICHIE_DEV_DEMO_NOW: bad }, encoding: 'utf8', timeout: 10_000 });
        expect(started.status, `${server} ${bad}`).toBe(1);
        expect(started.stderr).toContain(`RICHIE_DEV_DEMO_NOW is not an ISO 8601 date or date-time with an offset: ${bad}`);
      }
    }
  });
});
