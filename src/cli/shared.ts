/**
 * What every CLI command shares: the global options, printing (human, --json, --quiet),
 * and how an action's result becomes an exit code. Only the CLI layer prints or exits.
 */
import type { Command } from 'commander';
import { createColors } from 'picocolors';
import { ExitCode } from '../errors.js';
import { progressMode, type ProgressMode } from '../steps.js';

export interface GlobalOptions {
  projectDir: string;
  json: boolean;
  quiet: boolean;
  color: boolean;
  interactive: boolean;
  progress: ProgressMode;
}

export function globalOptions(command: Command): GlobalOptions {
  const opts = command.optsWithGlobals<{ projectDir?: string; json?: boolean; quiet?: boolean; color?: boolean }>();
  const json = Boolean(opts.json);
  const quiet = Boolean(opts.quiet);
  // NO_COLOR (https://no-color.org): any non-empty value disables colour; so does a non-TTY.
  const color = opts.color !== false && !process.env.NO_COLOR && Boolean(process.stdout.isTTY);
  return {
    projectDir: opts.projectDir ?? process.cwd(),
    json,
    quiet,
    color,
    // Prompts only when a person is there to answer them.
    interactive: !json && Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY) && !process.env.CI,
    progress: progressMode({ json, quiet }),
  };
}

export type Colors = ReturnType<typeof createColors>;

export function colors(g: GlobalOptions): Colors {
  return createColors(g.color);
}

/**
 * Print a command's result: JSON on stdout with --json, nothing with --quiet, else the
 * human text. Sets the process exit code.
 */
export function finish(g: GlobalOptions, data: object, human: (c: Colors) => string, exitCode: ExitCode = ExitCode.ok): void {
  if (g.json) {
    process.stdout.write(`${JSON.stringify({ ok: exitCode === ExitCode.ok, ...data }, null, 2)}\n`);
  } else if (!g.quiet) {
    const text = human(colors(g));
    if (text) process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }
  process.exitCode = exitCode;
}

/** Commander's reducer for a repeatable option: `--allow-domain a --allow-domain b`. */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** Ask a yes/no question on the terminal; callers check `g.interactive` first. */
export async function confirm(question: string, defaultYes = true): Promise<boolean> {
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await rl.question(`${question} ${defaultYes ? '[Y/n]' : '[y/N]'} `)).trim().toLowerCase();
    return answer === '' ? defaultYes : answer.startsWith('y');
  } finally {
    rl.close();
  }
}

/** Indented "name  value" lines for human output. */
export function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows
    .map((row) => indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell)))).join('  '))
    .join('\n');
}

function visibleLength(text: string): number {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}
