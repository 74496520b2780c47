/**
 * Which stack a project runs and with what values: richie-dev's docker-compose.richie.yml (or
 * the project's own "stackFile"), read with the variables the project's config gives it.
 */
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ProjectConfig } from '../config.js';
import type { CommandContext } from '../context.js';
import type { Inputs } from '../inputs.js';
import type { ProjectPaths } from '../paths.js';
import { readStack, type ServiceSpec, type StackSpec } from './compose.js';
import { isIPv6 } from 'node:net';
import { LOOPBACK_ADDRESS, resolveTarget, type Engine } from './engine.js';
import { withKeycloak } from './keycloak.js';
import { withJoanie } from './joanie.js';
import { identify, type ProjectId } from './project.js';
import type { StackContext } from './stack.js';

export const STACK_FILE = fileURLToPath(new URL('../../docker-compose.richie.yml', import.meta.url));

/** The project's own stack file ("stackFile", relative to the project dir), else richie-dev's. */
export function stackFilePath(paths: ProjectPaths, config: ProjectConfig): string {
  return config.stackFile ? resolve(paths.projectDir, config.stackFile) : STACK_FILE;
}

/**
 * The variables docker-compose.richie.yml reads, from the project and its config, and the
 * address its ports are published on: the engine's (`EngineTarget.address`, engine.ts).
 */
export function stackVars(paths: ProjectPaths, config: ProjectConfig, publishAddress: string = LOOPBACK_ADDRESS): Record<string, string> {
  return {
    // Compose's port syntax takes an IPv6 address in brackets ("[fd00::5]:8070:8070").
    RICHIE_DEV_PUBLISH_ADDRESS: isIPv6(publishAddress) ? `[${publishAddress}]` : publishAddress,
    RICHIE_DEV_STATE_DIR: paths.stateDir,
    RICHIE_DEV_CATALOG_IMAGE: config.images.catalog,
    RICHIE_DEV_LMS_IMAGE: config.images.lms,
    RICHIE_DEV_NGINX_IMAGE: config.images.nginx,
    RICHIE_DEV_CATALOG_PORT: String(config.catalog.port),
    RICHIE_DEV_LMS_PORT: String(config.lms.port),
    RICHIE_DEV_CATALOG_HOST: config.catalog.host,
    RICHIE_DEV_LMS_HOST: config.lms.host,
  };
}

/** A command's context (src/context.ts) with the Docker engine, connected on first use (src/cli/context.ts). */
export interface EngineContext extends CommandContext {
  engine(): Promise<Engine>;
}

/**
 * The project's stack, read once: its own variables over the command's environment over the
 * `.env` beside the stack file. Needs no engine (`stack config` uses it alone).
 */
export async function loadStack(ctx: CommandContext, options: { stackFile?: string | undefined; inputs?: Inputs } = {}): Promise<{ config: ProjectConfig; paths: ProjectPaths; stack: StackSpec }> {
  const config = await ctx.config();
  const { paths, env } = ctx;
  const stack = await readStack(options.stackFile ?? stackFilePath(paths, config), stackVars(paths, config, (await resolveTarget(env)).address), { env, ...(options.inputs ? { inputs: options.inputs } : {}) });
  return { config, paths, stack: forProject(stack, config) };
}

/** The stack file as this project runs it: a container per LMS and for Joanie, none for a site with an upstream. */
export function forProject(stack: StackSpec, config: ProjectConfig): StackSpec {
  // Keycloak's container is made from the LMS service: before an LMS upstream removes it.
  return withoutUpstreamed(withJoanie(withKeycloak(withLmses(stack, config), config), config), config);
}

/**
 * Several LMSes: the file's LMS service (role "lms") runs the first; each other LMS gets a copy
 * named after its stem ("lms-<name>"), with its own env file and data volume, unless it has an
 * upstream. nginx publishes every LMS's port (on the address the file publishes its first port
 * on), answers to every LMS's host inside the stack, and waits for each LMS container.
 */
