import { Argument, type Command } from 'commander';
import { finish, globalOptions } from './shared.js';
import { formatTrustReports } from './trust-report.js';

export function register(program: Command): void {
  program
    .command('trust')
    .description('install, uninstall or check the local CA in the system store and every NSS database (Chromium, Firefox)')
    .addArgument(new Argument('[action]', 'what to do').choices(['install', 'uninstall', 'status']).default('status'))
    .option('--ca-root <dir>', 'the CA root (default: $CAROOT, else ~/.local/share/richie-dev)')
    .addHelpText(
      'after',
      `
Stores: the first Linux system store layout found (Debian, Fedora, Arch, openSUSE), and the
NSS databases of Chromium (~/.pki/nssdb, snap) and Firefox profiles. TRUST_STORES=system,nss
limits the stores, as with mkcert. Without the rights to write a store, nothing changes and
the commands to run are printed. macOS and Windows: the commands are printed.

Exit codes: 0 done, 4 needs root, 5 (status) not trusted somewhere, 6 certutil missing.`,
    )
    .action(async function (this: Command, action: 'install' | 'uninstall' | 'status') {
      const g = globalOptions(this);
      const opts = this.opts<{ caRoot?: string }>();
      const { run } = await import('../commands/trust.js');
      const result = await run({ projectDir: g.projectDir, action, caRoot: opts.caRoot });
      finish(g, result, (c) => `CA ${result.ca.dir} (SHA-256 ${result.ca.fingerprint.slice(0, 23)}…)\n${formatTrustReports(result.stores, c)}`, result.exitCode);
    });
}
