/**
 * The stack definition: a Compose file loaded once, validated against the subset richie-dev
 * supports, and normalized into a typed `StackSpec` — load, validate, normalize, then use
 * (compose-go's loader, docker/compose v1's compose/config/config.py). Every accepted form is
 * normalized here, as Compose normalizes it: nothing downstream reads YAML or guesses a
 * default. Anything outside the subset is refused with its line and column, never ignored.
 *
 * Steps (parseStack): `readYaml` (compose-yaml.ts) walks the YAML (1.1 as PyYAML reads it
 * for Compose v1: `yes`/`on` booleans, `010` octal, `<<` merge keys) into plain values,
 * interpolating every string outside `version` and `x-*` (v1 interpolates each section's
 * values, never keys) and keeping each node's position; `validate` checks the values against
 * a zod schema; then one
 * normalizer per key (`service` calls them in a fixed order) resolves paths, list-or-map
 * forms, host pass-through and cross-references.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join, normalize, posix, resolve } from 'node:path';
import * as z from 'zod';
import { UserError } from '../errors.js';
import { variable, type Inputs } from '../inputs.js';
import { readYaml, type Located, type Path } from './compose-yaml.js';
import { type InterpolationError, parseDotEnv, splitCommand } from './interpolate.js';

export interface PortSpec {
  /** '' when the file names no address: Docker then publishes on every interface. */
  hostIp: string;
  hostPort: number;
  containerPort: number;
}

export interface VolumeSpec {
  type: 'bind' | 'volume';
  /** Absolute host path (bind) or the volume's key in the file (volume). */
  source: string;
  target: string;
  readOnly: boolean;
}

/**
 * A field left out is left to the image's HEALTHCHECK, then to Docker's defaults (30s, 30s,
 * 3, 0s): the daemon fills each zero field from the image (moby daemon/commit.go, `merge`).
 */
export interface HealthcheckSpec {
  /** ["CMD", ...], ["CMD-SHELL", "..."], or ["NONE"] (the image's check disabled). */
  test: string[];
  intervalNs?: number;
  timeoutNs?: number;
  retries?: number;
  startPeriodNs?: number;
}

/** Docker's healthcheck defaults, for a field neither the file nor the image sets. */
export const DOCKER_HEALTHCHECK_DEFAULTS = { intervalNs: 30e9, timeoutNs: 30e9, retries: 3, startPeriodNs: 0 } as const;

export type DependsOnCondition = 'service_started' | 'service_healthy' | 'service_completed_successfully';

export interface BuildSpec {
  /** Absolute path of the build context. */
  context: string;
  /** The Dockerfile, relative to the context (Docker's default "Dockerfile" when absent). */
  dockerfile?: string;
  /** Build arguments; one written without a value takes the host's (or "" when unset). */
  args: Record<string, string>;
}

export interface ServiceSpec {
  name: string;
  image: string;
  build?: BuildSpec;
  /** The command as words (a string in the file is split as Compose splits it, without a shell). */
  command?: string[];
  /**
   * The `environment` entries (without the env files, which are read when the container is
   * made). `null`: named without a value and not set on the host — Docker then unsets it.
   */
  environment: Record<string, string | null>;
  /** Absolute paths of the env files, in order; `environment` wins over them. */
  envFiles: string[];
  ports: PortSpec[];
  volumes: VolumeSpec[];
  networks: { key: string; aliases: string[] }[];
  dependsOn: { service: string; condition: DependsOnCondition }[];
  healthcheck?: HealthcheckSpec;
  labels: Record<string, string>;
  /**
   * `extra_hosts`: names added to the container's /etc/hosts ("host-gateway" is Docker's
   * address of the host), and the form the file wrote them in, which `stack config` keeps.
   */
  extraHosts?: { entries: { host: string; address: string }[]; form: 'list' | 'map' };
  init: boolean;
  stopGracePeriodS: number;
}

