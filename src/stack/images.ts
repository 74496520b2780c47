/**
 * Images: present, else built (a `build:` key, or one of richie-dev's built-in images), else
 * pulled. No registry is needed for the built-ins: they are made from the host's own Node
 * runtime and nginx — the binaries plus the shared libraries `ldd` lists — in a FROM scratch
 * build, tagged with a hash of their inputs so a second run builds nothing.
 */
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { command, run } from '../exec.js';
import { TEMPLATES_DIR } from '../render/engine.js';
import type { ServiceSpec } from './compose.js';
import { stampHash } from './content.js';
import type { Engine } from './engine.js';

export const BUILT_IN = {
  'richie-dev/demo-catalog:latest': 'demo-catalog',
  'richie-dev/demo-lms:latest': 'demo-lms',
  'richie-dev/nginx:latest': 'nginx',
} as const;

const INPUTS_LABEL = 'dev.richie.inputs';

async function libraries(binary: string): Promise<string[]> {
  const { stdout } = await run(command('ldd', [binary]));
  const libs = new Set<string>();
  for (const match of stdout.matchAll(/(\/\S+)/g)) libs.add(match[1]!);
  return [...libs];
}

/** Copy files into a rootfs at the same paths, following symlinks for the loader's sake. */
async function copyInto(rootfs: string, files: string[]): Promise<void> {
  for (const file of files) {
    const target = join(rootfs, file);
    await mkdir(dirname(target), { recursive: true });
    await cp(await realpath(file), target);
  }
}

async function fingerprint(binaries: string[], extra: string[]): Promise<string> {
  const hash = createHash('sha256').update(await stampHash(binaries));
  for (const text of extra) hash.update(text);
  return hash.digest('hex').slice(0, 16);
}

async function templateFiles(name: string): Promise<{ path: string; content: string }[]> {
  const dir = join(TEMPLATES_DIR, 'images', name);
  const names = await readdir(dir);
  return Promise.all(names.map(async (n) => ({ path: join(dir, n), content: await readFile(join(dir, n), 'utf8') })));
}

const MINIMAL_ETC = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  'etc/nsswitch.conf': 'hosts: files dns\n',
};

/** Build (unless already built from the same inputs) one of the built-in images. */
export async function ensureBuiltIn(engine: Engine, tag: keyof typeof BUILT_IN, onProgress?: (text: string) => void): Promise<'present' | 'built'> {
  const name = BUILT_IN[tag];
  const node = process.execPath;
  const nginx = name === 'nginx' ? '/usr/sbin/nginx' : undefined;
  const binaries = [node, ...(nginx ? [nginx] : [])];
  for (const binary of binaries) {
    if (!(await stat(binary).catch(() => undefined))) {
      throw new UserError(`Building ${tag} needs ${binary} on this machine, and it is missing.`, {
        exitCode: ExitCode.missingTool,
        fix: nginx === binary ? 'sudo apt install nginx' : 'Install Node.js 20.',
      });
    }
  }
  const templates = await templateFiles(name);
  const inputs = await fingerprint(binaries, templates.map((t) => `${t.path}\n${t.content}`));
  if ((await engine.image(tag))?.labels[INPUTS_LABEL] === inputs) return 'present';

  onProgress?.(`building ${tag} from this machine's ${nginx ? 'nginx and Node' : 'Node'} runtime`);
  const context = await mkdtemp(join(tmpdir(), 'richie-dev-image-'));
  try {
    const rootfs = join(context, 'rootfs');
    const libs = new Set<string>();
    for (const binary of binaries) for (const lib of await libraries(binary)) libs.add(lib);
    await copyInto(rootfs, [...binaries, ...libs]);
    for (const [path, content] of Object.entries(MINIMAL_ETC)) {
      await mkdir(dirname(join(rootfs, path)), { recursive: true });
      await writeFile(join(rootfs, path), content);
    }
    await mkdir(join(rootfs, 'tmp'), { recursive: true, mode: 0o1777 });
    let dockerfile: string;
    if (nginx) {
      for (const dir of ['var/lib/nginx/body', 'var/log/nginx', 'run', 'etc/nginx/conf.d', 'etc/nginx/ssl']) await mkdir(join(rootfs, dir), { recursive: true });
      await cp('/etc/nginx/mime.types', join(rootfs, 'etc/nginx/mime.types'));
      for (const t of templates) await writeFile(join(rootfs, t.path.endsWith('.conf') ? 'etc/nginx/nginx.conf' : t.path.split('/').pop()!), t.content);
      dockerfile = 'FROM scratch\nCOPY rootfs/ /\nSTOPSIGNAL SIGQUIT\nCMD ["/usr/sbin/nginx", "-g", "daemon off;"]\n';
    } else {
      await mkdir(join(rootfs, 'app'), { recursive: true });
      await mkdir(join(rootfs, 'data'), { recursive: true });
      for (const t of templates) await writeFile(join(rootfs, 'app', t.path.split('/').pop()!), t.content);
      dockerfile = `FROM scratch\nCOPY rootfs/ /\nENV PATH=${dirname(node)}:/usr/bin:/bin PORT=8000\nWORKDIR /app\nEXPOSE 8000\nCMD ["${node}", "/app/server.mjs"]\n`;
    }
    await writeFile(join(context, 'Dockerfile'), dockerfile);
    await engine.build(context, tag, { [INPUTS_LABEL]: inputs, 'dev.richie.built-in': name });
    return 'built';
  } finally {
    await rm(context, { recursive: true, force: true });
  }
}

/** Make a service's image available: present, built, or pulled — or say why not. */
export async function ensureImage(engine: Engine, service: ServiceSpec, onProgress?: (text: string) => void): Promise<'present' | 'built' | 'pulled'> {
  if (service.image in BUILT_IN) return ensureBuiltIn(engine, service.image as keyof typeof BUILT_IN, onProgress);
  if (await engine.image(service.image)) return 'present';
  if (service.build) {
    onProgress?.(`building ${service.image} from ${service.build.context}`);
    await engine.build(service.build.context, service.image, {});
    return 'built';
  }
  try {
    onProgress?.(`pulling ${service.image}`);
    await engine.pull(service.image);
    return 'pulled';
  } catch (error) {
    throw new UserError(`The image ${service.image} (service ${service.name}) is not on this engine and cannot be pulled: ${(error as Error).message}`, {
      fix: `Build or load it ("docker load -i ..."), or set images.${service.name} in richie-dev.config.json to an image you have.`,
    });
  }
}
