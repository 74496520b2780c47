/**
 * stop, down and status: they go by the project's labels alone, never reading the config or
 * the stack file, so a broken one cannot block them. Kept apart from src/stack/stack.ts so
 * that these commands load none of the Compose model (zod, yaml): half of a down's own time.
 */
import type { ContainerState, Engine } from './engine.js';
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
  const containers = (await ctx.engine.containers(ownContainers(ctx))).filter((c) => c.running);
  // In parallel, each with the grace period it was created with (richie-dev's default: 1 s).
  await Promise.all(containers.map((c) => ctx.engine.stop(c.id)));
  return containers.map((c) => c.labels[LABEL.service] ?? c.name);
}

export async function downAll(ctx: ProjectEngine, options: { volumes: boolean }): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
  // The networks and volumes to remove are listed with the containers, before they stop.
  const labels = projectLabels(ctx.project);
  const [containers, networks, volumeNames] = await Promise.all([
    ctx.engine.containers(ownContainers(ctx)),
    ctx.engine.networks(labels).then((list) => list.filter((net) => owns(ctx, net.labels))),
    options.volumes ? ctx.engine.volumeList(labels).then((list) => list.filter((v) => owns(ctx, v.labels)).map((v) => v.name)) : [],
  ]);
  await Promise.all(
    containers.map(async (c) => {
      if (c.running) await ctx.engine.stop(c.id);
      await ctx.engine.remove(c.id);
    }),
  );
  // A shared network (edx-lms-outside) that another project still uses stays (the engine
  // refuses while it has endpoints); so does anything another directory made under the same name.
  const [removed] = await Promise.all([
    Promise.all(networks.map(async (net) => ((await ctx.engine.removeNetworkIfUnused(net.id)) ? net.name : undefined))),
    Promise.all(volumeNames.map((name) => ctx.engine.removeVolume(name))),
  ]);
  return { containers: containers.map((c) => c.name), networks: removed.filter((name): name is string => name !== undefined), volumes: volumeNames };
}

export async function statusAll(ctx: ProjectEngine): Promise<ContainerState[]> {
  return ctx.engine.containers(ownContainers(ctx));
}
