/** Doctor checks for the tools richie-dev drives. */
import { hasTool } from '../exec.js';
import { findNssDatabases } from '../trust/nss.js';
import type { Check } from './types.js';

export const certutilCheck: Check = {
  id: 'certutil',
  group: 'tools',
  title: 'certutil, for browsers using NSS',
  async run(ctx) {
    const dbs = await findNssDatabases(ctx.env);
    if (await hasTool('certutil', ctx.env)) return { status: 'pass', seen: `installed; ${dbs.length} NSS database${dbs.length === 1 ? '' : 's'} found` };
    if (dbs.length === 0) return { status: 'pass', seen: 'not installed, and no NSS database needs it' };
    return {
      status: 'fail',
      seen: `not installed, so ${dbs.map((d) => d.label).join(', ')} cannot be made to trust the CA`,
      fix: 'sudo apt install libnss3-tools (Fedora: nss-tools), then richie-dev trust install',
    };
  },
};

export const TOOL_CHECKS: readonly Check[] = [certutilCheck];