export interface StackSpec {
  file: string;
  /** The files the model was read from: the stack file, and the `.env` beside it if any. */
  inputs: string[];
  services: ServiceSpec[];
  /** Every network the services use; `name` is the engine's name when the file gives one (always for an external network). */
  networks: { key: string; name?: string; external: boolean }[];
  volumes: { key: string }[];
  /** Variables read but not set (Compose reads them as ""), as Compose v1 warns. */
  warnings: string[];
}

/** Seconds a container gets to stop after SIGTERM when the file does not say (Compose: 10). */
const DEFAULT_STOP_GRACE_S = 1;

// ---------------------------------------------------------------------------------------
// The schema: the subset richie-dev supports, with each key's accepted forms.

// compose-spec's list_or_dict: a list of unique strings, or a map of strings, numbers or null.
// Labels also take booleans: v1 converts them to text before validating (ConversionMap, to_str).
const uniqueList = z.array(z.string()).refine((list) => new Set(list).size === list.length, { message: 'lists an entry twice' });
const listOrMap = z.union([uniqueList, z.record(z.string(), z.union([z.string(), z.number(), z.null()]))]);
const labelsSchema = z.union([uniqueList, z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))]);
const stringOrList = z.union([z.string(), z.array(z.string())]);
const duration = z.string();

const serviceSchema = z.strictObject({
  image: z.string(),
  build: z.union([z.string(), z.strictObject({ context: z.string(), dockerfile: z.string().optional(), args: listOrMap.optional() })]).optional(),
  command: stringOrList.optional(),
  environment: listOrMap.optional(),
  env_file: stringOrList.optional(),
  ports: z.array(z.union([z.string(), z.number(), z.strictObject({ target: z.number().int(), published: z.number().int().optional(), protocol: z.string().optional() })])).optional(),
  volumes: z.array(z.union([z.string(), z.strictObject({ type: z.enum(['bind', 'volume']), source: z.string(), target: z.string(), read_only: z.boolean().optional() })])).optional(),
  networks: z.union([z.array(z.string()), z.record(z.string(), z.union([z.null(), z.strictObject({ aliases: z.array(z.string()).optional() })]))]).optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.strictObject({ condition: z.enum(['service_started', 'service_healthy', 'service_completed_successfully']) }))])
    .optional(),
  healthcheck: z
    .strictObject({ test: stringOrList.optional(), interval: duration.optional(), timeout: duration.optional(), retries: z.number().int().nonnegative().optional(), start_period: duration.optional(), disable: z.boolean().optional() })
    .optional(),
  labels: labelsSchema.optional(),
  extra_hosts: z.union([uniqueList, z.record(z.string(), z.string())]).optional(),
  init: z.boolean().optional(),
  stop_grace_period: duration.optional(),
});

const fileSchema = z.strictObject({
  version: z.string().optional(),
  services: z.record(z.string(), serviceSchema),
  networks: z.record(z.string(), z.union([z.null(), z.strictObject({ name: z.string().optional(), external: z.boolean().optional() })])).optional(),
  volumes: z.record(z.string(), z.union([z.null(), z.strictObject({})])).optional(),
});

type RawService = z.infer<typeof serviceSchema>;

/** The keys allowed where a strict object refused one, for the error message. */
function allowedKeys(path: readonly PropertyKey[]): string[] {
  const [section, , key] = path;
  const keysOf = (schema: z.ZodType): string[] => Object.keys((schema as unknown as { shape: object }).shape);
  if (path.length === 0) return keysOf(fileSchema);
  if (section === 'services' && path.length === 2) return keysOf(serviceSchema);
  if (section === 'services' && key === 'build') return ['context', 'dockerfile', 'args'];
  if (section === 'services' && key === 'healthcheck') return ['test', 'interval', 'timeout', 'retries', 'start_period', 'disable'];
  if (section === 'services' && key === 'depends_on') return ['condition'];
  if (section === 'services' && key === 'networks') return ['aliases'];
  if (section === 'services' && key === 'ports') return ['target', 'published', 'protocol'];
  if (section === 'services' && key === 'volumes') return ['type', 'source', 'target', 'read_only'];
  if (section === 'networks') return ['name', 'external'];
  return [];
}

