/**
 * The planner without an engine: the desired stack and an observed state in, actions out.
 */
import { describe, expect, it } from 'vitest';
import type { ServiceSpec, StackSpec } from '../../src/stack/compose.js';
import type { ContainerState } from '../../src/stack/engine.js';
import { containerConfig, plan, portsToBind, startOrder, type ContainerConfig, type Observed, type ServiceInputs } from '../../src/stack/plan.js';
import { LABEL, chooseProjectName, distinctProjectName, projectName } from '../../src/stack/project.js';
import { probeOf } from '../../src/stack/stack.js';

const ID = { project: 'demo', projectDir: '/work/demo' };

function service(name: string, more: Partial<ServiceSpec> = {}): ServiceSpec {
  return { name, image: `img/${name}:1`, environment: {}, envFiles: [], ports: [], volumes: [], networks: [{ key: 'default', aliases: [] }], dependsOn: [], labels: {}, init: true, stopGracePeriodS: 1, ...more };
}

function stackOf(services: ServiceSpec[], more: Partial<StackSpec> = {}): StackSpec {
  return { file: '/work/demo/stack.yml', inputs: ['/work/demo/stack.yml'], services, networks: [{ key: 'default', external: false }], volumes: [], warnings: [], ...more };
}

const INPUTS: ServiceInputs = { envFromFiles: {}, imageId: 'sha256:aaa', bindsHash: 'b0' };

function configs(stack: StackSpec, inputs: Partial<Record<string, Partial<ServiceInputs>>> = {}): ContainerConfig[] {
  return stack.services.map((s) => containerConfig(ID, stack, s, { ...INPUTS, ...inputs[s.name] }));
}

/** A container as the engine would report the one a config makes. */
function running(config: ContainerConfig, more: Partial<ContainerState> = {}): ContainerState {
  return {
    id: `id-${config.service.name}`,
    name: config.options.name!,
    labels: config.options.Labels!,
    status: 'running',
    running: true,
    exitCode: 0,
    health: 'healthy',
    failingStreak: 0,
    startedAt: '2026-01-01T00:00:00Z',
    image: config.service.image,
    imageId: 'sha256:aaa',
    ports: config.service.ports.map((p) => ({ hostIp: p.hostIp, hostPort: p.hostPort, containerPort: p.containerPort })),
    networks: [],
    ...more,
  };
}

const NOTHING: Observed = { containers: [], networks: new Map(), volumes: new Set() };
/** The networks of the stacks below, as the engine lists them: name to id. */
const NETWORKS = new Map([
  ['demo_default', 'net-default'],
  ['edx-lms-outside', 'net-outside'],
]);
const kinds = (p: ReturnType<typeof plan>) => p.actions.map((a) => ('config' in a ? `${a.kind}:${a.config.service.name}` : a.kind === 'remove' ? `remove:${a.container.name}` : `${a.kind}:${a.name}`));

