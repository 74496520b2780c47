/**
 * The stack's verbs over the engine. `converge` gathers what the planner needs (the files each
 * container depends on, the image ids, what the engine runs now), asks src/stack/plan.ts for
 * the actions and carries them out: networks and volumes, removals, then containers started
 * in dependency order and waited on until healthy. stop, down and status
 * (src/stack/lifecycle.ts) go by labels alone.
 * Only resources carrying this project's name and directory are ever changed.
 */
import { readFile, stat } from 'node:fs/promises';
import { ExitCode, UserError } from '../errors.js';
import { variable, type Inputs } from '../inputs.js';
import { DOCKER_HEALTHCHECK_DEFAULTS, type ServiceSpec, type StackSpec } from './compose.js';
import type { BaseConfig } from './images.js';
import { envFileValues } from './interpolate.js';
import { contentHash } from './content.js';
import { interrupted, type Engine } from './engine.js';
import { containerConfig, plan, portsToBind, resourcesOf, type ContainerConfig, type Plan, type ServiceAction } from './plan.js';
import { portFree, portHolder } from './ports.js';
import { ownContainers, takeDown, type ProjectEngine } from './lifecycle.js';
import { LABEL, type ProjectId } from './project.js';

/** One command's view of a project's stack: resolved once, passed down (STYLE.md). */
export interface StackContext extends ProjectId {
  engine: Engine;
  stack: StackSpec;
  /** The command's environment (default process.env): what an env_file's ${V} reads. */
  env?: NodeJS.ProcessEnv;
  /** The project's `images` keys that choose what the built-in images are built on. */
  images?: BaseConfig;
  /** The up record's (run): told each env file, bind mount and variable the steps read. */
  inputs?: Inputs;
}

/** Progress, for the command layer to show: a service's state as it changes. */
export type StackEvent = { service: string; state: string; action?: ServiceAction['kind'] };

export interface ServiceOutcome {
  name: string;
  action: ServiceAction['kind'];
  state: 'healthy' | 'running' | 'completed';
  seconds: number;
}

// ---- gathering what the planner needs -------------------------------------------------

/** Read each service's env files and bind mounts and resolve its image: the planner's inputs. */
export async function desiredContainers(ctx: StackContext): Promise<ContainerConfig[]> {
  const envFiles = new Map<string, Promise<Record<string, string>>>();
  const readEnv = (file: string, service: string) => {
    let found = envFiles.get(file);
    if (!found) {
      // As Compose reads an env_file (quotes, export, comments, ${V}), not as richie-dev writes its own.
      ctx.inputs?.file(file);
      found = readFile(file, 'utf8').then((text) => envFileValues(text, (name) => variable(ctx.env ?? process.env, name, ctx.inputs)), () => {
        throw new UserError(`${file} (env_file of service ${service}) does not exist.`, { fix: 'Run "richie-dev render" (or run / run-ssl, which render first).' });
      });
      envFiles.set(file, found);
    }
    return found;
  };
  return Promise.all(
    ctx.stack.services.map(async (service) => {
      const envFromFiles: Record<string, string> = {};
      for (const part of await Promise.all(service.envFiles.map((f) => readEnv(f, service.name)))) Object.assign(envFromFiles, part);
      const binds = service.volumes.filter((v) => v.type === 'bind');
      for (const bind of binds) {
        if (!(await stat(bind.source).catch(() => undefined))) {
          throw new UserError(`${bind.source} (mounted into ${service.name} at ${bind.target}) does not exist.`, { fix: 'Run "richie-dev setup-ssl" and "richie-dev render" first.' });
        }
      }
      const [image, bindsHash] = await Promise.all([ctx.engine.image(service.image), contentHash(binds.map((b) => b.source), ctx.inputs)]);
      return containerConfig(ctx, ctx.stack, service, { envFromFiles, imageId: image?.id ?? service.image, bindsHash });
    }),
  );
}

/** The plan for this stack now: what the engine runs, and what it should. */
/** The engine's names of the networks the stack's services join (a declared name, else Compose's "<project>_<key>"). */
export function networkNames(ctx: StackContext): string[] {
  return [...new Set(ctx.stack.services.flatMap((s) => s.networks.map((n) => n.key)).map((key) => ctx.stack.networks.find((n) => n.key === key)?.name ?? `${ctx.project}_${key}`))];
}

