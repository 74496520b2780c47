/**
 * Plan, then act (Compose's convergence, docker/compose v1 compose/service.py
 * `convergence_plan`; Terraform's plan): a pure function from the desired stack and the
 * engine's observed state to a list of actions. It reads no file and calls no engine, so its
 * tests need neither; src/stack/stack.ts gathers the inputs and carries the actions out.
 */
import { createHash } from 'node:crypto';
import type Dockerode from 'dockerode';
import { ExitCode, UserError } from '../errors.js';
import type { ServiceSpec, StackSpec } from './compose.js';
import type { ContainerState } from './engine.js';
import { LABEL, containerName, owns, projectLabels, type ProjectId } from './project.js';

/** What a container's configuration depends on beyond the spec, read by the caller. */
export interface ServiceInputs {
  /** The env files merged, in order (Compose: later files win; `environment` over all). */
  envFromFiles: Record<string, string>;
  /** The id the image reference resolves to now: a rebuilt tag recreates the container. */
  imageId: string;
  /** A hash of the bind mounts' content: nginx must be recreated when its config changes. */
  bindsHash: string;
}

export interface ContainerConfig {
  service: ServiceSpec;
  /** The engine's create body, labels (with the config hash) included. */
  options: Dockerode.ContainerCreateOptions;
  hash: string;
  /** Networks beyond the first, joined after create with their aliases. */
  extraNetworks: { name: string; aliases: string[] }[];
}

/** The networks and named volumes a container uses: what must exist before it is created. */
export function resourcesOf(config: ContainerConfig): { networks: string[]; volumes: string[] } {
  const host = config.options.HostConfig ?? {};
  return {
    networks: [...(host.NetworkMode ? [host.NetworkMode] : []), ...config.extraNetworks.map((n) => n.name)],
    volumes: (host.Mounts ?? []).filter((m) => m.Type === 'volume' && m.Source).map((m) => m.Source!),
  };
}

/** The engine name of a network key: the file's `name`, else `<project>_<key>` (Compose's rule). */
export function networkName(stack: StackSpec, project: string, key: string): string {
  return stack.networks.find((n) => n.key === key)?.name ?? `${project}_${key}`;
}

export function volumeName(project: string, key: string): string {
  return `${project}_${key}`;
}

/** The container a service runs as: the create body and the hash that says when it changed. */
export function containerConfig(id: ProjectId, stack: StackSpec, service: ServiceSpec, inputs: ServiceInputs): ContainerConfig {
  const env: Record<string, string | null> = { ...inputs.envFromFiles, ...service.environment };
  const [first, ...others] = service.networks;
  const firstNetwork = networkName(stack, id.project, first?.key ?? 'default');
  const binds = service.volumes.filter((v) => v.type === 'bind');
  const hc = service.healthcheck;
  const options: Dockerode.ContainerCreateOptions = {
    name: containerName(id.project, service.name),
    Image: service.image,
    ...(service.command ? { Cmd: service.command } : {}),
    // A name without "=" unsets the variable (moby's opts.ReplaceOrAppendEnvValues).
    Env: Object.entries(env).map(([k, v]) => (v === null ? k : `${k}=${v}`)),
    ExposedPorts: Object.fromEntries(service.ports.map((p) => [`${p.containerPort}/tcp`, {}])),
    StopTimeout: service.stopGracePeriodS,
    // Zero fields are taken from the image's HEALTHCHECK, as the daemon merges them
    // (moby daemon/commit.go, merge); ["NONE"] disables the image's check.
    ...(hc ? { Healthcheck: { Test: hc.test, Interval: hc.intervalNs ?? 0, Timeout: hc.timeoutNs ?? 0, Retries: hc.retries ?? 0, StartPeriod: hc.startPeriodNs ?? 0 } } : {}),
    HostConfig: {
      Init: service.init,
      PortBindings: Object.fromEntries(service.ports.map((p) => [`${p.containerPort}/tcp`, [{ HostIp: p.hostIp, HostPort: String(p.hostPort) }]])),
      Binds: binds.map((v) => `${v.source}:${v.target}${v.readOnly ? ':ro' : ''}`),
      Mounts: service.volumes.filter((v) => v.type === 'volume').map((v) => ({ Type: 'volume' as const, Source: volumeName(id.project, v.source), Target: v.target, ReadOnly: v.readOnly })),
      NetworkMode: firstNetwork,
      ...(service.extraHosts ? { ExtraHosts: service.extraHosts.entries.map((e) => `${e.host}:${e.address}`) } : {}),
    },
    NetworkingConfig: { EndpointsConfig: { [firstNetwork]: { Aliases: [service.name, ...(first?.aliases ?? [])] } } },
  };
  // On a second network (the shared edx-lms-outside) only the explicit aliases: the service
  // name there would collide with every other project's service of the same name.
  const extraNetworks = others.map((n) => ({ name: networkName(stack, id.project, n.key), aliases: n.aliases }));
  // The service's own labels are part of what it is made of; ours (below) carry the hash itself.
  const hash = createHash('sha256').update(JSON.stringify({ options, labels: service.labels, extraNetworks, imageId: inputs.imageId })).update(inputs.bindsHash).digest('hex');
  options.Labels = {
    ...service.labels,
    ...projectLabels(id),
    [LABEL.service]: service.name,
    [LABEL.number]: '1',
    [LABEL.oneoff]: 'False',
    [LABEL.configFiles]: stack.file,
    [LABEL.version]: '1.29.2',
    [LABEL.configHash]: hash,
  };
  return { service, options, hash, extraNetworks };
}

