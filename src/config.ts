/**
 * The project config's loader: optional `richie-dev.config.json`. Without one the defaults
 * (config-model.ts) apply as they are; with one, config-schema.ts validates it (and zod is
 * only loaded then).
 */
import { readFile } from 'node:fs/promises';
import { UserError } from './errors.js';
import type { Inputs } from './inputs.js';
import { DEFAULT_CONFIG, type ProjectConfig } from './config-model.js';
import { projectPaths } from './paths.js';

// The model is the config's vocabulary: its users import it from here or from config-model.ts.
export * from './config-model.js';

export interface LoadedConfig {
  config: ProjectConfig;
  /** The file read, or undefined when the defaults apply. */
  file: string | undefined;
}

/** `inputs` (the up record's) is told the file was read, there or not: one appearing changes the run. */
export async function loadConfig(projectDir: string, inputs?: Inputs): Promise<LoadedConfig> {
  const file = projectPaths(projectDir).configFile;
  inputs?.file(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { config: structuredClone(DEFAULT_CONFIG) as ProjectConfig, file: undefined };
    throw new UserError(`Cannot read ${file}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new UserError(`${file} is not valid JSON: ${(error as Error).message}`, {
      fix: `Fix the JSON syntax in ${file}, or delete it to use the defaults.`,
    });
  }
  const { parseConfig } = await import('./config-schema.js');
  return { config: parseConfig(json, file), file };
}
