/**
 * The up record: a re-run on an unchanged, healthy stack answers without loading, rendering,
 * reading the stack or planning (the modules alone cost more than the whole answer).
 *
 * Its input set is not a list kept beside the code: it is whatever the full path read. While
 * the full path runs, `observeReads` logs every path the process reads through node:fs (read,
 * list, stat, access, open for reading, read streams) and every environment variable read
 * through the env the commands are given; the record keeps, for each, what it was once the run
 * was done — a file's content hash (a stamp of size and mtime above 1 MiB: the Node and nginx
 * runtimes), a folder's entries, a path's kind or absence — plus the command line's facts and
 * the containers and images the run left. A re-run answers from the record only when every one
 * of those still holds; otherwise it says which did not and takes the full path.
 *
 * The log is kept only for the length of the full path and only adds (a path read once is an
 * input); the patched functions behave exactly as node:fs's own.
 */
import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeState, readState } from '../state.js';
import type { Engine } from './engine.js';
import { LABEL, type ProjectId } from './project.js';
import type { ServiceOutcome } from './stack.js';

/** Above this, a file's identity (size, mtime) stands for its content: hashing 100 MB each re-run would cost more than it saves. */
const CONTENT_LIMIT = 1 << 20;
/** A record older than this is not trusted: setup-ssl renews a certificate 30 days ahead, and the clock is an input too. */
const MAX_AGE_MS = 12 * 3600_000;
/** richie-dev's own files: its code is stood for by BUILD_STAMP; its templates and stack file are inputs like any other. */
const INSTALL_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OWN_INPUTS = [resolve(INSTALL_ROOT, 'templates'), resolve(INSTALL_ROOT, 'docker-compose.richie.yml')];
/**
 * richie-dev's build: tsc rewrites every output on a build, so this one file's stamp stands for
 * all its code — the built one, also when this module runs from its source (the tests), so the
 * CLI and an in-process run agree on it.
 */
const BUILD_STAMP = resolve(INSTALL_ROOT, 'dist', 'stack', 'record.js');

export interface ReadLog {
  /** Paths whose content was read. */
  files: Set<string>;
  /** Folders whose entries were listed. */
  dirs: Set<string>;
  /** Paths only looked at (stat, access, exists). */
  looked: Set<string>;
  /** Environment variables read, with the value they had. */
  env: Map<string, string | undefined>;
}

export interface InputState {
  path: string;
  /** "missing", "dir", "file", or "dir:<entries hash>", "file:<content hash>", "stamp:<size>:<mtime>". */
  state: string;
}

export interface UpRecord {
  version: 2;
  recordedAt: number;
  /** The command line's meaning beyond the files (mode, backend, flags, engine), and richie-dev's build. */
  facts: Record<string, unknown>;
  env: Record<string, string | null>;
  inputs: InputState[];
  services: { name: string; id: string; startedAt: string; image: string; imageId: string; healthcheck: { test: string[]; timeoutNs: number } | null }[];
  /** What the run returned that a re-run returns again. */
  result: { urls: { catalog: string; lms: string }; warnings: string[] };
}

// ---- logging reads --------------------------------------------------------------------

const requireCjs = createRequire(import.meta.url);

type AnyFn = (...args: unknown[]) => unknown;

function pathOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return resolve(arg);
  if (arg instanceof URL) return arg.protocol === 'file:' ? fileURLToPath(arg) : undefined;
  if (Buffer.isBuffer(arg)) return resolve(arg.toString());
  return undefined; // a file descriptor or handle: its path was logged when it was opened
}

/** Open flags that only read: none, "r", "rs", or O_RDONLY. */
function readOnly(flags: unknown): boolean {
  return flags === undefined || flags === 'r' || flags === 'rs' || flags === 0;
}

/**
 * Run `work` with every read through node:fs logged, and `env` wrapped so reads of it are
 * logged too. The patches are undone when `work` settles.
 */
