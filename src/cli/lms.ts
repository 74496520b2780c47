import type { Command } from 'commander';
import { finish, globalOptions } from './shared.js';

export function register(program: Command): void {
  program
    .command('lms')
    .description('show the LMS backend (fake or real) the project is rendered with')
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const { show } = await import('../commands/lms.js');
      const result = await show({ projectDir: g.projectDir });
      finish(g, result, () =>
        result.backend ? `${result.backend} (${result.mode === 'tls' ? 'TLS' : 'HTTP'})` : 'not rendered yet: run "richie-dev run" or "richie-dev run-ssl"',
      );
    });
}
