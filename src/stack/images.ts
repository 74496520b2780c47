/**
 * Images: present, else built (a `build:` key, or one of richie-dev's built-in images), else
 * pulled.
 *
 * The built-in images (the demo catalog, the demo LMS, nginx) are thin layers over one base:
 *
 * - **host** (the default on Linux when the engine runs this machine's architecture): a
 *   `richie-dev/runtime:<fingerprint>` image made of this machine's own Node, nginx, sh and
 *   grep with their libraries (host-runtime.ts). It is loaded once (`POST /images/load`,
 *   together with the built-in images in one archive on a first run) and every built-in
 *   image shares its layer, so the Node runtime is sent once; each built-in image adds only
 *   its template folder. The archives are streamed straight from
 *   the files: nothing is copied to a temp folder, so Ctrl-C leaves nothing behind.
 * - **registry** (`images.base: "registry"`, or automatically when this machine is not Linux
 *   or the engine's `/info` Architecture is another one — Docker Desktop on macOS and Windows,
 *   a remote engine on another CPU): the official `node` and `nginx` images (`images.nodeBase`,
 *   `images.nginxBase`), pulled from `images.registry` / `$RICHIE_DEV_REGISTRY` (Docker Hub
 *   when neither is set), with the template folder added by a two-line Dockerfile.
 *
 * Each image carries a hash of its inputs in a label, so a second run builds nothing; an
 * image a rebuild replaced is removed (when no container still uses it, else on a later run).
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.js';
import { variable, type Inputs } from '../inputs.js';
import type { ServiceSpec } from './compose.js';
import type { Engine } from './engine.js';
import { goArch, hostRuntime, IMAGE_PATH, sameArchitecture, type HostRuntime } from './host-runtime.js';
import { hashing, lazyTarStream, tarChunks, tarSize, tarStream, type LazyMember, type TarEntry } from './tar.js';

/**
 * The built-in images' build contexts (templates/images/): the stack's own files, found the
 * way stack/context.ts finds the stack file (two levels below the package root, from src/ and
 * from dist/bin/ alike), not through the render engine, which only renders settings.
 */
export const IMAGE_TEMPLATES_DIR = fileURLToPath(new URL('../../templates/images', import.meta.url));

/** The built-in images under richie-dev's own namespace, and their template folders. */
export const BUILT_IN = {
  'richie-dev/demo-catalog:latest': 'demo-catalog',
  'richie-dev/demo-lms:latest': 'demo-lms',
  'richie-dev/nginx:latest': 'nginx',
  'richie-dev/demo-keycloak:latest': 'demo-keycloak',
  // The Joanie stand-in (config `joanie`, stack/joanie.ts).
  'richie-dev/demo-joanie:latest': 'demo-joanie',
} as const;

export type BuiltInName = (typeof BUILT_IN)[keyof typeof BUILT_IN];

/** Labels richie-dev puts on the images it builds (and the only images it ever removes). */
export const IMAGE_LABEL = {
  /** `<namespace>/<name>`: richie-dev/demo-catalog, richie-dev/runtime. */
  builtIn: 'dev.richie.built-in',
  /** A hash of everything the image was made from. */
  inputs: 'dev.richie.inputs',
  /** On a runtime image: its layer's diff id, which the thin images name. */
  layer: 'dev.richie.layer',
  /** host or registry. */
  base: 'dev.richie.base',
} as const;

export type BaseMode = 'auto' | 'host' | 'registry';

/** The `images` keys of richie-dev.config.json that choose the base (README, Configuration). */
export interface BaseConfig {
  base?: BaseMode | undefined;
  registry?: string | undefined;
  nodeBase?: string | undefined;
  nginxBase?: string | undefined;
}

export const DEFAULT_BASES = { nodeBase: 'node:20-alpine', nginxBase: 'nginx:alpine' } as const;

export interface ImageOptions {
  /** The project's `images` config; the defaults are auto, Docker Hub, node:20-alpine, nginx:alpine. */
  config?: BaseConfig | undefined;
  /** Where RICHIE_DEV_REGISTRY is read (default process.env). */
  env?: NodeJS.ProcessEnv | undefined;
  onProgress?: ((text: string) => void) | undefined;
  /** The repository namespace of built-in images, "richie-dev": tests use their own, so they never touch the shared tags. */
  namespace?: string | undefined;
  /** Where the built-in images' folders are (default templates/images). */
  templatesDir?: string | undefined;
  /** The up record's (run): told the template files, the runtime files stamped and the variables read. */
  inputs?: Inputs | undefined;
}

