/**
 * The engine's reads go over plain HTTP on the local socket, and over dockerode's transport
 * for every other DOCKER_HOST (tcp, tcp+TLS, ssh). Both must see the same engine the same way:
 * here the same dockerd, reached directly and through a TCP relay to its socket.
 */
import { connect, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine, localSocket } from '../../src/stack/engine.js';
import { ensureBuiltIn } from '../../src/stack/images.js';
import { hasTool } from '../helpers.js';

describe('engine reads', () => {
  let relay: Server;
  let port = 0;

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    relay = createServer((client) => {
      const upstream = connect('/var/run/docker.sock');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    port = (relay.address() as { port: number }).port;
  });
  afterAll(() => relay.close());

  it('the local socket comes from DOCKER_HOST, or the default; other transports have none', () => {
    expect(localSocket({})).toBe('/var/run/docker.sock');
    expect(localSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toBe('/run/user/1000/docker.sock');
    expect(localSocket({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toBeUndefined();
    expect(localSocket({ DOCKER_HOST: 'ssh://me@host' })).toBeUndefined();
  });

  it('socket and dockerode transport read the same containers, images and absences', async () => {
    const direct = await Engine.connect({ ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' });
    const viaTcp = await Engine.connect({ ...process.env, DOCKER_HOST: `tcp://127.0.0.1:${port}` });
    await ensureBuiltIn(direct, 'richie-dev/nginx:latest');
    const writesBefore = direct.writes; // 1 when the image had to be built

    const [a, b] = await Promise.all([direct.image('richie-dev/nginx:latest'), viaTcp.image('richie-dev/nginx:latest')]);
    expect(a?.id).toMatch(/^sha256:/);
    expect(b).toEqual(a);
    expect(await direct.image('richie-dev/no-such-image:0')).toBeUndefined();
    expect(await viaTcp.image('richie-dev/no-such-image:0')).toBeUndefined();

    const ids = (list: { id: string }[]) => list.map((c) => c.id).sort();
    expect(ids(await viaTcp.containers({}))).toEqual(ids(await direct.containers({})));
    expect(await viaTcp.networkByName('bridge')).toEqual(await direct.networkByName('bridge'));
    expect(await viaTcp.volumeExists('richie-dev-no-such-volume')).toBe(false);
    expect([direct.writes - writesBefore, viaTcp.writes]).toEqual([0, 0]);
  });

  it('exec: the same exit code and output both ways, and a healthcheck test passes or fails', async () => {
    const direct = await Engine.connect({ ...process.env, DOCKER_HOST: 'unix:///var/run/docker.sock' });
    const viaTcp = await Engine.connect({ ...process.env, DOCKER_HOST: `tcp://127.0.0.1:${port}` });
    await ensureBuiltIn(direct, 'richie-dev/demo-catalog:latest');
    // Created, started and removed through dockerode's transport: its writes, as a remote engine gets them.
    const id = await viaTcp.create({ name: 'richie-dev-engine-test', Image: 'richie-dev/demo-catalog:latest', Cmd: ['node', '-e', 'setInterval(() => {}, 1000)'], HostConfig: { Init: true } });
    try {
      await viaTcp.start(id);
      expect((await direct.container(id)).running).toBe(true);
      const cmd = ['node', '-e', 'console.log("to stdout"); console.error("to stderr"); process.exit(3)'];
      for (const engine of [direct, viaTcp]) {
        const result = await engine.exec(id, cmd);
        expect(result.exitCode).toBe(3);
        expect(result.output).toContain('to stdout\n');
        expect(result.output).toContain('to stderr\n');
        expect(await engine.passesHealthcheck(id, ['CMD', 'node', '-e', 'process.exit(0)'])).toBe(true);
        expect(await engine.passesHealthcheck(id, ['CMD-SHELL', 'exit 1'])).toBe(false); // no shell in the image: fails too
      }
    } finally {
      await viaTcp.remove(id);
    }
    expect(viaTcp.writes).toBe(3);
    await expect(direct.container(id)).rejects.toThrow('No such container');
  });
});
