/**
 * Joanie, proven in Chromium against the real stack over TLS: `run-ssl` with `joanie` and the
 * LMS's Fonzie brings up the demo Joanie on its own sibling host, which sends its course runs to
 * the catalog's sync endpoint; on the demo course page, Richie's released front end (richie-education
 * js/api/lms/joanie.ts, CourseRunEnrollment) enrolls the user logged in on the LMS in a free
 * Joanie run with Fonzie's token. Then, outside the browser: Joanie's enrollment list (with the
 * browser's token) shows it set, and the LMS shows the user enrolled in the matching course,
 * which only Joanie told it (server to server). The way it must fail: a second open run of the
 * same course, which Richie offers and Joanie refuses (CourseRun.can_enroll), the widget showing
 * its error. The same with Keycloak authenticating (an LMS without Fonzie): Richie's keycloak
 * backend logs the user in on the Keycloak stand-in and sends Keycloak's ID token to Joanie,
 * which checks it with the realm's published keys.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, ROOT, cli, hasTool, inMountNamespace, removeDir, sh, tempDir } from '../helpers.js';
import { hasChromium, trustedStack } from './chromium.js';
import { courseRunsProps, period } from './demo-runs.js';

const FLOW = join(ROOT, 'test', 'browser', 'flows', 'joanie.mjs');
const SAMPLE_COURSE_ID = 'course-v1:richie+demo+2026';

/** One way of authenticating: its login in flows/joanie.mjs, its config, its ports, who Richie's menu shows. */
interface Variant {
  login: 'lms' | 'keycloak';
  ports: { catalog: number; lms: number; joanie: number };
  /** The config beyond the sites' ports. */
  config: Record<string, unknown>;
  /** The name Richie's user menu shows: the LMS's username, or Keycloak's full name. */
  user: string;
  /** What the token Richie keeps is (its claims). */
  token: Record<string, unknown>;
}

interface JoanieRun {
  id: string;
  resource_link: string;
  start: string;
  end: string;
  state: { priority: number };
}
interface Enrollment {
  id: string;
  is_active: boolean;
  state: string;
  was_created_by_order: boolean;
  course_run: { id: string; resource_link: string };
}

