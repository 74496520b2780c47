/**
 * Set-up steps as data (STYLE.md 7): each has a check() that looks at content and an apply().
 * One runner drives them through listr2; a done step is skipped with its reason, an applied
 * step is checked again (STYLE.md 9), and a blocked step stops the list with its fix.
 *
 * A check changes nothing, its context included: what it found travels in its result
 * (`found`), and what apply() made in apply's. The runner keeps both per step and hands them
 * to the later steps (`earlier`), and to the caller (runSteps' `results`).
 */
import { ExitCode, UserError } from './errors.js';

export type StepCheck =
  | { state: 'done'; reason: string; found?: unknown; warnings?: string[] }
  | { state: 'todo'; reason: string; found?: unknown; warnings?: string[] }
  | { state: 'blocked'; reason: string; fix?: string; exitCode?: ExitCode };

/** What one step left: its last check's `found` (after apply, the verifying check's), apply's `made`. */
export interface StepResult {
  found?: unknown;
  made?: unknown;
  /** The checks' warnings, each once. */
  warnings: string[];
}

/** The results of the steps that ran before, by step id. */
export type Earlier = ReadonlyMap<string, StepResult>;

export interface Step<C> {
  id: string;
  title: string;
  /**
   * Looks, and changes nothing (neither the machine nor `ctx`): what it found is in its result.
   * `made`: when the check verifies an apply, what that apply made.
   */
  check(ctx: C, earlier: Earlier, made?: unknown): Promise<StepCheck>;
  /** Does the work, given what the check found; returns a short note shown beside the title, and what it made. */
  apply(ctx: C, found: unknown, earlier: Earlier): Promise<{ note?: string; made?: unknown } | void>;
  /** Set when apply() legitimately leaves the check not done (e.g. only reports). */
  skipVerify?: boolean;
}

export interface StepOutcome {
  id: string;
  title: string;
  outcome: 'skipped' | 'applied';
  /** Why it was skipped, or why it had to run. */
  reason: string;
  /** What apply() reported. */
  note?: string;
}

/** How progress is shown: spinners on a terminal, plain lines otherwise, nothing for --json/--quiet. */
export type ProgressMode = 'tty' | 'plain' | 'silent';

export function progressMode(options: { json?: boolean; quiet?: boolean }, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (options.json || options.quiet) return 'silent';
  return stream.isTTY && process.env.TERM !== 'dumb' ? 'tty' : 'plain';
}

export async function runSteps<C>(steps: readonly Step<C>[], ctx: C, mode: ProgressMode): Promise<{ outcomes: StepOutcome[]; results: Map<string, StepResult> }> {
  const outcomes: StepOutcome[] = [];
  const results = new Map<string, StepResult>();
  // Nothing to show (--json, --quiet, library callers): the same loop without listr2, whose
  // load is a tenth of a cold setup-ssl's wall time.
  if (mode === 'silent') {
    for (const step of steps) outcomes.push(await runStep(step, ctx, results));
    return { outcomes, results };
  }
  const { Listr } = await import('listr2');
  const list = new Listr(
    steps.map((step) => ({
      title: step.title,
      task: async (_: unknown, task: { skip(message?: string): void; title: string }) => {
        const outcome = await runStep(step, ctx, results);
        outcomes.push(outcome);
        if (outcome.outcome === 'skipped') task.skip(outcome.reason);
        else if (outcome.note) task.title = `${step.title}: ${outcome.note}`;
      },
    })),
    { concurrent: false, ...(await listrOptions(mode)) } as never,
  );
  await list.run();
  return { outcomes, results };
}

/** One step: check; skip when done, stop when blocked, else apply and check again (STYLE.md 9). */
async function runStep<C>(step: Step<C>, ctx: C, results: Map<string, StepResult>): Promise<StepOutcome> {
  const before = await step.check(ctx, results);
  const warnings = new Set(before.state === 'blocked' ? [] : before.warnings);
  const keep = (result: Omit<StepResult, 'warnings'>) => results.set(step.id, { ...result, warnings: [...warnings] });
  if (before.state === 'done') {
    keep({ found: before.found });
    return { id: step.id, title: step.title, outcome: 'skipped', reason: before.reason };
  }
  if (before.state === 'blocked') {
    throw new UserError(`${step.title}: ${before.reason}`, {
      ...(before.fix === undefined ? {} : { fix: before.fix }),
      exitCode: before.exitCode ?? ExitCode.input,
    });
  }
  const applied = (await step.apply(ctx, before.found, results)) ?? {};
  const note = applied.note;
  let found = before.found;
  if (!step.skipVerify) {
    const after = await step.check(ctx, results, applied.made);
    if (after.state !== 'done') {
      throw new UserError(`${step.title}: still not done after applying it: ${after.reason}`, {
        ...('fix' in after && after.fix !== undefined ? { fix: after.fix } : {}),
        exitCode: ExitCode.internal,
      });
    }
    found = after.found;
    for (const w of after.warnings ?? []) warnings.add(w);
  }
  keep({ found, made: applied.made });
  return { id: step.id, title: step.title, outcome: 'applied', reason: before.reason, ...(note ? { note } : {}) };
}

/** listr2 options for a progress mode: the one place that picks renderers and their output. */
export async function listrOptions(mode: ProgressMode): Promise<object> {
  const { ListrLogger, ProcessOutput } = await import('listr2');
  // Progress goes to stderr so stdout carries only results (and --json stays parseable).
  const logger = new ListrLogger({ processOutput: new ProcessOutput(process.stderr, process.stderr) });
  return {
    exitOnError: true,
    renderer: mode === 'tty' ? 'default' : mode === 'plain' ? 'simple' : 'silent',
    fallbackRenderer: mode === 'silent' ? 'silent' : 'simple',
    rendererOptions: { logger },
    fallbackRendererOptions: { logger },
    // Errors are printed once, by the CLI.
    collectErrors: false,
    registerSignalListeners: false,
  };
}
