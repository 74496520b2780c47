/**
 * The few error classes richie-dev uses, and the exit codes they map to.
 * Library code throws these; only src/cli.ts turns them into output and an exit code.
 */

/** Exit codes, in one place so they mean the same thing on every command. */
export const ExitCode = {
  ok: 0,
  /** A bug in richie-dev: printed with a stack and "please report". */
  internal: 1,
  /** Bad flags or arguments (commander's own usage errors also exit 2). */
  usage: 2,
  /** Bad input: config, certificates, host names. Nothing was changed. */
  input: 3,
  /** Lacking the rights to write a system file or store. Nothing was changed. */
  permission: 4,
  /** A check ran and found a problem (`hosts check`, `trust status`, `doctor`). */
  checkFailed: 5,
  /** A tool richie-dev needs is missing (certutil, nginx, docker). */
  missingTool: 6,
  /** The Docker engine cannot be reached. */
  engineUnreachable: 7,
  /** A port the stack needs is held by something else. */
  portBusy: 8,
  /** A service exited or never became healthy. */
  unhealthy: 9,
  /** An external command richie-dev ran failed. */
  commandFailed: 10,
  /** Interrupted by the user (SIGINT), after cleaning up. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export interface UserErrorOptions {
  /** The command or edit that fixes the problem, printed on its own line. */
  fix?: string;
  exitCode?: ExitCode;
  cause?: unknown;
}

/** An expected failure: a message plus the fix to run; printed without a stack. */
export class UserError extends Error {
  readonly fix: string | undefined;
  readonly exitCode: ExitCode;

  constructor(message: string, options: UserErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.fix = options.fix;
    this.exitCode = options.exitCode ?? ExitCode.input;
  }
}

/** A command richie-dev ran failed: carries argv, exit code and the tail of stderr. */
export class CommandError extends UserError {
  readonly argv: readonly string[];
  readonly commandExitCode: number | undefined;
  readonly stderrTail: string;

  constructor(argv: readonly string[], commandExitCode: number | undefined, stderr: string, fix?: string) {
    const tail = tailLines(stderr, 10);
    const how = commandExitCode === undefined ? 'could not run' : `failed (exit ${commandExitCode})`;
    super(`\`${formatArgv(argv)}\` ${how}${tail ? `:\n${tail}` : ''}`, {
      exitCode: ExitCode.commandFailed,
      ...(fix === undefined ? {} : { fix }),
    });
    this.name = 'CommandError';
    this.argv = argv;
    this.commandExitCode = commandExitCode;
    this.stderrTail = tail;
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError;
}

/** Quote argv the way a POSIX shell would need it, so printed commands can be pasted. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

export function shellQuote(arg: string): string {
  if (arg !== '' && /^[\w@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replaceAll("'", `'\\''`)}'`;
}

function tailLines(text: string, count: number): string {
  return text.trimEnd().split('\n').slice(-count).join('\n');
}