export async function observeReads<T>(env: NodeJS.ProcessEnv, work: (env: NodeJS.ProcessEnv) => Promise<T>): Promise<{ result: T; log: ReadLog }> {
  const log: ReadLog = { files: new Set(), dirs: new Set(), looked: new Set(), env: new Map() };
  const fs = requireCjs('node:fs') as Record<string, unknown> & { promises: Record<string, unknown> };
  const kinds: [Record<string, unknown>, string, keyof Omit<ReadLog, 'env'>, ((args: unknown[]) => boolean)?][] = [
    [fs.promises, 'readFile', 'files'],
    [fs.promises, 'readdir', 'dirs'],
    [fs.promises, 'stat', 'looked'],
    [fs.promises, 'lstat', 'looked'],
    [fs.promises, 'access', 'looked'],
    [fs.promises, 'realpath', 'looked'],
    [fs.promises, 'open', 'files', (args) => readOnly(args[1])],
    [fs, 'readFileSync', 'files'],
    [fs, 'readdirSync', 'dirs'],
    [fs, 'statSync', 'looked'],
    [fs, 'lstatSync', 'looked'],
    [fs, 'existsSync', 'looked'],
    [fs, 'accessSync', 'looked'],
    [fs, 'readFile', 'files'],
    [fs, 'readdir', 'dirs'],
    [fs, 'stat', 'looked'],
    [fs, 'lstat', 'looked'],
    [fs, 'access', 'looked'],
    [fs, 'createReadStream', 'files'],
    [fs, 'openSync', 'files', (args) => readOnly(args[1])],
    [fs, 'open', 'files', (args) => readOnly(args[1]) || typeof args[1] === 'function'],
  ];
  const saved = kinds.map(([target, name]) => target[name] as AnyFn);
  kinds.forEach(([target, name, into, when], i) => {
    const original = saved[i]!;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const path = pathOf(args[0]);
      if (path !== undefined && (!when || when(args))) log[into].add(path);
      return original.apply(this, args);
    };
    // Keep what hangs off the original (fs.realpathSync.native, util.promisify.custom).
    Object.assign(wrapped, original);
    target[name] = wrapped;
  });
  syncBuiltinESMExports();
  const logged = new Proxy(env, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof key === 'string' && !log.env.has(key)) log.env.set(key, typeof value === 'string' ? value : undefined);
      return value;
    },
  });
  try {
    return { result: await work(logged), log };
  } finally {
    kinds.forEach(([target, name], i) => (target[name] = saved[i]));
    syncBuiltinESMExports();
  }
}

// ---- what the inputs are now ----------------------------------------------------------

/** Paths that are no input: the kernel's, the record's own file, locks, richie-dev's own code and its dependencies. */
function ignored(path: string, stateFile: string): boolean {
  if (/^\/(proc|sys|dev)(\/|$)/.test(path)) return true;
  if (path === stateFile || path.endsWith('.richie-dev.lock') || path.endsWith('.takeover')) return true;
  if (path.startsWith(INSTALL_ROOT) || `${path}${sep}` === INSTALL_ROOT) return !OWN_INPUTS.some((own) => path === own || path.startsWith(`${own}${sep}`));
  // Dependencies are code, hoisted beside richie-dev or not (npx, a project's node_modules):
  // the CommonJS loader reads them through node:fs, but they are no input of a run.
  return path.includes(`${sep}node_modules${sep}`);
}

async function inputState(path: string, how: 'file' | 'dir' | 'looked'): Promise<string> {
  const info = await stat(path).catch(() => undefined);
  if (!info) return 'missing';
  if (info.isDirectory()) {
    if (how !== 'dir') return 'dir';
    return `dir:${createHash('sha256').update((await readdir(path)).sort().join('\n')).digest('hex')}`;
  }
  // A file only looked at (stat) is stamped: that is how the image step fingerprints the runtimes.
  if (how !== 'file' || info.size > CONTENT_LIMIT || !info.isFile()) return `stamp:${info.size}:${info.mtimeMs}`;
  return `file:${createHash('sha256').update(await readFile(path)).digest('hex')}`;
}

/** The state of every logged input now, sorted by path; reads win over looks. */
export async function inputStates(log: ReadLog, stateFile: string): Promise<InputState[]> {
  const how = new Map<string, 'file' | 'dir' | 'looked'>();
  for (const p of log.looked) how.set(p, 'looked');
  for (const p of log.dirs) how.set(p, 'dir');
  for (const p of log.files) how.set(p, 'file');
  const paths = [...how.keys()].filter((p) => !ignored(p, stateFile)).sort();
  return Promise.all(paths.map(async (path) => ({ path, state: await inputState(path, how.get(path)!) })));
}

