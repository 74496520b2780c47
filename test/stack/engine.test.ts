/**
 * The engine client against the real dockerd, reached four ways: its socket, a TCP relay to
 * it, a TLS relay that demands a client certificate (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH), and
 * an HTTP relay that stops answering one call — for the deadlines. Every way must see the same
 * engine the same way, pinned to the same API version, without reading or changing process.env.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request, createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_VERSION, Engine, EngineError, localSocket, olderVersion, transportOf } from '../../src/stack/engine.js';
import { ensureBuiltIn } from '../../src/stack/images.js';
import { hasTool, removeDir, sh, tempDir } from '../helpers.js';

const SOCKET = '/var/run/docker.sock';

/** A TCP server piping every connection to the engine's socket. */
async function listen(server: Server | HttpServer): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}
function pipeToEngine(client: NodeJS.ReadWriteStream & { destroy(): void; on(e: string, f: () => void): unknown }): void {
  const upstream = connect(SOCKET);
  client.pipe(upstream).pipe(client);
  client.on('error', () => upstream.destroy());
  upstream.on('error', () => client.destroy());
}

describe('the engine client', () => {
  const root = tempDir();
  let tcpPort = 0;
  let tlsPort = 0;
  let hangPort = 0;
  const servers: (Server | HttpServer)[] = [];
  const certs = join(root, 'certs');
  const wrongCerts = join(root, 'wrong-certs');

  /** A CA, a server certificate for 127.0.0.1 and a client certificate, as `docker` expects them in DOCKER_CERT_PATH. */
  function makeCerts(dir: string): { ca: Buffer; cert: Buffer; key: Buffer } {
    mkdirSync(dir, { recursive: true });
    const o = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
    o(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca-key.pem', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=test engine CA']);
    writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    o(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'server-key.pem', '-out', 'server.csr', '-subj', '/CN=127.0.0.1']);
    o(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'server.pem', '-days', '2', '-extfile', 'san.cnf']);
    writeFileSync(join(dir, 'client.cnf'), 'extendedKeyUsage=clientAuth\n');
    o(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'key.pem', '-out', 'client.csr', '-subj', '/CN=client']);
    o(['x509', '-req', '-in', 'client.csr', '-CA', 'ca.pem', '-CAkey', 'ca-key.pem', '-CAcreateserial', '-out', 'cert.pem', '-days', '2', '-extfile', 'client.cnf']);
    return { ca: readFileSync(join(dir, 'ca.pem')), cert: readFileSync(join(dir, 'server.pem')), key: readFileSync(join(dir, 'server-key.pem')) };
  }

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    expect(hasTool('openssl')).toBe(true);
    const tcp = createServer(pipeToEngine);
    tcpPort = await listen(tcp);
    const server = makeCerts(certs);
    makeCerts(wrongCerts);
    // The engine's side of tcp+TLS: only a client certificate from the CA gets through.
    const tls = createTlsServer({ ...server, requestCert: true, rejectUnauthorized: true }, pipeToEngine);
    tlsPort = await listen(tls);
    // Answers everything as the engine does, except the container list: never.
    const hang = createHttpServer((req, res) => {
      if (req.url?.includes('/containers/json')) return;
      const up = request({ socketPath: SOCKET, path: req.url, method: req.method, headers: req.headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 500, answer.headers);
        answer.pipe(res);
      });
      req.pipe(up);
    });
    hangPort = await listen(hang);
    servers.push(tcp, tls, hang);
  });
  afterAll(() => {
    for (const s of servers) s.close();
    removeDir(root);
  });

  const tcpEnv = () => ({ DOCKER_HOST: `tcp://127.0.0.1:${tcpPort}` });
  const tlsEnv = (dir = certs) => ({ DOCKER_HOST: `tcp://127.0.0.1:${tlsPort}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: dir });

  it('transports from the environment alone', () => {
    expect(localSocket({})).toBe('/var/run/docker.sock');
    expect(localSocket({ DOCKER_HOST: 'unix:///run/user/1000/docker.sock' })).toBe('/run/user/1000/docker.sock');
    expect(localSocket({ DOCKER_HOST: 'tcp://10.0.0.5:2376' })).toBeUndefined();
    expect(transportOf({ DOCKER_HOST: 'tcp://10.0.0.5:2375' })).toEqual({ kind: 'tcp', host: '10.0.0.5', port: 2375 });
    // Port 2376 is TLS by convention (docker-modem), verified only with DOCKER_TLS_VERIFY.
    expect(transportOf({ DOCKER_HOST: 'tcp://10.0.0.5:2376', HOME: '/home/u' })).toEqual({ kind: 'tls', host: '10.0.0.5', port: 2376, certPath: '/home/u/.docker', verify: false });
    expect(transportOf({ DOCKER_HOST: 'tcp://h:1234', DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: '/c' })).toEqual({ kind: 'tls', host: 'h', port: 1234, certPath: '/c', verify: true });
    expect(transportOf({ DOCKER_HOST: 'ssh://me@host:2222' })).toEqual({ kind: 'ssh', host: 'host', port: 2222, username: 'me' });
    expect(olderVersion('1.41', '1.43')).toBe('1.41');
    expect(olderVersion('1.9', '1.43')).toBe('1.9');
    expect(olderVersion('1.44', '1.43')).toBe('1.43');
  });

  it('socket, tcp and tcp+TLS read the same engine, each pinned to the lower of our API version and the daemon\'s', async () => {
    const daemon = (await sh('docker', ['version', '--format', '{{.Server.APIVersion}}'])).stdout.trim();
    const direct = await Engine.connect({ DOCKER_HOST: `unix://${SOCKET}` });
    const viaTcp = await Engine.connect(tcpEnv());
    const viaTls = await Engine.connect(tlsEnv());
    for (const engine of [direct, viaTcp, viaTls]) expect(engine.apiVersion).toBe(olderVersion(daemon, API_VERSION));
    await ensureBuiltIn(direct, 'richie-dev/nginx:latest');
    const writesBefore = direct.writes;

    const [a, b, c] = await Promise.all([direct.image('richie-dev/nginx:latest'), viaTcp.image('richie-dev/nginx:latest'), viaTls.image('richie-dev/nginx:latest')]);
    expect(a?.id).toMatch(/^sha256:/);
    expect([b, c]).toEqual([a, a]);
    for (const engine of [direct, viaTcp, viaTls]) expect(await engine.image('richie-dev/no-such-image:0')).toBeUndefined();
    const ids = (list: { id: string }[]) => list.map((x) => x.id).sort();
    const all = ids(await direct.containers({}));
    expect(ids(await viaTcp.containers({}))).toEqual(all);
    expect(ids(await viaTls.containers({}))).toEqual(all);
    expect(await viaTls.networkByName('bridge')).toEqual(await direct.networkByName('bridge'));
    expect(await viaTls.volumeExists('richie-dev-no-such-volume')).toBe(false);
    expect([direct.writes - writesBefore, viaTcp.writes, viaTls.writes]).toEqual([0, 0, 0]);
  });

  it('TLS with a certificate from another CA is refused at connect: exit 7, naming the engine', async () => {
    const error = await Engine.connect(tlsEnv(wrongCerts)).catch((e: unknown) => e);
    expect(error).toMatchObject({ exitCode: 7 });
    expect((error as Error).message).toContain(`The Docker engine at tcp://127.0.0.1:${tlsPort} cannot be reached`);
  });

  it('a call that never answers fails at its deadline, as one error type naming the call (exit 7)', async () => {
    const engine = await Engine.connect({ DOCKER_HOST: `tcp://127.0.0.1:${hangPort}` }, { deadlines: { read: 500 } });
    const began = Date.now();
    const error = await engine.containers({}).catch((e: unknown) => e);
    expect(Date.now() - began).toBeLessThan(2000);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ exitCode: 7, call: 'GET /containers/json' });
    expect((error as Error).message).toBe('Docker engine: GET /containers/json did not answer within 0.5 s');
    // The rest of the API still answers through the same relay.
    expect(await engine.networkByName('bridge')).toBeDefined();
  });

  it('an aborted command signal cuts calls short with "Interrupted." (exit 130)', async () => {
    const controller = new AbortController();
    const engine = await Engine.connect({ DOCKER_HOST: `tcp://127.0.0.1:${hangPort}` }, { signal: controller.signal });
    const pending = engine.containers({}).catch((e: unknown) => e);
    setTimeout(() => controller.abort(), 100);
    expect(await pending).toMatchObject({ exitCode: 130, message: 'Interrupted.' });
    // Cleaning up after Ctrl-C goes through the detached twin, deaf to that signal.
    expect(await engine.detached().networkByName('bridge')).toBeDefined();
  });

  it('an engine refusal is the same error type, with the HTTP status (exit 10)', async () => {
    const engine = await Engine.connect({ DOCKER_HOST: `unix://${SOCKET}` });
    const error = await engine.create({ name: 'richie-dev-engine-test-bad', Image: 'richie-dev/no-such-image:0' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ exitCode: 10, statusCode: 404, call: 'POST /containers/create' });
  });

  it('builds go over the same transport, never through process.env', async () => {
    const context = join(root, 'build');
    mkdirSync(context);
    writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nLABEL dev.richie.test=engine\n');
    const saved = { ...process.env };
    // A process.env pointing nowhere: a client that read it would fail.
    process.env.DOCKER_HOST = `unix://${join(root, 'nowhere.sock')}`;
    process.env.DOCKER_TLS_VERIFY = '1';
    try {
      const viaTls = await Engine.connect(tlsEnv());
      await viaTls.build(context, 'richie-dev-test/engine-build:1', { 'dev.richie.test': 'engine' });
      expect({ ...process.env }).toEqual({ ...saved, DOCKER_HOST: `unix://${join(root, 'nowhere.sock')}`, DOCKER_TLS_VERIFY: '1' });
      expect((await (await Engine.connect({ DOCKER_HOST: `unix://${SOCKET}` })).image('richie-dev-test/engine-build:1'))?.labels['dev.richie.test']).toBe('engine');
    } finally {
      process.env = saved;
      await sh('docker', ['rmi', '-f', 'richie-dev-test/engine-build:1']);
    }
  });

  it('exec and health probes: the same both ways; a probe that hangs fails at the healthcheck\'s timeout', async () => {
    const direct = await Engine.connect({ DOCKER_HOST: `unix://${SOCKET}` });
    const viaTcp = await Engine.connect(tcpEnv());
    await ensureBuiltIn(direct, 'richie-dev/demo-catalog:latest');
    // Created, started and removed over TCP: the writes a remote engine gets.
    const id = await viaTcp.create({ name: 'richie-dev-engine-test', Image: 'richie-dev/demo-catalog:latest', Cmd: ['node', '-e', 'console.log("container up"); setInterval(() => {}, 1000)'], HostConfig: { Init: true } });
    try {
      await viaTcp.start(id);
      expect((await direct.container(id)).running).toBe(true);
      const cmd = ['node', '-e', 'console.log("to stdout"); console.error("to stderr"); process.exit(3)'];
      for (const engine of [direct, viaTcp]) {
        const result = await engine.exec(id, cmd);
        expect(result.exitCode).toBe(3);
        expect(result.output).toContain('to stdout\n');
        expect(result.output).toContain('to stderr\n');
        expect(await engine.passesHealthcheck(id, { test: ['CMD', 'node', '-e', 'process.exit(0)'], timeoutNs: 5e9 })).toBe(true);
        expect(await engine.passesHealthcheck(id, { test: ['CMD', 'node', '-e', 'process.exit(1)'], timeoutNs: 5e9 })).toBe(false);
        const began = Date.now();
        expect(await engine.passesHealthcheck(id, { test: ['CMD', 'node', '-e', 'setInterval(() => {}, 1000)'], timeoutNs: 500e6 })).toBe(false);
        expect(Date.now() - began).toBeLessThan(1500);
      }
      expect(await direct.logs(id, 10)).toContain('container up\n');
      expect(await viaTcp.logs(id, 10)).toContain('container up\n');
    } finally {
      await viaTcp.remove(id);
    }
    expect(viaTcp.writes).toBe(3);
    await expect(direct.container(id)).rejects.toThrow('No such container');
  });
});
