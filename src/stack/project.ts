/**
 * Compose's naming and labels, so `docker-compose -p <project> ps` and `logs` see our
 * containers, and so only what carries our labels is ever stopped or removed.
 */
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

/** Compose v1's rule: the directory's name, lower case, only [a-z0-9_-]. */
export function projectName(projectDir: string): string {
  const name = basename(resolve(projectDir)).toLowerCase().replace(/[^a-z0-9_-]/g, '');
  return name || 'richie';
}

export function containerName(project: string, service: string): string {
  return `${project}_${service}_1`;
}

export function projectLabels(project: string): Record<string, string> {
  return { [LABEL.project]: project, [LABEL.managed]: 'true' };
}