export interface BuiltInResult {
  result: 'present' | 'built';
  base: 'host' | 'registry';
  /** Why the registry base was chosen, when it was not asked for. */
  reason?: string;
  /**
   * Every template file the image is made from (absolute paths, subfolders included): what an
   * up record must hash to notice a changed image without asking the engine.
   */
  sources: string[];
}

/** "richie-dev/demo-lms:latest" → "demo-lms" for the namespace given, else undefined. */
export function builtInName(ref: string, namespace = 'richie-dev'): BuiltInName | undefined {
  const match = /^([^:]+)\/([^/:]+):latest$/.exec(ref);
  if (!match || match[1] !== namespace) return undefined;
  return (Object.values(BUILT_IN) as string[]).includes(match[2]!) ? (match[2] as BuiltInName) : undefined;
}

const builtInTag = (namespace: string, name: BuiltInName) => `${namespace}/${name}:latest`;

// ---- template folders ---------------------------------------------------------------------

export interface TemplateFile {
  /** Relative to the image's folder, with forward slashes. */
  path: string;
  data: Buffer;
  executable: boolean;
}

/** Every file of a built-in image's folder, subfolders included, as bytes (bundles, images). */
export async function templateFiles(dir: string): Promise<TemplateFile[]> {
  const names = (await readdir(dir, { recursive: true })) as string[];
  const files = await Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      const info = await stat(path); // follows symlinks: the image gets the content
      if (!info.isFile()) return undefined;
      return { path: relative(dir, path).split(sep).join('/'), data: await readFile(path), executable: (info.mode & 0o111) !== 0 };
    }),
  );
  return files.filter((f) => f !== undefined).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function hashFiles(hash: ReturnType<typeof createHash>, files: readonly TemplateFile[]): void {
  for (const file of files) hash.update(`${file.path}\0${file.executable ? 'x' : '-'}\0${file.data.length}\0`).update(file.data);
}

/** Where each built-in image puts its folder, and how it runs. */
const SPECS: Record<BuiltInName, { dest: string; describe: string }> = {
  'demo-catalog': { dest: 'app', describe: 'the demo catalog app' },
  'demo-lms': { dest: 'app', describe: 'the demo LMS app' },
  'demo-keycloak': { dest: 'app', describe: 'the Keycloak stand-in' },
  'demo-joanie': { dest: 'app', describe: 'the demo Joanie app' },
  // The nginx folder is laid out as the image's filesystem: etc/nginx/nginx.conf, healthcheck.sh.
  nginx: { dest: '', describe: 'nginx.conf and the healthcheck' },
};

/** The image config (the part of the OCI config Docker calls "config") a built-in runs with. */
function runConfig(name: BuiltInName): Record<string, unknown> {
  if (name === 'nginx') {
    // As the official nginx image: stop with SIGQUIT (graceful), run in the foreground.
    return { Env: [`PATH=${IMAGE_PATH}`], Cmd: ['nginx', '-g', 'daemon off;'], StopSignal: 'SIGQUIT' };
  }
  return { Env: [`PATH=${IMAGE_PATH}`, 'PORT=8000'], Cmd: ['node', '/app/server.mjs'], WorkingDir: '/app', ExposedPorts: { '8000/tcp': {} } };
}

function layerEntries(name: BuiltInName, files: readonly TemplateFile[]): TarEntry[] {
  const { dest } = SPECS[name];
  const entries = new Map<string, TarEntry>();
  for (const file of files) {
    const path = dest ? `${dest}/${file.path}` : file.path;
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!entries.has(dir)) entries.set(dir, { type: 'dir', path: dir });
    }
    entries.set(path, { type: 'file', path, data: file.data, mode: file.executable ? 0o755 : 0o644 });
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

// ---- choosing the base ----------------------------------------------------------------------

