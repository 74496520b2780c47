/**
 * Doctor checks for the engine, the ports and the running services.
 */
import { forProject, identify, stackFilePath, stackVars } from '../stack/context.js';
import { readStack } from '../stack/compose.js';
import { resolveTarget, type ContainerState, type Engine, type EngineTarget } from '../stack/engine.js';
import { portFree, portHolder } from '../stack/ports.js';
import { statusAll } from '../stack/lifecycle.js';
import { LABEL } from '../stack/project.js';
import { lookupFailure, memo, type Check, type DoctorContext } from './types.js';

type EngineLookup = { engine?: Engine; error?: string; fix?: string };

export function connect(ctx: DoctorContext): Promise<EngineLookup> {
  return memo(ctx, 'engine', async () => {
    try {
      return { engine: await ctx.engine() };
    } catch (error) {
      return lookupFailure(error);
    }
  });
}

/** Where the stack publishes its ports and the hosts entries point (engine.ts, engineTarget): from DOCKER_HOST alone. */
export function publishTarget(ctx: DoctorContext): Promise<EngineTarget> {
  return memo(ctx, 'publishTarget', () => resolveTarget(ctx.env));
}

export function ourContainers(ctx: DoctorContext): Promise<ContainerState[]> {
  return memo(ctx, 'containers', async () => {
    const { engine } = await connect(ctx);
    return engine ? statusAll({ engine, ...(await identify(engine, ctx.paths.projectDir)) }) : [];
  });
}

export const engineCheck: Check = {
  id: 'docker',
  group: 'tools',
  title: 'Docker engine',
  async run(ctx) {
    const lookup = await connect(ctx);
    if (!lookup.engine) return { status: 'fail', seen: lookup.error ?? 'unreachable', fix: lookup.fix ?? 'Start the Docker engine.' };
    const t = lookup.engine.target;
    return { status: 'pass', seen: `reachable at ${t.host}${t.remote ? ` (remote: ports live on ${t.address})` : t.address === '127.0.0.1' ? '' : ` (ports live on ${t.address})`}` };
  },
};

export const nginxConfigCheck: Check = {
  id: 'nginx-config',
  group: 'tools',
  title: 'nginx config valid (nginx -t in the running nginx)',
  async run(ctx) {
    const { engine } = await connect(ctx);
    const nginx = (await ourContainers(ctx)).find((c) => c.labels[LABEL.service] === 'nginx' && c.running);
    if (!engine || !nginx) return { status: 'skip', seen: 'nginx is not running' };
    const result = await engine.exec(nginx.id, ['nginx', '-t']);
    if (result.exitCode === 0) return { status: 'pass', seen: 'syntax is ok, test is successful' };
    return { status: 'fail', seen: result.output.trim().split('\n').pop() ?? 'nginx -t failed', fix: 'richie-dev render --ssl (or restore the file whose first line you removed)', details: result.output.trim().split('\n') };
  },
};

export const portsCheck: Check = {
  id: 'ports',
  group: 'ports',
  title: 'Ports free or held by our nginx',
  async run(ctx) {
    const ports = [ctx.config.catalog.port, ...ctx.config.lmses.map((l) => l.port), ...(ctx.config.authentication ? [ctx.config.authentication.port] : [])];
    const ours = await ourContainers(ctx);
    const { remote, address } = await publishTarget(ctx);
    const problems: string[] = [];
    for (const port of ports) {
      if (ours.some((c) => c.running && c.ports.some((p) => p.hostPort === port))) continue;
      // A remote engine's ports cannot be tried from here: only its containers are looked at.
      if (!remote && (await portFree(port, address))) continue;
      const { engine } = await connect(ctx);
      const other = engine ? (await engine.containers({})).find((c) => c.running && c.ports.some((p) => p.hostPort === port)) : undefined;
      if (remote && !other) continue;
      problems.push(`${port} is held by ${other ? `container ${other.name}` : ((await portHolder(port)) ?? 'another process')}`);
    }
    if (problems.length) return { status: 'fail', seen: problems.join('; '), fix: 'Stop that process or container, or set catalog.port / lms.port in richie-dev.config.json.' };
    const list = ports.length === 2 ? ports.join(' and ') : `${ports.slice(0, -1).join(', ')} and ${ports.at(-1)}`;
    return { status: 'pass', seen: remote ? `${list} are ours or held by no container on the engine at ${address} (its other processes cannot be seen from here)` : `${list} are free or ours on ${address}` };
  },
};

export const servicesCheck: Check = {
  id: 'services',
  group: 'stack',
  title: 'Services running and healthy',
  async run(ctx) {
    const { engine } = await connect(ctx);
    if (!engine) return { status: 'skip', seen: 'no Docker engine' };
    const stack = forProject(await readStack(stackFilePath(ctx.paths, ctx.config), stackVars(ctx.paths, ctx.config, (await publishTarget(ctx)).address), { env: ctx.env }), ctx.config);
    const containers = await ourContainers(ctx);
    const bad: string[] = [];
    const details: string[] = [];
    for (const service of stack.services) {
      const c = containers.find((x) => x.labels[LABEL.service] === service.name);
      if (!c) {
        bad.push(`${service.name} not created`);
        continue;
      }
      if (!c.running || c.health === 'unhealthy') {
        bad.push(`${service.name} ${c.running ? 'unhealthy' : `${c.status} (exit ${c.exitCode})`}`);
        details.push(...(await engine.logs(c.id, 10)).trimEnd().split('\n').map((l) => `${service.name} | ${l}`));
      }
    }
    if (containers.length === 0) return { status: 'warn', seen: 'the stack is not running', fix: 'richie-dev run-ssl' };
    if (bad.length) return { status: 'fail', seen: bad.join('; '), fix: `richie-dev logs ${bad[0]!.split(' ')[0]}, then richie-dev run-ssl`, details };
    return { status: 'pass', seen: `${containers.length} services running and healthy` };
  },
};

export const ENGINE_CHECKS: readonly Check[] = [engineCheck, nginxConfigCheck];
export const PORT_CHECKS: readonly Check[] = [portsCheck];
export const STACK_CHECKS: readonly Check[] = [servicesCheck];
