// Drives Debian's Chromium through Richie's `keycloak` authentication on the demo catalog: every
// call to Keycloak is made by Richie's own front end (richie-education js/api/auth/keycloak.ts)
// and keycloak-js, bundled into the demo catalog. Run by test/browser/keycloak.test.ts inside a
// private mount namespace whose /etc/hosts got its entries from `richie-dev hosts add`; prints
// one JSON line of what it saw. argv: catalogCourseUrl keycloakOrigin homeDir
import { openChromium } from './chromium.mjs';
import { clickLogIn, userMenu } from './richie-widgets.mjs';

const [courseUrl, keycloak, home] = process.argv.slice(2);
const catalog = new URL(courseUrl).origin;

/**
 * The page's own controls, in one place: Richie's user menu (richie-education
 * js/widgets/UserLogin), whose buttons call the session's login, register and destroy, that is
 * js/api/auth/keycloak.ts. Its strings are Richie's default (en-US) messages.
 */
function ui(page) {
  const widget = '.richie-react--user-login';
  return {
    /** The name the menu shows once Richie's `me` has answered; null while it offers "Log in". */
    user: () => userMenu(page),
    login: () => clickLogIn(page),
    register: () => page.click(`${widget} button:has-text("Sign up")`),
    /** Opens the menu (DesktopUserMenu at Chromium's 1280px viewport) and picks "Log out". */
    logout: async () => {
      await page.click(`${widget} .selector__button`);
      await page.click(`${widget} .selector__list button:has-text("Log out")`);
    },
  };
}

const { page, load, finish } = await openChromium(home, 'keycloak');
const seen = { steps: [], keycloakRequests: [] };
const controls = ui(page);
page.on('response', (response) => {
  const url = new URL(response.url());
  if (url.origin === keycloak) seen.keycloakRequests.push(`${response.status()} ${response.request().method()} ${url.pathname}${url.searchParams.has('prompt') ? `?prompt=${url.searchParams.get('prompt')}` : ''}${url.searchParams.has('kc_action') ? `?kc_action=${url.searchParams.get('kc_action')}` : ''}`);
});
const mark = (name) => seen.steps.push([name, seen.keycloakRequests.splice(0)]);
const backOnCatalog = () => page.waitForURL((url) => url.origin === catalog && !url.hash.includes('state='), { timeout: 20000 });

/** Keycloak's login or registration form, filled in; back on the catalog afterwards. */
async function signIn(fields) {
  for (const [id, value] of Object.entries(fields)) await page.fill(`#${id}`, value);
  await Promise.all([backOnCatalog(), page.click('#kc-login')]);
}

try {
  await load(courseUrl);
  seen.anonymous = await controls.user();
  mark('anonymous');

  await Promise.all([page.waitForURL((url) => url.origin === keycloak), controls.login()]);
  const loginUrl = new URL(page.url());
  seen.loginUrl = `${loginUrl.origin}${loginUrl.pathname}`;
  seen.loginForm = await page.isVisible('#kc-form-login');
  await signIn({ username: 'student', password: 'student' });
  seen.backOn = page.url();
  seen.loggedIn = await controls.user();
  seen.sessionToken = await page.evaluate(() => sessionStorage.getItem('RICHIE_USER_TOKEN'));
  mark('login');

  // A new page load: check-sso finds the Keycloak session (prompt=none), no form.
  await page.reload();
  seen.afterReload = await controls.user();
  // Richie's keycloak.ts `me` stores the ID token when loadUserProfile answers: one still in
  // flight at the logout click would store it again after logout removed it (a race in Richie's
  // code, not the stand-in's). Log out once the page's calls are done, as a user would.
  await page.waitForLoadState('networkidle');
  mark('reload');

  // Keycloak's logout page submits itself at once (id_token_hint): wait for the navigation to commit, not to load.
  await Promise.all([page.waitForURL((url) => url.origin === keycloak, { timeout: 20000, waitUntil: 'commit' }), controls.logout()]);
  await backOnCatalog();
  seen.afterLogout = await controls.user();
  // Richie's session settles after the page is back (its check-sso round trip): give it 5 s to drop the token, then read it.
  await page.waitForFunction(() => sessionStorage.getItem('RICHIE_USER_TOKEN') === null, null, { timeout: 5000 }).catch(() => undefined);
  seen.sessionTokenAfterLogout = await page.evaluate(() => sessionStorage.getItem('RICHIE_USER_TOKEN'));
  mark('logout');

  await Promise.all([page.waitForURL((url) => url.origin === keycloak), controls.register()]);
  seen.registerForm = await page.isVisible('#kc-register-form');
  await signIn({ firstName: 'Ada', lastName: 'Lovelace', email: 'ada@example.com', username: 'ada', password: 'ada-secret' });
  seen.registered = await controls.user();
  mark('register');
} catch (error) {
  seen.error = error.message.split('\n')[0];
  seen.url = page.url();
}
await finish(seen);
