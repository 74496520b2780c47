/**
 * `richie-dev hosts add|remove|check`: the project's managed block in the hosts file, and what
 * the system resolver makes of each configured host.
 */
import { configuredHosts } from '../config.js';
import type { CommandContext } from '../context.js';
import { ExitCode, UserError } from '../errors.js';
import { addBlock, checkHosts, removeBlock, renderBlock, type HostsChange, type HostsReport, type HostsTarget } from '../hosts/index.js';
import { hostsTarget } from '../hosts/target.js';
import { linuxPathOf, underWsl, WINDOWS_HOSTS, WINDOWS_HOSTS_DEFAULT_MOUNT } from '../wsl.js';
import { hostsAddresses, resolveTarget } from '../stack/engine.js';

export interface HostsOptions {
  hostsFile?: string | undefined;
  /** The command line to suggest with sudo when rights are missing. */
  sudoCommand?: string;
  /** The command that prints the block for manual editing, for the same message. */
  printCommand?: string;
  /** Where the hosts point; by default where the stack publishes its ports (src/stack/engine.ts, engineTarget). */
  addresses?: string[] | undefined;
  /** Domains outside local use the user accepts sending there (--allow-domain). */
  allowDomains?: readonly string[];
  /** The command to run again with --allow-domain, named in the refusal. */
  rerun?: string;
}

export async function target(ctx: CommandContext, options: HostsOptions): Promise<HostsTarget> {
  const hosts = configuredHosts(await ctx.config());
  // The entries follow DOCKER_HOST as the stack's ports do: loopback for a local engine, else
  // the engine's address (a remote engine publishes there, not on this machine's loopback).
  const addresses = options.addresses ?? hostsAddresses(await resolveTarget(ctx.env));
  return hostsTarget({ paths: ctx.paths, env: ctx.env, hosts }, { ...options, addresses });
}

/** Under WSL, what happened to the Windows hosts file, which browsers on Windows read. */
export interface WindowsHostsResult {
  /** The Windows hosts file as seen from WSL (`wslpath -u`). */
  file: string;
  change?: HostsChange;
  /** Why it was not changed, and what to do on the Windows side instead. */
  blocked?: { reason: string; steps: string[] };
}

export interface HostsChangeResult extends HostsChange {
  windows?: WindowsHostsResult;
  exitCode: ExitCode;
}

export async function add(ctx: CommandContext, options: HostsOptions): Promise<HostsChangeResult> {
  const t = await target(ctx, options);
  return withWindows(await addBlock(t), t, ctx, options, 'add');
}

export async function remove(ctx: CommandContext, options: HostsOptions): Promise<HostsChangeResult> {
  const t = await target(ctx, options);
  return withWindows(await removeBlock(t), t, ctx, options, 'remove');
}

/**
 * Under WSL, when the Linux file is the default one (no --hosts-file, no RICHIE_DEV_HOSTS_FILE),
 * the same block goes into the Windows hosts file; writing it needs a WSL shell started with
 * "Run as administrator", so without that the steps are returned (exit 4) instead.
 */
async function withWindows(change: HostsChange, t: HostsTarget, ctx: CommandContext, options: HostsOptions, verb: 'add' | 'remove'): Promise<HostsChangeResult> {
  const { env } = ctx;
  if (options.hostsFile || env.RICHIE_DEV_HOSTS_FILE || process.platform !== 'linux' || !underWsl(env)) return { ...change, exitCode: ExitCode.ok };
  const file = linuxPathOf(WINDOWS_HOSTS, env) ?? WINDOWS_HOSTS_DEFAULT_MOUNT;
  const steps = [
    `from a WSL shell started with "Run as administrator": richie-dev --project-dir ${t.projectDir} hosts ${verb} --hosts-file ${file}`,
    verb === 'add'
      ? `or, in Windows as Administrator, add the lines of "richie-dev --project-dir ${t.projectDir} hosts add --print" to ${WINDOWS_HOSTS}`
      : `or, in Windows as Administrator, delete the lines from "# >>> richie-dev ${t.projectDir}" to "# <<< richie-dev ${t.projectDir}" in ${WINDOWS_HOSTS}`,
  ];
  try {
    const windows = await (verb === 'add' ? addBlock : removeBlock)({ ...t, file });
    return { ...change, windows: { file, change: windows }, exitCode: ExitCode.ok };
  } catch (error) {
    if (!(error instanceof UserError)) throw error;
    // Windows decides who may write its hosts file (Administrators), whatever the Linux user.
    const denied = error.exitCode === ExitCode.permission;
    const reason = denied ? `Windows lets only an Administrator change it (${error.message})` : error.message;
    return { ...change, windows: { file, blocked: { reason, steps } }, exitCode: denied ? ExitCode.permission : ExitCode.ok };
  }
}

/** The block for manual editing; reads nothing but the config. */
export async function print(ctx: CommandContext, options: HostsOptions): Promise<{ file: string; block: string }> {
  const t = await target(ctx, options);
  return { file: t.file, block: renderBlock(t) };
}

export interface HostsCheckResult extends HostsReport {
  exitCode: ExitCode;
}

export async function check(ctx: CommandContext, options: HostsOptions): Promise<HostsCheckResult> {
  const report = await checkHosts(await target(ctx, options));
  return { ...report, exitCode: report.hosts.every((h) => h.ok) ? ExitCode.ok : ExitCode.checkFailed };
}