export async function planStack(ctx: StackContext): Promise<Plan> {
  const names = networkNames(ctx);
  const [desired, containers, networks, volumes] = await Promise.all([
    desiredContainers(ctx),
    ctx.engine.containers(ownContainers(ctx)),
    Promise.all(names.map(async (name) => [name, (await ctx.engine.networkByName(name))?.id] as const)),
    Promise.all(ctx.stack.volumes.map(async (v) => ((await ctx.engine.volumeExists(`${ctx.project}_${v.key}`)) ? `${ctx.project}_${v.key}` : undefined))),
  ]);
  const present = (list: (string | undefined)[]) => new Set(list.filter((x): x is string => x !== undefined));
  const existing = new Map(networks.flatMap(([name, id]) => (id ? [[name, id] as const] : [])));
  return plan(ctx, ctx.stack, desired, { containers, networks: existing, volumes: present(volumes) });
}

// ---- carrying a plan out --------------------------------------------------------------

/** Before creating anything: every port a container will bind is free, or its holder is named. */
export async function checkPorts(ctx: StackContext, p: Plan): Promise<void> {
  if (ctx.engine.target.remote) return; // the ports live on the engine's machine
  for (const port of portsToBind(p)) {
    if (port.heldByOwn) continue;
    if (await portFree(port.hostPort, port.hostIp || '0.0.0.0')) continue;
    const others = await ctx.engine.containers({});
    const container = others.find((c) => c.running && c.ports.some((e) => e.hostPort === port.hostPort));
    const holder = container ? `container ${container.name}` : ((await portHolder(port.hostPort)) ?? 'another process');
    throw new UserError(`Port ${port.hostPort} (service ${port.service}) is held by ${holder}; nothing was created.`, {
      exitCode: ExitCode.portBusy,
      fix: container ? `Stop it ("docker stop ${container.name}"), or set catalog.port / lms.port in richie-dev.config.json.` : `Stop it, or set catalog.port / lms.port in richie-dev.config.json.`,
    });
  }
}

/** What a service must reach before its dependents start, by the strongest condition asked of it. */
function goal(stack: StackSpec, service: ServiceSpec): 'completed' | 'ready' {
  return stack.services.some((s) => s.dependsOn.some((d) => d.service === service.name && d.condition === 'service_completed_successfully')) ? 'completed' : 'ready';
}

/**
 * Carry a plan out. Ctrl-C (`signal`) stops at the next step and removes every container and
 * network this run created; the caller sees "Interrupted." (exit 130). Nothing here prints.
 */
