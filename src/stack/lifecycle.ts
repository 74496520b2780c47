/**
 * stop, down and status: they go by the project's labels alone, never reading the config or
 * the stack file, so a broken one cannot block them. Kept apart from src/stack/stack.ts so
 * that these commands load none of the Compose model (zod, yaml): half of a down's own time.
 * Also takeDown, the one way a container is stopped and removed (down, and up's removals and
 * recreates).
 */
import type { ContainerState, ContainerSummary, Engine } from './engine.js';
import { LABEL, owns, projectLabels, type ProjectId } from './project.js';

/** What stop and down need: they act on labels alone, so a broken config or stack file cannot block them. */
export interface ProjectEngine extends ProjectId {
  engine: Engine;
}

/** The labels to list this project's containers by: its name and its directory. */
export function ownContainers(ctx: ProjectId): Record<string, string> {
  return { [LABEL.project]: ctx.project, [LABEL.workingDir]: ctx.projectDir };
}

export async function stopAll(ctx: ProjectEngine): Promise<string[]> {
  const containers = (await ctx.engine.containerList(ownContainers(ctx))).filter((c) => c.running);
  // In parallel, each with the grace period it was created with (richie-dev's default: 1 s).
  await Promise.all(containers.map((c) => ctx.engine.stop(c.id)));
  return containers.map((c) => c.labels[LABEL.service] ?? c.name);
}

/**
 * Which networks to take a running container off before it stops, so that stopping it does
 * not move its published ports: all but the one the engine routes it through. That one, its
 * gateway endpoint, is the first in libnetwork's endpoint order (moby libnetwork/sandbox.go,
 * `Endpoint.Less`), which for the plain bridge networks a stack file declares (same priority,
 * none internal, all IPv4) is the network name's order. When the gateway endpoint leaves
 * first, libnetwork programs the container's port mappings again on the next network
 * (libnetwork/endpoint.go, `sbLeave`), only for them to be torn down at once: about 0.2 s
 * for nginx with two ports and two networks. A wrong guess only costs that time back.
 */
export function detachBeforeStop(container: Pick<ContainerSummary, 'running' | 'networks'>): ContainerSummary['networks'] {
  if (!container.running || container.networks.length < 2) return [];
  const gateway = container.networks.reduce((first, net) => (net.name < first.name ? net : first));
  return container.networks.filter((net) => net !== gateway);
}

/**
 * Stop and remove one container: off its other networks first (detachBeforeStop), then
 * stopped with its own grace period (or `graceS`), then removed. `offNetwork(id)` settles
 * when it no longer holds that network: once disconnected, or else once removed.
 */
export function takeDown(engine: Engine, container: Pick<ContainerSummary, 'id' | 'running' | 'networks'>, graceS?: number): { removed: Promise<void>; offNetwork: (networkId: string) => Promise<unknown> } {
  const early = new Map(
    detachBeforeStop(container).map((net) => [
      net.id,
      // A failed disconnect costs only time: the network then waits for the removal.
      engine.disconnect(net.id, container.id).then(
        () => true,
        () => false,
      ),
    ]),
  );
  const removed = (async () => {
    await Promise.all(early.values());
    if (container.running) await engine.stop(container.id, graceS);
    await engine.remove(container.id);
  })();
  const offNetwork = async (networkId: string) => (await early.get(networkId)) || removed;
  return { removed, offNetwork };
}

export async function downAll(ctx: ProjectEngine, options: { volumes: boolean }): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  // The networks and volumes to remove are listed with the containers, before they stop.
  const labels = projectLabels(ctx.project);
  const [containers, made, volumeNames] = await Promise.all([
    ctx.engine.containerList(ownContainers(ctx)),
    ctx.engine.networks({ [LABEL.managed]: 'true' }),
    options.volumes ? ctx.engine.volumeList(labels).then((list) => list.filter((v) => owns(ctx, v.labels)).map((v) => v.name)) : [],
  ]);
  // Ours, and the shared ones richie-dev made that our containers are on. A shared network
  // (edx-lms-outside) keeps the labels of the project that made it; once that project has no
  // container left, the last project on the network removes it, or it would stay forever.
  // While its maker still has one, even stopped, it stays: that container names it by id.
  const on = new Set(containers.flatMap((c) => c.networks.map((n) => n.id)));
  const networks = made.filter((net) => owns(ctx, net.labels) || on.has(net.id));
  const downs = containers.map((c) => ({ c, ...takeDown(ctx.engine, c) }));
  // Each network goes as soon as all of ours are off it, not after the last container. One
  // another project still uses stays (the engine refuses while it has endpoints).
  const networkRemovals = networks.map(async (net) => {
    const [orphan] = await Promise.all([
      owns(ctx, net.labels) || makerGone(ctx.engine, net.labels),
      ...downs.filter((d) => d.c.networks.some((n) => n.id === net.id)).map((d) => d.offNetwork(net.id)),
    ]);
    if (!orphan) return undefined;
    return (await ctx.engine.removeNetworkIfUnused(net.id)) ? net.name : undefined;
  });
  const removals = downs.map((d) => d.removed);
  const volumeRemovals = Promise.all(removals).then(() => Promise.all(volumeNames.map((name) => ctx.engine.removeVolume(name))));
  const [removed] = await Promise.all([Promise.all(networkRemovals), volumeRemovals, ...removals]);
  return { containers: containers.map((c) => c.name), networks: removed.filter((name): name is string => name !== undefined), volumes: volumeNames };
}

/** Whether the project a resource's labels name has no container left (running or not). */
async function makerGone(engine: Engine, labels: Record<string, string>): Promise<boolean> {
  const project = labels[LABEL.project];
  if (!project) return false;
  const dir = labels[LABEL.workingDir];
  return (await engine.containerList({ [LABEL.project]: project, ...(dir ? { [LABEL.workingDir]: dir } : {}) })).length === 0;
}

export async function statusAll(ctx: ProjectEngine): Promise<ContainerState[]> {
  return ctx.engine.containers(ownContainers(ctx));
}
