// Drives Debian's Chromium through Richie's `fonzie-keycloak` authentication on the demo catalog:
// every call is made by Richie's own front end (richie-education
// js/api/lms/openedx-fonzie-keycloak.ts, bundled into the demo catalog): login at the LMS's
// /keycloak-login, which sends the browser to Keycloak and back through the LMS; `me` from
// Fonzie; the Keycloak account call with Fonzie's token; logout at the LMS. Run by
// test/browser/fonzie-keycloak.test.ts inside a private mount namespace whose /etc/hosts got its
// entries from `richie-dev hosts add`; prints one JSON line of what it saw.
// argv: catalogCourseUrl lmsOrigin keycloakOrigin homeDir
import { openChromium } from './chromium.mjs';
import { clickLogIn, userMenu } from './richie-widgets.mjs';

const [courseUrl, lms, keycloak, home] = process.argv.slice(2);
const catalog = new URL(courseUrl).origin;
const widget = '.richie-react--user-login';

const { page, load, finish } = await openChromium(home, 'fonzie-keycloak');
const seen = { steps: [], requests: [] };
// What the browser asked of the LMS and of Keycloak (the page's own origin left out).
page.on('response', (response) => {
  const url = new URL(response.url());
  const site = url.origin === lms ? 'lms' : url.origin === keycloak ? 'keycloak' : undefined;
  if (site) seen.requests.push(`${site} ${response.status()} ${response.request().method()} ${url.pathname}`);
});
const mark = (name) => seen.steps.push([name, seen.requests.splice(0)]);
/** The token Richie keeps for Joanie, read once its session has settled (up to 5 s). */
const sessionToken = async (present) => {
  await page.waitForFunction((want) => (sessionStorage.getItem('RICHIE_USER_TOKEN') !== null) === want, present, { timeout: 5000 }).catch(() => undefined);
  return page.evaluate(() => sessionStorage.getItem('RICHIE_USER_TOKEN'));
};

try {
  await load(courseUrl);
  seen.anonymous = await userMenu(page);
  mark('anonymous');

  // Richie's "Log in": the LMS's /keycloak-login, then Keycloak's form.
  await Promise.all([page.waitForURL((url) => url.origin === keycloak, { timeout: 20000 }), clickLogIn(page)]);
  const loginUrl = new URL(page.url());
  seen.loginUrl = `${loginUrl.origin}${loginUrl.pathname}`;
  seen.loginForm = await page.isVisible('#kc-form-login');
  await page.fill('#username', 'student');
  await page.fill('#password', 'student');
  // Back through the LMS's callback to the page Richie named in `next`.
  await Promise.all([page.waitForURL((url) => url.origin === catalog, { timeout: 20000 }), page.click('#kc-login')]);
  seen.backOn = page.url();
  seen.loggedIn = await userMenu(page);
  seen.sessionToken = await sessionToken(true);
  mark('login');

  // Richie's "Log out": the LMS's /logout (no-cors fetch); anonymous again, the token dropped.
  await page.click(`${widget} .selector__button`);
  await page.click(`${widget} .selector__list button:has-text("Log out")`);
  await page.waitForSelector(`${widget} button:has-text("Log in")`, { timeout: 15000 });
  seen.afterLogout = await userMenu(page);
  seen.sessionTokenAfterLogout = await sessionToken(false);
  // A new page load: the LMS session is gone (Fonzie's me answers 403).
  await page.reload();
  seen.afterReload = await userMenu(page);
  mark('logout');
} catch (error) {
  seen.error = error.message.split('\n')[0];
  seen.url = page.url();
}
await finish(seen);
