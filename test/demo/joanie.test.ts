/**
 * The demo Joanie (templates/images/demo-joanie/server.mjs) run on the host with the settings
 * richie-dev renders (src/render/joanie.ts), beside the demo LMS with Fonzie and the demo catalog,
 * each answer compared with the openfun/joanie source it comes from (named in each test).
 * Only the addresses change for the host: Joanie reaches the catalog and the LMS on loopback
 * (in the stack, through nginx under their public names), and the LMS accepts that Host.
 */
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { catalogEnv, lmsEnv } from '../../src/lms/env.js';
import { siteModels } from '../../src/lms/site.js';
import { joanieEnv, joanieModel, withJoanieCatalogEnv } from '../../src/render/joanie.js';
import { ROOT } from '../helpers.js';
import { CATALOG, COURSE, SECRETS, demoLms, logIn, type Lms } from './demo-lms.js';

const JOANIE_SERVER = join(ROOT, 'templates', 'images', 'demo-joanie', 'server.mjs');
const CATALOG_SERVER = join(ROOT, 'templates', 'images', 'demo-catalog', 'server.mjs');
const SYNC_SECRET = 's'.repeat(64);
const JOANIE = 'https://joanie.local.dev:8071';

const { startLms, startApp: start, close } = demoLms();
afterAll(close);

interface Enrollment {
  id: string;
  is_active: boolean;
  state: string;
  was_created_by_order: boolean;
  course_run: { id: string; resource_link: string; state: { priority: number; text: string } };
}
type Page<T> = { count: number; next: null; previous: null; results: T[] };
interface CatalogRun {
  course: string;
  sync_mode: string;
  draft: Record<string, unknown>;
  public: Record<string, unknown> | null;
}