/** Dependencies first (depends_on), file order otherwise. */
export function startOrder(services: readonly ServiceSpec[]): ServiceSpec[] {
  const done = new Set<string>();
  const order: ServiceSpec[] = [];
  const visit = (service: ServiceSpec, path: string[]) => {
    if (done.has(service.name)) return;
    if (path.includes(service.name)) throw new UserError(`depends_on forms a cycle: ${[...path, service.name].join(' -> ')}`);
    for (const dep of service.dependsOn) {
      const target = services.find((s) => s.name === dep.service);
      if (target) visit(target, [...path, service.name]);
    }
    done.add(service.name);
    order.push(service);
  };
  for (const service of services) visit(service, []);
  return order;
}

export type ServiceAction =
  | { kind: 'create'; config: ContainerConfig }
  | { kind: 'recreate'; config: ContainerConfig; container: ContainerState }
  | { kind: 'start'; config: ContainerConfig; container: ContainerState }
  | { kind: 'keep'; config: ContainerConfig; container: ContainerState };

export type Action =
  | { kind: 'create-network'; name: string; key: string; labels: Record<string, string> }
  | { kind: 'create-volume'; name: string; key: string; labels: Record<string, string> }
  /** A container of this project no service of the file describes (any more), or a duplicate. */
  | { kind: 'remove'; container: ContainerState; reason: string }
  | ServiceAction;

export interface Observed {
  /** The project's containers (by its labels); anything another dir made is left out here too. */
  containers: readonly ContainerState[];
  /** The networks that exist on the engine, name to id. */
  networks: ReadonlyMap<string, string>;
  /** Names of the volumes that exist on the engine. */
  volumes: ReadonlySet<string>;
}

export interface Plan {
  /** Networks and volumes first, then removals, then the services in start order. */
  actions: Action[];
  services: ServiceAction[];
}

/**
 * The actions that take the engine from `observed` to `desired`: a running container whose
 * config hash matches is kept, a stopped one started, a changed one recreated, a missing one
 * created; containers of services gone from the file are removed; networks and volumes the
 * services use are created when missing. A container another directory made is never in any
 * action, even under the same project name.
 */
