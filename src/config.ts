/**
 * The project config: optional `richie-dev.config.json`, validated by a schema whose errors
 * name the key, the value and what is allowed.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { hostNameProblem } from './domains.js';
import { UserError } from './errors.js';
import { CONFIG_FILE_NAME, projectPaths } from './paths.js';

const host = (fallback: string) =>
  z
    .string()
    .superRefine((value, ctx) => {
      const problem = hostNameProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: `not a valid host name: ${problem}` });
    })
    .default(fallback);

const port = (fallback: number) =>
  z
    .number({ error: 'expected a port number (an integer from 1 to 65535)' })
    .int({ error: 'expected a port number (an integer from 1 to 65535)' })
    .min(1, { error: 'expected a port number (an integer from 1 to 65535)' })
    .max(65535, { error: 'expected a port number (an integer from 1 to 65535)' })
    .default(fallback);

const image = (fallback: string) => z.string().min(1, { error: 'expected an image reference like "name:tag"' }).default(fallback);

export const SYNC_MODES = ['manual', 'sync_to_draft', 'sync_to_public'] as const;

/** Richie's own development default (env.d/development): the course id is the path segment before /course. */
export const DEFAULT_COURSE_REGEX = '^.*/courses/(?P<course_id>.*)/course/?$';

export const configSchema = z
  .object({
    catalog: z
      .object({ host: host('richie.local.dev'), port: port(8070) })
      .strict()
      .prefault({}),
    lms: z
      .object({ host: host('edx.local.dev'), port: port(8073) })
      .strict()
      .prefault({}),
    images: z
      .object({
        catalog: image('richie-dev/demo-catalog:latest'),
        lms: image('richie-dev/demo-lms:latest'),
        nginx: image('richie-dev/nginx:latest'),
      })
      .strict()
      .prefault({}),
    /** Python-flavoured regex with a named group `course_id` (Richie's COURSE_REGEX). */
    courseRegex: z.string().min(1).default(DEFAULT_COURSE_REGEX),
    /** JavaScript equivalent with an unnamed group; derived from courseRegex when absent. */
    jsCourseRegex: z.string().min(1).optional(),
    /** A course URL on the LMS used to prove both regexes extract the same id. */
    sampleCourseUrl: z.string().url({ error: 'expected an absolute URL' }).optional(),
    courseRunSync: z
      .object({
        mode: z.enum(SYNC_MODES).default('sync_to_public'),
        noUpdateFields: z.array(z.string().min(1)).default([]),
      })
      .strict()
      .prefault({}),
    /** Where the local CA lives; $CAROOT and --ca-root take precedence. */
    caRoot: z.string().min(1).optional(),
    /** A Compose file of the project's own instead of richie-dev's docker-compose.richie.yml. */
    stackFile: z.string().min(1).optional(),
  })
  .strict();

export type ProjectConfig = z.infer<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;

export interface LoadedConfig {
  config: ProjectConfig;
  /** The file read, or undefined when the defaults apply. */
  file: string | undefined;
}

/** Validate a config object; throws a UserError listing every problem. */
export function parseConfig(input: unknown, source = CONFIG_FILE_NAME): ProjectConfig {
  const result = configSchema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => describeIssue(issue, input));
  throw new UserError(`${source} is not valid:\n${lines.map((l) => `  - ${l}`).join('\n')}`, {
    fix: `Edit ${source}; the README lists every key with its default.`,
  });
}

export async function loadConfig(projectDir: string): Promise<LoadedConfig> {
  const file = projectPaths(projectDir).configFile;
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { config: parseConfig({}), file: undefined };
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
  return { config: parseConfig(json, file), file };
}

/** The hosts every certificate and hosts entry must cover, catalog first. */
export function configuredHosts(config: ProjectConfig): string[] {
  return [...new Set([config.catalog.host, config.lms.host])];
}

function describeIssue(issue: z.core.$ZodIssue, input: unknown): string {
  const key = issue.path.map(String).join('.') || '(top level)';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length ? `${key}: ` : '';
    return `${where}unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (check the spelling; the README lists the keys)`;
  }
  const value = valueAt(input, issue.path);
  const shown = value === undefined ? 'nothing' : JSON.stringify(value);
  return `${key}: got ${shown}; ${issue.message}`;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const part of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[part];
  }
  return current;
}
