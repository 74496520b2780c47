/**
 * The demo catalog's course-run sync endpoint, run on the host (the same server.mjs and sync.mjs
 * the image runs), against what Richie's own view answers: status codes and bodies from
 * richie `src/richie/apps/courses/api.py` and its tests `tests/apps/courses/test_api_course_run_sync*.py`,
 * LMS selection from `lms/__init__.py` (re.match), course keys from `lms/edx.py`, codes from
 * `utils.py`, fields from `serializers.py` over the CourseRun model (`models/course.py`).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, freePort, hasTool, removeDir, tempDir } from '../helpers.js';

const SERVER = join(ROOT, 'templates', 'images', 'demo-catalog', 'server.mjs');
const LMS = 'https://edx.local.dev:8073';
const LINK = `${LMS}/courses/course-v1:richie+demo+2026/course/`;
const NEW_LINK = `${LMS}/courses/course-v1:richie+demo+2027/course/`;
const SECRET = 'shared secret';
// The demo's clock, fixed (templates/demo-shared/clock.mjs): the sample run is seeded from it
// (templates/demo-shared/runs.mjs: start 30 days before, end 60 days after), and a restart at the
// same instant seeds the same dates.
const DEMO_NOW = '2026-10-01T00:00:00Z';
const SEEDED_START = '2026-09-01T00:00:00Z';
const SEEDED_END = '2026-11-30T00:00:00Z';

// Richie's sandbox default COURSE_REGEX and its JavaScript equivalent under re.match, written by
// hand: anchored at the start by the translation.
const DEFAULT_REGEX = '^.*/courses/(?P<course_id>.*)/course/?$';
const DEFAULT_MATCH = { source: '^(?:^.*/courses/(?<course_id>.*)/course/?$)', flags: '' };

interface Backend {
  BASE_URL: string;
  BACKEND: string;
  COURSE_REGEX: string;
  JS_BACKEND: string;
  JS_COURSE_REGEX: string;
  JS_NEXT_URL: string;
  COURSE_RUN_SYNC_NO_UPDATE_FIELDS: string[];
  DEFAULT_COURSE_RUN_SYNC_MODE: string;
}
/** One RICHIE_LMS_BACKENDS entry as Richie's settings hold it, and its re.match translation. */
function lms(overrides: Partial<Backend> = {}, match = DEFAULT_MATCH): { backend: Backend; match: { source: string; flags: string } } {
  return {
    backend: {
      BASE_URL: LMS,
      BACKEND: 'richie.apps.courses.lms.edx.EdXLMSBackend',
      COURSE_REGEX: DEFAULT_REGEX,
      JS_BACKEND: 'openedx-hawthorn',
      JS_COURSE_REGEX: '^.*/courses/(.*)/course/?$',
      JS_NEXT_URL: 'richie',
      COURSE_RUN_SYNC_NO_UPDATE_FIELDS: [],
      DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_public',
      ...overrides,
    },
    match,
  };
}

type Version = Record<string, unknown>;
interface Run {
  course: string;
  sync_mode: string;
  draft: Version;
  public: Version | null;
}