export async function execute(ctx: StackContext, p: Plan, options: { signal?: AbortSignal; onEvent?: (event: StackEvent) => void } = {}): Promise<ServiceOutcome[]> {
  const { signal } = options;
  // `sent`: containers whose create was sent and not yet answered (by name): Ctrl-C aborts the
  // request, not dockerd's work, so such a container may appear after the rollback began.
  const created = { containers: [] as string[], networks: [] as string[], volumes: [] as string[], sent: [] as Sent[] };
  let resources: Promise<PromiseSettledResult<unknown>[]> | undefined;
  const check = () => {
    if (signal?.aborted) throw interrupted();
  };
  try {
    check();
    await checkPorts(ctx, p);
    // Networks, volumes and removals depend on nothing but the plan: all begun at once. A
    // service waits for the removals and for its own networks and volumes only, so the apps'
    // containers are created and started while dockerd (which makes networks one at a time)
    // still makes the network only nginx joins.
    const removals = p.actions.flatMap((a) => (a.kind === 'remove' ? [takeDown(ctx.engine, a.container).removed] : []));
    const made = new Map<string, Promise<void>>();
    for (const a of p.actions) {
      if (a.kind === 'create-network') made.set(`network:${a.name}`, ctx.engine.createNetwork(a.name, a.labels).then(() => void created.networks.push(a.name)));
      else if (a.kind === 'create-volume') made.set(`volume:${a.name}`, ctx.engine.createVolume(a.name, a.labels).then(() => void created.volumes.push(a.name)));
    }
    // Every one settled before this run ends, so a rollback knows every network made.
    resources = Promise.allSettled([...removals, ...made.values()]);
    const resourcesFor = (config: ContainerConfig) => {
      const needs = resourcesOf(config);
      return Promise.all([...removals, ...needs.networks.map((n) => made.get(`network:${n}`)), ...needs.volumes.map((v) => made.get(`volume:${v}`))]);
    };

    // Each service: started once its dependencies meet their conditions, then waited on.
    type Milestones = { started: Promise<void>; ready: Promise<void>; completed: Promise<void> };
    const milestones = new Map<string, Milestones & { settle: Record<keyof Milestones, [() => void, (e: unknown) => void]> }>();
    for (const a of p.services) {
      const settle = {} as Record<keyof Milestones, [() => void, (e: unknown) => void]>;
      const make = (key: keyof Milestones) => {
        const promise = new Promise<void>((resolve, reject) => (settle[key] = [resolve, reject]));
        promise.catch(() => undefined);
        return promise;
      };
      milestones.set(a.config.service.name, { started: make('started'), ready: make('ready'), completed: make('completed'), settle });
    }
    const fail = (name: string, error: unknown) => Object.values(milestones.get(name)!.settle).forEach(([, reject]) => reject(error));

    // The first service to fail stops the others' waits, so the command ends with its error
    // instead of lingering on services nobody will use.
    const halt = new AbortController();
    const waitSignal = signal ? AbortSignal.any([signal, halt.signal]) : halt.signal;
    let firstError: unknown;
    const started = new Set<string>();
    const settled = await Promise.allSettled(
      p.services.map(async (a): Promise<ServiceOutcome> => {
        const service = a.config.service;
        const m = milestones.get(service.name)!;
        const began = Date.now();
        try {
          // Created at once, whatever it waits for: creating runs nothing, and a dependent's
          // create then overlaps its dependencies' start and health instead of following them.
          if (a.kind !== 'keep') options.onEvent?.({ service: service.name, state: a.kind === 'recreate' ? 'recreating' : a.kind === 'create' ? 'creating' : 'starting', action: a.kind });
          await resourcesFor(a.config);
          check();
          const id = await prepare(ctx, a, created);
          for (const dep of service.dependsOn) {
            const dm = milestones.get(dep.service);
            if (!dm) continue;
            await (dep.condition === 'service_completed_successfully' ? dm.completed : dep.condition === 'service_healthy' ? dm.ready : dm.started);
          }
          check();
          if (a.kind === 'keep') options.onEvent?.({ service: service.name, state: 'running, unchanged', action: a.kind });
          else {
            await ctx.engine.start(id);
            started.add(id);
          }
          m.settle.started[0]();
          check();
          const target = goal(ctx.stack, service);
          const state = await waitHealthy(ctx, service, id, { goal: target, signal: waitSignal, onState: (s) => options.onEvent?.({ service: service.name, state: s }) });
          m.settle.ready[0]();
          if (state === 'completed') m.settle.completed[0]();
          return { name: service.name, action: a.kind, state, seconds: (Date.now() - began) / 1000 };
        } catch (error) {
          if (!halt.signal.aborted) {
            firstError = error;
            halt.abort();
          }
          fail(service.name, error);
          throw error;
        }
      }),
    );
    const failedResource = (await resources).find((r): r is PromiseRejectedResult => r.status === 'rejected');
    check();
    if (failedResource) {
      // A network or volume that could not be made: nothing this run made stays.
      await rollback(ctx, created);
      throw failedResource.reason;
    }
    if (firstError !== undefined) {
      // A dependent whose dependency failed was created but never started: it goes, as if the
      // run had stopped before it (the next run creates it again).
      await Promise.all(created.containers.filter((id) => !started.has(id)).map((id) => ctx.engine.remove(id).catch(() => undefined)));
      throw firstError;
    }
    return settled.map((r) => (r as PromiseFulfilledResult<ServiceOutcome>).value);
  } catch (error) {
    if (signal?.aborted) {
      // Cleaning up must not be cut short by the very signal that asked for it; a network
      // still being made is waited for, so that it goes too.
      await resources;
      await rollback({ ...ctx, engine: ctx.engine.detached() }, created);
      await removeLate(ctx.engine.detached(), created.sent);
      throw interrupted();
    }
    throw error;
  }
}