export function withLmses(stack: StackSpec, config: ProjectConfig): StackSpec {
  const others = config.lmses.slice(1);
  const template = stack.services.find((s) => s.labels[ROLE_LABEL] === 'lms');
  if (!others.length || !template) return stack;
  const volumes = [...stack.volumes];
  const copies: ServiceSpec[] = [];
  for (const lms of others) {
    if (lms.upstream) continue;
    const rename = (key: string) => (key.startsWith('lms') ? `${lms.stem}${key.slice(3)}` : `${lms.stem}-${key}`);
    const copy: ServiceSpec = {
      ...template,
      name: lms.stem,
      envFiles: template.envFiles.map((file) => (basename(file) === 'lms.env' ? join(dirname(file), `${lms.stem}.env`) : file)),
      volumes: template.volumes.map((v) => (v.type === 'volume' ? { ...v, source: rename(v.source) } : v)),
    };
    for (const v of copy.volumes) if (v.type === 'volume' && !volumes.some((known) => known.key === v.source)) volumes.push({ key: v.source });
    copies.push(copy);
  }
  const services = stack.services.flatMap((s) => {
    if (s === template) return [s, ...copies];
    if (s.labels[ROLE_LABEL] !== 'nginx') return [s];
    const [first, ...rest] = s.networks;
    return [
      {
        ...s,
        ports: [...s.ports, ...others.map((l) => ({ hostIp: s.ports[0]?.hostIp ?? LOOPBACK_ADDRESS, hostPort: l.port, containerPort: l.port }))],
        networks: first ? [{ ...first, aliases: [...first.aliases, ...others.map((l) => l.host)] }, ...rest] : s.networks,
        dependsOn: [...s.dependsOn, ...copies.map((c) => ({ service: c.name, condition: 'service_healthy' as const }))],
      },
    ];
  });
  return { ...stack, services, volumes };
}

/** The label that names the site a service serves (docker-compose.richie.yml). */
export const ROLE_LABEL = 'dev.richie.role';

/**
 * A site with an `upstream` of the user's own runs no container: the services labelled with
 * its role leave the stack, nothing waits on them, and volumes only they used go too. nginx,
 * rendered with that upstream, serves the site.
 */
export function withoutUpstreamed(stack: StackSpec, config: ProjectConfig): StackSpec {
  const sites = (['catalog', 'lms'] as const).filter((site) => config[site].upstream);
  if (!sites.length) return stack;
  // The copies withLmses made for the other LMSes share the role; an upstream of the first LMS
  // replaces its own container only (theirs are left out by withLmses when they have one).
  const copies = new Set(config.lmses.slice(1).map((l) => l.stem));
  const dropped = new Set(stack.services.filter((s) => (sites as string[]).includes(s.labels[ROLE_LABEL] ?? '') && !copies.has(s.name)).map((s) => s.name));
  const services = stack.services.filter((s) => !dropped.has(s.name)).map((s) => ({ ...s, dependsOn: s.dependsOn.filter((d) => !dropped.has(d.service)) }));
  const volumes = new Set(services.flatMap((s) => s.volumes.filter((v) => v.type === 'volume').map((v) => v.source)));
  return { ...stack, services, volumes: stack.volumes.filter((v) => volumes.has(v.key)) };
}

/** Identity and the project lock live in project.ts (light, for the re-run's fast path); re-exported here. */
export { identify, recordIdentity, withProjectLock } from './project.js';

/**
 * A command's view of the stack: the context's config, paths and engine, the stack file read
 * and the project identified. With `inputs` (run's up record), every step on it tells it what
 * it reads.
 */
export async function stackContext(ctx: EngineContext, options: { stackFile?: string | undefined; id?: ProjectId; inputs?: Inputs } = {}): Promise<StackContext & { config: ProjectConfig; paths: ProjectPaths }> {
  const [{ config, paths, stack }, engine] = await Promise.all([loadStack(ctx, options), ctx.engine()]);
  return { engine, stack, env: ctx.env, images: config.images, ...(options.inputs ? { inputs: options.inputs } : {}), ...(options.id ?? (await identify(engine, paths.projectDir))), config, paths };
}
