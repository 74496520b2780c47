import { Argument, type Command } from 'commander';
import { UserError } from '../errors.js';
import { commandContext } from './context.js';
import { collect, confirm, finish, globalOptions } from './shared.js';
import { formatBrowserReports, formatTrustReports } from './trust-report.js';

export function register(program: Command): void {
  program
    .command('trust')
    .description('install, uninstall or check the local CA in the system store and every NSS database (Chromium, Firefox)')
    .addArgument(new Argument('[action]', 'what to do').choices(['install', 'uninstall', 'status']).default('status'))
    .option('--ca-root <dir>', 'the CA root (default: $CAROOT, else "caRoot" in ~/.config/richie-dev/config.json, else ~/.local/share/richie-dev)')
    .option('--allow-unconstrained-ca', 'install even a CA richie-dev did not create, or one without name constraints (asked again on a terminal)')
    .option('--allow-domain <domain>', 'install a CA that may sign for this domain outside those reserved for local use (repeatable)', collect, [] as string[])
    .addHelpText(
      'after',
      `
Stores: the first Linux system store layout found (Debian, Fedora, Arch, openSUSE), the NSS
databases of Chromium (~/.local/share/pki/nssdb, or ~/.pki/nssdb when it exists; snap) and
Firefox profiles, created for a browser that never ran, and Firefox's policies.json for a
Firefox without a profile; under WSL, also the Windows user's Root store (certutil.exe through
WSL interop). TRUST_STORES=system,nss,firefox-policy,windows limits the stores. Without the rights to write a store, nothing changes and
the commands to run are printed. macOS and Windows: the commands are printed.

A CA richie-dev did not create, or one without name constraints (mkcert's), is installed only
with --allow-unconstrained-ca; on a terminal its fingerprint and constraints are shown first.
A CA that may sign for a domain outside localhost, .localhost, .test, .example, .invalid,
.internal and local.dev is installed only with --allow-domain <that domain>.

Exit codes: 0 done, 3 CA refused, 4 needs root, 5 no store found, or (status) not trusted somewhere, 6 certutil missing.`,
    )
    .action(async function (this: Command, action: 'install' | 'uninstall' | 'status') {
      const g = globalOptions(this);
      const opts = this.opts<{ caRoot?: string; allowUnconstrainedCa?: boolean; allowDomain: string[] }>();
      const { normalizeAllowedDomains } = await import('../domains.js');
      const allowDomains = normalizeAllowedDomains(opts.allowDomain);
      const { run, describeCa } = await import('../commands/trust.js');
      const allowUnconstrainedCa = Boolean(opts.allowUnconstrainedCa);
      const ctx = commandContext({ projectDir: g.projectDir, caRoot: opts.caRoot });
      if (action === 'install' && allowUnconstrainedCa && g.interactive) {
        // The flag says the user means it; on a terminal, show what they are about to trust.
        const ca = await describeCa(ctx);
        if (ca?.objection) {
          process.stderr.write(`CA ${ca.dir} (${ca.key})\n  SHA-256 fingerprint: ${ca.fingerprint}\n  Name constraints: ${ca.scope}\n  ! ${ca.objection}\n`);
          if (!(await confirm('Install it into the system trust store and browsers anyway?', false))) {
            throw new UserError('Nothing was installed.', { fix: 'Use a CA made by "richie-dev setup-ssl" instead.' });
          }
        }
      }
      const result = await run(ctx, { action, allowUnconstrainedCa, allowDomains });
      finish(
        g,
        result,
        (c) =>
          [
            `CA ${result.ca.dir} (SHA-256 ${result.ca.fingerprint.slice(0, 23)}…)`,
            formatTrustReports(result.stores, c),
            ...(result.nothing ? [c.yellow(`! ${result.nothing}`)] : []),
            'Browsers:',
            formatBrowserReports(result.browsers, c),
          ].join('\n'),
        result.exitCode,
      );
    });
}
