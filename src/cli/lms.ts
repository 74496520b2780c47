import { Argument, type Command } from 'commander';
import { commandContext } from './context.js';
import { finish, globalOptions } from './shared.js';

export function register(program: Command): void {
  program
    .command('lms')
    .description('show the LMS backend (fake or real), or switch the running stack to another')
    .addArgument(new Argument('[backend]', 'switch to this backend').choices(['fake', 'real']))
    .addHelpText('after', '\nSwitching re-renders the settings and recreates only the containers whose configuration changed.')
    .action(async function (this: Command, backend: 'fake' | 'real' | undefined) {
      const g = globalOptions(this);
      const { show, switchTo } = await import('../commands/lms.js');
      if (backend) {
        const { interruptible, stackProgress } = await import('./stack.js');
        const result = await interruptible((signal) => switchTo(commandContext({ projectDir: g.projectDir, signal }), { backend, signal, ...(stackProgress(g).onEvent ? { onEvent: stackProgress(g).onEvent! } : {}) }));
        finish(g, result, () => `LMS backend: ${result.backend}\n${result.services.map((s) => `  ${s.name}: ${s.action === 'keep' ? 'unchanged' : s.action}`).join('\n')}`);
        return;
      }
      const result = await show(commandContext(g));
      finish(g, result, () =>
        result.backend ? `${result.backend} (${result.mode === 'tls' ? 'TLS' : 'HTTP'})` : 'not rendered yet: run "richie-dev run" or "richie-dev run-ssl"',
      );
    });
}
