/**
 * Debian's Chromium driven by playwright-core (never a downloaded browser), with its own HOME
 * (and XDG dirs) so it reads a private NSS database that `richie-dev trust` creates and fills:
 * nothing is prepared for it, as on a machine where Chromium was just installed.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext } from 'playwright-core';
import { cli, hasTool } from '../helpers.js';
import { CHROMIUM, CHROMIUM_ARGS } from './flows/chromium.mjs';

export { CHROMIUM };

export function hasChromium(): boolean {
  return hasTool('chromium');
}

/**
 * The stack a browser test drives: `project` with `config`, its own hosts file, `run-ssl`, and
 * the CA trusted (`richie-dev trust install`, which creates the NSS database Chromium will open under `home`). `env` gives
 * CAROOT, HOME and TRUST_STORES; `down --volumes` is the caller's.
 */
export async function trustedStack(options: { project: string; home: string; env: Record<string, string>; config: object }): Promise<void> {
  const { project, home, env } = options;
  mkdirSync(project, { recursive: true });
  writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify(options.config));
  writeFileSync(join(project, 'hosts'), '127.0.0.1 localhost\n');
  const up = await cli(['--project-dir', project, 'run-ssl', '--hosts-file', join(project, 'hosts')], { env });
  if (up.exitCode !== 0) throw new Error(`run-ssl failed (exit ${up.exitCode}):\n${up.stdout}${up.stderr}`);
  const trust = await cli(['--project-dir', project, 'trust', 'install'], { env });
  if (trust.exitCode !== 0) throw new Error(`trust install failed (exit ${trust.exitCode}):\n${trust.stdout}${trust.stderr}`);
}

export interface LaunchOptions {
  home: string;
  /** More environment for Chromium (XDG_DATA_HOME and friends). */
  env?: Record<string, string>;
  /** Chromium --host-resolver-rules, e.g. "MAP richie.local.dev 127.0.0.1". */
  resolverRules?: string;
}

export async function launchChromium(options: LaunchOptions): Promise<{ browser: Browser; context: BrowserContext }> {
  const { chromium } = await import('playwright-core');
  const userDataDir = join(options.home, 'chromium-profile');
  const args = [...CHROMIUM_ARGS, ...(options.resolverRules ? [`--host-resolver-rules=${options.resolverRules}`] : [])];
  // launchPersistentContext gives a real --user-data-dir; HOME decides which NSS db is read.
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    env: { ...process.env, HOME: options.home, ...options.env },
  });
  return { browser: context.browser()!, context };
}
