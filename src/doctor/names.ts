/** Doctor checks for names: the resolver's answer for each host, and shadowing entries. */
import { checkHosts } from '../hosts/index.js';
import { hostsTarget } from '../hosts/target.js';
import { hstsPreloaded } from '../lms/site.js';
import { readState } from '../state.js';
import { hostsAddresses } from '../stack/engine.js';
import { publishTarget } from './stack.js';
import type { Check } from './types.js';

export const resolverCheck: Check = {
  id: 'names',
  group: 'names',
  title: 'Hosts resolve to where the stack publishes its ports (system resolver)',
  async run(ctx) {
    const state = await readState(ctx.paths);
    if (!state.mode) return { status: 'skip', seen: 'the project has not been started yet' };
    if (state.mode === 'http') {
      const dev = ctx.hosts.filter(hstsPreloaded);
      if (dev.length) return { status: 'warn', seen: `over plain HTTP, ${dev.join(', ')} would be forced to HTTPS by browsers (HSTS preload); the stack serves them as localhost`, fix: 'Use http://localhost:<port>, or richie-dev run-ssl' };
      return { status: 'pass', seen: 'HTTP mode uses the configured hosts' };
    }
    const addresses = hostsAddresses(await publishTarget(ctx));
    const report = await checkHosts(await hostsTarget(ctx, { addresses }));
    const bad = report.hosts.filter((h) => !h.ok);
    const shadows = report.conflicts.filter((c) => c.shadows);
    const details = report.hosts.map((h) => `${h.host}: resolver ${h.error ?? h.resolved.join(', ')}; file ${h.entries.map((e) => `${e.address} (line ${e.line})`).join(', ') || 'no entry'}`);
    if (bad.length || shadows.length) {
      const seen = [
        ...bad.map((h) => `${h.host} ${h.error ? `does not resolve (${h.error})` : `resolves to ${h.resolved.join(', ')}`}`),
        ...shadows.map((c) => `${report.file} line ${c.line} maps ${c.host} to ${c.address} before our entries`),
      ].join('; ');
      return { status: 'fail', seen, fix: shadows.length ? `Edit ${report.file}: remove line ${shadows.map((c) => c.line).join(', ')}` : 'sudo richie-dev hosts add', details };
    }
    return { status: 'pass', seen: `${report.hosts.map((h) => h.host).join(', ')} resolve to ${addresses ? addresses.join(', ') : 'loopback'}`, details };
  },
};

export const NAME_CHECKS: readonly Check[] = [resolverCheck];
