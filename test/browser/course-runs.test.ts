/**
 * Richie's own widgets on the demo course page, in Chromium, against the real stack, on the runs
 * the demo seeds (templates/demo-shared/runs.mjs: one in each state a learner can meet, dated from
 * the demo's now; the demo LMS holds the same runs and refuses the others): the open sample run
 * (ONGOING_OPEN) enrolls through Richie's button and shows Richie's enrolled state; the other open
 * runs are listed with a button; the closed, not-yet-open and archived runs are listed in Richie's
 * section for their state with no button; the hidden and to-be-scheduled runs are not listed.
 * Then the same again on a stack started a year later (RICHIE_DEV_DEMO_NOW in richie-dev's
 * environment, which renders it into both apps' env files; the browser's clock moved to match
 * with Playwright's clock), so nothing expires.
 * The first case's page is the README's screenshot (RICHIE_DEV_SAVE_SCREENSHOT).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, hasTool, removeDir, sh, tempDir } from '../helpers.js';
import { hasChromium, launchChromium, trustedStack } from './chromium.js';
import { courseRunsProps, period } from './demo-runs.js';
import { asideSection, clickEnrollmentButton, enrollmentStatus, openRunDates, userMenu } from './flows/richie-widgets.mjs';

const CATALOG_PORT = 19270;
const LMS_PORT = 19273;
const DAY = 86_400_000;
/** The sample course id (the project's default, src/lms/site.ts); the seeded runs' ids end with their DEMO_RUNS name instead. */
const SAMPLE = 'course-v1:richie+demo+2026';

