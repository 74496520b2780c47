/**
 * Shared test helpers: running the built CLI as a real process, temp project dirs, and the
 * rule for real-tool tests: skip when a tool is missing on a developer machine, fail under CI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type Result } from 'execa';
import { inject } from 'vitest';
import { realUserDirs, USER_DIR_KEYS } from './setup/user-dirs.js';

export const ROOT = resolve(import.meta.dirname, '..');
/** What the package's bin names (the bundle build/bundle-cli.mjs writes): tests run what users run. */
export const CLI = join(ROOT, (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { bin: Record<string, string> }).bin['richie-dev']!);

/** True when the tool is on PATH. Under CI (CI=true) a missing tool throws: the test must fail, not skip. */
export function hasTool(name: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' });
    return true;
  } catch {
    if (process.env.CI) throw new Error(`CI is missing "${name}", which this test needs; .ci/run must install it.`);
    return false;
  }
}

export const isRoot = process.getuid?.() === 0;

export function tempDir(prefix = 'richie-dev-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment a test's subprocess runs with: the test's own user dirs (HOME, XDG_*, CAROOT)
 * when it gives them, else this test file's (test/setup/isolate.ts: a temp HOME, the XDG dirs
 * and CAROOT unset so they default under it); a value naming one of the real user's dirs, or
 * no HOME at all (Node would take the real one from the password database), never reaches it.
 */
export function isolatedEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const real = inject('realUserDirs') ?? realUserDirs();
  const homes = [real.env.HOME, real.passwdHome].filter((h): h is string => Boolean(h));
  const forbidden = new Set(
    [...Object.values(real.env), ...homes.flatMap((h) => [h, join(h, '.local', 'share'), join(h, '.config'), join(h, '.cache'), join(h, '.local', 'share', 'richie-dev')])].map((p) => resolve(p)),
  );
  const out = { ...env };
  for (const key of USER_DIR_KEYS) {
    const value = out[key];
    if (value && forbidden.has(resolve(value))) delete out[key];
  }
  if (!out.HOME) out.HOME = process.env.HOME && !forbidden.has(resolve(process.env.HOME)) ? process.env.HOME : mkdtempSync(join(tmpdir(), 'richie-dev-test-home-'));
  return out;
}

/** Run `richie-dev <args>` as the user would, with no TTY and a controlled environment (user dirs: isolatedEnv). */
export async function cli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number } = {}): Promise<CliResult> {
  const env = isolatedEnv({ ...process.env, NO_COLOR: '1', ...options.env });
  const argv = options.uid === undefined ? [process.execPath, CLI, ...args] : ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', process.execPath, CLI, ...args];
  const result: Result = await execa(argv[0]!, argv.slice(1), { env, extendEnv: false, cwd: options.cwd ?? ROOT, reject: false, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Run a shell script in a private mount namespace (changes to mounts stay inside it); user dirs: isolatedEnv. */
export async function inMountNamespace(script: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await execa('unshare', ['-m', 'bash', '-c', `set -euo pipefail\n${script}`], {
    env: isolatedEnv({ ...process.env, NO_COLOR: '1', ...env }),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export async function sh(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await execa(file, [...args], { env: isolatedEnv({ ...process.env, ...env }), extendEnv: false, reject: false, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** A TCP port free on loopback now (the kernel's pick), for a server a test starts next. */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A home whose Firefox ran once: Debian's firefox-esr itself starts there headless and makes its
 * profile (and the profile's NSS database) as it does for a user, so trust install and doctor
 * judge Firefox by that profile, not its policy.
 */
export async function firefoxRanOnce(home: string): Promise<void> {
  if (!hasTool('firefox-esr')) throw new Error('firefox-esr is missing');
  const { existsSync, readdirSync } = await import('node:fs');
  const env = { HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
  await sh('timeout', ['90', 'firefox-esr', '--headless', '--screenshot', join(home, 'first-start.png'), 'about:blank'], env);
  const root = join(home, '.config', 'mozilla', 'firefox');
  const made = existsSync(root) && readdirSync(root).some((name) => existsSync(join(root, name, 'cert9.db')));
  if (!made) throw new Error(`firefox-esr made no profile with a certificate database under ${root}`);
}

/**
 * For a script in inMountNamespace: a private system trust store (tmpfs over Debian's anchors
 * dir and over /etc/ssl/certs, the latter seeded with the machine's certificates), so
 * update-ca-certificates acts for real and the machine's store is untouched. It leaves "$copy", a
 * folder the script may use, and must remove (rm -rf "$copy").
 */
export const PRIVATE_SYSTEM_STORE = `copy=$(mktemp -d)
      cp -a /etc/ssl/certs/. "$copy"/
      mount -t tmpfs tmpfs /usr/local/share/ca-certificates
      mount -t tmpfs tmpfs /etc/ssl/certs
      cp -a "$copy"/. /etc/ssl/certs/`;
