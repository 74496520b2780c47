/**
 * The schema of `richie-dev.config.json` (zod), loaded only when a project has that file: its
 * errors name the key, the value and what is allowed. The types and defaults live in
 * config-model.ts; config.ts loads the file and calls parseConfig.
 */
import * as z from 'zod';
import { authenticationProblems, authenticationSchema } from './config-auth.js';
import { DEFAULT_CONFIG, RELEASE_NAMES, SYNC_MODES, singleLms, type LmsConfig, type ProjectConfig } from './config-model.js';
import { JOANIE_DEFAULTS, joanieProblems } from './config-joanie.js';
import { joanieSchema } from './config-joanie-schema.js';
import { UPSTREAM_FORM, upstreamProblem } from './config-upstream.js';
import { hostNameProblem } from './domains.js';
import { UserError } from './errors.js';
import { CONFIG_FILE_NAME } from './paths.js';

const D = DEFAULT_CONFIG;

const hostName = z.string().superRefine((value, ctx) => {
  const problem = hostNameProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: `not a valid host name: ${problem}` });
});
const host = (fallback: string) => hostName.default(fallback);

const PORT_ERROR = { error: 'expected a port number (an integer from 1 to 65535)' };
const portNumber = z.number(PORT_ERROR).int(PORT_ERROR).min(1, PORT_ERROR).max(65535, PORT_ERROR);
const port = (fallback: number) => portNumber.default(fallback);

const upstream = z
  .string()
  .superRefine((value, ctx) => {
    const problem = upstreamProblem(value);
    if (problem) ctx.addIssue({ code: 'custom', message: `expected the URL of an app of your own, like "http://localhost:8000": ${UPSTREAM_FORM} (here ${problem})` });
  })
  .optional();

const image = (fallback: string) => z.string().min(1, { error: 'expected an image reference like "name:tag"' }).default(fallback);

const release = z.enum(RELEASE_NAMES, { error: `expected an OpenEdX release: ${RELEASE_NAMES.join(', ')}` }).default(D.lms.release);
const fonzie = z.boolean({ error: 'expected true or false' }).default(D.lms.fonzie);
const courseRunSync = z
  .object({
    mode: z.enum(SYNC_MODES).default(D.courseRunSync.mode),
    noUpdateFields: z.array(z.string().min(1)).default(() => []),
  })
  .strict()
  .prefault({});

/** One LMS of a list: its own name, site and course keys (lms/site.ts derives a host-anchored courseRegex when none is given). */
const lmsEntry = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,30}$/, { error: 'expected a short name of lower-case letters, digits and "-", like "fonzie"' }),
    host: hostName,
    port: portNumber,
    release,
    fonzie,
    upstream,
    courseRegex: z.string().min(1).optional(),
    jsCourseRegex: z.string().min(1).optional(),
    sampleCourseUrl: z.string().url({ error: 'expected an absolute URL' }).optional(),
    courseRunSync,
  })
  .strict();

const oneLms = z
  .object({
    host: host(D.lms.host),
    port: port(D.lms.port),
    release,
    fonzie,
    upstream,
  })
  .strict()
  .prefault({});
const lmsList = z.array(lmsEntry).min(1, { error: 'expected at least one LMS' });

/** The schema for `lms` in one form or the other: chosen by the input's shape, so errors speak of that form. */
const configSchemaWith = <L extends z.ZodType>(lms: L) => z
  .object({
    catalog: z
      .object({ host: host(D.catalog.host), port: port(D.catalog.port), upstream })
      .strict()
      .prefault({}),
    lms,
    images: z
      .object({
        catalog: image(D.images.catalog),
        lms: image(D.images.lms),
        nginx: image(D.images.nginx),
        // What the built-in images are built on (stack/images.ts): this machine's own runtime, or
        // official node and nginx images from a registry; "auto" takes the registry only when
        // this machine's binaries cannot run on the engine. Defaults live in stack/images.ts.
        base: z.enum(['auto', 'host', 'registry'], { error: 'expected "auto", "host" or "registry"' }).optional(),
        registry: z
          .string()
          .regex(/^[a-z0-9.-]+(:[0-9]{1,5})?$/i, { error: 'expected a registry host like "registry.example.com" or "127.0.0.1:5000" (no scheme, no path)' })
          .optional(),
        nodeBase: z.string().min(1, { error: 'expected an image reference like "node:20-alpine"' }).optional(),
        nginxBase: z.string().min(1, { error: 'expected an image reference like "nginx:alpine"' }).optional(),
      })
      .strict()
      .prefault({}),
    courseRegex: z.string().min(1).default(D.courseRegex),
    jsCourseRegex: z.string().min(1).optional(),
    sampleCourseUrl: z.string().url({ error: 'expected an absolute URL' }).optional(),
    courseRunSync,
    // Refused: the CA root is the user's choice (paths.ts caRoot), never a cloned project's.
    caRoot: z
      .unknown()
      .superRefine((_, ctx) =>
        ctx.addIssue({
          code: 'custom',
          message:
            'a project may not choose the CA root (a repository could make you trust a CA it ships); remove "caRoot" from this file and choose it yourself: --ca-root DIR, $CAROOT, or "caRoot" in ~/.config/richie-dev/config.json',
        }),
      )
      .optional(),
    stackFile: z.string().min(1).optional(),
    authentication: authenticationSchema,
    joanie: joanieSchema(host(JOANIE_DEFAULTS.host), port(JOANIE_DEFAULTS.port), upstream),
  })
  .strict();

