/**
 * Shared test helpers: running the built CLI as a real process, temp project dirs, and the
 * rule for real-tool tests: skip when a tool is missing on a developer machine, fail under CI.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execa, type Result } from 'execa';

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

/** Run `richie-dev <args>` as the user would, with no TTY and a controlled environment. */
export async function cli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; uid?: number } = {}): Promise<CliResult> {
  const env = { ...process.env, NO_COLOR: '1', ...options.env };
  const argv = options.uid === undefined ? [process.execPath, CLI, ...args] : ['setpriv', `--reuid=${options.uid}`, `--regid=${options.uid}`, '--clear-groups', process.execPath, CLI, ...args];
  const result: Result = await execa(argv[0]!, argv.slice(1), { env, cwd: options.cwd ?? ROOT, reject: false, stdin: 'ignore' });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** Run a shell script in a private mount namespace (changes to mounts stay inside it). */
export async function inMountNamespace(script: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await execa('unshare', ['-m', 'bash', '-c', `set -euo pipefail\n${script}`], {
    env: { ...process.env, NO_COLOR: '1', ...env },
    reject: false,
    stdin: 'ignore',
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

export async function sh(file: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const result = await execa(file, [...args], { env: { ...process.env, ...env }, reject: false, stdin: 'ignore' });
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