describe('demo catalog: course run sync, as Richie answers it', () => {
  const root = tempDir();
  const children: ChildProcess[] = [];
  let count = 0;
  afterAll(() => {
    for (const child of children) child.kill();
    removeDir(root);
  });

  interface Options {
    backends?: ReturnType<typeof lms>[];
    secrets?: string | null;
    sample?: string;
    data?: string;
  }
  /** Starts a demo catalog; returns its base URL and its data directory (to restart on it). */
  async function catalog({ backends = [lms()], secrets = `other, ${SECRET}`, sample = LINK, data = join(root, `catalog-${count++}`) }: Options = {}) {
    const port = await freePort();
    const env: Record<string, string> = { PATH: process.env.PATH ?? '', PORT: String(port), RICHIE_DEV_DATA_DIR: data, RICHIE_DEV_DEMO_NOW: DEMO_NOW, RICHIE_DEV_SAMPLE_COURSE_URL: sample, RICHIE_DEV_LMS_BACKENDS: JSON.stringify(backends.map((b) => b.backend)), RICHIE_DEV_COURSE_REGEX_MATCH: JSON.stringify(backends.map((b) => b.match)) };
    if (secrets !== null) env.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS = secrets;
    const child = spawn(process.execPath, [SERVER], { env, stdio: 'ignore' });
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (await fetch(`${base}/health`).then((r) => r.ok, () => false)) return { base, data, stop: () => stopChild(child) };
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('demo catalog did not start');
  }
  const stopChild = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill();
    });

  /** Richie's get_signature: `SIG-HMAC-SHA256 <hex>` of the UTF-8 body. */
  const sign = (body: string, secret = SECRET) => `SIG-HMAC-SHA256 ${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
  async function push(base: string, payload: unknown, { secret = SECRET, authorization }: { secret?: string; authorization?: string | null } = {}) {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (authorization !== null) headers.authorization = authorization ?? sign(body, secret);
    const res = await fetch(`${base}/api/v1.0/course-runs-sync`, { method: 'POST', body, headers });
    return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as unknown };
  }
  const demo = async (base: string) => (await (await fetch(`${base}/api/v1.0/course-runs/demo`)).json()) as Run;
  const runs = async (base: string) => ((await (await fetch(`${base}/api/v1.0/course-runs/demo/state`)).json()) as { runs: Run[] }).runs;
  const run = async (base: string, link: string) => (await runs(base)).find((r) => r.draft.resource_link === link);
  const OK = { status: 200, type: 'application/json', body: { success: true } };
  const bad = (body: unknown) => ({ status: 400, type: 'application/json', body });

  describe('authentication (api.py: 403 without the header, 401 for a wrong signature)', () => {
    it('no Authorization header: 403 with the JSON string "Missing authentication."; nothing changes', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: LINK, start: '2030-01-01T00:00:00Z' }, { authorization: null })).toEqual({ status: 403, type: 'application/json', body: 'Missing authentication.' });
      expect((await demo(base)).draft.start).toBe(SEEDED_START);
    });

    it('a wrong signature, an upper-case hex digest or another scheme: 401 "Invalid authentication."', async () => {
      const { base } = await catalog();
      const payload = { resource_link: LINK, start: '2030-01-01T00:00:00Z' };
      const invalid = { status: 401, type: 'application/json', body: 'Invalid authentication.' };
      expect(await push(base, payload, { secret: 'wrong' })).toEqual(invalid);
      // Richie compares the whole header with hexdigest(): lower case, one space.
      const good = sign(JSON.stringify(payload));
      expect(await push(base, payload, { authorization: good.replace(/[a-f]/g, (c) => c.toUpperCase()) })).toEqual(invalid);
      expect(await push(base, payload, { authorization: good.replace(' ', '  ') })).toEqual(invalid);
      expect(await push(base, payload, { authorization: 'invalid authorization' })).toEqual(invalid);
      expect((await demo(base)).draft.start).toBe(SEEDED_START);
    });

    it('DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS is a comma-separated list (ListValue strips items): any of them signs; the HMAC covers the UTF-8 body', async () => {
      const { base } = await catalog({ secrets: ' first ,, shared secret ' });
      expect(await push(base, { resource_link: LINK, discount: '−10 €' })).toEqual(OK);
      expect(await push(base, { resource_link: LINK, discount: '−20 €' }, { secret: 'first' })).toEqual(OK);
      expect((await demo(base)).draft.discount).toBe('−20 €');
    });

    it('no secrets configured: every signature is invalid (401)', async () => {
      const { base } = await catalog({ secrets: null });
      expect(await push(base, { resource_link: LINK })).toEqual({ status: 401, type: 'application/json', body: 'Invalid authentication.' });
    });

    it('the old name RICHIE_COURSE_RUN_SYNC_SECRETS is not read', async () => {
      const port = await freePort();
      const child = spawn(process.execPath, [SERVER], { env: { PATH: process.env.PATH ?? '', PORT: String(port), RICHIE_DEV_DATA_DIR: join(root, `old-${count++}`), RICHIE_DEV_SAMPLE_COURSE_URL: LINK, RICHIE_COURSE_RUN_SYNC_SECRETS: SECRET }, stdio: 'ignore' });
      children.push(child);
      const base = `http://127.0.0.1:${port}`;
      for (let i = 0; i < 100 && !(await fetch(`${base}/health`).then((r) => r.ok, () => false)); i++) await new Promise((resolve) => setTimeout(resolve, 50));
      expect((await push(base, { resource_link: LINK })).status).toBe(401);
    });
  });

  describe('payloads: one run or a list (api.py)', () => {
    it('one object: 200 {"success": true}; without resource_link (or an empty one): 400 {"resource_link": ["This field is required."]}', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: LINK, enrollment_count: 3 })).toEqual(OK);
      expect(await push(base, { start: '2030-01-01T00:00:00Z', languages: ['en'] })).toEqual(bad({ resource_link: ['This field is required.'] }));
      expect(await push(base, { resource_link: '', languages: ['en'] })).toEqual(bad({ resource_link: ['This field is required.'] }));
      expect((await demo(base)).draft.enrollment_count).toBe(3);
    });

    it('a list: 200 with {<resource_link>: {"success": true}} for each', async () => {
      const { base } = await catalog();
      const res = await push(base, [
        { resource_link: LINK, enrollment_count: 5 },
        { resource_link: NEW_LINK, languages: ['fr'] },
      ]);
      expect(res).toEqual({ status: 200, type: 'application/json', body: { [LINK]: { success: true }, [NEW_LINK]: { success: true } } });
      expect((await demo(base)).public?.enrollment_count).toBe(5);
      expect((await run(base, NEW_LINK))?.draft.languages).toEqual(['fr']);
    });

    it('a list where one fails: 400 with that run\'s errors under its link, the others applied', async () => {
      const { base } = await catalog();
      const res = await push(base, [
        { resource_link: NEW_LINK, start: 1, languages: ['en'] },
        { resource_link: LINK, enrollment_count: 46782 },
        { resource_link: 'https://elsewhere.example/run/1', languages: ['en'] },
      ]);
      expect(res).toEqual(
        bad({
          [NEW_LINK]: { start: ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'] },
          [LINK]: { success: true },
          'https://elsewhere.example/run/1': { resource_link: ['No LMS configuration found for this resource link.'] },
        }),
      );
      expect((await demo(base)).draft.enrollment_count).toBe(46782);
      expect(await run(base, NEW_LINK)).toBeUndefined();
    });

    it('a list where any item lacks resource_link: 400 {"resource_link": ["This field is required."]} and no item is applied', async () => {
      const { base } = await catalog();
      expect(await push(base, [{ resource_link: LINK, enrollment_count: 9 }, { enrollment_count: 1 }])).toEqual(bad({ resource_link: ['This field is required.'] }));
      expect((await demo(base)).draft.enrollment_count).toBe(0);
    });

    it('only POST: GET answers 405 as DRF does; the optional trailing slash of `course-runs-sync/?$` is accepted', async () => {
      const { base } = await catalog();
      const get = await fetch(`${base}/api/v1.0/course-runs-sync`);
      expect([get.status, await get.json()]).toEqual([405, { detail: 'Method "GET" not allowed.' }]);
      const body = JSON.stringify({ resource_link: LINK, enrollment_count: 2 });
      const slash = await fetch(`${base}/api/v1.0/course-runs-sync/`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: sign(body) } });
      expect([slash.status, await slash.json()]).toEqual([200, { success: true }]);
    });
  });

  describe('the LMS: the first backend whose COURSE_REGEX matches under re.match (lms/__init__.py)', () => {
    it('no backend matches: 400 "No LMS configuration found for this resource link."', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: 'https://edx.local.dev:8073/courses/course-v1:richie+demo+2026/about', languages: ['en'] })).toEqual(bad({ resource_link: ['No LMS configuration found for this resource link.'] }));
    });

    it('a COURSE_REGEX without a leading ^.* matches no absolute URL (re.match anchors at the start): the next backend is used', async () => {
      // A JavaScript search would match the first one; Python's re.match does not.
      const unanchored = lms({ COURSE_REGEX: '/courses/(?P<course_id>.*)/course/?$', DEFAULT_COURSE_RUN_SYNC_MODE: 'manual' }, { source: '^(?:/courses/(?<course_id>.*)/course/?$)', flags: '' });
      const second = lms({ DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_draft' });
      const { base } = await catalog({ backends: [unanchored, second] });
      expect(await push(base, { resource_link: NEW_LINK, languages: ['en'] })).toEqual(OK);
      expect((await run(base, NEW_LINK))?.sync_mode).toBe('sync_to_draft');
      // Only unanchored: nothing matches.
      const { base: alone } = await catalog({ backends: [unanchored] });
      expect(await push(alone, { resource_link: NEW_LINK, languages: ['en'] })).toEqual(bad({ resource_link: ['No LMS configuration found for this resource link.'] }));
    });

    it('when two backends match, the first one\'s settings apply', async () => {
      const { base } = await catalog({ backends: [lms({ DEFAULT_COURSE_RUN_SYNC_MODE: 'manual' }), lms({ DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_public' })] });
      expect(await push(base, { resource_link: NEW_LINK, languages: ['en'] })).toEqual(bad({ resource_link: ['Unknown course run when creation is deactivated.'] }));
    });

    it('the course id is the course_id group of that match; org/course/run keys work as course-v1 ones', async () => {
      const info = lms({ COURSE_REGEX: '^.*/courses/(?P<course_id>.*)/info/?$' }, { source: '^(?:^.*/courses/(?<course_id>.*)/info/?$)', flags: '' });
      const { base } = await catalog({ backends: [info], sample: `${LMS}/courses/richie/demo/2026/info` });
      const old = `${LMS}/courses/richie/demo/2027/info`;
      expect(await push(base, { resource_link: old, languages: ['en'] })).toEqual(OK);
      expect((await run(base, old))?.course).toBe('DEMO');
    });
  });

  describe('courses: found by the normalised code of the course key (edx.py split_course_key, utils.py normalize_code)', () => {
    it('the demo course\'s code comes from the sample URL\'s course key', async () => {
      const { base } = await catalog();
      expect((await demo(base)).course).toBe('DEMO');
      expect(await push(base, { resource_link: `${LMS}/courses/course-v1:another-org+Demo+T1/course/`, languages: ['en'] })).toEqual(OK);
    });

    it('an unknown course: 400 "Unknown course: <CODE>." with the code slugified and upper-cased', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: `${LMS}/courses/course-v1:edX+DemoX+01/course/`, languages: ['en'] })).toEqual(bad({ resource_link: ['Unknown course: DEMOX.'] }));
      expect(await push(base, { resource_link: `${LMS}/courses/course-v1:edX+Dé mo!_x+01/course/`, languages: ['en'] })).toEqual(bad({ resource_link: ['Unknown course: DÉ-MO_X.'] }));
    });

    it('a course key that does not split in three: Richie fails with a 500 (ValueError), the demo too', async () => {
      const { base } = await catalog();
      const body = JSON.stringify({ resource_link: `${LMS}/courses/course-v1:richie+demo/course/`, languages: ['en'] });
      const res = await fetch(`${base}/api/v1.0/course-runs-sync`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: sign(body) } });
      expect(res.status).toBe(500);
    });

    it('BaseLMSBackend (richie-dev\'s fake backend) has no extract_course_code: creating a run is a 500 in Richie, updating works', async () => {
      const { base } = await catalog({ backends: [lms({ BACKEND: 'richie.apps.courses.lms.base.BaseLMSBackend' })] });
      const body = JSON.stringify({ resource_link: NEW_LINK, languages: ['en'] });
      const res = await fetch(`${base}/api/v1.0/course-runs-sync`, { method: 'POST', body, headers: { 'content-type': 'application/json', authorization: sign(body) } });
      expect(res.status).toBe(500);
      expect(await run(base, NEW_LINK)).toBeUndefined();
      expect(await push(base, { resource_link: LINK, enrollment_count: 4 })).toEqual(OK);
    });
  });

  describe('sync modes: each run\'s own sync_mode (model default manual), the LMS default only for new runs (api.py)', () => {
    it('the demo run starts with the first LMS\'s DEFAULT_COURSE_RUN_SYNC_MODE, both versions the same', async () => {
      const { base } = await catalog({ backends: [lms({ DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_draft' })] });
      const state = await demo(base);
      expect(state.sync_mode).toBe('sync_to_draft');
      expect(state.public).toEqual(state.draft);
      expect(state.draft).toMatchObject({ resource_link: LINK, languages: ['en'], enrollment_count: 0, catalog_visibility: 'course_and_search', price_currency: 'EUR' });
    });

    it('sync_to_public: draft and public both updated, and the course page shows it', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: LINK, start: '2027-01-01T00:00:00Z' })).toEqual(OK);
      const state = await demo(base);
      expect([state.draft.start, state.public?.start]).toEqual(['2027-01-01T00:00:00Z', '2027-01-01T00:00:00Z']);
      expect(await (await fetch(`${base}/en/courses/demo/`)).text()).toContain('2027-01-01T00:00:00Z');
    });

    it('sync_to_draft: only the draft; the public page keeps the published value', async () => {
      const { base } = await catalog({ backends: [lms({ DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_draft' })] });
      expect(await push(base, { resource_link: LINK, end: '2027-06-30T00:00:00Z' })).toEqual(OK);
      const state = await demo(base);
      expect([state.draft.end, state.public?.end]).toEqual(['2027-06-30T00:00:00Z', SEEDED_END]);
      expect(await (await fetch(`${base}/en/courses/demo/`)).text()).not.toContain('2027-06-30T00:00:00Z');
      expect(await (await fetch(`${base}/en/courses/demo/?draft`)).text()).toContain('2027-06-30T00:00:00Z');
    });

    it('manual: an existing run answers 200 {"success": true} and is not changed; a new run is refused (400)', async () => {
      const { base } = await catalog({ backends: [lms({ DEFAULT_COURSE_RUN_SYNC_MODE: 'manual' })] });
      expect((await demo(base)).sync_mode).toBe('manual');
      expect(await push(base, { resource_link: LINK, start: '2030-01-01T00:00:00Z' })).toEqual(OK);
      expect((await demo(base)).draft.start).toBe(SEEDED_START);
      expect(await push(base, { resource_link: NEW_LINK, languages: ['en'] })).toEqual(bad({ resource_link: ['Unknown course run when creation is deactivated.'] }));
      // Data is validated even for a run that will not be updated.
      expect(await push(base, { resource_link: LINK, start: 'soon' })).toEqual(bad({ start: ['Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].'] }));
    });

    it('an existing run keeps its own mode when the LMS default changes (state persists across restarts)', async () => {
      const manual = await catalog({ backends: [lms({ DEFAULT_COURSE_RUN_SYNC_MODE: 'manual' })] });
      await manual.stop();
      const publicNow = await catalog({ data: manual.data });
      expect(await push(publicNow.base, { resource_link: LINK, start: '2030-01-01T00:00:00Z' })).toEqual(OK);
      expect((await demo(publicNow.base)).draft.start).toBe(SEEDED_START);

      const draft = await catalog({ backends: [lms({ DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_draft' })] });
      await draft.stop();
      const later = await catalog({ data: draft.data });
      expect(await push(later.base, { resource_link: LINK, start: '2030-01-01T00:00:00Z' })).toEqual(OK);
      const state = await demo(later.base);
      expect([state.sync_mode, state.draft.start, state.public?.start]).toEqual(['sync_to_draft', '2030-01-01T00:00:00Z', SEEDED_START]);
    });

    it('creation with sync_to_public: draft and public runs, sync_mode sync_to_public, model defaults for what was not sent', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: NEW_LINK, languages: ['fr', 'en', 'fr'], start: '2027-01-01T00:00:00Z' })).toEqual(OK);
      const created = await run(base, NEW_LINK);
      expect(created?.sync_mode).toBe('sync_to_public');
      expect(created?.course).toBe('DEMO');
      expect(created?.draft).toMatchObject({ languages: ['en', 'fr'], start: '2027-01-01T00:00:00Z', end: null, enrollment_count: 0, catalog_visibility: 'course_and_search', price: null, price_currency: 'EUR' });
      expect(created?.public).toEqual(created?.draft);
    });

    it('creation with sync_to_draft: a draft run only', async () => {
      const { base } = await catalog({ backends: [lms({ DEFAULT_COURSE_RUN_SYNC_MODE: 'sync_to_draft' })] });
      expect(await push(base, { resource_link: NEW_LINK, languages: ['en'] })).toEqual(OK);
      const created = await run(base, NEW_LINK);
      expect([created?.sync_mode, created?.public]).toEqual(['sync_to_draft', null]);
    });

    it('languages are required to create a run, not to update one (partial)', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: NEW_LINK, start: '2027-01-01T00:00:00Z' })).toEqual(bad({ languages: ['This field is required.'] }));
      expect(await push(base, { resource_link: LINK, start: '2027-01-01T00:00:00Z' })).toEqual(OK);
    });
  });

  describe('COURSE_RUN_SYNC_NO_UPDATE_FIELDS: dropped whenever the run exists (api.py)', () => {
    it('the first push to an existing run does not set them; a created run takes them, later pushes do not', async () => {
      const { base } = await catalog({ backends: [lms({ COURSE_RUN_SYNC_NO_UPDATE_FIELDS: ['enrollment_count', 'start'] })] });
      expect(await push(base, { resource_link: LINK, enrollment_count: 5, start: '2027-01-01T00:00:00Z', end: '2027-06-30T00:00:00Z' })).toEqual(OK);
      expect((await demo(base)).public).toMatchObject({ enrollment_count: 0, start: SEEDED_START, end: '2027-06-30T00:00:00Z' });

      expect(await push(base, { resource_link: NEW_LINK, languages: ['en'], enrollment_count: 7 })).toEqual(OK);
      expect(await push(base, { resource_link: NEW_LINK, enrollment_count: 9 })).toEqual(OK);
      expect((await run(base, NEW_LINK))?.public?.enrollment_count).toBe(7);
    });
  });

  describe('catalog_visibility (edx.py VISIBILITY_MAPPING, then the model\'s choices)', () => {
    it('OpenEdX values are mapped: both → course_and_search, about → course_only, none → hidden; Richie\'s own values pass', async () => {
      const { base } = await catalog();
      for (const [sent, stored] of [['about', 'course_only'], ['none', 'hidden'], ['both', 'course_and_search'], ['hidden', 'hidden'], ['course_only', 'course_only']]) {
        expect(await push(base, { resource_link: LINK, catalog_visibility: sent })).toEqual(OK);
        expect((await demo(base)).public?.catalog_visibility).toBe(stored);
      }
    });

    it('an unknown value: 400 \'"<value>" is not a valid choice.\'', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: LINK, catalog_visibility: 'public' })).toEqual(bad({ catalog_visibility: ['"public" is not a valid choice.'] }));
      expect(await push(base, { resource_link: LINK, catalog_visibility: null })).toEqual(bad({ catalog_visibility: ['This field may not be null.'] }));
    });

    it('only the EdX backend maps: with BaseLMSBackend, "both" is not a valid choice', async () => {
      const { base } = await catalog({ backends: [lms({ BACKEND: 'richie.apps.courses.lms.base.BaseLMSBackend' })] });
      expect(await push(base, { resource_link: LINK, catalog_visibility: 'both' })).toEqual(bad({ catalog_visibility: ['"both" is not a valid choice.'] }));
    });
  });

  describe('field validation (SyncCourseRunSerializer, DRF\'s messages)', () => {
    const DATE_FORMAT = 'Datetime has wrong format. Use one of these formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].';

    it('dates: ISO 8601 as Django parses it; without an offset, Richie\'s TIME_ZONE (Europe/Paris); stored in UTC', async () => {
      const { base } = await catalog();
      const cases: [unknown, string | null][] = [
        ['2027-01-01T00:00:00Z', '2027-01-01T00:00:00Z'],
        ['2027-07-01T12:00:00', '2027-07-01T10:00:00Z'],
        ['2027-01-01', '2026-12-31T23:00:00Z'],
        ['2027-01-01T09:30:00.5+05:30', '2027-01-01T04:00:00.500000Z'],
        ['2027-1-2 3:04', '2027-01-02T02:04:00Z'],
        [1, null],
        ['2027-13-01T00:00:00Z', null],
        ['2027-02-29T00:00:00Z', null],
        ['01/02/2027', null],
      ];
      for (const [sent, stored] of cases) {
        const res = await push(base, { resource_link: LINK, enrollment_start: sent });
        if (stored === null) expect(res).toEqual(bad({ enrollment_start: [DATE_FORMAT] }));
        else {
          expect(res).toEqual(OK);
          expect((await demo(base)).draft.enrollment_start).toBe(stored);
        }
      }
      expect(await push(base, { resource_link: LINK, end: null })).toEqual(OK);
      expect((await demo(base)).draft.end).toBeNull();
    });

    it('languages: a list of Django language codes', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: LINK, languages: 'en' })).toEqual(bad({ languages: ['Expected a list of items but got type "str".'] }));
      expect(await push(base, { resource_link: LINK, languages: ['en', 'xx'] })).toEqual(bad({ languages: ['"xx" is not a valid choice.'] }));
      expect(await push(base, { resource_link: LINK, languages: null })).toEqual(bad({ languages: ['This field may not be null.'] }));
      expect(await push(base, { resource_link: LINK, languages: ['pt-br', 'de', 'zh-hans'] })).toEqual(OK);
      expect((await demo(base)).draft.languages).toEqual(['de', 'pt-br', 'zh-hans']);
    });

    it('enrollment_count: an integer from 0 to 2147483647', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: LINK, enrollment_count: -1 })).toEqual(bad({ enrollment_count: ['Ensure this value is greater than or equal to 0.'] }));
      expect(await push(base, { resource_link: LINK, enrollment_count: 2147483648 })).toEqual(bad({ enrollment_count: ['Ensure this value is less than or equal to 2147483647.'] }));
      expect(await push(base, { resource_link: LINK, enrollment_count: 'many' })).toEqual(bad({ enrollment_count: ['A valid integer is required.'] }));
      expect(await push(base, { resource_link: LINK, enrollment_count: 1.5 })).toEqual(bad({ enrollment_count: ['A valid integer is required.'] }));
      expect(await push(base, { resource_link: LINK, enrollment_count: null })).toEqual(bad({ enrollment_count: ['This field may not be null.'] }));
      expect(await push(base, { resource_link: LINK, enrollment_count: '42' })).toEqual(OK);
      expect((await demo(base)).draft.enrollment_count).toBe(42);
    });

    it('prices and offers: decimals of 9 digits with 2 places, the model\'s offer choices, short discounts', async () => {
      const { base } = await catalog();
      expect(await push(base, { resource_link: LINK, price: '1.234' })).toEqual(bad({ price: ['Ensure that there are no more than 2 decimal places.'] }));
      expect(await push(base, { resource_link: LINK, price: '1234567890' })).toEqual(bad({ price: ['Ensure that there are no more than 9 digits in total.'] }));
      expect(await push(base, { resource_link: LINK, price: '12345678' })).toEqual(bad({ price: ['Ensure that there are no more than 7 digits before the decimal point.'] }));
      expect(await push(base, { resource_link: LINK, certificate_price: 'free' })).toEqual(bad({ certificate_price: ['A valid number is required.'] }));
      expect(await push(base, { resource_link: LINK, offer: 'gift' })).toEqual(bad({ offer: ['"gift" is not a valid choice.'] }));
      expect(await push(base, { resource_link: LINK, certificate_offer: 'partially_free' })).toEqual(bad({ certificate_offer: ['"partially_free" is not a valid choice.'] }));
      expect(await push(base, { resource_link: LINK, discount: 'x'.repeat(21) })).toEqual(bad({ discount: ['Ensure this field has no more than 20 characters.'] }));
      expect(await push(base, { resource_link: LINK, price_currency: '' })).toEqual(bad({ price_currency: ['This field may not be blank.'] }));
      expect(await push(base, { resource_link: LINK, price: 59.9, offer: 'paid', discount: '-10%', certificate_price: '' })).toEqual(OK);
      expect((await demo(base)).draft).toMatchObject({ price: '59.90', offer: 'paid', discount: '-10%', certificate_price: null });
    });

    it('every invalid field is reported at once, and nothing is applied', async () => {
      const { base } = await catalog();
      const res = await push(base, { resource_link: LINK, start: 'tomorrow', languages: ['klingon'], enrollment_count: -3, catalog_visibility: 'everywhere', end: '2030-01-01T00:00:00Z' });
      expect(res).toEqual(
        bad({
          start: [DATE_FORMAT],
          languages: ['"klingon" is not a valid choice.'],
          enrollment_count: ['Ensure this value is greater than or equal to 0.'],
          catalog_visibility: ['"everywhere" is not a valid choice.'],
        }),
      );
      expect((await demo(base)).draft.end).toBe(SEEDED_END);
    });
  });

  describe('dates against real Python', () => {
    // Django's parse_datetime (django/utils/dateparse.py, Django 4.2): datetime.fromisoformat,
    // then its regex; DRF makes naive values aware in TIME_ZONE. Richie's image runs Python 3.11.
    const PYTHON = `
import datetime, json, re, sys
from zoneinfo import ZoneInfo
if sys.version_info[:2] != (3, 11):
    print(json.dumps("skip")); sys.exit()
R = re.compile(r"(?P<year>\\d{4})-(?P<month>\\d{1,2})-(?P<day>\\d{1,2})[T ](?P<hour>\\d{1,2}):(?P<minute>\\d{1,2})(?::(?P<second>\\d{1,2})(?:[.,](?P<microsecond>\\d{1,6})\\d{0,6})?)?\\s*(?P<tzinfo>Z|[+-]\\d{2}(?::?\\d{2})?)?$")
def parse(v):
    try:
        return datetime.datetime.fromisoformat(v)
    except ValueError:
        m = R.match(v)
        if not m:
            return None
        kw = m.groupdict()
        kw["microsecond"] = kw["microsecond"] and kw["microsecond"].ljust(6, "0")
        tz = kw.pop("tzinfo")
        if tz == "Z":
            tz = datetime.timezone.utc
        elif tz is not None:
            minutes = 60 * int(tz[1:3]) + (int(tz[-2:]) if len(tz) > 3 else 0)
            tz = datetime.timezone(datetime.timedelta(minutes=-minutes if tz[0] == "-" else minutes))
        return datetime.datetime(**{k: int(v) for k, v in kw.items() if v is not None}, tzinfo=tz)
out = []
for v in json.load(sys.stdin):
    try:
        d = parse(v)
    except (ValueError, TypeError):
        d = None
    if d is not None and d.tzinfo is None:
        d = d.replace(tzinfo=ZoneInfo("Europe/Paris"))
    out.append(None if d is None else d.astimezone(datetime.timezone.utc).isoformat().replace("+00:00", "Z"))
print(json.dumps(out))
`;
    const CORPUS = ['2026-09-01', '2026-09-01T00:00', '2026-09-01T00', '20260901T000000Z', '2026-09-01T00:00:00.1234567Z', '2026-09-01 00:00:00+0100', '2026-09-01x00:00', '2026-09-01é00:00', '2026-W01', '2026W011', '2026-09-01T00:00:00+01:00:30.5', '2026-09-01T0000', '2026-09-01T00:0000', '2026-09-01T24:00', '2026-09-01T00:00:00,5', '2026-09-01T00:00Z ', '2026-09-01T00:00:00+24:00', '2026-09', '2026-09-01T00:00:00-00:00', '2026-9-1T0:0', '2026-9-1 0:0:0.5 +0200', '2026-09-01T00:00:00+23:59', '2020-12-09T09:31:59.417817Z', '2026-02-29T00:00:00Z', '2024-02-29T00:00:00Z', '2026-03-29T02:30:00', '2026-10-25T02:30:00', '2026-07-01T12:00:00', '2026-09-01T00000012', '2026-09-01T000000.5Z', '2026-09-01T00:00:00.Z', '2026-09-01T00:00:00.', '2026-09-01T', '2026-09-01T00:00:00Z\n', '2026-09-01T00:00+01', '2026-09-01T00:00-0130', '2026-W53', '2020-W53-7', '2026-W01-8', '2026-W00', '9999-12-31T23:59:59Z', '2026-13-01', '2026-09-31', 'abc', '', '2026-09-01T00:00:60', '2026-09-01T1', '2026-09-01 00:00 Z', '2026-09-01t00:00:00z', '2026-09-01T00:00:00 +01:00'];

    it.skipIf(!hasTool('python3'))('the demo parses, rejects and converts each date as Python 3.11 and Django do', async () => {
      const python = JSON.parse(execFileSync('python3', ['-c', PYTHON], { input: JSON.stringify(CORPUS) }).toString()) as (string | null)[] | 'skip';
      if (python === 'skip') return;
      const { base } = await catalog();
      const seen: unknown[] = [];
      for (const value of CORPUS) {
        const res = await push(base, { resource_link: LINK, start: value });
        seen.push(res.status === 200 ? (await demo(base)).draft.start : null);
      }
      expect(seen).toEqual(python);
    });
  });
});
