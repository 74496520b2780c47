/**
 * The richie-dev program: global options, the commands, and error reporting.
 * Flags, printing and exit codes live here and in src/cli/; the work lives in src/commands/
 * and the library modules, which never print or exit.
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ExitCode, isUserError } from '../errors.js';
// One import and one call per command; each src/cli/<verb>.ts owns its flags and printing.
import { register as registerSetupSsl } from './setup-ssl.js';
import { register as registerTrust } from './trust.js';
import { register as registerHosts } from './hosts.js';
import { register as registerRender } from './render.js';
import { register as registerLms } from './lms.js';
import { register as registerStack } from './stack.js';
import { register as registerDoctor } from './doctor.js';
import { register as registerJoanie } from './joanie.js';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function buildProgram(): Command {
  const program = new Command('richie-dev')
    .description('A trusted local Richie + OpenEdX development environment in one command.')
    .version(pkg.version, '-V, --version')
    .option('--project-dir <dir>', 'the Richie project to work on', process.cwd())
    .option('--json', 'machine-readable output on stdout')
    .option('-q, --quiet', 'print nothing but errors')
    .addOption(new Option('--no-color', 'disable colours (NO_COLOR is honoured too)'))
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerSetupSsl(program);
  registerTrust(program);
  registerHosts(program);
  registerRender(program);
  registerLms(program);
  registerStack(program);
  registerDoctor(program);
  registerJoanie(program);
  return program;
}

function jsonMode(argv: readonly string[]): boolean {
  return argv.includes('--json');
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync([...argv]);
  } catch (error) {
    process.exitCode = report(error, jsonMode(argv));
  }
}

/** Print an error once, in the right shape, and return its exit code. */
function report(error: unknown, json: boolean): number {
  if (error instanceof CommanderError) {
    // Help and --version "errors" are successes; commander has already printed usage problems.
    return error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  }
  if (isUserError(error)) {
    if (json) {
      process.stdout.write(
        `${JSON.stringify({ ok: false, error: { message: error.message, fix: error.fix ?? null, exitCode: error.exitCode } }, null, 2)}\n`,
      );
    } else {
      process.stderr.write(`✖ ${error.message}\n`);
      if (error.fix) process.stderr.write(`  → ${error.fix}\n`);
    }
    return error.exitCode;
  }
  const err = error instanceof Error ? error : new Error(String(error));
  if (json) {
    process.stdout.write(`${JSON.stringify({ ok: false, error: { message: err.message, internal: true, exitCode: ExitCode.internal } }, null, 2)}\n`);
  }
  process.stderr.write(`${err.stack ?? err.message}\n\nThis is a bug in richie-dev; please report it with the output above.\n`);
  return ExitCode.internal;
}

