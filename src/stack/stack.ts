/**
 * The stack's verbs over the engine: up (networks, images, containers with a config hash,
 * started in dependency order, waited on until healthy), stop, down and status. Only
 * resources carrying this project's labels are ever stopped or removed.
 */
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import type Dockerode from 'dockerode';
import { ExitCode, UserError } from '../errors.js';
import { parseEnvFile } from '../render/files.js';
import type { ServiceSpec, StackSpec } from './compose.js';
import { contentHash } from './content.js';
import type { ContainerState, Engine } from './engine.js';
import { ensureImage } from './images.js';
import { portFree, portHolder } from './ports.js';
import { LABEL, containerName, projectLabels } from './project.js';

export interface StackContext {
  engine: Engine;
  stack: StackSpec;
  project: string;
  projectDir: string;
}

export interface ServicePlan {
  service: ServiceSpec;
  hash: string;
  options: Dockerode.ContainerCreateOptions;
  existing?: ContainerState;
  action: 'keep' | 'start' | 'create' | 'recreate';
}

function networkName(ctx: StackContext, key: string): string {
  const net = ctx.stack.networks.find((n) => n.key === key);
  return net?.name ?? `${ctx.project}_${key}`;
}

async function createOptions(ctx: StackContext, service: ServiceSpec): Promise<{ options: Dockerode.ContainerCreateOptions; hash: string }> {
  const env: Record<string, string> = {};
  for (const file of service.envFiles) {
    const text = await readFile(file, 'utf8').catch(() => {
      throw new UserError(`${file} (env_file of service ${service.name}) does not exist.`, { fix: 'Run "richie-dev render" (or run / run-ssl, which render first).' });
    });
    Object.assign(env, parseEnvFile(text));
  }
  Object.assign(env, service.environment);
  const [first, ...others] = service.networks;
  const binds = service.volumes.filter((v) => v.type === 'bind');
  for (const bind of binds) {
    if (!(await stat(bind.source).catch(() => undefined))) {
      throw new UserError(`${bind.source} (mounted into ${service.name} at ${bind.target}) does not exist.`, { fix: 'Run "richie-dev setup-ssl" and "richie-dev render" first.' });
    }
  }
  const options: Dockerode.ContainerCreateOptions = {
    name: containerName(ctx.project, service.name),
    Image: service.image,
    ...(service.command ? { Cmd: service.command } : {}),
    Env: Object.entries(env).map(([k, v]) => `${k}=${v}`),
    ExposedPorts: Object.fromEntries(service.ports.map((p) => [`${p.containerPort}/tcp`, {}])),
    StopTimeout: service.stopGracePeriodS,
    ...(service.healthcheck
      ? {
          Healthcheck: {
            Test: service.healthcheck.test,
            Interval: service.healthcheck.intervalNs,
            Timeout: service.healthcheck.timeoutNs,
            Retries: service.healthcheck.retries,
            StartPeriod: service.healthcheck.startPeriodNs,
          },
        }
      : {}),
    HostConfig: {
      Init: service.init,
      PortBindings: Object.fromEntries(service.ports.map((p) => [`${p.containerPort}/tcp`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]])),
      Binds: binds.map((v) => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`),
      Mounts: service.volumes.filter((v) => v.type === 'volume').map((v) => ({ Type: 'volume' as const, Source: `${ctx.project}_${v.source}`, Target: v.target, ReadOnly: v.readOnly })),
      NetworkMode: networkName(ctx, first?.key ?? 'default'),
    },
    NetworkingConfig: { EndpointsConfig: { [networkName(ctx, first?.key ?? 'default')]: { Aliases: [service.name, ...(first?.aliases ?? [])] } } },
  };
  const imageId = (await ctx.engine.image(service.image))?.id ?? service.image;
  const hash = createHash('sha256')
    .update(JSON.stringify({ options, others, imageId }))
    // nginx must be recreated when its config (a bind-mounted folder) changes.
    .update(await contentHash(binds.map((b) => b.source)))
    .digest('hex');
  options.Labels = {
    ...service.labels,
    ...projectLabels(ctx.project),
    [LABEL.service]: service.name,
    [LABEL.number]: '1',
    [LABEL.oneoff]: 'False',
    [LABEL.workingDir]: ctx.projectDir,
    [LABEL.configFiles]: ctx.stack.file,
    [LABEL.version]: '1.29.2',
    [LABEL.configHash]: hash,
  };
  return { options, hash };
}

/** Dependencies first (depends_on), file order otherwise. */
export function startOrder(services: readonly ServiceSpec[]): ServiceSpec[] {
  const done = new Set<string>();
  const order: ServiceSpec[] = [];
  const visit = (service: ServiceSpec, path: string[]) => {
    if (done.has(service.name)) return;
    if (path.includes(service.name)) throw new UserError(`depends_on forms a cycle: ${[...path, service.name].join(' -> ')}`);
    for (const dep of service.dependsOn) visit(services.find((s) => s.name === dep.service)!, [...path, service.name]);
    done.add(service.name);
    order.push(service);
  };
  for (const service of services) visit(service, []);
  return order;
}

export async function ensureImages(ctx: StackContext, onProgress?: (service: string, text: string) => void): Promise<Record<string, string>> {
  const results: Record<string, string> = {};
  for (const service of ctx.stack.services) results[service.name] = await ensureImage(ctx.engine, service, (text) => onProgress?.(service.name, text));
  return results;
}

export async function plan(ctx: StackContext): Promise<ServicePlan[]> {
  const existing = await ctx.engine.containers(projectLabels(ctx.project));
  const plans: ServicePlan[] = [];
  for (const service of startOrder(ctx.stack.services)) {
    const { options, hash } = await createOptions(ctx, service);
    const current = existing.find((c) => c.labels[LABEL.service] === service.name);
    const action = !current ? 'create' : current.labels[LABEL.configHash] !== hash ? 'recreate' : current.running ? 'keep' : 'start';
    plans.push({ service, hash, options, ...(current ? { existing: current } : {}), action });
  }
  return plans;
}

/** Before creating anything: every port a container will bind is free, or its holder is named. */
export async function checkPorts(ctx: StackContext, plans: readonly ServicePlan[]): Promise<void> {
  for (const p of plans) {
    if (p.action === 'keep') continue;
    for (const port of p.service.ports) {
      // Our own container, about to be replaced, may hold it: it is stopped first.
      if (p.existing?.running && p.existing.ports.some((e) => e.hostPort === port.hostPort)) continue;
      if (ctx.engine.target.remote) continue; // the port lives on the engine's machine
      if (await portFree(port.hostPort, port.hostIp)) continue;
      const others = await ctx.engine.containers({});
      const container = others.find((c) => c.running && c.ports.some((e) => e.hostPort === port.hostPort));
      const holder = container ? `container ${container.name}` : ((await portHolder(port.hostPort)) ?? 'another process');
      throw new UserError(`Port ${port.hostPort} (service ${p.service.name}) is held by ${holder}; nothing was created.`, {
        exitCode: ExitCode.portBusy,
        fix: container ? `Stop it ("docker stop ${container.name}"), or set catalog.port / lms.port in richie-dev.config.json.` : `Stop it, or set catalog.port / lms.port in richie-dev.config.json.`,
      });
    }
  }
}

export async function ensureNetworksAndVolumes(ctx: StackContext): Promise<{ created: string[] }> {
  const created: string[] = [];
  const used = new Set(ctx.stack.services.flatMap((s) => s.networks.map((n) => n.key)));
  for (const net of ctx.stack.networks) {
    if (!used.has(net.key) || net.external) continue;
    const name = networkName(ctx, net.key);
    if (!(await ctx.engine.networkByName(name))) {
      await ctx.engine.createNetwork(name, { ...projectLabels(ctx.project), [LABEL.network]: net.key });
      created.push(name);
    }
  }
  for (const volume of ctx.stack.volumes) {
    const name = `${ctx.project}_${volume.key}`;
    if (!(await ctx.engine.volumeExists(name))) await ctx.engine.createVolume(name, { ...projectLabels(ctx.project), [LABEL.volume]: volume.key });
  }
  return { created };
}

/** Create (or recreate) and start one service's container; returns its id. */
export async function apply(ctx: StackContext, p: ServicePlan): Promise<string> {
  if (p.action === 'keep') return p.existing!.id;
  if (p.action === 'start') {
    await ctx.engine.start(p.existing!.id);
    return p.existing!.id;
  }
  if (p.existing) {
    await ctx.engine.stop(p.existing.id, p.service.stopGracePeriodS);
    await ctx.engine.remove(p.existing.id);
  }
  const id = await ctx.engine.create(p.options);
  const [, ...others] = p.service.networks;
  for (const net of others) {
    // On a second network (the shared edx-lms-outside) only the explicit aliases: the service
    // name there would collide with every other project's service of the same name.
    const found = await ctx.engine.networkByName(networkName(ctx, net.key));
    if (found) await ctx.engine.connect(found.id, id, net.aliases);
  }
  await ctx.engine.start(id);
  return id;
}

/** Wait until a container is healthy (or running, without a healthcheck); fail fast with its logs. */
export async function waitHealthy(ctx: StackContext, service: ServiceSpec, id: string, options: { timeoutMs?: number; onState?: (state: string) => void } = {}): Promise<'healthy' | 'running'> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  let last = '';
  for (;;) {
    const state = await ctx.engine.container(id);
    const shown = state.running ? (state.health === 'none' ? 'running' : state.health) : state.status;
    if (shown !== last) options.onState?.((last = shown));
    if (!state.running && (state.status === 'exited' || state.status === 'dead')) {
      throw await serviceFailure(ctx, service, id, `exited with code ${state.exitCode}`);
    }
    if (state.health === 'unhealthy') throw await serviceFailure(ctx, service, id, 'is unhealthy (its healthcheck keeps failing)');
    if (state.running && state.health === 'healthy') return 'healthy';
    if (state.running && !service.healthcheck) return 'running';
    // Docker runs the first healthcheck only after a whole interval: run the same test
    // ourselves as soon as the container runs, so dependents start without that wait.
    if (state.running && service.healthcheck && (await ctx.engine.passesHealthcheck(id, service.healthcheck.test))) {
      if (last !== 'healthy') options.onState?.((last = 'healthy'));
      return 'healthy';
    }
    if (Date.now() > deadline) throw await serviceFailure(ctx, service, id, `did not become healthy within ${Math.round((options.timeoutMs ?? 120_000) / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

async function serviceFailure(ctx: StackContext, service: ServiceSpec, id: string, what: string): Promise<UserError> {
  const logs = (await ctx.engine.logs(id, 30).catch(() => '')).trimEnd();
  return new UserError(`Service ${service.name} ${what}.${logs ? `\nIts last log lines:\n${logs.split('\n').map((l) => `  | ${l}`).join('\n')}` : ''}`, {
    exitCode: ExitCode.unhealthy,
    fix: `richie-dev logs ${service.name}   (then fix and run again)`,
  });
}

/** Remove what an interrupted or failed up created, so nothing half-made is left. */
export async function rollback(ctx: StackContext, containers: string[], networks: string[]): Promise<void> {
  await Promise.all(containers.map((id) => ctx.engine.remove(id).catch(() => undefined)));
  for (const name of networks) {
    const net = await ctx.engine.networkByName(name);
    if (net) await ctx.engine.removeNetwork(net.id).catch(() => undefined);
  }
}

/** What stop and down need: they act on labels alone, so a broken config or stack file cannot block them. */
export type ProjectEngine = Pick<StackContext, 'engine' | 'project'>;

export async function stopAll(ctx: ProjectEngine): Promise<string[]> {
  const containers = (await ctx.engine.containers(projectLabels(ctx.project))).filter((c) => c.running);
  // In parallel, each with the grace period it was created with (richie-dev's default: 1 s).
  await Promise.all(containers.map((c) => ctx.engine.stop(c.id)));
  return containers.map((c) => c.labels[LABEL.service] ?? c.name);
}

export async function downAll(ctx: ProjectEngine, options: { volumes: boolean }): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  const labels = projectLabels(ctx.project);
  const containers = await ctx.engine.containers(labels);
  await Promise.all(
    containers.map(async (c) => {
      if (c.running) await ctx.engine.stop(c.id);
      await ctx.engine.remove(c.id);
    }),
  );
  // A shared network (edx-lms-outside) that another project still uses stays.
  const unused = (await ctx.engine.networks(labels)).filter((net) => net.containers === 0);
  const volumeNames = options.volumes ? await ctx.engine.volumes(labels) : [];
  await Promise.all([...unused.map((net) => ctx.engine.removeNetwork(net.id)), ...volumeNames.map((name) => ctx.engine.removeVolume(name))]);
  return { containers: containers.map((c) => c.name), networks: unused.map((net) => net.name), volumes: volumeNames };
}

export async function statusAll(ctx: ProjectEngine): Promise<ContainerState[]> {
  return ctx.engine.containers(projectLabels(ctx.project));
}