export function plan(id: ProjectId, stack: StackSpec, desired: readonly ContainerConfig[], observed: Observed): Plan {
  const actions: Action[] = [];
  const ours = observed.containers.filter((c) => owns(id, c.labels));

  const used = new Set(stack.services.flatMap((s) => (s.networks.length ? s.networks.map((n) => n.key) : ['default'])));
  for (const net of stack.networks) {
    if (!used.has(net.key)) continue;
    const name = networkName(stack, id.project, net.key);
    if (observed.networks.has(name)) continue;
    if (net.external) {
      // Compose v1 (compose/network.py, ensure): "Network %s declared as external, but could not be found."
      throw new UserError(`Network ${name} is declared as external, but could not be found.`, {
        exitCode: ExitCode.input,
        fix: `Create it ("docker network create ${name}"), or remove "external" from networks.${net.key}.`,
      });
    }
    actions.push({ kind: 'create-network', name, key: net.key, labels: { ...projectLabels(id), [LABEL.network]: net.key } });
  }
  const mounted = new Set(stack.services.flatMap((s) => s.volumes.filter((v) => v.type === 'volume').map((v) => v.source)));
  for (const volume of stack.volumes) {
    const name = volumeName(id.project, volume.key);
    if (!mounted.has(volume.key) || observed.volumes.has(name)) continue;
    actions.push({ kind: 'create-volume', name, key: volume.key, labels: { ...projectLabels(id), [LABEL.volume]: volume.key } });
  }

  // A stopped container still names the network it last joined by id; one removed since (a
  // `docker network prune`, or another project's down of a shared network) and made again
  // has a new id, and the engine refuses to start the container ("network ... not found").
  const stackNetworks = new Set(stack.networks.map((net) => networkName(stack, id.project, net.key)));
  const lostNetwork = (c: ContainerState) => c.networks.some((n) => stackNetworks.has(n.name) && observed.networks.get(n.name) !== n.id);

  const byService = new Map(desired.map((d) => [d.service.name, d]));
  const claimed = new Set<string>();
  const services: ServiceAction[] = [];
  // Services whose container is new this run: a running dependent that was resolved against the
  // old one is recreated too, as Compose's `up --always-recreate-deps` does (compose v1
  // project.py, _get_convergence_plans). nginx resolves its upstreams' names once, when it
  // starts: kept, it would go on sending one app's host to the address the other now holds.
  const renewed = new Set<string>();
  for (const service of startOrder(desired.map((d) => d.service))) {
    const config = byService.get(service.name)!;
    // Compose's own name first (number 1), then any other container of the service.
    const candidates = ours.filter((c) => c.labels[LABEL.service] === service.name).sort((a, b) => Number(b.name === config.options.name) - Number(a.name === config.options.name));
    const container = candidates[0];
    if (container) claimed.add(container.id);
    const upstreamRenewed = service.dependsOn.some((dep) => renewed.has(dep.service));
    const action: ServiceAction = !container
      ? { kind: 'create', config }
      : container.labels[LABEL.configHash] !== config.hash || (!container.running && lostNetwork(container)) || (container.running && upstreamRenewed)
        ? { kind: 'recreate', config, container }
        : container.running
          ? { kind: 'keep', config, container }
          : { kind: 'start', config, container };
    if (action.kind === 'create' || action.kind === 'recreate') renewed.add(service.name);
    services.push(action);
  }
  for (const container of ours) {
    if (claimed.has(container.id)) continue;
    const service = container.labels[LABEL.service];
    const reason = service && byService.has(service) ? `a second container of service ${service}` : `service ${service ?? '?'} is not in ${stack.file}`;
    actions.push({ kind: 'remove', container, reason });
  }
  actions.push(...services);
  return { actions, services };
}

/** The host ports the plan will bind, with the container (if any) that holds them now and is replaced first. */
export function portsToBind(p: Plan): { service: string; hostIp: string; hostPort: number; heldByOwn: boolean }[] {
  const out: { service: string; hostIp: string; hostPort: number; heldByOwn: boolean }[] = [];
  const removed = p.actions.flatMap((a) => (a.kind === 'remove' ? [a.container] : []));
  for (const a of p.services) {
    if (a.kind === 'keep') continue;
    for (const port of a.config.service.ports) {
      // Our own container, about to be replaced or removed, may hold it: it is stopped first.
      const own = [...('container' in a ? [a.container] : []), ...removed].some((c) => c.running && c.ports.some((e) => e.hostPort === port.hostPort));
      out.push({ service: a.config.service.name, hostIp: port.hostIp, hostPort: port.hostPort, heldByOwn: own });
    }
  }
  return out;
}
