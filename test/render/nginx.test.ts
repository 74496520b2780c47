/**
 * The rendered nginx configs, run by a real nginx: `nginx -t` for every mode, then served —
 * a TLS handshake for each host name trusted by the CA alone, proxied to loopback upstreams
 * that see the forwarded headers; plain HTTP on the TLS port redirected; /richie/ sent back.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { projectPaths } from '../../src/paths.js';
import { commandContext } from '../../src/cli/context.js';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run as setupSsl } from '../../src/commands/setup-ssl.js';
import { parseConfig } from '../../src/config-schema.js';
import { renderAll } from '../../src/render/index.js';
import { freePort, hasTool, removeDir, sh, tempDir } from '../helpers.js';

/** A loopback upstream that answers with the headers it received. */
async function echoUpstream(name: string): Promise<{ server: Server; port: number }> {
  const server = createHttpServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ upstream: name, url: req.url, headers: req.headers }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

function mainConf(prefix: string, nginxDir: string): string {
  const file = join(prefix, 'nginx.conf');
  writeFileSync(
    file,
    `${process.getuid?.() === 0 ? 'user root;\n' : ''}pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${prefix}/body; proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi; uwsgi_temp_path ${prefix}/uwsgi; scgi_temp_path ${prefix}/scgi;
  include ${nginxDir}/*.conf;
}
`,
  );
  return file;
}