// ---------------------------------------------------------------------------------------
// Reading.

export interface ReadStackOptions {
  /** The process environment (default: this process's); richie-dev's own variables win over it, and it over `.env`. */
  env?: NodeJS.ProcessEnv;
  /** The home directory `~` expands to (default: the user's). */
  home?: string;
  /** The up record's (run): told the stack file, the `.env` beside it (there or not) and each variable read from `env`. */
  inputs?: Inputs;
}

/**
 * Read `file` into a StackSpec. Variables come from, lowest first: the `.env` file beside the
 * stack file (v1: compose/config/environment.py, `Environment.from_env_file`), the process
 * environment, and `vars` — richie-dev's own RICHIE_DEV_* values (`stackVars`).
 */
export async function readStack(file: string, vars: Record<string, string | undefined>, options: ReadStackOptions = {}): Promise<StackSpec> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UserError(`The stack file ${file} cannot be read (${error.code ?? error.message}).`, {
      fix: 'Check "stackFile" in richie-dev.config.json (a path relative to the project dir), or remove it to use richie-dev\'s own.',
    });
  });
  const baseDir = dirname(file);
  const env = options.env ?? process.env;
  const fromEnv = (name: string) => variable(env, name, options.inputs);
  const inputs = [file];
  const dotEnvFile = join(baseDir, '.env');
  options.inputs?.file(file);
  options.inputs?.file(dotEnvFile);
  const dotEnvText = await readFile(dotEnvFile, 'utf8').catch(() => undefined);
  const dotEnv = new Map<string, string>();
  if (dotEnvText !== undefined) {
    inputs.push(dotEnvFile);
    for (const [k, v] of parseDotEnv(dotEnvText, fromEnv)) dotEnv.set(k, v.value);
  }
  const lookup = (name: string): string | undefined => vars[name] ?? fromEnv(name) ?? dotEnv.get(name);
  // `~` as Compose v1 expands it (os.path.expanduser: $HOME first), read from the command's env.
  return parseStack(text, { file, baseDir, lookup, home: options.home ?? (fromEnv('HOME') || homedir()), inputs });
}

export interface ParseContext {
  file: string;
  baseDir: string;
  lookup: (name: string) => string | undefined;
  home: string;
  inputs: string[];
}

/** The model of a Compose file's text; `file` names it in errors and anchors relative paths. */
export function parseStack(text: string, ctx: ParseContext): StackSpec {
  const { raw, located, unset } = readYaml(text, ctx.file, ctx.lookup);
  const spec = validate(raw, located);
  const n: Normalizing = {
    ...located,
    ctx,
    hostPath: (p) => normalize(resolve(ctx.baseDir, expandHome(p, ctx.home))),
    networkKeys: new Set(['default', ...Object.keys(spec.networks ?? {})]),
    volumeKeys: new Set(Object.keys(spec.volumes ?? {})),
    serviceNames: Object.keys(spec.services),
  };
  // Compose's schema (compose-spec.json, "volumes" patternProperties) allows these characters only.
  for (const key of n.volumeKeys) {
    if (!/^[a-zA-Z0-9._-]+$/.test(key)) throw new UserError(`${n.at(['volumes', key])}: volume name "${key}" may use only letters, digits, ".", "_" and "-".`, { fix: n.fix });
  }
  const services = Object.entries(spec.services).map(([serviceName, s]) => service(serviceName, s, ['services', serviceName], n));
  const warnings = [...unset].map((v) => `The ${v} variable is not set. Defaulting to a blank string.`);
  return { file: ctx.file, inputs: ctx.inputs, services, networks: topNetworks(spec.networks), volumes: Object.keys(spec.volumes ?? {}).map((key) => ({ key })), warnings };
}

// ---------------------------------------------------------------------------------------
// Validate: the plain values against the schema, refusals naming the key and what is allowed.

/** `services.a.ports[0]`: a path as the error messages name it. */
const pathName = (path: Path) => path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');

