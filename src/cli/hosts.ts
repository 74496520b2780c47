import type { Command } from 'commander';
import type { HostsChange } from '../hosts/index.js';
import type { HostsCheckResult, WindowsHostsResult } from '../commands/hosts.js';
import { commandContext } from './context.js';
import { collect, finish, globalOptions, type Colors } from './shared.js';

const FILE_HELP = 'the hosts file (default: RICHIE_DEV_HOSTS_FILE, else /etc/hosts; Windows: %SystemRoot%\\System32\\drivers\\etc\\hosts)';

const ABOUT = `
The entries live in one block between two marker lines that name richie-dev and the project
dir; every byte outside it is kept (line endings, tabs, comments, other encodings), and
add-then-remove gives back the original file. The file is replaced atomically (temp file,
fsync, rename, owner and mode kept); a bind-mounted file (Docker, WSL) is rewritten in place
after a backup to <file>.richie-dev.bak. Entries for these hosts outside the block are
reported with their line numbers and left alone.

WSL: browsers running on Windows read the Windows hosts file, not the Linux one. Under WSL,
add and remove (on /etc/hosts) also change the Windows hosts file, which needs a WSL shell
started with "Run as administrator"; without it the steps are printed (exit 4). By hand:
  richie-dev hosts add --hosts-file /mnt/c/Windows/System32/drivers/etc/hosts
and add "[network]" / "generateHosts = false" to /etc/wsl.conf, or WSL rewrites /etc/hosts
at its next start. RICHIE_DEV_WSL=0 leaves the Windows side alone.`;

/** What to suggest when rights are missing: the user's own command, runnable under sudo. */
async function suggestions(hostsFile: string | undefined): Promise<{ sudoCommand: string; printCommand: string }> {
  const { sudoCommandLine, printCommandLine } = await import('../hosts/sudo.js');
  const { hostsFilePath } = await import('../paths.js');
  const inv = { args: process.argv.slice(2), hostsFile: hostsFilePath({ flag: hostsFile }) };
  return { sudoCommand: sudoCommandLine(inv), printCommand: printCommandLine(inv) };
}

export function register(program: Command): void {
  const hosts = program
    .command('hosts')
    .description('manage the loopback entries for the configured hosts in the hosts file')
    .addHelpText('after', ABOUT);

  hosts
    .command('add')
    .description('add (or update) the block mapping each host to 127.0.0.1 and ::1')
    .option('--hosts-file <path>', FILE_HELP)
    .option('--print', 'print the block for manual editing, and change nothing')
    .option('--allow-domain <domain>', 'allow sending hosts under this domain, outside those reserved for local use, to this machine (repeatable)', collect, [] as string[])
    .addHelpText(
      'after',
      '\nHosts outside localhost, .localhost, .test, .example, .invalid, .internal and local.dev are\nrefused (exit 3) unless --allow-domain names their domain.\nExit codes: 0 done or already there, 3 bad input, 4 no permission (the sudo command to run is printed).',
    )
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ hostsFile?: string; print?: boolean; allowDomain: string[] }>();
      const { normalizeAllowedDomains } = await import('../domains.js');
      const allowDomains = normalizeAllowedDomains(opts.allowDomain);
      const cmd = await import('../commands/hosts.js');
      if (opts.print) {
        const printed = await cmd.print(commandContext(g), { hostsFile: opts.hostsFile });
        finish(g, printed, () => `# Add these lines to ${printed.file}:\n${printed.block}`);
        return;
      }
      const result = await cmd.add(commandContext(g), { hostsFile: opts.hostsFile, allowDomains, ...(await suggestions(opts.hostsFile)) });
      finish(g, result, (c) => formatChange(result, c), result.exitCode);
    });

  hosts
    .command('remove')
    .description("remove this project's block, and nothing else")
    .option('--hosts-file <path>', FILE_HELP)
    .addHelpText('after', '\nExit codes: 0 done or nothing to remove, 4 no permission (the sudo command to run is printed).')
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ hostsFile?: string }>();
      const { remove } = await import('../commands/hosts.js');
      const result = await remove(commandContext(g), { hostsFile: opts.hostsFile, ...(await suggestions(opts.hostsFile)) });
      finish(g, result, (c) => formatChange(result, c), result.exitCode);
    });

  hosts
    .command('check')
    .description('show what the file says and what the system resolver returns for each host')
    .option('--hosts-file <path>', FILE_HELP)
    .addHelpText('after', '\nExit codes: 0 every host resolves to loopback only, 5 otherwise.')
    .action(async function (this: Command) {
      const g = globalOptions(this);
      const opts = this.opts<{ hostsFile?: string }>();
      const { check } = await import('../commands/hosts.js');
      const result = await check(commandContext(g), { hostsFile: opts.hostsFile });
      finish(g, result, (c) => formatCheck(result, c), result.exitCode);
    });
}

function formatChange(result: HostsChange & { windows?: WindowsHostsResult }, c: Colors): string {
  const how = result.method === 'in-place' ? ' (rewritten in place)' : '';
  const lines = [result.changed ? `${c.green('✔')} ${result.file}: block ${result.action}${how}` : `${c.green('✔')} ${result.file}: nothing to change`];
  for (const conflict of result.conflicts) lines.push(`${c.yellow('!')} ${conflictText(conflict)}`);
  for (const warning of result.warnings) lines.push(`${c.yellow('!')} ${warning}`);
  const windows = result.windows;
  if (windows?.change) lines.push(formatChange(windows.change, c).replace(/^.*$/m, (first) => `${first} (Windows, for its browsers)`));
  if (windows?.blocked) {
    lines.push(`${c.yellow('!')} Windows hosts file ${windows.file} (for browsers on Windows): not changed: ${windows.blocked.reason}`);
    for (const step of windows.blocked.steps) lines.push(`    → ${step}`);
  }
  return lines.join('\n');
}

function conflictText(conflict: HostsChange['conflicts'][number]): string {
  const where = conflict.shadows ? ', before our block: first-match lookups get it instead' : '';
  return `line ${conflict.line} also maps ${conflict.host} to ${conflict.address}${where} (left alone; edit it yourself)`;
}

function formatCheck(result: HostsCheckResult, c: Colors): string {
  const lines = result.hosts.map((h) => {
    const mark = h.ok ? c.green('✔') : c.red('✖');
    const file = h.entries.length ? h.entries.map((e) => `${e.address} (line ${e.line}${e.inBlock ? ', ours' : ''})`).join(', ') : 'no entry';
    const resolver = h.error ? `does not resolve (${h.error})` : h.resolved.join(', ');
    let fix = '';
    if (!h.ok) {
      const others = h.entries.filter((e) => !e.inBlock);
      if (!h.entries.some((e) => e.inBlock)) fix = 'richie-dev hosts add';
      else if (others.length) fix = `remove or comment out line ${others.map((e) => e.line).join(', ')} of ${result.file}`;
      else fix = 'the resolver does not answer from this file: see the notes below, and "hosts:" in /etc/nsswitch.conf';
    }
    return `${mark} ${h.host}\n    file: ${file}\n    resolver: ${resolver}${fix ? `\n    → ${fix}` : ''}`;
  });
  lines.push(`block in ${result.file}: ${result.block}${result.block === 'current' ? '' : ' (run "richie-dev hosts add")'}`);
  for (const warning of result.warnings) lines.push(`${c.yellow('!')} ${warning}`);
  return lines.join('\n');
}
