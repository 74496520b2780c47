/**
 * WSL: Linux under Windows, where the browsers usually run on the Windows side and read the
 * Windows trust store and hosts file, not the Linux ones. Detection, and the two path
 * translations the Windows side needs (WSL's own `wslpath`), for src/trust/wsl.ts and
 * `hosts add` (src/commands/hosts.ts).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** Where Windows keeps its hosts file (%SystemRoot%\System32\drivers\etc\hosts). */
export const WINDOWS_HOSTS = 'C:\\Windows\\System32\\drivers\\etc\\hosts';
/** The same seen from WSL, with the default automount root (/mnt, wsl.conf [automount] root). */
export const WINDOWS_HOSTS_DEFAULT_MOUNT = '/mnt/c/Windows/System32/drivers/etc/hosts';

/**
 * Whether this process runs under WSL. `RICHIE_DEV_WSL=0` (or `1`) decides when set; else the
 * variables WSL sets in every session (WSL_DISTRO_NAME, WSL_INTEROP), else the kernel's
 * release, which carries "microsoft" under WSL 1 and 2 (as Microsoft's WSL issue 423 advises).
 */
export function detectWsl(env: NodeJS.ProcessEnv = process.env, osRelease: () => string = readOsRelease): boolean {
  if (env.RICHIE_DEV_WSL === '0') return false;
  if (env.RICHIE_DEV_WSL === '1') return true;
  if (env.WSL_DISTRO_NAME || env.WSL_INTEROP) return true;
  return /microsoft/i.test(osRelease());
}

/**
 * detectWsl for a command's environment: a RICHIE_DEV_WSL of this process counts too when that
 * environment does not set it, so the opt-out also holds for library calls handed a small env.
 */
export function underWsl(env: NodeJS.ProcessEnv = process.env): boolean {
  return detectWsl({ RICHIE_DEV_WSL: process.env.RICHIE_DEV_WSL, ...env });
}

function readOsRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8');
  } catch {
    return '';
  }
}

/**
 * A Linux path as Windows programs open it (`wslpath -w`: `\\wsl.localhost\<distro>\...`);
 * without wslpath, the same form from WSL_DISTRO_NAME; undefined when neither is known.
 */
export function windowsPathOf(path: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const answer = wslpath(['-w', path], env);
  if (answer) return answer;
  return env.WSL_DISTRO_NAME ? `\\\\wsl.localhost\\${env.WSL_DISTRO_NAME}${path.replaceAll('/', '\\')}` : undefined;
}

/** A Windows path as WSL mounts it (`wslpath -u`); the default mount for the hosts file otherwise. */
export function linuxPathOf(windowsPath: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const answer = wslpath(['-u', windowsPath], env);
  if (answer) return answer;
  return windowsPath === WINDOWS_HOSTS ? WINDOWS_HOSTS_DEFAULT_MOUNT : undefined;
}

function wslpath(args: string[], env: NodeJS.ProcessEnv): string | undefined {
  try {
    return execFileSync('wslpath', args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).trim() || undefined;
  } catch {
    return undefined;
  }
}
