/** Doctor checks for the tools richie-dev drives. */
import { hasTool } from '../exec.js';
import { findBrowsers } from '../trust/browsers.js';
import { findNssDatabases } from '../trust/nss.js';
import type { Check } from './types.js';

export const certutilCheck: Check = {
  id: 'certutil',
  group: 'tools',
  title: 'certutil, for browsers using NSS',
  async run(ctx) {
    const [dbs, browsers] = await Promise.all([findNssDatabases(ctx.env), findBrowsers(ctx.env)]);
    const users = [...new Set([...browsers.map((b) => b.name), ...dbs.map((d) => d.label)])];
    const examined = `${dbs.length} NSS database${dbs.length === 1 ? '' : 's'} found; browsers: ${browsers.length ? browsers.map((b) => b.name).join(', ') : 'none found'}`;
    if (await hasTool('certutil', ctx.env)) return { status: 'pass', seen: `installed; ${examined}` };
    if (users.length === 0) return { status: 'pass', seen: `not installed, and not needed: ${examined}` };
    return {
      status: 'fail',
      seen: `not installed, so ${users.join(', ')} cannot be made to trust the CA`,
      fix: 'sudo apt install libnss3-tools (Fedora: nss-tools), then richie-dev trust install',
    };
  },
};

export const TOOL_CHECKS: readonly Check[] = [certutilCheck];