function validate(raw: unknown, located: Located): z.infer<typeof fileSchema> {
  const { at, fail, fix } = located;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return fail([], 'the file must be a mapping with "services"');
  const top = raw as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k.startsWith('x-')) delete top[k];
  for (const service of Object.values((top.services ?? {}) as Record<string, unknown>)) {
    if (service && typeof service === 'object') for (const k of Object.keys(service)) if (k.startsWith('x-')) delete (service as Record<string, unknown>)[k];
  }
  // Compose v1 converts these from strings after interpolation (compose/config/interpolation.py, ConversionMap).
  convertTypes(top);

  const parsed = fileSchema.safeParse(top);
  if (parsed.success) return parsed.data;
  const issue = explain(parsed.error.issues[0]!, []);
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const allowed = allowedKeys(issue.path);
    throw new UserError(`${at([...issue.path, key])}: unsupported key "${key}" in ${issue.path.length ? pathName(issue.path) : 'the top level'} (supported: ${allowed.join(', ') || 'none'})`, { fix });
  }
  return fail(issue.path, `${pathName(issue.path) || 'the file'}: ${issue.message}`);
}

// ---------------------------------------------------------------------------------------
// Normalize: one function per key, each turning the forms Compose accepts into the model's one.

/** What each normalizer is handed: positions for its errors, the file's context, and the names it may refer to. */
interface Normalizing extends Located {
  ctx: ParseContext;
  /** A host path as Compose v1 resolves it: `~` expanded, relative to the stack file's folder. */
  hostPath(path: string): string;
  networkKeys: Set<string>;
  volumeKeys: Set<string>;
  serviceNames: string[];
}

/** One service; its keys are normalized in this order, so a file with two mistakes is told the same first one. */
function service(serviceName: string, s: RawService, p: Path, n: Normalizing): ServiceSpec {
  if (!/^[a-zA-Z0-9._-]+$/.test(serviceName)) throw new UserError(`${n.at(p)}: service name "${serviceName}" may use only letters, digits, ".", "_" and "-".`, { fix: n.fix });
  const out: ServiceSpec = {
    name: serviceName,
    image: s.image,
    environment: keyValues(s.environment, [...p, 'environment'], 'environment', true, n),
    envFiles: envFiles(s.env_file, n),
    ports: (s.ports ?? []).map((port, i) => portSpec(port, [...p, 'ports', i], n)),
    volumes: (s.volumes ?? []).map((volume, i) => volumeSpec(volume, [...p, 'volumes', i], n)),
    networks: serviceNetworks(s.networks, [...p, 'networks'], n),
    dependsOn: dependsOn(s.depends_on, [...p, 'depends_on'], n),
    labels: labels(s.labels, [...p, 'labels'], n),
    // richie-dev's defaults differ from Compose's on purpose: with an init process as PID 1 a
    // main process that never installed a SIGTERM handler still stops at once, and a short
    // grace period bounds one that ignores it. The file can say otherwise.
    init: s.init ?? true,
    stopGracePeriodS: s.stop_grace_period === undefined ? DEFAULT_STOP_GRACE_S : durationAt(s.stop_grace_period, [...p, 'stop_grace_period'], n) / 1e9,
  };
  if (s.build !== undefined) out.build = build(s.build, [...p, 'build'], n);
  if (s.command !== undefined) out.command = command(s.command, [...p, 'command'], n);
  if (s.healthcheck !== undefined) out.healthcheck = healthcheck(s.healthcheck, [...p, 'healthcheck'], n);
  if (s.extra_hosts !== undefined) out.extraHosts = extraHosts(s.extra_hosts, [...p, 'extra_hosts'], n);
  return out;
}

/** `env_file`: one path or a list, each resolved on the host. */
function envFiles(value: RawService['env_file'], n: Normalizing): string[] {
  return (value === undefined ? [] : typeof value === 'string' ? [value] : value).map(n.hostPath);
}