async function waitForPort(port: number): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function get(url: string, options: { servername?: string; ca?: string; host?: string }): Promise<Reply> {
  const u = new URL(url);
  const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: u.port,
        path: u.pathname + u.search,
        headers: { host: options.host ?? u.host },
        ...(u.protocol === 'https:' ? { servername: options.servername, ca: options.ca } : {}),
      },
      (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('rendered nginx configs, run by nginx', () => {
  const root = tempDir();
  const upstreams: Server[] = [];
  let nginx: ChildProcess | undefined;
  let catalogPort = 0;
  let lmsPort = 0;
  let projectDir = '';
  let ca = '';
  let upstreamPorts = { catalog: 0, lms: 0 };

  beforeAll(async () => {
    expect(hasTool('nginx')).toBe(true);
    const catalog = await echoUpstream('catalog');
    const lms = await echoUpstream('lms');
    upstreams.push(catalog.server, lms.server);
    upstreamPorts = { catalog: catalog.port, lms: lms.port };
    catalogPort = await freePort();
    lmsPort = await freePort();
  });
  afterAll(async () => {
    nginx?.kill('SIGTERM');
    for (const server of upstreams) server.close();
    removeDir(root);
  });

  async function renderFor(name: string, tls: boolean): Promise<{ dir: string; nginxDir: string }> {
    const dir = join(root, name);
    mkdirSync(dir, { recursive: true });
    const config = parseConfig({ catalog: { port: catalogPort }, lms: { port: lmsPort } });
    if (tls) await setupSsl(commandContext({ projectDir: dir, env: { CAROOT: join(root, 'ca'), TRUST_STORES: 'nss', HOME: root } }));
    await renderAll({ config, paths: projectPaths(dir), tls, backend: tls ? 'real' : 'fake', upstreams: { catalog: `127.0.0.1:${upstreamPorts.catalog}`, lms: `127.0.0.1:${upstreamPorts.lms}` }, certDir: join(dir, '.richie-dev', 'ssl') });
    return { dir, nginxDir: join(dir, '.richie-dev', 'nginx') };
  }

  it.each([
    ['http', false],
    ['tls', true],
  ] as const)('nginx -t accepts the %s configs', async (name, tls) => {
    const { dir, nginxDir } = await renderFor(`t-${name}`, tls);
    const prefix = join(dir, 'prefix');
    mkdirSync(prefix);
    const test = await sh('nginx', ['-t', '-p', prefix, '-c', mainConf(prefix, nginxDir)]);
    expect(test.exitCode, test.stderr).toBe(0);
    expect(test.stderr).toContain('syntax is ok');
    expect(test.stderr).toContain('test is successful');
  });

  it('serves both hosts over TLS, trusted by the CA alone, proxying with forwarded headers', async () => {
    const { dir, nginxDir } = await renderFor('serve', true);
    projectDir = dir;
    ca = readFileSync(join(root, 'ca', 'rootCA.pem'), 'utf8');
    const prefix = join(dir, 'prefix');
    mkdirSync(prefix);
    nginx = spawn('nginx', ['-p', prefix, '-c', mainConf(prefix, nginxDir), '-g', 'daemon off;'], { stdio: 'ignore' });
    await waitForPort(catalogPort);
    await waitForPort(lmsPort);

    for (const [host, port, upstream] of [
      ['richie.local.dev', catalogPort, 'catalog'],
      ['edx.local.dev', lmsPort, 'lms'],
    ] as const) {
      const reply = await get(`https://${host}:${port}/courses/?q=1`, { servername: host, ca });
      expect(reply.status).toBe(200);
      const seen = JSON.parse(reply.body) as { upstream: string; url: string; headers: IncomingHttpHeaders };
      expect(seen.upstream).toBe(upstream);
      expect(seen.url).toBe('/courses/?q=1');
      expect(seen.headers).toMatchObject({ host: `${host}:${port}`, 'x-forwarded-proto': 'https', 'x-forwarded-port': String(port), 'x-forwarded-for': '127.0.0.1' });
    }
    expect(projectDir).not.toBe('');
  });

  it('redirects plain HTTP on the TLS port to https on the same port (error_page 497)', async () => {
    const reply = await get(`http://richie.local.dev:${catalogPort}/some/page?x=1`, {});
    expect(reply.status).toBe(301);
    expect(reply.headers.location).toBe(`https://richie.local.dev:${catalogPort}/some/page?x=1`);
  });

  it('sends /richie/<path> on the LMS back to the catalog origin, permanently (301) as openedx-docker does', async () => {
    const reply = await get(`https://edx.local.dev:${lmsPort}/richie/en/courses/demo/?next=1`, { servername: 'edx.local.dev', ca });
    expect(reply.status).toBe(301);
    // The rendered catalog origin carries the configured port.
    expect(reply.headers.location).toBe(`https://richie.local.dev:${catalogPort}/en/courses/demo/?next=1`);
  });

  it('refuses a client that does not trust the CA', async () => {
    await expect(get(`https://richie.local.dev:${catalogPort}/`, { servername: 'richie.local.dev' })).rejects.toThrow(/self[- ]signed|unable to (get|verify)/i);
  });
});

describe('lms.upstream: an OpenEdX of your own', () => {
  const dir = tempDir();
  afterAll(() => removeDir(dir));

  it('nginx proxies the LMS host to it over https, asking for its own name (SNI); the stack runs no LMS container and nothing waits on one', async () => {
    const config = parseConfig({ lms: { upstream: 'https://lms.example.org:8443' } });
    const result = await renderAll({ config, paths: projectPaths(dir), tls: true, backend: 'real' });
    const conf = readFileSync(join(dir, '.richie-dev', 'nginx', 'lms.conf'), 'utf8');
    expect(conf).toContain('    server lms.example.org:8443;\n');
    expect(conf).toContain('        proxy_ssl_server_name on;\n        proxy_ssl_name lms.example.org;\n        proxy_pass https://richie_dev_lms;\n');
    // The catalog keeps its container, over plain http; an upstream elsewhere needs no warning.
    expect(readFileSync(join(dir, '.richie-dev', 'nginx', 'catalog.conf'), 'utf8')).toContain('    server catalog:8000;\n');
    expect(result.warnings.join('\n')).not.toContain('lms.upstream');

    const { loadStack } = await import('../../src/stack/context.js');
    writeFileSync(join(dir, 'richie-dev.config.json'), JSON.stringify({ lms: { upstream: 'https://lms.example.org:8443' } }));
    const { stack } = await loadStack(commandContext({ projectDir: dir }));
    expect(stack.services.map((s) => s.name)).toEqual(['catalog', 'nginx']);
    expect(stack.services.find((s) => s.name === 'nginx')!.dependsOn).toEqual([{ service: 'catalog', condition: 'service_healthy' }]);
    expect(stack.volumes.map((v) => v.key)).toEqual(['catalog-data']);
  });
});