export const configSchema = configSchemaWith(oneLms);
export const listConfigSchema = configSchemaWith(lmsList);


/** Validate a config object; throws a UserError listing every problem. */
export function parseConfig(input: unknown, source = CONFIG_FILE_NAME): ProjectConfig {
  const list = input !== null && typeof input === 'object' && Array.isArray((input as { lms?: unknown }).lms);
  const result = (list ? listConfigSchema : configSchema).safeParse(input) as z.ZodSafeParseResult<z.infer<typeof configSchema> | z.infer<typeof listConfigSchema>>;
  const lines = result.success ? listProblems(result.data, input) : result.error.issues.map((issue) => describeIssue(issue, input));
  if (result.success && !lines.length) lines.push(...authenticationProblems(result.data));
  if (result.success && !lines.length) {
    const config = normalize(result.data);
    // What Joanie needs of the rest (an access token, a host and port of its own): refused here,
    // before any command changes anything.
    const joanie = joanieProblems(config.joanie, config, list);
    if (!joanie.length) return config;
    lines.push(...joanie);
  }
  throw new UserError(`${source} is not valid:\n${lines.map((l) => `  - ${l}`).join('\n')}`, {
    fix: `Edit ${source}; the README lists every key with its default.`,
  });
}

/** The one-LMS form or the list, as the code uses them: `lms` is the first of `lmses`. */
function normalize(data: z.infer<typeof configSchema> | z.infer<typeof listConfigSchema>): ProjectConfig {
  const { lms, joanie, ...rest } = data;
  const withJoanie = joanie ? { joanie } : {};
  if (!Array.isArray(lms)) return { ...rest, ...withJoanie, lms, lmses: [singleLms({ ...rest, lms })] };
  const lmses: LmsConfig[] = lms.map((entry, i) => ({ ...entry, stem: i === 0 ? 'lms' : `lms-${entry.name}` }));
  const first = lmses[0]!;
  return { ...rest, ...withJoanie, lms: { host: first.host, port: first.port, release: first.release, fonzie: first.fonzie, ...(first.upstream ? { upstream: first.upstream } : {}) }, lmses };
}

/** What a list of LMSes must also be: names, hosts and ports of their own; course keys per LMS. */
function listProblems(data: z.infer<typeof configSchema> | z.infer<typeof listConfigSchema>, input: unknown): string[] {
  if (!Array.isArray(data.lms)) return [];
  const problems: string[] = [];
  for (const key of ['courseRegex', 'jsCourseRegex', 'sampleCourseUrl', 'courseRunSync'] as const) {
    if (input && typeof input === 'object' && key in input) problems.push(`${key}: with a list of LMSes, each LMS takes its own "${key}" (lms.N.${key}); remove the top-level one`);
  }
  const seen = { name: new Map<string, number>(), host: new Map<string, number>([[data.catalog.host, -1]]), port: new Map<number, number>([[data.catalog.port, -1]]) };
  data.lms.forEach((entry, i) => {
    for (const key of ['name', 'host', 'port'] as const) {
      const value = entry[key];
      const other = (seen[key] as Map<typeof value, number>).get(value);
      if (other !== undefined) problems.push(`lms.${i}.${key}: got ${JSON.stringify(value)}, already taken by ${other === -1 ? `catalog.${key}` : `lms.${other}.${key}`}; each LMS needs its own`);
      else (seen[key] as Map<typeof value, number>).set(value, i);
    }
  });
  return problems;
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