/** `extra_hosts`: "host:address" entries (the address may be IPv6, colons and all), or a map. */
function extraHosts(value: NonNullable<RawService['extra_hosts']>, path: Path, n: Normalizing): NonNullable<ServiceSpec['extraHosts']> {
  if (!Array.isArray(value)) return { form: 'map', entries: Object.entries(value).map(([host, address]) => ({ host, address })) };
  const entries = value.map((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon <= 0 || colon === entry.length - 1) n.fail([...path, i], `extra_hosts entry "${entry}" is not "host:address" (the address may be "host-gateway")`);
    return { host: entry.slice(0, colon), address: entry.slice(colon + 1) };
  });
  return { form: 'list', entries };
}

function durationAt(value: string, path: Path, n: Normalizing): number {
  const ns = parseDuration(value);
  if (ns === undefined) n.fail(path, `"${value}" is not a duration like "1s", "500ms" or "1m30s"`);
  return ns!;
}

/** `environment`, `build.args`: list ("K=V", or "K" to take the host's) or map (a null value takes the host's). */
function keyValues(value: z.infer<typeof listOrMap> | undefined, path: Path, what: string, keepUnset: true, n: Normalizing): Record<string, string | null>;
function keyValues(value: z.infer<typeof listOrMap> | undefined, path: Path, what: string, keepUnset: false, n: Normalizing): Record<string, string>;
function keyValues(value: z.infer<typeof listOrMap> | undefined, path: Path, what: string, keepUnset: boolean, n: Normalizing): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  const entries: [string, string | null, Path][] = Array.isArray(value)
    ? value.map((entry, i) => {
        // v1 compose/config/environment.py, split_env: "K=V", or "K" alone for the host's value.
        const eq = entry.indexOf('=');
        return eq === -1 ? [entry, null, [...path, i]] : [entry.slice(0, eq), entry.slice(eq + 1), [...path, i]];
      })
    : Object.entries(value ?? {}).map(([k, v]) => [k, v === null ? null : n.text([...path, k], v), [...path, k]]);
  for (const [k, v, at] of entries) {
    if (/\s/.test(k) || k === '') n.fail(at, `${what} variable name "${k}" may not be empty or contain whitespace`);
    // Host pass-through (v1 config.py, resolve_env_var): a name without a value takes the
    // value of the variable in richie-dev's environment; unset stays unset.
    out[k] = v ?? n.ctx.lookup(k) ?? (keepUnset ? null : '');
  }
  return out;
}

function labels(value: z.infer<typeof labelsSchema> | undefined, path: Path, n: Normalizing): Record<string, string> {
  // v1 config.py, parse_labels/split_kv: "k=v", or "k" alone for an empty value; maps as they are.
  if (Array.isArray(value)) return Object.fromEntries(value.map((entry) => (entry.includes('=') ? [entry.slice(0, entry.indexOf('=')), entry.slice(entry.indexOf('=') + 1)] : [entry, ''])));
  return Object.fromEntries(Object.entries(value ?? {}).map(([k, v]) => [k, v === null ? '' : n.text([...path, k], v)]));
}

function build(value: NonNullable<RawService['build']>, path: Path, n: Normalizing): BuildSpec {
  const b = typeof value === 'string' ? { context: value } : value;
  const contextPath = typeof value === 'string' ? path : [...path, 'context'];
  // Git and URL contexts (v1 config.py, is_url) need the engine to fetch: not in the subset.
  if (/^(https?:\/\/|git:\/\/|github\.com\/|git@)/.test(b.context)) n.fail(contextPath, `build context "${b.context}" is a URL; richie-dev builds from a local folder`);
  const out: BuildSpec = { context: n.hostPath(b.context), args: {} };
  // v1 config.py, validate_paths: the context must be a folder that can be read.
  if (!statSync(out.context, { throwIfNoEntry: false })?.isDirectory()) n.fail(contextPath, `the build context ${out.context} is not a folder`, `Create it, or point "build" at the folder holding the Dockerfile (relative to ${n.ctx.baseDir}).`);
  if ('dockerfile' in b && b.dockerfile !== undefined) out.dockerfile = b.dockerfile;
  if ('args' in b && b.args !== undefined) out.args = keyValues(b.args, [...path, 'args'], 'build argument', false, n);
  return out;
}

