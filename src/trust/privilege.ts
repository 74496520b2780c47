/**
 * The one place that decides whether a command needs sudo (STYLE.md 11): root runs it as is,
 * anyone else through `sudo -n` when sudo works without a prompt; otherwise the store is
 * blocked and the user gets the commands to run.
 */
import { command, run, type Command } from '../exec.js';

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** The command as the user should type it by hand. */
export function asTyped(cmd: Command): Command {
  return isRoot() ? cmd : command('sudo', [cmd.file, ...cmd.args], cmd.input);
}

/** The command as richie-dev runs it: non-interactive sudo, so it never prompts mid-task. */
export function asRun(cmd: Command): Command {
  return isRoot() ? cmd : command('sudo', ['-n', cmd.file, ...cmd.args], cmd.input);
}

let sudoWorks: Promise<boolean> | undefined;

/** Whether this process may run privileged commands without a password prompt. */
export function canElevate(): Promise<boolean> {
  if (isRoot()) return Promise.resolve(true);
  sudoWorks ??= run(command('sudo', ['-n', 'true']), { reject: false })
    .then((r) => r.exitCode === 0)
    .catch(() => false);
  return sudoWorks;
}