describe("the demo course page, rendered by Richie's widgets", () => {
  const root = tempDir();
  const home = join(root, 'home');
  const project = join(root, 'runsproj');
  const env = { CAROOT: join(root, 'ca'), HOME: home, TRUST_STORES: 'nss' };
  const catalog = `https://richie.local.dev:${CATALOG_PORT}`;
  const lms = `https://edx.local.dev:${LMS_PORT}`;

  const curl = (url: string, extra: string[] = []) =>
    sh('curl', ['-sS', '--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', `richie.local.dev:${CATALOG_PORT}:127.0.0.1`, '--resolve', `edx.local.dev:${LMS_PORT}:127.0.0.1`, ...extra, url]);

  /** The demo's now, as the catalog app holds it, from its clock (templates/images/demo-catalog/clock.mjs). */
  async function demoNow(): Promise<number> {
    const out = await sh('docker', ['exec', 'runsproj_catalog_1', 'node', '--input-type=module', '-e', "import('/app/clock.mjs').then((c) => console.log(c.nowMs()))"]);
    expect(out.exitCode, out.stderr).toBe(0);
    return Number(out.stdout.trim());
  }

  beforeAll(async () => {
    expect(hasChromium()).toBe(true);
    expect(hasTool('docker')).toBe(true);
    await trustedStack({ project, home, env, config: { catalog: { port: CATALOG_PORT }, lms: { port: LMS_PORT } } });
  }, 300_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    removeDir(root);
  });

  /** The course id of seeded run `run` (runs.mjs runCourseId: the sample id, its run part replaced); null: the sample run. */
  const courseId = (run: string | null) => (run === null ? SAMPLE : SAMPLE.replace(/[^+]*$/, run));
  const link = (run: string | null) => `${lms}/courses/${courseId(run)}/course/`;

  /**
   * The seeded runs as the catalog's page hands them to the widgets, by the last part of their
   * id ('sample' for the sample run): each one's marker, the "From <start> to <end>" Richie writes.
   */
  async function seededRuns() {
    const runs = courseRunsProps((await curl(`${catalog}/en/courses/demo/`)).stdout).courseRuns;
    const links = runs.map((r) => r.resource_link);
    // Hidden (catalog_visibility hidden) and to-be-scheduled runs are not handed to the widgets
    // (richie courses/templatetags/extra_tags.py, course_runs_list_widget_props).
    expect(links).not.toContain(link('hidden'));
    expect(links).not.toContain(link('to-be-scheduled'));
    const names = ['sample', 'future-open', 'not-yet-open', 'closed', 'archived-open', 'archived', 'invite-only'] as const;
    const marker = (name: (typeof names)[number]) => {
      const run = runs.find((r) => r.resource_link === link(name === 'sample' ? null : name));
      expect(run, `${name} not on the page: ${links.join(' ')}`).toBeDefined();
      return period({ start: Date.parse(run!.start!), end: Date.parse(run!.end!) });
    };
    return Object.fromEntries(names.map((n) => [n, marker(n)])) as Record<(typeof names)[number], string>;
  }

  /** Logs in through the user menu's "Log in" (Richie's UserLogin), on the LMS's login page, and comes back. */
  async function logIn(page: Page, courseUrl: string) {
    await Promise.all([page.waitForURL(/\/login/), page.click('.richie-react--user-login button:has-text("Log in")')]);
    await page.fill('#username', 'student');
    await page.fill('#password', 'student');
    await Promise.all([page.waitForURL((url) => url.href === courseUrl), page.click('#login-submit')]);
  }

  async function check(now: number, screenshot?: string) {
    const runs = await seededRuns();
    const { context } = await launchChromium({ home, env: { TZ: 'UTC' }, resolverRules: 'MAP richie.local.dev 127.0.0.1, MAP edx.local.dev 127.0.0.1' });
    try {
      // The browser's clock at the demo's now: the widgets compute each run's state from it.
      await context.clock.install({ time: now });
      const page = await context.newPage();
      const courseUrl = `${catalog}/en/courses/demo/`;
      await page.goto(courseUrl);
      expect(await userMenu(page)).toBeNull();
      // The open runs (ONGOING_OPEN, FUTURE_OPEN, ARCHIVED_OPEN), sorted by start
      // (SyllabusCourseRunsList): the sample and the invite-only run share their dates, the
      // hidden one (same dates too) is not among them.
      expect(await openRunDates(page)).toEqual([runs['archived-open'], runs.sample, runs['invite-only'], runs['future-open']].map((m) => expect.stringContaining(m)));
      expect(await enrollmentStatus(page, runs.sample)).toBe('log in to enroll');
      await logIn(page, courseUrl);
      expect(await userMenu(page)).toContain('student');
      expect(await enrollmentStatus(page, runs.sample)).toBe('not enrolled');
      expect(await enrollmentStatus(page, runs['future-open'])).toBe('not enrolled');
      // The first open run with the sample's dates is the sample run (a stable sort keeps the
      // catalog's order, the sample run first).
      await clickEnrollmentButton(page, runs.sample);
      await page.waitForSelector('[aria-busy="true"]', { state: 'detached', timeout: 15000 });
      expect(await enrollmentStatus(page, runs.sample)).toBe('enrolled');
      // Richie keeps its query cache in sessionStorage, written at most every 500 ms
      // (js/settings/settings.prod.ts, cacheStorage.throttleTime): a reload sooner reads the
      // cache from before the click.
      await page.waitForTimeout(1500);
      await page.reload();
      expect(await enrollmentStatus(page, runs.sample)).toBe('enrolled');

      // The closed runs: each in Richie's aside section for its state (SyllabusAsideList:
      // FUTURE_NOT_YET_OPEN upcoming, ONGOING_CLOSED ongoing, ARCHIVED_CLOSED archived), no button.
      expect(await asideSection(page, runs['not-yet-open'])).toEqual({ classes: expect.stringContaining('course-detail__runs--upcoming'), title: 'Upcoming', buttons: 0 });
      expect(await asideSection(page, runs.closed)).toEqual({ classes: expect.stringContaining('course-detail__runs--ongoing'), title: 'Ongoing', buttons: 0 });
      expect(await asideSection(page, runs.archived)).toEqual({ classes: expect.stringContaining('course-detail__runs--archived'), title: 'Archived', buttons: 0 });
      if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
    } finally {
      await context.close();
    }
    // Checked through the LMS too.
    const enrollments = JSON.parse((await curl(`${lms}/richie-dev/enrollments`)).stdout) as unknown[];
    expect(enrollments).toEqual([expect.objectContaining({ user: 'student', course_details: expect.objectContaining({ course_id: SAMPLE }), is_active: true })]);
  }

  it('today: an open run enrolls through Richie\'s button, a closed one has none, a hidden one is not listed', async () => {
    const screenshot = join(root, 'course-page.png');
    await check(await demoNow(), screenshot);
    const png = readFileSync(screenshot);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    if (process.env.RICHIE_DEV_SAVE_SCREENSHOT) writeFileSync(process.env.RICHIE_DEV_SAVE_SCREENSHOT, png);
  });

  it('the same with the demo started a year later', async () => {
    // A fresh stack (no enrollment left from the first case), with RICHIE_DEV_DEMO_NOW in
    // richie-dev's environment: it renders the variable into both apps' env files (src/lms/env.ts).
    const down = await cli(['--project-dir', project, 'down', '--volumes'], { env });
    expect(down.exitCode, down.stderr).toBe(0);
    const later = Date.now() + 365 * DAY;
    const restarted = await cli(['--project-dir', project, 'run-ssl', '--hosts-file', join(project, 'hosts')], { env: { ...env, RICHIE_DEV_DEMO_NOW: new Date(later).toISOString() } });
    expect(restarted.exitCode, restarted.stderr).toBe(0);
    for (const app of ['catalog', 'lms']) expect(readFileSync(join(project, '.richie-dev', 'env', `${app}.env`), 'utf8')).toContain(`RICHIE_DEV_DEMO_NOW=`);
    const now = await demoNow();
    expect(now - Date.now()).toBeGreaterThan(364 * DAY);
    await check(now);
  });
});
