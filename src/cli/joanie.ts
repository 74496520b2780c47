import type { Command } from 'commander';
import { commandContext } from './context.js';
import { finish, globalOptions } from './shared.js';

export function register(program: Command): void {
  program
    .command('joanie')
    .description("print the settings a Joanie of your own (joanie.upstream) needs: how to check tokens (Fonzie's signing key, or Keycloak's realm), webhook URL and secret, LMS URL and API key")
    .option('--show-secrets', 'print the secret values instead of ***')
    .addHelpText('after', '\nSecret values are masked unless --show-secrets is given.\nExit codes: 0 printed, 3 the project has no "joanie" key or no secrets yet.')
    .action(async function (this: Command, opts: { showSecrets?: boolean }) {
      const g = globalOptions(this);
      const { settings } = await import('../commands/joanie.js');
      const result = await settings(commandContext(g), { showSecrets: Boolean(opts.showSecrets) });
      finish(g, result, () => [`Joanie at ${result.origin}${result.upstream ? ` (served by nginx from ${result.upstream})` : ' (the demo Joanie)'}; in your Joanie checkout's env:`, ...result.settings.map((l) => `  ${l}`)].join('\n'));
    });
}
