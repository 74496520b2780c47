/**
 * The up record: a re-run on an unchanged, healthy stack answers without loading, rendering,
 * reading the stack or planning (the modules alone cost more than the whole answer).
 *
 * Its input set is not a list kept beside the code: it is what the full path's steps said they
 * read. run.ts hands them one InputLog (src/inputs.ts) on the way down — the config, the render
 * (its templates, the secret, every file it wrote), the stack reader (the stack file, the .env
 * beside it, each variable it interpolated), the env files and bind mounts, the images (their
 * template files, this machine's runtime files), the CA, the certificates and the hosts file.
 * Nothing watches the process: no patch of node:fs, no proxy over the environment.
 *
 * The record keeps, for each path, what it was once the run was done — a file's content hash
 * (a stamp of size and mtime above 1 MiB, and for paths only looked at: the runtimes), a
 * folder's entries, a path's kind or absence — and, for each variable, its name and a salted
 * SHA-256 of its value, never the value (state.json is no place for a token) — plus the
 * command line's facts and the containers and images the run left. A re-run answers from the
 * record only when every one of those still holds; otherwise it says which did not and takes
 * the full path.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { InputLog } from '../inputs.js';
import { mergeState, readState } from '../state.js';
import type { Engine } from './engine.js';
import { LABEL, type ProjectId } from './project.js';
import type { ServiceOutcome } from './stack.js';

/** Above this, a file's identity (size, mtime) stands for its content: hashing 100 MB each re-run would cost more than it saves. */
const CONTENT_LIMIT = 1 << 20;
/** A record older than this is not trusted: setup-ssl renews a certificate 30 days ahead, and the clock is an input too. */
const MAX_AGE_MS = 12 * 3600_000;
const INSTALL_ROOT = fileURLToPath(new URL('../../', import.meta.url));
/**
 * richie-dev's build: the bundle's entry names every chunk by the hash of its content
 * (build/bundle-cli.mjs), so the entry's own hash stands for all the code — also when this
 * module runs from its source (the tests), so the CLI and an in-process run agree on it. Not
 * its mtime: npm gives every file of an installed package the same one, so an upgrade would
 * keep an old record. Its templates and stack file are inputs like any other.
 */
const BUILD_STAMP = resolve(INSTALL_ROOT, 'dist', 'bin', 'richie-dev.js');

export interface InputState {
  path: string;
  /** "missing", "dir", "file", or "dir:<entries hash>", "file:<content hash>", "stamp:<size>:<mtime>". */
  state: string;
}

export interface UpRecord {
  version: 3;
  recordedAt: number;
  /** The command line's meaning beyond the files (mode, backend, flags, engine), and richie-dev's build. */
  facts: Record<string, unknown>;
  /** The variables the full path read: each name with a hash of its value salted with `salt` (null: unset). */
  env: { salt: string; hashes: Record<string, string | null> };
  inputs: InputState[];
  services: { name: string; id: string; startedAt: string; image: string; imageId: string; healthcheck: { test: string[]; timeoutNs: number } | null }[];
  /** What the run returned that a re-run returns again. */
  result: { urls: { catalog: string; lms: string }; warnings: string[] };
}

/**
 * A variable's value as the record keeps it. Salted per record, so equal values in two
 * projects' records do not match and a table of common values' hashes does not apply.
 */
export function valueHash(salt: string, name: string, value: string | undefined): string | null {
  return value === undefined ? null : createHash('sha256').update(`${salt}\0${name}\0${value}`).digest('hex');
}

// ---- what the inputs are now ----------------------------------------------------------

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

/** The state of every input the steps reported now, sorted by path; reads win over looks. The record's own file is none. */
export async function inputStates(log: InputLog, stateFile: string): Promise<InputState[]> {
  const how = new Map<string, 'file' | 'dir' | 'looked'>();
  for (const p of log.lookedAt) how.set(resolve(p), 'looked');
  for (const p of log.dirs) how.set(resolve(p), 'dir');
  for (const p of log.files) how.set(resolve(p), 'file');
  const paths = [...how.keys()].filter((p) => p !== stateFile).sort();
  return Promise.all(paths.map(async (path) => ({ path, state: await inputState(path, how.get(path)!) })));
}

async function buildStamp(): Promise<string> {
  const content = await readFile(BUILD_STAMP).catch(() => undefined);
  return content ? createHash('sha256').update(content).digest('hex') : 'missing';
}

// ---- the record -----------------------------------------------------------------------

export type RecordCheck = { record: UpRecord; refused?: undefined } | { record?: undefined; refused: string };

/**
 * The record of the last successful up, if every input, fact and container it saw still holds;
 * else why not (for --json and the tests).
 */
export async function checkRecord(options: { id: ProjectId; stateFile: string; facts: Record<string, unknown>; env: NodeJS.ProcessEnv; engine: Engine; now?: number }): Promise<RecordCheck> {
  const record = (await readState(options.id.projectDir)).up as UpRecord | undefined;
  if (record?.version !== 3 || !Array.isArray(record.inputs) || !record.services?.length || typeof record.env?.salt !== 'string') return { refused: 'no record of a previous up' };
  if ((options.now ?? Date.now()) - record.recordedAt > MAX_AGE_MS) return { refused: 'the record is older than 12 hours' };
  const facts = { ...options.facts, build: await buildStamp() };
  for (const [key, value] of Object.entries(facts)) {
    if (JSON.stringify(record.facts[key]) !== JSON.stringify(value)) return { refused: key === 'build' ? "richie-dev's build changed" : `${key} changed` };
  }
  for (const [key, hash] of Object.entries(record.env.hashes ?? {})) {
    if (valueHash(record.env.salt, key, options.env[key]) !== hash) return { refused: `the environment variable ${key} changed` };
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
  log: InputLog;
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
  const salt = randomBytes(16).toString('hex');
  const hashes = Object.fromEntries([...options.log.variables].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, value]) => [name, valueHash(salt, name, value)]));
  const record: UpRecord = {
    version: 3,
    recordedAt: Date.now(),
    facts: { ...options.facts, build: await buildStamp() },
    env: { salt, hashes },
    inputs: await inputStates(options.log, options.stateFile),
    services,
    result: options.result,
  };
  await mergeState(options.id.projectDir, { up: record });
}