function command(value: string | string[], path: Path, n: Normalizing): string[] {
  if (Array.isArray(value)) return value;
  try {
    return splitCommand(value);
  } catch (error) {
    return n.fail(path, `command: ${(error as Error).message}`, (error as InterpolationError).fix);
  }
}

function healthcheck(value: NonNullable<RawService['healthcheck']>, path: Path, n: Normalizing): HealthcheckSpec {
  // v1 config.py, process_healthcheck: `disable: true` is test ["NONE"].
  if (value.disable === true) return { test: ['NONE'] };
  if (value.test === undefined) return n.fail(path, 'healthcheck needs a "test" (richie-dev probes services with it)');
  let test: string[];
  if (typeof value.test === 'string') {
    // docker-py types/healthcheck.py: a string is run by the container's shell. "NONE" as a
    // string would be a shell command named NONE, failing forever: surely meant to disable.
    if (value.test === 'NONE') return n.fail([...path, 'test'], 'test "NONE" as a string is a shell command named NONE', 'Write test: ["NONE"] (or disable: true) to turn the image\'s healthcheck off.');
    test = ['CMD-SHELL', value.test];
  } else {
    test = value.test;
    if (!['CMD', 'CMD-SHELL', 'NONE'].includes(test[0] ?? '')) n.fail([...path, 'test'], `test must start with "CMD", "CMD-SHELL" or "NONE" (got ${JSON.stringify(test[0] ?? '')})`);
  }
  const out: HealthcheckSpec = { test };
  if (value.interval !== undefined) out.intervalNs = durationAt(value.interval, [...path, 'interval'], n);
  if (value.timeout !== undefined) out.timeoutNs = durationAt(value.timeout, [...path, 'timeout'], n);
  if (value.retries !== undefined) out.retries = value.retries;
  if (value.start_period !== undefined) out.startPeriodNs = durationAt(value.start_period, [...path, 'start_period'], n);
  return out;
}

/** One `ports` entry: "[ip:]host:container[/tcp]" or the long form, always with a host port. */
function portSpec(value: NonNullable<RawService['ports']>[number], path: Path, n: Normalizing): PortSpec {
  const publish = `publish it on a host port: "8080:${typeof value === 'object' ? value.target : value}" or "127.0.0.1:8080:80"`;
  if (typeof value === 'object') {
    if (value.protocol !== undefined && value.protocol !== 'tcp') n.fail([...path, 'protocol'], `protocol "${value.protocol}": richie-dev publishes TCP ports only`);
    if (value.published === undefined) n.fail(path, `port ${value.target} has no "published" port: richie-dev checks host ports before it creates anything`, publish);
    return checkPorts({ hostIp: '', hostPort: value.published!, containerPort: value.target }, path, n);
  }
  // [ip:]host:container[/tcp] (v1 types.py ServicePort.parse, docker-py build_port_bindings).
  const text = String(value);
  const m = /^(?:(?:\[([0-9a-fA-F:.]+)\]|(\d+\.\d+\.\d+\.\d+)):)?(?:(\d+):)?(\d+)(?:\/(\w+))?$/.exec(text);
  if (!m) return n.fail(path, `"${text}" is not a port mapping like "127.0.0.1:8070:8070" (ranges are not supported)`);
  if (m[5] !== undefined && m[5] !== 'tcp') n.fail(path, `"${text}": richie-dev publishes TCP ports only`);
  if (m[3] === undefined) n.fail(path, `"${text}" publishes on a random host port: richie-dev checks host ports before it creates anything`, publish);
  return checkPorts({ hostIp: m[1] ?? m[2] ?? '', hostPort: Number(m[3]), containerPort: Number(m[4]) }, path, n);
}

function checkPorts(port: PortSpec, path: Path, n: Normalizing): PortSpec {
  for (const number of [port.hostPort, port.containerPort]) if (!Number.isInteger(number) || number < 1 || number > 65535) n.fail(path, `port ${number} is outside 1-65535`);
  return port;
}

