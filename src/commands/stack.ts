/**
 * The stack's lifecycle: status, logs, stop and down — only ever on containers, networks and
 * volumes that carry this project's labels.
 */
import { X509Certificate } from 'node:crypto';
import type { CommandContext } from '../context.js';
import { UserError } from '../errors.js';
import { readIfExists } from '../fsutil.js';
import { hostCertPaths } from '../paths.js';
import { readState } from '../state.js';
import { checkStateDir } from '../state-dir.js';
import type { EngineContext } from '../stack/context.js';
import { LABEL } from '../stack/project.js';
import { downAll, statusAll, stopAll, type ProjectEngine } from '../stack/lifecycle.js';

export interface StackOptions {
  stackFile?: string;
}

/**
 * stop and down go by labels alone: neither reads the config or the stack file, so neither can
 * be blocked by them. Both take the project's lock, so they wait for a run in progress (and the
 * other way round), and identify the project under it.
 */
async function locked<T>(ctx: EngineContext, work: (project: ProjectEngine) => Promise<T>): Promise<T> {
  // A link planted in .richie-dev/ is refused before the engine is asked anything.
  checkStateDir(ctx.paths.stateDir);
  const [engine, { identify, withProjectLock }] = await Promise.all([ctx.engine(), import('../stack/project.js')]);
  return withProjectLock(ctx.paths.projectDir, async () => work({ engine, ...(await identify(engine, ctx.paths.projectDir)) }));
}

export async function stop(ctx: EngineContext): Promise<{ project: string; stopped: string[] }> {
  return locked(ctx, async (p) => ({ project: p.project, stopped: await stopAll(p) }));
}

export async function down(ctx: EngineContext, options: { volumes: boolean }): Promise<{ project: string; containers: string[]; networks: string[]; volumes: string[] }> {
  return locked(ctx, async (p) => ({ project: p.project, ...(await downAll(p, { volumes: options.volumes })) }));
}

export interface StatusResult {
  project: string;
  services: { name: string; state: string; health: string; image: string; ports: string[] }[];
  /** `lms`: the first LMS; `lmses`: every LMS, in priority order, when there are several. */
  urls: { catalog: string; lms: string; lmses?: string[] } | null;
  backend: string | null;
  certificate: { notAfter: string; daysLeft: number } | null;
}

export async function status(command: EngineContext, options: StackOptions = {}): Promise<StatusResult> {
  const [{ stackContext }, { configuredHosts }] = await Promise.all([import('../stack/context.js'), import('../config.js')]);
  const ctx = await stackContext(command, options);
  const containers = await statusAll(ctx);
  const state = await readState(ctx.paths);
  const hosts = configuredHosts(ctx.config);
  const scheme = state.mode === 'tls' ? 'https' : 'http';
  const host = (h: string) => (state.mode === 'tls' ? h : 'localhost');
  const pem = await readIfExists(hostCertPaths(ctx.paths, hosts[0]!).cert);
  const notAfter = pem ? new Date(new X509Certificate(pem).validTo) : undefined;
  return {
    project: ctx.project,
    services: ctx.stack.services.map((s) => {
      const c = containers.find((x) => x.labels[LABEL.service] === s.name);
      return {
        name: s.name,
        state: c ? c.status : 'not created',
        health: c?.health ?? '-',
        image: c?.image ?? s.image,
        ports: (c?.ports ?? []).map((p) => `${p.hostIp}:${p.hostPort}->${p.containerPort}`),
      };
    }),
    urls: state.mode
      ? {
          catalog: `${scheme}://${host(ctx.config.catalog.host)}:${ctx.config.catalog.port}`,
          lms: `${scheme}://${host(ctx.config.lms.host)}:${ctx.config.lms.port}`,
          ...(ctx.config.lmses.length > 1 ? { lmses: ctx.config.lmses.map((l) => `${scheme}://${host(l.host)}:${l.port}`) } : {}),
        }
      : null,
    backend: state.lms ?? null,
    certificate: notAfter ? { notAfter: notAfter.toISOString(), daysLeft: Math.floor((notAfter.getTime() - Date.now()) / 86_400_000) } : null,
  };
}

