import type { Command } from 'commander';
import type { SetupSslResult } from '../commands/setup-ssl.js';
import { confirm, finish, globalOptions, type Colors } from './shared.js';
import { formatTrustReports } from './trust-report.js';

export function register(program: Command): void {
  program
    .command('setup-ssl')
    .description('create or reuse a local CA, issue one certificate for every configured host, and render the TLS configuration')
    .option('--force', 'reissue the certificate; recreate the CA when its name constraints do not cover the hosts')
    .option('--no-cert', 'use the certificates you put in .richie-dev/ssl/<host>.pem and .key, and check them')
    .option('--ca-root <dir>', 'the CA root (default: $CAROOT, else ~/.local/share/richie-dev); "$(mkcert -CAROOT)" reuses mkcert\'s CA')
    .option('--trust', 'also install the CA into the trust stores (asked on a terminal)')
    .option('--no-trust', 'do not install the CA; only report where it is not trusted yet')
    .addHelpText(
      'after',
      `
Files: the CA in <ca-root>/rootCA.pem and rootCA-key.pem (mkcert's names, so mkcert can use
it); the certificate chain and key for each host in .richie-dev/ssl/<host>.pem and .key;
the nginx servers and the apps' settings for TLS in .richie-dev/nginx and .richie-dev/env
(with the LMS backend last rendered, else real).
A second run changes nothing while the certificate is valid for more than 30 days, covers
the hosts and chains to the current CA.`,
    )
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ force?: boolean; cert: boolean; caRoot?: string; trust?: boolean }>();
      const { run, trustPending } = await import('../commands/setup-ssl.js');
      let trust: 'install' | 'report' = opts.trust === true ? 'install' : 'report';
      // Ask before the task list starts (STYLE.md 10), only when it would change something;
      // non-interactive runs never prompt.
      if (opts.trust === undefined && opts.cert && g.interactive && (await trustPending({ projectDir: g.projectDir, caRoot: opts.caRoot }))) {
        trust = (await confirm('Install the CA into the system trust store and browsers where it is missing (may ask for sudo)?'))
          ? 'install'
          : 'report';
      }
      const result = await run({
        projectDir: g.projectDir,
        caRoot: opts.caRoot,
        force: Boolean(opts.force),
        noCert: !opts.cert,
        trust,
        progress: g.progress,
      });
      finish(g, result, (c) => formatSetupSsl(result, c), result.exitCode);
    });
}

function formatSetupSsl(result: SetupSslResult, c: Colors): string {
  const lines: string[] = [];
  if (result.ca) {
    const scope = result.ca.constraints ? `limited to ${[...result.ca.constraints.dns, ...result.ca.constraints.ip].join(', ')}` : c.yellow('no name constraints');
    lines.push(`${c.green('✔')} CA ${result.ca.created ? 'created' : 'reused'}: ${result.ca.dir} (${scope})`);
  }
  const cert = result.certificate;
  const until = cert.notAfter ? ` until ${cert.notAfter.slice(0, 10)} (${cert.daysLeft} days)` : '';
  lines.push(`${c.green('✔')} Certificate ${cert.issued ? 'issued' : 'valid'} for ${cert.names.join(', ')}${until}`);
  for (const f of cert.files) lines.push(`    ${f.cert}\n    ${f.key}`);
  if (result.trust.length) {
    lines.push('Trust:', formatTrustReports(result.trust, c));
    if (result.trust.some((r) => r.after === 'not-trusted' && r.action === 'none')) lines.push(`  → run "richie-dev trust install" to trust the CA`);
  }
  if (result.rendered) {
    const changed = result.rendered.files.filter((f) => f.status === 'written').length;
    lines.push(`${c.green('✔')} TLS configuration (${result.rendered.backend} LMS backend): ${changed ? `${changed} file${changed > 1 ? 's' : ''} written` : c.dim('unchanged')}`);
  }
  for (const w of result.warnings) lines.push(`${c.yellow('!')} ${w}`);
  return lines.join('\n');
}