describe('plan', () => {
  const three = stackOf(
    [
      service('nginx', { dependsOn: [{ service: 'catalog', condition: 'service_healthy' }], ports: [{ hostIp: '127.0.0.1', hostPort: 8070, containerPort: 8070 }], networks: [{ key: 'default', aliases: [] }, { key: 'outside', aliases: ['richie'] }] }),
      service('catalog', { volumes: [{ type: 'volume', source: 'data', target: '/data', readOnly: false }] }),
    ],
    { networks: [{ key: 'default', external: false }, { key: 'outside', name: 'edx-lms-outside', external: false }], volumes: [{ key: 'data' }] },
  );

  it('from nothing: networks and volumes, then every service created, dependencies first', () => {
    expect(kinds(plan(ID, three, configs(three), NOTHING))).toEqual(['create-network:demo_default', 'create-network:edx-lms-outside', 'create-volume:demo_data', 'create:catalog', 'create:nginx']);
  });

  it('an unchanged running stack: every container kept, nothing created', () => {
    const desired = configs(three);
    const observed: Observed = { containers: desired.map((c) => running(c)), networks: NETWORKS, volumes: new Set(['demo_data']) };
    expect(kinds(plan(ID, three, desired, observed))).toEqual(['keep:catalog', 'keep:nginx']);
  });

  it('a stopped container is started, a changed one recreated', () => {
    const before = configs(three);
    const after = configs(three, { catalog: { envFromFiles: { LMS: 'real' } } });
    const observed: Observed = {
      containers: [running(before[0]!, { running: false, status: 'exited' }), running(before[1]!)],
      networks: NETWORKS,
      volumes: new Set(['demo_data']),
    };
    expect(kinds(plan(ID, three, after, observed))).toEqual(['recreate:catalog', 'start:nginx']);
  });

  it('a running dependent of a recreated service is recreated too (nginx resolved the old address), as Compose --always-recreate-deps', () => {
    const before = configs(three);
    const after = configs(three, { catalog: { envFromFiles: { LMS: 'real' } } });
    const observed: Observed = { containers: before.map((c) => running(c)), networks: NETWORKS, volumes: new Set(['demo_data']) };
    expect(kinds(plan(ID, three, after, observed))).toEqual(['recreate:catalog', 'recreate:nginx']);
    // A dependency merely started again: the dependent is kept, as Compose keeps it.
    const stopped: Observed = { ...observed, containers: [running(before[0]!), running(before[1]!, { running: false, status: 'exited' })] };
    expect(kinds(plan(ID, three, before, stopped))).toEqual(['start:catalog', 'keep:nginx']);
  });

  it('a stopped container on a network made again since (new id) is recreated: the engine would refuse to start it', () => {
    const desired = configs(three);
    const stopped = (networks: { id: string; name: string }[]) => running(desired[0]!, { running: false, status: 'exited', networks });
    const observe = (nginx: ContainerState): Observed => ({ containers: [nginx, running(desired[1]!)], networks: NETWORKS, volumes: new Set(['demo_data']) });
    const on = (outsideId: string) => [
      { id: 'net-default', name: 'demo_default' },
      { id: outsideId, name: 'edx-lms-outside' },
    ];
    expect(kinds(plan(ID, three, desired, observe(stopped(on('net-outside')))))).toEqual(['keep:catalog', 'start:nginx']);
    expect(kinds(plan(ID, three, desired, observe(stopped(on('net-outside-before')))))).toEqual(['keep:catalog', 'recreate:nginx']);
    // Missing altogether: made now, so the container is recreated on it too.
    const withoutOutside: Observed = { ...observe(stopped(on('net-outside'))), networks: new Map([['demo_default', 'net-default']]) };
    expect(kinds(plan(ID, three, desired, withoutOutside))).toEqual(['create-network:edx-lms-outside', 'keep:catalog', 'recreate:nginx']);
    // A network the file does not declare (connected by hand) is none of the plan's business.
    expect(kinds(plan(ID, three, desired, observe(stopped([...on('net-outside'), { id: 'x', name: 'by-hand' }]))))).toEqual(['keep:catalog', 'start:nginx']);
  });

  it('the config hash follows everything the container is made of', () => {
    const base = containerConfig(ID, three, three.services[1]!, INPUTS).hash;
    const variants: ServiceInputs[] = [
      { ...INPUTS, envFromFiles: { A: '1' } },
      { ...INPUTS, imageId: 'sha256:bbb' },
      { ...INPUTS, bindsHash: 'b1' },
    ];
    for (const v of variants) expect(containerConfig(ID, three, three.services[1]!, v).hash).not.toBe(base);
    for (const changed of [{ stopGracePeriodS: 30 }, { labels: { role: 'x' } }, { command: ['node', 'other.mjs'] }, { healthcheck: { test: ['NONE'] } }]) {
      expect(containerConfig(ID, three, { ...three.services[1]!, ...changed }, INPUTS).hash).not.toBe(base);
    }
    expect(containerConfig(ID, three, three.services[1]!, { ...INPUTS }).hash).toBe(base);
  });

  it("never touches a container another directory made, even under the same name", () => {
    const desired = configs(three);
    const theirs = desired.map((c) => running(c, { id: `theirs-${c.service.name}`, labels: { ...c.options.Labels!, [LABEL.workingDir]: '/elsewhere/demo' } }));
    const p = plan(ID, three, desired, { containers: theirs, networks: NETWORKS, volumes: new Set(['demo_data']) });
    expect(kinds(p)).toEqual(['create:catalog', 'create:nginx']);
    expect(JSON.stringify(p.actions)).not.toContain('theirs-');
  });

  it('removes the containers of a service gone from the file, and a second container of a service', () => {
    const desired = configs(three);
    const gone = running(desired[0]!, { id: 'old', name: 'demo_worker_1', labels: { ...desired[0]!.options.Labels!, [LABEL.service]: 'worker' } });
    const twin = running(desired[0]!, { id: 'twin', name: 'demo_catalog_2' });
    const p = plan(ID, three, desired, { containers: [...desired.map((c) => running(c)), gone, twin], networks: NETWORKS, volumes: new Set(['demo_data']) });
    expect(kinds(p)).toEqual(['remove:demo_worker_1', 'remove:demo_catalog_2', 'keep:catalog', 'keep:nginx']);
  });

  it('an external network that does not exist is refused, naming the fix', () => {
    const stack = stackOf([service('app', { networks: [{ key: 'shared', aliases: [] }] })], { networks: [{ key: 'default', external: false }, { key: 'shared', name: 'shared', external: true }] });
    expect(() => plan(ID, stack, configs(stack), NOTHING)).toThrow(/Network shared is declared as external, but could not be found/);
    expect(kinds(plan(ID, stack, configs(stack), { ...NOTHING, networks: new Map([['shared', 'net-shared']]) }))).toEqual(['create:app']);
  });

  it('ports to check: not for a kept container, and not those held by our own container about to be replaced', () => {
    const before = configs(three);
    const after = configs(three, { nginx: { bindsHash: 'b2' } });
    const observed: Observed = { containers: before.map((c) => running(c)), networks: NETWORKS, volumes: new Set(['demo_data']) };
    expect(portsToBind(plan(ID, three, after, observed))).toEqual([{ service: 'nginx', hostIp: '127.0.0.1', hostPort: 8070, heldByOwn: true }]);
    expect(portsToBind(plan(ID, three, before, observed))).toEqual([]);
    expect(portsToBind(plan(ID, three, before, NOTHING))).toEqual([{ service: 'nginx', hostIp: '127.0.0.1', hostPort: 8070, heldByOwn: false }]);
  });

  it('the container: Compose labels with the project dir, extra networks with their aliases only, ["NONE"] passed through', () => {
    const stack = stackOf([service('app', { healthcheck: { test: ['NONE'] }, environment: { GONE: null, KEPT: 'x' } })]);
    const [config] = configs(stack, { app: { envFromFiles: { KEPT: 'from-file', OTHER: '1' } } });
    expect(config!.options.Healthcheck).toEqual({ Test: ['NONE'], Interval: 0, Timeout: 0, Retries: 0, StartPeriod: 0 });
    expect(config!.options.Env).toEqual(['KEPT=x', 'OTHER=1', 'GONE']);
    expect(config!.options.Labels).toMatchObject({ [LABEL.project]: 'demo', [LABEL.workingDir]: '/work/demo', [LABEL.service]: 'app', [LABEL.configHash]: config!.hash });
    const nginx = configs(three)[0]!;
    expect(nginx.extraNetworks).toEqual([{ name: 'edx-lms-outside', aliases: ['richie'] }]);
  });

  it('start order: dependencies first, a cycle refused', () => {
    expect(startOrder(three.services).map((s) => s.name)).toEqual(['catalog', 'nginx']);
    const a = service('a', { dependsOn: [{ service: 'b', condition: 'service_started' }] });
    const b = service('b', { dependsOn: [{ service: 'a', condition: 'service_started' }] });
    expect(() => startOrder([a, b])).toThrow('depends_on forms a cycle: a -> b -> a');
  });
});