function joanieEnrollment(variant: Variant): void {
  const { ports } = variant;
  const CATALOG = `https://richie.local.dev:${ports.catalog}`;
  const LMS = `https://edx.local.dev:${ports.lms}`;
  const JOANIE = `https://joanie.local.dev:${ports.joanie}`;
  const COURSE = `${CATALOG}/en/courses/demo/`;
  const names: [string, number][] = [['richie', ports.catalog], ['edx', ports.lms], ['joanie', ports.joanie]];

  describe(`Joanie (${variant.login} login): Richie's widget enrolls in a Joanie run, Joanie sets it on the LMS`, () => {
    const root = tempDir();
    const home = join(root, 'home');
    const project = join(root, 'joanieproj');
    const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss' };
    const curl = (url: string, extra: string[] = []) =>
      sh('curl', ['-sS', '--cacert', join(root, 'ca', 'rootCA.pem'), ...names.flatMap(([name, port]) => ['--resolve', `${name}.local.dev:${port}:127.0.0.1`]), ...extra, url]);
    const getJson = async <T>(url: string, extra: string[] = []): Promise<T> => {
      const res = await curl(url, ['--fail-with-body', ...extra]);
      expect(res.exitCode, `${url}: ${res.stdout}${res.stderr}`).toBe(0);
      return JSON.parse(res.stdout) as T;
    };

    /** The course page's Joanie runs, each with what Joanie says of it (its run on the LMS). */
    async function joanieRuns(): Promise<JoanieRun[]> {
      const page = courseRunsProps((await curl(COURSE)).stdout);
      const links = page.courseRuns.map((run) => run.resource_link).filter((link) => link.startsWith(`${JOANIE}/api/v1.0/course-runs/`));
      return Promise.all(links.map((link) => getJson<JoanieRun>(link)));
    }

    beforeAll(async () => {
      expect(hasChromium()).toBe(true);
      expect(hasTool('docker')).toBe(true);
      await trustedStack({
        project,
        home,
        env,
        config: { ...variant.config, catalog: { port: ports.catalog }, lms: { ...(variant.config.lms as object), port: ports.lms }, joanie: { port: ports.joanie } },
      });
    }, 300_000);
    afterAll(async () => {
      await cli(['--project-dir', project, 'down', '--volumes'], { env });
      removeDir(root);
    });

    it('in Chromium: log in, enroll in the Joanie run; Joanie lists the enrollment set, the LMS has the user enrolled; a second open run of the course is refused', async () => {
      // Joanie pushed its runs to the catalog at start (its COURSE_WEB_HOOKS); wait for them on the page.
      let runs: JoanieRun[] = [];
      for (let i = 0; i < 60 && runs.length === 0; i++) {
        runs = await joanieRuns();
        if (runs.length === 0) await new Promise((resolve) => setTimeout(resolve, 1000));
      }
      const onLms = (courseId: string) => runs.find((run) => run.resource_link === `${LMS}/courses/${courseId}/info`);
      const open = onLms(SAMPLE_COURSE_ID);
      const other = onLms('course-v1:richie+demo+future-open');
      expect(open, JSON.stringify(runs)).toBeDefined();
      expect(other, JSON.stringify(runs)).toBeDefined();
      // Joanie's CourseState: ONGOING_OPEN and FUTURE_OPEN, both offered by Richie's widget.
      expect([open!.state.priority, other!.state.priority]).toEqual([0, 1]);
      // The LMS's own run of the sample course has the same dates: "Free access" (the offer Joanie
      // sends) tells the Joanie run's block apart.
      const marker = (run: JoanieRun) => JSON.stringify([period({ start: Date.parse(run.start), end: Date.parse(run.end) }), 'Free access']);

      const etc = join(root, 'etc');
      const result = await inMountNamespace(`
        cp -a /etc "${etc}"
        mount --bind "${etc}" /etc
        node "${CLI}" --project-dir "${project}" hosts add >&2
        node "${FLOW}" "${COURSE}" "${JOANIE}" "${home}" ${variant.login} '${marker(open!)}' '${marker(other!)}'
      `);
      expect(result.exitCode, result.stderr).toBe(0);
      const seen = JSON.parse(result.stdout.trim().split('\n').pop()!) as Record<string, unknown> & { joanieRequests: string[]; lmsRequests: string[]; consoleErrors: string[]; token: string };
      expect(seen.error, JSON.stringify(seen)).toBeUndefined();
      expect(seen.backOn).toBe(COURSE);
      expect(seen.user).toBe(variant.user);
      expect(seen.steps).toEqual([
        ['anonymous', 'open', 'log in to enroll'],
        ['logged-in', 'open', 'not enrolled'],
        ['after-click', 'open', 'enrolled'],
        ['after-reload', 'open', 'enrolled'],
        ['other-before', 'other', 'not enrolled'],
        ['other-after-click', 'other', 'enrollment failed'],
      ]);
      // Richie's "Go to course" for a Joanie enrollment: its course run's resource_link, on the LMS.
      expect(seen.courseLink).toBe(`${LMS}/courses/${SAMPLE_COURSE_ID}/info`);
      expect(seen.otherError).toEqual(['Your enrollment request failed.']);
      // What Richie's Joanie client called: the enrollment read by run, the create, the refused create,
      // and the lists the session prefetches.
      expect(seen.joanieRequests).toEqual(expect.arrayContaining([
        '200 GET /api/v1.0/users/me/',
        `200 GET /api/v1.0/enrollments/?course_run_id=${open!.id}`,
        '201 POST /api/v1.0/enrollments/',
        '400 POST /api/v1.0/enrollments/',
        '200 GET /api/v1.0/addresses/',
        '200 GET /api/v1.0/credit-cards/',
      ]));
      expect(seen.joanieRequests.filter((r) => r.startsWith('201 POST'))).toHaveLength(1);
      // Joanie answered every other call Richie made (its users/me, each run's enrollment, the lists).
      expect(seen.joanieRequests.filter((r) => !r.startsWith('2'))).toEqual(['400 POST /api/v1.0/enrollments/']);
      // The browser never enrolled on the LMS itself: the LMS enrollment is Joanie's.
      expect(seen.lmsRequests.filter((r) => r.includes('POST') && r.includes('/api/enrollment/')), JSON.stringify(seen.lmsRequests)).toEqual([]);
      expect(seen.consoleErrors.filter((e) => !e.startsWith('Failed to load resource')), JSON.stringify(seen.consoleErrors)).toEqual([]);

      // Joanie's enrollment list, with the token the browser used.
      expect(seen.token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
      expect(JSON.parse(Buffer.from(seen.token.split('.')[1]!, 'base64url').toString('utf8'))).toMatchObject(variant.token);
      const bearer = ['-H', `Authorization: Bearer ${seen.token}`];
      const listed = await getJson<{ count: number; results: Enrollment[] }>(`${JOANIE}/api/v1.0/enrollments/?course_run_id=${open!.id}`, bearer);
      expect(listed.count).toBe(1);
      expect(listed.results[0]).toMatchObject({ is_active: true, state: 'set', was_created_by_order: false, course_run: { id: open!.id, resource_link: open!.resource_link } });
      expect((await getJson<{ count: number }>(`${JOANIE}/api/v1.0/enrollments/?course_run_id=${other!.id}`, bearer)).count).toBe(0);
      // No token, no list (Joanie's DRF: 401).
      expect((await curl(`${JOANIE}/api/v1.0/enrollments/`, ['-o', '/dev/null', '-w', '%{http_code}'])).stdout).toBe('401');

      // The LMS: the user enrolled in the run's course, in the mode Joanie's OpenEdX backend asks for.
      const enrollments = await getJson<{ user: string; mode: string; is_active: boolean; course_details: { course_id: string } }[]>(`${LMS}/richie-dev/enrollments`);
      expect(enrollments).toEqual([expect.objectContaining({ user: 'student', mode: 'honor', is_active: true, course_details: expect.objectContaining({ course_id: SAMPLE_COURSE_ID }) })]);
    });
  });
}

joanieEnrollment({
  login: 'lms',
  ports: { catalog: 19170, lms: 19173, joanie: 19171 },
  config: { lms: { fonzie: true } },
  user: 'student',
  // Fonzie's: HS256 under the key Joanie shares, the LMS's username.
  token: { token_type: 'access', username: 'student' },
});

// Keycloak's ID token (richie-education js/api/auth/keycloak.ts keeps keycloak.idToken): the LMS
// has no Fonzie, so the token can only be Keycloak's.
joanieEnrollment({
  login: 'keycloak',
  ports: { catalog: 19180, lms: 19183, joanie: 19181 },
  config: { lms: { release: 'hawthorn' }, authentication: { backend: 'keycloak', port: 19184 } },
  user: 'Demo Student',
  token: { typ: 'ID', iss: 'https://keycloak.local.dev:19184/realms/richie', preferred_username: 'student' },
});
