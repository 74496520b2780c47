// Drives Debian's Chromium through a free enrollment in a Joanie-managed course run of the demo
// catalog: every call to Joanie is made by Richie's own front end (richie-education
// js/api/lms/joanie.ts through js/api/joanie.ts, bundled into the demo catalog), with the access
// token of Richie's authentication backend. Run by test/browser/joanie.test.ts inside a private
// mount namespace whose /etc/hosts got its entries from `richie-dev hosts add`; prints one JSON
// line of what it saw.
// argv: catalogCourseUrl joanieOrigin homeDir login(lms|keycloak) openRunMarker otherRunMarker
// A marker is a JSON list of texts the run's block contains all of (its dates and "Free access").
// openRunMarker: the run to enroll in; otherRunMarker: another open Joanie run of the same course,
// which Joanie must refuse once the user is enrolled in the first.
import { openChromium } from './chromium.mjs';
import { clickEnrollmentButton, clickLogIn, courseLink, enrollmentStatus, userMenu } from './richie-widgets.mjs';

const [courseUrl, joanie, home, login, openMarker, otherMarker] = process.argv.slice(2);
const catalog = new URL(courseUrl).origin;
const runs = { open: JSON.parse(openMarker), other: JSON.parse(otherMarker) };

const { page, load, finish } = await openChromium(home, 'joanie');
const seen = { login, steps: [], joanieRequests: [], lmsRequests: [], failed: [] };
page.on('response', (response) => {
  const url = new URL(response.url());
  const line = `${response.status()} ${response.request().method()} ${url.pathname}${url.search}`;
  if (response.status() >= 400) seen.failed.push(`${response.status()} ${response.url()}`);
  if (url.origin === joanie) seen.joanieRequests.push(line);
  else if (url.origin !== catalog && url.pathname.startsWith('/api/')) seen.lmsRequests.push(`${url.origin} ${line}`);
});
const status = (run) => enrollmentStatus(page, runs[run]);
const step = async (name, run) => seen.steps.push([name, run, await status(run)]);
// Richie keeps its query cache in sessionStorage, written at most every 500 ms
// (js/settings/settings.prod.ts): a reload sooner would read the cache from before the click.
const settle = () => page.waitForTimeout(1500);
/** Clicks the run's "Enroll now" and waits for the widget to answer: its busy state gone, the run's status changed. */
async function enroll(run) {
  const before = await status(run);
  await clickEnrollmentButton(page, runs[run]);
  await page.waitForSelector('[aria-busy="true"]', { state: 'detached', timeout: 15000 });
  // The busy state may not have begun when that wait returned (a loaded machine): the click is
  // answered once the run's status leaves what it was (at most 15 s).
  for (let i = 0; i < 75 && (await status(run)) === before; i++) await page.waitForTimeout(200);
}

/**
 * The ways to log in, each from the catalog page and back on it: `lms`, Richie's user menu to the
 * demo LMS's login form (the authentication backend Fonzie follows the LMS's session); `keycloak`,
 * the same menu to Keycloak's form (as flows/keycloak.mjs does it).
 */
const logins = {
  async lms() {
    await Promise.all([page.waitForURL(/\/login/), clickLogIn(page)]);
    seen.loginUrl = page.url();
    await page.fill('#username', 'student');
    await page.fill('#password', 'student');
    await Promise.all([page.waitForURL((url) => url.origin === catalog), page.click('#login-submit')]);
  },
  /** Richie's `keycloak` backend: keycloak-js to the Keycloak stand-in's form, back with a code (then exchanged). */
  async keycloak() {
    await Promise.all([page.waitForURL((url) => url.origin !== catalog), clickLogIn(page)]);
    seen.loginUrl = page.url();
    await page.fill('#username', 'student');
    await page.fill('#password', 'student');
    await Promise.all([page.waitForURL((url) => url.origin === catalog && !url.hash.includes('state='), { timeout: 20000 }), page.click('#kc-login')]);
  },
};

/**
 * A reload. With Keycloak, keycloak-js's check-sso then leaves the page for Keycloak and comes back
 * (prompt=none, no iframe) and exchanges the code: a click before that is lost with the first
 * page, so wait for the token endpoint's answer and the page's calls after it.
 */
async function reload() {
  const exchanged = login === 'keycloak' ? page.waitForResponse((r) => r.url().endsWith('/protocol/openid-connect/token'), { timeout: 20000 }) : undefined;
  await page.reload();
  if (!exchanged) return;
  await exchanged;
  await page.waitForLoadState('networkidle');
}

try {
  if (!logins[login]) throw new Error(`no login "${login}"`);
  await load(courseUrl);
  await step('anonymous', 'open');
  await logins[login]();
  seen.backOn = page.url();
  seen.user = await userMenu(page);
  await step('logged-in', 'open');
  // The token Richie's Joanie client sends (fetchWithJWT): the backend's, kept in sessionStorage.
  seen.token = await page.evaluate(() => sessionStorage.getItem('RICHIE_USER_TOKEN'));
  await enroll('open');
  await step('after-click', 'open');
  seen.courseLink = await courseLink(page, runs.open);
  await settle();
  await reload();
  await step('after-reload', 'open');
  // Enrolled in an open run of the course, the user may not enroll in another one (Joanie's
  // EnrollmentSerializer.create, CourseRun.can_enroll): Richie offers it, Joanie refuses it.
  await step('other-before', 'other');
  await enroll('other');
  await step('other-after-click', 'other');
  seen.otherError = await page.evaluate(() => [...document.querySelectorAll('.course-run-enrollment__errortext')].map((el) => el.textContent.trim()));
} catch (error) {
  seen.error = error.message.split('\n')[0];
  seen.url = page.url();
}
await finish(seen);
