import { Option, type Command } from 'commander';
import type { RealmSettings } from '../auth/keycloak.js';
import { commandContext } from './context.js';
import { finish, globalOptions } from './shared.js';

/** What a real Keycloak needs for this catalog, in its admin console's words. */
function keycloakLines(k: RealmSettings): string[] {
  return [
    `Keycloak at ${k.url}: realm "${k.realm}", client "${k.client.clientId}" (public, standard flow, PKCE S256)`,
    `  Valid redirect URIs and post logout redirect URIs: ${k.client.redirectUris.join(' ')}`,
    `  Web origins: ${k.client.webOrigins.join(' ')}`,
    ...(k.lmsClient
      ? [
          `  Client "${k.lmsClient.clientId}" for the LMS's /keycloak-login (confidential: client authentication on, standard flow)`,
          `    Valid redirect URIs: ${k.lmsClient.redirectUris.join(' ')}`,
          `    Client secret: ${k.lmsClient.secret}`,
        ]
      : []),
    ...(k.serverOptions ? [`  Start your Keycloak with: ${k.serverOptions.join(' ')}`] : []),
  ];
}

export function register(program: Command): void {
  program
    .command('render')
    .description("write the nginx configs and both apps' LMS settings into .richie-dev/")
    .option('--ssl', 'render for TLS (default: plain HTTP)')
    .addOption(new Option('--lms <backend>', 'LMS backend (default: fake over HTTP, real over TLS)').choices(['fake', 'real']))
    .addOption(new Option('--print <app>', "print the files one app loads (its env file; the catalog's settings snippet too) instead of writing them").choices(['catalog', 'lms']))
    .addHelpText(
      'after',
      `
Files: .richie-dev/nginx/catalog.conf and lms.conf, .richie-dev/env/catalog.env and lms.env,
.richie-dev/richie/lms_backends.py (Richie settings no env var carries).
--print catalog|lms shows what your own app loads, sync secret included; it writes nothing
but that secret when the project has none yet.
Unchanged files are not rewritten; a file whose first line you deleted is yours and is kept.
Refused: the real backend over HTTP, hosts that are not siblings, a course regex that does
not match the sample course URL.`,
    )
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ ssl?: boolean; lms?: 'fake' | 'real'; print?: 'catalog' | 'lms' }>();
      const { run, print } = await import('../commands/render.js');
      const ctx = commandContext(g);
      if (opts.print) {
        const printed = await print(ctx, { tls: Boolean(opts.ssl), backend: opts.lms, app: opts.print });
        finish(g, printed, () => printed.files.map((f) => `# ${f.path}\n${f.content}`).join('\n').trimEnd());
        return;
      }
      const result = await run(ctx, { tls: Boolean(opts.ssl), backend: opts.lms });
      finish(g, result, (c) =>
        [
          `${result.mode === 'tls' ? 'TLS' : 'HTTP'}, ${result.backend} LMS backend: catalog ${result.urls.catalog}, LMS ${(result.urls.lmses ?? [result.urls.lms]).join(', ')}`,
          ...result.files.map((f) => `  ${f.status === 'written' ? c.green('written  ') : f.status === 'unchanged' ? c.dim('unchanged') : c.yellow('yours    ')} ${f.path}`),
          ...(result.keycloak ? keycloakLines(result.keycloak) : []),
          ...result.warnings.map((w) => `${c.yellow('!')} ${w}`),
        ].join('\n'),
      );
    });
}