async function buildStamp(): Promise<string> {
  const info = await stat(BUILD_STAMP).catch(() => undefined);
  return info ? `${info.size}:${info.mtimeMs}` : 'missing';
}

// ---- the record -----------------------------------------------------------------------

export type RecordCheck = { record: UpRecord; refused?: undefined } | { record?: undefined; refused: string };

/**
 * The record of the last successful up, if every input, fact and container it saw still holds;
 * else why not (for --json and the tests).
 */
export async function checkRecord(options: { id: ProjectId; stateFile: string; facts: Record<string, unknown>; env: NodeJS.ProcessEnv; engine: Engine; now?: number }): Promise<RecordCheck> {
  const record = (await readState(options.id.projectDir)).up as UpRecord | undefined;
  if (record?.version !== 2 || !Array.isArray(record.inputs) || !record.services?.length) return { refused: 'no record of a previous up' };
  if ((options.now ?? Date.now()) - record.recordedAt > MAX_AGE_MS) return { refused: 'the record is older than 12 hours' };
  const facts = { ...options.facts, build: await buildStamp() };
  for (const [key, value] of Object.entries(facts)) {
    if (JSON.stringify(record.facts[key]) !== JSON.stringify(value)) return { refused: key === 'build' ? "richie-dev's build changed" : `${key} changed` };
  }
  for (const [key, value] of Object.entries(record.env)) {
    if ((options.env[key] ?? null) !== value) return { refused: `the environment variable ${key} changed` };
  }
  const now = await Promise.all(record.inputs.map(async (input) => ({ path: input.path, state: await inputState(input.path, input.state.startsWith('dir:') ? 'dir' : input.state.startsWith('file:') ? 'file' : 'looked') })));
  const changed = now.find((input, i) => input.state !== record.inputs[i]!.state);
  if (changed) return { refused: `${changed.path} changed` };

  const [containers, images] = await Promise.all([
    options.engine.containers({ [LABEL.project]: options.id.project, [LABEL.workingDir]: options.id.projectDir }),
    Promise.all(record.services.map((s) => options.engine.image(s.image))),
  ]);
  for (const [i, s] of record.services.entries()) {
    const c = containers.find((x) => x.id === s.id);
    if (!c) return { refused: `the ${s.name} container is gone` };
    if (!c.running) return { refused: `the ${s.name} container is not running` };
    if (c.imageId !== s.imageId || images[i]?.id !== s.imageId) return { refused: `the ${s.name} image changed` };
    if (!s.healthcheck || c.health === 'healthy') continue;
    if (c.health !== 'starting' || c.failingStreak > 0) return { refused: `the ${s.name} container is ${c.health}` };
    // Docker has not checked yet. Not restarted since up saw it healthy: as good as Docker's
    // own last check. Restarted: run the same test now, as up does.
    if (c.startedAt !== s.startedAt && !(await options.engine.passesHealthcheck(c.id, s.healthcheck))) return { refused: `the ${s.name} container is not healthy yet` };
  }
  if (containers.length !== record.services.length) return { refused: 'the project runs other containers than the record saw' };
  return { record };
}

/** After a successful full path: what it read, and what it left running. */
export async function saveRecord(options: {
  id: ProjectId;
  stateFile: string;
  facts: Record<string, unknown>;
  log: ReadLog;
  engine: Engine;
  services: readonly ServiceOutcome[];
  healthchecks: Record<string, { test: string[]; timeoutNs: number } | null>;
  result: UpRecord['result'];
}): Promise<void> {
  const containers = await options.engine.containers({ [LABEL.project]: options.id.project, [LABEL.workingDir]: options.id.projectDir });
  const services: UpRecord['services'] = [];
  for (const s of options.services) {
    const c = containers.find((x) => x.labels[LABEL.service] === s.name);
    if (!c) return; // gone already: no record, the next run takes the full path
    services.push({ name: s.name, id: c.id, startedAt: c.startedAt, image: c.image, imageId: c.imageId, healthcheck: options.healthchecks[s.name] ?? null });
  }
  const env = Object.fromEntries([...options.log.env].map(([k, v]) => [k, v ?? null]));
  const record: UpRecord = {
    version: 2,
    recordedAt: Date.now(),
    facts: { ...options.facts, build: await buildStamp() },
    env,
    inputs: await inputStates(options.log, options.stateFile),
    services,
    result: options.result,
  };
  await mergeState(options.id.projectDir, { up: record });
}
