/**
 * The command line to suggest when writing the hosts file needs more rights: the user's own
 * arguments, run in a way that works under sudo. sudo resets the environment and PATH
 * (Debian's secure_path), so `sudo richie-dev` only works when richie-dev and node are in
 * one of those directories, and RICHIE_DEV_HOSTS_FILE does not reach the elevated run.
 */
import { accessSync, constants, realpathSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { formatArgv } from '../errors.js';

/** sudo's default secure_path on Debian, Ubuntu and Fedora. */
export const SUDO_SECURE_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin', '/snap/bin'];

export interface Invocation {
  /** process.argv.slice(2): what the user typed after the program name. */
  args: readonly string[];
  /** The hosts file in use; added as --hosts-file when it came from the environment. */
  hostsFile?: string;
  env?: NodeJS.ProcessEnv;
  /** The running script (process.argv[1]) and node binary. */
  script?: string;
  execPath?: string;
  platform?: NodeJS.Platform;
  /** Directories sudo keeps on PATH (tests pass their own). */
  securePath?: readonly string[];
}

function realpath(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

/** The PATH entry that runs this very script as `richie-dev`, if any. */
function richieDevOnPath(env: NodeJS.ProcessEnv, script: string): string | undefined {
  const target = realpath(script);
  for (const dir of (env.PATH ?? '').split(delimiter).filter(Boolean)) {
    const candidate = join(dir, 'richie-dev');
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    return target !== undefined && realpath(candidate) === target ? candidate : undefined;
  }
  return undefined;
}

function withHostsFile(inv: Invocation): string[] {
  const args = [...inv.args];
  const env = inv.env ?? process.env;
  const given = args.some((a) => a === '--hosts-file' || a.startsWith('--hosts-file='));
  // sudo drops RICHIE_DEV_HOSTS_FILE: name the file on the command line instead.
  if (!given && inv.hostsFile && env.RICHIE_DEV_HOSTS_FILE) args.push('--hosts-file', inv.hostsFile);
  return args;
}

/** The program part, as this user can type it: `richie-dev` when PATH finds us, else node and the script. */
function program(inv: Invocation, elevated: boolean): string[] {
  const env = inv.env ?? process.env;
  const script = inv.script ?? process.argv[1] ?? 'richie-dev';
  const execPath = inv.execPath ?? process.execPath;
  const onPath = richieDevOnPath(env, script);
  if (onPath) {
    if (!elevated || (inv.platform ?? process.platform) === 'darwin') return ['richie-dev'];
    // The script's `#!/usr/bin/env node` needs node on sudo's PATH too.
    const secure = inv.securePath ?? SUDO_SECURE_PATH;
    if (secure.includes(dirname(onPath)) && secure.includes(dirname(execPath))) return ['richie-dev'];
  }
  return [execPath, realpath(script) ?? script];
}

/** `sudo ...` with the user's own arguments; an elevated prompt on Windows has no sudo. */
export function sudoCommandLine(inv: Invocation): string {
  const argv = [...program(inv, true), ...withHostsFile(inv)];
  if ((inv.platform ?? process.platform) === 'win32') return `${formatArgv(argv)}   (in a terminal opened with "Run as administrator")`;
  // sudo drops DOCKER_HOST, which decides where the entries point (src/commands/hosts.ts): keep it.
  const dockerHost = (inv.env ?? process.env).DOCKER_HOST;
  return `sudo ${formatArgv(dockerHost ? [`DOCKER_HOST=${dockerHost}`, ...argv] : argv)}`;
}

/** The same command with --print: shows the block to paste by hand, needs no rights. */
export function printCommandLine(inv: Invocation): string {
  const args = withHostsFile(inv).filter((a) => a !== '--json' && a !== '--print');
  return formatArgv([...program(inv, false), ...args, '--print']);
}
