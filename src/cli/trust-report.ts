/**
 * Human lines for per-store trust reports, shared by `trust` and `setup-ssl`.
 */
import type { StoreReport } from '../trust/index.js';
import type { Colors } from './shared.js';

export function formatTrustReports(reports: readonly StoreReport[], c: Colors): string {
  if (reports.length === 0) return '  (no trust stores found)';
  return reports
    .map((r) => {
      const mark =
        r.action === 'failed'
          ? c.red('✖')
          : r.action === 'blocked'
            ? c.yellow('!')
            : r.action !== 'none' || r.after === 'trusted'
              ? c.green('✔')
              : r.after === 'unknown'
                ? c.dim('?')
                : c.yellow('!');
      const state =
        r.action === 'installed' ? 'installed' : r.action === 'uninstalled' ? 'removed' : r.after === 'trusted' ? 'trusted' : r.after === 'unknown' ? 'unknown' : 'not trusted';
      const lines = [`  ${mark} ${r.label}: ${state}`];
      if (r.reason) lines.push(`      ${r.reason}`);
      if (r.fix) lines.push(`      → ${r.fix}`);
      for (const cmd of r.commands ?? []) lines.push(`        ${cmd}`);
      if (r.certificateCopy) lines.push(`      (${r.certificateCopy} is the checked CA certificate, written for these commands; delete it afterwards)`);
      return lines.join('\n');
    })
    .join('\n');
}
