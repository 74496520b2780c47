/**
 * Subprocesses as data: a command is a value built by a pure function and run here,
 * by the one wrapper that owns failures (STYLE.md 3 and 4).
 */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { CommandError, UserError, ExitCode, formatArgv } from './errors.js';

export interface Command {
  readonly file: string;
  readonly args: readonly string[];
  /** Text written to the command's standard input. */
  readonly input?: string;
}

export function command(file: string, args: readonly string[], input?: string): Command {
  return input === undefined ? { file, args } : { file, args, input };
}

export function commandToString(cmd: Command): string {
  return formatArgv([cmd.file, ...cmd.args]);
}

export interface RunResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface RunOptions {
  /** Return the result instead of throwing when the exit code is not zero. */
  reject?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Printed as the fix when the command fails. */
  fix?: string;
}

/** Debian package that provides a tool, for "missing tool" messages. */
const PACKAGES: Record<string, string> = {
  certutil: 'libnss3-tools',
  openssl: 'openssl',
  nginx: 'nginx',
  'update-ca-certificates': 'ca-certificates',
  'update-ca-trust': 'ca-certificates (Fedora: ca-certificates)',
  trust: 'p11-kit',
  mkcert: 'mkcert',
  docker: 'docker.io',
};

export function missingToolError(file: string): UserError {
  const pkg = PACKAGES[file];
  return new UserError(`"${file}" is not installed or not on PATH.`, {
    exitCode: ExitCode.missingTool,
    ...(pkg ? { fix: `Install "${file}" with "sudo apt install ${pkg}" (or your system's package for it).` } : {}),
  });
}

export async function run(cmd: Command, options: RunOptions = {}): Promise<RunResult> {
  // execa is loaded lazily: most commands never start a subprocess.
  const { execa } = await import('execa');
  const result = await execa(cmd.file, [...cmd.args], {
    reject: false,
    input: cmd.input,
    env: options.env,
    cwd: options.cwd,
    stripFinalNewline: false,
  });
  const code = result.code as string | undefined;
  if (code === 'ENOENT' && result.exitCode === undefined) throw missingToolError(cmd.file);
  const exitCode = result.exitCode ?? -1;
  const out: RunResult = { stdout: String(result.stdout ?? ''), stderr: String(result.stderr ?? ''), exitCode };
  if (exitCode !== 0 && options.reject !== false) {
    throw new CommandError([cmd.file, ...cmd.args], result.exitCode, out.stderr || out.stdout, options.fix);
  }
  return out;
}

/** Whether a program is on PATH, without running it. */
export async function hasTool(file: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      await access(join(dir, file), constants.X_OK);
      return true;
    } catch {
      // keep looking
    }
  }
  return false;
}
