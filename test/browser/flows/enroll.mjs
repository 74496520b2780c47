// Drives Debian's Chromium through the catalog -> LMS login -> back -> enroll round trip, on the
// demo course page rendered by Richie's own widgets (richie-education, bundled into the demo
// catalog): the user menu's "Log in", the run's enrollment widget. Run by
// test/browser/enrollment.test.ts inside a private mount namespace whose /etc/hosts got its
// entries from `richie-dev hosts add`; prints one JSON line of what it saw.
// argv: catalogCourseUrl homeDir screenshotPath mode(real|fake|untrusted|cors) [runMarker]
// runMarker: text of the run's dates ("From Jan 01, 2027 to ..."), to pick it among the open runs.
import { openChromium } from './chromium.mjs';
import { clickEnrollmentButton, clickLogIn, enrollmentStatus, userMenu } from './richie-widgets.mjs';

const [courseUrl, home, screenshot, mode, marker = ''] = process.argv.slice(2);
const { context, page, consoleErrors, finish } = await openChromium(home, mode);
const seen = { mode, steps: [] };
const status = () => enrollmentStatus(page, marker);
// Richie keeps its query cache in sessionStorage, written at most every 500 ms
// (js/settings/settings.prod.ts): a reload sooner would read the cache from before the click.
const settle = () => page.waitForTimeout(1500);
/** Clicks the run's "Enroll now" and waits for the widget to leave its busy state. */
async function enroll() {
  await clickEnrollmentButton(page, marker);
  await page.waitForSelector('[aria-busy="true"]', { state: 'detached', timeout: 15000 });
}
const lmsRequests = [];
/** Log in on the LMS from the catalog page's login button; back on the catalog afterwards. */
async function logInOnLms() {
  await Promise.all([page.waitForURL(/\/login/), clickLogIn(page)]);
  seen.loginUrl = page.url();
  await page.fill('#username', 'student');
  await page.fill('#password', 'student');
  await Promise.all([page.waitForURL((url) => url.href.startsWith(new URL(courseUrl).origin)), page.click('#login-submit')]);
  seen.backOn = page.url();
}
page.on('request', (request) => {
  if (new URL(request.url()).pathname.startsWith('/api/')) lmsRequests.push(`${request.method()} ${request.url()}`);
});
try {
  // Docker adds and removes host interfaces as containers come and go (other tests, other
  // projects); Chromium then aborts what is in flight with ERR_NETWORK_CHANGED — the page, or
  // the front-end bundle it loads. That is the machine, not the stack: load again.
  let response;
  for (let attempt = 0; attempt < 4; attempt++) {
    const before = consoleErrors.length;
    response = await page.goto(courseUrl).catch((error) => ({ error: error.message }));
    if (response.error?.includes('ERR_NETWORK_CHANGED')) continue;
    if (response.error || mode === 'untrusted') break;
    await page.waitForLoadState('load');
    if (!consoleErrors.slice(before).some((e) => e.includes('ERR_NETWORK_CHANGED'))) break;
    consoleErrors.splice(before);
    await page.waitForTimeout(500);
  }
  if (response.error) {
    seen.loadError = response.error.split('\n')[0];
  } else if (mode === 'cors') {
    seen.steps.push(['anonymous', await status()]);
    await logInOnLms();
    seen.steps.push(['logged-in', await status()]);
  } else if (mode === 'fake') {
    seen.steps.push(['anonymous', await status()]);
    // Richie's dummy authentication: log in stays in the browser (localStorage), then reloads.
    await Promise.all([page.waitForEvent('load'), clickLogIn(page)]);
    seen.steps.push(['logged-in', await status()]);
    seen.user = await userMenu(page);
    await enroll();
    seen.steps.push(['after-click', await status()]);
    await settle();
    await page.reload();
    seen.steps.push(['after-reload', await status()]);
    seen.sessionStorage = await page.evaluate(() => ({ ...sessionStorage }));
  } else {
    seen.steps.push(['anonymous', await status()]);
    await logInOnLms();
    seen.steps.push(['logged-in', await status()]);
    seen.user = await userMenu(page);
    await enroll();
    seen.steps.push(['after-click', await status()]);
    await settle();
    await page.reload();
    seen.steps.push(['after-reload', await status()]);
    seen.cookies = (await context.cookies()).map((c) => ({ name: c.name, domain: c.domain, secure: c.secure, sameSite: c.sameSite }));
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  }
} catch (error) {
  seen.error = error.message.split('\n')[0];
}
seen.lmsRequests = lmsRequests;
await finish(seen);
