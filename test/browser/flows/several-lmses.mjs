// Drives Debian's Chromium through two demo courses, each with its run on its own LMS; every call
// to an LMS is made by Richie's own front end (richie-education's openedx-hawthorn module, bundled
// into the demo catalog). Run by test/browser/several-lmses.test.ts inside a private mount
// namespace whose /etc/hosts got its entries from `richie-dev hosts add`; prints one JSON line.
// argv: catalogOrigin homeDir marker1 marker2 (each course's open run, by its dates: "From ... to ...")
// The pages are rendered by Richie's widgets: the user menu, and each run's enrollment widget.
//
// What Richie's code does with several LMSes (richie-education js/api):
// - authentication.ts: the user is read from RICHIE_AUTHENTICATION_DELEGATION only (here the
//   first LMS): its login button and `user.me` go there, whichever course the page shows;
// - lms/index.ts + configuration.ts (findLmsBackend): the enrollment calls go to the first
//   lms_backends entry whose course_regexp matches the run's resource link;
// - lms/openedx-hawthorn.ts: `user.login` is `${endpoint}/login?next=richie${location.pathname}`.
// So a user known to the first LMS has no session on the second: they log in there too, on the
// login URL openedx-hawthorn builds for that LMS's entry.
import { openChromium } from './chromium.mjs';
import { clickEnrollmentButton, clickLogIn, enrollmentStatus, userMenu } from './richie-widgets.mjs';

const [catalogOrigin, home, marker1, marker2] = process.argv.slice(2);
const { context, page, load, finish } = await openChromium(home, 'several-lmses');
const seen = { steps: [], requests: {} };
let phase = 'start';
// Every API call the page makes, with its answer's status, grouped by phase.
const answered = new WeakSet();
page.on('response', (response) => {
  const request = response.request();
  answered.add(request);
  if (!new URL(request.url()).pathname.startsWith('/api/')) return;
  (seen.requests[phase] ??= []).push(`${response.status()} ${request.method()} ${request.url()}`);
});
// A request that got no answer at all. (One that did and whose body Richie never reads, an
// empty "not enrolled" 200, may be reported failed too, net::ERR_ABORTED: counted once, above.)
page.on('requestfailed', (request) => {
  if (answered.has(request) || !new URL(request.url()).pathname.startsWith('/api/')) return;
  (seen.requests[phase] ??= []).push(`failed (${request.failure()?.errorText}) ${request.method()} ${request.url()}`);
});

let marker = marker1;
const status = () => enrollmentStatus(page, marker);
const step = async (name) => seen.steps.push([name, await status()]);
/** The resource link of the page's run whose dates the widget writes as `m` (from the widget's props). */
const linkOf = (m) =>
  page.evaluate((text) => {
    const props = JSON.parse(document.querySelector('.richie-react--syllabus-course-runs-list').dataset.props);
    const day = (iso) => new Intl.DateTimeFormat('en-US', { day: '2-digit', month: 'short', year: 'numeric', timeZone: 'UTC' }).format(Date.parse(iso));
    return props.courseRuns.find((run) => `From ${day(run.start)} to ${day(run.end)}` === text)?.resource_link ?? null;
  }, m);


/** Fill the demo LMS's login form as student; back on the catalog afterwards. */
async function submitLogin() {
  await page.fill('#username', 'student');
  await page.fill('#password', 'student');
  await Promise.all([page.waitForURL((url) => url.href.startsWith(catalogOrigin)), page.click('#login-submit')]);
  return page.url();
}

async function enroll() {
  await clickEnrollmentButton(page, marker);
  await page.waitForSelector('[aria-busy="true"]', { state: 'detached', timeout: 15000 });
  seen.steps.push([`${phase}:after-click`, await status()]);
  // Richie writes its query cache to sessionStorage at most every 500 ms (js/settings/settings.prod.ts).
  await page.waitForTimeout(1500);
}

const course1 = `${catalogOrigin}/en/courses/demo/`;
const course2 = `${catalogOrigin}/en/courses/demo-2/`;
try {
  // ---- Course 1, its run on the first LMS (the authentication LMS too).
  phase = 'course1';
  await load(course1);
  // What Richie's js/utils/context.ts reads: window.__richie_frontend_context__.context.
  seen.frontendContext = await page.evaluate(() => {
    const { authentication, lms_backends } = window.__richie_frontend_context__.context;
    return { authentication, lms_backends };
  });
  seen.link1 = await linkOf(marker1);
  await step('course1:anonymous');
  // Richie's login button: AuthenticationApi.login, on the authentication LMS.
  await Promise.all([page.waitForURL(/\/login/), clickLogIn(page)]);
  seen.login1 = page.url();
  seen.back1 = await submitLogin();
  await step('course1:logged-in');
  seen.user1 = await userMenu(page);
  await enroll();

  // ---- Course 2, its run on the second LMS; the browser has a session on the first only.
  phase = 'course2-first-lms-session';
  marker = marker2;
  await load(course2);
  seen.link2 = await linkOf(marker2);
  // The read fails (401) after react-query's retries; until then the widget offers to enroll.
  await page.waitForFunction(() => document.body.textContent.includes('Enrollment fetching failed'), null, { timeout: 20000 }).catch(() => {});
  await step('course2:first-lms-session-only');
  seen.user2 = await userMenu(page);
  seen.loginButtonShown2 = await page.isVisible('button:has-text("Log in")');

  // Log in on the second LMS, on the URL openedx-hawthorn's user.login builds for the entry
  // findLmsBackend picks for this run: `${endpoint}/login?next=richie${location.pathname}`.
  phase = 'course2-login';
  const loginUrl = await page.evaluate((link) => {
    const lms = window.__richie_frontend_context__.context.lms_backends.find((entry) => new RegExp(entry.course_regexp).test(link));
    return `${lms.endpoint}/login?next=richie${location.pathname}`;
  }, seen.link2);
  await load(loginUrl);
  seen.login2 = page.url();
  seen.back2 = await submitLogin();
  phase = 'course2';
  await step('course2:logged-in');
  await enroll();
  await page.reload();
  await step('course2:after-reload');

  // ---- Course 1 again: still enrolled, on its own LMS.
  phase = 'course1-again';
  marker = marker1;
  await load(course1);
  await step('course1:again');
  seen.cookies = (await context.cookies()).map((c) => ({ name: c.name, domain: c.domain }));
} catch (error) {
  seen.error = `${phase}: ${error.message.split('\n')[0]}`;
}
await finish(seen);
