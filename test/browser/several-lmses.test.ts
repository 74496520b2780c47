/**
 * Several LMSes, proven against the real stack over TLS: `run-ssl` with two LMSes brings up a demo
 * LMS per entry; in Chromium, Richie's released front end (richie-education's openedx-hawthorn
 * module, bundled into the demo catalog) enrolls each demo course on the LMS its run's resource
 * link routes to (js/api/configuration.ts findLmsBackend: the first lms_backends entry whose
 * course_regexp matches), the user read from the authentication LMS only
 * (js/api/authentication.ts, RICHIE_AUTHENTICATION_DELEGATION, the first LMS); and each LMS's
 * course hooks sync its own run into the catalog (richie src/richie/apps/courses/api.py,
 * select_lms in src/richie/apps/courses/lms/__init__.py).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cli, hasTool, inMountNamespace, removeDir, sh, tempDir } from '../helpers.js';
import { courseRunsProps, runMarker } from './demo-runs.js';
import { hasChromium, trustedStack } from './chromium.js';

const FLOW = join(ROOT, 'test', 'browser', 'flows', 'several-lmses.mjs');
const CATALOG_PORT = 18670;
const EDX_PORT = 18673;
const FONZIE_PORT = 18675;
const CATALOG = `https://richie.local.dev:${CATALOG_PORT}`;
const EDX = `https://edx.local.dev:${EDX_PORT}`;
const FONZIE = `https://fonzie.local.dev:${FONZIE_PORT}`;
const COURSE1 = 'course-v1:richie+demo+2026';
const COURSE2 = 'course-v1:richie+fonzie+2026';
const LINK1 = `${EDX}/courses/${COURSE1}/course/`;
const LINK2 = `${FONZIE}/courses/${COURSE2}/course/`;

interface Enrollment {
  user: string;
  is_active: boolean;
  course_details: { course_id: string };
}
interface Run {
  course: string;
  sync_mode: string;
  draft: Record<string, unknown>;
  public: Record<string, unknown> | null;
}

describe('several LMSes: each course enrolls and syncs on its own LMS', () => {
  const root = tempDir();
  const home = join(root, 'home');
  const project = join(root, 'severallms');
  const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss' };

  /** curl against the stack, trusting only our CA, every name resolved to loopback. */
  const curl = (url: string, extra: string[] = []) =>
    sh('curl', [
      '-sS',
      '--fail-with-body',
      '--cacert', join(root, 'ca', 'rootCA.pem'),
      '--resolve', `richie.local.dev:${CATALOG_PORT}:127.0.0.1`,
      '--resolve', `edx.local.dev:${EDX_PORT}:127.0.0.1`,
      '--resolve', `fonzie.local.dev:${FONZIE_PORT}:127.0.0.1`,
      ...extra,
      url,
    ]);
  const getJson = async <T>(url: string): Promise<T> => {
    const result = await curl(url);
    expect(result.exitCode, `${url}: ${result.stdout}${result.stderr}`).toBe(0);
    return JSON.parse(result.stdout) as T;
  };
  const enrollments = (lms: string) => getJson<Enrollment[]>(`${lms}/richie-dev/enrollments`);
  const run = (n: '' | '-2') => getJson<Run>(`${CATALOG}/api/v1.0/course-runs/demo${n}`);
  /** The LMS's course hooks, from inside its container, as enrollment.test.ts's sync test does. */
  const publish = async (service: string, courseRun: object) => {
    const result = await sh('docker', ['exec', `severallms_${service}_1`, 'node', '/app/server.mjs', 'publish', JSON.stringify(courseRun)]);
    expect(result.exitCode, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as { results: { url: string; status: number; body: string }[] };
  };

  beforeAll(async () => {
    expect(hasChromium()).toBe(true);
    expect(hasTool('docker')).toBe(true);
    await trustedStack({
      project,
      home,
      env,
      config: {
        catalog: { port: CATALOG_PORT },
        lms: [
          { name: 'edx', host: 'edx.local.dev', port: EDX_PORT },
          { name: 'fonzie', host: 'fonzie.local.dev', port: FONZIE_PORT, fonzie: true },
        ],
      },
    });
  }, 300_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
  });

  it('run-ssl brings up catalog, lms, lms-fonzie and nginx, healthy; the catalog lists both LMSes in order, each regex on its own origin', async () => {
    // Docker's own health; its first check of a just-created container may come an interval later than run-ssl's probe.
    let status = JSON.parse((await cli(['--project-dir', project, '--json', 'status'], { env })).stdout) as { services: { name: string; health: string }[] };
    for (let i = 0; i < 40 && status.services.some((s) => s.health !== 'healthy'); i++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      status = JSON.parse((await cli(['--project-dir', project, '--json', 'status'], { env })).stdout);
    }
    expect(status.services.map((s) => [s.name, s.health])).toEqual([
      ['catalog', 'healthy'],
      ['lms', 'healthy'],
      ['lms-fonzie', 'healthy'],
      ['nginx', 'healthy'],
    ]);
    // status names every LMS, in order, in JSON and in plain text.
    expect((status as unknown as { urls: unknown }).urls).toEqual({ catalog: CATALOG, lms: EDX, lmses: [EDX, FONZIE] });
    expect((await cli(['--project-dir', project, 'status'], { env })).stdout).toContain(`LMS:     ${EDX}\n         ${FONZIE}\n`);
    // Each LMS its own env file, and the hosts file an entry for each.
    expect(readFileSync(join(project, '.richie-dev', 'env', 'lms.env'), 'utf8')).toContain(`LMS_ROOT_URL=${EDX}`);
    const fonzieEnv = readFileSync(join(project, '.richie-dev', 'env', 'lms-fonzie.env'), 'utf8');
    expect(fonzieEnv).toContain(`LMS_ROOT_URL=${FONZIE}`);
    expect(fonzieEnv).toMatch(/^RICHIE_DEV_FONZIE=true$/m);
    const hosts = readFileSync(join(project, 'hosts'), 'utf8');
    for (const name of ['richie.local.dev', 'edx.local.dev', 'fonzie.local.dev']) expect(hosts).toMatch(new RegExp(`^127\\.0\\.0\\.1\\s+.*\\b${name.replace(/\./g, '\\.')}\\b`, 'm'));
    // Each LMS answers over TLS under its own name.
    expect((await curl(`${EDX}/dashboard`)).stdout).toContain('Path: /dashboard');
    expect((await curl(`${FONZIE}/dashboard`)).stdout).toContain('Path: /dashboard');

    // The page's frontend context: lms_backends in order, authentication on the first LMS.
    const page = (await curl(`${CATALOG}/en/courses/demo/`)).stdout;
    const context = JSON.parse(JSON.parse(/__richie_frontend_context__ = JSON\.parse\(("(?:[^"\\]|\\.)*")\)/.exec(page)![1]!)) as {
      context: { authentication: { endpoint: string; backend: string }; lms_backends: { endpoint: string; backend: string; course_regexp: string; next_url: string }[] };
    };
    const { authentication, lms_backends: lmses } = context.context;
    expect(authentication).toEqual({ endpoint: EDX, backend: 'openedx-hawthorn' });
    // Fonzie on the second LMS changes nothing for Richie's LMS module (lms/index.ts knows dummy,
    // openedx-dogwood and openedx-hawthorn only): only the authentication LMS's flavour matters.
    expect(lmses.map((l) => [l.endpoint, l.backend, l.next_url])).toEqual([
      [EDX, 'openedx-hawthorn', 'richie'],
      [FONZIE, 'openedx-hawthorn', 'richie'],
    ]);
    // findLmsBackend: the first whose course_regexp tests the link; each regex is on its own origin.
    const findLmsBackend = (url: string) => lmses.find((lms) => new RegExp(lms.course_regexp).test(url));
    expect(findLmsBackend(LINK1)?.endpoint).toBe(EDX);
    expect(findLmsBackend(LINK2)?.endpoint).toBe(FONZIE);
    expect(new RegExp(lmses[0]!.course_regexp).test(LINK2)).toBe(false);
    expect(new RegExp(lmses[1]!.course_regexp).test(LINK1)).toBe(false);
    // One demo course per LMS, each with its run on it (the course-run list widget's props).
    expect(courseRunsProps(page).courseRuns.map((run) => run.resource_link)).toContain(LINK1);
    expect(courseRunsProps((await curl(`${CATALOG}/en/courses/demo-2/`)).stdout).courseRuns.map((run) => run.resource_link)).toContain(LINK2);
  });

  it("in Chromium, Richie's front end enrolls course 1 on the first LMS and course 2 on the second, each only there; the second LMS wants its own login", async () => {
    expect(await enrollments(EDX)).toEqual([]);
    expect(await enrollments(FONZIE)).toEqual([]);
    const etc = join(root, 'etc');
    // Each course's sample run, seeded open now (templates/demo-shared/runs.mjs).
    const curlArgs = ['--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', `richie.local.dev:${CATALOG_PORT}:127.0.0.1`];
    const marker1 = await runMarker(CATALOG, curlArgs, LINK1);
    const marker2 = await runMarker(CATALOG, curlArgs, LINK2, '/en/courses/demo-2/');
    const result = await inMountNamespace(`
      cp -a /etc "${etc}"
      mount --bind "${etc}" /etc
      node "${CLI}" --project-dir "${project}" hosts add >&2
      node "${FLOW}" "${CATALOG}" "${home}" "${marker1}" "${marker2}"
    `);
    expect(result.exitCode, result.stderr).toBe(0);
    const seen = JSON.parse(result.stdout.trim().split('\n').pop()!) as {
      steps: string[][];
      requests: Record<string, string[]>;
      frontendContext: unknown;
      link1: string;
      link2: string;
      login1: string;
      back1: string;
      user1: string;
      user2: string;
      loginButtonShown2: boolean;
      login2: string;
      back2: string;
      cookies: { name: string; domain: string }[];
      consoleErrors: string[];
      error?: string;
    };
    expect(seen.error, JSON.stringify(seen)).toBeUndefined();
    // The context Richie's js/utils/context.ts read in the browser.
    expect(seen.frontendContext).toEqual({
      authentication: { endpoint: EDX, backend: 'openedx-hawthorn' },
      lms_backends: [
        { endpoint: EDX, backend: 'openedx-hawthorn', course_regexp: `^https://edx\\.local\\.dev:${EDX_PORT}/courses/(.*)/course/?$`, next_url: 'richie' },
        { endpoint: FONZIE, backend: 'openedx-hawthorn', course_regexp: `^https://fonzie\\.local\\.dev:${FONZIE_PORT}/courses/(.*)/course/?$`, next_url: 'richie' },
      ],
    });
    expect(seen.link1).toBe(LINK1);
    expect(seen.link2).toBe(LINK2);
    expect(seen.steps, JSON.stringify(seen)).toEqual([
      ['course1:anonymous', 'log in to enroll'],
      ['course1:logged-in', 'not enrolled'],
      ['course1:after-click', 'enrolled'],
      // The user comes from the authentication LMS (logged in); the enrollment from the course's
      // LMS, which has no session and answers 401: Richie's "Enrollment fetching failed".
      ['course2:first-lms-session-only', 'cannot read the enrollment'],
      ['course2:logged-in', 'not enrolled'],
      ['course2:after-click', 'enrolled'],
      ['course2:after-reload', 'enrolled'],
      ['course1:again', 'enrolled'],
    ]);

    // Course 1: Richie's login button goes to the authentication LMS, and back to the page.
    expect(seen.login1).toBe(`${EDX}/login?next=richie/en/courses/demo/`);
    expect(seen.back1).toBe(`${CATALOG}/en/courses/demo/`);
    expect(seen.user1).toBe('student');
    // Each distinct call, in the order first made (Richie's widgets read an enrollment again after
    // a change: react-query's invalidation, js/widgets/SyllabusCourseRunsList/hooks/useCourseEnrollment).
    const calls = (phase: string) => [...new Set(seen.requests[phase])];
    // The first demo course lists a run in each state (templates/demo-shared/runs.mjs): the
    // widgets read the enrollment of each of the others too, all on the first LMS.
    const otherRun = new RegExp(`^200 GET ${EDX.replace(/\./g, '\\.')}/api/enrollment/v1/enrollment/student,course-v1:richie\\+demo\\+(?!2026$)[a-z-]+$`);
    expect(calls('course1').filter((call) => !otherRun.test(call)), JSON.stringify(seen.requests)).toEqual([
      `401 GET ${EDX}/api/user/v1/me`,
      `200 GET ${EDX}/api/user/v1/me`,
      `200 GET ${EDX}/api/enrollment/v1/enrollment/student,${COURSE1}`,
      `200 POST ${EDX}/api/enrollment/v1/enrollment`,
    ]);

    // Course 2 with a session on the first LMS only: the user is known (from the first LMS), the
    // enrollment is asked of the second (findLmsBackend, by its regex), which answers 401. Richie
    // shows no login button to a known user (and its login would go to the first LMS anyway).
    expect(seen.user2).toBe('student');
    expect(seen.loginButtonShown2).toBe(false);
    expect(calls('course2-first-lms-session').sort(), JSON.stringify(seen.requests)).toEqual([
      `200 GET ${EDX}/api/user/v1/me`,
      `401 GET ${FONZIE}/api/enrollment/v1/enrollment/student,${COURSE2}`,
    ]);
    // Logging in on the second LMS at the URL openedx-hawthorn builds for its entry; its nginx sends the user back.
    expect(seen.login2).toBe(`${FONZIE}/login?next=richie/en/courses/demo-2/`);
    expect(seen.back2).toBe(`${CATALOG}/en/courses/demo-2/`);
    // Then every enrollment call (read, enroll, read again) goes to the second LMS; the user comes
    // from the first, out of Richie's session cache (react-query, kept in sessionStorage) or read
    // again there once that copy is stale (a slow machine: seen in a loaded run). Fonzie's
    // /api/v1.0/user/me is never called: Richie reads it only when the authentication backend is
    // "fonzie".
    expect(calls('course2').filter((call) => call !== `200 GET ${EDX}/api/user/v1/me`), JSON.stringify(seen.requests)).toEqual([
      `200 GET ${FONZIE}/api/enrollment/v1/enrollment/student,${COURSE2}`,
      `200 POST ${FONZIE}/api/enrollment/v1/enrollment`,
    ]);
    // Course 1 again: whatever Richie reads (its cache may answer), only from the first LMS.
    expect(calls('course1-again').filter((call) => !call.includes(EDX)), JSON.stringify(seen.requests)).toEqual([]);
    // One cross-domain CSRF cookie on the shared parent, which both LMSes set (each page reads
    // it right after its own LMS's GET has set it); each LMS's session on its own host.
    expect(seen.cookies).toContainEqual({ name: 'edx_csrf_token', domain: '.local.dev' });
    expect(seen.cookies).toContainEqual({ name: 'edx_session', domain: 'edx.local.dev' });
    expect(seen.cookies).toContainEqual({ name: 'edx_session', domain: 'fonzie.local.dev' });
    expect(seen.consoleErrors.filter((e) => !e.startsWith('Failed to load resource'))).toEqual([]);

    // Checked through each LMS: each course enrolled on its own LMS only.
    const onEdx = await enrollments(EDX);
    const onFonzie = await enrollments(FONZIE);
    expect(onEdx.map((e) => [e.user, e.course_details.course_id, e.is_active])).toEqual([['student', COURSE1, true]]);
    expect(onFonzie.map((e) => [e.user, e.course_details.course_id, e.is_active])).toEqual([['student', COURSE2, true]]);
  });

  it("course run sync: each LMS's course hooks update its own run and leave the other LMS's run alone", async () => {
    const before1 = await run('');
    const before2 = await run('-2');
    expect(before1.draft.resource_link).toBe(LINK1);
    expect(before2.draft.resource_link).toBe(LINK2);
    expect(before1.course).not.toBe(before2.course);

    // From the first LMS: its run changes, the second's does not.
    const fromEdx = await publish('lms', { resource_link: LINK1, start: '2027-02-01T00:00:00Z', languages: ['fr'] });
    expect(fromEdx.results, JSON.stringify(fromEdx)).toEqual([expect.objectContaining({ url: `${CATALOG}/api/v1.0/course-runs-sync`, status: 200 })]);
    const after1 = await run('');
    expect(after1.public).toMatchObject({ resource_link: LINK1, start: '2027-02-01T00:00:00Z', languages: ['fr'] });
    expect(await run('-2')).toEqual(before2);

    // From the second LMS: its run changes, the first's keeps what the first LMS sent.
    const fromFonzie = await publish('lms-fonzie', { resource_link: LINK2, start: '2027-05-01T00:00:00Z', languages: ['de'] });
    expect(fromFonzie.results, JSON.stringify(fromFonzie)).toEqual([expect.objectContaining({ url: `${CATALOG}/api/v1.0/course-runs-sync`, status: 200 })]);
    const after2 = await run('-2');
    expect(after2.public).toMatchObject({ resource_link: LINK2, start: '2027-05-01T00:00:00Z', languages: ['de'] });
    expect(after2.course).toBe(before2.course);
    expect(await run('')).toEqual(after1);

    // The course pages show it.
    const listed = async (path: string, link: string) => courseRunsProps((await curl(`${CATALOG}${path}`)).stdout).courseRuns.find((r) => r.resource_link === link);
    expect((await listed('/en/courses/demo/', LINK1))?.start).toBe('2027-02-01T00:00:00Z');
    expect((await listed('/en/courses/demo-2/', LINK2))?.start).toBe('2027-05-01T00:00:00Z');
    // Nothing else was created: the first course's sample run and its runs in every other state
    // (templates/demo-shared/runs.mjs), the second course's sample run.
    const state = await getJson<{ runs: Run[] }>(`${CATALOG}/api/v1.0/course-runs/demo/state`);
    const stateRun = (link: string) => link !== LINK1 && link.startsWith(LINK1.slice(0, LINK1.indexOf(COURSE1)) + COURSE1.replace(/\+2026$/, '+'));
    expect(state.runs.map((r) => String(r.draft.resource_link)).filter((link) => !stateRun(link))).toEqual([LINK1, LINK2]);
    expect(state.runs.filter((r) => stateRun(String(r.draft.resource_link)))).toHaveLength(8);
  });

  it('doctor checks each LMS: ports, services, CORS, the CSRF cookie, the course regexes, the settings and their agreement', async () => {
    const result = await cli(['--project-dir', project, '--json', 'doctor'], { env });
    const checks = Object.fromEntries((JSON.parse(result.stdout) as { checks: { id: string; status: string; seen: string }[] }).checks.map((c) => [c.id, c]));
    for (const id of ['ports', 'services', 'cors', 'csrf-cookie', 'course-regex', 'settings', 'agreement']) expect(checks[id]?.status, `${id}: ${checks[id]?.seen}`).toBe('pass');
    expect(checks.ports!.seen).toBe(`${CATALOG_PORT}, ${EDX_PORT} and ${FONZIE_PORT} are free or ours on 127.0.0.1`);
    expect(checks.services!.seen).toBe('4 services running and healthy');
    expect(checks.cors!.seen).toBe(`allow-origin ${CATALOG}, credentials allowed by all 2 LMSes`);
    expect(checks['csrf-cookie']!.seen).toMatch(/^lms\.0: Domain=\.local\.dev;.*Secure; lms\.1: Domain=\.local\.dev;.*Secure$/);
    expect(checks['course-regex']!.seen).toBe(`${LINK1} → ${COURSE1}; ${LINK2} → ${COURSE2}`);
    expect(checks.agreement!.seen).toBe('origin, LMS URL and course-hook secret agree for all 2 LMSes');
  });
});
