/**
 * `richie-dev hosts add|remove|check`: the project's managed block in the hosts file, and what
 * the system resolver makes of each configured host.
 */
import { realpath } from 'node:fs/promises';
import { configuredHosts, loadConfig } from '../config.js';
import { ExitCode } from '../errors.js';
import { addBlock, checkHosts, removeBlock, renderBlock, type HostsChange, type HostsReport, type HostsTarget } from '../hosts/index.js';
import { hostsFilePath, projectPaths } from '../paths.js';
import { hostsAddresses, resolveTarget } from '../stack/engine.js';

export interface HostsOptions {
  projectDir: string;
  hostsFile?: string | undefined;
  env?: NodeJS.ProcessEnv;
  /** The command line to suggest with sudo when rights are missing. */
  sudoCommand?: string;
  /** The command that prints the block for manual editing, for the same message. */
  printCommand?: string;
  /** Where the hosts point; by default where the stack publishes its ports (src/stack/engine.ts, engineTarget). */
  addresses?: string[] | undefined;
}

export async function target(options: HostsOptions): Promise<HostsTarget> {
  const { config } = await loadConfig(options.projectDir);
  // The entries follow DOCKER_HOST as the stack's ports do: loopback for a local engine, else
  // the engine's address (a remote engine publishes there, not on this machine's loopback).
  const addresses = options.addresses ?? hostsAddresses(await resolveTarget(options.env ?? process.env));
  return {
    file: hostsFilePath({ flag: options.hostsFile }, options.env ?? process.env),
    projectDir: await canonicalDir(projectPaths(options.projectDir).projectDir),
    hosts: configuredHosts(config),
    ...(options.sudoCommand ? { sudoCommand: options.sudoCommand } : {}),
    ...(options.printCommand ? { printCommand: options.printCommand } : {}),
    ...(addresses ? { addresses } : {}),
  };
}

/** The marker names the project dir: the same dir reached through a symlink is the same project. */
async function canonicalDir(dir: string): Promise<string> {
  return realpath(dir).catch(() => dir);
}

export async function add(options: HostsOptions): Promise<HostsChange> {
  return addBlock(await target(options));
}

export async function remove(options: HostsOptions): Promise<HostsChange> {
  return removeBlock(await target(options));
}

/** The block for manual editing; reads nothing but the config. */
export async function print(options: HostsOptions): Promise<{ file: string; block: string }> {
  const t = await target(options);
  return { file: t.file, block: renderBlock(t) };
}

export interface HostsCheckResult extends HostsReport {
  exitCode: ExitCode;
}

export async function check(options: HostsOptions): Promise<HostsCheckResult> {
  const report = await checkHosts(await target(options));
  return { ...report, exitCode: report.hosts.every((h) => h.ok) ? ExitCode.ok : ExitCode.checkFailed };
}
