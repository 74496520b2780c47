// Debian's Chromium for the flow scripts (run by test/browser/*.test.ts in a private mount
// namespace): a persistent profile under the given home (a browser that has never run there
// starts from nothing), the page's console errors collected, and a page load that rides out
// Docker's interface churn.
import { chromium } from 'playwright-core';

/** Debian's Chromium (never a downloaded browser), and the flags every test starts it with. */
export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * Chromium on `${home}/chromium-profile-${profile}`, in UTC (the run markers are UTC dates), with
 * one page. `consoleErrors`: the first line of each console error and uncaught page error.
 * `finish(seen)` prints what the flow saw, those errors with it, and closes Chromium.
 */
export async function openChromium(home, profile) {
  const context = await chromium.launchPersistentContext(`${home}/chromium-profile-${profile}`, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    env: { ...process.env, HOME: home, TZ: 'UTC' },
  });
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text().split('\n')[0]);
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));

  /**
   * Loads a page. Docker adds and removes host interfaces as containers come and go; Chromium then
   * aborts what is in flight with ERR_NETWORK_CHANGED (the page, or the bundle it loads): the
   * machine, not the stack, so load again (four tries). Any other failure throws.
   */
  async function load(url) {
    for (let attempt = 0; ; attempt++) {
      const before = consoleErrors.length;
      const response = await page.goto(url).catch((error) => ({ error: error.message }));
      if (response.error?.includes('ERR_NETWORK_CHANGED') && attempt < 3) continue;
      if (response.error) throw new Error(`loading ${url}: ${response.error.split('\n')[0]}`);
      await page.waitForLoadState('load');
      if (!consoleErrors.slice(before).some((e) => e.includes('ERR_NETWORK_CHANGED')) || attempt >= 3) return;
      consoleErrors.splice(before);
      await page.waitForTimeout(500);
    }
  }

  /** Ends the flow: its one JSON line (what it saw, with the console errors) printed, Chromium closed. */
  async function finish(seen) {
    seen.consoleErrors = consoleErrors;
    await context.close();
    console.log(JSON.stringify(seen));
  }

  return { context, page, consoleErrors, load, finish };
}
