/**
 * The one place a command's context is built (src/context.ts): the project's paths from
 * --project-dir, the config and CA root read through it at most once, a snapshot of the
 * environment, and the Docker engine connected on first use, under the command's signal.
 */
import { contextOf, type CommandContext } from '../context.js';
import { caRoot, projectPaths } from '../paths.js';
import type { EngineContext } from '../stack/context.js';
import type { Engine } from '../stack/engine.js';

export interface ContextOptions {
  projectDir: string;
  /** --ca-root. */
  caRoot?: string | undefined;
  /** Default: a copy of process.env, taken now. */
  env?: NodeJS.ProcessEnv;
  /** Ctrl-C for the engine's calls (src/cli/stack.ts interruptible). */
  signal?: AbortSignal;
}

export function commandContext(options: ContextOptions): EngineContext {
  const env = options.env ?? { ...process.env };
  const ctx: CommandContext = contextOf({
    paths: projectPaths(options.projectDir),
    env,
    // Loaded only when a command asks: config.ts loads the schema (zod) for a file that exists.
    loadConfig: async (read) => (await import('../config.js')).loadConfig(options.projectDir, read).then((l) => l.config),
    caRoot: (read) => caRoot({ flag: options.caRoot, inputs: read }, env),
  });
  let engine: Promise<Engine> | undefined;
  return {
    ...ctx,
    // Connected on first use only: a command that never talks to Docker never connects.
    engine: () => (engine ??= import('../stack/engine.js').then(({ Engine }) => Engine.connect(env, options.signal ? { signal: options.signal } : {}))),
  };
}
