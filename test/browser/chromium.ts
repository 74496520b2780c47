/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), with its own HOME
 * so it reads a private NSS database (~/.pki/nssdb) that `richie-dev trust` can fill.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { hasTool, sh } from '../helpers.js';

export const CHROMIUM = '/usr/bin/chromium';

export function hasChromium(): boolean {
  return hasTool('chromium');
}

/** A fresh, empty NSS database in `${home}/.pki/nssdb`, as Chromium creates on first start. */
export async function freshNssDb(home: string): Promise<string> {
  const dir = join(home, '.pki', 'nssdb');
  mkdirSync(dir, { recursive: true });
  const made = await sh('certutil', ['-N', '-d', `sql:${dir}`, '--empty-password']);
  if (made.exitCode !== 0) throw new Error(made.stderr);
  return dir;
}

export interface LaunchOptions {
  home: string;
  /** Chromium --host-resolver-rules, e.g. "MAP richie.local.dev 127.0.0.1". */
  resolverRules?: string;
}

export async function launchChromium(options: LaunchOptions): Promise<{ browser: Browser; context: BrowserContext }> {
  const { chromium } = await import('playwright-core');
  const userDataDir = join(options.home, 'chromium-profile');
  const args = [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    ...(options.resolverRules ? [`--host-resolver-rules=${options.resolverRules}`] : []),
  ];
  // launchPersistentContext gives a real --user-data-dir; HOME decides which NSS db is read.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    env: { ...process.env, HOME: options.home },
  });
  return { browser: context.browser()!, context };
}