/** A base image reference on the configured registry: "node:20-alpine" → "HOST/library/node:20-alpine". */
export function onRegistry(ref: string, registry: string | undefined): string {
  if (!registry) return ref;
  const first = ref.split('/')[0]!;
  // Docker's rule: the first component names a registry when it has a dot or a port, or is localhost
  // (https://github.com/distribution/reference/blob/main/normalize.go, splitDockerDomain).
  if (ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost')) return ref;
  return `${registry.replace(/\/+$/, '')}/${ref.includes('/') ? ref : `library/${ref}`}`;
}

function registryRefs(options: ImageOptions): { node: string; nginx: string; registry: string } {
  const env = options.env ?? process.env;
  const registry = variable(env, 'RICHIE_DEV_REGISTRY', options.inputs) || options.config?.registry || undefined;
  return {
    node: onRegistry(options.config?.nodeBase ?? DEFAULT_BASES.nodeBase, registry),
    nginx: onRegistry(options.config?.nginxBase ?? DEFAULT_BASES.nginxBase, registry),
    registry: registry ?? 'Docker Hub',
  };
}

/**
 * Why this machine's runtime cannot run on the engine, or undefined when it can: Docker Desktop
 * on macOS and Windows runs Linux containers in a VM (the host's node is a Mach-O or PE
 * binary), and a remote engine may run another CPU.
 */
export function whyNotHost(platform: string, engine: { osType: string; architecture: string }, arch: string = process.arch): string | undefined {
  if (platform !== 'linux') return `this machine runs ${platform}, and the engine runs Linux containers`;
  if (engine.osType && engine.osType !== 'linux') return `the engine runs ${engine.osType} containers`;
  if (engine.architecture && !sameArchitecture(engine.architecture, arch)) return `the engine runs ${engine.architecture} and this machine's Node is ${arch}`;
  return undefined;
}

async function hostUnusable(engine: Engine): Promise<string | undefined> {
  if (process.platform !== 'linux') return whyNotHost(process.platform, { osType: '', architecture: '' });
  return whyNotHost(process.platform, await engine.info());
}

// ---- per engine, once per command --------------------------------------------------------------

interface EngineState {
  runtime: Map<string, Promise<RuntimeBase>>;
  hostRuntime: Map<string, Promise<HostRuntime>>;
  unusable?: Promise<string | undefined>;
  pulls: Map<string, Promise<void>>;
  swept: Set<string>;
  /** Tags this command loaded along with a runtime: "built" to whoever asks for them next. */
  made: Set<string>;
}
const perEngine = new WeakMap<Engine, EngineState>();
function state(engine: Engine): EngineState {
  let s = perEngine.get(engine);
  if (!s) perEngine.set(engine, (s = { runtime: new Map(), hostRuntime: new Map(), pulls: new Map(), swept: new Set(), made: new Set() }));
  return s;
}

const RUNTIME_PARTS = { node: true, nginx: true, shell: true } as const;

/**
 * Start reading this machine's runtime (a stat of each file, and ldd when its answer is not
 * cached: ~0.15 s then) for the built-in images, so it overlaps the work before the images
 * are checked; their check then finds it done. Linux only.
 */
export function warmHostRuntime(engine: Engine, env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform === 'linux') hostRuntimeOnce(engine, 'richie-dev', env).catch(() => undefined);
}

/** Read once per command (the command's env: where ldd's answer is cached, the LD_ variables). */
function hostRuntimeOnce(engine: Engine, namespace: string, env: NodeJS.ProcessEnv = process.env): Promise<HostRuntime> {
  const s = state(engine);
  let found = s.hostRuntime.get(namespace);
  if (!found) s.hostRuntime.set(namespace, (found = hostRuntime(RUNTIME_PARTS, { env })));
  return found;
}

// ---- docker save archives ------------------------------------------------------------------------

/** Reproducible images: every date is the epoch (https://reproducible-builds.org/docs/source-date-epoch/). */
const EPOCH = '1970-01-01T00:00:00Z';

export interface ImageToLoad {
  tag: string;
  config: Record<string, unknown>;
  /** Given the layers' diff ids, known once they are streamed (a runtime names its own). */
  labels: Record<string, string> | ((diffIds: string[]) => Record<string, string>);
  /** Layers bottom first: `present` ones the engine already has (by diff id) are not sent. */
  layers: ({ present: string; history: string } | { entries: readonly TarEntry[]; history: string })[];
}

/**
 * One `docker save` archive (https://github.com/moby/moby/blob/master/image/spec/v1.2.md,
 * "Combined Image JSON + Filesystem Changeset Format") for several images; a layer (the same
 * entries array) several of them share is sent once. A layer the engine
 * already has is named in the config and the manifest but not sent: `docker load` looks each
 * layer up by its chain id first and opens the file only when the layer is missing
 * (moby image/tarexport/load.go, Load). Layers are streamed and hashed on the way; the configs,
 * which name the hashes, come after them.
 */