describe('probe', () => {
  it("up's own probe: the file's values, Docker's defaults for the rest, none for NONE or no test", () => {
    expect(probeOf(service('a', { healthcheck: { test: ['CMD', 'true'], timeoutNs: 2e9, retries: 5 } }))).toEqual({ test: ['CMD', 'true'], intervalMs: 30_000, timeoutMs: 2000, retries: 5, startPeriodMs: 0 });
    expect(probeOf(service('a', { healthcheck: { test: ['NONE'] } }))).toBeUndefined();
    expect(probeOf(service('a'))).toBeUndefined();
  });
});

describe('project identity', () => {
  it('the folder name, unless another directory holds it; then name plus a hash of the path', () => {
    const free = chooseProjectName({ projectDir: '/b/richie', recorded: undefined, ownNames: [], holdersOf: () => [] });
    expect(free).toBe('richie');
    const taken = chooseProjectName({ projectDir: '/b/richie', recorded: undefined, ownNames: [], holdersOf: () => ['/a/richie'] });
    expect(taken).toBe(distinctProjectName('/b/richie'));
    expect(taken).toMatch(/^richie-[0-9a-f]{8}$/);
    expect(distinctProjectName('/a/richie')).not.toBe(taken);
    // Held by itself, or by resources that name no directory: still its own.
    expect(chooseProjectName({ projectDir: '/b/richie', recorded: undefined, ownNames: [], holdersOf: () => ['/b/richie', ''] })).toBe('richie');
    // Its own containers' name wins, whatever was recorded.
    expect(chooseProjectName({ projectDir: '/b/richie', recorded: 'richie', ownNames: [taken], holdersOf: () => ['/a/richie'] })).toBe(taken);
    expect(projectName('/x/My Project.v2')).toBe('myprojectv2');
  });
});
