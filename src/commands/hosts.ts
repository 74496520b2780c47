/**
 * `richie-dev hosts add|remove|check`: the project's managed block in the hosts file, and what
 * the system resolver makes of each configured host.
 */
import { configuredHosts, loadConfig } from '../config.js';
import { ExitCode } from '../errors.js';
import { addBlock, checkHosts, removeBlock, renderBlock, type HostCheck, type HostsChange, type HostsTarget } from '../hosts/index.js';
import { hostsFilePath, projectPaths } from '../paths.js';

export interface HostsOptions {
  projectDir: string;
  hostsFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** The command line to suggest with sudo when rights are missing. */
  sudoCommand?: string;
  /** Where the hosts point: loopback, unless the Docker engine is remote. */
  addresses?: string[];
}

export async function target(options: HostsOptions): Promise<HostsTarget> {
  const { config } = await loadConfig(options.projectDir);
  return {
    file: hostsFilePath({ flag: options.hostsFile }, options.env ?? process.env),
    projectDir: projectPaths(options.projectDir).projectDir,
    hosts: configuredHosts(config),
    ...(options.sudoCommand ? { sudoCommand: options.sudoCommand } : {}),
    ...(options.addresses ? { addresses: options.addresses } : {}),
  };
}

export async function add(options: HostsOptions): Promise<HostsChange> {
  return addBlock(await target(options));
}

export async function remove(options: HostsOptions): Promise<HostsChange> {
  return removeBlock(await target(options));
}

export async function print(options: HostsOptions): Promise<{ file: string; block: string }> {
  const t = await target(options);
  return { file: t.file, block: renderBlock(t) };
}

export interface HostsCheckResult {
  file: string;
  hosts: HostCheck[];
  exitCode: ExitCode;
}

export async function check(options: HostsOptions): Promise<HostsCheckResult> {
  const t = await target(options);
  const hosts = await checkHosts(t);
  return { file: t.file, hosts, exitCode: hosts.every((h) => h.ok) ? ExitCode.ok : ExitCode.checkFailed };
}