export function saveArchive(images: readonly ImageToLoad[]): { stream: NodeJS.ReadableStream } {
  const members: LazyMember[] = [];
  const digests = new Map<string, () => string>(); // layer member path → its diff id, once streamed
  const sent = new Map<readonly TarEntry[], string>(); // a layer several images share is sent once
  const layerPaths: string[][] = [];
  let n = 0;
  for (const image of images) {
    const paths: string[] = [];
    for (const layer of image.layers) {
      const again = 'entries' in layer ? sent.get(layer.entries) : undefined;
      if (again) {
        paths.push(again);
        continue;
      }
      const path = `layer${n++}/layer.tar`;
      paths.push(path);
      if ('present' in layer) {
        digests.set(path, () => layer.present);
        continue;
      }
      sent.set(layer.entries, path);
      let digest: (() => string) | undefined;
      members.push({
        path,
        size: tarSize(layer.entries),
        body: () => {
          const h = hashing(tarChunks(layer.entries));
          digest = h.digest;
          return h.chunks;
        },
      });
      digests.set(path, () => digest!());
    }
    layerPaths.push(paths);
  }
  images.forEach((image, i) => {
    members.push({
      path: `config${i}.json`,
      data: () => {
        const diffIds = layerPaths[i]!.map((p) => digests.get(p)!());
        const config = {
          architecture: goArch(),
          os: 'linux',
          created: EPOCH,
          config: { ...image.config, Labels: typeof image.labels === 'function' ? image.labels(diffIds) : image.labels },
          rootfs: { type: 'layers', diff_ids: diffIds },
          history: image.layers.map((l) => ({ created: EPOCH, created_by: l.history })),
        };
        return Buffer.from(JSON.stringify(config));
      },
    });
  });
  members.push({
    path: 'manifest.json',
    data: () => Buffer.from(JSON.stringify(images.map((image, i) => ({ Config: `config${i}.json`, RepoTags: [image.tag], Layers: layerPaths[i] })))),
  });
  return { stream: lazyTarStream(members) };
}

// ---- host base ---------------------------------------------------------------------------------

interface RuntimeBase {
  tag: string;
  diffId: string;
  runtime: HostRuntime;
}

/** A built-in image as a layer over the runtime (the runtime layer sent along, or named only). */
function thinImage(namespace: string, name: BuiltInName, inputs: string, files: readonly TemplateFile[], runtime: { tag: string; layer: string | readonly TarEntry[] }): ImageToLoad {
  const history = `richie-dev runtime ${runtime.tag}`;
  return {
    tag: builtInTag(namespace, name),
    config: runConfig(name),
    labels: { [IMAGE_LABEL.builtIn]: `${namespace}/${name}`, [IMAGE_LABEL.inputs]: inputs, [IMAGE_LABEL.base]: 'host' },
    layers: [
      typeof runtime.layer === 'string' ? { present: runtime.layer, history } : { entries: runtime.layer, history },
      { entries: layerEntries(name, files), history: `richie-dev ${name}: ${SPECS[name].describe}` },
    ],
  };
}

/**
 * richie-dev/runtime:<fingerprint>: loaded once per machine (per runtime) and shared by every
 * built-in image. When it must be loaded (a first run, a new Node), the built-in images that
 * are not current go in the same archive, which sends the runtime layer once for all of them.
 */
