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
import { basename, resolve } from 'node:path';

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
