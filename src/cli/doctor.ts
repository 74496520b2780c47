import type { Command } from 'commander';
import type { DoctorResult } from '../commands/doctor.js';
import { commandContext } from './context.js';
import { finish, globalOptions, type Colors } from './shared.js';

export function register(program: Command): void {
  program
    .command('doctor')
    .description('check every link from certificate to enrollment, and print the fix for each problem')
    .option('--ca-root <dir>', 'the CA root (default: $CAROOT, else ~/.local/share/richie-dev)')
    .addHelpText('after', '\nExit codes: 0 when no check fails (warnings allowed), 5 when one does.')
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ caRoot?: string }>();
      const { run } = await import('../commands/doctor.js');
      const result = await run(commandContext({ projectDir: g.projectDir, caRoot: opts.caRoot }));
      finish(g, result, (c) => formatDoctor(result, c), result.exitCode);
    });
}

function formatDoctor(result: DoctorResult, c: Colors): string {
  const marks = { pass: c.green('✔'), warn: c.yellow('!'), fail: c.red('✖'), skip: c.dim('-') };
  const lines: string[] = [];
  let group = '';
  for (const check of result.checks) {
    if (check.group !== group) {
      group = check.group;
      lines.push(c.bold(group));
    }
    lines.push(`  ${marks[check.status]} ${check.title}: ${check.seen}`);
    for (const detail of check.details ?? []) lines.push(`      ${c.dim(detail)}`);
    if (check.fix && check.status !== 'pass') lines.push(`      → ${check.fix}`);
  }
  const { pass, warn, fail } = result.summary;
  lines.push('', `${pass} passed, ${warn} warning${warn === 1 ? '' : 's'}, ${fail} failed`);
  return lines.join('\n');
}
