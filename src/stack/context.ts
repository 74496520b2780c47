/**
 * Which stack a project runs and with what values: richie-dev's docker-compose.richie.yml (or
 * the project's own "stackFile"), read with the variables the project's config gives it.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type ProjectConfig } from '../config.js';
import { ExitCode, UserError } from '../errors.js';
import { LockBusyError, withLock } from '../hosts/lock.js';
import { projectPaths, type ProjectPaths } from '../paths.js';
import { ensureStateDir, mergeState, readState } from '../state.js';
import { readStack, type StackSpec } from './compose.js';
import { Engine } from './engine.js';
import { LABEL, chooseProjectName, projectName, type ProjectId } from './project.js';
import type { StackContext } from './stack.js';

export const STACK_FILE = fileURLToPath(new URL('../../docker-compose.richie.yml', import.meta.url));

/** The project's own stack file ("stackFile", relative to the project dir), else richie-dev's. */
export function stackFilePath(paths: ProjectPaths, config: ProjectConfig): string {
  return config.stackFile ? resolve(paths.projectDir, config.stackFile) : STACK_FILE;
}

/** The variables docker-compose.richie.yml reads, from the project and its config. */
export function stackVars(paths: ProjectPaths, config: ProjectConfig): Record<string, string> {
  return {
    RICHIE_DEV_STATE_DIR: paths.stateDir,
    RICHIE_DEV_CATALOG_IMAGE: config.images.catalog,
    RICHIE_DEV_LMS_IMAGE: config.images.lms,
    RICHIE_DEV_NGINX_IMAGE: config.images.nginx,
    RICHIE_DEV_CATALOG_PORT: String(config.catalog.port),
    RICHIE_DEV_LMS_PORT: String(config.lms.port),
    RICHIE_DEV_CATALOG_HOST: config.catalog.host,
    RICHIE_DEV_LMS_HOST: config.lms.host,
  };
}

/**
 * The project's stack, read once: its own variables over the process environment over the
 * `.env` beside the stack file. Needs no engine (`stack config` uses it alone).
 */
export async function loadStack(options: { projectDir: string; env?: NodeJS.ProcessEnv; stackFile?: string }): Promise<{ config: ProjectConfig; paths: ProjectPaths; stack: StackSpec }> {
  const { config } = await loadConfig(options.projectDir);
  const paths = projectPaths(options.projectDir);
  const stack = await readStack(options.stackFile ?? stackFilePath(paths, config), stackVars(paths, config), { env: options.env ?? process.env });
  return { config, paths, stack };
}

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
    engine.containerLabels({ [LABEL.workingDir]: dir, [LABEL.managed]: 'true' }),
    engine.containerLabels(byName),
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
 * down): the others wait their turn. The lock (src/hosts/lock.ts) is judged stale by its
 * owner's pid, not by an mtime, so a killed run never blocks the next one and a long up is
 * never overrun; proper-lockfile judges by mtime, which is why it is not used here.
 */
export async function withProjectLock<T>(projectDir: string, work: () => Promise<T>): Promise<T> {
  const paths = projectPaths(projectDir);
  await mkdir(paths.stateDir, { recursive: true });
  await ensureStateDir(paths);
  try {
    // Long enough for a cold first up (image builds) ahead of us.
    return await withLock(join(paths.stateDir, 'stack'), work, { timeoutMs: 15 * 60_000 });
  } catch (error) {
    if (error instanceof LockBusyError) {
      throw new UserError(`Another richie-dev (pid ${error.pid}) has been working on ${paths.projectDir} for 15 minutes.`, { exitCode: ExitCode.input, fix: `Wait for it, or stop it ("kill ${error.pid}").` });
    }
    throw error;
  }
}

/**
 * A command's view of the stack, resolved once: config, paths, the stack file read, the
 * engine connected (under the command's signal) and the project identified.
 */
export async function stackContext(options: { projectDir: string; env?: NodeJS.ProcessEnv; stackFile?: string; signal?: AbortSignal; engine?: Engine }): Promise<StackContext & { config: ProjectConfig; paths: ProjectPaths }> {
  const [{ config, paths, stack }, engine] = await Promise.all([loadStack(options), options.engine ?? Engine.connect(options.env ?? process.env, options.signal ? { signal: options.signal } : {})]);
  return { engine, stack, ...(await identify(engine, paths.projectDir)), config, paths };
}
