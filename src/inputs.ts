/**
 * What a command read: the object the steps of `run`'s full path are handed, and tell, so the
 * up record (src/stack/record.ts) knows its inputs without watching the process. A step says
 * what it read at its own level (the stack reader: the stack file, the .env beside it, the
 * variables it interpolated; render: its templates, the secret and the files it wrote...).
 *
 * Variables are read through it (`env`), so a step never reads a variable it does not name.
 * The values stay in memory for the length of the command: the record keeps a hash of each.
 */

export interface Inputs {
  /** A path whose content was read (or would have been: a missing file counts). */
  file(path: string): void;
  /** A folder whose entries were listed. */
  dir(path: string): void;
  /** A path only looked at: its kind, or size and modification time (the runtime binaries). */
  looked(path: string): void;
  /** The command's value of a variable (undefined when unset), noted as read. */
  env(name: string): string | undefined;
}

/** The usual Inputs: sets of paths, and the variables read with the value each had. */
export class InputLog implements Inputs {
  readonly files = new Set<string>();
  readonly dirs = new Set<string>();
  readonly lookedAt = new Set<string>();
  readonly variables = new Map<string, string | undefined>();

  constructor(private readonly environment: NodeJS.ProcessEnv) {}

  file(path: string): void {
    this.files.add(path);
  }

  dir(path: string): void {
    this.dirs.add(path);
  }

  looked(path: string): void {
    this.lookedAt.add(path);
  }

  env(name: string): string | undefined {
    const value = this.environment[name];
    if (!this.variables.has(name)) this.variables.set(name, value);
    return value;
  }
}

/** `env[name]`, noted in `inputs` when a command keeps track (inputs reads the same environment). */
export function variable(env: NodeJS.ProcessEnv, name: string, inputs?: Inputs): string | undefined {
  return inputs ? inputs.env(name) : env[name];
}