/** One `volumes` entry, short or long form: a bind of a host path or a declared named volume. */
function volumeSpec(value: NonNullable<RawService['volumes']>[number], path: Path, n: Normalizing): VolumeSpec {
  let out: VolumeSpec;
  if (typeof value === 'object') {
    // Long syntax: v1 config.py resolve_volume_path expands a bind source starting with "." or "~".
    out = { type: value.type, source: value.type === 'bind' ? n.hostPath(value.source) : value.source, target: value.target, readOnly: value.read_only ?? false };
  } else {
    // Short syntax, v1 types.py VolumeSpec._parse_unix: external:internal[:mode]; the external
    // part is a host path when it starts with ".", "/" or "~" (then expanded), else a named volume.
    const parts = value.split(':');
    if (parts.length === 1) return n.fail(path, `"${value}" is an anonymous volume`, `Name it ("data:${value}") and declare "data" under the top-level volumes.`);
    if (parts.length > 3 || !parts[0] || !parts[1]) return n.fail(path, `"${value}" is not a volume like "./path:/target:ro" or "name:/target"`);
    const mode = parts[2] ?? 'rw';
    if (mode !== 'rw' && mode !== 'ro') n.fail(path, `volume mode "${mode}": richie-dev supports "ro" and "rw"`);
    const bind = /^[./~]/.test(parts[0]);
    out = { type: bind ? 'bind' : 'volume', source: bind ? n.hostPath(parts[0]) : parts[0], target: parts[1], readOnly: mode === 'ro' };
  }
  if (!posix.isAbsolute(out.target)) n.fail(path, `the target "${out.target}" must be an absolute path in the container`);
  // v1 normalizes both sides (os.path.normpath): no "..", no trailing slash.
  out.target = posix.normalize(out.target).replace(/(.)\/+$/, '$1');
  if (out.type === 'volume' && !n.volumeKeys.has(out.source)) {
    // v1 errors the same way: "Named volume ... is used in service ... but no declaration was found".
    n.fail(path, `the named volume "${out.source}" is not declared under the top-level "volumes"`, `Add it under the top-level volumes ("volumes: { ${out.source}: {} }"), or write a path ("./${out.source}") to mount a folder.`);
  }
  return out;
}

/** A service's `networks`: a list or a map with aliases; none means the default network. */
function serviceNetworks(value: RawService['networks'], path: Path, n: Normalizing): ServiceSpec['networks'] {
  const entries: [string, string[]][] =
    value === undefined ? [['default', []]] : Array.isArray(value) ? value.map((k) => [k, []]) : Object.entries(value).map(([k, v]) => [k, v?.aliases ?? []]);
  for (const [key] of entries) {
    if (!n.networkKeys.has(key)) {
      const p = Array.isArray(value) ? [...path, value.indexOf(key)] : [...path, key];
      n.fail(p, `the network "${key}" is not declared under the top-level "networks"`, `Add it under the top-level networks ("networks: { ${key}: {} }"), or remove it from this service.`);
    }
  }
  return entries.map(([key, aliases]) => ({ key, aliases }));
}

function dependsOn(value: RawService['depends_on'], path: Path, n: Normalizing): ServiceSpec['dependsOn'] {
  // v1 config.py, process_depends_on: the list form means condition service_started.
  const entries: [string, DependsOnCondition][] = Array.isArray(value) ? value.map((k) => [k, 'service_started']) : Object.entries(value ?? {}).map(([k, v]) => [k, v.condition]);
  for (const [dep] of entries) {
    if (!n.serviceNames.includes(dep)) {
      const p = Array.isArray(value) ? [...path, value.indexOf(dep)] : [...path, dep];
      n.fail(p, `depends on "${dep}", which is not a service in this file (services: ${n.serviceNames.join(', ')})`);
    }
  }
  return entries.map(([service, condition]) => ({ service, condition }));
}

