/**
 * A remote engine (issue 20, item 4), with the engine this machine has: the same dockerd
 * reached as tcp://127.0.0.2:<port> through a TCP relay to its socket — another address than
 * the loopback where a local engine publishes. run-ssl publishes the stack's ports there and
 * points the hosts entries there; the catalog answers there (and not on 127.0.0.1); doctor
 * passes, checking that address. Runs in a private mount namespace (a copy of /etc and of the
 * system trust store), as test/doctor/stack.test.ts does, so hosts add and trust install act
 * for real without touching the machine.
 */
import { readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cli, firefoxRanOnce, hasTool, inMountNamespace, removeDir, sh, tempDir } from '../helpers.js';

const CATALOG_PORT = 18570;
const LMS_PORT = 18573;

describe('a remote engine: DOCKER_HOST=tcp://127.0.0.2', () => {
  const root = tempDir();
  const project = join(root, 'remoteengine');
  let relay: Server;
  let env: Record<string, string>;
  let result: { exitCode: number; stdout: string; stderr: string };
  const file = (name: string) => readFileSync(join(root, name), 'utf8');

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    expect(hasTool('unshare')).toBe(true);
    relay = createServer((client) => {
      const upstream = connect('/var/run/docker.sock');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.2', resolve));
    env = {
      DOCKER_HOST: `tcp://127.0.0.2:${(relay.address() as { port: number }).port}`,
      CAROOT: join(root, 'ca'),
      HOME: join(root, 'home'),
      XDG_DATA_HOME: join(root, 'home', '.local', 'share'),
      XDG_CONFIG_HOME: join(root, 'home', '.config'),
      XDG_CACHE_HOME: join(root, 'home', '.cache'),
      // The system store and the browsers' NSS databases (see test/doctor/stack.test.ts).
      TRUST_STORES: 'system,nss',
    };
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: CATALOG_PORT }, lms: { port: LMS_PORT } }));
    await firefoxRanOnce(env.HOME!);
    const rd = `node "${CLI}" --project-dir "${project}"`;
    result = await inMountNamespace(
      `
      cd "${root}"
      cp -a /etc etc && mount --bind etc /etc
      mount -t tmpfs tmpfs /usr/local/share/ca-certificates
      mkdir -p certs && cp -a /etc/ssl/certs/. certs/ && mount --bind certs /etc/ssl/certs
      ${rd} --json run-ssl > run.json
      ${rd} trust install >&2
      cp /etc/hosts hosts.after
      ${rd} --json doctor > doctor.json || echo "doctor exit $?" >&2
      # The system resolver (this namespace's /etc/hosts), as a browser resolves the name.
      curl -sS --max-time 5 --cacert ca/rootCA.pem -o /dev/null -w '%{http_code} %{remote_ip}' https://richie.local.dev:${CATALOG_PORT}/ > catalog.txt
      curl -sS --max-time 5 --cacert ca/rootCA.pem -o /dev/null --resolve richie.local.dev:${CATALOG_PORT}:127.0.0.1 https://richie.local.dev:${CATALOG_PORT}/ 2>/dev/null || echo "exit $?" > loopback.txt
      `,
      env,
    );
  }, 600_000);
  afterAll(async () => {
    await cli(['--project-dir', project, 'down', '--volumes'], { env });
    await new Promise((resolve) => relay.close(resolve));
    removeDir(root);
  });

  it('run-ssl publishes the ports on the engine address and points the hosts entries there', async () => {
    expect(result.exitCode, result.stderr).toBe(0);
    const run = JSON.parse(file('run.json')) as { engine: { host: string; remote: boolean }; warnings: string[] };
    expect(run.engine).toMatchObject({ host: env.DOCKER_HOST, remote: false });
    expect(run.warnings).toContain(`The Docker engine is reached at ${env.DOCKER_HOST}: the ports are published on 127.0.0.2, and the hosts entries point there.`);
    const ours = file('hosts.after').split('\n').filter((l) => /local\.dev/.test(l) && !l.startsWith('#'));
    // Each host on that address only (no ::1: the ports are not published there).
    expect(ours.map((l) => l.split(/\s+/).slice(0, 2).join(' ')).sort()).toEqual(['127.0.0.2 edx.local.dev', '127.0.0.2 richie.local.dev']);
    const ports = await sh('docker', ['port', 'remoteengine_nginx_1']);
    expect(ports.stdout.trim().split('\n').sort()).toEqual([`${CATALOG_PORT}/tcp -> 127.0.0.2:${CATALOG_PORT}`, `${LMS_PORT}/tcp -> 127.0.0.2:${LMS_PORT}`]);
  });

  it('the catalog answers on that address over trusted TLS, and not on 127.0.0.1', () => {
    expect(file('catalog.txt')).toBe('200 127.0.0.2');
    expect(file('loopback.txt').trim()).toBe('exit 7');
  });

  it('doctor passes, checking that address', () => {
    const doctor = JSON.parse(file('doctor.json')) as { ok: boolean; checks: { id: string; status: string; seen: string }[] };
    const checks = Object.fromEntries(doctor.checks.map((c) => [c.id, c]));
    expect(doctor.checks.filter((c) => c.status === 'fail' || c.status === 'warn')).toEqual([]);
    expect(doctor.ok).toBe(true);
    expect(checks.docker!.seen).toBe(`reachable at ${env.DOCKER_HOST} (ports live on 127.0.0.2)`);
    expect(checks.names!.seen).toBe('richie.local.dev, edx.local.dev resolve to 127.0.0.2');
    expect(checks.ports!.seen).toBe(`${CATALOG_PORT} and ${LMS_PORT} are free or ours on 127.0.0.2`);
    expect(checks.https!.status).toBe('pass');
  });
});
