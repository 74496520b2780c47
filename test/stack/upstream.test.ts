/**
 * A site of your own behind richie-dev's TLS: with `catalog.upstream` set, no catalog
 * container runs; nginx serves richie.local.dev over TLS and proxies to a plain HTTP server
 * this test starts on the host (reached through Docker's host gateway), with the forwarded
 * headers Django needs checked at that server — for the browser's requests and for the LMS's
 * course-run sync from inside the stack.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { commandContext } from '../../src/cli/context.js';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../src/commands/run.js';
import { cli, hasTool, removeDir, sh, tempDir } from '../helpers.js';

const CATALOG_PORT = 28470;
const LMS_PORT = 28473;

describe('catalog.upstream: your own app behind the same TLS', () => {
  const root = tempDir();
  const dir = join(root, 'upstreamproj');
  const env = { ...process.env, CAROOT: join(root, 'ca'), HOME: root, TRUST_STORES: 'nss' };
  const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
  let server: Server;
  let port = 0;

  beforeAll(async () => {
    expect(hasTool('docker')).toBe(true);
    // On every interface: a container reaches the host through Docker's bridge, not loopback.
    server = createServer((req, res) => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
      req.resume();
      req.on('end', () => res.end(`from my own Richie: ${req.method} ${req.url}`));
    });
    await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
    port = (server.address() as AddressInfo).port;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: CATALOG_PORT, upstream: `http://localhost:${port}` }, lms: { port: LMS_PORT } }));
    writeFileSync(join(dir, 'hosts'), '127.0.0.1 localhost\n');
  });
  afterAll(async () => {
    await cli(['--project-dir', dir, 'down', '--volumes'], { env });
    server?.close();
    removeDir(root);
  });

  it('runs no catalog container; nginx serves the catalog host over TLS from the upstream, with the forwarded headers', async () => {
    const result = await run(commandContext({ projectDir: dir, env }), { tls: true, hostsFile: join(dir, 'hosts') });
    expect(result.services.map((s) => `${s.name}:${s.state}`)).toEqual(['lms:healthy', 'nginx:healthy']);
    expect(result.warnings.join('\n')).toContain(`catalog.upstream http://localhost:${port} is on this machine: richie-dev's nginx reaches it as host.docker.internal:${port}`);
    const services = (await sh('docker', ['ps', '-a', '--filter', 'label=com.docker.compose.project=upstreamproj', '--format', '{{.Label "com.docker.compose.service"}}'])).stdout.split('\n').filter(Boolean).sort();
    expect(services).toEqual(['lms', 'nginx']);

    const page = await sh('curl', ['-sS', '--cacert', join(root, 'ca', 'rootCA.pem'), '--resolve', `richie.local.dev:${CATALOG_PORT}:127.0.0.1`, `https://richie.local.dev:${CATALOG_PORT}/en/courses/?q=1`]);
    expect(page.exitCode, page.stderr).toBe(0);
    expect(page.stdout).toBe('from my own Richie: GET /en/courses/?q=1');
    const request = seen.at(-1)!;
    expect(request.headers.host).toBe(`richie.local.dev:${CATALOG_PORT}`);
    expect(request.headers['x-forwarded-proto']).toBe('https');
    expect(request.headers['x-forwarded-port']).toBe(String(CATALOG_PORT));
    expect(request.headers['x-forwarded-for']).toMatch(/\d+\.\d+\.\d+\.\d+/);

    // The LMS's course-run sync reaches the catalog by its public name, inside the stack,
    // trusting the project's CA: it lands on the upstream too.
    const lms = (await sh('docker', ['ps', '-q', '--filter', 'label=com.docker.compose.project=upstreamproj', '--filter', 'label=com.docker.compose.service=lms'])).stdout.trim();
    const sync = await sh('docker', [
      'exec',
      lms,
      'node',
      '-e',
      `fetch("https://richie.local.dev:${CATALOG_PORT}/api/v1.0/course-runs-sync", { method: "POST", body: "{}" }).then((r) => r.text()).then(console.log)`,
    ]);
    expect(sync.exitCode, sync.stderr).toBe(0);
    expect(sync.stdout.trim()).toBe('from my own Richie: POST /api/v1.0/course-runs-sync');
    expect(seen.at(-1)!.headers['x-forwarded-proto']).toBe('https');
  });

  it('doctor: the upstream answers here and through nginx; one listening on 127.0.0.1 only is named, with the fix', async () => {
    const doctor = async () => {
      const result = await cli(['--project-dir', dir, '--json', 'doctor'], { env });
      return (JSON.parse(result.stdout) as { checks: { id: string; status: string; seen: string; fix?: string }[] }).checks;
    };
    const pass = (await doctor()).find((c) => c.id === 'upstreams')!;
    expect(pass.status, pass.seen).toBe('pass');
    expect(pass.seen).toBe('catalog.upstream answers here (200) and through nginx (200)');
    expect((await doctor()).find((c) => c.id === 'services')!.status).toBe('pass');

    // The usual mistake: a dev server on loopback only, which a container cannot reach.
    const loopbackOnly = createServer((_req, res) => res.end('loopback only'));
    await new Promise<void>((resolve) => loopbackOnly.listen(0, '127.0.0.1', resolve));
    try {
      const loopbackPort = (loopbackOnly.address() as AddressInfo).port;
      writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ catalog: { port: CATALOG_PORT, upstream: `http://127.0.0.1:${loopbackPort}` }, lms: { port: LMS_PORT } }));
      await run(commandContext({ projectDir: dir, env }), { tls: true, hostsFile: join(dir, 'hosts') });
      const fail = (await doctor()).find((c) => c.id === 'upstreams')!;
      expect(fail.status).toBe('fail');
      expect(fail.seen).toBe(`catalog.upstream http://127.0.0.1:${loopbackPort} answers here (200) but nginx cannot reach it (502 at https://richie.local.dev:${CATALOG_PORT}/)`);
      expect(fail.fix).toContain('listen on every interface (0.0.0.0)');
    } finally {
      loopbackOnly.close();
    }
  });

  it('an upstream that is not an http(s) URL of a whole site is refused before anything changes, naming the key', async () => {
    for (const [value, reason] of <[string, string][]>[
      ['ftp://localhost:8000', 'the scheme is ftp'],
      ['http://localhost:8000/richie', 'it has a path'],
      ['localhost:8000', 'the scheme is localhost'],
    ]) {
      const other = join(root, `bad-${reason.replace(/\W+/g, '-')}`);
      mkdirSync(other, { recursive: true });
      writeFileSync(join(other, 'richie-dev.config.json'), JSON.stringify({ lms: { upstream: value } }));
      const result = await cli(['--project-dir', other, 'run-ssl', '--hosts-file', join(dir, 'hosts')], { env });
      expect(result.exitCode, result.stderr).toBe(3);
      expect(result.stderr).toContain(`lms.upstream: got ${JSON.stringify(value)}; expected the URL of an app of your own`);
      expect(result.stderr).toContain(reason);
      expect((await sh('ls', ['-A', other])).stdout.trim()).toBe('richie-dev.config.json');
    }
  });
});
