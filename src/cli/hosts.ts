import type { Command } from 'commander';
import { formatArgv } from '../errors.js';
import type { HostsChange } from '../hosts/index.js';
import { finish, globalOptions, type Colors } from './shared.js';

const FILE_HELP = 'the hosts file (default: RICHIE_DEV_HOSTS_FILE, else /etc/hosts; Windows: %SystemRoot%\\System32\\drivers\\etc\\hosts)';

/** The command line as typed, with sudo: what to run when rights are missing. */
function sudoCommand(): string {
  return `sudo ${formatArgv(['richie-dev', ...process.argv.slice(2)])}`;
}

export function register(program: Command): void {
  const hosts = program
    .command('hosts')
    .description('manage the loopback entries for the configured hosts in the hosts file')
    .addHelpText(
      'after',
      `
The entries live in one block between marker lines naming richie-dev and the project dir;
every byte outside it is kept. WSL: browsers on Windows read the Windows hosts file, so run
"richie-dev hosts add --hosts-file /mnt/c/Windows/System32/drivers/etc/hosts" from an
elevated shell as well.`,
    );

  hosts
    .command('add')
    .description('add (or update) the block mapping each host to 127.0.0.1 and ::1')
    .option('--hosts-file <path>', FILE_HELP)
    .option('--print', 'print the block for manual editing and change nothing')
    .addHelpText('after', '\nExit codes: 0 done or already there, 3 bad input, 4 no permission (the sudo command is printed).')
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ hostsFile?: string; print?: boolean }>();
      const cmd = await import('../commands/hosts.js');
      const options = { projectDir: g.projectDir, hostsFile: opts.hostsFile, sudoCommand: sudoCommand() };
      if (opts.print) {
        const printed = await cmd.print(options);
        finish(g, printed, () => `# Add these lines to ${printed.file}:\n${printed.block}`);
        return;
      }
      const result = await cmd.add(options);
      finish(g, result, (c) => formatChange(result, c));
    });

  hosts
    .command('remove')
    .description("remove this project's block, and nothing else")
    .option('--hosts-file <path>', FILE_HELP)
    .addHelpText('after', '\nExit codes: 0 done or nothing to remove, 4 no permission (the sudo command is printed).')
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ hostsFile?: string }>();
      const { remove } = await import('../commands/hosts.js');
      const result = await remove({ projectDir: g.projectDir, hostsFile: opts.hostsFile, sudoCommand: sudoCommand() });
      finish(g, result, (c) => formatChange(result, c));
    });

  hosts
    .command('check')
    .description('show what the file says and what the system resolver returns for each host')
    .option('--hosts-file <path>', FILE_HELP)
    .addHelpText('after', '\nExit codes: 0 every host resolves to loopback, 5 otherwise.')
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ hostsFile?: string }>();
      const { check } = await import('../commands/hosts.js');
      const result = await check({ projectDir: g.projectDir, hostsFile: opts.hostsFile });
      finish(
        g,
        result,
        (c) =>
          result.hosts
            .map((h) => {
              const mark = h.ok ? c.green('✔') : c.red('✖');
              const file = h.entries.length
                ? h.entries.map((e) => `${e.address} (line ${e.line}${e.inBlock ? ', ours' : ''})`).join(', ')
                : 'no entry';
              const resolver = h.error ? `does not resolve (${h.error})` : h.resolved.join(', ');
              const fix = h.ok ? '' : `\n    → ${h.entries.some((e) => e.inBlock) ? 'an entry earlier in the file or another resolver wins; see the lines above' : 'richie-dev hosts add'}`;
              return `${mark} ${h.host}\n    file: ${file}\n    resolver: ${resolver}${fix}`;
            })
            .join('\n'),
        result.exitCode,
      );
    });
}

function formatChange(result: HostsChange, c: Colors): string {
  const lines = [
    result.changed ? `${c.green('✔')} ${result.file}: block ${result.action}${result.method === 'in-place' ? ' (in place)' : ''}` : `${c.green('✔')} ${result.file}: nothing to change`,
  ];
  for (const conflict of result.conflicts) {
    lines.push(
      `${c.yellow('!')} line ${conflict.line}: ${conflict.host} → ${conflict.address}${conflict.shadows ? ' comes first and shadows our entry' : ''} (not changed; edit it yourself)`,
    );
  }
  for (const warning of result.warnings) lines.push(`${c.yellow('!')} ${warning}`);
  return lines.join('\n');
}