function ensureRuntime(engine: Engine, namespace: string, templatesRoot: string, onProgress?: (text: string) => void): Promise<RuntimeBase> {
  const s = state(engine);
  const key = `${namespace}\0${templatesRoot}`;
  let found = s.runtime.get(key);
  if (!found) {
    found = (async () => {
      const runtime = await hostRuntimeOnce(engine, namespace);
      const tag = `${namespace}/runtime:${runtime.fingerprint}`;
      const existing = await engine.image(tag);
      const known = existing?.labels[IMAGE_LABEL.layer];
      if (known && existing.labels[IMAGE_LABEL.inputs] === runtime.fingerprint) return { tag, diffId: known, runtime };

      const thin = (
        await Promise.all(
          (Object.values(BUILT_IN) as BuiltInName[]).map(async (name) => {
            const files = await templateFiles(join(templatesRoot, name));
            const inputs = hostInputs(runtime, name, files);
            const previous = await engine.image(builtInTag(namespace, name));
            return previous?.labels[IMAGE_LABEL.inputs] === inputs ? undefined : { name, files, inputs, previous: previous?.id };
          }),
        )
      ).filter((t) => t !== undefined);
      onProgress?.(`loading this machine's runtime (${runtime.description}) into the engine, once for every built-in image${thin.length ? `, with ${thin.map((t) => t.name).join(', ')}` : ''}`);
      let diffId = '';
      const labels = (ids: string[]) => {
        diffId = ids[0]!;
        return { [IMAGE_LABEL.builtIn]: `${namespace}/runtime`, [IMAGE_LABEL.inputs]: runtime.fingerprint, [IMAGE_LABEL.layer]: diffId, [IMAGE_LABEL.base]: 'host' };
      };
      const history = `richie-dev runtime: this machine's ${runtime.description} and their libraries`;
      const images: ImageToLoad[] = [
        { tag, config: { Env: [`PATH=${IMAGE_PATH}`] }, labels, layers: [{ entries: runtime.entries, history }] },
        ...thin.map((t) => thinImage(namespace, t.name, t.inputs, t.files, { tag, layer: runtime.entries })),
      ];
      await engine.load(saveArchive(images).stream, images.map((i) => i.tag));
      for (const t of thin) await removeReplaced(engine, t.previous, builtInTag(namespace, t.name), namespace);
      for (const t of thin) s.made.add(builtInTag(namespace, t.name));
      return { tag, diffId, runtime };
    })();
    found.catch(() => s.runtime.delete(key));
    s.runtime.set(key, found);
  }
  return found;
}

function hostInputs(runtime: HostRuntime, name: BuiltInName, files: readonly TemplateFile[]): string {
  const hash = createHash('sha256').update(`host\n${runtime.fingerprint}\n${JSON.stringify(runConfig(name))}\n`);
  hashFiles(hash, files);
  return hash.digest('hex').slice(0, 16);
}

async function ensureOnHost(engine: Engine, name: BuiltInName, namespace: string, templatesRoot: string, files: readonly TemplateFile[], onProgress?: (text: string) => void): Promise<'present' | 'built'> {
  const tag = builtInTag(namespace, name);
  const runtime = await hostRuntimeOnce(engine, namespace);
  const inputs = hostInputs(runtime, name, files);
  const existing = await engine.image(tag);
  if (existing?.labels[IMAGE_LABEL.inputs] === inputs) return state(engine).made.has(tag) ? 'built' : 'present';

  const base = await ensureRuntime(engine, namespace, templatesRoot, onProgress);
  if ((await engine.image(tag))?.labels[IMAGE_LABEL.inputs] === inputs) return 'built'; // it came with the runtime
  onProgress?.(`adding ${SPECS[name].describe} to it (${tag})`);
  try {
    await engine.load(saveArchive([thinImage(namespace, name, inputs, files, { tag: base.tag, layer: base.diffId })]).stream, [tag]);
  } catch (error) {
    // The runtime image was removed since it was inspected (another project's cleanup, a user's
    // `docker rmi`): send its layer along this time.
    if (!/no such file|layer\.tar/i.test((error as Error).message)) throw error;
    await engine.load(saveArchive([thinImage(namespace, name, inputs, files, { tag: base.tag, layer: base.runtime.entries })]).stream, [tag]);
  }
  await removeReplaced(engine, existing?.id, tag, namespace);
  return 'built';
}

// ---- registry base ---------------------------------------------------------------------------

function dockerfile(name: BuiltInName, refs: { node: string; nginx: string }): string {
  if (name === 'nginx') return `FROM ${refs.nginx}\nCOPY rootfs/ /\n`;
  return `FROM ${refs.node}\nCOPY app/ /app/\nWORKDIR /app\nENV PORT=8000\nEXPOSE 8000\nCMD ["node", "/app/server.mjs"]\n`;
}

async function ensurePulled(engine: Engine, ref: string, registry: string, onProgress?: (text: string) => void): Promise<void> {
  const s = state(engine);
  let found = s.pulls.get(ref);
  if (!found) {
    found = (async () => {
      if (await engine.image(ref)) return;
      onProgress?.(`pulling ${ref}`);
      try {
        await engine.pull(ref);
      } catch (error) {
        throw new UserError(`The base image ${ref} cannot be pulled from ${registry}: ${(error as Error).message}`, {
          fix: 'Set "images": { "registry": "HOST:PORT" } in richie-dev.config.json (or RICHIE_DEV_REGISTRY) to a registry that has it, or "nodeBase" / "nginxBase" to images you have.',
          cause: error,
        });
      }
    })();
    found.catch(() => s.pulls.delete(ref));
    s.pulls.set(ref, found);
  }
  return found;
}