/** Stream (or print the tail of) the services' output, each line prefixed with its service; following ends when `signal` aborts. */
export async function logs(command: EngineContext, options: StackOptions & { service?: string | undefined; follow: boolean; tail: number; onLine: (service: string, line: string) => void; signal?: AbortSignal }): Promise<void> {
  const { stackContext } = await import('../stack/context.js');
  const ctx = await stackContext(command, options);
  const containers = (await statusAll(ctx)).filter((c) => !options.service || c.labels[LABEL.service] === options.service);
  if (options.service && containers.length === 0) {
    throw new UserError(`No container for service "${options.service}" (services: ${ctx.stack.services.map((s) => s.name).join(', ')}).`, { fix: 'Start the stack with "richie-dev run" or "richie-dev run-ssl".' });
  }
  if (!options.follow) {
    for (const c of containers) {
      const service = c.labels[LABEL.service] ?? c.name;
      for (const line of (await ctx.engine.logs(c.id, options.tail)).split('\n').filter(Boolean)) options.onLine(service, line);
    }
    return;
  }
  const signal = options.signal ?? new AbortController().signal;
  await Promise.all(containers.map((c) => ctx.engine.followLogs(c.id, options.tail, (line) => options.onLine(c.labels[LABEL.service] ?? c.name, line), signal)));
}

export interface ConfigResult {
  /** The stack file, and the `.env` beside it when there is one. */
  inputs: string[];
  /** The resolved model in Compose's canonical form (what `docker-compose config` prints). */
  config: import('../stack/canonical.js').ComposeConfig;
  /** Unset variables, and env files that cannot be read yet (render writes richie-dev's). */
  warnings: string[];
  /** How many environment and build-arg values were masked (0 with showSecrets). */
  masked: number;
}

/** What `stack config` prints instead of a secret value. */
export const MASK = '********';

/** Names whose values are secrets: the sync secret, OAuth secrets, tokens, passwords, keys. */
const SECRET_NAME = /SECRET|PASSW(OR)?D|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY($|_)/i;

/**
 * Mask, in every service's environment and build args, the values of secret-looking names and
 * any value holding one of `secrets` (the course-run sync secret is also inside the LMS's
 * course hooks JSON): the README's promise that a secret is never printed unless asked.
 */
export function maskSecrets(config: import('../stack/canonical.js').ComposeConfig, secrets: readonly string[]): number {
  let masked = 0;
  const mask = (values: Record<string, string | null> | undefined) => {
    for (const [key, value] of Object.entries(values ?? {})) {
      if (value === null || value === '') continue;
      let next = SECRET_NAME.test(key) ? MASK : value;
      for (const secret of secrets) next = next.replaceAll(secret, MASK);
      if (next !== value) (values![key] = next), masked++;
    }
  };
  for (const service of Object.values(config.services)) {
    mask(service.environment as Record<string, string | null> | undefined);
    mask((service.build as { args?: Record<string, string | null> } | undefined)?.args);
  }
  return masked;
}

/**
 * The stack as richie-dev will run it: read, validated and resolved, without the engine.
 * Secret values are masked unless `showSecrets` (`--show-secrets`).
 */
export async function config(ctx: CommandContext, options: StackOptions & { showSecrets?: boolean } = {}): Promise<ConfigResult> {
  const [{ loadStack }, { composeConfig }, { envFileValues }, { readFile }] = await Promise.all([
    import('../stack/context.js'),
    import('../stack/canonical.js'),
    import('../stack/interpolate.js'),
    import('node:fs/promises'),
  ]);
  const { env } = ctx;
  const { stack } = await loadStack(ctx, options);
  const warnings = [...stack.warnings];
  // Env files are read when the containers are made (render writes richie-dev's own just
  // before); here, the ones that exist are merged as Compose merges them.
  const envFiles = new Map<string, Record<string, string>>();
  for (const file of new Set(stack.services.flatMap((s) => s.envFiles))) {
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) warnings.push(`The env file ${file} cannot be read yet; it is listed under env_file ("richie-dev render" writes richie-dev's own).`);
    else envFiles.set(file, envFileValues(text, (name) => env[name]));
  }
  const resolved = composeConfig(stack, envFiles);
  let masked = 0;
  if (!options.showSecrets) {
    const { secretValues, secretsFile } = await import('../lms/secret.js');
    // Every secret of the project (not JSON: render says so; the names still mask the sync secret).
    const stored = secretValues(await readIfExists(secretsFile(ctx.paths)).catch(() => undefined));
    masked = maskSecrets(resolved, stored);
  }
  return { inputs: stack.inputs, config: resolved, warnings, masked };
}
