/**
 * down's order on a real engine: a running container with published ports on two networks
 * leaves the one that is not its gateway before it stops, so the engine does not publish its
 * ports again on that network while it stops (src/stack/lifecycle.ts, detachBeforeStop); a
 * container on one network, or already stopped, is simply stopped and removed. The order is
 * read back from the engine's own event log (`docker events --since --until`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/stack/engine.js';
import { ensureBuiltIn } from '../../src/stack/images.js';
import { detachBeforeStop, downAll, takeDown } from '../../src/stack/lifecycle.js';
import { LABEL, projectLabels, type ProjectId } from '../../src/stack/project.js';
import { hasTool, sh } from '../helpers.js';

const net = (name: string) => ({ id: `id-${name}`, name });

describe('detachBeforeStop: which networks a running container leaves before it stops', () => {
  it('all but the first by name, which libnetwork makes the gateway', () => {
    expect(detachBeforeStop({ running: true, networks: [net('richie_default'), net('edx-lms-outside')] })).toEqual([net('richie_default')]);
    expect(detachBeforeStop({ running: true, networks: [net('b'), net('c'), net('a')] })).toEqual([net('b'), net('c')]);
  });

  it('none for a container on one network, or one that is not running', () => {
    expect(detachBeforeStop({ running: true, networks: [net('richie_default')] })).toEqual([]);
    expect(detachBeforeStop({ running: false, networks: [net('a'), net('b')] })).toEqual([]);
  });
});

describe('takeDown when the engine refuses the early disconnect', () => {
  // A test double: a refused disconnect cannot be provoked on a real engine while the
  // container is on the network; this checks only the order the code then follows.
  it('the network waits for the removal instead', async () => {
    const calls: string[] = [];
    const engine = {
      disconnect: async (networkId: string) => {
        calls.push(`disconnect ${networkId}`);
        throw new Error('refused');
      },
      stop: async () => void calls.push('stop'),
      remove: async () => void calls.push('remove'),
    } as unknown as Engine;
    const down = takeDown(engine, { id: 'c1', running: true, networks: [net('a'), net('b')] });
    await down.offNetwork('id-b');
    calls.push('b is free');
    await down.removed;
    expect(calls).toEqual(['disconnect id-b', 'stop', 'remove', 'b is free']);
  });
});

describe('down on a real engine', () => {
  const project = 'richiedevlifecycle';
  const projectDir = '/nonexistent/richie-dev-lifecycle-test';
  const labels = { ...projectLabels({ project, projectDir }) };
  let engine: Engine;

  const cleanup = async () => {
    const filter = `label=${LABEL.project}=${project}`;
    const ids = (await sh('docker', ['ps', '-aq', '--filter', filter])).stdout.split('\n').filter(Boolean);
    if (ids.length) await sh('docker', ['rm', '-f', ...ids]);
    const nets = (await sh('docker', ['network', 'ls', '-q', '--filter', filter])).stdout.split('\n').filter(Boolean);
    if (nets.length) await sh('docker', ['network', 'rm', ...nets]);
  };

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    engine = await Engine.connect({ DOCKER_HOST: 'unix:///var/run/docker.sock' });
    await cleanup();
    await ensureBuiltIn(engine, 'richie-dev/demo-catalog:latest');
  });
  afterAll(cleanup);

  it('a running container with ports on two networks leaves the non-gateway one first; the others just stop', async () => {
    const [first, second] = [`${project}_a`, `${project}_b`];
    const netIds = { [first]: await engine.createNetwork(first, labels), [second]: await engine.createNetwork(second, labels) };
    const container = async (service: string, networks: string[], ports: boolean) => {
      const id = await engine.create({
        name: `${project}_${service}_1`,
        Image: 'richie-dev/demo-catalog:latest',
        Cmd: ['node', '-e', 'setInterval(() => {}, 1000)'],
        Labels: { ...labels, [LABEL.service]: service },
        ExposedPorts: ports ? { '8070/tcp': {}, '8073/tcp': {} } : undefined,
        HostConfig: {
          Init: true,
          NetworkMode: networks[0],
          // No host port: any free one on loopback.
          PortBindings: ports ? { '8070/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }], '8073/tcp': [{ HostIp: '127.0.0.1', HostPort: '' }] } : undefined,
        },
        StopTimeout: 1,
      });
      for (const name of networks.slice(1)) await engine.connect(netIds[name]!, id, []);
      return id;
    };
    // Attached in the other order than the names': which one is the gateway is the engine's rule, not ours.
    const proxy = await container('proxy', [second, first], true);
    const app = await container('app', [second], false);
    const stopped = await container('stopped', [first, second], true);
    await Promise.all([engine.start(proxy), engine.start(app)]);

    // docker events takes fractional seconds since the epoch.
    const since = (Date.now() / 1000).toFixed(3);
    const result = await downAll({ engine, project, projectDir }, { volumes: false });
    const until = ((Date.now() + 1) / 1000).toFixed(3);
    expect(result.containers.sort()).toEqual([`${project}_app_1`, `${project}_proxy_1`, `${project}_stopped_1`]);
    expect(result.networks.sort()).toEqual([first, second]);
    expect(await engine.containerList({ [LABEL.project]: project })).toEqual([]);

    // One log, in the engine's order: containers' kill and die, networks' disconnects.
    const ordered = (await sh('docker', ['events', '--since', since, '--until', until, '--format', '{{.Type}} {{.Action}} {{.Actor.ID}} {{.Actor.Attributes.container}} {{.Actor.Attributes.name}}'])).stdout.split('\n').filter(Boolean);
    const at = (pattern: (line: string) => boolean) => ordered.findIndex(pattern);
    const kill = (id: string) => at((l) => l.startsWith(`container kill ${id}`));
    const die = (id: string) => at((l) => l.startsWith(`container die ${id}`));
    const leaves = (id: string, network: string) => at((l) => l.startsWith('network disconnect ') && l.includes(` ${id} `) && l.endsWith(` ${network}`));

    // The proxy: off `b` (not its gateway: `a` sorts first) before it is killed; off `a` once it died.
    expect(kill(proxy)).toBeGreaterThan(-1);
    expect(leaves(proxy, second)).toBeGreaterThan(-1);
    expect(leaves(proxy, second)).toBeLessThan(kill(proxy));
    expect(leaves(proxy, first)).toBeGreaterThan(die(proxy));
    // The app, on one network: killed first, then off it.
    expect(leaves(app, second)).toBeGreaterThan(die(app));
    // The stopped one is not disconnected early (it holds no endpoint) and never killed.
    expect(kill(stopped)).toBe(-1);
    expect(ordered.filter((l) => l.startsWith('network disconnect ') && l.includes(` ${stopped} `))).toEqual([]);
  });

  it("a shared network another project made goes with the last project on it once its maker has no container; one richie-dev did not make stays", async () => {
    const own = `${project}_default`;
    const other = { project: `${project}other`, projectDir: '/nonexistent/other' };
    // Made by another project (edx-lms-outside keeps its maker's labels), and made by hand.
    const shared = `${project}-shared`;
    const foreign = `${project}-foreign`;
    const sharedId = await engine.createNetwork(shared, projectLabels(other));
    const foreignId = await engine.createNetwork(foreign, {});
    const container = (owner: ProjectId, network: string) =>
      engine.create({ name: `${owner.project}_app_1`, Image: 'richie-dev/demo-catalog:latest', Cmd: ['node', '-e', 'setInterval(() => {}, 1000)'], Labels: { ...projectLabels(owner), [LABEL.service]: 'app' }, HostConfig: { Init: true, NetworkMode: network }, StopTimeout: 1 });
    /** Our project up: its own network, and its app on the shared and the hand-made one too. */
    const upOurs = async () => {
      await engine.createNetwork(own, labels);
      const id = await container({ project, projectDir }, own);
      for (const net of [sharedId, foreignId]) await engine.connect(net, id, []);
      await engine.start(id);
    };
    try {
      // Its maker still has a container, stopped: it names the network by id, so the network stays.
      const makers = await container(other, shared);
      await upOurs();
      expect((await downAll({ engine, project, projectDir }, { volumes: false })).networks).toEqual([own]);
      expect(await engine.networkByName(shared)).toBeDefined();

      await engine.remove(makers);
      await upOurs();
      expect((await downAll({ engine, project, projectDir }, { volumes: false })).networks.sort()).toEqual([shared, own].sort());
      expect(await engine.networkByName(shared)).toBeUndefined();
      expect(await engine.networkByName(foreign)).toBeDefined();
    } finally {
      await sh('docker', ['rm', '-f', `${project}other_app_1`]);
      for (const name of [shared, foreign]) await sh('docker', ['network', 'rm', name]);
    }
  });
});
