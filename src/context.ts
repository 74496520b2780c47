/**
 * One command's context (issue 21): the project's paths, its validated config, the CA root and
 * the environment, worked out once by the CLI (src/cli/context.ts) and handed down. The library
 * takes them from here and never derives them again; a command that runs another (run-ssl →
 * setup-ssl, hosts, render, the stack) passes the same context on.
 *
 * The config and the CA root are worked out on first use, then kept: `stop` and `down` never
 * read the config (a broken one cannot block them), and the up record's fast path answers
 * without loading the schema (src/commands/run.ts).
 */
import type { ProjectConfig } from './config.js';
import { InputLog, type Inputs } from './inputs.js';
import type { CaRootSource, ProjectPaths } from './paths.js';

export interface CommandContext {
  readonly paths: ProjectPaths;
  /** The environment the command started with (a copy: nothing below changes it). */
  readonly env: NodeJS.ProcessEnv;
  /** richie-dev.config.json read and validated (or the defaults): once per command. */
  config(): Promise<ProjectConfig>;
  /** --ca-root, else $CAROOT, else the user config's caRoot, else the data dir (src/paths.ts): once per command. */
  caRoot(): CaRootSource;
  /** What working these out read (the config file, the CA root's variables and file): the up record's inputs. */
  readonly read: InputLog;
}

/** What the CLI hands over to make a context: the pure parts and the two ways to read. */
export interface ContextParts {
  paths: ProjectPaths;
  env: NodeJS.ProcessEnv;
  loadConfig(read: InputLog): Promise<ProjectConfig>;
  caRoot(read: InputLog): CaRootSource;
}

/** A context whose config and CA root are each worked out at most once, on first use. */
export function contextOf(parts: ContextParts): CommandContext {
  const read = new InputLog(parts.env);
  let config: Promise<ProjectConfig> | undefined;
  let root: CaRootSource | undefined;
  return {
    paths: parts.paths,
    env: parts.env,
    read,
    config: () => (config ??= parts.loadConfig(read)),
    caRoot: () => (root ??= parts.caRoot(read)),
  };
}

/** Tell `inputs` what the context's own reads touched (run's up record). */
export function replayReads(ctx: CommandContext, inputs: Inputs): void {
  for (const file of ctx.read.files) inputs.file(file);
  for (const name of ctx.read.variables.keys()) inputs.env(name);
}