/** The top-level `networks`, with the default network when the file does not declare it. */
function topNetworks(value: z.infer<typeof fileSchema>['networks']): StackSpec['networks'] {
  const networks: StackSpec['networks'] = [];
  if (!value || !('default' in value)) networks.push({ key: 'default', external: false });
  for (const [key, network] of Object.entries(value ?? {})) {
    const external = network?.external === true;
    // An external network is the engine's network of that name (v1 serialize.py prints name: key).
    const netName = network?.name ?? (external ? key : undefined);
    networks.push({ key, ...(netName !== undefined ? { name: netName } : {}), external });
  }
  return networks;
}

/** The issue to report: inside a union, the branch that matched the value's shape. */
function explain(issue: z.core.$ZodIssue, prefix: PropertyKey[]): z.core.$ZodIssue & { path: PropertyKey[] } {
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length) {
    const shaped = issue.errors.find((branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
    if (shaped?.[0]) return explain(shaped[0], path);
    const expected = issue.errors.flatMap((branch) => branch.map((i) => (i.code === 'invalid_type' ? i.expected : undefined))).filter(Boolean);
    return { ...issue, path, message: `expected ${[...new Set(expected)].map((e) => (e === 'record' ? 'a mapping' : e === 'array' ? 'a list' : e === 'object' ? 'a mapping' : `a ${e}`)).join(' or ')}` };
  }
  if (issue.code === 'invalid_type') {
    const what = issue.expected === 'record' || issue.expected === 'object' ? 'a mapping' : issue.expected === 'array' ? 'a list' : `a ${issue.expected}`;
    return { ...issue, path, message: `expected ${what}` };
  }
  return { ...issue, path };
}

/** v1's ConversionMap for the keys in the subset: an interpolated string where a number or boolean belongs. */
function convertTypes(top: Record<string, unknown>): void {
  const services = top.services && typeof top.services === 'object' ? (top.services as Record<string, Record<string, unknown> | null>) : {};
  const toInt = (v: unknown) => (typeof v === 'string' && /^\s*\d+\s*$/.test(v) ? Number(v) : v);
  const toBool = (v: unknown) => (typeof v === 'string' && /^(y|yes|true|on|n|no|false|off)$/i.test(v) ? /^(y|yes|true|on)$/i.test(v) : v);
  for (const s of Object.values(services)) {
    if (!s || typeof s !== 'object') continue;
    const hc = s.healthcheck as Record<string, unknown> | undefined;
    if (hc && typeof hc === 'object') {
      if ('retries' in hc) hc.retries = toInt(hc.retries);
      if ('disable' in hc) hc.disable = toBool(hc.disable);
    }
    if (Array.isArray(s.ports)) for (const p of s.ports) if (p && typeof p === 'object') for (const k of ['target', 'published']) if (k in p) (p as Record<string, unknown>)[k] = toInt((p as Record<string, unknown>)[k]);
    if (Array.isArray(s.volumes)) for (const v of s.volumes) if (v && typeof v === 'object' && 'read_only' in v) (v as Record<string, unknown>).read_only = toBool((v as Record<string, unknown>).read_only);
  }
  const networks = top.networks && typeof top.networks === 'object' ? (top.networks as Record<string, Record<string, unknown> | null>) : {};
  for (const n of Object.values(networks)) if (n && typeof n === 'object' && 'external' in n) n.external = toBool(n.external);
}

/** `~` and `~/...` to the home directory (v1: os.path.expanduser). */
function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}

/**
 * "1m30s", "500ms", "1.5s" to nanoseconds; undefined when not a duration. The units are v1's
 * (compose/utils.py parse_nanoseconds_int, via timeparse) and Go's time.ParseDuration's.
 */
export function parseDuration(text: string): number | undefined {
  const units: Record<string, number> = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  if (!/^(\d+(\.\d+)?(ns|us|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)/g)) total += Number(n) * units[unit!]!;
  return Math.round(total);
}

/** "1s", "500ms", "1m30s" to nanoseconds, or a UserError naming `where`. */
export function durationNs(text: string, where: string): number {
  const ns = parseDuration(text);
  if (ns === undefined) throw new UserError(`${where}: "${text}" is not a duration like "1s" or "500ms".`);
  return ns;
}