/** Create (or recreate) one service's container, not started yet; returns its id. */
/** A create sent and not yet answered: the name it gives and the labels that prove the container is that one. */
type Sent = { name: string; labels: Record<string, string> };

async function prepare(ctx: StackContext, a: ServiceAction, created: { containers: string[]; sent: Sent[] }): Promise<string> {
  if (a.kind === 'keep' || a.kind === 'start') return a.container.id;
  if (a.kind === 'recreate') {
    await takeDown(ctx.engine, a.container, a.config.service.stopGracePeriodS).removed;
  }
  const sent = a.config.options.name ? { name: a.config.options.name, labels: a.config.options.Labels ?? {} } : undefined;
  if (sent) created.sent.push(sent);
  const id = await ctx.engine.create(a.config.options);
  if (sent) created.sent.splice(created.sent.indexOf(sent), 1);
  created.containers.push(id);
  for (const net of a.config.extraNetworks) {
    const found = await ctx.engine.networkByName(net.name);
    if (found) await ctx.engine.connect(found.id, id, net.aliases);
  }
  return id;
}

/** The healthcheck up probes itself, with Docker's defaults for what the file leaves out; none for ["NONE"] or no test. */
export function probeOf(service: ServiceSpec): { test: string[]; intervalMs: number; timeoutMs: number; retries: number; startPeriodMs: number } | undefined {
  const hc = service.healthcheck;
  if (!hc || !['CMD', 'CMD-SHELL'].includes(hc.test[0] ?? '')) return undefined;
  const d = DOCKER_HEALTHCHECK_DEFAULTS;
  return {
    test: hc.test,
    intervalMs: (hc.intervalNs || d.intervalNs) / 1e6,
    timeoutMs: (hc.timeoutNs || d.timeoutNs) / 1e6,
    retries: hc.retries || d.retries,
    startPeriodMs: (hc.startPeriodNs ?? d.startPeriodNs) / 1e6,
  };
}

/** A pause that an abort ends early; its listener goes with it (a wait polls many times). */
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Wait until a container is healthy (or running, without a healthcheck; or exited 0, when a
 * dependent asks for service_completed_successfully); fail fast with its logs otherwise.
 *
 * Docker runs its first healthcheck only a whole interval after the start, so up runs the
 * same test itself as soon as the container runs, each run bounded by the healthcheck's
 * `timeout`. Failures count as Docker counts them (moby daemon/health.go): not during
 * `start_period`, at most one per `interval`, and `retries` of them in a row mean unhealthy;
 * except that a run which hung until its timeout counts at once (Docker would wait out the
 * interval first), so a check that hangs fails up after about timeout × retries whatever the
 * interval. ["NONE"] means no wait.
 */
