/**
 * Human lines for per-store trust reports, shared by `trust` and `setup-ssl`.
 */
import type { BrowserReport, StoreReport } from '../trust/index.js';
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

/** One line per browser found: whether it trusts the CA, and from which stores. */
export function formatBrowserReports(browsers: readonly BrowserReport[], c: Colors): string {
  if (browsers.length === 0) return '  (no browser found: looked for chromium, chromium-browser, google-chrome, google-chrome-stable, firefox, firefox-esr on PATH and their snaps)';
  return browsers
    .map((b) => {
      const mark = b.trusted === 'trusted' ? c.green('✔') : b.trusted === 'unknown' ? c.dim('?') : c.red('✖');
      const state = b.trusted === 'trusted' ? 'trusts the CA' : b.trusted === 'unknown' ? 'unknown' : 'does not trust the CA';
      const lines = [`  ${mark} ${b.name} (${b.path}): ${state}`];
      if (b.reason) lines.push(`      ${b.reason}`);
      return lines.join('\n');
    })
    .join('\n');
}
