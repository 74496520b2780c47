/**
 * A project's identity on the engine: Compose's naming and labels, so `docker-compose -p
 * <project> ps` and `logs` see our containers, plus the absolute project dir, so only what this
 * very checkout made is ever changed, stopped or removed.
 *
 * Two checkouts with the same folder name ("richie") would get the same Compose project name
 * and, by name alone, share containers: `down` in one would remove the other's. The project
 * dir travels as Compose's own `com.docker.compose.project.working_dir` label (docker/compose
 * v1 compose/project.py sets it on every container), and every list is filtered by it. The
 * second checkout gets a name of its own: the folder name plus a short hash of its path.
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ExitCode, UserError } from '../errors.js';
import { LockBusyError, withLock } from '../lock.js';
import { projectPaths } from '../paths.js';
import { mergeState, readState } from '../state.js';
import { checkStateDir, ensureStateDir, stateOwner } from '../state-dir.js';
import type { Engine } from './engine.js';

export const LABEL = {
  project: 'com.docker.compose.project',
  service: 'com.docker.compose.service',
  number: 'com.docker.compose.container-number',
  oneoff: 'com.docker.compose.oneoff',
  workingDir: 'com.docker.compose.project.working_dir',
  configFiles: 'com.docker.compose.project.config_files',
  configHash: 'com.docker.compose.config-hash',
  version: 'com.docker.compose.version',
  network: 'com.docker.compose.network',
  volume: 'com.docker.compose.volume',
  /** Ours: marks every resource richie-dev made. */
  managed: 'dev.richie.managed',
} as const;

/** Which project: its Compose name and its absolute directory. */
export interface ProjectId {
  project: string;
  projectDir: string;
}

/** Compose v1's rule: the directory's name, lower case, only [a-z0-9_-]. */
export function projectName(projectDir: string): string {
  const name = basename(resolve(projectDir)).toLowerCase().replace(/[^a-z0-9_-]/g, '');
  return name || 'richie';
}

/** The name a second checkout with the same folder name gets: stable, and distinct per path. */
export function distinctProjectName(projectDir: string): string {
  return `${projectName(projectDir)}-${createHash('sha256').update(resolve(projectDir)).digest('hex').slice(0, 8)}`;
}

/**
 * Which name a project runs under (pure; the caller observes the engine): the name its own
 * containers already carry; else the one it recorded; else the folder name — unless another
 * directory's resources hold that name, when it takes the distinct one.
 */
export function chooseProjectName(options: {
  projectDir: string;
  recorded: string | undefined;
  /** The project label of containers carrying this project's dir. */
  ownNames: readonly string[];
  /** The working_dir labels of resources carrying the candidate name ('' when they have none). */
  holdersOf: (name: string) => readonly string[];
}): string {
  const [own] = options.ownNames;
  if (own) return own;
  const candidate = options.recorded ?? projectName(options.projectDir);
  const taken = options.holdersOf(candidate).some((dir) => dir !== '' && dir !== options.projectDir);
  return taken ? distinctProjectName(options.projectDir) : candidate;
}

export function containerName(project: string, service: string): string {
  return `${project}_${service}_1`;
}

/** The labels every resource a project makes carries. */
export function projectLabels(id: ProjectId | string): Record<string, string> {
  if (typeof id === 'string') return { [LABEL.project]: id, [LABEL.managed]: 'true' };
  return { [LABEL.project]: id.project, [LABEL.managed]: 'true', [LABEL.workingDir]: id.projectDir };
}

/**
 * Whether a resource is this project's: its name label, and its dir label when it has one
 * (networks and volumes made before the dir label was added carry none).
 */
export function owns(id: ProjectId, labels: Record<string, string>): boolean {
  const dir = labels[LABEL.workingDir];
  return labels[LABEL.project] === id.project && (dir === undefined || dir === id.projectDir);
}

// ---- on the engine and on disk ----------------------------------------------------------

/**
 * Which Compose project this directory is on the engine (see src/stack/project.ts): the name
 * its own containers carry, else the one it recorded, else its folder name unless another
 * directory's containers or volumes hold that name. The directory is the real path, so a
 * checkout reached through a symlink is the same project.
 */
export async function identify(engine: Engine, projectDir: string): Promise<ProjectId> {
  const dir = await realpath(projectDir).catch(() => resolve(projectDir));
  const recorded = (await readState(dir)).project;
  const candidate = typeof recorded === 'string' && recorded ? recorded : projectName(dir);
  const byName = { [LABEL.project]: candidate };
  const [own, containers, volumes] = await Promise.all([
    engine.containerList({ [LABEL.workingDir]: dir, [LABEL.managed]: 'true' }).then((list) => list.map((c) => c.labels)),
    engine.containerList(byName).then((list) => list.map((c) => c.labels)),
    engine.volumeList(byName),
  ]);
  const holders = [...containers, ...volumes.map((v) => v.labels)].map((labels) => labels[LABEL.workingDir] ?? '');
  const project = chooseProjectName({ projectDir: dir, recorded: candidate, ownNames: own.map((l) => l[LABEL.project]!).filter(Boolean), holdersOf: () => holders });
  return { project, projectDir: dir };
}

/** Remember the name a project runs under, so it keeps it (and its volumes) while another dir holds the folder name. */
export async function recordIdentity(id: ProjectId): Promise<void> {
  if ((await readState(id.projectDir)).project !== id.project) await mergeState(id.projectDir, { project: id.project });
}

/**
 * One richie-dev at a time per project for what changes its stack (run, run-ssl, lms, stop,
 * down): the others wait their turn. The lock (src/lock.ts) is judged stale by its
 * owner's pid, not by an mtime, so a killed run never blocks the next one and a long up is
 * never overrun; proper-lockfile judges by mtime, which is why it is not used here.
 */
export async function withProjectLock<T>(projectDir: string, work: () => Promise<T>): Promise<T> {
  const paths = projectPaths(projectDir);
  // No link in .richie-dev/, the lock's path included, before anything is written there.
  checkStateDir(paths.stateDir);
  ensureStateDir(paths.stateDir);
  try {
    // Long enough for a cold first up (image builds) ahead of us. 0600, as every file there.
    // Under sudo it is the invoking user's, as everything there (src/state-dir.ts).
    return await withLock(join(paths.stateDir, 'stack'), work, { timeoutMs: 15 * 60_000, mode: 0o600, owner: stateOwner()?.give });
  } catch (error) {
    if (error instanceof LockBusyError) {
      throw new UserError(`Another richie-dev (pid ${error.pid}) has been working on ${paths.projectDir} for 15 minutes.`, { exitCode: ExitCode.input, fix: `Wait for it, or stop it ("kill ${error.pid}").` });
    }
    throw error;
  }
}
