/**
 * The registry base (images.base: "registry", and what "auto" picks on macOS, Windows or an
 * engine of another CPU), for real: Debian's docker-registry (distribution 2.8) on a free
 * loopback port, holding stand-in "node" and "nginx" base images this test builds from the
 * host's binaries and pushes. The demo images are then built on them through the registry
 * (pulled, not found locally) and must run. The registry stores nothing outside its own folder.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config-schema.js';
import { Engine } from '../../src/stack/engine.js';
import { hostRuntime, IMAGE_PATH } from '../../src/stack/host-runtime.js';
import { ensureBuiltIn, saveArchive, type BaseConfig } from '../../src/stack/images.js';
import { ROOT, freePort, hasTool, removeDir, tempDir } from '../helpers.js';
import { docker, dropNamespace, namespaceImages, ourDangling, runUntil } from './images-helpers.js';

const NS = `rdtest-${process.pid}-registry`;
const NAMES = ['demo-catalog', 'demo-lms', 'nginx', 'demo-joanie'] as const;
const tag = (name: string) => `${NS}/${name}:latest`;

// Outside CI a machine without docker-registry skips; under CI (CI=true) the beforeAll fails instead.
describe.skipIf(!hasTool('docker-registry') && process.env.CI !== 'true')('built-in images on official node and nginx images from a registry', () => {
  let work: string;
  let registry: ChildProcess | undefined;
  let host: string;
  let engine: Engine;
  let config: BaseConfig;
  let templatesDir: string;
  const containers: string[] = [];
  const pushed: string[] = [];

  beforeAll(async () => {
    expect(hasTool('docker-registry'), "Debian's docker-registry package is needed").toBe(true);
    expect(hasTool('docker'), 'docker is needed (apt install docker.io)').toBe(true);
    work = tempDir('richie-dev-registry-test-');
    // A copy: the templates may change under a running test (the front-end build writes a bundle).
    templatesDir = join(work, 'images');
    cpSync(join(ROOT, 'templates', 'images'), templatesDir, { recursive: true });
    const port = await freePort();
    host = `127.0.0.1:${port}`;
    mkdirSync(join(work, 'storage'));
    // distribution's configuration reference: https://distribution.github.io/distribution/about/configuration/
    writeFileSync(
      join(work, 'config.yml'),
      `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'storage')}\n  delete:\n    enabled: true\nhttp:\n  addr: ${host}\n`,
    );
    registry = spawn('docker-registry', ['serve', join(work, 'config.yml')], { stdio: 'ignore' });
    await runUntil(() => spawnSync('curl', ['-fsS', `http://${host}/v2/`]).status === 0, 'the registry to answer');

    engine = await Engine.connect();
    // Stand-ins for the official images, from this machine's binaries, where those images
    // keep theirs: node in /usr/local/bin, nginx in /usr/sbin with sh and grep beside it.
    const node = await hostRuntime({ node: true });
    const nginx = await hostRuntime({ nginx: true, shell: true });
    const standIns = [
      { ref: `${host}/library/node:20-standin`, runtime: node, config: { Env: [`PATH=${IMAGE_PATH}`], Cmd: ['node'] } },
      { ref: `${host}/library/nginx:standin`, runtime: nginx, config: { Env: [`PATH=${IMAGE_PATH}`], Cmd: ['nginx', '-g', 'daemon off;'], StopSignal: 'SIGQUIT' } },
    ];
    for (const s of standIns) {
      await engine.load(saveArchive([{ tag: s.ref, config: s.config, labels: { 'dev.richie.test': NS }, layers: [{ entries: s.runtime.entries, history: 'stand-in' }] }]).stream, [s.ref]);
      docker(['push', s.ref]);
      pushed.push(s.ref);
      docker(['rmi', s.ref]); // so the build has to pull it from the registry
    }
    config = { base: 'registry', registry: host, nodeBase: 'node:20-standin', nginxBase: 'nginx:standin' };
  }, 180_000);

  afterAll(() => {
    for (const id of containers) spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
    if (!work) return;
    try {
      dropNamespace(NS);
      spawnSync('docker', ['rmi', ...pushed], { stdio: 'ignore' }); // the bases the builds pulled
    } finally {
      registry?.kill();
      removeDir(work);
    }
  });

  it('pulls each base once from the registry and builds the built-in images on them', async () => {
    const progress: string[] = [];
    for (const name of NAMES) {
      expect(await ensureBuiltIn(engine, tag(name), { namespace: NS, templatesDir, config, onProgress: (t) => progress.push(t) })).toMatchObject({ result: 'built', base: 'registry' });
    }
    expect(progress.filter((p) => p.startsWith('pulling'))).toEqual([`pulling ${host}/library/node:20-standin`, `pulling ${host}/library/nginx:standin`]);
    // Each demo image sits on its base's layers, adding its folder on top.
    const layers = (ref: string) => JSON.parse(docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref])) as string[];
    const nodeLayers = layers(`${host}/library/node:20-standin`);
    expect(layers(tag('demo-catalog')).slice(0, nodeLayers.length)).toEqual(nodeLayers);
    expect(layers(tag('demo-lms')).slice(0, nodeLayers.length)).toEqual(nodeLayers);
    const nginxLayers = layers(`${host}/library/nginx:standin`);
    expect(layers(tag('nginx')).slice(0, nginxLayers.length)).toEqual(nginxLayers);
    expect(ourDangling(NS)).toEqual([]);
  });

  it('the images run: both apps pass their healthchecks, nginx serves its config and is healthy', async () => {
    for (const name of ['demo-catalog', 'demo-lms']) {
      const id = docker(['run', '-d', '--init', tag(name)]);
      containers.push(id);
      await runUntil(() => spawnSync('docker', ['exec', id, 'node', '/app/healthcheck.mjs']).status === 0, `the ${name} healthcheck to pass`, id);
    }
    const conf = join(work, 'conf.d');
    mkdirSync(conf);
    writeFileSync(join(conf, 'a.conf'), 'server {\n    listen 8099;\n    return 204;\n}\n');
    const nginx = docker(['run', '-d', '--init', '-v', `${conf}:/etc/nginx/conf.d:ro`, tag('nginx')]);
    containers.push(nginx);
    await runUntil(() => spawnSync('docker', ['exec', nginx, '/bin/sh', '/healthcheck.sh']).status === 0, 'the nginx healthcheck to pass', nginx);
    expect(docker(['exec', nginx, 'nginx', '-T'], true)).toContain('include /etc/nginx/conf.d/*.conf;'); // our nginx.conf, not the base's
  });

  it('a re-run finds them present without an engine write, the registry named by RICHIE_DEV_REGISTRY instead', async () => {
    const again = await Engine.connect();
    const { registry: _, ...rest } = config;
    for (const name of NAMES) {
      expect((await ensureBuiltIn(again, tag(name), { namespace: NS, templatesDir, config: rest, env: { RICHIE_DEV_REGISTRY: host } })).result).toBe('present');
    }
    expect(again.writes).toBe(0);
  });

  it('a base the registry does not have fails naming it and the keys that choose it', async () => {
    const run = ensureBuiltIn(await Engine.connect(), `${NS}/demo-lms:latest`, { namespace: NS, templatesDir, config: { ...config, nodeBase: 'node:no-such-tag' } });
    await expect(run).rejects.toMatchObject({ exitCode: 3, message: expect.stringContaining(`The base image ${host}/library/node:no-such-tag cannot be pulled from ${host}`) });
    await expect(run).rejects.toMatchObject({ fix: expect.stringContaining('RICHIE_DEV_REGISTRY') });
    expect(namespaceImages(NS).length).toBe(NAMES.length); // those built above, nothing new
  });
});

describe('the images config keys', () => {
  it('accepts the base, registry and base images, and refuses a registry given as a URL', () => {
    expect(parseConfig({ images: { base: 'registry', registry: '127.0.0.1:5000', nodeBase: 'node:20-bookworm-slim', nginxBase: 'nginx:1.27-alpine' } }).images).toMatchObject({
      base: 'registry',
      registry: '127.0.0.1:5000',
      nodeBase: 'node:20-bookworm-slim',
    });
    expect(() => parseConfig({ images: { registry: 'https://mirror.example.com/v2' } })).toThrow(/images\.registry: got "https:\/\/mirror.example.com\/v2"; expected a registry host/);
    expect(() => parseConfig({ images: { base: 'docker' } })).toThrow(/images\.base: got "docker"; expected "auto", "host" or "registry"/);
  });
});
