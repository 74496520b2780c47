/**
 * The built-in images on a real engine, under a namespace of this test's own (rdtest-<pid>/...),
 * so the shared richie-dev/* tags other tests use are never touched: one runtime layer shared
 * by the three images, thin layers over it, rebuilds that remove what they replaced, Ctrl-C
 * that leaves nothing behind, and images that run. The registry path is in images-registry.test.ts.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createWriteStream } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../src/stack/engine.js';
import { goArch, sameArchitecture } from '../../src/stack/host-runtime.js';
import { BUILT_IN, builtInName, ensureBuiltIn, IMAGE_TEMPLATES_DIR, ensureImage, IMAGE_LABEL, onRegistry, removeReplacedImages, templateFiles, whyNotHost } from '../../src/stack/images.js';
import { tarSize, tarStream, type TarEntry } from '../../src/stack/tar.js';
import { hasTool, inMountNamespace, isRoot, removeDir, ROOT, tempDir } from '../helpers.js';
import { docker, dropNamespace, namespaceImages, ourDangling, runUntil } from './images-helpers.js';

const NS = `rdtest-${process.pid}`;
const NAMES = ['demo-catalog', 'demo-lms', 'nginx', 'demo-joanie'] as const;
const tag = (name: string, ns = NS) => `${ns}/${name}:latest`;

describe('tar writer', () => {
  it('GNU tar reads back every entry, its mode and its bytes, long paths included', async () => {
    const dir = tempDir();
    try {
      const source = join(dir, 'source.bin');
      const bytes = randomBytes(70_001);
      writeFileSync(source, bytes);
      const long = `${'deep/'.repeat(30)}file.txt`; // 155 bytes: needs ustar's prefix field
      const entries: TarEntry[] = [
        { type: 'dir', path: 'app' },
        { type: 'file', path: 'app/run.sh', data: Buffer.from('#!/bin/sh\n'), mode: 0o755 },
        { type: 'file', path: 'app/blob', source, size: bytes.length },
        { type: 'dir', path: 'tmp', mode: 0o1777 },
        { type: 'file', path: long, data: Buffer.from('far') },
      ];
      const file = join(dir, 'out.tar');
      await pipeline(tarStream(entries), createWriteStream(file));
      expect(readFileSync(file).length).toBe(tarSize(entries));
      const listing = execFileSync('tar', ['-tvf', file], { encoding: 'utf8' }).trim().split('\n');
      expect(listing.map((l) => l.split(/\s+/).slice(-1)[0])).toEqual(['app/', 'app/run.sh', 'app/blob', 'tmp/', long]);
      expect(listing.map((l) => l.split(/\s+/)[0])).toEqual(['drwxr-xr-x', '-rwxr-xr-x', '-rw-r--r--', 'drwxrwxrwt', '-rw-r--r--']);
      expect(listing.every((l) => l.split(/\s+/)[1] === 'root/root')).toBe(true);
      const out = join(dir, 'x');
      mkdirSync(out);
      execFileSync('tar', ['-xf', file, '-C', out]);
      expect(readFileSync(join(out, 'app/blob')).equals(bytes)).toBe(true);
      expect(readFileSync(join(out, long), 'utf8')).toBe('far');
    } finally {
      removeDir(dir);
    }
  });

  it('a file that changes size while it is read fails the archive instead of shifting it', async () => {
    const dir = tempDir();
    try {
      const source = join(dir, 'grows');
      writeFileSync(source, 'abc');
      const stream = tarStream([{ type: 'file', path: 'grows', source, size: 2 }]);
      await expect(pipeline(stream, createWriteStream(join(dir, 'o.tar')))).rejects.toThrow(/changed while it was being read/);
    } finally {
      removeDir(dir);
    }
  });
});

describe('image names and bases', () => {
  it.each([
    ['node:20-alpine', '127.0.0.1:5000', '127.0.0.1:5000/library/node:20-alpine'],
    ['bitnami/nginx:1', 'mirror.local:5000', 'mirror.local:5000/bitnami/nginx:1'],
    ['ghcr.io/me/node:20', 'mirror.local:5000', 'ghcr.io/me/node:20'],
    ['localhost/node:20', 'mirror.local', 'localhost/node:20'],
    ['node:20-alpine', undefined, 'node:20-alpine'],
  ])('%s on registry %s is %s', (ref, registry, expected) => {
    expect(onRegistry(ref, registry)).toBe(expected);
  });

  it.each([
    ['x64', 'x86_64', true],
    ['arm64', 'aarch64', true],
    ['x64', 'aarch64', false],
    ['arm64', 'x86_64', false],
    ['arm', 'armv7l', true],
  ])("this machine's %s runs on an engine reporting %s: %s", (arch, engine, expected) => {
    expect(sameArchitecture(engine, arch)).toBe(expected);
  });

  it.each([
    ['linux', 'linux', 'x86_64', 'x64', undefined],
    ['linux', 'linux', 'aarch64', 'x64', "the engine runs aarch64 and this machine's Node is x64"],
    ['darwin', 'linux', 'aarch64', 'arm64', 'this machine runs darwin, and the engine runs Linux containers'],
    ['win32', 'linux', 'x86_64', 'x64', 'this machine runs win32, and the engine runs Linux containers'],
    ['linux', 'windows', 'x86_64', 'x64', 'the engine runs windows containers'],
  ])('on %s with a %s/%s engine, node %s: registry because %s', (platform, osType, architecture, arch, reason) => {
    expect(whyNotHost(platform, { osType, architecture }, arch)).toBe(reason);
  });

  it('the built-in names belong to their namespace only', () => {
    expect(Object.keys(BUILT_IN).map((t) => builtInName(t))).toEqual(['demo-catalog', 'demo-lms', 'nginx', 'demo-keycloak', 'demo-joanie']);
    expect(builtInName('richie-dev/demo-catalog:latest', NS)).toBeUndefined();
    expect(builtInName(tag('nginx'), NS)).toBe('nginx');
    expect(builtInName('richie-dev/runtime:latest')).toBeUndefined();
    expect(builtInName('fundocker/richie:latest')).toBeUndefined();
  });

  it("each built-in image's folder is found in the package's templates/images", () => {
    expect(IMAGE_TEMPLATES_DIR).toBe(join(ROOT, 'templates', 'images'));
    for (const name of Object.values(BUILT_IN)) expect(readdirSync(join(IMAGE_TEMPLATES_DIR, name)).length, name).toBeGreaterThan(0);
  });
});

describe("this machine's runtime", () => {
  it.skipIf(!isRoot && process.env.CI !== 'true')('without nginx\'s files the error names the package and the registry base instead of crashing', async () => {
    // /etc/nginx hidden under an empty tmpfs, in a private mount namespace: mime.types is gone.
    const module = join(ROOT, 'dist', 'stack', 'host-runtime.js');
    const script = `mount -t tmpfs none /etc/nginx\n'${process.execPath}' --input-type=module -e "const m = await import('${module}'); await m.hostRuntime({ nginx: true }).then(() => console.log('no error'), (e) => console.log(JSON.stringify({ exitCode: e.exitCode, message: e.message, fix: e.fix })))"`;
    const result = await inMountNamespace(script);
    expect(JSON.parse(result.stdout)).toEqual({
      exitCode: 6,
      message: expect.stringContaining('/etc/nginx/mime.types'),
      fix: expect.stringMatching(/sudo apt install nginx.*"base": "registry"/),
    });
  });
});

describe('built-in images on this machine\'s runtime', () => {
  let engine: Engine;
  let templates: string;
  let work: string;
  const bundle = Buffer.concat([Buffer.from([0x00, 0xff, 0xfe, 0x80]), randomBytes(200_000)]); // not UTF-8
  const containers: string[] = [];

  beforeAll(async () => {
    expect(hasTool('docker'), 'docker is needed (apt install docker.io)').toBe(true);
    engine = await Engine.connect();
    work = tempDir('richie-dev-images-test-');
    templates = join(work, 'images');
    cpSync(join(ROOT, 'templates', 'images'), templates, { recursive: true });
    // What the lead's front-end build adds: a bundle in a subfolder, bytes that are not text.
    mkdirSync(join(templates, 'demo-catalog', 'static', 'js'), { recursive: true });
    writeFileSync(join(templates, 'demo-catalog', 'static', 'js', 'bundle.bin'), bundle);
  });

  afterAll(async () => {
    for (const id of containers) spawnSync('docker', ['rm', '-f', id], { stdio: 'ignore' });
    try {
      dropNamespace(NS);
      dropNamespace(`${NS}-abort`);
      expect(namespaceImages(NS)).toEqual([]);
    } finally {
      removeDir(work);
    }
  });

  it('templateFiles: every file of the folder, subfolders too, as bytes', async () => {
    const dir = join(templates, 'demo-catalog');
    const files = await templateFiles(dir);
    // find(1) as the oracle: every regular file, at any depth.
    const found = execFileSync('find', ['.', '-type', 'f'], { cwd: dir, encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.slice(2)).sort();
    expect(files.map((f) => f.path)).toEqual(found);
    expect(found).toContain('static/js/bundle.bin');
    expect(files.find((f) => f.path === 'static/js/bundle.bin')!.data.equals(bundle)).toBe(true);
    expect((await templateFiles(join(templates, 'nginx'))).map((f) => f.path)).toEqual(['etc/nginx/nginx.conf', 'healthcheck.sh']);
  });

  it('one runtime layer, loaded once, under all four images; each adds only its own folder', async () => {
    const progress: string[] = [];
    for (const name of NAMES) {
      const result = await ensureBuiltIn(engine, tag(name), { namespace: NS, templatesDir: templates, config: { base: 'host' }, onProgress: (t) => progress.push(t) });
      expect(result).toMatchObject({ result: 'built', base: 'host' });
    }
    // One archive: the runtime and the five images over it, the runtime layer sent once.
    expect(progress).toEqual([expect.stringMatching(/^loading this machine's runtime \(node v[\d.]+, nginx, sh, grep\) into the engine, once for every built-in image, with demo-catalog, demo-lms, nginx, demo-keycloak, demo-joanie$/)]);

    const layers = NAMES.map((name) => JSON.parse(docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', tag(name)])) as string[]);
    const runtimeTags = docker(['images', '--filter', `label=${IMAGE_LABEL.builtIn}=${NS}/runtime`, '--format', '{{.Repository}}:{{.Tag}}']).split('\n');
    expect(runtimeTags).toHaveLength(1);
    const runtimeLayers = JSON.parse(docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', runtimeTags[0]!])) as string[];
    expect(runtimeLayers).toHaveLength(1);
    for (const l of layers) expect(l).toEqual([runtimeLayers[0], expect.stringMatching(/^sha256:/)]);
    expect(new Set(layers.map((l) => l[1])).size).toBe(NAMES.length);
    // The runtime layer holds Node (~100 MB); each image's own layer is its folder and no more.
    for (const name of NAMES) {
      const sizes = docker(['history', '--no-trunc', '--format', '{{.Size}}', '--human=false', tag(name)]).split('\n').map(Number);
      const folder = (await templateFiles(join(templates, name))).reduce((sum, f) => sum + f.data.length, 0);
      expect(sizes[1]).toBeGreaterThan(50_000_000);
      expect(sizes[0]).toBeGreaterThanOrEqual(folder);
      expect(sizes[0]).toBeLessThan(folder + 64_000);
    }
  });

  it('the images run: the catalog serves its bundle byte for byte and passes its healthcheck; nginx is healthy exactly when it listens', async () => {
    const catalog = docker(['run', '-d', '--init', tag('demo-catalog')]);
    containers.push(catalog);
    await runUntil(() => spawnSync('docker', ['exec', catalog, 'node', '/app/healthcheck.mjs']).status === 0, 'the catalog healthcheck to pass', catalog);
    const digest = docker(['exec', catalog, 'node', '-e', "process.stdout.write(require('crypto').createHash('sha256').update(require('fs').readFileSync('/app/static/js/bundle.bin')).digest('hex'))"]);
    expect(digest).toBe(createHash('sha256').update(bundle).digest('hex'));

    const conf = join(work, 'conf.d');
    mkdirSync(conf);
    const port = 18_000 + (process.pid % 1000);
    writeFileSync(join(conf, 'a.conf'), `server {\n    listen ${port};\n    return 204;\n}\n`);
    const nginx = docker(['run', '-d', '--init', '-v', `${conf}:/etc/nginx/conf.d:ro`, tag('nginx')]);
    containers.push(nginx);
    const healthy = () => spawnSync('docker', ['exec', nginx, '/bin/sh', '/healthcheck.sh']).status === 0;
    await runUntil(healthy, 'the nginx healthcheck to pass', nginx);
    expect(docker(['exec', nginx, 'nginx', '-t'], true)).toContain('test is successful');
    // A server declared but not listening (nginx not reloaded): unhealthy.
    writeFileSync(join(conf, 'b.conf'), `server {\n    listen ${port + 1};\n    return 204;\n}\n`);
    expect(healthy()).toBe(false);
  });

  it('a second run finds every image present without an engine write', async () => {
    const again = await Engine.connect();
    for (const name of NAMES) {
      expect(await ensureImage(again, { name, image: tag(name) } as never, undefined, { namespace: NS, templatesDir: templates })).toBe('present');
    }
    expect(again.writes).toBe(0);
  });

  it('a changed folder rebuilds that image alone, on the same runtime, and the image it replaced is removed once unused', async () => {
    const before = await engine.image(tag('demo-lms'));
    const inUse = docker(['create', before!.id]); // a container still on the old image
    appendFileSync(join(templates, 'demo-lms', 'server.mjs'), '\n// changed\n');
    const fresh = await Engine.connect();
    const progress: string[] = [];
    expect(await ensureBuiltIn(fresh, tag('demo-lms'), { namespace: NS, templatesDir: templates, onProgress: (t) => progress.push(t) })).toMatchObject({ result: 'built', base: 'host' });
    expect(progress).toEqual([`adding the demo LMS app to it (${tag('demo-lms')})`]); // the runtime is not loaded again
    const after = await fresh.image(tag('demo-lms'));
    expect(after!.id).not.toBe(before!.id);
    expect(docker(['image', 'inspect', '--format', '{{.Id}}', before!.id])).toBe(before!.id); // still used: kept

    docker(['rm', inUse]);
    expect(await removeReplacedImages(fresh, { namespace: NS })).toEqual([before!.id]);
    expect(spawnSync('docker', ['image', 'inspect', before!.id]).status).not.toBe(0);
    expect(ourDangling(NS)).toEqual([]);

    // Unused at rebuild time: removed at once.
    appendFileSync(join(templates, 'demo-lms', 'server.mjs'), '// again\n');
    await ensureBuiltIn(await Engine.connect(), tag('demo-lms'), { namespace: NS, templatesDir: templates });
    expect(spawnSync('docker', ['image', 'inspect', after!.id]).status).not.toBe(0);
    expect(ourDangling(NS)).toEqual([]);
  });

  /** An image of the user's own, with no label at all (docker import of a one-file tar), tagged `ref`. */
  function unlabelledImage(ref: string): string {
    const dir = join(work, `mine-${randomBytes(4).toString('hex')}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'mine.txt'), `not richie-dev's ${ref}\n`);
    const id = execFileSync('docker', ['import', '-', ref], { input: execFileSync('tar', ['-c', '-C', dir, 'mine.txt']), encoding: 'utf8' }).trim();
    expect(docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', id])).toBe('null');
    return id;
  }

  it("an image without richie-dev's label at a built-in tag is never removed when a rebuild takes the tag", async () => {
    // The rebuild of one image over the runtime already loaded (ensureOnHost).
    const mine = unlabelledImage(tag('demo-catalog'));
    try {
      expect(await ensureBuiltIn(await Engine.connect(), tag('demo-catalog'), { namespace: NS, templatesDir: templates, config: { base: 'host' } })).toMatchObject({ result: 'built', base: 'host' });
      expect(docker(['image', 'inspect', '--format', '{{index .Config.Labels "dev.richie.built-in"}}', tag('demo-catalog')])).toBe(`${NS}/demo-catalog`);
      expect(docker(['image', 'inspect', '--format', '{{.Id}}', mine])).toBe(mine); // still there
      // The sweep of replaced images leaves it too.
      await removeReplacedImages(await Engine.connect(), { namespace: NS });
      expect(docker(['image', 'inspect', '--format', '{{.Id}}', mine])).toBe(mine);
    } finally {
      spawnSync('docker', ['rmi', '-f', mine], { stdio: 'ignore' });
    }

    // A first run (the runtime loaded with the images in one archive, ensureRuntime).
    const ns = `${NS}-mine`;
    const theirs = unlabelledImage(tag('demo-lms', ns));
    try {
      expect(await ensureBuiltIn(await Engine.connect(), tag('demo-lms', ns), { namespace: ns, templatesDir: templates, config: { base: 'host' } })).toMatchObject({ result: 'built', base: 'host' });
      expect(docker(['image', 'inspect', '--format', '{{index .Config.Labels "dev.richie.built-in"}}', tag('demo-lms', ns)])).toBe(`${ns}/demo-lms`);
      expect(docker(['image', 'inspect', '--format', '{{.Id}}', theirs])).toBe(theirs);
    } finally {
      spawnSync('docker', ['rmi', '-f', theirs], { stdio: 'ignore' });
      dropNamespace(ns);
    }
  });

  it('Ctrl-C while the runtime is loading leaves no temp file and no image', async () => {
    const ns = `${NS}-abort`;
    const ours = () => readdirSync(tmpdir()).filter((f) => f.startsWith('richie-dev-image-'));
    const before = ours();
    const controller = new AbortController();
    const engine = await Engine.connect(process.env, { signal: controller.signal });
    const run = ensureBuiltIn(engine, tag('demo-catalog', ns), {
      namespace: ns,
      templatesDir: templates,
      config: { base: 'host' },
      onProgress: (text) => text.startsWith("loading this machine's runtime") && setTimeout(() => controller.abort(), 150),
    });
    await expect(run).rejects.toMatchObject({ exitCode: 130 });
    expect(ours()).toEqual(before);
    expect(namespaceImages(ns)).toEqual([]);
  });

  it('over tcp too (a remote engine): the same images, loaded through a TCP relay to the socket', async () => {
    const relay = createServer((client) => {
      const upstream = connect('/var/run/docker.sock');
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    try {
      const ns = `${NS}-tcp`;
      const viaTcp = await Engine.connect({ ...process.env, DOCKER_HOST: `tcp://127.0.0.1:${(relay.address() as { port: number }).port}` });
      expect(await ensureBuiltIn(viaTcp, tag('nginx', ns), { namespace: ns, templatesDir: templates, config: { base: 'host' } })).toMatchObject({ result: 'built', base: 'host' });
      // The same bytes as over the socket: the same layers.
      const layers = (ref: string) => docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', ref]);
      expect(layers(tag('nginx', ns))).toBe(layers(tag('nginx')));
    } finally {
      relay.close();
      dropNamespace(`${NS}-tcp`);
    }
  });

  it('the image config names this machine as the platform', () => {
    expect(docker(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', tag('nginx')])).toBe(`linux/${goArch()}`);
  });
});