async function ensureOnRegistry(engine: Engine, name: BuiltInName, options: ImageOptions, files: readonly TemplateFile[]): Promise<'present' | 'built'> {
  const namespace = options.namespace ?? 'richie-dev';
  const tag = builtInTag(namespace, name);
  const refs = registryRefs(options);
  const text = dockerfile(name, refs);
  const hash = createHash('sha256').update(`registry\n${text}\n`);
  hashFiles(hash, files);
  const inputs = hash.digest('hex').slice(0, 16);
  const existing = await engine.image(tag);
  if (existing?.labels[IMAGE_LABEL.inputs] === inputs) return 'present';

  await ensurePulled(engine, name === 'nginx' ? refs.nginx : refs.node, refs.registry, options.onProgress);
  options.onProgress?.(`building ${tag} on ${name === 'nginx' ? refs.nginx : refs.node}`);
  // The context: the Dockerfile and the folder it copies: app/ as in the layer, or nginx's
  // filesystem overlay under rootfs/.
  const layer = layerEntries(name, files);
  const context: TarEntry[] = [
    { type: 'file', path: 'Dockerfile', data: Buffer.from(text) },
    ...(name === 'nginx' ? [{ type: 'dir' as const, path: 'rootfs' }, ...layer.map((e) => ({ ...e, path: `rootfs/${e.path}` }))] : layer),
  ];
  context.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  await engine.buildArchive(tarStream(context), tag, { [IMAGE_LABEL.builtIn]: `${namespace}/${name}`, [IMAGE_LABEL.inputs]: inputs, [IMAGE_LABEL.base]: 'registry' });
  await removeReplaced(engine, existing?.id, tag, namespace);
  return 'built';
}

// ---- cleaning up -------------------------------------------------------------------------------

/**
 * Whether labels say richie-dev built the image, for this namespace (tests use their own).
 * Images built before the namespace was part of the label carry the bare name.
 */
function ownedBy(labels: Record<string, string>, namespace: string): boolean {
  const owner = labels[IMAGE_LABEL.builtIn] ?? '';
  return owner.startsWith(`${namespace}/`) || (namespace === 'richie-dev' && owner !== '' && !owner.includes('/'));
}

/**
 * Remove an image only when the engine, asked right before, says it carries richie-dev's
 * label: the README promises that an image without it is never removed (a user's own image
 * tagged richie-dev/demo-lms:latest stays when a rebuild takes the tag). Removal by id cannot
 * hit another image than the one inspected (an id is the hash of the config, labels included).
 */
async function removeOwnImage(engine: Engine, ref: string, namespace: string): Promise<boolean> {
  const now = await engine.imageNow(ref);
  if (!now || !ownedBy(now.labels, namespace)) return false;
  await engine.removeImage(ref);
  return true;
}

/** Remove the image a tag pointed to before a rebuild, unless a container still uses it or it is not ours. */
async function removeReplaced(engine: Engine, previousId: string | undefined, tag: string, namespace: string): Promise<void> {
  if (!previousId) return;
  const now = await engine.image(tag);
  if (now?.id === previousId) return;
  await removeOwnImage(engine, previousId, namespace).catch(() => false); // in use: a later sweep removes it
}

/**
 * Remove built-in images of this namespace that nothing names any more: untagged ones (replaced
 * by a rebuild while a container still used them) and runtime images of an older runtime. Only
 * images carrying richie-dev's label are looked at, and the label is checked again right before
 * each removal; one still used by a container stays.
 */
export async function removeReplacedImages(engine: Engine, options: { namespace?: string; keep?: readonly string[] } = {}): Promise<string[]> {
  const namespace = options.namespace ?? 'richie-dev';
  const removed: string[] = [];
  for (const image of await engine.imagesLabelled(IMAGE_LABEL.builtIn)) {
    if (!ownedBy(image.labels, namespace)) continue;
    const owner = image.labels[IMAGE_LABEL.builtIn];
    const stale = image.tags.length === 0 || (owner === `${namespace}/runtime` && options.keep !== undefined && !image.tags.some((t) => options.keep!.includes(t)));
    if (!stale) continue;
    const ref = image.tags[0] ?? image.id;
    if (await removeOwnImage(engine, ref, namespace).catch(() => false)) removed.push(ref);
  }
  return removed;
}