describe('demo Joanie, as Joanie answers Richie’s front end', () => {
  let lms: Lms;
  let catalog: string;
  let joanie: string;
  let rendered: { catalog: Record<string, string>; joanie: Record<string, string> };
  let token: string;
  const call = (path: string, init: { method?: string; body?: unknown; token?: string | null } = {}) =>
    fetch(`${joanie}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...(init.token === null ? {} : { authorization: `Bearer ${init.token ?? token}` }), ...(init.body ? { 'content-type': 'application/json' } : {}), origin: CATALOG },
      ...(init.body ? { body: JSON.stringify(init.body) } : {}),
    });
  /** The catalog's runs that came from Joanie (their resource_link on Joanie's API). */
  const joanieRuns = async () => ((await (await fetch(`${catalog}/api/v1.0/course-runs/demo/state`)).json()) as { runs: CatalogRun[] }).runs.filter((r) => String(r.draft.resource_link).startsWith(JOANIE));
  const runId = (run: CatalogRun) => /\/course-runs\/([^/]+)\/$/.exec(String(run.draft.resource_link))![1]!;
  /** The run Joanie serves for a demo run of the LMS (templates/demo-shared/runs.mjs), by its course id. */
  async function runFor(courseId: string): Promise<string> {
    for (const run of await joanieRuns()) {
      const body = (await (await call(`/api/v1.0/course-runs/${runId(run)}/`, { token: null })).json()) as Enrollment['course_run'];
      if (body.resource_link.includes(`/courses/${courseId}/`)) return body.id;
    }
    throw new Error(`no Joanie run for ${courseId}`);
  }
  const lmsEnrollment = async (courseId: string) => (await (await lms(`/api/enrollment/v1/enrollment/student,${courseId}`, { headers: { 'x-edx-api-key': SECRETS.edxApiKey } })).text());

  beforeAll(async () => {
    const config = parseConfig({ lms: { fonzie: true }, joanie: {} });
    const models = await siteModels(config, { tls: true, backend: 'real', secret: SYNC_SECRET });
    const model = models[0]!;
    const j = joanieModel(config, model)!;
    rendered = { catalog: withJoanieCatalogEnv(catalogEnv(models), j), joanie: joanieEnv(j, model, SECRETS) };
    catalog = await start(CATALOG_SERVER, rendered.catalog, 'catalog');
    const lmsSettings = lmsEnv(model, { secrets: SECRETS, first: true });
    lms = await startLms({ ...lmsSettings, ALLOWED_HOSTS: JSON.stringify(['edx.local.dev', '127.0.0.1']) });
    const [backend] = JSON.parse(rendered.joanie.JOANIE_LMS_BACKENDS!) as Record<string, string>[];
    joanie = await start(
      JOANIE_SERVER,
      {
        ...rendered.joanie,
        DJANGO_COURSE_WEB_HOOKS: JSON.stringify([{ url: `${catalog}/api/v1.0/course-runs-sync`, secret: SYNC_SECRET, verify: true }]),
        JOANIE_LMS_BACKENDS: JSON.stringify([{ ...backend, BASE_URL: lms.base, SELECTOR_REGEX: '^http://127\\.0\\.0\\.1:[0-9]+/courses/.*$' }]),
      },
      'joanie',
    );
    const me = await lms('/api/v1.0/user/me', { headers: { cookie: await logIn(lms), origin: CATALOG, referer: `${CATALOG}/` } });
    token = ((await me.json()) as { access_token: string }).access_token;
    for (let i = 0; i < 100 && (await joanieRuns()).length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it('renders Joanie for Richie as sandbox/settings.py reads it, and Joanie\'s settings under Joanie\'s names', () => {
    expect(rendered.catalog).toMatchObject({
      JOANIE_BASE_URL: JOANIE,
      JOANIE_BACKEND: 'richie.apps.courses.lms.joanie.JoanieBackend',
      JOANIE_JS_BACKEND: 'joanie',
      JOANIE_COURSE_REGEX: '^.*/api/v1.0(?P<resource_uri>(?:/(?:courses|course-runs|products)/[^/]+)+)/?$',
      JOANIE_JS_COURSE_REGEX: '^.*/api/v1.0((?:/(?:courses|course-runs|products)/[^/]+)+)/?$',
    });
    // Base.post_setup appends JOANIE_BACKEND to RICHIE_LMS_BACKENDS.
    const backends = JSON.parse(rendered.catalog.RICHIE_DEV_LMS_BACKENDS!) as { BACKEND: string; BASE_URL: string }[];
    expect(backends.map((b) => b.BACKEND)).toEqual(['richie.apps.courses.lms.edx.EdXLMSBackend', 'richie.apps.courses.lms.joanie.JoanieBackend']);
    // joanie settings.py SIMPLE_JWT and COURSE_WEB_HOOKS: Fonzie's key, the catalog's sync secret.
    expect(rendered.joanie).toMatchObject({ DJANGO_JWT_PRIVATE_SIGNING_KEY: SECRETS.jwtSigningKey, DJANGO_JWT_ALGORITHM: 'HS256', DJANGO_JWT_TYPE_CLAIM: 'token_type', DJANGO_CORS_ALLOWED_ORIGINS: CATALOG });
    expect(JSON.parse(rendered.joanie.DJANGO_COURSE_WEB_HOOKS!)).toEqual([{ url: 'https://richie.local.dev:8070/api/v1.0/course-runs-sync', secret: SYNC_SECRET, verify: true }]);
    expect(rendered.catalog.DJANGO_RICHIE_COURSE_RUN_SYNC_SECRETS).toBe(SYNC_SECRET);
    expect(JSON.parse(rendered.joanie.JOANIE_LMS_BACKENDS!)).toEqual([
      expect.objectContaining({ API_TOKEN: SECRETS.edxApiKey, BACKEND: 'joanie.lms_handler.backends.openedx.OpenEdXLMSBackend', BASE_URL: 'https://edx.local.dev:8073' }),
    ]);
  });

  it('COURSE_WEB_HOOKS (core/utils/webhooks.py): a signed list reaches the catalog; each run joins the demo course, its resource_link on Joanie\'s API, hidden when not listed', async () => {
    const runs = await joanieRuns();
    // The demo LMS's runs but the invite-only one (Joanie has none).
    expect(runs).toHaveLength(8);
    for (const run of runs) {
      expect(run.draft.resource_link).toMatch(/^https:\/\/joanie\.local\.dev:8071\/api\/v1\.0\/course-runs\/[0-9a-f-]{36}\/$/);
      expect(run.course).toBe('DEMO');
      // The Joanie entry's DEFAULT_COURSE_RUN_SYNC_MODE: created, and published.
      expect(run.sync_mode).toBe('sync_to_public');
      expect(run.public).not.toBeNull();
    }
    expect(runs.filter((r) => r.draft.catalog_visibility === 'hidden')).toHaveLength(1);
    // Richie's front end finds the run id with JOANIE_JS_COURSE_REGEX (js/api/lms/joanie.ts).
    const link = String(runs[0]!.draft.resource_link);
    expect(new RegExp(rendered.catalog.JOANIE_JS_COURSE_REGEX!).exec(link)?.[1]).toBe(`/course-runs/${runId(runs[0]!)}`);
  });

  it('any route Joanie does not have: Django\'s 404 page (django/views/defaults.py page_not_found, no 404.html)', async () => {
    const res = await call('/api/v1.0/nothing-here/');
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await res.text()).toContain('<h1>Not Found</h1><p>The requested resource was not found on this server.</p>');
  });

  it('CORS preflight (corsheaders CorsMiddleware, before any route): an empty 200 on every path, the lists of corsheaders/defaults.py for the catalog\'s origin only', async () => {
    const preflight = (path: string, origin: string) => fetch(`${joanie}${path}`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET', 'access-control-request-headers': 'authorization,content-type' } });
    for (const path of ['/api/v1.0/users/me/', '/api/v1.0/enrollments/', '/api/v1.0/nothing-here/']) {
      const res = await preflight(path, CATALOG);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe('');
      expect(Object.fromEntries([...res.headers].filter(([k]) => k.startsWith('access-control-')))).toEqual({
        'access-control-allow-origin': CATALOG,
        'access-control-allow-credentials': 'true',
        'access-control-allow-headers': 'accept, authorization, content-type, user-agent, x-csrftoken, x-requested-with',
        'access-control-allow-methods': 'DELETE, GET, OPTIONS, PATCH, POST, PUT',
        'access-control-max-age': '86400',
      });
    }
    const other = await preflight('/api/v1.0/users/me/', 'https://elsewhere.local.dev');
    expect(other.status).toBe(200);
    expect([...other.headers].filter(([k]) => k.startsWith('access-control-'))).toEqual([]);
  });

  it('users/me (UserViewSet.get_me, UserSerializer): the token\'s user, its full name from the token, its abilities on itself; anonymous 401', async () => {
    const res = await call('/api/v1.0/users/me/');
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(CATALOG);
    expect(await res.json()).toEqual({
      id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/),
      username: 'student',
      full_name: 'student',
      is_superuser: false,
      is_staff: false,
      abilities: { delete: false, get: true, patch: true, put: true, has_course_access: false, has_organization_access: false },
    });
    expect((await call('/api/v1.0/users/me/', { token: null })).status).toBe(401);
  });

  it('DelegatedJWTAuthentication (core/authentication.py, simplejwt): no token 401 with Bearer realm="api"; a token under another key or of another type 401 token_not_valid', async () => {
    const anonymous = await call('/api/v1.0/enrollments/', { token: null });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect(await anonymous.json()).toEqual({ detail: 'Authentication credentials were not provided.' });
    const sign = (key: string, claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('5m').sign(new TextEncoder().encode(key));
    for (const bad of [await sign('x'.repeat(64), { username: 'student', token_type: 'access' }), await sign(SECRETS.jwtSigningKey, { username: 'student', token_type: 'refresh' })]) {
      const res = await call('/api/v1.0/enrollments/', { token: bad });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ detail: 'Given token not valid for any token type', code: 'token_not_valid' });
    }
  });

  it('the token Fonzie\'s me issues is accepted: the lists the session prefetches are empty pages (core/pagination.py PageNumberPagination)', async () => {
    for (const list of ['addresses', 'credit-cards', 'orders']) {
      const res = await call(`/api/v1.0/${list}/`);
      expect(res.status, list).toBe(200);
      expect(await res.json()).toEqual({ count: 0, next: null, previous: null, results: [] });
    }
    expect((await (await call('/api/v1.0/enrollments/')).json()) as Page<Enrollment>).toMatchObject({ count: 0, results: [] });
  });

  it('the course product read (OfferingViewSet.retrieve): the demo has no product, so 404 as get_object_or_404 answers', async () => {
    const res = await call('/api/v1.0/courses/DEMO/products/00000000-0000-4000-a000-000000000000/');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ detail: 'No CourseProductRelation matches the given query.' });
  });

  it('refuses a run not open for enrollment (EnrollmentSerializer.create: state priority above ARCHIVED_OPEN), an unknown run, a missing was_created_by_order; the LMS is not called', async () => {
    const notYetOpen = await runFor('course-v1:richie+demo+not-yet-open');
    for (const [body, expected] of [
      [{ course_run_id: notYetOpen, is_active: true, was_created_by_order: false }, { __all__: ['You are not allowed to enroll to a course run not opened for enrollment.'] }],
      [{ course_run_id: await runFor('course-v1:richie+demo+closed'), is_active: true, was_created_by_order: false }, { __all__: ['You are not allowed to enroll to a course run not opened for enrollment.'] }],
      [{ course_run_id: 'nope', is_active: true, was_created_by_order: false }, { __all__: ['A course run with id "nope" does not exist.'] }],
      [{ course_run_id: notYetOpen, is_active: true }, { was_created_by_order: ['This field is required.'] }],
    ] as const) {
      const res = await call('/api/v1.0/enrollments/', { method: 'POST', body });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual(expected);
    }
    expect(await lmsEnrollment('course-v1:richie+demo+not-yet-open')).toBe('');
  });

  it('enrolls as Richie\'s joanie module does: Joanie sets it on the LMS server to server (openedx.py set_enrollment, X-Edx-Api-Key), lists it, and unenrolls with PUT', async () => {
    const open = await runFor(COURSE);
    const created = await call('/api/v1.0/enrollments/', { method: 'POST', body: { course_run_id: open, is_active: true, was_created_by_order: false } });
    expect(created.status).toBe(201);
    const enrollment = (await created.json()) as Enrollment;
    expect(enrollment).toMatchObject({ is_active: true, state: 'set', was_created_by_order: false, course_run: { id: open, state: { priority: 0, text: 'closing on' } } });
    expect(JSON.parse(await lmsEnrollment(COURSE))).toMatchObject({ user: 'student', is_active: true, mode: 'honor', course_details: { course_id: COURSE } });
    // js/api/lms/joanie.ts get: the list filtered by course_run_id.
    const listed = (await (await call(`/api/v1.0/enrollments/?course_run_id=${open}`)).json()) as Page<Enrollment>;
    expect(listed.count).toBe(1);
    expect(listed.results[0]!.id).toBe(enrollment.id);
    // CourseRun.can_enroll: one open run of a course at a time.
    const other = await call('/api/v1.0/enrollments/', { method: 'POST', body: { course_run_id: await runFor('course-v1:richie+demo+future-open'), is_active: true, was_created_by_order: false } });
    expect(other.status).toBe(400);
    expect(await other.json()).toEqual({ user: ['You are already enrolled to an opened course run for the course "Demo course".'] });
    const updated = await call(`/api/v1.0/enrollments/${enrollment.id}/`, { method: 'PUT', body: { course_run_id: open, is_active: false, was_created_by_order: false } });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toMatchObject({ id: enrollment.id, is_active: false, state: 'set' });
    expect(JSON.parse(await lmsEnrollment(COURSE))).toMatchObject({ user: 'student', is_active: false });
  });
});
