/**
 * The hosts block a command works on: the hosts file, the project, its configured hosts and
 * where they point. Shared by `hosts add|remove|check` (src/commands/hosts.ts) and doctor's
 * names check (src/doctor/names.ts), from what the command's context holds (src/context.ts).
 */
import { realpath } from 'node:fs/promises';
import { hostsFilePath, type ProjectPaths } from '../paths.js';
import type { HostsTarget } from './index.js';

export interface TargetOptions {
  hostsFile?: string | undefined;
  /** Where the hosts point (the caller knows the engine's address); loopback when undefined. */
  addresses?: string[] | undefined;
  sudoCommand?: string | undefined;
  printCommand?: string | undefined;
  allowDomains?: readonly string[] | undefined;
  rerun?: string | undefined;
}

/** `project.hosts`: the config's (configuredHosts, src/config.ts). */
export async function hostsTarget(project: { paths: ProjectPaths; env: NodeJS.ProcessEnv; hosts: readonly string[] }, options: TargetOptions): Promise<HostsTarget> {
  return {
    file: hostsFilePath({ flag: options.hostsFile }, project.env),
    // The marker names the project dir: the same dir reached through a symlink is the same project.
    projectDir: await realpath(project.paths.projectDir).catch(() => project.paths.projectDir),
    hosts: project.hosts,
    ...(options.sudoCommand ? { sudoCommand: options.sudoCommand } : {}),
    ...(options.printCommand ? { printCommand: options.printCommand } : {}),
    ...(options.addresses ? { addresses: options.addresses } : {}),
    ...(options.allowDomains ? { allowDomains: options.allowDomains } : {}),
    ...(options.rerun ? { rerun: options.rerun } : {}),
  };
}