// ---- entry points -----------------------------------------------------------------------------

/** Build (unless already built from the same inputs) one of the built-in images. */
export async function ensureBuiltIn(engine: Engine, tag: string, options: ImageOptions = {}): Promise<BuiltInResult> {
  const namespace = options.namespace ?? 'richie-dev';
  const name = builtInName(tag, namespace);
  if (!name) throw new Error(`${tag} is not one of richie-dev's built-in images`);
  const templatesRoot = options.templatesDir ?? IMAGE_TEMPLATES_DIR;
  const dir = join(templatesRoot, name);
  const files = await templateFiles(dir);
  const sources = files.map((f) => join(dir, f.path));
  if (options.inputs) {
    options.inputs.dir(dir);
    for (const source of sources) options.inputs.file(source);
  }
  const mode = options.config?.base ?? 'auto';
  let reason: string | undefined;
  if (mode === 'auto') {
    // Decided once per command, and only when an image must be made: a re-run finds its
    // images by their inputs without asking the engine what it runs.
    const s = state(engine);
    if (process.platform === 'linux') {
      // Read this machine's runtime (ldd, stat) while the engine is asked what it runs.
      hostRuntimeOnce(engine, namespace, options.env).catch(() => undefined);
      const hostInputsMatch = await hostImageCurrent(engine, name, namespace, files);
      if (hostInputsMatch) {
        await noteRuntime(engine, namespace, options);
        return { result: s.made.has(tag) ? 'built' : 'present', base: 'host', sources };
      }
    }
    s.unusable ??= hostUnusable(engine);
    reason = await s.unusable;
  }
  const useRegistry = mode === 'registry' || reason !== undefined;
  const result = useRegistry ? await ensureOnRegistry(engine, name, options, files) : await ensureOnHost(engine, name, namespace, templatesRoot, files, options.onProgress);
  if (!useRegistry) await noteRuntime(engine, namespace, options);
  await sweepOnce(engine, namespace);
  return { result, base: useRegistry ? 'registry' : 'host', ...(reason ? { reason } : {}), sources };
}

/** An image made on this machine's runtime: the runtime's files and variables are the up record's inputs. */
async function noteRuntime(engine: Engine, namespace: string, options: ImageOptions): Promise<void> {
  if (!options.inputs) return;
  const runtime = await hostRuntimeOnce(engine, namespace, options.env);
  for (const path of runtime.read.stamped) options.inputs.looked(path);
  for (const name of runtime.read.variables) options.inputs.env(name);
}

async function hostImageCurrent(engine: Engine, name: BuiltInName, namespace: string, files: readonly TemplateFile[]): Promise<boolean> {
  const existing = await engine.image(builtInTag(namespace, name));
  if (existing?.labels[IMAGE_LABEL.base] !== 'host') return false;
  return existing.labels[IMAGE_LABEL.inputs] === hostInputs(await hostRuntimeOnce(engine, namespace), name, files);
}

async function sweepOnce(engine: Engine, namespace: string): Promise<void> {
  const s = state(engine);
  if (s.swept.has(namespace)) return;
  s.swept.add(namespace);
  // The current runtime, when this command looked at this machine's: older ones go.
  const runtime = await s.hostRuntime.get(namespace)?.catch(() => undefined);
  const keep = runtime ? [`${namespace}/runtime:${runtime.fingerprint}`] : undefined;
  await removeReplacedImages(engine, { namespace, ...(keep ? { keep } : {}) }).catch(() => []);
}

/** Make a service's image available: present, built, or pulled — or say why not. */
export async function ensureImage(engine: Engine, service: ServiceSpec, onProgress?: (text: string) => void, options: Omit<ImageOptions, 'onProgress'> = {}): Promise<'present' | 'built' | 'pulled'> {
  if (builtInName(service.image, options.namespace)) return (await ensureBuiltIn(engine, service.image, { ...options, onProgress })).result;
  if (await engine.image(service.image)) return 'present';
  if (service.build) {
    onProgress?.(`building ${service.image} from ${service.build.context}`);
    await engine.build(service.build.context, service.image, {}, { ...(service.build.dockerfile === undefined ? {} : { dockerfile: service.build.dockerfile }), buildargs: service.build.args });
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
