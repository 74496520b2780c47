// Drives Debian's Chromium through the catalog -> LMS login -> back -> enroll round trip; the
// page's calls to the LMS are made by Richie's own front end (richie-education, bundled into the
// demo catalog). Run by test/browser/enrollment.test.ts inside a private mount namespace whose
// /etc/hosts got its entries from `richie-dev hosts add`; prints one JSON line of what it saw.
// argv: catalogCourseUrl homeDir screenshotPath mode(real|fake|untrusted|cors)
import { chromium } from 'playwright-core';

const [courseUrl, home, screenshot, mode] = process.argv.slice(2);
const context = await chromium.launchPersistentContext(`${home}/chromium-profile-${mode}`, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  env: { ...process.env, HOME: home },
});
const seen = { mode, steps: [] };
const page = await context.newPage();
const status = async () => {
  await page.waitForFunction(() => !['…', ''].includes(document.getElementById('status')?.textContent ?? ''), null, { timeout: 15000 });
  return page.textContent('#status');
};
const lmsRequests = [];
const consoleErrors = [];
page.on('console', (message) => {
  if (message.type() === 'error') consoleErrors.push(message.text().split('\n')[0]);
});
page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
/** Log in on the LMS from the catalog page's login button; back on the catalog afterwards. */
async function logInOnLms() {
  await Promise.all([page.waitForURL(/\/login/), page.click('#login')]);
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
    await Promise.all([page.waitForEvent('load'), page.click('#login')]);
    seen.steps.push(['logged-in', await status()]);
    seen.user = await page.textContent('#user');
    await page.click('#enroll');
    await page.waitForFunction(() => document.getElementById('status')?.textContent !== 'not enrolled', null, { timeout: 15000 });
    seen.steps.push(['after-click', await page.textContent('#status')]);
    await page.reload();
    seen.steps.push(['after-reload', await status()]);
    seen.sessionStorage = await page.evaluate(() => ({ ...sessionStorage }));
  } else {
    seen.steps.push(['anonymous', await status()]);
    await logInOnLms();
    seen.steps.push(['logged-in', await status()]);
    seen.user = await page.textContent('#user');
    await page.click('#enroll');
    await page.waitForFunction(() => document.getElementById('status')?.textContent !== 'not enrolled', null, { timeout: 15000 });
    seen.steps.push(['after-click', await page.textContent('#status')]);
    await page.reload();
    seen.steps.push(['after-reload', await status()]);
    seen.cookies = (await context.cookies()).map((c) => ({ name: c.name, domain: c.domain, secure: c.secure, sameSite: c.sameSite }));
    if (screenshot) await page.screenshot({ path: screenshot, fullPage: true });
  }
} catch (error) {
  seen.error = error.message.split('\n')[0];
}
seen.lmsRequests = lmsRequests;
seen.consoleErrors = consoleErrors;
await context.close();
console.log(JSON.stringify(seen));
