import { Option, type Command } from 'commander';
import type { SetupSslResult, TrustQuestion } from '../commands/setup-ssl.js';
import { domainsToAllow, normalizeAllowedDomains, unacceptedNames } from '../domains.js';
import { commandContext } from './context.js';
import { collect, colors, confirm, finish, globalOptions, type Colors } from './shared.js';
import { formatTrustReports } from './trust-report.js';

export function register(program: Command): void {
  program
    .command('setup-ssl')
    .description('create or reuse a local CA, issue one certificate for every configured host, and render the TLS configuration')
    .option('--force', 'reissue the certificate; recreate the CA when its name constraints do not cover the hosts')
    .option('--no-cert', 'use the certificates you put in .richie-dev/ssl/<host>.pem and .key, and check them')
    .option('--ca-root <dir>', 'the CA root (default: $CAROOT, else "caRoot" in ~/.config/richie-dev/config.json, else ~/.local/share/richie-dev); "$(mkcert -CAROOT)" reuses mkcert\'s CA')
    .addOption(new Option('--key-type <type>', 'key type of a new CA and certificate: ecdsa (P-256) or rsa (mkcert\'s RSA-3072 CA, RSA-2048 certificate)').choices(['ecdsa', 'rsa']))
    .option('--allow-unconstrained-ca', 'allow installing a CA richie-dev did not create, or one without name constraints, into the trust stores')
    .option('--allow-domain <domain>', 'allow trusting a CA that may sign for this domain, outside those reserved for local use (repeatable)', collect, [] as string[])
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
      const opts = this.opts<{ force?: boolean; cert: boolean; caRoot?: string; trust?: boolean; keyType?: 'ecdsa' | 'rsa'; allowUnconstrainedCa?: boolean; allowDomain: string[] }>();
      const { run, trustQuestion, namesOutsideCa } = await import('../commands/setup-ssl.js');
      // One context for the questions and the run: the config read once, the CA root worked out once.
      const ctx = commandContext({ projectDir: g.projectDir, caRoot: opts.caRoot });
      let allowDomains = normalizeAllowedDomains(opts.allowDomain);
      let prepared: { preparedCa: NonNullable<TrustQuestion['prepared']> } | Record<string, never> = {};
      let confirmed: { confirmedFingerprint: string } | Record<string, never> = {};
      let trust: 'install' | 'report' = opts.trust === true ? 'install' : 'report';
      let force = Boolean(opts.force);
      const allowUnconstrainedCa = Boolean(opts.allowUnconstrainedCa);
      // Questions come before the task list starts (STYLE.md 10); non-interactive runs never prompt.
      if (g.interactive && opts.cert && !force) {
        // The second project: hosts outside the CA's constraints. Offer to widen the CA and
        // reinstall trust in one step, instead of the refusal (exit 3) a script gets.
        const outside = await namesOutsideCa(ctx);
        if (outside) {
          const real = domainsToAllow(unacceptedNames(outside.outside, allowDomains));
          process.stderr.write(
            `The CA in ${outside.ca.dir} is limited to ${[...(outside.ca.constraints?.dns ?? []), ...(outside.ca.constraints?.ip ?? [])].join(', ')}; this project also needs ${outside.outside.join(', ')}.\n` +
              `It can be recreated to allow both (the old CA is kept beside it as rootCA.retired-*.pem), and the new one installed in the trust stores.\n` +
              (real.length ? `  ! ${real.join(', ')} is outside the domains reserved for local use: "y" trusts the CA for real sites there (as --allow-domain would).\n` : ''),
          );
          if (await confirm('Recreate the CA wider and reinstall trust now (may ask for sudo)?', false)) {
            force = true;
            if (opts.trust !== false) trust = 'install';
            allowDomains = [...allowDomains, ...real];
          }
        }
      }
      if (opts.trust === undefined && opts.cert && g.interactive && trust !== 'install') {
        const question = await trustQuestion(ctx, { force, keyType: opts.keyType, allowDomains });
        // The CA the question showed is the one the run creates (its fingerprint was shown).
        if (question.prepared) prepared = { preparedCa: question.prepared };
        if (question.pending && question.objection && !allowUnconstrainedCa) {
          // Never offered without the flag: said in the result's warnings instead.
        } else if (question.pending) {
          const prompt = trustPrompt(question, colors(g));
          process.stderr.write(prompt.text);
          if (await confirm(prompt.ask, prompt.defaultYes)) {
            trust = 'install';
            // A "y" after the domains were shown accepts them, as --allow-domain would.
            allowDomains = [...allowDomains, ...domainsToAllow(question.outsideDomains)];
            confirmed = { confirmedFingerprint: question.ca.fingerprint };
          }
        }
      }
      const result = await run(ctx, {
        force,
        noCert: !opts.cert,
        trust,
        keyType: opts.keyType,
        allowUnconstrainedCa,
        allowDomains,
        ...prepared,
        ...confirmed,
        progress: g.progress,
      });
      finish(g, result, (c) => formatSetupSsl(result, c), result.exitCode);
    });
}

/**
 * The trust question: the CA that would be trusted (a new one too: built before asking), its
 * fingerprint and what it may sign for. It defaults to no when the CA is not richie-dev's
 * usual kind or may sign for a domain outside local use (src/domains.ts).
 */
export function trustPrompt(question: TrustQuestion, c: Colors): { text: string; ask: string; defaultYes: boolean } {
  const outside = question.outsideDomains;
  const flagged = Boolean(question.objection) || outside.length > 0;
  const lines = [
    `CA ${question.ca.dir} (${question.ca.key}${question.ca.created ? ', created by this run' : ''})`,
    `  SHA-256 fingerprint: ${question.ca.fingerprint}`,
    `  Name constraints: ${flagged ? c.yellow(question.ca.scope) : question.ca.scope}`,
  ];
  if (question.objection) lines.push(`  ${c.yellow('!')} ${question.objection}; --allow-unconstrained-ca was given.`);
  if (outside.length) {
    lines.push(
      `  ${c.yellow('!')} it may sign for ${outside.join(', ')}, outside the domains reserved for local use: "y" lets it impersonate real sites under ${domainsToAllow(outside).join(', ')} in your browsers.`,
    );
  }
  return {
    text: `${lines.join('\n')}\n`,
    ask: 'Install the CA into the system trust store and browsers where it is missing (may ask for sudo)?',
    defaultYes: !flagged,
  };
}

function formatSetupSsl(result: SetupSslResult, c: Colors): string {
  const lines: string[] = [];
  if (result.ca) {
    const scope = result.ca.constraints ? `limited to ${[...result.ca.constraints.dns, ...result.ca.constraints.ip].join(', ')}` : c.yellow('no name constraints');
    lines.push(`${c.green('✔')} CA ${result.ca.created ? 'created' : 'reused'}: ${result.ca.dir} (${result.ca.key}, ${scope})`);
    lines.push(`    SHA-256 ${result.ca.fingerprint}`);
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