export async function waitHealthy(
  ctx: Pick<StackContext, 'engine'>,
  service: ServiceSpec,
  id: string,
  options: { goal?: 'ready' | 'completed'; signal?: AbortSignal; onState?: (state: string) => void } = {},
): Promise<'healthy' | 'running' | 'completed'> {
  const probe = probeOf(service);
  const disabled = service.healthcheck?.test[0] === 'NONE';
  const began = Date.now();
  // A backstop for what counting cannot bound (a container that never runs, an image's own
  // check we cannot probe): Docker's own verdict comes within this.
  const d = DOCKER_HEALTHCHECK_DEFAULTS;
  const hc = service.healthcheck;
  const backstop = began + 60_000 + ((hc?.startPeriodNs ?? 0) + (hc?.retries || d.retries) * ((hc?.intervalNs || d.intervalNs) + (hc?.timeoutNs || d.timeoutNs))) / 1e6;
  let last = '';
  let strikes = 0;
  let lastStrike = began;
  const show = (state: string) => state !== last && options.onState?.((last = state));
  for (;;) {
    if (options.signal?.aborted) throw interrupted();
    const state = await ctx.engine.container(id);
    show(state.running ? (state.health === 'none' || disabled ? 'running' : state.health) : state.status);
    if (!state.running && (state.status === 'exited' || state.status === 'dead')) {
      if (options.goal === 'completed' && state.exitCode === 0) return 'completed';
      throw await serviceFailure(ctx, service, id, `exited with code ${state.exitCode}`);
    }
    if (options.goal !== 'completed') {
      if (state.health === 'unhealthy' && !disabled) throw await serviceFailure(ctx, service, id, 'is unhealthy (its healthcheck keeps failing)');
      if (state.running && state.health === 'healthy' && !disabled) return 'healthy';
      if (state.running && (disabled || (!hc && state.health === 'none'))) return 'running';
      if (state.running && probe) {
        const probed = Date.now();
        if (await ctx.engine.passesHealthcheck(id, { test: probe.test, timeoutNs: probe.timeoutMs * 1e6 })) {
          show('healthy');
          return 'healthy';
        }
        const now = Date.now();
        // A probe that ran into its timeout has already spent it: it counts at once, so a hanging
        // check fails after timeout × retries even when the interval is longer.
        const hung = now - probed >= probe.timeoutMs;
        if (now - began >= probe.startPeriodMs && (hung || now - lastStrike >= probe.intervalMs)) {
          strikes++;
          lastStrike = now;
          if (strikes >= probe.retries) {
            throw await serviceFailure(ctx, service, id, `is unhealthy (its healthcheck failed ${strikes} times in a row, each allowed ${probe.timeoutMs / 1000} s)`);
          }
        }
      }
    }
    if (Date.now() > backstop) throw await serviceFailure(ctx, service, id, `did not become ${options.goal === 'completed' ? 'complete' : 'healthy'} within ${Math.round((backstop - began) / 1000)} s`);
    await sleep(150, options.signal);
  }
}

async function serviceFailure(ctx: Pick<StackContext, 'engine'>, service: ServiceSpec, id: string, what: string): Promise<UserError> {
  const logs = (await ctx.engine.logs(id, 30).catch(() => '')).trimEnd();
  return new UserError(`Service ${service.name} ${what}.${logs ? `\nIts last log lines:\n${logs.split('\n').map((l) => `  | ${l}`).join('\n')}` : ''}`, {
    exitCode: ExitCode.unhealthy,
    fix: `richie-dev logs ${service.name}   (then fix and run again)`,
  });
}

/**
 * The containers whose create an interrupt cut off: the engine may still make them. Each is
 * looked for by the name this run gave, for up to 3 s, and removed only when it carries the
 * project and config hash this run sent (a container of that name made by anyone else stays).
 */
async function removeLate(engine: StackContext['engine'], sent: readonly Sent[]): Promise<void> {
  await Promise.all(
    sent.map(async ({ name, labels }) => {
      for (const deadline = Date.now() + 3000; Date.now() < deadline; await sleep(150)) {
        const found = await engine.container(name).catch(() => undefined);
        if (!found) continue;
        if (found.labels[LABEL.project] === labels[LABEL.project] && found.labels[LABEL.configHash] === labels[LABEL.configHash]) await engine.remove(found.id).catch(() => undefined);
        return;
      }
    }),
  );
}

/** Remove what an interrupted or failed up created (containers, then networks and volumes), so nothing half-made is left. */
export async function rollback(ctx: ProjectEngine, created: { containers: string[]; networks: string[]; volumes: string[] }): Promise<void> {
  await Promise.all(created.containers.map((id) => ctx.engine.remove(id).catch(() => undefined)));
  for (const name of created.networks) {
    const net = await ctx.engine.networkByName(name).catch(() => undefined);
    if (net) await ctx.engine.removeNetwork(net.id).catch(() => undefined);
  }
  await Promise.all(created.volumes.map((name) => ctx.engine.removeVolume(name).catch(() => undefined)));
}

/** Where start order lives now (the planner); kept here for existing imports. */
export { startOrder } from './plan.js';
