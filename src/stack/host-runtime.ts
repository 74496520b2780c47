/**
 * This machine's own Linux runtime as an image layer: its Node binary, nginx, a POSIX shell
 * and grep (for the nginx healthcheck and CMD-SHELL tests), the shared libraries `ldd` lists
 * for them, and the few files and folders they expect. No registry is needed: the files are
 * read where they are and streamed into the layer (see tar.ts), never copied to a temp folder.
 *
 * Node goes to /usr/local/bin/node and nginx to /usr/sbin/nginx, where the official `node` and
 * `nginx` images have them, so one Compose file (`node /app/healthcheck.mjs`, `nginx -t`) works
 * on images built either way (images.ts).
 */
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { command, run } from '../exec.js';
import { writeFileAtomic } from '../fsutil.js';
import { cacheDir } from '../paths.js';
import type { TarEntry } from './tar.js';

/** Bumped when what goes into the layer changes, so every machine rebuilds it. */
const LAYOUT_VERSION = 'runtime-layer-2';

export const IMAGE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Node's process.arch to the names the engine uses: the image config's Go architecture
 * (https://github.com/opencontainers/image-spec/blob/main/config.md, GOARCH values) and the
 * `uname -m` names `/info` reports as Architecture.
 */
const ARCHES: Record<string, { goarch: string; unames: string[] }> = {
  x64: { goarch: 'amd64', unames: ['x86_64', 'amd64'] },
  arm64: { goarch: 'arm64', unames: ['aarch64', 'arm64'] },
  arm: { goarch: 'arm', unames: ['armv7l', 'armv6l', 'armv8l', 'arm'] },
  ia32: { goarch: '386', unames: ['i386', 'i686', 'x86'] },
  ppc64: { goarch: 'ppc64le', unames: ['ppc64le'] },
  s390x: { goarch: 's390x', unames: ['s390x'] },
  riscv64: { goarch: 'riscv64', unames: ['riscv64'] },
};

export function goArch(arch: string = process.arch): string {
  return ARCHES[arch]?.goarch ?? arch;
}

/** Whether binaries of this machine (process.arch) run on an engine reporting `architecture`. */
export function sameArchitecture(engineArchitecture: string, arch: string = process.arch): boolean {
  return (ARCHES[arch]?.unames ?? [arch]).includes(engineArchitecture.toLowerCase());
}

export interface RuntimeParts {
  node?: boolean;
  nginx?: boolean;
  /** /bin/sh and grep: what the nginx healthcheck script runs with. */
  shell?: boolean;
}

export interface HostRuntime {
  /** The layer's entries, sorted, folders before their contents. */
  entries: TarEntry[];
  /** A hash of what the layer holds (each file's path, size and modification time). */
  fingerprint: string;
  /** What went in, for the image history: "node v20.19.0, nginx, sh, grep". */
  description: string;
  /**
   * What the fingerprint stands for, for the up record: the files stamped (the binaries, the
   * loader's cache and preload list, every file taken) and the variables ldd's answer depends on.
   */
  read: { stamped: string[]; variables: string[] };
}

const MINIMAL_ETC: Record<string, string> = {
  'etc/passwd': 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
  'etc/group': 'root:x:0:\nnogroup:x:65534:\n',
  // Names resolve through /etc/hosts (which Docker writes) then DNS: glibc reads this file.
  'etc/nsswitch.conf': 'hosts: files dns\n',
};

/** Folders nginx (Debian's build) and the apps expect; /tmp is world-writable and sticky. */
const DIRS: Record<string, number> = {
  tmp: 0o1777,
  data: 0o755,
  run: 0o755,
  'var/lib/nginx/body': 0o755,
  'var/log/nginx': 0o755,
  'etc/nginx/conf.d': 0o755,
  'etc/nginx/ssl': 0o755,
};

async function which(names: string[]): Promise<string | undefined> {
  for (const name of names) if (await stat(name).catch(() => undefined)) return name;
  return undefined;
}

/** The shared libraries the binaries load, as `ldd` prints them (the loader included): one ldd for all. */
async function lddLibraries(binaries: readonly string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  // A statically linked binary makes ldd say "not a dynamic executable" and exit 1: it needs no library.
  const { stdout } = await run(command('ldd', binaries), { reject: false, env });
  const libs = new Set<string>();
  for (const line of stdout.split('\n')) {
    // With several files, ldd heads each list with "/usr/bin/node:" (unindented): not a library.
    if (!/^\s/.test(line)) continue;
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" and "/lib64/ld-linux-x86-64.so.2 (0x...)"
    for (const match of line.matchAll(/(\/\S+)/g)) libs.add(match[1]!);
  }
  return [...libs];
}

/** The loader's cache (ldconfig rewrites it whenever a library is installed or removed) and preload list. */
const LOADER_FILES = ['/etc/ld.so.cache', '/etc/ld.so.preload'];
/** The variables ldd honours (ld.so(8)). */
const LOADER_VARIABLES = ['LD_LIBRARY_PATH', 'LD_PRELOAD'];

/** What ldd's answer depends on: the binaries themselves, the loader's files and its variables. */
async function librariesKey(binaries: readonly string[], env: NodeJS.ProcessEnv): Promise<string> {
  const stamp = async (path: string) => {
    const info = await stat(path).catch(() => undefined);
    return info ? `${path}\0${info.ino}\0${info.size}\0${info.mtimeMs}` : `${path}\0none`;
  };
  const files = await Promise.all([...binaries, ...LOADER_FILES].map(stamp));
  return createHash('sha256')
    .update([LAYOUT_VERSION, process.arch, ...LOADER_VARIABLES.map((name) => `${name}=${env[name] ?? ''}`), ...files].join('\n'))
    .digest('hex');
}

/**
 * ldd's answer, remembered in the user's cache dir under the key above: running it (a script
 * that starts the loader a few times per binary) and loading execa to do so were about 0.1 s
 * of every full run. Another key, a cache file that does not parse, or a remembered library
 * that is gone runs ldd again; the cache is never needed, so failing to write it is no error.
 */
async function libraries(binaries: readonly string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const file = join(cacheDir(env), 'runtime-libraries.json');
  const key = await librariesKey(binaries, env);
  const cached = await readFile(file, 'utf8')
    .then((text) => JSON.parse(text) as { key?: unknown; libraries?: unknown })
    .catch(() => undefined);
  const list = cached?.key === key && Array.isArray(cached.libraries) && cached.libraries.every((l) => typeof l === 'string' && l.startsWith('/')) ? (cached.libraries as string[]) : undefined;
  if (list && (await Promise.all(list.map((lib) => stat(lib).then(() => true, () => false)))).every(Boolean)) return list;
  const found = await lddLibraries(binaries, env);
  await writeFileAtomic(file, `${JSON.stringify({ key, libraries: found })}\n`).catch(() => undefined);
  return found;
}

/** Which of this machine's files make the runtime: image path → host path. */
async function hostFiles(parts: RuntimeParts, env: NodeJS.ProcessEnv): Promise<{ files: Map<string, string>; description: string[] }> {
  const files = new Map<string, string>();
  const description: string[] = [];
  const binaries: string[] = [];
  if (parts.node) {
    files.set('usr/local/bin/node', process.execPath);
    binaries.push(process.execPath);
    description.push(`node ${process.version}`);
  }
  if (parts.nginx) {
    const nginx = await which(['/usr/sbin/nginx']);
    // nginx.conf includes mime.types, which Debian ships in nginx-common.
    if (!nginx || !(await which(['/etc/nginx/mime.types']))) {
      throw new UserError("Building richie-dev's nginx image from this machine's runtime needs /usr/sbin/nginx and /etc/nginx/mime.types, and one is missing.", {
        exitCode: ExitCode.missingTool,
        fix: 'sudo apt install nginx (or set "images": { "base": "registry" } in richie-dev.config.json to build on the official nginx image)',
      });
    }
    files.set('usr/sbin/nginx', nginx);
    files.set('etc/nginx/mime.types', '/etc/nginx/mime.types');
    binaries.push(nginx);
    description.push('nginx');
  }
  if (parts.shell) {
    const sh = await which(['/bin/sh', '/usr/bin/sh']);
    const grep = await which(['/usr/bin/grep', '/bin/grep']);
    if (!sh || !grep) throw new UserError('This machine has no /bin/sh or grep to put in the runtime image.', { exitCode: ExitCode.missingTool, fix: 'Install dash and grep.' });
    files.set('bin/sh', sh);
    files.set('usr/bin/grep', grep);
    binaries.push(sh, grep);
    description.push('sh', 'grep');
  }
  if (binaries.length) {
    try {
      for (const lib of await libraries(binaries, env)) files.set(lib.replace(/^\/+/, ''), lib);
    } catch (error) {
      throw new UserError(`Cannot list the libraries of this machine's ${description.join(', ')} with ldd: ${(error as Error).message}`, {
        exitCode: ExitCode.missingTool,
        fix: 'Install ldd (Debian: libc-bin), or set "images": { "base": "registry" } in richie-dev.config.json.',
        cause: error,
      });
    }
  }
  return { files, description };
}

/**
 * The runtime layer's entries and fingerprint. Files are taken by content (symlinks followed:
 * the loader looks libraries up by the names ldd printed), and each is stat'ed once, so the
 * fingerprint and the layer describe the same bytes.
 */
export async function hostRuntime(parts: RuntimeParts, options: { env?: NodeJS.ProcessEnv } = {}): Promise<HostRuntime> {
  const { files, description } = await hostFiles(parts, options.env ?? process.env);
  const entries = new Map<string, TarEntry>();
  const addDirs = (path: string) => {
    for (let dir = dirname(path); dir !== '.' && dir !== '/'; dir = dirname(dir)) if (!entries.has(dir)) entries.set(dir, { type: 'dir', path: dir });
  };
  const hash = createHash('sha256').update(`${LAYOUT_VERSION}\n${process.arch}\n`);
  const stamped = await Promise.all(
    [...files].map(async ([path, host]) => {
      const source = await realpath(host);
      const info = await stat(source);
      return { path, source, info };
    }),
  );
  for (const { path, source, info } of stamped) {
    addDirs(path);
    entries.set(path, { type: 'file', path, source, size: info.size, mode: info.mode & 0o111 ? 0o755 : 0o644 });
    hash.update(`${path}\0${source}\0${info.size}\0${info.mtimeMs}\n`);
  }
  if (parts.node || parts.shell) {
    for (const [path, content] of Object.entries(MINIMAL_ETC)) {
      addDirs(path);
      entries.set(path, { type: 'file', path, data: Buffer.from(content) });
      hash.update(`${path}\0${content}\n`);
    }
    for (const [path, mode] of Object.entries(DIRS)) {
      if (!parts.nginx && path.includes('nginx')) continue;
      addDirs(path);
      entries.set(path, { type: 'dir', path, mode });
      hash.update(`${path}\0${mode}\n`);
    }
  }
  const stampedPaths = new Set([...files.values(), ...stamped.map((s) => s.source), ...(files.size ? LOADER_FILES : [])]);
  return {
    entries: [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)),
    fingerprint: hash.digest('hex').slice(0, 16),
    description: description.join(', '),
    read: { stamped: [...stampedPaths].sort(), variables: files.size ? LOADER_VARIABLES : [] },
  };
}
